//! Discovery documents, the JWK Set and static assets: bytes serialized once, served as is.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::Provider;

/// Must agree with `backend::JWKS_MAX_AGE`, which rotation is checked against.
const JWKS_CACHE_CONTROL: &str = "public, max-age=300";

fn json_bytes(body: Bytes, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// OIDC Discovery §4.
pub async fn openid_configuration(State(provider): State<Provider>) -> Response {
    metadata_response(provider.openid_configuration())
}

/// RFC 8414 §3.
pub async fn oauth_metadata(State(provider): State<Provider>) -> Response {
    metadata_response(provider.oauth_metadata())
}

/// The answer of either discovery document `body` (also `fixed`'s headers).
pub fn metadata_response(body: Bytes) -> Response {
    json_bytes(body, "public, max-age=3600")
}

/// RFC 7517 §5.
pub async fn jwks(State(provider): State<Provider>) -> Response {
    jwks_response(provider.keys().jwks_json())
}

/// The answer of the JWK Set `body` (also `fixed`'s headers). Short caching: a next key is
/// published ahead of use, so a cached set always holds the key that signs next.
pub fn jwks_response(body: Bytes) -> Response {
    let mut response = json_bytes(body, JWKS_CACHE_CONTROL);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    response
}

/// The stylesheet of the pages.
pub async fn style(State(provider): State<Provider>) -> Response {
    let mut response = provider.pages().style().to_string().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `/favicon.ico`: no icon, and no error either.
pub async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Anything else.
pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn jwks_cache_control_matches_the_rotation_check() {
        let expected = format!("public, max-age={}", crate::backend::JWKS_MAX_AGE);
        assert_eq!(super::JWKS_CACHE_CONTROL, expected);
    }
}
