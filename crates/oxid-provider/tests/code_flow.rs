//! The authorization code flow end to end over HTTP, as a browser and a client do it.
//! Provider defaults (PKCE required); the conformance suite's modules are mirrored in
//! `conformance_basic*.rs`.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use oxid_client::jws::{JwsAlgorithm, VerifyingKey};
use oxid_protocol::jose::CompactJws;
use serde_json::Value;

#[tokio::test]
async fn default_code_flow_with_pkce_exact_tokens_userinfo_and_refresh_rotation() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let code = obtain_code(
        &server,
        &browser,
        "app",
        "openid profile email offline_access",
    )
    .await;
    // OIDC Core §3.1.3.3: 200, JSON, no-store.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access_token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token");

    // OIDC Core §3.1.3.7: the ID token.
    let claims = verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], server.base.as_str());
    assert_eq!(claims["aud"], "app");
    assert_eq!(claims["azp"], "app");
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["iat"], T0);
    assert_eq!(claims["exp"], T0 + 3600);
    // RFC 7519 §4.1.7: each ID token has its own `jti` (advertised in `claims_supported`).
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    assert_eq!(claims["auth_time"], T0);
    assert!(claims["sid"].is_string());
    // A client added without saying has `id_token_claims = scope`: the granted scopes'
    // claims go in the ID token too (tests/id_token_claims.rs has `minimal`).
    assert_eq!(claims["email"], "alice@example.com");
    // OIDC Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    assert_eq!(
        claims["at_hash"],
        URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
    );
    let sub = claims["sub"].as_str().unwrap().to_string();

    // OIDC Core §5.3: userinfo with the access token.
    let userinfo: Value = userinfo_get(&server, access_token).await;
    assert_eq!(userinfo["sub"], sub.as_str());
    assert_eq!(userinfo["email"], "alice@example.com");
    assert_eq!(userinfo["name"], "Alice Liddell");
    assert!(
        userinfo.get("phone_number").is_none(),
        "phone scope not granted"
    );

    // RFC 6749 §6 refresh: rotation and a fresh ID token.
    let refreshed = refresh(&server, &secret, refresh_token, None).await;
    assert_eq!(refreshed.0, 200, "{}", refreshed.1);
    let new_refresh = refreshed.1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, refresh_token);
    let id_claims = verify_jws_with_jwks(&server, refreshed.1["id_token"].as_str().unwrap()).await;
    assert_eq!(id_claims["sub"], sub.as_str());
    assert!(
        id_claims.get("nonce").is_none(),
        "no nonce on refresh (OIDC Core §12.2)"
    );

    // RFC 9700 §4.14.2: reuse of the rotated token revokes the family.
    let reused = refresh(&server, &secret, refresh_token, None).await;
    assert_eq!(reused.0, 400);
    assert_eq!(reused.1["error"], "invalid_grant");
    let after = refresh(&server, &secret, &new_refresh, None).await;
    assert_eq!(
        after.1["error"], "invalid_grant",
        "the newest token of the family is revoked too"
    );
    let new_access = refreshed.1["access_token"].as_str().unwrap();
    let status = userinfo_status(&server, new_access).await;
    assert_eq!(status, 401);
}

async fn refresh(
    server: &TestServer,
    secret: &str,
    token: &str,
    scope: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn refresh_scope_narrows_but_never_widens_rfc6749_6() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(
        &server,
        &server.browser(),
        "app",
        "openid email offline_access",
    )
    .await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let widened = refresh(&server, &secret, token, Some("openid profile")).await;
    assert_eq!(widened.1["error"], "invalid_scope");
    let narrowed = refresh(&server, &secret, token, Some("openid")).await;
    assert_eq!(narrowed.0, 200);
    assert_eq!(narrowed.1["scope"], "openid");
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_oidc_core_11() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let (status, tokens) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200);
    assert!(tokens.get("refresh_token").is_none());
}

