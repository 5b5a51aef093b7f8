//! Per-client registration settings as the endpoints honour them, over HTTP: loopback
//! redirect URIs by `application_type` (RFC 8252 §7.3), `require_pkce` at /authorize and
//! /token (RFC 9700 §2.1.1), `id_token_claims` (`scope` or `minimal`), and the answers to
//! requests that cannot be answered in their response mode.

mod common;

use common::*;
use oxid_protocol::params::encode_pairs;
use serde_json::Value;

const LOOPBACK: &str = "http://127.0.0.1/callback";

/// `GET /authorize` of `client_id` with `redirect_uri` in a fresh browser (PKCE sent).
async fn authorize_to(
    server: &TestServer,
    client_id: &str,
    redirect_uri: &str,
) -> reqwest::Response {
    let pairs = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let query = encode_pairs(pairs);
    server
        .browser()
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap()
}

/// Whether the request was trusted: the login page (200 with a password field), not the
/// error page (400).
async fn trusted(response: reqwest::Response) -> bool {
    let status = response.status();
    let html = response.text().await.unwrap();
    match status.as_u16() {
        200 => {
            assert!(html.contains("name=\"password\""), "{html}");
            true
        }
        400 => false,
        other => panic!("neither the login page nor the error page: {other} {html}"),
    }
}

#[tokio::test]
async fn loopback_redirect_uris_match_any_port_for_native_clients_only_rfc8252_7_3() {
    let server = TestServer::start().await;
    server
        .add_client("native", |c| {
            c.application_type = Some("native".into());
            c.redirect_uris = vec![LOOPBACK.into(), "http://[::1]/callback".into()];
        })
        .await;
    server
        .add_client("web", |c| c.redirect_uris = vec![LOOPBACK.into()])
        .await;
    // RFC 8252 §7.3: a native app listens on an ephemeral port.
    assert!(
        trusted(authorize_to(&server, "native", "http://127.0.0.1:53211/callback").await).await
    );
    assert!(trusted(authorize_to(&server, "native", "http://[::1]:6000/callback").await).await);
    // A web client gets exact matching (OIDC Core §3.1.2.1, RFC 9700 §4.1.3).
    assert!(!trusted(authorize_to(&server, "web", "http://127.0.0.1:53211/callback").await).await);
    assert!(trusted(authorize_to(&server, "web", LOOPBACK).await).await);
    // Even for a native client only the port may differ, in the raw string.
    for other in [
        "HTTP://127.0.0.1:5/callback",
        "http://127.1:5/callback",
        "http://0x7f.0.0.1:5/callback",
        "http://127.0.0.1:5/x/../callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:5/callback/",
    ] {
        assert!(
            !trusted(authorize_to(&server, "native", other).await).await,
            "{other}"
        );
    }
}

#[tokio::test]
async fn a_redirect_uri_with_cr_or_lf_gets_the_error_page_not_a_500() {
    let server = TestServer::start().await;
    server
        .add_client("native", |c| {
            c.application_type = Some("native".into());
            c.redirect_uris = vec![LOOPBACK.into()];
        })
        .await;
    for bad in [
        "http://127.0.0.1:5/callback\r\nSet-Cookie: a=b",
        "http://127.0.0.1:5/call\nback",
        "http://127.0.0.1/callback\r",
    ] {
        let response = authorize_to(&server, "native", bad).await;
        check_error_page_naming(response, "invalid_request").await;
    }
}

/// A confidential client with `require_pkce` as given, and its secret.
async fn client_requiring_pkce(server: &TestServer, id: &str, require: Option<bool>) -> String {
    server.add_client(id, |c| c.require_pkce = require).await
}

#[tokio::test]
async fn require_pkce_false_lets_a_confidential_client_rely_on_nonce_rfc9700_2_1_1() {
    let server = TestServer::start().await;
    let secret = client_requiring_pkce(&server, "nonce-only", Some(false)).await;
    client_requiring_pkce(&server, "default", None).await;
    let rp = Rp {
        server: &server,
        client_id: "nonce-only".into(),
        secret: secret.clone(),
        browser: server.browser(),
    };
    // Accepted without PKCE, redeemed without a verifier.
    let flow = rp.flow("openid", &[]).await;
    assert_eq!(flow.id_claims["nonce"], NONCE);
    // The deployment default (true) still refuses a client that did not say.
    let rp = Rp {
        client_id: "default".into(),
        ..rp
    };
    let error = check_error_redirect(&server, &rp.send(&rp.request("openid")).await);
    assert_eq!(error, "invalid_request");
}

