//! The UserInfo endpoint (OIDC Core §5.3): GET or POST with a bearer access token
//! (RFC 6750 §2.1 header, §2.2 form body), claims released by the token's scopes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::params::Params;
use oxid_store::TokenKind;

use crate::claims::released_claims;
use crate::crypto::secrets::sha256_hex;
use crate::error::{ErrorKind, OAuthError};
use crate::state::Provider;

/// `GET /userinfo` and `POST /userinfo`.
pub async fn userinfo(
    State(provider): State<Provider>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match claims(&provider, &method, &headers, &body).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    }
}

/// The bearer token, from exactly one place (RFC 6750 §2).
fn bearer_token(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let from_header = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().unwrap_or("");
            match value.split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
                {
                    Some(token.trim().to_string())
                }
                _ => {
                    return Err(OAuthError::bearer(
                        ErrorKind::BearerInvalidRequest,
                        "the Authorization header must be 'Bearer <token>'",
                    ));
                }
            }
        }
        None => None,
    };
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let from_body = if *method == Method::POST && form_encoded {
        let params = Params::parse_form(body)
            .map_err(|e| OAuthError::bearer(ErrorKind::BearerInvalidRequest, e.description()))?;
        params.get("access_token").map(str::to_string)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(OAuthError::bearer(
            ErrorKind::BearerInvalidRequest,
            "the access token was sent in more than one way",
        )),
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (None, None) => Err(OAuthError::bearer(
            ErrorKind::MissingToken,
            "no access token",
        )),
    }
}

async fn claims(
    provider: &Provider,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, OAuthError> {
    let token = bearer_token(method, headers, body)?;
    let invalid = || {
        OAuthError::bearer(
            ErrorKind::InvalidToken,
            "the access token is invalid or expired",
        )
    };
    let store = provider.store();
    let Some(record) = store.get_token(&sha256_hex(&token)).await? else {
        return Err(invalid());
    };
    let live = record.kind == TokenKind::Access
        && record.revoked_at.is_none()
        && record.expires_at > provider.now();
    if !live {
        return Err(invalid());
    }
    if !record.scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::bearer(
            ErrorKind::InsufficientScope,
            "the access token lacks the openid scope",
        ));
    }
    let Some(user_id) = &record.user_id else {
        return Err(invalid());
    };
    let Some(user) = store.get_user(user_id).await? else {
        return Err(invalid());
    };
    Ok(released_claims(
        &user,
        record.scopes.iter().map(String::as_str),
    ))
}
