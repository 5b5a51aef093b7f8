//! `OAuthError` as an HTTP answer, through the protocol crate's error types: RFC 6749 §5.2
//! (`TokenError`, with its `Basic` challenge for `invalid_client`) and RFC 6750 §3
//! (`UserinfoError`, with its `Bearer` challenge) and RFC 7591 §3.2.2
//! (`RegistrationError`), `no-store` always.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::registration::RegistrationError;
use oxid_protocol::token::{TokenError, TokenErrorCode};
use oxid_protocol::userinfo::UserinfoError;

use super::form::no_store;
use crate::error::{ErrorKind, OAuthError};

/// The realm of every challenge this server sends.
const REALM: &str = "oxid";

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.detail {
            tracing::error!(error = self.code(), detail = %detail, "request failed");
        }
        let description = self.description.as_ref();
        let retry_after = match self.kind {
            ErrorKind::LockedClient { retry_after } => Some(retry_after),
            _ => None,
        };
        let dpop_nonce = match &self.kind {
            ErrorKind::UseDpopNonce { nonce, .. } => Some(nonce.clone()),
            _ => None,
        };
        let bearer = |code| UserinfoError::new(code, description);
        let (status, challenge, body) = match &self.kind {
            ErrorKind::Token(code) => token_error(TokenError::new(*code, description)),
            ErrorKind::LockedClient { .. } => {
                let code = TokenErrorCode::InvalidClient;
                let (_, challenge, body) = token_error(TokenError::new(code, description));
                (429, challenge, body)
            }
            ErrorKind::Server => {
                token_error(TokenError::new(TokenErrorCode::ServerError, description))
            }
            ErrorKind::BearerInvalidRequest => {
                bearer_error(bearer(BearerErrorCode::InvalidRequest))
            }
            ErrorKind::InvalidToken => bearer_error(bearer(BearerErrorCode::InvalidToken)),
            ErrorKind::InsufficientScope => {
                bearer_error(bearer(BearerErrorCode::InsufficientScope))
            }
            ErrorKind::MissingToken => bearer_error(UserinfoError::no_token()),
            ErrorKind::Registration(code) => {
                let error = RegistrationError::new(*code, description);
                (error.http_status(), None, Some(Json(error).into_response()))
            }
            ErrorKind::Authorization(code) => authorization_error(*code, description),
            ErrorKind::DpopResource(code) => dpop_error(code, description),
            ErrorKind::UseDpopNonce {
                at_resource: true, ..
            } => dpop_error("use_dpop_nonce", description),
            ErrorKind::UseDpopNonce { .. } => {
                let code = TokenErrorCode::UseDpopNonce;
                token_error(TokenError::new(code, description))
            }
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = match body {
            Some(body) => (status, body).into_response(),
            None => status.into_response(),
        };
        if let Some(seconds) = retry_after {
            // RFC 9110 §10.2.3.
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // RFC 9449 §8: exactly one DPoP-Nonce header.
        if let Some(value) = dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            response.headers_mut().insert("dpop-nonce", value);
        }
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        no_store(response)
    }
}

/// Status and body of an authorization error code answered as JSON (RFC 9126 §2.3: the
/// error codes of RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 in the body of RFC 6749 §5.2).
fn authorization_error(
    code: AuthErrorCode,
    description: &str,
) -> (u16, Option<String>, Option<Response>) {
    let status = match code {
        AuthErrorCode::ServerError => 500,
        AuthErrorCode::TemporarilyUnavailable => 503,
        AuthErrorCode::InvalidClient => 401,
        _ => 400,
    };
    let description = oxid_protocol::sanitize_error_text(description);
    let body = serde_json::json!({ "error": code.as_str(), "error_description": description });
    (status, None, Some(Json(body).into_response()))
}

/// Status, challenge and body of a refusal at a resource of a DPoP-bound token or its proof
/// (RFC 9449 §7.1): the `DPoP` scheme with the algorithms we accept.
fn dpop_error(code: &str, description: &str) -> (u16, Option<String>, Option<Response>) {
    let description = oxid_protocol::sanitize_error_text(description);
    let algs: Vec<&str> = crate::dpop::DPOP_ALGS.iter().map(|a| a.as_str()).collect();
    let challenge = format!(
        "DPoP realm=\"{REALM}\", error=\"{code}\", error_description=\"{description}\", \
         algs=\"{}\"",
        algs.join(" ")
    );
    let body = serde_json::json!({ "error": code, "error_description": description });
    (401, Some(challenge), Some(Json(body).into_response()))
}

/// Status, challenge and body of an RFC 6749 §5.2 error.
fn token_error(error: TokenError) -> (u16, Option<String>, Option<Response>) {
    let challenge = error.www_authenticate(REALM);
    (
        error.http_status(),
        challenge,
        Some(Json(error).into_response()),
    )
}

/// Status, challenge and body of an RFC 6750 §3.1 error: no body when the request carried no
/// token at all.
fn bearer_error(error: UserinfoError) -> (u16, Option<String>, Option<Response>) {
    let challenge = Some(error.www_authenticate(Some(REALM)));
    let body = error.body().map(|body| Json(body).into_response());
    (error.http_status(), challenge, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(e: OAuthError) -> (u16, Option<String>, String) {
        let response = e.into_response();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_string());
        let status = response.status().as_u16();
        let body = response.into_body();
        let bytes = futures_executor(body);
        (status, challenge, bytes)
    }

    fn futures_executor(body: axum::body::Body) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = runtime
            .block_on(axum::body::to_bytes(body, 1 << 16))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn bearer_errors_carry_their_challenge_rfc6750_3() {
        let (status, challenge, body) = answer(OAuthError::bearer(
            ErrorKind::InvalidToken,
            "the access token is invalid or expired",
        ));
        assert_eq!(status, 401);
        assert_eq!(
            challenge.as_deref(),
            Some(
                "Bearer realm=\"oxid\", error=\"invalid_token\", \
                 error_description=\"the access token is invalid or expired\""
            )
        );
        assert!(body.contains("\"error\":\"invalid_token\""), "{body}");
        let (status, challenge, body) = answer(OAuthError::bearer(ErrorKind::MissingToken, ""));
        assert_eq!(status, 401);
        assert_eq!(challenge.as_deref(), Some("Bearer realm=\"oxid\""));
        assert!(
            body.is_empty(),
            "§3.1: no error information without a token"
        );
        let (status, _, _) = answer(OAuthError::bearer(ErrorKind::InsufficientScope, "x"));
        assert_eq!(status, 403);
    }

    #[test]
    fn token_errors_are_json_and_invalid_client_challenges_basic_rfc6749_5_2() {
        let (status, challenge, body) = answer(OAuthError::invalid_client("who are you"));
        assert_eq!(status, 401);
        assert_eq!(challenge.as_deref(), Some("Basic realm=\"oxid\""));
        assert!(body.contains("\"error\":\"invalid_client\""), "{body}");
        let (status, challenge, body) = answer(OAuthError::invalid_grant("used \"twice\""));
        assert_eq!((status, challenge), (400, None));
        assert!(body.contains("used 'twice'"), "{body}");
        let (status, _, body) = answer(OAuthError::server("secret detail"));
        assert_eq!(status, 500);
        assert!(
            !body.contains("secret detail"),
            "details are logged, never sent"
        );
    }
}