#[tokio::test]
async fn a_code_issued_without_pkce_is_refused_once_the_client_must_use_it() {
    // The registration changed between the authorization and the token request: /token
    // enforces require_pkce too.
    let server = TestServer::start().await;
    let secret = client_requiring_pkce(&server, "changing", Some(false)).await;
    let rp = Rp {
        server: &server,
        client_id: "changing".into(),
        secret,
        browser: server.browser(),
    };
    let params = rp.authorize(&rp.request("openid")).await;
    let store = server.provider.store();
    let mut record = store.get_client("changing").await.unwrap().unwrap();
    record.metadata["require_pkce"] = Value::Bool(true);
    store.update_client(&record).await.unwrap();
    let answer = rp.exchange(params.get("code").unwrap()).await;
    check_token_error(&answer, "invalid_grant");
}

#[tokio::test]
async fn a_public_client_cannot_turn_pkce_off() {
    let server = TestServer::start().await;
    let provider = &server.provider;
    let refused = oxid_provider::admin::add_client(
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
        oxid_provider::admin::NewClient {
            client_id: "spa".into(),
            public: true,
            auth_method: Some("none".into()),
            redirect_uris: vec![REDIRECT.into()],
            require_pkce: Some(false),
            ..Default::default()
        },
        T0,
    )
    .await;
    assert!(
        refused.is_err(),
        "RFC 9700 §2.1.1: public clients always use PKCE"
    );
}

/// The claims of the ID token of a code flow with `scope` for a client whose
/// `id_token_claims` is `setting`.
async fn id_token_claims_with(setting: Option<&str>, scope: &str) -> Value {
    let server = TestServer::start().await;
    let secret = server
        .add_client("app", |c| c.id_token_claims = setting.map(str::to_string))
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", scope).await;
    let (status, tokens) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await
}

#[tokio::test]
async fn id_token_claims_scope_puts_the_granted_scopes_claims_in_the_id_token() {
    // What Keycloak and Auth0 do by default; the default for a client that did not say.
    for setting in [None, Some("scope")] {
        let claims = id_token_claims_with(setting, "openid profile email").await;
        assert_eq!(claims["email"], "alice@example.com", "{setting:?}");
        assert_eq!(claims["name"], "Alice Liddell", "{setting:?}");
        assert!(
            claims.get("phone_number").is_none(),
            "phone was not granted"
        );
    }
}

#[tokio::test]
async fn id_token_claims_minimal_leaves_them_to_userinfo() {
    let claims = id_token_claims_with(Some("minimal"), "openid profile email").await;
    for name in ["email", "name", "preferred_username"] {
        assert!(claims.get(name).is_none(), "{name}: {claims}");
    }
    assert!(claims["sub"].is_string());
}

#[tokio::test]
async fn tokens_are_never_sent_in_a_query_multiple_response_types_7() {
    let server = suite_server().await;
    let rp = Rp::with_client(&server, "hybrid", |c| {
        c.response_types = vec!["code id_token".into()];
        c.grant_types = vec!["authorization_code".into(), "implicit".into()];
    })
    .await;
    let mut pairs = rp.request_replacing("openid", "response_type", "code id_token");
    pairs.push(("response_mode".into(), "query".into()));
    let response = rp.send(&pairs).await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (base, fragment) = location.split_once('#').expect("answered in the fragment");
    assert_eq!(base, REDIRECT, "nothing in the query");
    let params = oxid_protocol::params::Params::parse_form(fragment.as_bytes()).unwrap();
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert!(params.get("code").is_none() && params.get("id_token").is_none());
}

#[tokio::test]
async fn a_request_that_does_not_parse_is_answered_in_its_form_post_mode() {
    // OIDC Core §3.2.2.6: errors go back the way the request asked, even when the request
    // itself is malformed (here a repeated scope).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs = rp.request_with(
        "openid",
        &[("response_mode", "form_post"), ("scope", "email")],
    );
    let response = rp.send(&pairs).await;
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    let (action, params) = common::front::form_post_fields(&html);
    assert_eq!(action, REDIRECT);
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert_eq!(params.get("state"), Some(STATE));
    // The one inline script is allowed by its hash, and nothing else is.
    let script = html
        .split("<script>")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("one inline script");
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, script.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}';")),
        "{csp}"
    );
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert_eq!(html.matches("<script").count(), 1);
}

#[tokio::test]
async fn an_access_token_from_the_authorization_endpoint_is_counted_as_implicit() {
    let server = suite_server().await;
    let rp = Rp::with_client(&server, "implicit", |c| {
        c.response_types = vec!["id_token token".into(), "id_token".into()];
        c.grant_types = vec!["implicit".into()];
    })
    .await;
    let metric = "oxid_tokens_issued_total{grant_type=\"implicit\",format=\"opaque\"} 1";
    for (response_type, counted) in [("id_token", false), ("id_token token", true)] {
        let pairs = rp.request_replacing("openid", "response_type", response_type);
        let response = rp.interact(rp.send(&pairs).await).await;
        assert!(response.status().is_redirection());
        let rendered = server.provider.metrics().render();
        assert_eq!(
            rendered.contains(metric),
            counted,
            "{response_type}: {rendered}"
        );
    }
}
