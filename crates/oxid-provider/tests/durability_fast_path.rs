//! Issue 14: the fast token path keeps every rule. Many client_credentials requests at once
//! (so the store's writer commits them in groups), and the moment each token response
//! arrives the token is active at `/introspect` (RFC 7662 §2.2), revocable at `/revoke`
//! (RFC 7009 §2.2), and inactive right after; the tokens left alone are still active after
//! a restart on the same database. On a SQLite file and on PostgreSQL (a schema of its own;
//! skipped loudly without `OXID_TEST_POSTGRES_URL`).

mod common;
mod durability;

use common::*;
use durability::{Database, inactive_tokens};
use oxid_provider::clock::TestClock;
use serde_json::Value;
use std::sync::Arc;

/// Clients asking for tokens at the same time.
const CONCURRENT: usize = 24;
/// Tokens each asks for.
const EACH: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_committed_tokens_are_introspectable_and_revocable_at_once_on_sqlite() {
    group_committed_tokens_keep_every_rule(Database::sqlite("oxid_fast_path")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_committed_tokens_are_introspectable_and_revocable_at_once_on_postgres() {
    let Some(database) = Database::postgres("oxid_fast_path", None).await else {
        return;
    };
    group_committed_tokens_keep_every_rule(database).await;
}

async fn group_committed_tokens_keep_every_rule(database: Database) {
    let generous = |s: &mut oxid_provider::config::Settings| s.database_timeout_ms = 10_000;
    let server =
        Arc::new(TestServer::launch(generous, &database.url, TestClock::new(T0), true).await);
    let secret = server
        .add_client("app", |c| c.grant_types = vec!["client_credentials".into()])
        .await;
    let mut clients = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENT {
        let (server, secret) = (server.clone(), secret.clone());
        clients.spawn(async move {
            let http = reqwest::Client::new();
            let mut kept = Vec::new();
            for i in 0..EACH {
                let token = client_credentials(&server, &http, &secret).await;
                // RFC 7662 §2.2: issued, so active, with no delay for a batch to settle.
                assert!(
                    active(&server, &http, &secret, &token).await,
                    "a token answered 200 is not active at once"
                );
                // Every other token is revoked right away (RFC 7009 §2.2) and must be
                // inactive at once; the rest are kept for the restart below.
                if (worker + i) % 2 == 0 {
                    revoke(&server, &http, &secret, &token).await;
                    assert!(
                        !active(&server, &http, &secret, &token).await,
                        "a revoked token is still active"
                    );
                } else {
                    kept.push(token);
                }
            }
            kept
        });
    }
    let mut kept = Vec::new();
    while let Some(tokens) = clients.join_next().await {
        kept.extend(tokens.unwrap());
    }
    assert_eq!(kept.len(), CONCURRENT * EACH / 2);
    // Acknowledged means kept: a fresh instance on the same database knows every one.
    let restarted = TestServer::start_sibling(&server, &database.url).await;
    let inactive = inactive_tokens(&restarted, "app", &secret, &kept).await;
    assert!(
        inactive.is_empty(),
        "after a restart {} of {} tokens answered 200 are not active",
        inactive.len(),
        kept.len()
    );
    database.remove().await;
}

async fn client_credentials(server: &TestServer, http: &reqwest::Client, secret: &str) -> String {
    let response = http
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "RFC 6749 §4.4.3");
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn active(server: &TestServer, http: &reqwest::Client, secret: &str, token: &str) -> bool {
    let response = http
        .post(server.url("/introspect"))
        .basic_auth("app", Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "RFC 7662 §2.2");
    let body: Value = response.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

async fn revoke(server: &TestServer, http: &reqwest::Client, secret: &str, token: &str) {
    let response = http
        .post(server.url("/revoke"))
        .basic_auth("app", Some(secret))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "RFC 7009 §2.2");
}
