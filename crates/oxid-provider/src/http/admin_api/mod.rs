//! The admin API under `/admin/v1` on the admin listener: thin handlers over `crate::admin`
//! (the code path `oxid client|user|session|consent|keys` shares), JSON in and out, errors as
//! RFC 9457 problem details (`http::problem`). Every route but the OpenAPI document needs an
//! admin bearer token (`admin::access`). The route table [`routes`] is what the router serves;
//! the OpenAPI document (`doc`) is generated from the handlers' `#[utoipa::path]` attributes
//! and the types they take and answer, and a test checks that both list the same operations.

mod clients;
mod doc;
mod keys;
mod sessions;
mod users;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Router, middleware};
use oxid_protocol::bearer::parse_bearer_authorization;
use serde::Serialize;

use super::form::no_store;
use crate::admin::{AdminError, access};
use crate::state::Provider;

pub use doc::openapi_json;

/// Where the OpenAPI document is served, without authentication.
pub const OPENAPI_PATH: &str = "/admin/v1/openapi.json";

type Outcome = Result<Response, AdminError>;

fn ok(status: StatusCode, body: impl Serialize) -> Outcome {
    Ok(no_store((status, Json(body)).into_response()))
}

fn no_content() -> Outcome {
    Ok(no_store(StatusCode::NO_CONTENT.into_response()))
}

/// Every route: path, method and handler. The router is built from this table only.
pub fn routes() -> Vec<(&'static str, Method, MethodRouter<Provider>)> {
    use Method as M;
    use MethodFilter as F;
    vec![
        (
            "/admin/v1/clients",
            M::GET,
            on(F::GET, clients::list_clients),
        ),
        (
            "/admin/v1/clients",
            M::POST,
            on(F::POST, clients::create_client),
        ),
        (
            "/admin/v1/clients/{client_id}",
            M::GET,
            on(F::GET, clients::get_client),
        ),
        (
            "/admin/v1/clients/{client_id}",
            M::PUT,
            on(F::PUT, clients::put_client),
        ),
        (
            "/admin/v1/clients/{client_id}",
            M::PATCH,
            on(F::PATCH, clients::patch_client),
        ),
        (
            "/admin/v1/clients/{client_id}",
            M::DELETE,
            on(F::DELETE, clients::delete_client),
        ),
        ("/admin/v1/users", M::GET, on(F::GET, users::list_users)),
        ("/admin/v1/users", M::POST, on(F::POST, users::create_user)),
        ("/admin/v1/users/{sub}", M::GET, on(F::GET, users::get_user)),
        (
            "/admin/v1/users/{sub}",
            M::PATCH,
            on(F::PATCH, users::patch_user),
        ),
        (
            "/admin/v1/users/{sub}",
            M::DELETE,
            on(F::DELETE, users::delete_user),
        ),
        (
            "/admin/v1/users/{sub}/password",
            M::PUT,
            on(F::PUT, users::reset_password),
        ),
        (
            "/admin/v1/users/{sub}/consents",
            M::GET,
            on(F::GET, users::list_consents),
        ),
        (
            "/admin/v1/users/{sub}/consents/{client_id}",
            M::DELETE,
            on(F::DELETE, users::revoke_consent),
        ),
        (
            "/admin/v1/sessions",
            M::GET,
            on(F::GET, sessions::list_sessions),
        ),
        (
            "/admin/v1/sessions",
            M::DELETE,
            on(F::DELETE, sessions::revoke_sessions),
        ),
        (
            "/admin/v1/sessions/{id}",
            M::GET,
            on(F::GET, sessions::get_session),
        ),
        (
            "/admin/v1/sessions/{id}",
            M::DELETE,
            on(F::DELETE, sessions::revoke_session),
        ),
        ("/admin/v1/keys", M::GET, on(F::GET, keys::list_keys)),
        (
            "/admin/v1/keys/rotate",
            M::POST,
            on(F::POST, keys::rotate_keys),
        ),
        (
            "/admin/v1/keys/{kid}/retire",
            M::POST,
            on(F::POST, keys::retire_key),
        ),
        ("/admin/v1/scopes", M::GET, on(F::GET, keys::list_scopes)),
        (OPENAPI_PATH, M::GET, on(F::GET, openapi)),
    ]
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

/// This document: the admin API's OpenAPI 3.1 description, generated from this code.
#[utoipa::path(
    get,
    path = "/admin/v1/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document.", body = Object,
            content_type = "application/json"),
    ),
)]
async fn openapi() -> Response {
    let mut response = openapi_json().into_response();
    let json = header::HeaderValue::from_static("application/json");
    response.headers_mut().insert(header::CONTENT_TYPE, json);
    response
}
