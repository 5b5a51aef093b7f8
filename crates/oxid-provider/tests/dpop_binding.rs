//! DPoP (RFC 9449) beyond proofs: server nonces at the token endpoint, the PAR endpoint and
//! UserInfo (§8, §9), valid on every instance; codes bound to a key by `dpop_jkt` (§10) or
//! by a proof at the PAR endpoint (§10.1); a proof's `jti` refused on another instance over
//! the same store (§11.1).

mod common;

use common::*;
use oxid_client::signing::SigningKey;
use oxid_protocol::params::encode_pairs;
use serde_json::{Value, json};

/// A server (with `adjust`) and its public client `spa` and confidential client `app`, whose
/// secret is returned.
async fn server_with(
    adjust: impl FnOnce(&mut oxid_provider::config::Settings),
) -> (TestServer, String) {
    let server = TestServer::start_with(adjust).await;
    server.add_client("spa", |c| c.public = true).await;
    let secret = server.add_client("app", |_| {}).await;
    (server, secret)
}

fn nonce_required(s: &mut oxid_provider::config::Settings) {
    s.dpop.require_nonce = true;
}

/// POST `form` to `path` (as `spa` unless `basic`), with the DPoP header `proof`: status,
/// `DPoP-Nonce` header, JSON body.
async fn post(
    server: &TestServer,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
    proof: Option<&str>,
) -> (u16, String, Value) {
    let mut form = form.to_vec();
    let mut request = reqwest::Client::new().post(server.url(path));
    match basic {
        Some((id, secret)) => request = request.basic_auth(id, Some(secret)),
        None => form.push(("client_id", "spa")),
    }
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.form(&form).send().await.unwrap();
    let nonce = header(&response, "dpop-nonce");
    let status = response.status().as_u16();
    (status, nonce, response.json().await.unwrap_or(Value::Null))
}

