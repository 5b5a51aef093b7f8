//! JWT client authentication over HTTP (RFC 7523 §2.2, §3; OIDC Core §9), the rules of the
//! assertion: `private_key_jwt` with each algorithm and registered `jwks`, `client_secret_jwt`
//! with the client's secret; each rule accepted and refused. Keys from a `jwks_uri` and the
//! other endpoints: jwt_client_auth_keys.rs.

mod common;

use common::assertions::*;
use common::{TestServer, api_scopes};
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use oxid_protocol::jose::b64url_encode;
use oxid_provider::clock::Clock;
use serde_json::{Value, json};

#[tokio::test]
async fn private_key_jwt_with_each_alg_is_accepted_and_a_wrong_key_refused() {
    let server = server().await;
    for (alg, name) in [
        (JwsAlgorithm::RS256, "rs"),
        (JwsAlgorithm::PS256, "ps"),
        (JwsAlgorithm::ES256, "es"),
        (JwsAlgorithm::EdDSA, "ed"),
    ] {
        let id = format!("pk-{name}");
        let registered = key(alg, "k1");
        register_key(&server, &id, &registered).await;
        let good = sign(&registered, &claims(&server, &id));
        assert_accepted(token_with(&server, Some(&id), &good).await);
        // Another key with the same kid: the signature does not verify.
        let impostor = key(alg, "k1");
        let forged = sign(&impostor, &claims(&server, &id));
        let refused = token_with(&server, Some(&id), &forged).await;
        assert_refused(refused, "signature does not verify");
    }
}

#[tokio::test]
async fn client_secret_jwt_is_accepted_and_a_wrong_secret_refused() {
    let server = server().await;
    let secret = register_jwt_client(&server, "cs", "client_secret_jwt", json!({})).await;
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, secret.as_bytes(), None).unwrap();
    assert_accepted(token_with(&server, Some("cs"), &sign(&hmac, &claims(&server, "cs"))).await);
    let wrong = SigningKey::hmac(
        JwsAlgorithm::HS256,
        b"another-secret-0123456789abcdefghij",
        None,
    );
    let forged = sign(&wrong.unwrap(), &claims(&server, "cs"));
    assert_refused(
        token_with(&server, Some("cs"), &forged).await,
        "authentication failed",
    );
}

#[tokio::test]
async fn client_id_may_be_left_out_the_assertion_names_the_client_rfc7521_4_2() {
    let (server, k) = private_key_client(JwsAlgorithm::ES256).await;
    assert_accepted(token_with(&server, None, &sign(&k, &claims(&server, "pk"))).await);
    // A client_id naming another client than the assertion's sub.
    register_key(&server, "other", &k).await;
    let refused = token_with(&server, Some("other"), &sign(&k, &claims(&server, "pk"))).await;
    assert_refused(refused, "iss must be the client_id");
}

#[tokio::test]
async fn oidcc_ensure_client_assertion_with_iss_aud_succeeds() {
    let (server, k) = private_key_client(JwsAlgorithm::RS256).await;
    for aud in [
        json!(server.base),
        json!([server.url("/token")]),
        json!(["x", server.base]),
    ] {
        assert_accepted(token_with_claim(&server, &k, "aud", aud).await);
    }
    // The same with client_secret_jwt.
    let secret = register_jwt_client(&server, "cs", "client_secret_jwt", json!({})).await;
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, secret.as_bytes(), None).unwrap();
    let mut c = claims(&server, "cs");
    c.insert("aud".into(), json!(server.base));
    assert_accepted(token_with(&server, Some("cs"), &sign(&hmac, &c)).await);
}

#[tokio::test]
async fn a_wrong_aud_iss_or_sub_is_refused_rfc7523_3() {
    let (server, k) = private_key_client(JwsAlgorithm::RS256).await;
    let cases = [
        (
            "aud",
            json!("https://elsewhere.example/token"),
            "aud must be one of",
        ),
        (
            "aud",
            json!(server.url("/introspect")),
            "aud must be one of",
        ),
        ("aud", json!([]), "aud must be one of"),
        ("iss", json!("someone-else"), "iss must be the client_id"),
        ("sub", json!("someone-else"), "sub must be the client_id"),
    ];
    for (claim, value, why) in cases {
        assert_refused(token_with_claim(&server, &k, claim, value).await, why);
    }
    let mut c = claims(&server, "pk");
    c.remove("aud");
    assert_refused(
        token_with(&server, Some("pk"), &sign(&k, &c)).await,
        "aud must be",
    );
}

