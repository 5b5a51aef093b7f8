//! The client address behind a trusted proxy (issue 13, `[http] trusted_proxies`): the
//! throttle per address sees the rightmost untrusted `X-Forwarded-For` hop when the socket
//! peer is a trusted proxy, and the socket peer otherwise, so one forwarded client is locked
//! and another behind the same proxy is not.

mod common;

use common::*;
use oxid_provider::throttle::ThrottleSettings;
use std::net::SocketAddr;

/// An account locks at its second failure; an address at five times that (the tenth).
const THROTTLE: ThrottleSettings = ThrottleSettings {
    max_failures_before_delay: 2,
    max_failures_before_lock: 2,
    window_seconds: 600,
    lock_seconds: 120,
    delay_ms: 1,
    redis_url: None,
    redis_key_prefix: String::new(),
};

/// The provider of `server` served with the socket peer's address, as `oxid serve` does;
/// its `http://host:port`.
async fn with_peer_addresses(server: &TestServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::router(server.provider.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// One login of `username` from a fresh login page, the request carrying `forwarded_for`.
async fn login(base: &str, forwarded_for: &str, username: &str, password: &str) -> u16 {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let query = auth_query("app", "openid", &[]);
    let page = browser
        .get(format!("{base}/authorize?{query}"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    let form = [
        ("csrf_token", hidden_field(&html, "csrf_token")),
        ("interaction", hidden_field(&html, "interaction")),
        ("username", username.to_string()),
        ("password", password.to_string()),
    ];
    let response = browser
        .post(format!("{base}/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&form)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let server = TestServer::start_with(|s| {
        s.throttle = THROTTLE;
        s.http.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    server.add_client("app", |_| {}).await;
    let base = with_peer_addresses(&server).await;
    // The attacker forges a first hop; the proxy appends the address it saw.
    let attacker = "10.9.9.9, 203.0.113.5";
    for n in 1..10 {
        let status = login(&base, attacker, &format!("user{n}"), "guess").await;
        assert_eq!(status, 200, "attempt {n}: a new account each time");
    }
    assert_eq!(login(&base, attacker, "user10", "guess").await, 429);
    assert_eq!(
        login(&base, "203.0.113.5", USER, PASSWORD).await,
        429,
        "the forwarded address is locked, whatever it claims before it"
    );
    // Another client behind the same proxy (same socket peer) logs in.
    assert_eq!(login(&base, "198.51.100.7", USER, PASSWORD).await, 200);
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_changes_nothing() {
    let server = TestServer::start_with(|s| s.throttle = THROTTLE).await;
    server.add_client("app", |_| {}).await;
    let base = with_peer_addresses(&server).await;
    // A different forged address every time: all of them count against the socket's.
    for n in 1..10 {
        let forged = format!("203.0.113.{n}");
        let status = login(&base, &forged, &format!("user{n}"), "guess").await;
        assert_eq!(status, 200, "attempt {n}");
    }
    assert_eq!(login(&base, "203.0.113.99", "user10", "guess").await, 429);
    assert_eq!(
        login(&base, "198.51.100.7", USER, PASSWORD).await,
        429,
        "the socket's address is locked; the header is not believed"
    );
}
