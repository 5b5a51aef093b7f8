//! Request objects encrypted to the provider (OIDC Core §6.1, RFC 9101 §6.1): made by panva's
//! `jose` (an implementation independent of ours) to the `use: enc` key our JWKS publishes,
//! decrypted with our keys, then checked as any other request object.

mod common;

use common::assertions::{jwks, key, rand_suffix};
use common::jwe::jose;
use common::trusted::jose_available;
use common::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_protocol::params::encode_pairs;
use oxid_provider::clock::Clock;
use serde_json::{Map, Value, json};

/// Good request-object claims of `rp`: the code flow with PKCE, aud the issuer.
fn claims(server: &TestServer) -> Map<String, Value> {
    let now = server.clock.now();
    json!({
        "iss": "rp", "aud": server.base, "iat": now, "exp": now + 60,
        "jti": format!("jti-{}", rand_suffix()), "client_id": "rp",
        "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
        "state": "inside-state", "nonce": "n", "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    })
    .as_object()
    .unwrap()
    .clone()
}

/// `plaintext` encrypted by `jose` to our published encryption key, with A256GCM.
async fn encrypt_to_provider(server: &TestServer, plaintext: &str) -> String {
    let keys: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["use"] == "enc")
        .expect("an encryption key in the JWKS")
        .clone();
    let alg = ours["alg"].as_str().unwrap_or("ECDH-ES").to_string();
    let answer = &jose(
        &[json!({"op": "encrypt", "plaintext": plaintext, "jwk": ours,
        "alg": alg, "enc": "A256GCM", "kid": ours["kid"], "cty": "JWT"})],
    )[0];
    answer["jwe"].as_str().expect("a JWE").to_string()
}

/// The redirect after `/authorize` with `client_id=rp` and `request=object`.
async fn authorize(
    server: &TestServer,
    browser: &reqwest::Client,
    object: &str,
) -> reqwest::Response {
    let pairs = [
        ("client_id", "rp"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("request", object),
    ];
    let query = encode_pairs(pairs.iter().copied());
    browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_then_encrypted_request_object_runs_the_flow_oidc_core_6_1() {
    if !jose_available() {
        return;
    }
    let server = TestServer::start().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    server
        .add_client("rp", |c| {
            c.jwks = Some(jwks(&[&rp_key]));
            c.request_object_signing_alg = Some("RS256".into());
        })
        .await;
    let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        metadata["request_object_encryption_alg_values_supported"]
            .as_array()
            .is_some_and(|algs| !algs.is_empty()),
        "{metadata}"
    );
    let signed = rp_key
        .sign_compact(
            Some("oauth-authz-req+jwt"),
            Map::new(),
            &Value::Object(claims(&server)),
        )
        .unwrap();
    let jwe = encrypt_to_provider(&server, &signed).await;
    assert_eq!(jwe.split('.').count(), 5);
    let browser = server.browser();
    let page = authorize(&server, &browser, &jwe).await;
    let done = answer_pages(&server, &browser, page, "allow").await;
    let (_, params) = location_params(&done);
    assert_eq!(params.get("state"), Some("inside-state"), "{params:?}");
    assert!(params.get("code").is_some(), "{params:?}");

    // Encrypted but not signed: an unsigned object, refused for a client that registered RS256.
    let bare = serde_json::to_string(&claims(&server)).unwrap();
    let jwe = encrypt_to_provider(&server, &bare).await;
    let refused = authorize(&server, &browser, &jwe).await;
    let (_, params) = location_params(&refused);
    assert_eq!(
        params.get("error"),
        Some("invalid_request_object"),
        "{params:?}"
    );

    // A JWE whose ciphertext was changed does not decrypt (the GCM tag fails).
    let signed = rp_key
        .sign_compact(
            Some("oauth-authz-req+jwt"),
            Map::new(),
            &Value::Object(claims(&server)),
        )
        .unwrap();
    let jwe = encrypt_to_provider(&server, &signed).await;
    let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
    parts[3] = format!("A{}", &parts[3][1..]);
    if parts[3] == jwe.split('.').nth(3).unwrap() {
        parts[3] = format!("B{}", &parts[3][1..]);
    }
    let refused = authorize(&server, &browser, &parts.join(".")).await;
    let (_, params) = location_params(&refused);
    assert_eq!(
        params.get("error"),
        Some("invalid_request_object"),
        "{params:?}"
    );
    assert!(
        params
            .get("error_description")
            .is_some_and(|d| d.contains("decrypt")),
        "{params:?}"
    );
}
