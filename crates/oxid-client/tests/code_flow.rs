//! The code flow against a provider played by the test: authorization URL, callback, code
//! exchange with PKCE, ID token validation (OIDC Core §3.1.3.7) and the key set cache.

mod common;

use common::op::{CLIENT_ID, NOW, Op, half_hash_256, unsigned};
use oxid_client::random::Pkce;
use oxid_client::{
    ClientAuth, ClientError, JwsAlgorithm, JwsError, SigningKey, basic_authentication_header,
};
use oxid_protocol::params::Params;
use oxid_protocol::scope::Scope;
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:7/cb";

#[tokio::test]
async fn code_flow_with_pkce_validates_the_id_token() {
    let op = Op::start().await;
    let client = op
        .client(ClientAuth::ClientSecretBasic("s:cret".into()))
        .await;
    let start = client
        .authorization_url(REDIRECT, &Scope::parse("openid profile").unwrap(), &[])
        .unwrap();
    let sent = Params::parse_query(start.url.split_once('?').unwrap().1).unwrap();
    assert!(start.url.starts_with(&op.mock.url("/authorize?")));
    assert_eq!(sent.get("client_id"), Some(CLIENT_ID));

    // The provider answers with the nonce it was given and an at_hash of the access token.
    let id_token = op.id_token(json!({
        "nonce": sent.get("nonce").unwrap(),
        "at_hash": half_hash_256("at-1"),
        "auth_time": NOW - 10,
    }));
    op.mock.set_json(
        "/token",
        200,
        &json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 300, "refresh_token": "rt-1", "id_token": id_token}),
    );
    let callback = format!(
        "?code=c-1&state={}&iss={}",
        sent.get("state").unwrap(),
        url::form_urlencoded::byte_serialize(op.mock.base.as_bytes()).collect::<String>()
    );
    let response = client.handle_callback(&start.session, &callback).unwrap();
    let tokens = client
        .exchange_code(&start.session, response.code.as_deref().unwrap())
        .await
        .unwrap();
    let claims = tokens.id_token.unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(tokens.response.refresh_token.as_deref(), Some("rt-1"));

    // RFC 6749 §4.1.3 + RFC 7636 §4.5: code, redirect_uri and the verifier of the challenge.
    let request = op.mock.last("/token");
    let form = request.form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "c-1");
    assert_eq!(form["redirect_uri"], REDIRECT);
    assert_eq!(
        Pkce::from_verifier(form["code_verifier"].clone()).challenge,
        sent.get("code_challenge").unwrap()
    );
    assert!(!form.contains_key("client_secret"));
    assert_eq!(
        request.header("authorization").unwrap(),
        basic_authentication_header(CLIENT_ID, "s:cret")
    );
}

#[tokio::test]
async fn callback_without_iss_is_refused_when_advertised_rfc9207() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let start = client
        .authorization_url(REDIRECT, &Scope::parse("openid").unwrap(), &[])
        .unwrap();
    let callback = format!("code=c&state={}", start.session.state);
    assert!(matches!(
        client.handle_callback(&start.session, &callback),
        Err(ClientError::Callback(_))
    ));
}

