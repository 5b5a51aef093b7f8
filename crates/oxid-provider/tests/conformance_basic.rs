//! The OpenID conformance suite's Basic OP plan (`oidcc-basic-certification-test-plan`),
//! mirrored module by module: each test is named after the module it mirrors and checks what
//! the module checks (see `docs/conformance.md` and the catalogue it was written from).
//! This file holds the happy path, the ID token, client authentication, code reuse, refresh
//! and the plans whose features are not built; the authorization request's modules are in
//! `conformance_basic_authorize.rs`, UserInfo and scopes in `conformance_basic_userinfo.rs`.
//!
//! The suite acts as a relying party with a static confidential client
//! (client_secret_basic) and sends no PKCE except in
//! `oidcc-ensure-request-with-valid-pkce-succeeds`. Oxid requires PKCE by default
//! (RFC 9700 §2.1.1), so these tests run the provider the way a certification run must
//! configure it: `require_pkce = false` (see
//! `conformance_basic::suite_request_without_pkce_needs_require_pkce_off`). The suite's
//! relying party and baseline checks are in `tests/common` (`suite`, `checks`).

mod common;

use common::*;
use oxid_protocol::jose::CompactJws;

#[tokio::test]
async fn oidcc_server() {
    let server = suite_server().await;
    check_configuration(&server, "client_secret_basic").await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    // RFC 6749 §10.10, RFC 6819 §5.1.4.2.2: at least 128 bits, 96 bits measured entropy.
    assert!(
        flow.code.len() * 8 >= 128,
        "code length {}",
        flow.code.len()
    );
    assert!(
        measured_entropy(&flow.code) > 96.0,
        "code entropy {}",
        measured_entropy(&flow.code)
    );
    // The suite warns about claims nobody asked for in the ID token.
    for name in ["name", "email", "phone_number", "address"] {
        assert!(flow.id_claims.get(name).is_none(), "{name} unrequested");
    }
}

#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let server = suite_server().await;
    check_configuration(&server, "client_secret_post").await;
    let rp = Rp::with_client(&server, "suite-post", |c| {
        c.auth_method = Some("client_secret_post".into())
    })
    .await;
    let params = rp.authorize(&rp.request("openid")).await;
    // RFC 6749 §2.3.1: client_id and client_secret in the form body.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params.get("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("client_id", "suite-post"),
            ("client_secret", rp.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let tokens = check_token_response(&read_token_answer(response).await);
    let access_token = tokens["access_token"].as_str().unwrap();
    let claims = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        "suite-post",
        Some(NONCE),
        Some(access_token),
    )
    .await;
    let userinfo = userinfo_get(&server, access_token).await;
    assert_eq!(userinfo["sub"], claims["sub"]);
}

#[tokio::test]
async fn oidcc_idtoken_signature() {
    // Run by the suite with a client registered without id_token_signed_response_alg; a
    // static client without one is the same case: RS256 by default (OIDC Registration §2).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    let jws = CompactJws::parse(flow.id_token()).unwrap();
    assert_eq!(jws.header().alg, "RS256");
    let kid = jws.header().kid.clone().expect("a kid (OP-IDToken-kid)");
    let key = jwk_for_kid(&server, &kid).await;
    assert_eq!(key["kty"], "RSA");
}

#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    // Supporting alg=none is optional; the module is skipped when discovery does not list it.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(document["id_token_signing_alg_values_supported"].is_array());
    assert!(!list_contains(
        &document,
        "id_token_signing_alg_values_supported",
        "none"
    ));
    // And what is not advertised cannot be registered.
    let refused = oxid_provider::admin::add_client(
        server.provider.capabilities(),
        server.provider.store(),
        server.provider.secret_box(),
        oxid_provider::admin::NewClient {
            client_id: "unsigned".into(),
            client_secret: Some("secret-of-unsigned-0123456789abcdefgh".into()),
            redirect_uris: vec![REDIRECT.into()],
            id_token_signed_response_alg: Some("none".into()),
            ..Default::default()
        },
        T0,
    )
    .await;
    assert!(refused.is_err(), "alg none is not registrable");
}

#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    // RFC 7636 §4.3 / §4.5: S256 challenge on the request, verifier on the token request.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs = rp.request_with(
        "openid",
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let params = rp.authorize(&pairs).await;
    let answer = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", params.get("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let tokens = check_token_response(&answer);
    check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
}

#[tokio::test]
async fn oidcc_alternate_happy_flow() {
    // RFC 6749 §3.3: scope order does not matter; neither does parameter order.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let mut pairs = rp.request("email openid");
    pairs.reverse();
    let flow = rp.flow_with(&pairs, Some(NONCE)).await;
    assert_eq!(flow.userinfo["email"], "alice@example.com");
    assert!(flow.userinfo["email_verified"].is_boolean());
    assert!(flow.id_claims.get("email").is_none());
}

