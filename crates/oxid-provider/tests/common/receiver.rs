//! A relying party's back-channel logout endpoint, for the tests that watch logouts.

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use tokio::sync::mpsc;

/// A relying party's back-channel endpoint on 127.0.0.1:0 that hands every POST to the test.
pub async fn receiver() -> (String, mpsc::UnboundedReceiver<(String, String)>) {
    let (sent, received) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/backchannel",
        post(move |headers: HeaderMap, body: Bytes| {
            let sent = sent.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let _ = sent.send((content_type, String::from_utf8_lossy(&body).into_owned()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, received)
}
