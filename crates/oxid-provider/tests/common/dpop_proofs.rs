//! DPoP proofs (RFC 9449 §4.2) and key thumbprints for the DPoP and FAPI 2.0 tests, and the
//! browser half of an authorization request given as a query string.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use serde_json::{Value, json};

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new ES256 proof key.
pub fn dpop_key() -> SigningKey {
    SigningKey::generate(JwsAlgorithm::ES256, None).unwrap()
}

/// A proof by `key` (ES256) for `method` `url` at `iat`, with the claims of `extra` over the
/// defaults (`nonce`, `ath`, ...).
pub fn dpop_proof(key: &SigningKey, method: &str, url: &str, iat: u64, extra: Value) -> String {
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk().unwrap()});
    let mut claims =
        json!({"jti": assertions::rand_suffix(), "htm": method, "htu": url, "iat": iat});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// RFC 7638 thumbprint of an EC key.
pub fn dpop_thumbprint(key: &SigningKey) -> String {
    let jwk = key.public_jwk().unwrap();
    let input = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    b64(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        input.as_bytes(),
    ))
}

/// `ath` of `access_token` (RFC 9449 §4.2).
pub fn dpop_ath(access_token: &str) -> String {
    b64(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        access_token.as_bytes(),
    ))
}

/// Logs in and consents after `GET /authorize?{query}`: the redirect's parameters.
pub async fn authorize_query(
    server: &TestServer,
    browser: &reqwest::Client,
    query: &str,
) -> Params {
    let page = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    if page.status() != 200 {
        return location_params(&page).1;
    }
    let html = page.text().await.unwrap();
    let after_login = submit_login(server, browser, &html, USER, PASSWORD).await;
    let response = if after_login.status() == 200 {
        let html = after_login.text().await.unwrap();
        submit_consent(server, browser, &html, "allow").await
    } else {
        after_login
    };
    assert_eq!(response.status(), 303, "expected a redirect to the client");
    location_params(&response).1
}
