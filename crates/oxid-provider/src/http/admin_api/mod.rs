//! The admin API under `/admin/v1` on the admin listener: thin handlers over `crate::admin`
//! (the code path `oxid client|user|session|keys` shares), JSON in and out, errors as RFC 9457
//! problem details (`http::problem`). Every route but the OpenAPI document needs an admin
//! bearer token (`admin::access`). The route table [`routes`] is what the router serves and
//! what the OpenAPI document is checked against.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Router, middleware};
use oxid_protocol::bearer::parse_bearer_authorization;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::no_store;
use crate::admin::views::{client_view, client_view_with_secret, key_view, user_view};
use crate::admin::{self, AdminError, NewUser, access, clients, consents, keys, sessions};
use crate::state::Provider;
use crate::users::{self, UserChanges};

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("admin_openapi.json");

/// Where the OpenAPI document is served, without authentication.
pub const OPENAPI_PATH: &str = "/admin/v1/openapi.json";

type Outcome = Result<Response, AdminError>;

fn ok(status: StatusCode, body: Value) -> Outcome {
    Ok(no_store((status, Json(body)).into_response()))
}

fn no_content() -> Outcome {
    Ok(no_store(StatusCode::NO_CONTENT.into_response()))
}

/// Every route: path, method and handler. The router is built from this table only.
pub fn routes() -> Vec<(&'static str, Method, MethodRouter<Provider>)> {
    let route = |method: Method, handler: MethodRouter<Provider>| (method, handler);
    let table = [
        (
            "/admin/v1/clients",
            route(Method::GET, on(MethodFilter::GET, list_clients)),
        ),
        (
            "/admin/v1/clients",
            route(Method::POST, on(MethodFilter::POST, create_client)),
        ),
        (
            "/admin/v1/clients/{client_id}",
            route(Method::GET, on(MethodFilter::GET, get_client)),
        ),
        (
            "/admin/v1/clients/{client_id}",
            route(Method::PUT, on(MethodFilter::PUT, put_client)),
        ),
        (
            "/admin/v1/clients/{client_id}",
            route(Method::PATCH, on(MethodFilter::PATCH, patch_client)),
        ),
        (
            "/admin/v1/clients/{client_id}",
            route(Method::DELETE, on(MethodFilter::DELETE, delete_client)),
        ),
        (
            "/admin/v1/users",
            route(Method::GET, on(MethodFilter::GET, list_users)),
        ),
        (
            "/admin/v1/users",
            route(Method::POST, on(MethodFilter::POST, create_user)),
        ),
        (
            "/admin/v1/users/{sub}",
            route(Method::GET, on(MethodFilter::GET, get_user)),
        ),
        (
            "/admin/v1/users/{sub}",
            route(Method::PATCH, on(MethodFilter::PATCH, patch_user)),
        ),
        (
            "/admin/v1/users/{sub}",
            route(Method::DELETE, on(MethodFilter::DELETE, delete_user)),
        ),
        (
            "/admin/v1/users/{sub}/password",
            route(Method::PUT, on(MethodFilter::PUT, reset_password)),
        ),
        (
            "/admin/v1/users/{sub}/consents",
            route(Method::GET, on(MethodFilter::GET, list_consents)),
        ),
        (
            "/admin/v1/users/{sub}/consents/{client_id}",
            route(Method::DELETE, on(MethodFilter::DELETE, revoke_consent)),
        ),
        (
            "/admin/v1/sessions",
            route(Method::GET, on(MethodFilter::GET, list_sessions)),
        ),
        (
            "/admin/v1/sessions",
            route(Method::DELETE, on(MethodFilter::DELETE, revoke_sessions)),
        ),
        (
            "/admin/v1/sessions/{id}",
            route(Method::GET, on(MethodFilter::GET, get_session)),
        ),
        (
            "/admin/v1/sessions/{id}",
            route(Method::DELETE, on(MethodFilter::DELETE, revoke_session)),
        ),
        (
            "/admin/v1/keys",
            route(Method::GET, on(MethodFilter::GET, list_keys)),
        ),
        (
            "/admin/v1/keys/rotate",
            route(Method::POST, on(MethodFilter::POST, rotate_keys)),
        ),
        (
            "/admin/v1/keys/{kid}/retire",
            route(Method::POST, on(MethodFilter::POST, retire_key)),
        ),
        (
            "/admin/v1/scopes",
            route(Method::GET, on(MethodFilter::GET, list_scopes)),
        ),
    ];
    let mut all: Vec<_> = table
        .into_iter()
        .map(|(path, (m, h))| (path, m, h))
        .collect();
    all.push((OPENAPI_PATH, Method::GET, on(MethodFilter::GET, openapi)));
    all
}

