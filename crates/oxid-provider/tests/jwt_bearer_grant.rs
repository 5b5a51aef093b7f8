//! The JWT bearer grant over HTTP (RFC 7523 §2.1, §3): an assertion signed by a trusted
//! issuer is accepted once, for the user its `sub` names, with the scopes both the issuer and
//! the client may have; every failed check is `invalid_grant` naming it (§3.1).

mod common;

use common::assertions::key;
use common::trusted::*;
use common::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_provider::clock::Clock;
use serde_json::{Value, json};

/// A provider trusting the IdP's key, client `svc` registered for the grant.
async fn setup() -> (TestServer, oxid_client::signing::SigningKey, String) {
    let k = idp_key();
    let server = trusting_server(idp_jwks(&[&k]), "username", |_| {}).await;
    let secret = register_for(&server, "svc", &[JWT_BEARER]).await;
    (server, k, secret)
}

async fn grant(server: &TestServer, secret: &str, assertion: &str, scope: &str) -> (u16, Value) {
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", assertion),
        ("scope", scope),
    ];
    token_as(server, "svc", secret, &form).await
}

#[tokio::test]
async fn an_assertion_is_accepted_once_for_the_user_it_names_rfc7523_3() {
    let (server, k, secret) = setup().await;
    let assertion = sign(&k, &idp_claims(&server, USER));
    let (status, body) = grant(&server, &secret, &assertion, "openid api:read").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid api:read");
    assert!(body["id_token"].is_string(), "openid gives an ID token");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access_token = body["access_token"].as_str().unwrap();
    let seen = introspect_as(&server, "svc", &secret, access_token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["username"], USER);
    assert_eq!(seen["client_id"], "svc");

    // RFC 7523 §3 rule 7: the jti is remembered until the assertion expires.
    let replay = grant(&server, &secret, &assertion, "api:read").await;
    assert_error(&replay, "invalid_grant", "this jti was used before");
}

#[tokio::test]
async fn assertions_signed_by_jose_are_accepted_with_keys_from_the_jwks_uri() {
    // The IdP's keys and assertions come from panva's jose, not from our code.
    if !jose_available() {
        return;
    }
    let es = JoseKey::generate("ES256", "jose-es");
    let ps = JoseKey::generate("PS256", "jose-ps");
    let published = json!({"keys": [es.public.clone(), ps.public.clone()]});
    let server = trusting_server(published, "username", |_| {}).await;
    let secret = register_for(&server, "svc", &[JWT_BEARER]).await;
    for key in [&es, &ps] {
        let assertion = key.sign(&idp_claims(&server, USER));
        let (status, body) = grant(&server, &secret, &assertion, "api:read").await;
        assert_eq!(status, 200, "{} {body}", key.alg);
        assert_eq!(body["scope"], "api:read");
    }
    // A key the IdP does not publish, under a published kid.
    let other = JoseKey::generate("ES256", "jose-es");
    let refused = grant(
        &server,
        &secret,
        &other.sign(&idp_claims(&server, USER)),
        "api:read",
    )
    .await;
    assert_error(
        &refused,
        "invalid_grant",
        "does not verify with the issuer's keys",
    );
}

