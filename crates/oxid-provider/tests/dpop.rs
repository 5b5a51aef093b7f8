//! DPoP (RFC 9449) through a real server: proofs at the token endpoint (accepted, replayed,
//! for another URI, too old), tokens bound to the key (`token_type: DPoP`), a public
//! client's refresh token bound and a confidential client's not, UserInfo and introspection
//! honouring the binding, `dpop_bound_access_tokens`, and discovery.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use serde_json::{Value, json};

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn dpop_key() -> SigningKey {
    SigningKey::generate(JwsAlgorithm::ES256, None).unwrap()
}

/// A DPoP proof (RFC 9449 §4.2) by `key` for `method` `url` with `claims` over the defaults.
fn proof(key: &SigningKey, method: &str, url: &str, iat: u64, extra: Value) -> String {
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk().unwrap()});
    let mut claims =
        json!({"jti": common::assertions::rand_suffix(), "htm": method, "htu": url, "iat": iat});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

fn sha256(bytes: &[u8]) -> impl AsRef<[u8]> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
}

fn thumbprint(key: &SigningKey) -> String {
    let jwk = key.public_jwk().unwrap();
    let input = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    b64(sha256(input.as_bytes()))
}

async fn server() -> (TestServer, String) {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    server.add_client("spa", |c| c.public = true).await;
    (server, secret)
}

/// A token request with `form` (and `client_id=spa` unless `basic` is given) and the DPoP
/// header `proof`.
async fn token_request(
    server: &TestServer,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
    proof: Option<&str>,
) -> (u16, Value) {
    let mut form = form.to_vec();
    let mut request = reqwest::Client::new().post(server.url("/token"));
    match basic {
        Some((id, secret)) => request = request.basic_auth(id, Some(secret)),
        None => form.push(("client_id", "spa")),
    }
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn code_form(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

/// UserInfo with `authorization` and, when given, a DPoP header.
async fn userinfo(server: &TestServer, authorization: &str, proof: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status().as_u16(), challenge)
}

#[tokio::test]
async fn a_public_clients_tokens_are_bound_to_its_dpop_key() {
    // RFC 9449 §5 (token_type DPoP, the public client's refresh token bound), §7.1.
    let (server, _) = server().await;
    let now = server.provider.now();
    let key = dpop_key();
    let token_url = server.url("/token");
    let code = obtain_code(&server, &server.browser(), "spa", "openid offline_access").await;
    let first = proof(&key, "POST", &token_url, now, json!({}));
    let (status, tokens) = token_request(&server, &code_form(&code), None, Some(&first)).await;
    assert_eq!(
        (status, tokens["token_type"].as_str()),
        (200, Some("DPoP")),
        "{tokens}"
    );
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");

    // §7.1: the DPoP scheme with a proof by the key, carrying ath.
    let userinfo_url = server.url("/userinfo");
    let ath = b64(sha256(access.as_bytes()));
    let good = proof(&key, "GET", &userinfo_url, now, json!({ "ath": ath }));
    assert_eq!(
        userinfo(&server, &format!("DPoP {access}"), Some(&good))
            .await
            .0,
        200
    );
    // The same proof again: its jti was seen (§11.1).
    let (status, challenge) = userinfo(&server, &format!("DPoP {access}"), Some(&good)).await;
    assert_eq!(status, 401);
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"),
        "{challenge}"
    );
    // A bound token presented as a bearer token is refused with a DPoP challenge.
    let (status, challenge) = userinfo(&server, &format!("Bearer {access}"), None).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("algs="),
        "{challenge}"
    );
    // A proof by another key.
    let other = dpop_key();
    let stolen = proof(&other, "GET", &userinfo_url, now, json!({ "ath": ath }));
    assert_eq!(
        userinfo(&server, &format!("DPoP {access}"), Some(&stolen))
            .await
            .0,
        401
    );
    // A proof without ath (§4.3 check 12).
    let no_ath = proof(&key, "GET", &userinfo_url, now, json!({}));
    assert_eq!(
        userinfo(&server, &format!("DPoP {access}"), Some(&no_ath))
            .await
            .0,
        401
    );

    // §5: the refresh token needs a proof by the same key.
    let refresh_form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, body) = token_request(&server, &refresh_form, None, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let by_other = proof(&other, "POST", &token_url, now, json!({}));
    let (status, _) = token_request(&server, &refresh_form, None, Some(&by_other)).await;
    assert_eq!(status, 400);
    let by_key = proof(&key, "POST", &token_url, now, json!({}));
    let (status, body) = token_request(&server, &refresh_form, None, Some(&by_key)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
}

#[tokio::test]
async fn proofs_are_checked_at_the_token_endpoint() {
    // RFC 9449 §4.3, §5: invalid_dpop_proof before the grant is looked at.
    let (server, _) = server().await;
    let now = server.provider.now();
    let key = dpop_key();
    let token_url = server.url("/token");
    let form = code_form("not-a-code");
    let refused = |body: &Value| body["error"].as_str().map(str::to_string);
    let cases = [
        (
            "another URI",
            proof(&key, "POST", &server.url("/userinfo"), now, json!({})),
        ),
        (
            "another method",
            proof(&key, "GET", &token_url, now, json!({})),
        ),
        (
            "a stale iat",
            proof(&key, "POST", &token_url, now - 61, json!({})),
        ),
        (
            "an iat ahead",
            proof(&key, "POST", &token_url, now + 61, json!({})),
        ),
        ("not a JWT", "abc".to_string()),
    ];
    for (what, bad) in cases {
        let (status, body) = token_request(&server, &form, None, Some(&bad)).await;
        assert_eq!(
            (status, refused(&body)),
            (400, Some("invalid_dpop_proof".into())),
            "{what}: {body}"
        );
    }
    // A good proof lets the request through to the grant (whose code is wrong) once.
    let good = proof(&key, "POST", &token_url, now, json!({}));
    let (_, body) = token_request(&server, &form, None, Some(&good)).await;
    assert_eq!(refused(&body).as_deref(), Some("invalid_grant"), "{body}");
    let (_, body) = token_request(&server, &form, None, Some(&good)).await;
    assert_eq!(
        refused(&body).as_deref(),
        Some("invalid_dpop_proof"),
        "a replayed jti: {body}"
    );
    // §4.3 check 1: not more than one DPoP header.
    let second = proof(&key, "POST", &token_url, now, json!({}));
    let mut with_client = form.clone();
    with_client.push(("client_id", "spa"));
    let response = reqwest::Client::new()
        .post(&token_url)
        .header("DPoP", good.as_str())
        .header("DPoP", second.as_str())
        .form(&with_client)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        refused(&body).as_deref(),
        Some("invalid_dpop_proof"),
        "{body}"
    );
}

