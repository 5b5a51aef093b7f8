//! The pushed authorization request endpoint (RFC 9126 §2): authenticate the client as at the
//! token endpoint, then `par::push`; 201 with the `request_uri`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::form::{authenticated_form, no_store};
use crate::capabilities::AuthEndpoint;
use crate::discovery::paths;
use crate::state::Provider;

/// `POST /par`.
pub async fn push(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        // RFC 9126 §2: "the same rules for client authentication as would be used for the
        // token endpoint".
        let (client, params) =
            authenticated_form(&provider, AuthEndpoint::Token, &headers, &body).await?;
        // RFC 9449 §10.1: a DPoP proof here is checked as at the token endpoint.
        let path = paths::PUSHED_AUTHORIZATION_REQUEST;
        let proof_jkt = crate::dpop::endpoint_key(&provider, &headers, path).await?;
        crate::par::push(&provider, &client, params, proof_jkt).await
    };
    match result.await {
        // RFC 9126 §2.2: 201 Created; the request_uri is a credential of sorts, not cached.
        Ok(response) => {
            let response = no_store((StatusCode::CREATED, Json(response)).into_response());
            crate::dpop_nonce::with_next_nonce(&provider, response)
        }
        Err(e) => e.into_response(),
    }
}
