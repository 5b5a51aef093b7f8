//! The suite's baseline checks (token response, ID token, UserInfo, error redirects and
//! pages), shared by every conformance mirror.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// RFC 6749 §5.2 / §4.1.2.1: error_description characters (%x20-21 / %x23-5B / %x5D-7E).
pub fn valid_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Shannon entropy of `s` in bits, times its length, as the suite measures it.
pub fn measured_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// OIDC Core §3.1.3.3: 200, JSON, access_token, token_type, a valid expires_in, id_token.
pub fn check_token_response(answer: &TokenAnswer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.cache_control, "no-store", "RFC 6749 §5.1");
    let body = &answer.body;
    let access_token = body["access_token"].as_str().expect("access_token");
    assert!(!access_token.is_empty());
    // RFC 6749 Appendix A.12: access_token = 1*VSCHAR.
    assert!(access_token.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    );
    assert!(
        body["expires_in"].as_u64().is_some_and(|e| e > 0),
        "expires_in: {}",
        body["expires_in"]
    );
    assert!(body["id_token"].is_string(), "OIDC Core §3.1.3.3 id_token");
    body.clone()
}

/// The baseline ID token checks of every module (OIDC Core §2, §3.1.3.7): signature via the
/// JWKS, iss, aud, exp, iat, auth_time, nonce, acr, sub, and at_hash when present (§3.1.3.6).
pub async fn check_id_token(
    server: &TestServer,
    id_token: &str,
    client_id: &str,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Value {
    let claims = verify_jws_with_jwks(server, id_token).await;
    let now = now(server);
    assert_eq!(claims["iss"], server.base.as_str(), "iss is the issuer");
    let aud_ok = match &claims["aud"] {
        Value::String(aud) => aud == client_id,
        Value::Array(auds) => auds.iter().any(|a| a == client_id),
        _ => false,
    };
    assert!(aud_ok, "aud contains client_id: {}", claims["aud"]);
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(exp + 300 > now, "not expired (5 minutes skew)");
    assert!(exp < now + 365 * 86400, "exp not absurdly far off");
    let iat = claims["iat"].as_u64().expect("iat");
    assert!(iat <= now + 300, "iat not in the future");
    assert!(iat + 300 >= now, "iat not more than 5 minutes old");
    if let Some(auth_time) = claims.get("auth_time") {
        let auth_time = auth_time.as_u64().expect("auth_time is a number");
        assert!(auth_time <= now + 300, "auth_time not in the future");
        assert!(auth_time + 365 * 86400 > now, "auth_time under a year old");
    }
    match nonce {
        Some(nonce) => assert_eq!(claims["nonce"], nonce, "nonce is the request's"),
        None => assert!(claims.get("nonce").is_none(), "no nonce was sent"),
    }
    if let Some(acr) = claims.get("acr") {
        assert!(acr.as_str().is_some_and(|a| !a.is_empty()), "acr non-empty");
    }
    assert!(
        claims["sub"].as_str().is_some_and(|s| !s.is_empty()),
        "sub present"
    );
    if let (Some(at_hash), Some(access_token)) = (claims.get("at_hash"), access_token) {
        assert_eq!(
            at_hash.as_str().unwrap(),
            half_hash(id_token, access_token),
            "at_hash is correct (OIDC Core §3.1.3.6)"
        );
    }
    check_claim_types(&claims);
    claims
}

/// The left half of the hash of `value` with the hash of `id_token`'s `alg` (OIDC Core
/// §3.1.3.6, §3.3.2.11): SHA-512 for EdDSA (Ed25519), as the suite and oidc-provider compute
/// it; the `alg`'s own SHA-2 otherwise.
pub fn half_hash(id_token: &str, value: &str) -> String {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest};
    let jws = oxid_protocol::jose::CompactJws::parse(id_token).expect("a compact JWS");
    let alg = jws.header().alg.clone();
    let hash = match alg.as_str() {
        "EdDSA" => &SHA512,
        a if a.ends_with("512") => &SHA512,
        a if a.ends_with("384") => &SHA384,
        _ => &SHA256,
    };
    let digest = digest(hash, value.as_bytes());
    let half = &digest.as_ref()[..digest.as_ref().len() / 2];
    URL_SAFE_NO_PAD.encode(half)
}

