//! The token endpoint (RFC 6749 §3.2): parse, authenticate the client, run the grant.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::params::Params;
use oxid_protocol::token::TokenRequest;

use crate::client_auth::authenticate_client;
use crate::error::OAuthError;
use crate::grants;
use crate::state::Provider;

/// `POST /token`.
pub async fn token(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&provider, &headers, &body).await {
        Ok(response) => {
            let mut response = Json(response).into_response();
            // RFC 6749 §5.1: responses with tokens are never cached.
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn exchange(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<oxid_protocol::token::TokenResponse, OAuthError> {
    let params =
        Params::parse_form(body).map_err(|e| OAuthError::invalid_request(e.description()))?;
    let client = authenticate_client(provider.store(), headers, &params).await?;
    let request = TokenRequest::from_params(&params)?;
    grants::dispatch(provider, &client, request).await
}