#[tokio::test]
async fn exp_is_required_not_passed_and_not_far_ahead() {
    // A deployment that shortens the default hour.
    let server = TestServer::start_with(|s| {
        s.client_assertions.max_lifetime_seconds = 300;
        s.scopes = api_scopes(&["api:read"]);
    })
    .await;
    let k = key(JwsAlgorithm::ES256, "k1");
    register_key(&server, "pk", &k).await;
    let now = server.clock.now();
    let mut c = claims(&server, "pk");
    c.remove("exp");
    assert_refused(
        token_with(&server, Some("pk"), &sign(&k, &c)).await,
        "exp is required",
    );
    // Expired beyond the leeway (60 s by default); within it, still accepted. At most
    // max_lifetime_seconds ahead (plus the leeway).
    let max = server
        .provider
        .config()
        .client_assertions
        .max_lifetime_seconds;
    assert_eq!(max, 300);
    let cases = [
        (now - 61, Some("expired")),
        (now - 30, None),
        (now + max + 61, Some("seconds ahead")),
        (now + max, None),
    ];
    for (exp, refusal) in cases {
        let answer = token_with_claim(&server, &k, "exp", json!(exp)).await;
        match refusal {
            Some(why) => assert_refused(answer, why),
            None => assert_accepted(answer),
        }
    }
}

#[tokio::test]
async fn iat_and_nbf_in_the_future_are_refused_beyond_the_leeway() {
    let (server, k) = private_key_client(JwsAlgorithm::ES256).await;
    let now = server.clock.now();
    for claim in ["iat", "nbf"] {
        let why = format!("{claim} is in the future");
        let future = token_with_claim(&server, &k, claim, json!(now + 120)).await;
        assert_refused(future, &why);
        let within_leeway = token_with_claim(&server, &k, claim, json!(now + 30)).await;
        assert_accepted(within_leeway);
    }
}

#[tokio::test]
async fn a_replayed_jti_is_refused_oidc_core_9() {
    let (server, k) = private_key_client(JwsAlgorithm::ES256).await;
    let c = claims(&server, "pk");
    let assertion = sign(&k, &c);
    assert_accepted(token_with(&server, Some("pk"), &assertion).await);
    assert_refused(
        token_with(&server, Some("pk"), &assertion).await,
        "replayed",
    );
    // The same jti in a new assertion is a replay too.
    let mut again = claims(&server, "pk");
    again.insert("jti".into(), c["jti"].clone());
    assert_refused(
        token_with(&server, Some("pk"), &sign(&k, &again)).await,
        "replayed",
    );
    let mut no_jti = claims(&server, "pk");
    no_jti.remove("jti");
    assert_refused(
        token_with(&server, Some("pk"), &sign(&k, &no_jti)).await,
        "jti is required",
    );
}

#[tokio::test]
async fn alg_none_and_hs256_with_private_key_jwt_are_refused() {
    let server = server().await;
    let k = key(JwsAlgorithm::RS256, "k1");
    let secret = register_key(&server, "pk", &k).await;
    let c = Value::Object(claims(&server, "pk"));
    let unsigned = format!(
        "{}.{}.",
        b64url_encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64url_encode(serde_json::to_vec(&c).unwrap())
    );
    assert_refused(
        token_with(&server, Some("pk"), &unsigned).await,
        "not accepted",
    );
    // HS256 keyed by the client's secret (or by its public key's bytes): not this method.
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, secret.as_bytes(), None).unwrap();
    let hs = sign(&hmac, &claims(&server, "pk"));
    let refused = token_with(&server, Some("pk"), &hs).await;
    assert_refused(refused, "must authenticate with private_key_jwt");
}

#[tokio::test]
async fn the_registered_signing_alg_is_the_only_one_accepted() {
    let server = server().await;
    let rs = key(JwsAlgorithm::RS256, "rs");
    let es = key(JwsAlgorithm::ES256, "es");
    let metadata = json!({
        "jwks": jwks(&[&rs, &es]),
        "token_endpoint_auth_signing_alg": "ES256",
    });
    register_jwt_client(&server, "pk", "private_key_jwt", metadata).await;
    assert_accepted(token_with(&server, Some("pk"), &sign(&es, &claims(&server, "pk"))).await);
    let refused = token_with(&server, Some("pk"), &sign(&rs, &claims(&server, "pk"))).await;
    assert_refused(refused, "registered token_endpoint_auth_signing_alg ES256");
}
