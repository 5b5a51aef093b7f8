//! Seed 004's `validate_extern` options through the client: `min_iat` for ID and logout
//! tokens, `validate_acr` for ID tokens that carry an `acr` (OIDC Core §3.1.3.7 steps 10, 12).

mod common;

use common::op::{NOW, Op};
use oxid_client::id_token::LogoutTokenChecks;
use oxid_client::{AcrValidator, ClientAuth, ClientError};
use oxid_protocol::claims::ClaimsError;
use serde_json::{Map, Value, json};

fn without_nulls(mut claims: Value) -> Value {
    claims.as_object_mut().unwrap().retain(|_, v| !v.is_null());
    claims
}

fn assert_issued_too_early<T: std::fmt::Debug>(outcome: Result<T, ClientError>) {
    assert!(
        matches!(
            outcome,
            Err(ClientError::Claims(ClaimsError::IssuedTooEarly { .. }))
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn min_iat_refuses_older_id_and_logout_tokens() {
    let op = Op::start().await;
    // The leeway (60 s) applies to min_iat as to every time comparison.
    let client = op.client(ClientAuth::None).await.with_min_iat(NOW - 100);
    let id_token = |iat: u64| op.id_token(json!({"iat": iat}));
    assert!(
        client
            .validate_id_token(&id_token(NOW - 150), None, None, None, None)
            .await
            .is_ok(),
        "within the leeway"
    );
    let old = client
        .validate_id_token(&id_token(NOW - 161), None, None, None, None)
        .await;
    assert_issued_too_early(old);

    let logout_token = |iat: u64| {
        let claims = op.claims(json!({"iat": iat, "jti": "j-1", "sid": "s-1",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}));
        op.key
            .sign_compact(Some("logout+jwt"), Map::new(), &claims)
            .unwrap()
    };
    let checks = LogoutTokenChecks::default();
    assert!(
        client
            .validate_logout_token(&logout_token(NOW), &checks)
            .await
            .is_ok()
    );
    let old = client
        .validate_logout_token(&logout_token(NOW - 161), &checks)
        .await;
    assert_issued_too_early(old);
}

#[tokio::test]
async fn acr_validator_sees_the_acr_of_id_tokens() {
    let op = Op::start().await;
    let client = op
        .client(ClientAuth::None)
        .await
        .with_acr_validator(AcrValidator::one_of([
            "urn:mace:incommon:iap:silver",
            "gold",
        ]));
    let with_acr =
        |acr: Value| op.sign_with(&op.key, &without_nulls(op.claims(json!({"acr": acr}))));
    for accepted in [
        json!("gold"),
        json!("urn:mace:incommon:iap:silver"),
        Value::Null,
    ] {
        assert!(
            client
                .validate_id_token(&with_acr(accepted.clone()), None, None, None, None)
                .await
                .is_ok(),
            "{accepted}"
        );
    }
    let refused = client
        .validate_id_token(&with_acr(json!("bronze")), None, None, None, None)
        .await;
    match refused {
        Err(ClientError::Claims(ClaimsError::AcrRejected(why))) => assert!(why.contains("bronze")),
        other => panic!("{other:?}"),
    }
    // Without a validator any acr passes.
    let plain = op.client(ClientAuth::None).await;
    assert!(
        plain
            .validate_id_token(&with_acr(json!("bronze")), None, None, None, None)
            .await
            .is_ok()
    );
}