/// OIDC Core §5.1: standard claims well typed.
pub fn check_claim_types(claims: &Value) {
    for name in [
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "email",
        "phone_number",
        "locale",
        "zoneinfo",
    ] {
        if let Some(v) = claims.get(name) {
            assert!(v.is_string(), "{name} is a string: {v}");
        }
    }
    for name in ["email_verified", "phone_number_verified"] {
        if let Some(v) = claims.get(name) {
            assert!(v.is_boolean(), "{name} is a boolean: {v}");
        }
    }
    if let Some(v) = claims.get("updated_at") {
        assert!(v.is_u64(), "updated_at is a number: {v}");
    }
    if let Some(v) = claims.get("address") {
        assert!(v.is_object(), "address is an object: {v}");
    }
}

/// The status of a UserInfo GET with `access_token` as the bearer token.
pub async fn userinfo_status(server: &TestServer, access_token: &str) -> u16 {
    reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// OIDC Core §5.3: GET with the bearer header; 200 and JSON.
pub async fn userinfo_get(server: &TestServer, access_token: &str) -> Value {
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    read_userinfo(response).await
}

pub async fn read_userinfo(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "UserInfo accepts the access token");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["sub"].is_string());
    body
}

/// An error sent back to the client (OIDC Core §3.1.2.6): error, state, iss, no code and
/// well-formed error_description / error_uri.
pub fn check_error_redirect(server: &TestServer, response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "{}", response.status());
    let (base, params) = location_params(response);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("state"), Some(STATE), "state is echoed");
    assert_eq!(params.get("iss"), Some(server.base.as_str()));
    assert!(params.get("code").is_none(), "no code with an error");
    assert!(valid_error_text(params.get("error").expect("error")));
    if let Some(description) = params.get("error_description") {
        assert!(valid_error_text(description), "{description}");
    }
    if let Some(uri) = params.get("error_uri") {
        assert!(valid_error_text(uri) && !uri.contains(' '), "{uri}");
    }
    params.get("error").unwrap().to_string()
}

/// An HTML error page: not a redirect, to the bad URI or to any other.
pub async fn check_error_page(response: reqwest::Response) {
    assert!(
        !response.status().is_redirection(),
        "must not redirect ({})",
        response.status()
    );
    assert!(response.headers().get("location").is_none());
    assert!(response.status().is_client_error(), "{}", response.status());
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("name=\"password\""),
        "an error, not a login page"
    );
}

/// A 400 HTML error page, never a redirect, that names `error`.
pub async fn check_error_page_naming(response: reqwest::Response, error: &str) {
    assert_eq!(response.status(), 400);
    assert!(
        response.headers().get("location").is_none(),
        "must not redirect"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(error), "{html}");
}

/// A token endpoint error (RFC 6749 §5.2): 400, JSON, `error`, valid description.
pub fn check_token_error(answer: &TokenAnswer, error: &str) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.body["error"], error);
    if let Some(description) = answer.body["error_description"].as_str() {
        assert!(valid_error_text(description), "{description}");
    }
}

/// A suite-hosted `request_uri` on 127.0.0.1 (OIDC Core §6.2): serves what the returned
/// cell holds, so the object can be made once the client is registered.
pub async fn serve_request_object() -> (String, std::sync::Arc<std::sync::Mutex<String>>) {
    use axum::routing::get;
    let cell = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let served = cell.clone();
    let app = axum::Router::new().route(
        "/requests/Xk3q9T",
        get(move || async move { served.lock().unwrap().clone() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/requests/Xk3q9T", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, cell)
}

/// An unsigned request object (alg none) carrying `claims`.
pub fn unsigned_request_object(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

pub fn auth_time(claims: &Value) -> u64 {
    claims["auth_time"].as_u64().expect("auth_time")
}
