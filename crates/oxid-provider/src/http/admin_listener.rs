//! The admin listener's router: the admin API (`/admin/v1`), `/metrics` (Prometheus text
//! format) and the probes, on an address of their own so that neither is ever public.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::health;
use crate::state::Provider;

/// The content type of the Prometheus text exposition format, version 0.0.4.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The admin API, `/metrics`, `/healthz` and `/readyz`.
pub fn admin_router(provider: Provider) -> Router {
    super::admin_api::admin_api(provider.clone())
        .route("/metrics", get(metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(provider)
}

/// `GET /metrics`.
async fn metrics(State(provider): State<Provider>) -> Response {
    let mut text = provider.metrics().render();
    text.push_str(&crate::metrics_store::render(&provider).await);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_TEXT),
    );
    response
}
