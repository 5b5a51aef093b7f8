//! The registration endpoint (RFC 7591 §3) and the client configuration endpoint
//! (RFC 7592 §2): JSON in, JSON out, `no-store`; `registration::*` does the work. The routes
//! exist only when registration is not closed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::bearer::parse_bearer_authorization;
use oxid_protocol::registration::RegistrationResponse;

use super::form::no_store;
use crate::error::OAuthError;
use crate::registration;
use crate::state::Provider;

/// The Bearer token of the `Authorization` header (RFC 6750 §2.1), if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_bearer_authorization)
}

fn answer(status: StatusCode, outcome: Result<RegistrationResponse, OAuthError>) -> Response {
    match outcome {
        // RFC 7591 §3.2.1: the response carries credentials, so it is never cached.
        Ok(response) => no_store((status, Json(response)).into_response()),
        Err(e) => e.into_response(),
    }
}

/// `POST /register`: 201 Created with the client information (RFC 7591 §3.2.1).
pub async fn register(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = registration::register(&provider, bearer(&headers), &body).await;
    answer(StatusCode::CREATED, outcome)
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub async fn read(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let outcome = registration::read(&provider, &client_id, bearer(&headers)).await;
    answer(StatusCode::OK, outcome)
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2).
pub async fn update(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = registration::update(&provider, &client_id, bearer(&headers), &body).await;
    answer(StatusCode::OK, outcome)
}

/// `DELETE /register/{client_id}`: 204 No Content (RFC 7592 §2.3).
pub async fn delete(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match registration::delete(&provider, &client_id, bearer(&headers)).await {
        Ok(()) => no_store(StatusCode::NO_CONTENT.into_response()),
        Err(e) => e.into_response(),
    }
}
