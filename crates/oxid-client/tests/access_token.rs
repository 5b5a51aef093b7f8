//! The resource-server side (seed 004's `JwtAccessToken` consumer): JWT access tokens signed
//! here and checked against the provider's published keys (RFC 9068 §4), opaque tokens
//! through introspection (RFC 7662 §2), and the Bearer challenge of a refusal (RFC 6750 §3).

mod common;

use common::op::{NOW, Op, unsigned};
use oxid_client::access_token::{AccessTokenVerifier, VerifiedAccessToken};
use oxid_client::{
    ClientAuth, ClientError, DiscoveryOptions, HttpClient, JwsAlgorithm, Provider, SigningKey,
};
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::scope::Scope;
use serde_json::{Map, Value, json};

const API: &str = "https://api.example.com";

async fn provider(op: &Op) -> Provider {
    Provider::discover(
        &HttpClient::new().unwrap(),
        &op.mock.base,
        DiscoveryOptions::default(),
    )
    .await
    .unwrap()
}

async fn verifier(op: &Op) -> AccessTokenVerifier {
    let provider = provider(op).await;
    AccessTokenVerifier::new(HttpClient::new().unwrap(), op.clock.clone(), &provider, API)
}

/// RFC 9068 §2.2 claims, with `extra` merged over them.
fn at_claims(op: &Op, extra: Value) -> Value {
    let mut claims = json!({
        "iss": op.mock.base, "exp": NOW + 300, "aud": API, "sub": "alice",
        "client_id": "app", "iat": NOW, "jti": "at-1", "scope": "openid read:records",
        "auth_time": NOW - 30, "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "otp"],
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn sign(key: &SigningKey, typ: &str, claims: &Value) -> String {
    key.sign_compact(Some(typ), Map::new(), claims).unwrap()
}

fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

#[tokio::test]
async fn jwt_access_token_accepted_with_its_claims_rfc9068_4() {
    let op = Op::start().await;
    let verifier = verifier(&op).await;
    let token = sign(&op.key, "at+jwt", &at_claims(&op, json!({})));
    let claims = verifier.verify_jwt(&token).await.unwrap();
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    assert_eq!(claims.auth_time, Some(NOW - 30));
    assert_eq!(claims.acr.as_deref(), Some("urn:mace:incommon:iap:silver"));
    assert_eq!(claims.amr, Some(vec!["pwd".to_string(), "otp".to_string()]));
    // `application/at+jwt` is the same type (RFC 9068 §4).
    let long_typ = sign(&op.key, "application/at+jwt", &at_claims(&op, json!({})));
    assert!(verifier.verify_jwt(&long_typ).await.is_ok());
    // Through the header, with the scope the API needs.
    let header = format!("Bearer {token}");
    let verified = verifier
        .authorize(Some(&header), &scope("read:records"))
        .await
        .unwrap();
    assert_eq!(verified.subject(), Some("alice"));
    assert_eq!(verified.client_id(), Some("app"));
    assert!(matches!(verified, VerifiedAccessToken::Jwt(_)));
    // The key set was read once for all of these (cached).
    assert_eq!(op.mock.requests("/jwks").len(), 1);
}

#[tokio::test]
async fn jwt_access_token_refusals_rfc9068_4() {
    let op = Op::start().await;
    let verifier = verifier(&op).await;
    let stranger = SigningKey::generate(JwsAlgorithm::ES256, Some("k1".into())).unwrap();
    let hmac = SigningKey::hmac(
        JwsAlgorithm::HS256,
        b"0123456789abcdef0123456789abcdef",
        None,
    )
    .unwrap();
    let cases: Vec<(&str, String)> = vec![
        (
            "typ JWT (an ID token)",
            sign(&op.key, "JWT", &at_claims(&op, json!({}))),
        ),
        (
            "another issuer",
            sign(
                &op.key,
                "at+jwt",
                &at_claims(&op, json!({"iss": "https://evil.example"})),
            ),
        ),
        (
            "another audience",
            sign(
                &op.key,
                "at+jwt",
                &at_claims(&op, json!({"aud": "https://other.example"})),
            ),
        ),
        ("no audience", {
            let mut c = at_claims(&op, json!({}));
            c.as_object_mut().unwrap().remove("aud");
            sign(&op.key, "at+jwt", &c)
        }),
        (
            "expired",
            sign(&op.key, "at+jwt", &at_claims(&op, json!({"exp": NOW - 61}))),
        ),
        (
            "issued in the future",
            sign(
                &op.key,
                "at+jwt",
                &at_claims(&op, json!({"iat": NOW + 600})),
            ),
        ),
        (
            "not valid yet",
            sign(
                &op.key,
                "at+jwt",
                &at_claims(&op, json!({"nbf": NOW + 600})),
            ),
        ),
        (
            "signed by another key",
            sign(&stranger, "at+jwt", &at_claims(&op, json!({}))),
        ),
        ("HS256", sign(&hmac, "at+jwt", &at_claims(&op, json!({})))),
        ("alg none", unsigned(&at_claims(&op, json!({})))),
        ("not a JWT", "opaque-token".to_string()),
    ];
    for (name, token) in cases {
        assert!(verifier.verify_jwt(&token).await.is_err(), "{name}");
        let denied = verifier
            .authorize(Some(&format!("Bearer {token}")), &Scope::new())
            .await
            .unwrap_err();
        assert_eq!(denied.status, 401, "{name}");
        assert_eq!(
            denied.challenge.error,
            Some(BearerErrorCode::InvalidToken),
            "{name}"
        );
        assert!(
            denied
                .www_authenticate()
                .starts_with("Bearer error=\"invalid_token\"")
        );
        assert!(denied.cause.is_some(), "{name}");
    }
    // The accepting counterpart of the leeway: expired 59 seconds ago is within it.
    let recent = sign(&op.key, "at+jwt", &at_claims(&op, json!({"exp": NOW - 59})));
    assert!(verifier.verify_jwt(&recent).await.is_ok());
}

#[tokio::test]
async fn requests_without_a_usable_token_or_scope_rfc6750_3_1() {
    let op = Op::start().await;
    let verifier = verifier(&op).await;
    let needed = scope("read:records write:records");
    // No token at all: 401 and a bare challenge.
    let denied = verifier.authorize(None, &needed).await.unwrap_err();
    assert_eq!(
        (denied.status, denied.www_authenticate().as_str()),
        (401, "Bearer")
    );
    assert!(denied.cause.is_none());
    // Not a Bearer header: invalid_request.
    let denied = verifier
        .authorize(Some("Basic YTpi"), &needed)
        .await
        .unwrap_err();
    assert_eq!(denied.status, 400);
    assert_eq!(
        denied.challenge.error,
        Some(BearerErrorCode::InvalidRequest)
    );
    // A valid token without every scope needed: 403 naming the scope.
    let token = sign(&op.key, "at+jwt", &at_claims(&op, json!({})));
    let denied = verifier
        .authorize(Some(&format!("Bearer {token}")), &needed)
        .await
        .unwrap_err();
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.challenge.error,
        Some(BearerErrorCode::InsufficientScope)
    );
    assert_eq!(
        denied.challenge.scope.as_deref(),
        Some("read:records write:records")
    );
    let without_scope = {
        let mut c = at_claims(&op, json!({}));
        c.as_object_mut().unwrap().remove("scope");
        sign(&op.key, "at+jwt", &c)
    };
    let header = format!("Bearer {without_scope}");
    assert_eq!(
        verifier
            .authorize(Some(&header), &needed)
            .await
            .unwrap_err()
            .status,
        403
    );
    assert!(
        verifier
            .authorize(Some(&header), &Scope::new())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn opaque_tokens_by_introspection_rfc7662_2() {
    let op = Op::start().await;
    let provider = provider(&op).await;
    let verifier =
        AccessTokenVerifier::new(HttpClient::new().unwrap(), op.clock.clone(), &provider, API)
            .with_introspection(
                &provider,
                "api",
                ClientAuth::ClientSecretBasic("api-secret".into()),
            )
            .unwrap();
    let base = op.mock.base.clone();
    let active = json!({"active": true, "scope": "read:records", "sub": "bob", "client_id": "app",
        "aud": API, "iss": base, "exp": NOW + 60, "nbf": NOW - 10, "jti": "t-9"});
    op.mock.set_json("/introspect", 200, &active);
    let verified = verifier
        .authorize(Some("Bearer opaque-1"), &scope("read:records"))
        .await
        .unwrap();
    assert_eq!(verified.subject(), Some("bob"));
    assert!(matches!(verified, VerifiedAccessToken::Introspected(_)));
    op.mock.assert_introspected_with_basic("opaque-1");
    // A JWT access token is still checked locally, not sent.
    let jwt = sign(&op.key, "at+jwt", &at_claims(&op, json!({})));
    assert!(matches!(
        verifier.verify(&jwt).await.unwrap(),
        VerifiedAccessToken::Jwt(_)
    ));
    assert_eq!(op.mock.requests("/introspect").len(), 1);

    let refusals = [
        ("inactive", json!({"active": false})),
        (
            "another audience",
            json!({"active": true, "aud": "https://other.example"}),
        ),
        (
            "another issuer",
            json!({"active": true, "iss": "https://evil.example"}),
        ),
        ("expired", json!({"active": true, "exp": NOW - 61})),
        ("not valid yet", json!({"active": true, "nbf": NOW + 600})),
    ];
    for (name, answer) in refusals {
        op.mock.set_json("/introspect", 200, &answer);
        let denied = verifier
            .authorize(Some("Bearer opaque-1"), &Scope::new())
            .await
            .unwrap_err();
        assert_eq!(denied.status, 401, "{name}");
        assert!(
            matches!(denied.cause, Some(ClientError::InvalidToken(_))),
            "{name}"
        );
    }
    // The provider cannot answer: 503, the client keeps its token.
    op.mock.set("/introspect", 502, "text/plain", "bad gateway");
    let denied = verifier
        .authorize(Some("Bearer opaque-1"), &Scope::new())
        .await
        .unwrap_err();
    assert_eq!(denied.status, 503);
}

#[tokio::test]
async fn without_introspection_an_opaque_token_is_invalid() {
    let op = Op::start().await;
    let verifier = verifier(&op).await;
    assert!(matches!(
        verifier.introspect("opaque-1").await,
        Err(ClientError::Unsupported(_))
    ));
    let denied = verifier
        .authorize(Some("Bearer opaque-1"), &Scope::new())
        .await
        .unwrap_err();
    assert_eq!(denied.status, 401);
    assert!(op.mock.requests("/introspect").is_empty());
}
