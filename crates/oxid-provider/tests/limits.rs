//! Abuse limits through a real server (issue 13): slow and idle connections are closed, large
//! bodies refused, load shed, request state bounded, echoes cut short, and password hashing
//! kept off the async workers.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Header-read timeout of these tests' servers.
const HEADER_TIMEOUT_MS: u64 = 400;

/// The provider of `server` served through `oxid serve`'s loop with its configured limits;
/// its `http://host:port`.
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

/// A server with short header and body timeouts, and its serve loop's base URL.
async fn limited_server() -> String {
    let server = TestServer::start_with(|s| {
        s.limits.header_read_timeout_ms = HEADER_TIMEOUT_MS;
        s.limits.body_read_timeout_ms = HEADER_TIMEOUT_MS;
    })
    .await;
    serve_loop(&server).await
}

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the socket; how long that took (None: still open at `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

async fn healthz_ok(base: &str) {
    let status = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn idle_connection_is_closed_after_the_header_timeout_while_others_are_served() {
    let base = limited_server().await;
    let mut idle = connect(&base).await;
    healthz_ok(&base).await;
    let closed = closed_within(&mut idle, Duration::from_secs(5)).await;
    let closed = closed.expect("an idle connection must be closed");
    assert!(
        closed >= Duration::from_millis(HEADER_TIMEOUT_MS / 2),
        "{closed:?}"
    );
    healthz_ok(&base).await;
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_its_request() {
    let base = limited_server().await;
    let mut stream = connect(&base).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let closed = closed_within(&mut stream, Duration::from_secs(5)).await;
    assert!(
        closed.is_some(),
        "a keep-alive connection left idle is closed"
    );
}

#[tokio::test]
async fn slow_header_client_is_closed_while_others_are_served() {
    let base = limited_server().await;
    let mut slow = connect(&base).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    // One header line every 100 ms: each byte arrives before any idle timer would fire.
    let trickle = tokio::spawn(async move {
        for i in 0..100 {
            let line = format!("X-Slow-{i}: y\r\n");
            if slow.write_all(line.as_bytes()).await.is_err() {
                return Some(i);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut probe = [0u8; 64];
            // A closed socket reads 0 (or errors) at once.
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
            {
                return Some(i);
            }
        }
        None
    });
    healthz_ok(&base).await;
    let lines = trickle
        .await
        .unwrap()
        .expect("the slow client must be cut off");
    // Closed after about HEADER_TIMEOUT_MS, i.e. some 4 lines, far from the 100 it tried.
    assert!(lines < 30, "closed after {lines} lines");
    healthz_ok(&base).await;
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let server = TestServer::start().await;
    let base = serve_loop(&server).await;
    let response = reqwest::Client::new()
        .post(format!("{}/token", server.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // The same without a declared length (chunked): counted while read.
    let mut stream = connect(&base).await;
    stream
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("2710\r\n{}\r\n", "a".repeat(10_000));
    for _ in 0..10 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // answered and closed early
        }
    }
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn requests_beyond_the_concurrency_cap_get_503_temporarily_unavailable() {
    let server = TestServer::start_with(|s| {
        s.limits.max_concurrent_requests = 1;
        s.limits.body_read_timeout_ms = 2_000;
    })
    .await;
    let base = serve_loop(&server).await;
    // Holds the one permit: headers announce a body that does not come.
    let mut holder = connect(&base).await;
    holder
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let response = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // The held request times out on its body (408), freeing the permit.
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), holder.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    healthz_ok(&base).await;
}

/// Median of `n` client_credentials token requests, in milliseconds.
async fn token_median_ms(server: &TestServer, http: &reqwest::Client, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = http
            .post(format!("{}/token", server.address))
            .basic_auth("svc", Some(SVC_SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[n / 2]
}

const SVC_SECRET: &str = "secret-of-svc-0123456789abcdefghijklmnop";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_logins_do_not_slow_the_token_endpoint_argon2_off_the_workers() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let secret = server
        .add_client("svc", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris = vec![];
        })
        .await;
    assert_eq!(secret, SVC_SECRET);
    let http = reqwest::Client::new();
    token_median_ms(&server, &http, 5).await; // warm-up
    let baseline = token_median_ms(&server, &http, 21).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut attackers = Vec::new();
    for i in 0..16 {
        let browser = server.browser();
        let url = server.url(&format!("/authorize?{}", auth_query("app", "openid", &[])));
        let address = server.address.clone();
        let stop = stop.clone();
        attackers.push(tokio::spawn(async move {
            let mut html = browser
                .get(&url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let mut tries = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let form = [
                    ("csrf_token", hidden_field(&html, "csrf_token")),
                    ("interaction", hidden_field(&html, "interaction")),
                    ("username", USER.to_string()),
                    ("password", format!("wrong-{i}-{tries}")),
                ];
                let response = browser
                    .post(format!("{address}/login"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                tries += 1;
                let page = response.text().await.unwrap();
                if page.contains("name=\"password\"") {
                    html = page;
                } else {
                    // Throttled or otherwise refused: start a fresh interaction.
                    html = browser
                        .get(&url)
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                }
            }
            tries
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let loaded = token_median_ms(&server, &http, 21).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut tries = 0;
    for attacker in attackers {
        tries += attacker.await.unwrap();
    }
    assert!(tries >= 16, "the logins ran ({tries})");
    // Relative to a baseline of the same run, with a generous factor for a busy 2-core
    // machine; with argon2id on the async workers the median grows by a hundred ms and more.
    assert!(
        loaded <= baseline * 4.0 + 40.0,
        "token median {loaded:.1} ms under 16 wrong logins, {baseline:.1} ms before"
    );
}

/// An authorization query for the client `app` with `extra` parameters (no nonce of its own).
fn query_with(scope: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    oxid_protocol::params::encode_pairs(pairs)
}

/// RFC 6749 §4.1.2.1: the error is redirected to the (trusted) redirect URI.
async fn redirected_error(server: &TestServer, query: &str) -> (String, String) {
    let response = server
        .browser()
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "redirected, not a page");
    let (base, params) = location_params(&response);
    assert_eq!(base, REDIRECT);
    let error = params.get("error").unwrap_or("").to_string();
    let description = params.get("error_description").unwrap_or("").to_string();
    assert!(oxid_protocol::error::is_valid_error_text(&description));
    (error, description)
}

#[tokio::test]
async fn huge_nonce_or_claims_is_invalid_request_naming_the_parameter() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let nonce = "n".repeat(20_000);
    let (error, description) =
        redirected_error(&server, &query_with("openid", &[("nonce", &nonce)])).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("nonce"), "{description}");
    let claims = format!(r#"{{"userinfo":{{"{}":null}}}}"#, "c".repeat(5_000));
    let query = query_with("openid", &[("nonce", "n"), ("claims", &claims)]);
    let (error, description) = redirected_error(&server, &query).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("claims"), "{description}");
}

#[tokio::test]
async fn huge_unknown_scope_is_echoed_cut_short() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    // As large as a request line may be (the http crate's URI limit is 64 KiB; a body this
    // large is refused with 413).
    let scope = format!("openid {}", "s".repeat(60_000));
    let (error, description) =
        redirected_error(&server, &query_with(&scope, &[("nonce", "n")])).await;
    assert_eq!(error, "invalid_scope");
    assert!(description.len() <= 120, "{} chars", description.len());
    assert!(description.contains("sss..."), "{description}");
}

#[tokio::test]
async fn beyond_the_connection_cap_new_clients_wait_until_idle_ones_are_closed() {
    let server = TestServer::start_with(|s| {
        s.limits.header_read_timeout_ms = HEADER_TIMEOUT_MS;
        s.limits.max_connections = 2;
    })
    .await;
    let base = serve_loop(&server).await;
    let _idle = [connect(&base).await, connect(&base).await];
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    // Waits in the backlog, then is served once the idle sockets time out.
    healthz_ok(&base).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(HEADER_TIMEOUT_MS / 2),
        "served at once ({waited:?}): the cap was not applied"
    );
}
