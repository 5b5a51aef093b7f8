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

/// The Dynamic plan's `oidcc-userinfo-rs256`, with a static client registered with
/// `userinfo_signed_response_alg=RS256` (OIDC Core §5.3.2, Registration §2): discovery lists
/// RS256; UserInfo answers `application/jwt`, an RS256 JWS verifiable with the OP's keys,
/// `sub` as in the ID token, `iss` and `aud`, no `nonce`.
#[tokio::test]
async fn oidcc_userinfo_rs256() {
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(list_contains(
        &document,
        "userinfo_signing_alg_values_supported",
        "RS256"
    ));
    for alg in ["RS256", "ES256"] {
        let rp = Rp::with_client(&server, &format!("signed-{alg}"), |c| {
            c.userinfo_signed_response_alg = Some(alg.into());
        })
        .await;
        let (id_claims, response) = flow_to_userinfo(&rp).await;
        assert_eq!(response.headers()["content-type"], "application/jwt");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let jwt = response.text().await.unwrap();
        let header = oxid_protocol::jose::CompactJws::parse(&jwt).unwrap();
        assert_eq!(header.header().alg, alg);
        let claims = verify_jws_with_jwks(&server, &jwt).await;
        assert_eq!(claims["sub"], id_claims["sub"]);
        assert_eq!(claims["iss"], server.base.as_str());
        assert_eq!(claims["aud"], rp.client_id.as_str());
        assert_eq!(claims["email"], "alice@example.com");
        assert!(claims.get("nonce").is_none());
    }
    // Without the registration, plain JSON (the `none` of the list).
    let (_, response) = flow_to_userinfo(&Rp::new(&server).await).await;
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}

/// The suite's flow for `openid email`, checked, then UserInfo with its access token (200);
/// the ID token's claims and the UserInfo response.
async fn flow_to_userinfo(rp: &Rp<'_>) -> (Value, reqwest::Response) {
    let params = rp.authorize(&rp.request("openid email")).await;
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let token = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_claims =
        check_id_token(rp.server, id_token, &rp.client_id, Some(NONCE), Some(token)).await;
    let response = reqwest::Client::new()
        .get(rp.server.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    (id_claims, response)
}
