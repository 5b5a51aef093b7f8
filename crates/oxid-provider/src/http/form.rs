//! What the token-like endpoints (token, revocation, introspection, and userinfo for its
//! form) share: the form body and its content type, client authentication, and the one
//! `no-store` of every answer about live credentials.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use oxid_protocol::params::Params;

use crate::capabilities::AuthEndpoint;
use crate::client_auth::{VerifiedClient, authenticate_client};
use crate::error::OAuthError;
use crate::state::Provider;

/// The form of a token-like request (RFC 7009 §2.1, RFC 7662 §2.1: POST with an
/// `application/x-www-form-urlencoded` body) and the client it authenticates, with the token
/// endpoint's rules (RFC 6749 §3.2). Shared by the token, revocation and introspection
/// endpoints so all three authenticate alike.
pub async fn authenticated_form(
    provider: &Provider,
    endpoint: AuthEndpoint,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(VerifiedClient, Params), OAuthError> {
    if !is_form_encoded(headers) {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    // Repeated parameters and bad encodings are `invalid_request` here (RFC 6749 §3.1).
    let params =
        Params::parse_form(body).map_err(|e| OAuthError::invalid_request(e.description()))?;
    let client = authenticate_client(provider, endpoint, headers, &params)
        .await
        .inspect_err(|e| {
            if e.code() == "invalid_client" {
                provider.metrics().client_auth_failed();
            }
        })?;
    Ok((client, params))
}

/// Whether the body is declared `application/x-www-form-urlencoded` (RFC 6749 §3.2,
/// RFC 6750 §2.2), parameters such as `charset` allowed.
pub fn is_form_encoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// RFC 6749 §5.1's no-cache headers: these answers are about live credentials.
pub fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