fn code_form(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

/// A code for `client_id` through the browser, the request carrying `extra`.
async fn code_with(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let query = auth_query(client_id, "openid", extra);
    let params = authorize_query(server, &server.browser(), &query).await;
    params.get("code").expect("a code").to_string()
}

fn proof_at(server: &TestServer, key: &SigningKey, path: &str, extra: Value) -> String {
    dpop_proof(key, "POST", &server.url(path), server.provider.now(), extra)
}

#[tokio::test]
async fn the_token_endpoint_asks_for_a_nonce_and_accepts_it_for_two_windows() {
    // RFC 9449 §8: 400 use_dpop_nonce with a DPoP-Nonce header; the retry with it passes.
    let (server, _) = server_with(nonce_required).await;
    let key = dpop_key();
    let code = code_with(&server, "spa", &[]).await;
    let form = code_form(&code);
    let without = proof_at(&server, &key, "/token", json!({}));
    let (status, nonce, body) = post(&server, "/token", &form, None, Some(&without)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    assert!(
        !nonce.is_empty(),
        "§8: the nonce comes in the DPoP-Nonce header"
    );
    let wrong = proof_at(&server, &key, "/token", json!({"nonce": "not-ours"}));
    let (status, again, body) = post(&server, "/token", &form, None, Some(&wrong)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    assert_eq!(again, nonce, "the same window, the same nonce");
    // A client without DPoP is not asked for a nonce.
    let (_, _, body) = post(&server, "/token", &code_form("nope"), None, None).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");

    let with = proof_at(&server, &key, "/token", json!({ "nonce": nonce }));
    let (status, next, body) = post(&server, "/token", &form, None, Some(&with)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    assert!(
        !next.is_empty(),
        "§8.2: the next nonce comes with the answer"
    );

    // The window is 300 s: the nonce passes in the next window, not in the one after.
    server.clock.advance(300);
    let code = code_with(&server, "spa", &[]).await;
    let later = proof_at(&server, &key, "/token", json!({ "nonce": nonce }));
    let (status, _, body) = post(&server, "/token", &code_form(&code), None, Some(&later)).await;
    assert_eq!(status, 200, "the previous window's nonce: {body}");
    server.clock.advance(300);
    let stale = proof_at(&server, &key, "/token", json!({ "nonce": nonce }));
    let (status, fresh, body) = post(&server, "/token", &code_form("x"), None, Some(&stale)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    assert_ne!(fresh, nonce, "a new window, a new nonce");
}

#[tokio::test]
async fn userinfo_asks_for_a_nonce_with_a_dpop_challenge() {
    // RFC 9449 §9: 401, `WWW-Authenticate: DPoP error="use_dpop_nonce"`, DPoP-Nonce.
    let (server, _) = server_with(nonce_required).await;
    let key = dpop_key();
    let code = code_with(&server, "spa", &[]).await;
    let (_, nonce, _) = post(&server, "/token", &[], None, None).await;
    assert!(nonce.is_empty(), "no nonce for a request without a proof");
    let first = proof_at(&server, &key, "/token", json!({}));
    let (_, nonce, _) = post(&server, "/token", &code_form(&code), None, Some(&first)).await;
    let with = proof_at(&server, &key, "/token", json!({ "nonce": nonce }));
    let (_, _, tokens) = post(&server, "/token", &code_form(&code), None, Some(&with)).await;
    let access = tokens["access_token"].as_str().expect("a token");
    let userinfo = |proof: String| {
        reqwest::Client::new()
            .get(server.url("/userinfo"))
            .header("Authorization", format!("DPoP {access}"))
            .header("DPoP", proof)
            .send()
    };
    let url = server.url("/userinfo");
    let now = server.provider.now();
    let ath = dpop_ath(access);
    let response = userinfo(dpop_proof(&key, "GET", &url, now, json!({ "ath": ath })))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = header(&response, "www-authenticate");
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    let nonce = header(&response, "dpop-nonce");
    assert!(!nonce.is_empty());
    let claims = json!({ "ath": ath, "nonce": nonce });
    let response = userinfo(dpop_proof(&key, "GET", &url, now, claims))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn nonces_and_jti_replays_hold_across_instances() {
    // RFC 9449 §8: a nonce from one instance is good at another (stateless, from the shared
    // secret); §11.1: a jti seen by one instance is refused by the other (the shared store).
    let dir = std::env::temp_dir().join(format!("oxid-dpop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("oxid.db").display());
    let a = TestServer::launch(
        nonce_required,
        &url,
        oxid_provider::clock::TestClock::new(T0),
        true,
    )
    .await;
    a.add_client("spa", |c| c.public = true).await;
    let issuer = a.base.clone();
    let b = TestServer::launch(
        move |s| {
            s.issuer = issuer;
            nonce_required(s);
        },
        &url,
        a.clock.clone(),
        false,
    )
    .await;
    let key = dpop_key();
    let code = code_with(&a, "spa", &[]).await;
    let (_, nonce, _) = post(
        &a,
        "/token",
        &code_form(&code),
        None,
        Some(&proof_at(&a, &key, "/token", json!({}))),
    )
    .await;
    assert!(!nonce.is_empty());
    // The issuer is the same: a proof's htu names it whichever instance answers.
    let proof = dpop_proof(
        &key,
        "POST",
        &format!("{}/token", a.base),
        a.provider.now(),
        json!({ "nonce": nonce }),
    );
    let (status, _, body) = post(&b, "/token", &code_form(&code), None, Some(&proof)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    let (status, _, body) = post(&a, "/token", &code_form("other"), None, Some(&proof)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    assert!(
        body["error_description"].as_str().unwrap().contains("jti"),
        "{body}"
    );
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn dpop_jkt_binds_the_code_to_the_key() {
    // RFC 9449 §10: the token request must carry a proof by the key of `dpop_jkt`.
    let (server, _) = server_with(|_| {}).await;
    let key = dpop_key();
    let jkt = dpop_thumbprint(&key);
    let code = code_with(&server, "spa", &[("dpop_jkt", &jkt)]).await;
    let other = proof_at(&server, &dpop_key(), "/token", json!({}));
    let (status, _, body) = post(&server, "/token", &code_form(&code), None, Some(&other)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    let code = code_with(&server, "spa", &[("dpop_jkt", &jkt)]).await;
    let (status, _, body) = post(&server, "/token", &code_form(&code), None, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "no proof: {body}"
    );

    let code = code_with(&server, "spa", &[("dpop_jkt", &jkt)]).await;
    let good = proof_at(&server, &key, "/token", json!({}));
    let (status, _, body) = post(&server, "/token", &code_form(&code), None, Some(&good)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );

    // Not a thumbprint: invalid_request at the redirect URI.
    let query = auth_query("spa", "openid", &[("dpop_jkt", "short")]);
    let params = authorize_query(&server, &server.browser(), &query).await;
    assert_eq!(params.get("error"), Some("invalid_request"), "{params:?}");
}

/// Pushes the standard request (plus `extra`) as `app` with `proof`: status and body.
async fn push(
    server: &TestServer,
    secret: &str,
    extra: &[(&str, &str)],
    proof: Option<&str>,
) -> (u16, String, Value) {
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    post(server, "/par", &form, Some(("app", secret)), proof).await
}

/// The code the browser gets for a pushed `request_uri` of `app`.
async fn code_for_pushed(server: &TestServer, request_uri: &str) -> String {
    let query = encode_pairs([("client_id", "app"), ("request_uri", request_uri)]);
    let params = authorize_query(server, &server.browser(), &query).await;
    params.get("code").expect("a code").to_string()
}

#[tokio::test]
async fn a_proof_at_the_par_endpoint_binds_the_code() {
    // RFC 9449 §10.1: the DPoP header at PAR acts as `dpop_jkt`.
    let (server, secret) = server_with(|_| {}).await;
    let basic = Some(("app", secret.as_str()));
    let key = dpop_key();
    let at_par = proof_at(&server, &key, "/par", json!({}));
    let (status, _, body) = push(&server, &secret, &[], Some(&at_par)).await;
    assert_eq!(status, 201, "{body}");
    let code = code_for_pushed(&server, body["request_uri"].as_str().unwrap()).await;
    let other = proof_at(&server, &dpop_key(), "/token", json!({}));
    let (status, _, body) = post(&server, "/token", &code_form(&code), basic, Some(&other)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    let at_par = proof_at(&server, &key, "/par", json!({}));
    let (_, _, body) = push(&server, &secret, &[], Some(&at_par)).await;
    let code = code_for_pushed(&server, body["request_uri"].as_str().unwrap()).await;
    let good = proof_at(&server, &key, "/token", json!({}));
    let (status, _, body) = post(&server, "/token", &code_form(&code), basic, Some(&good)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );

    // `dpop_jkt` pushed without a proof binds as well.
    let jkt = dpop_thumbprint(&key);
    let (_, _, body) = push(&server, &secret, &[("dpop_jkt", &jkt)], None).await;
    let code = code_for_pushed(&server, body["request_uri"].as_str().unwrap()).await;
    let (status, _, body) = post(&server, "/token", &code_form(&code), basic, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn the_par_endpoint_refuses_a_bad_proof_or_a_dpop_jkt_of_another_key() {
    // RFC 9449 §10.1: the proof is checked as in §4.3; dpop_jkt and the proof must agree.
    let (server, secret) = server_with(nonce_required).await;
    let key = dpop_key();
    let wrong_htu = proof_at(&server, &key, "/token", json!({}));
    let (status, _, body) = push(&server, &secret, &[], Some(&wrong_htu)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    // §8 at the PAR endpoint too.
    let no_nonce = proof_at(&server, &key, "/par", json!({}));
    let (status, nonce, body) = push(&server, &secret, &[], Some(&no_nonce)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    let other_jkt = dpop_thumbprint(&dpop_key());
    let with_nonce = proof_at(&server, &key, "/par", json!({ "nonce": nonce }));
    let (status, _, body) = push(
        &server,
        &secret,
        &[("dpop_jkt", &other_jkt)],
        Some(&with_nonce),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    let same_jkt = dpop_thumbprint(&key);
    let with_nonce = proof_at(&server, &key, "/par", json!({ "nonce": nonce }));
    let (status, _, body) = push(
        &server,
        &secret,
        &[("dpop_jkt", &same_jkt)],
        Some(&with_nonce),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}
