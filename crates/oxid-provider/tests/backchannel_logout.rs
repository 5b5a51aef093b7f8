//! OIDC Back-Channel Logout 1.0: after an RP-initiated logout, every client of the session
//! that registered a `backchannel_logout_uri` receives a signed logout token (§2.4, §2.5).
//! Mirrors the conformance suite's BCL plan.

mod common;

use common::*;
use oxid_protocol::claims::{LogoutTokenClaims, LogoutTokenRules, Validation};
use oxid_protocol::params::Params;
use serde_json::Value;
use std::time::Duration;

const AFTER_LOGOUT: &str = "https://app.example.com/logged-out";

#[tokio::test]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let document: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["backchannel_logout_supported"], true);
    assert_eq!(document["backchannel_logout_session_supported"], true);
    assert!(document["end_session_endpoint"].is_string());
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout_sends_a_valid_logout_token() {
    // The receivers listen on 127.0.0.1, which outbound calls refuse by default.
    let server = TestServer::start_with(|s| s.outbound.allow_private_addresses = true).await;
    let (uri, mut received) = receiver().await;
    let secret = server
        .add_client("app", |c| {
            c.backchannel_logout_uri = Some(uri.clone());
            c.post_logout_redirect_uris = vec![AFTER_LOGOUT.into()];
        })
        .await;
    // A client registered for back-channel logout that took no part in the session.
    let (other_uri, mut other_received) = receiver().await;
    server
        .add_client("bystander", |c| c.backchannel_logout_uri = Some(other_uri))
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_claims = verify_jws_with_jwks(&server, id_token).await;

    let query = oxid_protocol::params::encode_pairs([
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", AFTER_LOGOUT),
        ("state", "s"),
    ]);
    let response = browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["location"],
        format!("{AFTER_LOGOUT}?state=s")
    );

    let (content_type, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    // §2.5: a form POST with one logout_token.
    assert!(content_type.starts_with("application/x-www-form-urlencoded"));
    let form = Params::parse_form(body.as_bytes()).unwrap();
    let token = form.get("logout_token").expect("logout_token");
    let jws = oxid_protocol::jose::CompactJws::parse(token).unwrap();
    assert_eq!(jws.header().typ.as_deref(), Some("logout+jwt"));
    let raw = verify_jws_with_jwks(&server, token).await;
    assert!(raw.get("nonce").is_none(), "§2.4: never a nonce");
    assert!(raw.get("exp").is_some());
    let claims: LogoutTokenClaims = serde_json::from_value(raw).unwrap();
    claims
        .validate_extern(
            &LogoutTokenRules {
                min_iat: T0,
                ..LogoutTokenRules::new(&server.base, "app")
            },
            &Validation::new(T0),
        )
        .expect("a valid logout token (§2.6)");
    assert_eq!(claims.sub.as_deref(), id_claims["sub"].as_str());
    assert_eq!(claims.sid.as_deref(), id_claims["sid"].as_str());
    let nothing = tokio::time::timeout(Duration::from_millis(500), other_received.recv()).await;
    assert!(nothing.is_err(), "a client outside the session is not told");
}
