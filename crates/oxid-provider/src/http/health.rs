//! Liveness and readiness for load balancers and orchestrators: `/healthz` answers while the
//! process serves; `/readyz` only while the store answers too (a database that is down, or a
//! SQLite file that was removed or replaced, makes it 503) and a signing key is loaded for
//! every configured algorithm.

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

/// `GET /readyz`: the process is up, its store answers within the time limit and it can sign.
pub async fn readyz(State(provider): State<Provider>) -> Response {
    let keys = provider.keys();
    let missing = provider
        .config()
        .signing_algs
        .iter()
        .find(|alg| keys.signer(**alg).is_none());
    if let Some(alg) = missing {
        tracing::error!(alg = alg.as_str(), "not ready: no signing key loaded");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": "keys"})),
        )
            .into_response();
    }
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::state::Provider;
    use crate::test_support::{provider_with_alice, provider_with_keys};

    async fn readyz(provider: &Provider) -> StatusCode {
        let request = Request::get("/readyz").body(Body::empty()).unwrap();
        let response = crate::http::admin_router(provider.clone())
            .oneshot(request)
            .await
            .unwrap();
        response.status()
    }

    #[tokio::test]
    async fn ready_only_with_a_signing_key_for_every_configured_algorithm() {
        assert_eq!(
            readyz(&provider_with_keys(|_| {}).await).await,
            StatusCode::OK
        );
        // This fixture generates no keys.
        assert_eq!(
            readyz(&provider_with_alice().await).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