#[tokio::test]
async fn wrong_audience_expired_and_future_assertions_are_refused_rfc7523_3() {
    let (server, k, secret) = setup().await;
    let now = server.clock.now();
    let cases: [(&str, Value, &str); 6] = [
        (
            "aud",
            json!("https://other.example/token"),
            "aud must name one of",
        ),
        ("exp", json!(now - 120), "it has expired"),
        (
            "exp",
            json!(now + 3600),
            "exp is more than 300 seconds ahead",
        ),
        ("nbf", json!(now + 600), "nbf is in the future"),
        ("iat", json!(now + 600), "iat is in the future"),
        ("exp", json!("soon"), "exp is not a NumericDate"),
    ];
    for (claim, value, why) in cases {
        let mut claims = idp_claims(&server, USER);
        claims.insert(claim.into(), value);
        let refused = grant(&server, &secret, &sign(&k, &claims), "api:read").await;
        assert_error(&refused, "invalid_grant", why);
    }
    for missing in ["exp", "sub", "jti"] {
        let mut claims = idp_claims(&server, USER);
        claims.remove(missing);
        let refused = grant(&server, &secret, &sign(&k, &claims), "api:read").await;
        assert_error(&refused, "invalid_grant", &format!("{missing} is required"));
    }
    // Our issuer as the audience is accepted too (RFC 7523 §3 rule 3).
    let mut claims = idp_claims(&server, USER);
    claims.insert("aud".into(), json!([server.base.clone()]));
    let (status, body) = grant(&server, &secret, &sign(&k, &claims), "api:read").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn wrong_key_none_and_hmac_are_refused_rfc7523_3() {
    let (server, _, secret) = setup().await;
    let claims = idp_claims(&server, USER);
    // Another key under the IdP's kid.
    let impostor = key(JwsAlgorithm::ES256, "idp-1");
    let refused = grant(&server, &secret, &sign(&impostor, &claims), "api:read").await;
    assert_error(
        &refused,
        "invalid_grant",
        "does not verify with the issuer's keys",
    );
    let unknown_kid = key(JwsAlgorithm::ES256, "other");
    let refused = grant(&server, &secret, &sign(&unknown_kid, &claims), "api:read").await;
    assert_error(&refused, "invalid_grant", "no key of the issuer has kid");
    let encode = |v: &Value| oxid_protocol::jose::b64url_encode(v.to_string());
    let payload = encode(&Value::Object(claims.clone()));
    let none = format!("{}.{payload}.", encode(&json!({"alg": "none"})));
    let refused = grant(&server, &secret, &none, "api:read").await;
    assert_error(&refused, "invalid_grant", "alg 'none' is not accepted");
    // An HMAC would be keyed by a secret shared with us: never accepted (RFC 8725 §3.1).
    let hmac = format!("{}.{payload}.c2ln", encode(&json!({"alg": "HS256"})));
    let refused = grant(&server, &secret, &hmac, "api:read").await;
    assert_error(&refused, "invalid_grant", "alg 'HS256' is not accepted");
}

#[tokio::test]
async fn untrusted_issuer_and_unknown_subject_are_refused_rfc7523_3() {
    let (server, k, secret) = setup().await;
    let mut claims = idp_claims(&server, USER);
    claims.insert("iss".into(), json!("https://evil.example"));
    let refused = grant(&server, &secret, &sign(&k, &claims), "api:read").await;
    assert_error(&refused, "invalid_grant", "is not a trusted issuer");
    let claims = idp_claims(&server, "mallory");
    let refused = grant(&server, &secret, &sign(&k, &claims), "api:read").await;
    assert_error(
        &refused,
        "invalid_grant",
        "sub: no user is known by this subject",
    );
}

#[tokio::test]
async fn email_mapping_finds_the_user_by_verified_email() {
    let k = idp_key();
    let server = trusting_server(idp_jwks(&[&k]), "email", |_| {}).await;
    let secret = register_for(&server, "svc", &[JWT_BEARER]).await;
    let assertion = sign(&k, &idp_claims(&server, "alice@example.com"));
    let (status, body) = grant(&server, &secret, &assertion, "api:read").await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        introspect_as(&server, "svc", &secret, token).await["username"],
        USER
    );
    // The address's case is folded, as other providers fold it.
    let shouted = sign(&k, &idp_claims(&server, "Alice@EXAMPLE.com"));
    let (status, body) = grant(&server, &secret, &shouted, "api:read").await;
    assert_eq!(status, 200, "{body}");
    let by_username = sign(&k, &idp_claims(&server, USER));
    let refused = grant(&server, &secret, &by_username, "api:read").await;
    assert_error(
        &refused,
        "invalid_grant",
        "no user is known by this subject",
    );
}

