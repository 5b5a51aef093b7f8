//! `AdminError` as an RFC 9457 problem details answer (`application/problem+json` with
//! `type`, `title`, `status` and `detail`), the admin API's one error format; `no-store`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxid_store::StoreError;
use serde::Serialize;

use super::form::no_store;
use crate::admin::AdminError;
use crate::admin::access::ADMIN_SCOPE;

/// RFC 9457 §3 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (§3.1.1).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the type (§3.1.3).
    #[schema(value_type = String)]
    pub title: &'static str,
    /// The HTTP status (§3.1.2).
    pub status: u16,
    /// What went wrong this time (§3.1.4).
    pub detail: String,
}

impl Problem {
    /// A problem of type `urn:oxid:problem:{name}`.
    pub fn new(status: StatusCode, name: &str, title: &'static str, detail: String) -> Self {
        Problem {
            kind: format!("urn:oxid:problem:{name}"),
            title,
            status: status.as_u16(),
            detail,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        no_store(response)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let detail = oxid_protocol::echo_value(&self.to_string());
        let (status, name, title) = match &self {
            AdminError::Invalid(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-request",
                "Invalid request",
            ),
            AdminError::Metadata(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-client-metadata",
                "Invalid client metadata",
            ),
            AdminError::UnknownClient(_) | AdminError::NotFound(_) => {
                (StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            AdminError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            AdminError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            AdminError::Busy(_) => (StatusCode::CONFLICT, "busy", "Busy, try again"),
            AdminError::Store(StoreError::Conflict(_)) => {
                (StatusCode::CONFLICT, "conflict", "Already exists")
            }
            AdminError::Store(StoreError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
            ),
            AdminError::Store(_) => {
                tracing::error!(error = %self, "admin API: store failure");
                let detail = "the server failed; the log has the detail".to_string();
                let problem = Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server-error",
                    "Server error",
                    detail,
                );
                return problem.into_response();
            }
        };
        let mut response = Problem::new(status, name, title, detail).into_response();
        // RFC 6750 §3: the challenge of a protected resource.
        let challenge = match self {
            AdminError::Unauthenticated(_) => Some("Bearer realm=\"oxid-admin\"".to_string()),
            AdminError::Forbidden(_) => Some(format!(
                "Bearer realm=\"oxid-admin\", error=\"insufficient_scope\", scope=\"{ADMIN_SCOPE}\""
            )),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
