//! `oxid-bench-flow bare FILE ADDR`: the floor of the fixed-document rows (discovery, JWKS): a
//! bare axum server answering every GET with FILE's bytes as `application/json`, on a
//! multi-thread tokio runtime as `oxid serve` runs (one worker when pinned to one core). No
//! logging, no middleware, no headers beyond axum's own: what any axum service pays per
//! request, which Oxid's rows can approach but not pass.

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

/// Serves until killed; prints `BARE listening on ADDR` once bound.
pub fn run(file: &str, addr: &str) -> Result<(), String> {
    let body = Bytes::from(std::fs::read(file).map_err(|e| format!("{file}: {e}"))?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async move {
        let document = move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        };
        let app = Router::new().fallback(get(document));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("{addr}: {e}"))?;
        println!("BARE listening on {addr}");
        axum::serve(listener, app)
            .await
            .map_err(|e| format!("serve: {e}"))
    })
}
