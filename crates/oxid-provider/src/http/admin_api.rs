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
use crate::admin::{self, AdminError, NewUser, access, clients, sessions};
use crate::crypto::CryptoError;
use crate::server::StartError;
use crate::state::Provider;

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
            route(Method::DELETE, on(MethodFilter::DELETE, delete_user)),
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
    let keys = provider.store().list_keys(provider.now()).await?;
    ok(StatusCode::OK, keys.iter().map(key_view).collect())
}

async fn list_keys(State(provider): State<Provider>) -> Outcome {
    key_list(&provider).await
}

/// Rotates now (the published next key starts signing) and answers the keys.
async fn rotate_keys(State(provider): State<Provider>) -> Outcome {
    provider.rotate_keys().await.map_err(|e| match e {
        StartError::Store(e) | StartError::Keys(CryptoError::Store(e)) => AdminError::Store(e),
        // A fault of ours: a 500 whose detail is logged only.
        e => AdminError::Store(oxid_store::StoreError::Backend(e.to_string())),
    })?;
    key_list(&provider).await
}