#[tokio::test]
async fn code_expires_after_60_seconds() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    server.clock.advance(61);
    let (status, error) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_wrong_or_missing_verifier_is_invalid_grant_rfc7636_4_6() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    for verifier in [Some("wrong-verifier-wrong-verifier-wrong-verifier-x"), None] {
        let code = obtain_code(&server, &server.browser(), "app", "openid").await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let response = reqwest::Client::new()
            .post(server.url("/token"))
            .basic_auth("app", Some(&secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn token_redirect_uri_must_match_rfc6749_4_1_3() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("app", |c| {
            c.redirect_uris.push("https://app.example.com/other".into());
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://app.example.com/other"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn public_client_with_pkce_redeems_its_code_without_a_secret_rfc7636_4_5() {
    let server = TestServer::start().await;
    server.add_client("spa", |c| c.public = true).await;
    let code = obtain_code(&server, &server.browser(), "spa", "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "spa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn bad_client_secret_is_401_with_www_authenticate_rfc6749_5_2() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The method must be the registered one.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "app")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn token_endpoint_rejects_repeated_parameters_and_unknown_grants() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=authorization_code&code=a&code=b&redirect_uri=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].as_str().unwrap().contains("code"));
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .form(&[("grant_type", "urn:example:unknown")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    // Registered for code + refresh only.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn client_credentials_issues_an_access_token_only_rfc6749_4_4() {
    let server =
        TestServer::start_with(|s| s.scopes = api_scopes(&["read:records", "write:records"])).await;
    let secret = server
        .add_client("service", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris.clear();
            c.scopes = vec!["openid read:records write:records".into()];
        })
        .await;
    let token = |scope: &'static str| {
        let secret = secret.clone();
        let url = server.url("/token");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .basic_auth("service", Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", scope)])
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = token("read:records").await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "read:records");
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let (status, body) = token_without_scope(&server, &secret).await;
    assert_eq!(status, 200);
    assert!(
        body.get("scope").is_none(),
        "RFC 6749 §3.3: no empty scope member"
    );
    let (status, body) = token("admin").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
    let (_, body) = token("openid").await;
    assert_eq!(body["error"], "invalid_scope", "openid needs a user");
}

#[tokio::test]
async fn hs256_id_token_for_a_client_that_asks_for_it() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("hmac", |c| {
            c.id_token_signed_response_alg = Some("HS256".into())
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "hmac", "openid").await;
    let (status, tokens) = exchange_code(&server, "hmac", &secret, &code).await;
    assert_eq!(status, 200);
    let jws = CompactJws::parse(tokens["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(jws.header().alg, "HS256");
    VerifyingKey::from_client_secret(&secret)
        .verify(JwsAlgorithm::HS256, jws.signing_input(), jws.signature())
        .unwrap();
}

#[tokio::test]
async fn es256_id_token_for_a_client_that_registered_it() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("ec", |c| {
            c.id_token_signed_response_alg = Some("ES256".into())
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "ec", "openid").await;
    let (_, tokens) = exchange_code(&server, "ec", &secret, &code).await;
    let token = tokens["id_token"].as_str().unwrap();
    assert_eq!(CompactJws::parse(token).unwrap().header().alg, "ES256");
    let claims = verify_jws_with_jwks(&server, token).await;
    assert_eq!(claims["aud"], "ec");
}

#[tokio::test]
async fn eddsa_id_token_at_hash_is_the_left_half_of_sha512() {
    // OIDC Core §3.1.3.6: the hash of the ID token's alg; for EdDSA with Ed25519 that is
    // SHA-512 (RFC 8032 §5.1), so at_hash is its left 256 bits.
    let server =
        TestServer::start_with(|s| s.keys.algs = vec!["RS256".into(), "EdDSA".into()]).await;
    let secret = server
        .add_client("ed", |c| {
            c.id_token_signed_response_alg = Some("EdDSA".into())
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "ed", "openid").await;
    let (_, tokens) = exchange_code(&server, "ed", &secret, &code).await;
    let token = tokens["id_token"].as_str().unwrap();
    assert_eq!(CompactJws::parse(token).unwrap().header().alg, "EdDSA");
    let claims = verify_jws_with_jwks(&server, token).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let sha512 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, access_token.as_bytes());
    assert_eq!(
        claims["at_hash"],
        URL_SAFE_NO_PAD.encode(&sha512.as_ref()[..32])
    );
}

async fn token_without_scope(server: &TestServer, secret: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("service", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}
