//! Back-channel logout tokens (OIDC Back-Channel Logout §2.6).

use super::*;
use oxid_protocol::claims::BACKCHANNEL_LOGOUT_EVENT;
use oxid_protocol::{
    Audience, ClaimsError, LogoutTokenChecks, LogoutTokenClaims, LogoutTokenRules,
};
use serde_json::json;

fn logout_token() -> LogoutTokenClaims {
    serde_json::from_value(json!({
        "iss": ISS, "sub": "248289761001", "aud": CLIENT, "iat": NOW - 5, "exp": NOW + 120,
        "jti": "bWJq", "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} }
    }))
    .unwrap()
}

fn lcheck(t: &LogoutTokenClaims) -> Result<(), ClaimsError> {
    t.validate_extern(&LogoutTokenRules::new(ISS, CLIENT), &v())
}

#[test]
fn logout_token_valid_and_constructor() {
    assert_eq!(lcheck(&logout_token()), Ok(()));
    let t = LogoutTokenClaims::new(
        ISS,
        Audience::single(CLIENT),
        NOW,
        "j",
        None,
        Some("sid".into()),
    );
    assert_eq!(lcheck(&t), Ok(()));
    let back: LogoutTokenClaims =
        serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn logout_token_issuer() {
    let mut t = logout_token();
    t.iss = "https://other".into();
    assert!(matches!(
        lcheck(&t),
        Err(ClaimsError::IssuerMismatch { .. })
    ));
}

#[test]
fn logout_token_audience() {
    let mut t = logout_token();
    t.aud = Audience::single("x");
    assert!(matches!(
        lcheck(&t),
        Err(ClaimsError::AudienceMissingClient { .. })
    ));
    t.aud = Audience(vec![CLIENT.into(), "x".into()]);
    assert_eq!(lcheck(&t), Err(ClaimsError::UntrustedAudience("x".into())));
    assert_eq!(
        t.validate_extern(
            &LogoutTokenRules {
                extra_trusted_audiences: &["x".into()],
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
}

#[test]
fn logout_token_min_iat() {
    let t = logout_token();
    let strict = Validation::new(NOW).with_leeway(0);
    assert_eq!(
        t.validate_extern(
            &LogoutTokenRules {
                min_iat: NOW - 5,
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &strict
        ),
        Ok(())
    );
    assert!(matches!(
        t.validate_extern(
            &LogoutTokenRules {
                min_iat: NOW - 4,
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &strict
        ),
        Err(ClaimsError::IssuedTooEarly { .. })
    ));
}

#[test]
fn logout_token_exp_checked_when_present() {
    let mut t = logout_token();
    t.exp = Some(NOW - 100);
    assert!(matches!(lcheck(&t), Err(ClaimsError::Expired { .. })));
    t.exp = None;
    assert_eq!(lcheck(&t), Ok(()));
}

#[test]
fn logout_token_events() {
    let mut t = logout_token();
    t.events.clear();
    assert_eq!(lcheck(&t), Err(ClaimsError::EventsMissing));
    t.events
        .insert("http://schemas.openid.net/event/other".into(), json!({}));
    assert_eq!(lcheck(&t), Err(ClaimsError::EventsMissing));
    t.events
        .insert(BACKCHANNEL_LOGOUT_EVENT.into(), json!("yes"));
    assert_eq!(lcheck(&t), Err(ClaimsError::EventNotObject));
    t.events
        .insert(BACKCHANNEL_LOGOUT_EVENT.into(), json!({"a": 1}));
    assert_eq!(lcheck(&t), Ok(()));
    // Missing "events" member entirely deserializes to an empty map and is refused.
    let no_events: LogoutTokenClaims = serde_json::from_value(
        json!({"iss": ISS, "sub": "s", "aud": CLIENT, "iat": NOW, "jti": "j"}),
    )
    .unwrap();
    assert_eq!(lcheck(&no_events), Err(ClaimsError::EventsMissing));
}

#[test]
fn logout_token_sub_or_sid() {
    let mut t = logout_token();
    t.sid = None;
    assert_eq!(lcheck(&t), Ok(()));
    t.sub = None;
    assert_eq!(lcheck(&t), Err(ClaimsError::SubAndSidMissing));
    t.sid = Some("s".into());
    assert_eq!(lcheck(&t), Ok(()));
}

#[test]
fn logout_token_nonce_absent() {
    let mut t = logout_token();
    t.nonce = Some(json!("n"));
    assert_eq!(lcheck(&t), Err(ClaimsError::NoncePresent));
    let with_nonce: LogoutTokenClaims = serde_json::from_value(json!({
        "iss": ISS, "sub": "s", "aud": CLIENT, "iat": NOW, "jti": "j", "nonce": "abc",
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} }
    }))
    .unwrap();
    assert_eq!(lcheck(&with_nonce), Err(ClaimsError::NoncePresent));
}

#[test]
fn logout_token_callbacks() {
    let t = logout_token();
    let seen = |jti: &str| {
        if jti == "bWJq" {
            Err("replayed".to_string())
        } else {
            Ok(())
        }
    };
    let fresh = |_: &str| Ok(());
    let none = |_: &str| Err("none".to_string());
    let run = |a, b, c, d| {
        t.validate_extern(
            &LogoutTokenRules {
                checks: LogoutTokenChecks {
                    unique_jti: a,
                    iss_has_sessions: b,
                    sub_has_sessions: c,
                    sid_exists: d,
                },
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &v(),
        )
    };
    assert_eq!(
        run(Some(&fresh), Some(&fresh), Some(&fresh), Some(&fresh)),
        Ok(())
    );
    assert_eq!(
        run(Some(&seen), None, None, None),
        Err(ClaimsError::JtiReused("replayed".into()))
    );
    assert_eq!(
        run(None, Some(&none), None, None),
        Err(ClaimsError::IssuerHasNoSessions("none".into()))
    );
    assert_eq!(
        run(None, None, Some(&none), None),
        Err(ClaimsError::SubjectHasNoSessions("none".into()))
    );
    assert_eq!(
        run(None, None, None, Some(&none)),
        Err(ClaimsError::SessionUnknown("none".into()))
    );
    // Skipped when the claim is absent.
    let mut no_sub = logout_token();
    no_sub.sub = None;
    assert_eq!(
        no_sub.validate_extern(
            &LogoutTokenRules {
                checks: LogoutTokenChecks {
                    sub_has_sessions: Some(&none),
                    ..Default::default()
                },
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
    let mut no_sid = logout_token();
    no_sid.sid = None;
    assert_eq!(
        no_sid.validate_extern(
            &LogoutTokenRules {
                checks: LogoutTokenChecks {
                    sid_exists: Some(&none),
                    ..Default::default()
                },
                ..LogoutTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
}
