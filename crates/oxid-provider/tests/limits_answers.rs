//! How abuse limits answer (issue 13): JSON endpoints get JSON (RFC 6749 §5.2 bodies), pages
//! get the HTML error page in the browser's language, with the same status (413, 503) and
//! `Retry-After` kept; and a public listener shedding load leaves the admin listener
//! (admin API, `/metrics`, probes) reachable.

mod common;

use common::*;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The provider of `server` through `oxid serve`'s loop with its configured limits.
async fn serve_loop(server: &TestServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let provider = server.provider.clone();
    tokio::spawn(oxid_provider::server::serve_connections(
        listener,
        oxid_provider::http::router(provider.clone()),
        provider.config().limits,
        std::future::pending(),
    ));
    base
}

/// The admin router on a listener of its own, as `oxid serve --admin-listen` runs it.
async fn admin_listener(server: &TestServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    admin
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_body_too_large_is_json_at_the_token_endpoint_and_a_page_at_the_login_form() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let post = |path: &str| {
        http.post(server.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", "fr")
            .body(vec![b'a'; 100_000])
            .send()
    };
    // RFC 9110 §15.5.14: 413; the token endpoint's body is RFC 6749 §5.2 JSON.
    let token = post("/token").await.unwrap();
    assert_eq!(token.status(), 413);
    assert!(content_type(&token).starts_with("application/json"));
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // The login form is a page: the error page, in French, never framed.
    let login = post("/login").await.unwrap();
    assert_eq!(login.status(), 413);
    assert!(content_type(&login).starts_with("text/html"));
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    let html = login.text().await.unwrap();
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(html.contains("Une erreur est survenue"), "{html}");
    assert!(html.contains("larger than"), "{html}");
}

#[tokio::test]
async fn shedding_answers_json_or_a_page_and_the_admin_listener_stays_reachable() {
    let server = TestServer::start_with(|s| {
        s.limits.max_concurrent_requests = 1;
        s.limits.body_read_timeout_ms = 3_000;
    })
    .await;
    let base = serve_loop(&server).await;
    let admin = admin_listener(&server).await;
    // Holds the one permit: headers announce a body that does not come.
    let mut holder = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    holder
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // RFC 6749 §5.2 temporarily_unavailable, 503, at a JSON endpoint.
    let token = reqwest::Client::new()
        .post(format!("{base}/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 503);
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // The authorization endpoint is a page: the error page, with the same status.
    let page = reqwest::get(format!(
        "{base}/authorize?{}",
        auth_query("app", "openid", &[])
    ))
    .await
    .unwrap();
    assert_eq!(page.status(), 503);
    assert!(content_type(&page).starts_with("text/html"));
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("temporarily_unavailable")
    );
    // The admin listener is not behind the public listener's cap.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = reqwest::get(format!("{admin}{path}")).await.unwrap();
        assert_eq!(response.status(), 200, "{path} on the admin listener");
    }
    let metrics = reqwest::get(format!("{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("oxid_throttled_requests_total{reason=\"concurrency\"} 2\n"),
        "{metrics}"
    );
    drop(holder);
}
