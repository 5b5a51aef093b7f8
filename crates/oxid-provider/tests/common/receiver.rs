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

/// A back-channel endpoint that answers the statuses of `script` in turn, then 200 to every
/// later POST; each POST's body goes to the test with the status it got.
pub async fn scripted_receiver(
    script: Vec<u16>,
) -> (String, mpsc::UnboundedReceiver<(u16, String)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    let received = serve_script(listener, script);
    (url, received)
}

/// Serves `script` (see [`scripted_receiver`]) on `listener`.
pub fn serve_script(
    listener: tokio::net::TcpListener,
    script: Vec<u16>,
) -> mpsc::UnboundedReceiver<(u16, String)> {
    use std::sync::{Arc, Mutex};
    let (sent, received) = mpsc::unbounded_channel();
    let script = Arc::new(Mutex::new(std::collections::VecDeque::from(script)));
    let app = Router::new().route(
        "/backchannel",
        post(move |body: Bytes| {
            let (sent, script) = (sent.clone(), script.clone());
            async move {
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                let _ = sent.send((status, String::from_utf8_lossy(&body).into_owned()));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    received
}

/// A back-channel endpoint that accepts connections and never answers.
pub async fn silent_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}
