//! The introspection endpoint (RFC 7662 §2): `introspection::introspect` decides what the
//! authenticated client may learn about the token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::token::TokenError;

use super::form::{authenticated_form, no_store};
use crate::capabilities::AuthEndpoint;
use crate::error::OAuthError;
use crate::introspection::introspect as introspection;
use crate::state::Provider;

/// `POST /introspect`.
pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&provider, &headers, &body).await {
        Ok(response) => no_store(Json(response).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn answer(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<IntrospectionResponse, OAuthError> {
    let (client, params) =
        authenticated_form(provider, AuthEndpoint::Introspection, headers, body).await?;
    let request = IntrospectionRequest::from_params(&params).map_err(TokenError::from)?;
    introspection(provider, &client, &request).await
}
