//! The UserInfo endpoint (OIDC Core §5.3): GET or POST with a bearer access token
//! (RFC 6750 §2.1 header, §2.2 form body); `userinfo::userinfo_answer` decides what it gets:
//! JSON, or a signed JWT for clients that registered `userinfo_signed_response_alg`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use oxid_protocol::bearer::parse_bearer_authorization;
use oxid_protocol::params::Params;
use oxid_protocol::userinfo::UserinfoRequest;

use super::form::{is_form_encoded, no_store};
use crate::discovery::paths;
use crate::dpop::{Presented, resource_key};
use crate::error::{ErrorKind, OAuthError};
use crate::state::Provider;
use crate::userinfo::{UserinfoAnswer, userinfo_answer};

/// `GET /userinfo` and `POST /userinfo`.
pub async fn userinfo(
    State(provider): State<Provider>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = async {
        // RFC 9449 §7.1: `Authorization: DPoP <token>` with a proof by the token's key.
        if let Some(token) = dpop_token(&headers) {
            let request = UserinfoRequest {
                access_token: token.to_string(),
            };
            let path = paths::USERINFO;
            let key = resource_key(&provider, &headers, method.as_str(), path, token).await?;
            return userinfo_answer(&provider, &request, Presented::Dpop(&key)).await;
        }
        let request = bearer_request(&method, &headers, &body)?;
        userinfo_answer(&provider, &request, Presented::Bearer).await
    };
    let response = match answer.await {
        Ok(UserinfoAnswer::Json(claims)) => no_store(Json(claims).into_response()),
        // OIDC Core §5.3.2: a signed response is `application/jwt`.
        Ok(UserinfoAnswer::Jwt(jwt)) => {
            no_store(([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response())
        }
        Err(e) => return e.into_response(),
    };
    // RFC 9449 §9 with §8.2: the nonce to use next.
    crate::dpop_nonce::with_next_nonce(&provider, response)
}

/// The token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1).
fn dpop_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("DPoP") && !token.is_empty()).then_some(token)
}

/// The request's access token, from exactly one place (RFC 6750 §2): the header, or a form
/// body of a POST.
fn bearer_request(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<UserinfoRequest, OAuthError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    // An Authorization header that is not a Bearer token is a malformed request (§3.1).
    if authorization.is_some_and(|h| parse_bearer_authorization(h).is_none()) {
        return Err(OAuthError::bearer(
            ErrorKind::BearerInvalidRequest,
            "the Authorization header must be 'Bearer <token>'",
        ));
    }
    let form = if *method == Method::POST && is_form_encoded(headers) {
        let form = Params::parse_form(body)
            .map_err(|e| OAuthError::bearer(ErrorKind::BearerInvalidRequest, e.description()))?;
        Some(form)
    } else {
        None
    };
    Ok(UserinfoRequest::from_parts(authorization, form.as_ref())?)
}