#[tokio::test]
async fn oidcc_codereuse() {
    // RFC 6749 §4.1.2: a code is single-use; the replay is 400 invalid_grant.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    // offline_access (with prompt=consent, OIDC Core §11) so that a refresh token is issued
    // too: the replay revokes both (RFC 6749 §4.1.2).
    let flow = rp
        .flow("openid offline_access", &[("prompt", "consent")])
        .await;
    let answer = rp.exchange(&flow.code).await;
    check_token_error(&answer, "invalid_grant");
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(flow.access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "the access token is revoked");
    let refresh_token = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token");
    let answer = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await;
    check_token_error(&answer, "invalid_grant");
}

#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    // RFC 6749 §4.1.2: the replay 30 s later MUST fail, and SHOULD revoke the tokens
    // already issued from the code.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    server.clock.advance(30);
    let answer = rp.exchange(&flow.code).await;
    check_token_error(&answer, "invalid_grant");
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(flow.access_token())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_client_error(),
        "the first access token is revoked: {}",
        response.status()
    );
}

// Refresh tokens (RFC 6749 §6, OIDC Core §12)

#[tokio::test]
async fn oidcc_refresh_token() {
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(list_contains(
        &document,
        "grant_types_supported",
        "refresh_token"
    ));
    assert!(list_contains(
        &document,
        "scopes_supported",
        "offline_access"
    ));
    let rp = Rp::new(&server).await;
    // OIDC Core §11: offline_access with prompt=consent, as the suite sends it.
    let flow = rp
        .flow("openid offline_access", &[("prompt", "consent")])
        .await;
    let refresh_token = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token is issued")
        .to_string();
    server.clock.advance(10);
    let answer = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.cache_control, "no-store", "RFC 6749 §5.1");
    let access_token = answer.body["access_token"].as_str().expect("access_token");
    assert!(access_token.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    assert_ne!(access_token, flow.access_token());
    assert!(answer.body["expires_in"].as_u64().is_some_and(|e| e > 0));
    // OIDC Core §12.2: a refreshed ID token keeps iss, sub, aud, azp, auth_time; new iat.
    if let Some(id_token) = answer.body["id_token"].as_str() {
        // OIDC Core §12.2: no nonce in a refreshed ID token; the baseline checks otherwise.
        let refreshed =
            check_id_token(&server, id_token, &rp.client_id, None, Some(access_token)).await;
        for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
            assert_eq!(refreshed.get(claim), flow.id_claims.get(claim), "{claim}");
        }
        assert!(refreshed["iat"].as_u64().unwrap() > flow.id_claims["iat"].as_u64().unwrap());
    }
    userinfo_get(&server, access_token).await;
    // RFC 6749 §6: a refresh token works only for the client it was issued to.
    let latest = answer.body["refresh_token"]
        .as_str()
        .unwrap_or(refresh_token.as_str());
    let other = Rp::with_client(&server, "suite-client-2", |_| {}).await;
    let answer = other
        .token(&[("grant_type", "refresh_token"), ("refresh_token", latest)])
        .await;
    check_token_error(&answer, "invalid_grant");
}

// Deployment profile for a certification run

#[tokio::test]
async fn suite_request_without_pkce_needs_require_pkce_off() {
    // The suite sends no code_challenge outside the PKCE module. With Oxid's default
    // (require_pkce = true, RFC 9700 §2.1.1) such a request is refused with invalid_request,
    // so a certification run must set require_pkce = false; this records that.
    let server = TestServer::start().await;
    let rp = Rp::new(&server).await;
    let response = rp.send(&rp.request("openid")).await;
    let error = check_error_redirect(&server, &response);
    assert_eq!(error, "invalid_request");
}

// The Implicit and Hybrid plans' response types: only for clients registered for them

#[tokio::test]
async fn implicit_and_hybrid_response_types_need_the_clients_registration() {
    // OIDC Registration §2 `response_types`: a client registered for `code` only is refused
    // the others with unauthorized_client (RFC 6749 §4.1.2.1), in the fragment, their default
    // mode (Multiple Response Types §5), with no code or token anywhere. The accepting side
    // is conformance_implicit.rs and conformance_hybrid.rs.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[]).await;
    for response_type in [
        "token",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ] {
        let pairs = rp.request_replacing("openid", "response_type", response_type);
        let response = rp.send(&pairs).await;
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(!location.contains("token="), "{location}");
        assert!(!location.contains("code="), "{location}");
        let (base, fragment) = location.split_once('#').expect("the error in the fragment");
        assert_eq!(base, REDIRECT, "nothing in the query");
        let params = oxid_protocol::params::Params::parse_form(fragment.as_bytes()).unwrap();
        assert_eq!(
            params.get("error"),
            Some("unauthorized_client"),
            "{response_type}"
        );
        assert_eq!(params.get("state"), Some(STATE));
    }
}
