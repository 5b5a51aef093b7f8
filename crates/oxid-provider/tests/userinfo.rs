//! The UserInfo endpoint (OIDC Core §5.3) and its bearer errors (RFC 6750 §3); the
//! conformance suite's UserInfo and scope modules are in `conformance_basic_userinfo.rs`.

mod common;

use common::*;
use serde_json::Value;

async fn access_token(server: &TestServer, scope: &str) -> String {
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(server, &server.browser(), "app", scope).await;
    let (_, tokens) = exchange_code(server, "app", &secret, &code).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn invalid_or_expired_token_is_401_invalid_token_rfc6750_3_1() {
    let server = TestServer::start().await;
    let token = access_token(&server, "openid").await;
    let client = reqwest::Client::new();
    let response = client
        .get(server.url("/userinfo"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.starts_with("Bearer"));
    assert!(challenge.contains("error=\"invalid_token\""));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    server.clock.advance(3601);
    let response = client
        .get(server.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn token_without_openid_is_insufficient_scope_403() {
    let server = TestServer::start_with(|s| s.scopes = api_scopes(&["read:records"])).await;
    let secret = server
        .add_client("service", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.scopes = vec!["read:records".into()];
        })
        .await;
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("service", Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read:records"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}
