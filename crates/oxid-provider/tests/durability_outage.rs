//! Issue 9, "outages fail fast": PostgreSQL reached through a TCP proxy this test owns (the
//! machine's PostgreSQL is never stopped). Cut: every endpoint that needs the database
//! answers 503 `temporarily_unavailable` (RFC 6749 §5.2 and §4.1.2.1) within the configured
//! limit, JSON on JSON endpoints and the error page on pages, and `/readyz` is 503.
//! Restored: the same instance serves again, no restart. Skipped loudly without
//! `OXID_TEST_POSTGRES_URL`.

mod common;
mod durability;

use common::*;
use durability::Database;
use durability::proxy::{Proxy, postgres_address};
use oxid_provider::clock::TestClock;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The store's time limit in this test (`database_timeout_ms`).
const LIMIT: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded machine, on top of the limit.
const MARGIN: Duration = Duration::from_millis(700);

/// One request the outage must answer fast: its name, and how to send it.
type Probe<'a> = (&'a str, reqwest::RequestBuilder);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cut_database_answers_503_in_time_and_recovers_without_a_restart() {
    let Some(upstream) = postgres_address() else {
        let _ = durability::Database::postgres("oxid_outage", None).await; // the loud skip
        return;
    };
    let proxy = Proxy::start(upstream).await;
    let database = Database::postgres("oxid_outage", Some(&proxy.address))
        .await
        .unwrap();
    let limit_ms = LIMIT.as_millis() as u64;
    let server = TestServer::launch(
        |s| s.database_timeout_ms = limit_ms,
        &database.url,
        TestClock::new(T0),
        true,
    )
    .await;
    let grants = ["authorization_code", "refresh_token", "client_credentials"];
    let secret = server
        .add_client("app", |c| c.grant_types = grants.map(String::from).to_vec())
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid offline_access").await;
    let (status, tokens) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let authorize = server.url(&format!(
        "/authorize?{}",
        auth_query("app", "openid offline_access", &[])
    ));
    let probes = |refresh: &str| -> Vec<Probe<'static>> {
        let token = |form: Vec<(&'static str, String)>| {
            http.post(server.url("/token"))
                .basic_auth("app", Some(&secret))
                .form(&form)
        };
        vec![
            (
                "token client_credentials",
                token(vec![("grant_type", "client_credentials".into())]),
            ),
            (
                "token refresh_token",
                token(vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", refresh.to_string()),
                ]),
            ),
            (
                "introspect",
                http.post(server.url("/introspect"))
                    .basic_auth("app", Some(&secret))
                    .form(&[("token", access.as_str())]),
            ),
            (
                "userinfo",
                http.get(server.url("/userinfo")).bearer_auth(&access),
            ),
        ]
    };
    assert_eq!(status_of(http.get(server.url("/readyz"))).await, 200);

    proxy.cut();
    for (name, request) in probes(&refresh) {
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(response.status(), 503, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable", "{name}: {body}");
        assert!(elapsed < LIMIT + MARGIN, "{name} took {elapsed:?}");
    }
    let started = Instant::now();
    let page = browser.get(&authorize).send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(page.status(), 503);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.text().await.unwrap().contains("temporarily"));
    assert!(elapsed < LIMIT + MARGIN, "authorize took {elapsed:?}");
    let started = Instant::now();
    assert_eq!(status_of(http.get(server.url("/readyz"))).await, 503);
    assert!(started.elapsed() < LIMIT + MARGIN);

    proxy.restore();
    // The pool reconnects on its own: ready again within a few seconds, then all serve.
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_of(http.get(server.url("/readyz"))).await != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready again after the restore"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (name, request) in probes(&refresh) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{name} after the restore: {body}");
        if name == "introspect" {
            assert_eq!(body["active"], true);
        }
    }
    let page = browser.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 303, "authorize after the restore");
    database.remove().await;
}

async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}
