//! Per-client refresh token policy over HTTP: absolute and idle lifetimes with
//! `refresh_token_expires_in`, reuse detection (RFC 9700 §4.14.2) and the optional grace
//! window, under concurrency, on SQLite and (with `OXID_TEST_POSTGRES_URL`) PostgreSQL.

mod common;

use common::*;
use oxid_provider::admin::NewClient;
use oxid_provider::clock::TestClock;
use serde_json::Value;
use sqlx::Executor;
use std::io::Write;

async fn refresh(server: &TestServer, secret: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A client `app` with the policy `adjust` sets; a code flow with `offline_access`: the
/// token response.
async fn start(server: &TestServer, adjust: impl FnOnce(&mut NewClient)) -> (String, Value) {
    let secret = server.add_client("app", adjust).await;
    let code = obtain_code(server, &server.browser(), "app", "openid offline_access").await;
    let (status, body) = exchange_code(server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{body}");
    (secret, body)
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

#[tokio::test]
async fn idle_and_absolute_lifetimes_bound_refresh_tokens_rfc9700_4_14_2() {
    let server = TestServer::start().await;
    let (secret, body) = start(&server, |c| {
        c.refresh_token_lifetime = Some(1000);
        c.refresh_token_idle = Some(300);
    })
    .await;
    assert_eq!(body["refresh_token_expires_in"], 300, "idle first");
    // Used within its idle time, again and again: each new token lives 300 s more...
    let mut token = refresh_token(&body);
    for _ in 0..3 {
        server.clock.advance(250);
        let (status, body) = refresh(&server, &secret, &token).await;
        assert_eq!(status, 200, "{body}");
        token = refresh_token(&body);
    }
    // ... until the family's absolute end (T0 + 1000): 250 s are left at T0 + 750.
    server.clock.advance(10);
    let (status, body) = refresh(&server, &secret, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token_expires_in"], 1000 - 760);
    let token = refresh_token(&body);
    server.clock.advance(240);
    let (status, body) = refresh(&server, &secret, &token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Idle: a token left unused past its idle time is refused.
    let server = TestServer::start().await;
    let (secret, body) = start(&server, |c| c.refresh_token_idle = Some(300)).await;
    server.clock.advance(301);
    let (status, body) = refresh(&server, &secret, &refresh_token(&body)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn without_a_policy_the_deployment_lifetime_is_told_rfc6749_5_1() {
    let server = TestServer::start().await;
    let (_, body) = start(&server, |_| {}).await;
    let default = server.provider.config().lifetimes.refresh_token;
    assert_eq!(body["refresh_token_expires_in"], default);
}

#[tokio::test]
async fn reuse_outside_the_grace_window_revokes_the_family_rfc9700_4_14_2() {
    let server = TestServer::start().await;
    let (secret, body) = start(&server, |c| c.refresh_token_grace = Some(30)).await;
    let first = refresh_token(&body);
    let (status, rotated) = refresh(&server, &secret, &first).await;
    assert_eq!(status, 200);
    // A retry within the window: the very same answer, and the family stays live.
    server.clock.advance(30);
    let (status, again) = refresh(&server, &secret, &first).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, rotated, "the same new pair");
    assert_eq!(
        userinfo_status(&server, rotated["access_token"].as_str().unwrap()).await,
        200
    );
    // Past the window: reuse revokes every token of the family.
    server.clock.advance(1);
    let (status, body) = refresh(&server, &secret, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh(&server, &secret, &refresh_token(&rotated)).await;
    assert_eq!(status, 400, "the family is revoked");
    assert_eq!(
        userinfo_status(&server, rotated["access_token"].as_str().unwrap()).await,
        401
    );
}

#[tokio::test]
async fn without_a_grace_window_a_retry_revokes_the_family_rfc9700_4_14_2() {
    let server = TestServer::start().await;
    let (secret, body) = start(&server, |_| {}).await;
    let first = refresh_token(&body);
    let (status, rotated) = refresh(&server, &secret, &first).await;
    assert_eq!(status, 200);
    let (status, _) = refresh(&server, &secret, &first).await;
    assert_eq!(status, 400);
    let (status, _) = refresh(&server, &secret, &refresh_token(&rotated)).await;
    assert_eq!(status, 400, "the family is revoked");
}

/// 50 parallel refreshes of one token: with a grace window all get the one new pair, which
/// works; without, the family ends revoked whatever the order (one outcome either way).
async fn fifty_parallel_refreshes(server: &TestServer, grace: bool) {
    let (secret, body) = start(server, |c| {
        c.refresh_token_grace = grace.then_some(10);
    })
    .await;
    let token = refresh_token(&body);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (url, secret, token) = (server.url("/token"), secret.clone(), token.clone());
            tokio::spawn(async move {
                let response = reqwest::Client::new()
                    .post(url)
                    .basic_auth("app", Some(secret))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let successes: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    if grace {
        assert_eq!(successes.len(), 50, "{answers:?}");
        assert!(
            successes.iter().all(|b| *b == successes[0]),
            "one new pair for all"
        );
        let (status, _) = refresh(server, &secret, &refresh_token(successes[0])).await;
        assert_eq!(status, 200, "the family is live");
    } else {
        assert!(successes.len() <= 1, "{answers:?}");
        if let Some(winner) = successes.first() {
            let (status, _) = refresh(server, &secret, &refresh_token(winner)).await;
            assert_eq!(status, 400, "the reuses revoked the family");
        }
    }
}

#[tokio::test]
async fn fifty_parallel_refreshes_have_one_family_outcome_on_sqlite() {
    fifty_parallel_refreshes(&TestServer::start().await, true).await;
    fifty_parallel_refreshes(&TestServer::start().await, false).await;
}

#[tokio::test]
async fn fifty_parallel_refreshes_have_one_family_outcome_on_postgres() {
    const URL_VAR: &str = "OXID_TEST_POSTGRES_URL";
    let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {URL_VAR} not set");
        return;
    };
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    for grace in [true, false] {
        let schema = format!("oxid_refresh_{}_{grace}", std::process::id());
        admin
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .unwrap();
        let separator = if url.contains('?') { '&' } else { '?' };
        let store_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
        let server = TestServer::launch(|_| {}, &store_url, TestClock::new(T0), true).await;
        fifty_parallel_refreshes(&server, grace).await;
        let _ = admin
            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await;
    }
}
