//! Scale-out: two provider instances over one PostgreSQL database. A code issued by one is
//! redeemed at the other, single use and refresh rotation hold across them, and a session
//! made at one is seen by the other. Needs `OXID_TEST_POSTGRES_URL`; skips loudly without.

mod common;

use common::*;
use oxid_provider::clock::TestClock;
use serde_json::Value;
use sqlx::Executor;
use std::io::Write;

const URL_VAR: &str = "OXID_TEST_POSTGRES_URL";

/// A fresh schema, and the store URL that uses it.
async fn fresh_schema() -> Option<(sqlx::PgPool, String, String)> {
    let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {URL_VAR} not set");
        return None;
    };
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let schema = format!(
        "oxid_scale_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Some((admin, schema, store_url))
}

async fn drop_schema(admin: sqlx::PgPool, schema: String) {
    let _ = admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await;
}

#[tokio::test]
async fn two_instances_share_codes_tokens_sessions_and_keys() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let api_scope = |s: &mut oxid_provider::config::Settings| s.scopes = api_scopes(&["api:read"]);
    let a = TestServer::launch(api_scope, &store_url, TestClock::new(T0), true).await;
    let b = TestServer::start_sibling(&a, &store_url).await;
    let secret = a.add_client("app", |_| {}).await;

    // The same keys are published by both.
    let jwks_a: Value = reqwest::get(a.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks_b: Value = reqwest::get(b.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_a, jwks_b);

    // Logged in at A; B sees the session (prompt=none gives a code at once).
    let browser = a.browser();
    let code = obtain_code(&a, &browser, "app", "openid offline_access").await;
    let query = auth_query("app", "openid offline_access", &[("prompt", "none")]);
    let response = browser
        .get(b.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some(), "{params:?}");

    // A's code redeemed at B, once only: a replay at A fails and revokes what B issued.
    let (status, tokens) = exchange_code(&b, "app", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = exchange_code(&a, "app", &secret, &code).await;
    assert_eq!(status, 400);
    let userinfo = reqwest::Client::new()
        .get(b.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        401,
        "the replay revoked the tokens across instances"
    );

    // Rotation across instances: refresh at A, reuse the old token at B.
    let code = params.get("code").unwrap();
    let (_, tokens) = exchange_code(&a, "app", &secret, code).await;
    let old = tokens["refresh_token"].as_str().unwrap();
    let refresh = |server: &TestServer, token: &str| {
        let request = reqwest::Client::new()
            .post(server.url("/token"))
            .basic_auth("app", Some(&secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", token)]);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, rotated) = refresh(&a, old).await;
    assert_eq!(status, 200);
    let (status, reused) = refresh(&b, old).await;
    assert_eq!(status, 400);
    assert_eq!(reused["error"], "invalid_grant");
    let (_, after) = refresh(&a, rotated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        after["error"], "invalid_grant",
        "the family is revoked everywhere"
    );
    drop_schema(admin, schema).await;
}

#[tokio::test]
async fn concurrent_redemption_at_two_instances_succeeds_once() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let api_scope = |s: &mut oxid_provider::config::Settings| s.scopes = api_scopes(&["api:read"]);
    let a = TestServer::launch(api_scope, &store_url, TestClock::new(T0), true).await;
    let b = TestServer::start_sibling(&a, &store_url).await;
    let secret = a.add_client("app", |_| {}).await;
    for _ in 0..5 {
        let code = obtain_code(&a, &a.browser(), "app", "openid").await;
        let (first, second) = tokio::join!(
            exchange_code(&a, "app", &secret, &code),
            exchange_code(&b, "app", &secret, &code)
        );
        let successes = [first.0, second.0].iter().filter(|s| **s == 200).count();
        assert_eq!(successes, 1, "exactly one instance redeems the code");
    }
    drop_schema(admin, schema).await;
}

#[tokio::test]
async fn a_client_assertion_used_at_one_instance_is_a_replay_at_the_other_oidc_core_9() {
    use common::assertions::*;
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let api_scope = |s: &mut oxid_provider::config::Settings| s.scopes = api_scopes(&["api:read"]);
    let a = TestServer::launch(api_scope, &store_url, TestClock::new(T0), true).await;
    let b = TestServer::start_sibling(&a, &store_url).await;
    let k = key(oxid_client::JwsAlgorithm::ES256, "k1");
    register_key(&a, "pk", &k).await;
    let assertion = sign(&k, &claims(&a, "pk"));
    assert_accepted(token_with(&a, Some("pk"), &assertion).await);
    assert_refused(token_with(&b, Some("pk"), &assertion).await, "replayed");
    drop_schema(admin, schema).await;
}