#[tokio::test]
async fn a_confidential_clients_refresh_token_is_not_bound_and_introspection_shows_cnf() {
    // RFC 9449 §5 (confidential clients' refresh tokens are not bound), §6.2.
    let (server, secret) = server().await;
    let now = server.provider.now();
    let key = dpop_key();
    let code = obtain_code(&server, &server.browser(), "app", "openid offline_access").await;
    let dpop = proof(&key, "POST", &server.url("/token"), now, json!({}));
    let basic = Some(("app", secret.as_str()));
    let (status, tokens) = token_request(&server, &code_form(&code), basic, Some(&dpop)).await;
    assert_eq!(
        (status, tokens["token_type"].as_str()),
        (200, Some("DPoP")),
        "{tokens}"
    );
    let access = tokens["access_token"].as_str().unwrap();

    let introspected: Value = reqwest::Client::new()
        .post(server.url("/introspect"))
        .basic_auth("app", Some(&secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(
        introspected["cnf"]["jkt"],
        thumbprint(&key).as_str(),
        "{introspected}"
    );

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, body) = token_request(&server, &form, basic, None).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("Bearer")),
        "{body}"
    );
    let bearer = body["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&server, &format!("Bearer {bearer}"), None).await.0,
        200
    );
    // An unbound token under the DPoP scheme is refused.
    let ath = b64(sha256(bearer.as_bytes()));
    let with_proof = proof(
        &key,
        "GET",
        &server.url("/userinfo"),
        now,
        json!({ "ath": ath }),
    );
    let (status, _) = userinfo(&server, &format!("DPoP {bearer}"), Some(&with_proof)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_client_with_dpop_bound_access_tokens_must_send_a_proof() {
    // RFC 9449 §5.2 `dpop_bound_access_tokens`.
    let server = TestServer::start().await;
    let secret = server
        .add_client("bound", |c| {
            c.dpop_bound_access_tokens = Some(true);
            c.access_token_format = Some("jwt".into());
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "bound", "openid").await;
    let basic = Some(("bound", secret.as_str()));
    let (status, body) = token_request(&server, &code_form(&code), basic, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    let now = server.provider.now();
    let key = dpop_key();
    let dpop = proof(&key, "POST", &server.url("/token"), now, json!({}));
    let (status, body) = token_request(&server, &code_form(&code), basic, Some(&dpop)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    // RFC 9449 §6.1: the JWT access token (RFC 9068) names the key it is bound to.
    let jwt = body["access_token"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(
        claims["cnf"]["jkt"].as_str(),
        Some(thumbprint(&key).as_str()),
        "{claims}"
    );
}

#[tokio::test]
async fn discovery_lists_the_dpop_algorithms() {
    // RFC 9449 §5.1: asymmetric algorithms only.
    let server = TestServer::start().await;
    let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs = metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.iter().any(|a| a == "ES256"));
    assert!(
        algs.iter()
            .all(|a| a != "none" && !a.as_str().unwrap().starts_with("HS"))
    );
}
