//! Request-level abuse limits: a cap on requests handled at once (503 beyond it, instead of a
//! queue without end), a largest body (413), a time to send the body (408) and a time to
//! answer (503). The connection-level limits (header-read timeout, open connections) are in
//! the serve loop (`server`). Also the size limits of stored request state.

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use oxid_protocol::authorization::AuthenticationRequest;

use crate::config::Limits;

/// Largest `claims` request parameter kept with an authorization (OIDC Core §5.5).
pub const MAX_CLAIMS_BYTES: usize = 4096;
/// Largest `nonce`, `state`, `login_hint`, `acr_values` or `ui_locales` kept with an
/// authorization.
pub const MAX_PARAM_BYTES: usize = 512;

/// The request guard (`http::front`): the limits and the permits of requests in flight.
#[derive(Debug, Clone)]
pub struct RequestGuard {
    limits: Limits,
    in_flight: Arc<Semaphore>,
}

impl RequestGuard {
    /// A guard enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        RequestGuard {
            limits,
            in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
        }
    }
}

impl RequestGuard {
    /// Sheds load beyond the concurrency cap (503): the permit is held until the answer.
    /// Shed, don't queue: a waiting request holds a socket and memory for nothing.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, Response> {
        self.in_flight.clone().try_acquire_owned().map_err(|_| {
            unavailable(
                "concurrency",
                "too many requests in progress, try again later",
            )
        })
    }

    /// Whether `request` has a body to read with [`read_body`](Self::read_body) (none: a
    /// `GET` needs neither a read nor its timer); a declared length over the limit is 413.
    pub fn body_to_read(&self, request: &Request) -> Result<bool, Response> {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.limits.max_body_bytes as u64) {
            return Err(too_large(self.limits.max_body_bytes));
        }
        Ok(!request.body().is_end_stream())
    }

    /// Reads the body within its size (413) and time (408) limits, into the request.
    pub async fn read_body(&self, request: Request) -> Result<Request, Response> {
        let limits = self.limits;
        let (parts, body) = request.into_parts();
        let read = tokio::time::timeout(
            Duration::from_millis(limits.body_read_timeout_ms),
            Limited::new(body, limits.max_body_bytes).collect(),
        )
        .await;
        let body = match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(e)) if e.is::<LengthLimitError>() => {
                return Err(too_large(limits.max_body_bytes));
            }
            // The client closed or sent a malformed body: nobody is left to read an answer.
            Ok(Err(_)) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    ("invalid_request", "unreadable_body"),
                    "unreadable body",
                ));
            }
            Err(_) => {
                return Err(error(
                    StatusCode::REQUEST_TIMEOUT,
                    ("invalid_request", "body_timeout"),
                    "the request body was not sent in time",
                ));
            }
        };
        Ok(Request::from_parts(parts, Body::from(body)))
    }

    /// The answer of `handler`, or 503 when it takes longer than the request timeout.
    pub async fn within_time(
        &self,
        handler: impl Future<Output = Result<Response, Infallible>>,
    ) -> Response {
        let timeout = Duration::from_millis(self.limits.request_timeout_ms);
        match tokio::time::timeout(timeout, handler).await {
            Ok(Ok(response)) => response,
            Err(_) => unavailable(
                "request_timeout",
                "the request took too long, try again later",
            ),
        }
    }
}

fn too_large(max: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ("invalid_request", "body_too_large"),
        &format!("the request body is larger than {max} bytes"),
    )
}

/// RFC 6749 §5.2 / §4.1.2.1 `temporarily_unavailable`, with 503; `reason` as in [`Refusal`].
fn unavailable(reason: &'static str, description: &str) -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        ("temporarily_unavailable", reason),
        description,
    )
}

/// A refusal of the guard, kept in the answer's extensions so that a page route can show it
/// as its HTML error page instead of this JSON body (see `http::front`).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The OAuth error code.
    pub error: &'static str,
    /// Which limit refused it, the metrics' `reason` label: `concurrency`, `body_too_large`,
    /// `body_timeout`, `unreadable_body` or `request_timeout`.
    pub reason: &'static str,
    /// The `error_description`.
    pub description: String,
}

/// The JSON error body of RFC 6749 §5.2, `no-store`, tagged with its [`Refusal`].
fn error(
    status: StatusCode,
    (code, reason): (&'static str, &'static str),
    description: &str,
) -> Response {
    let mut response = (
        status,
        axum::Json(json!({"error": code, "error_description": description})),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response.extensions_mut().insert(Refusal {
        error: code,
        reason,
        description: description.to_string(),
    });
    response
}

/// The first parameter of `request` that is kept with the authorization (in the sealed
/// interaction and the code) and is over its size limit, as an `error_description` naming it;
/// without a limit one signed-in user could store megabytes per request.
pub fn oversized_request_state(request: &AuthenticationRequest) -> Option<String> {
    let joined = |values: &[String]| values.iter().map(|v| v.len() + 1).sum::<usize>();
    let claims = request.claims.as_ref().map_or(0, |c| {
        serde_json::to_string(c).map_or(usize::MAX, |s| s.len())
    });
    let len = |v: &Option<String>| v.as_ref().map_or(0, String::len);
    [
        ("claims", claims, MAX_CLAIMS_BYTES),
        ("nonce", len(&request.nonce), MAX_PARAM_BYTES),
        ("state", len(&request.state), MAX_PARAM_BYTES),
        ("login_hint", len(&request.login_hint), MAX_PARAM_BYTES),
        (
            "acr_values",
            joined(&request.acr_values),
            MAX_PARAM_BYTES + 1,
        ),
        (
            "ui_locales",
            joined(&request.ui_locales),
            MAX_PARAM_BYTES + 1,
        ),
    ]
    .into_iter()
    .find(|(_, size, max)| size > max)
    .map(|(name, _, max)| format!("{name} is longer than {max} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> AuthenticationRequest {
        let params = oxid_protocol::params::Params::parse_query(query).unwrap();
        AuthenticationRequest::from_params(&params).unwrap()
    }

    #[test]
    fn stored_request_state_is_bounded_and_named() {
        let base = "response_type=code&client_id=a&redirect_uri=https://a/cb&scope=openid";
        assert_eq!(oversized_request_state(&request(base)), None);
        let at_limit = format!("{base}&nonce={}", "n".repeat(MAX_PARAM_BYTES));
        assert_eq!(oversized_request_state(&request(&at_limit)), None);
        for name in ["nonce", "state", "login_hint", "acr_values", "ui_locales"] {
            let over = format!("{base}&{name}={}", "n".repeat(MAX_PARAM_BYTES + 1));
            let description = oversized_request_state(&request(&over)).unwrap();
            assert!(description.starts_with(name), "{description}");
        }
        let claims = format!(
            "{{\"userinfo\":{{\"{}\":null}}}}",
            "c".repeat(MAX_CLAIMS_BYTES)
        );
        let over = format!(
            "{base}&claims={}",
            oxid_protocol::params::encode_pairs([("x", claims.as_str())]).trim_start_matches("x=")
        );
        let description = oversized_request_state(&request(&over)).unwrap();
        assert!(description.starts_with("claims"), "{description}");
    }
}
