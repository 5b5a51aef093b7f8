//! A hostile provider's answers are input: every malformed answer is an error, never a
//! panic, and a broken key never makes a forged token pass.

mod common;

use common::op::Op;
use oxid_client::{ClientAuth, ClientError, JwsAlgorithm, SigningKey};
use serde_json::json;

#[tokio::test]
async fn malformed_key_sets_are_errors() {
    let op = Op::start().await;
    let token = op.id_token(json!({}));
    for body in [
        "not json".to_string(),
        "[]".into(),
        "{}".into(),
        r#"{"keys": {}}"#.into(),
        r#"{"keys": "x"}"#.into(),
    ] {
        // A fresh client each time, so each fetch is a first fetch.
        let client = op.client(ClientAuth::None).await;
        op.mock.set("/jwks", 200, "application/json", body.clone());
        assert!(
            client
                .validate_id_token(&token, None, None, None, None)
                .await
                .is_err(),
            "{body}"
        );
    }
    op.mock.set("/jwks", 500, "text/plain", "down");
    let client = op.client(ClientAuth::None).await;
    assert!(matches!(
        client
            .validate_id_token(&token, None, None, None, None)
            .await,
        Err(ClientError::Status { status: 500, .. })
    ));
}

#[tokio::test]
async fn broken_keys_are_skipped_and_good_ones_still_work() {
    let op = Op::start().await;
    let good = op.key.public_jwk().unwrap();
    let keys = json!({"keys": [
        42,
        {"kty": 5},
        {"kty": "RSA", "kid": "k1", "n": "!!", "e": "AQAB"},
        {"kty": "oct", "kid": "k1", "k": "c2VjcmV0"},
        {"kty": "EC", "kid": "k1", "crv": "P-256", "x": "AA", "y": "AA"},
        good,
    ]});
    op.mock.set_json("/jwks", 200, &keys);
    let client = op.client(ClientAuth::None).await;
    client
        .validate_id_token(&op.id_token(json!({})), None, None, None, None)
        .await
        .unwrap();
    // The oct key with the same kid never verifies an HS256 token (no client secret here).
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, b"secret", Some("k1".into())).unwrap();
    assert!(
        client
            .validate_id_token(
                &op.sign_with(&hmac, &op.claims(json!({}))),
                None,
                None,
                None,
                None
            )
            .await
            .is_err()
    );
}

#[tokio::test]
async fn malformed_claims_and_answers_are_errors() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    for claims in [
        json!({"iss": 1}),
        json!({"sub": "alice"}),
        json!({"iss": op.mock.base, "sub": "alice", "aud": CLIENT_AUD, "iat": "soon", "exp": 1}),
        json!([1, 2, 3]),
        json!("string"),
    ] {
        let token = op.sign_with(&op.key, &claims);
        assert!(
            client
                .validate_id_token(&token, None, None, None, None)
                .await
                .is_err(),
            "{claims}"
        );
    }
    for body in ["", "null", "[]", r#"{"email": "no sub"}"#, "<html>"] {
        op.mock.set("/userinfo", 200, "application/json", body);
        assert!(client.userinfo("at", None).await.is_err(), "{body}");
    }
    op.mock
        .set("/userinfo", 200, "application/jwt", "not.a.jwt.at.all");
    assert!(client.userinfo("at", None).await.is_err());
    for body in ["", "{}", r#"{"active": "yes"}"#] {
        op.mock.set("/introspect", 200, "application/json", body);
        assert!(client.introspect("t", None).await.is_err(), "{body}");
    }
}

const CLIENT_AUD: &str = common::op::CLIENT_ID;
