//! Discovery, JWKS and key rotation as clients see them (OIDC Discovery §3-4, RFC 8414 §3,
//! RFC 7517); the conformance module `oidcc-discovery-endpoint-verification` is mirrored in
//! `conformance_config.rs`.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashSet;

async fn get_json(url: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let headers = response.headers().clone();
    (headers, response.json().await.unwrap())
}

#[tokio::test]
async fn advertised_endpoints_answer() {
    let server = TestServer::start().await;
    let (_, document) = get_json(&server.url("/.well-known/openid-configuration")).await;
    let jwks_uri = document["jwks_uri"].as_str().unwrap();
    let (_, jwks) = get_json(jwks_uri).await;
    assert!(!jwks["keys"].as_array().unwrap().is_empty());
    let client = reqwest::Client::new();
    // Without credentials each endpoint answers with its own error, not 404/405.
    let token = client
        .post(document["token_endpoint"].as_str().unwrap())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 401);
    let userinfo = client
        .get(document["userinfo_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert_eq!(
        userinfo.headers()["www-authenticate"],
        "Bearer realm=\"oxid\""
    );
    let authorize = client
        .get(document["authorization_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 400);
}

#[tokio::test]
async fn jwks_keys_have_distinct_kids_use_and_alg_rfc7517_4() {
    let server = TestServer::start().await;
    let (headers, jwks) = get_json(&server.url("/jwks")).await;
    assert_eq!(headers["access-control-allow-origin"], "*");
    let keys = jwks["keys"].as_array().unwrap();
    let kids: HashSet<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(
        kids.len(),
        keys.len(),
        "kids are distinct (OIDC Core §10.1)"
    );
    for key in keys {
        // Signing keys, and our encryption keys (issue 15) with `use: enc`.
        let encryption = ["RSA-OAEP-256", "ECDH-ES"].contains(&key["alg"].as_str().unwrap());
        assert_eq!(key["use"], if encryption { "enc" } else { "sig" }, "{key}");
        assert!(key.get("d").is_none(), "no private material");
        assert!(key.get("p").is_none());
    }
    // Current and next key per algorithm: the next one is published before it signs.
    let rs256 = keys.iter().filter(|k| k["alg"] == "RS256").count();
    assert_eq!(rs256, 2);
}

#[tokio::test]
async fn oidcc_server_rotate_keys_publishes_ahead_and_keeps_the_retired_key() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (_, before) = get_json(&server.url("/jwks")).await;
    let kids_before: HashSet<String> = before["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let old_kid = kid_of(tokens["id_token"].as_str().unwrap());

    server.provider.rotate_keys().await.unwrap();
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let new_kid = kid_of(tokens["id_token"].as_str().unwrap());
    assert_ne!(new_kid, old_kid);
    assert!(
        kids_before.contains(&new_kid),
        "the new signing key was published before use"
    );
    let (_, after) = get_json(&server.url("/jwks")).await;
    let kids_after: HashSet<String> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kids_after.contains(&old_kid),
        "the retired key still verifies old tokens"
    );
    assert!(
        kids_after.len() > kids_before.len(),
        "a new next key is published"
    );
}

fn kid_of(token: &str) -> String {
    oxid_protocol::jose::CompactJws::parse(token)
        .unwrap()
        .header()
        .kid
        .clone()
        .unwrap()
}

#[tokio::test]
async fn issuer_with_a_path_serves_under_it_and_rfc8414_path_insertion() {
    let server = TestServer::start_with(|s| s.issuer = format!("{}/tenant", s.issuer)).await;
    assert!(server.base.ends_with("/tenant"));
    let (_, document) = get_json(&server.url("/.well-known/openid-configuration")).await;
    assert_eq!(document["issuer"], server.base.as_str());
    assert_eq!(document["token_endpoint"], format!("{}/token", server.base));
    let root = server.base.trim_end_matches("/tenant");
    let (headers, inserted) = get_json(&format!(
        "{root}/.well-known/oauth-authorization-server/tenant"
    ))
    .await;
    assert_eq!(inserted, document);
    assert_eq!(headers["access-control-allow-origin"], "*");
    // The flow works under the path too.
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let (status, _) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_preflight_on_the_token_endpoint() {
    let server = TestServer::start().await;
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/token"))
        .header("origin", "https://spa.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn favicon_is_an_empty_answer_not_a_404() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/favicon.ico")).await.unwrap();
    assert_eq!(response.status(), 204);
}
