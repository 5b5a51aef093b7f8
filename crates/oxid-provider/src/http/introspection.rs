//! The introspection endpoint (RFC 7662 §2): `introspection::introspect` decides what the
//! authenticated client may learn about the token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::token::TokenError;

use super::form::{authenticated_form, no_store};
use crate::capabilities::AuthEndpoint;
use crate::error::OAuthError;
use crate::introspection::introspect as introspection;
use crate::introspection_jwt;
use crate::state::Provider;

/// `POST /introspect`: JSON (RFC 7662 §2.2), or a signed JWT when the caller's `Accept` asks
/// for one (RFC 9701 §4, `introspection_jwt`).
pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let wants_jwt = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(introspection_jwt::wants_jwt);
    let answered = match answer(&provider, &headers, &body).await {
        Ok((_, answer)) if !wants_jwt => Ok(Json(answer).into_response()),
        Ok((client_id, answer)) => introspection_jwt::signed_answer(&provider, &client_id, &answer)
            .await
            .map(|jwt| {
                let content_type = HeaderValue::from_static(introspection_jwt::MEDIA_TYPE);
                ([(header::CONTENT_TYPE, content_type)], jwt).into_response()
            }),
        Err(e) => Err(e),
    };
    match answered {
        Ok(response) => no_store(response),
        Err(e) => e.into_response(),
    }
}

/// The caller's `client_id` and the answer for it.
async fn answer(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, IntrospectionResponse), OAuthError> {
    let (client, params) =
        authenticated_form(provider, AuthEndpoint::Introspection, headers, body).await?;
    let request = IntrospectionRequest::from_params(&params).map_err(TokenError::from)?;
    let answer = introspection(provider, &client, &request).await?;
    Ok((client.id().to_string(), answer))
}