/// The (path, method) of every route the admin API serves.
pub fn route_list() -> Vec<(&'static str, Method)> {
    routes()
        .into_iter()
        .map(|(path, method, _)| (path, method))
        .collect()
}

/// The admin API's router (state still to be given).
pub fn admin_api(provider: Provider) -> Router<Provider> {
    let mut protected = Router::new();
    let mut public = Router::new();
    for (path, _, handler) in routes() {
        if path == OPENAPI_PATH {
            public = public.route(path, handler);
        } else {
            protected = protected.route(path, handler);
        }
    }
    let protected = protected.layer(middleware::from_fn_with_state(provider, require_admin));
    protected.merge(public)
}

/// Lets a request through only with an admin bearer token (`admin::access::authorize`).
async fn require_admin(State(provider): State<Provider>, request: Request, next: Next) -> Response {
    let bearer = bearer(request.headers());
    match access::authorize(&provider, bearer.as_deref()).await {
        Ok(_) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    parse_bearer_authorization(value).map(str::to_string)
}

/// `GET /admin/v1/openapi.json`.
async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    let json = header::HeaderValue::from_static("application/json");
    response.headers_mut().insert(header::CONTENT_TYPE, json);
    response
}

async fn list_clients(State(provider): State<Provider>) -> Outcome {
    let clients = provider.store().list_clients().await?;
    ok(StatusCode::OK, clients.iter().map(client_view).collect())
}

async fn create_client(State(provider): State<Provider>, body: Bytes) -> Outcome {
    let (record, secret) = clients::create_client(&provider, &body).await?;
    ok(
        StatusCode::CREATED,
        client_view_with_secret(&record, secret),
    )
}

async fn known_client(
    provider: &Provider,
    client_id: &str,
) -> Result<oxid_store::ClientRecord, AdminError> {
    let client = provider.store().get_client(client_id).await?;
    client.ok_or_else(|| AdminError::UnknownClient(client_id.to_string()))
}

async fn get_client(State(provider): State<Provider>, Path(client_id): Path<String>) -> Outcome {
    ok(
        StatusCode::OK,
        client_view(&known_client(&provider, &client_id).await?),
    )
}

async fn put_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Outcome {
    let (record, secret) = clients::change_client(&provider, &client_id, &body, false).await?;
    ok(StatusCode::OK, client_view_with_secret(&record, secret))
}

async fn patch_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Outcome {
    let (record, secret) = clients::change_client(&provider, &client_id, &body, true).await?;
    ok(StatusCode::OK, client_view_with_secret(&record, secret))
}

async fn delete_client(State(provider): State<Provider>, Path(client_id): Path<String>) -> Outcome {
    if !provider.store().delete_client(&client_id).await? {
        return Err(AdminError::UnknownClient(client_id));
    }
    provider.forget_client(&client_id);
    no_content()
}

async fn list_users(State(provider): State<Provider>) -> Outcome {
    let users = provider.store().list_users().await?;
    ok(StatusCode::OK, users.iter().map(user_view).collect())
}

/// The body of `POST /admin/v1/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    username: String,
    password: String,
    #[serde(default)]
    claims: Map<String, Value>,
}

async fn create_user(State(provider): State<Provider>, body: Bytes) -> Outcome {
    let body: UserBody = serde_json::from_slice(&body)
        .map_err(|e| AdminError::Invalid(format!("the body is not a user: {e}")))?;
    let new = NewUser {
        username: body.username,
        password: body.password,
        claims: body.claims,
    };
    let user = admin::add_user(provider.store(), new, provider.now()).await?;
    ok(StatusCode::CREATED, user_view(&user))
}

/// The body of `PATCH /admin/v1/users/{sub}`: claims to set (`null` removes one) and
/// optionally a new password, as `oxid user update` takes them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChangeBody {
    #[serde(default)]
    claims: Map<String, Value>,
    password: Option<String>,
}

async fn patch_user(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
    body: Bytes,
) -> Outcome {
    let body: UserChangeBody = serde_json::from_slice(&body)
        .map_err(|e| AdminError::Invalid(format!("the body is not a user change: {e}")))?;
    let changes = UserChanges {
        password: body.password,
        claims: body.claims,
    };
    let user = users::update_user_by_sub(provider.store(), &sub, changes, provider.now()).await?;
    ok(StatusCode::OK, user_view(&user))
}

/// The body of `PUT /admin/v1/users/{sub}/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

async fn reset_password(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
    body: Bytes,
) -> Outcome {
    let body: PasswordBody = serde_json::from_slice(&body)
        .map_err(|e| AdminError::Invalid(format!("the body is not a password: {e}")))?;
    let changes = UserChanges {
        password: Some(body.password),
        claims: Map::new(),
    };
    users::update_user_by_sub(provider.store(), &sub, changes, provider.now()).await?;
    no_content()
}

