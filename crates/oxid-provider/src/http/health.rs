//! Liveness and readiness for load balancers and orchestrators: `/healthz` answers while the
//! process serves; `/readyz` only while the store answers too (a database that is down, or a
//! SQLite file that was removed or replaced, makes it 503).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::Provider;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

/// `GET /readyz`: the process is up and its store answers within the time limit.
pub async fn readyz(State(provider): State<Provider>) -> Response {
    match provider.store().check_health().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": "database"})),
            )
                .into_response()
        }
    }
}
