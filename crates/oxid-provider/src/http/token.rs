//! The token endpoint (RFC 6749 §3.2): parse, authenticate the client, run the grant.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use oxid_protocol::token::{TokenErrorCode, TokenRequest};

use super::form::{authenticated_form, no_store};
use crate::capabilities::AuthEndpoint;
use crate::error::OAuthError;
use crate::grants;
use crate::state::Provider;
use crate::throttle::peer_address;

/// `POST /token`.
pub async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    match exchange(&provider, &headers, &extensions, &body).await {
        // RFC 6749 §5.1: responses with tokens are never cached.
        Ok(response) => {
            let response = no_store(Json(response).into_response());
            crate::dpop_nonce::with_next_nonce(&provider, response)
        }
        Err(e) => e.into_response(),
    }
}

async fn exchange(
    provider: &Provider,
    headers: &HeaderMap,
    extensions: &Extensions,
    body: &[u8],
) -> Result<oxid_protocol::token::TokenResponse, OAuthError> {
    let (client, params) = authenticated_form(provider, AuthEndpoint::Token, headers, body).await?;
    let request = TokenRequest::from_params(&params)?;
    // RFC 9449 §5: a DPoP proof binds what is issued to its key.
    let dpop_jkt = crate::dpop::token_request_key(provider, headers, &client).await?;
    // The time is read once per token request; the grant and the issuer use this `now`.
    let ctx = grants::GrantContext::new(provider, &client, provider.now())
        .with_peer(peer_address(extensions))
        .with_dpop(dpop_jkt);
    let outcome = grants::dispatch(&ctx, request).await;
    if let Err(e) = &outcome
        && e.kind == crate::error::ErrorKind::Token(TokenErrorCode::InvalidClient)
    {
        // The client may have been removed since it was cached: read it afresh next time.
        provider.forget_client(client.id());
    }
    outcome
}