#[tokio::test]
async fn scopes_are_limited_to_the_issuers_and_the_clients() {
    let (server, k, secret) = setup().await;
    // api:write: the client may have it, the issuer may not grant it.
    let assertion = sign(&k, &idp_claims(&server, USER));
    let refused = grant(&server, &secret, &assertion, "api:read api:write").await;
    assert_error(&refused, "invalid_scope", "not available through issuer");
    // The refused request did not spend the assertion's jti.
    let (status, body) = grant(&server, &secret, &assertion, "api:read").await;
    assert_eq!(status, 200, "{body}");
    // profile: the issuer could, the client may not.
    let assertion = sign(&k, &idp_claims(&server, USER));
    let refused = grant(&server, &secret, &assertion, "profile").await;
    assert_error(&refused, "invalid_scope", "not available to this client");
}

#[tokio::test]
async fn the_grant_is_listed_and_run_only_when_configured_and_registered_rfc6749_5_2() {
    let (server, k, _) = setup().await;
    let discovery: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!(JWT_BEARER)), "{grants:?}");
    // A client that did not register the grant: unauthorized_client.
    let other = register_for(&server, "web", &["client_credentials"]).await;
    let assertion = sign(&k, &idp_claims(&server, USER));
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", assertion.as_str()),
    ];
    let refused = token_as(&server, "web", &other, &form).await;
    assert_error(&refused, "unauthorized_client", "may not use grant_type");

    // No trusted issuer: not listed, and unsupported_grant_type; registration refuses it.
    let plain = TestServer::start().await;
    let discovery: Value = reqwest::get(plain.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(!grants.contains(&json!(JWT_BEARER)), "{grants:?}");
    let secret = plain.add_client("cc", |c| c.grant_types = vec!["client_credentials".into()]);
    let secret = secret.await;
    let refused = token_as(&plain, "cc", &secret, &form).await;
    assert_error(&refused, "unsupported_grant_type", "is not supported");
}

#[tokio::test]
async fn the_resource_is_the_tokens_audience_and_an_unknown_one_is_invalid_target_rfc8707_2() {
    const API: &str = "https://api.example.com/";
    let k = idp_key();
    let server = trusting_server(idp_jwks(&[&k]), "username", |s| {
        s.resources = vec![oxid_provider::resources::ResourceSetting {
            identifier: API.into(),
            scopes: vec!["api:read".into()],
            access_token_format: None,
            alg: None,
            lifetime: None,
            introspection_clients: vec![],
        }];
    })
    .await;
    let secret = register_for(&server, "svc", &[JWT_BEARER]).await;
    let assertion = sign(&k, &idp_claims(&server, USER));
    let form = |resource: &str| {
        vec![
            ("grant_type".to_string(), JWT_BEARER.to_string()),
            ("assertion".to_string(), assertion.clone()),
            ("scope".to_string(), "api:read".to_string()),
            ("resource".to_string(), resource.to_string()),
        ]
    };
    let send = |form: Vec<(String, String)>| {
        let server = &server;
        let secret = secret.clone();
        async move {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            token_as(server, "svc", &secret, &pairs).await
        }
    };
    // An unknown resource is refused before the jti is spent (RFC 8707 §2).
    let refused = send(form("https://elsewhere.example.com/")).await;
    assert_error(&refused, "invalid_target", "");
    // Scopes the resource does not accept are refused too.
    let mut wrong_scope = form(API);
    wrong_scope[2].1 = "api:write".into();
    let refused = send(wrong_scope).await;
    assert_eq!(refused.0, 400, "{}", refused.1);
    // The same assertion then gets a JWT access token for the resource.
    let (status, body) = send(form(API)).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).expect("a JWT access token");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], API, "{claims}");
    assert!(claims["sub"].is_string(), "{claims}");
}