async fn list_consents(State(provider): State<Provider>, Path(sub): Path<String>) -> Outcome {
    let found = consents::list_consents(provider.store(), &sub).await?;
    ok(StatusCode::OK, json!(found))
}

async fn revoke_consent(
    State(provider): State<Provider>,
    Path((sub, client_id)): Path<(String, String)>,
) -> Outcome {
    consents::revoke_consent(provider.store(), &sub, &client_id).await?;
    no_content()
}

async fn known_user(provider: &Provider, sub: &str) -> Result<oxid_store::UserRecord, AdminError> {
    let user = provider.store().get_user(sub).await?;
    user.ok_or_else(|| AdminError::NotFound(format!("no user with sub {sub:?}")))
}

async fn get_user(State(provider): State<Provider>, Path(sub): Path<String>) -> Outcome {
    ok(
        StatusCode::OK,
        user_view(&known_user(&provider, &sub).await?),
    )
}

/// Removing a user ends their sessions as logout does (their clients are told), then
/// removes them with their tokens, codes and consents.
async fn delete_user(State(provider): State<Provider>, Path(sub): Path<String>) -> Outcome {
    let user = known_user(&provider, &sub).await?;
    sessions::remove_user(&provider, &user.username).await?;
    no_content()
}

/// The `user` query parameter, if any.
fn user_filter(query: Option<String>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "user")
        .map(|(_, value)| value.into_owned())
}

async fn list_sessions(State(provider): State<Provider>, RawQuery(query): RawQuery) -> Outcome {
    let user = user_filter(query);
    let found = sessions::list_sessions(provider.store(), user.as_deref(), provider.now()).await?;
    ok(StatusCode::OK, json!(found))
}

async fn revoke_sessions(State(provider): State<Provider>, RawQuery(query): RawQuery) -> Outcome {
    let Some(user) = user_filter(query) else {
        let why = "name the user whose sessions end: ?user=NAME";
        return Err(AdminError::Invalid(why.into()));
    };
    let revoked = sessions::revoke_user_sessions(&provider, &user).await?;
    ok(StatusCode::OK, json!({ "revoked": revoked }))
}

async fn get_session(State(provider): State<Provider>, Path(id): Path<String>) -> Outcome {
    let all = sessions::list_sessions(provider.store(), None, provider.now()).await?;
    match all.into_iter().find(|s| s.id == id) {
        Some(found) => ok(StatusCode::OK, json!(found)),
        None => Err(AdminError::NotFound(format!("no live session {id:?}"))),
    }
}

async fn revoke_session(State(provider): State<Provider>, Path(id): Path<String>) -> Outcome {
    sessions::revoke_session(&provider, &id).await?;
    no_content()
}

async fn key_list(provider: &Provider) -> Outcome {
    ok(
        StatusCode::OK,
        json!(keys::list_keys(provider.backend()).await?),
    )
}

async fn list_keys(State(provider): State<Provider>) -> Outcome {
    key_list(&provider).await
}

/// Rotates now (the published next key starts signing) and answers the keys; 409 while
/// another instance rotates.
async fn rotate_keys(State(provider): State<Provider>) -> Outcome {
    keys::rotate_keys(provider.backend()).await?;
    reload_keys(&provider).await;
    key_list(&provider).await
}

/// The `force` query parameter: `true` or absent.
fn force_flag(query: Option<String>) -> Result<bool, AdminError> {
    let query = query.unwrap_or_default();
    match url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "force") {
        None => Ok(false),
        Some((_, value)) => match value.as_ref() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(AdminError::Invalid("force must be true or false".into())),
        },
    }
}

/// Retires one key: it stops signing now and leaves the JWKS when what it signed has
/// expired, or at once with `?force=true`.
async fn retire_key(
    State(provider): State<Provider>,
    Path(kid): Path<String>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let force = force_flag(query)?;
    let key = keys::retire_key(provider.backend(), &kid, force).await?;
    reload_keys(&provider).await;
    ok(StatusCode::OK, key_view(&key, provider.now()))
}

/// This instance's ring follows at once (others through the store's change feed).
async fn reload_keys(provider: &Provider) {
    if let Err(e) = provider.reload_keys().await {
        tracing::warn!(error = %e, "reloading the signing keys failed");
    }
}

/// The scopes this deployment knows: the OpenID ones and the configured ones.
async fn list_scopes(State(provider): State<Provider>) -> Outcome {
    let scopes: Vec<Value> = provider
        .config()
        .scopes
        .iter()
        .map(|scope| {
            json!({
                "name": scope.name,
                "about_user": scope.about_user,
                "claims": scope.claims,
            })
        })
        .collect();
    ok(StatusCode::OK, json!(scopes))
}