#[tokio::test]
async fn id_token_claims_are_checked_oidc_core_3_1_3_7() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let validate = |token: String| {
        let client = &client;
        async move {
            client
                .validate_id_token(&token, Some("n-1"), Some("at-1"), None, None)
                .await
        }
    };
    assert!(validate(op.id_token(json!({"nonce": "n-1"}))).await.is_ok());
    for (why, extra) in [
        ("nonce", json!({"nonce": "n-2"})),
        ("no nonce", json!({})),
        ("audience", json!({"nonce": "n-1", "aud": "other"})),
        (
            "untrusted extra audience",
            json!({"nonce": "n-1", "aud": [CLIENT_ID, "other"], "azp": CLIENT_ID}),
        ),
        (
            "issuer",
            json!({"nonce": "n-1", "iss": "https://evil.example"}),
        ),
        ("expired", json!({"nonce": "n-1", "exp": NOW - 120})),
        ("future iat", json!({"nonce": "n-1", "iat": NOW + 3600})),
        (
            "at_hash",
            json!({"nonce": "n-1", "at_hash": half_hash_256("at-2")}),
        ),
    ] {
        let result = validate(op.id_token(extra)).await;
        assert!(result.is_err(), "{why} accepted");
    }
    // max_age requires auth_time (OIDC Core §3.1.2.1) and a recent one.
    let token = op.id_token(json!({"nonce": "n-1"}));
    assert!(
        client
            .validate_id_token(&token, Some("n-1"), None, None, Some(60))
            .await
            .is_err()
    );
    let token = op.id_token(json!({"nonce": "n-1", "auth_time": NOW - 600}));
    assert!(
        client
            .validate_id_token(&token, Some("n-1"), None, None, Some(60))
            .await
            .is_err()
    );
    let token = op.id_token(
        json!({"nonce": "n-1", "auth_time": NOW - 30, "c_hash": half_hash_256("code-1")}),
    );
    assert!(
        client
            .validate_id_token(&token, Some("n-1"), None, Some("code-1"), Some(60))
            .await
            .is_ok()
    );
    assert!(
        client
            .validate_id_token(&token, Some("n-1"), None, Some("code-2"), Some(60))
            .await
            .is_err()
    );
    // Time moves: the same token expires.
    op.clock.advance(3600);
    assert!(
        client
            .validate_id_token(&token, Some("n-1"), None, None, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn forged_signatures_are_refused() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let claims = op.claims(json!({}));
    // alg none.
    assert!(matches!(
        client
            .validate_id_token(&unsigned(&claims), None, None, None, None)
            .await,
        Err(ClientError::Jws(JwsError::AlgorithmNotAllowed(_)))
    ));
    // Tampered payload.
    let token = op.id_token(json!({}));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let forged = op.id_token(json!({"sub": "mallory"}));
    parts[1] = forged.split('.').nth(1).unwrap().to_owned();
    assert!(
        client
            .validate_id_token(&parts.join("."), None, None, None, None)
            .await
            .is_err()
    );
    // Another key with the same kid.
    let impostor = SigningKey::generate(JwsAlgorithm::ES256, Some("k1".into())).unwrap();
    assert!(matches!(
        client
            .validate_id_token(&op.sign_with(&impostor, &claims), None, None, None, None)
            .await,
        Err(ClientError::Jws(JwsError::BadSignature))
    ));
    // HS256 keyed with the provider's public key: no secret here, so never an HMAC key.
    let public = serde_json::to_vec(&op.key.public_jwk().unwrap()).unwrap();
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, &public, Some("k1".into())).unwrap();
    assert!(
        client
            .validate_id_token(&op.sign_with(&hmac, &claims), None, None, None, None)
            .await
            .is_err()
    );
    // A JWT access token or a logout token signed by the right key is still no ID token.
    for typ in ["at+jwt", "logout+jwt", "application/at+jwt"] {
        let token = op
            .key
            .sign_compact(Some(typ), serde_json::Map::new(), &claims)
            .unwrap();
        assert!(matches!(
            client
                .validate_id_token(&token, None, None, None, None)
                .await,
            Err(ClientError::InvalidToken(_))
        ));
    }
    // Garbage is an error, not a panic.
    for garbage in ["", "a.b", "a.b.c", "....", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"] {
        assert!(
            client
                .validate_id_token(garbage, None, None, None, None)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn hs256_id_tokens_verify_with_the_client_secret_oidc_core_10_1() {
    let op = Op::start().await;
    let client = op
        .client(ClientAuth::ClientSecretPost("shared-secret".into()))
        .await;
    let right = SigningKey::hmac(JwsAlgorithm::HS256, b"shared-secret", None).unwrap();
    let wrong = SigningKey::hmac(JwsAlgorithm::HS256, b"other-secret", None).unwrap();
    let claims = op.claims(json!({}));
    assert!(
        client
            .validate_id_token(&op.sign_with(&right, &claims), None, None, None, None)
            .await
            .is_ok()
    );
    assert!(
        client
            .validate_id_token(&op.sign_with(&wrong, &claims), None, None, None, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn unknown_kid_refetches_the_key_set_once_with_a_rate_limit() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let claims = op.claims(json!({}));
    client
        .validate_id_token(&op.id_token(json!({})), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(op.mock.requests("/jwks").len(), 1);
    // Cached: no new fetch.
    client
        .validate_id_token(&op.id_token(json!({})), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(op.mock.requests("/jwks").len(), 1);

    // The provider rotates to k2 after the last fetch; the first k2 token triggers a refetch.
    op.clock.advance(61);
    let k2 = SigningKey::generate(JwsAlgorithm::EdDSA, Some("k2".into())).unwrap();
    op.publish(&[&op.key, &k2]);
    client
        .validate_id_token(
            &op.sign_with(&k2, &op.claims(json!({"iat": NOW + 61, "exp": NOW + 400}))),
            None,
            None,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(op.mock.requests("/jwks").len(), 2);

    // A burst of unknown kids within the interval costs no further fetch.
    let k3 = SigningKey::generate(JwsAlgorithm::ES256, Some("k3".into())).unwrap();
    for _ in 0..5 {
        assert!(matches!(
            client
                .validate_id_token(&op.sign_with(&k3, &claims), None, None, None, None)
                .await,
            Err(ClientError::Jws(JwsError::UnknownKid(_)))
        ));
    }
    assert_eq!(op.mock.requests("/jwks").len(), 2);
    // After the interval, one more fetch is allowed.
    op.clock.advance(60);
    let _ = client
        .validate_id_token(&op.sign_with(&k3, &claims), None, None, None, None)
        .await;
    assert_eq!(op.mock.requests("/jwks").len(), 3);
}

#[tokio::test]
async fn back_channel_logout_tokens_are_validated_backchannel_2_6() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let event = json!({"http://schemas.openid.net/event/backchannel-logout": {}});
    let sign = |extra: serde_json::Value, typ: &str| {
        let mut claims = op.claims(json!({"jti": "j-1", "events": event, "sid": "s-1"}));
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        op.key
            .sign_compact(Some(typ), serde_json::Map::new(), &claims)
            .unwrap()
    };
    let checks = oxid_client::id_token::LogoutTokenChecks::default();
    let claims = client
        .validate_logout_token(&sign(json!({}), "logout+jwt"), &checks)
        .await
        .unwrap();
    assert_eq!(claims.sid.as_deref(), Some("s-1"));
    for (why, token) in [
        ("nonce", sign(json!({"nonce": "n"}), "logout+jwt")),
        ("no event", sign(json!({"events": {}}), "logout+jwt")),
        (
            "no sub nor sid",
            sign(json!({"sid": null, "sub": null}), "logout+jwt"),
        ),
        ("an ID token typ", sign(json!({}), "at+jwt")),
    ] {
        assert!(
            client.validate_logout_token(&token, &checks).await.is_err(),
            "{why}"
        );
    }
    // A replayed jti is refused through the caller's check.
    let seen = |jti: &str| {
        if jti == "j-1" {
            Err("seen".to_string())
        } else {
            Ok(())
        }
    };
    let replay = oxid_client::id_token::LogoutTokenChecks {
        unique_jti: Some(&seen),
        ..Default::default()
    };
    assert!(
        client
            .validate_logout_token(&sign(json!({}), "logout+jwt"), &replay)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn id_token_is_required_only_when_openid_was_asked_oidc_core_3_1_3_3() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    op.mock.set_json(
        "/token",
        200,
        &json!({"access_token": "at", "token_type": "Bearer"}),
    );
    let oauth = client
        .authorization_url(REDIRECT, &Scope::parse("api").unwrap(), &[])
        .unwrap();
    let tokens = client.exchange_code(&oauth.session, "c").await.unwrap();
    assert!(tokens.id_token.is_none());
    let oidc = client
        .authorization_url(REDIRECT, &Scope::parse("openid").unwrap(), &[])
        .unwrap();
    assert!(matches!(
        client.exchange_code(&oidc.session, "c").await,
        Err(ClientError::InvalidToken(_))
    ));
}
