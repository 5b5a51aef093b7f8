//! The revocation endpoint (RFC 7009 §2): `revocation::revoke` decides what is revoked.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oxid_protocol::revocation::RevocationRequest;
use oxid_protocol::token::TokenError;

use super::form::{authenticated_form, no_store};
use crate::capabilities::AuthEndpoint;
use crate::error::OAuthError;
use crate::revocation::revoke as revocation;
use crate::state::Provider;

/// `POST /revoke`.
pub async fn revoke(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    match answer(&provider, &headers, &body).await {
        // RFC 7009 §2.2: 200, and the content of the body is ignored by the client: none.
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

async fn answer(provider: &Provider, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let (client, params) =
        authenticated_form(provider, AuthEndpoint::Revocation, headers, body).await?;
    let request = RevocationRequest::from_params(&params).map_err(TokenError::from)?;
    revocation(provider, &client, &request).await
}
