//! ID tokens (OIDC Core §3.1.3.7).

use super::*;
use oxid_protocol::claims::DEFAULT_LEEWAY;
use oxid_protocol::{Audience, ClaimsError, IdTokenClaims, IdTokenRules};
use serde_json::json;

fn id_token() -> IdTokenClaims {
    serde_json::from_value(json!({
        "iss": ISS, "sub": "24400320", "aud": CLIENT, "exp": NOW + 300, "iat": NOW - 10,
        "auth_time": NOW - 100, "nonce": "n-0S6_WzA2Mj", "acr": "urn:mace:incommon:iap:silver",
        "amr": ["pwd"], "sid": "s1", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ"
    }))
    .unwrap()
}

fn check(t: &IdTokenClaims) -> Result<(), ClaimsError> {
    t.validate_extern(
        &IdTokenRules {
            nonce: Some("n-0S6_WzA2Mj"),
            ..IdTokenRules::new(ISS, CLIENT)
        },
        &v(),
    )
}

#[test]
fn id_token_valid() {
    assert_eq!(check(&id_token()), Ok(()));
    assert_eq!(Validation::new(5).leeway, DEFAULT_LEEWAY);
}

#[test]
fn id_token_issuer_must_be_equal() {
    let mut t = id_token();
    t.iss = "https://op.example.com/".into();
    assert!(matches!(check(&t), Err(ClaimsError::IssuerMismatch { .. })));
}

#[test]
fn id_token_client_id_in_audience() {
    let mut t = id_token();
    t.aud = Audience::single("someone-else");
    assert_eq!(
        check(&t),
        Err(ClaimsError::AudienceMissingClient {
            client_id: CLIENT.into()
        })
    );
    t.aud = Audience(vec![]);
    assert_eq!(check(&t), Err(ClaimsError::AudienceMissing));
}

#[test]
fn id_token_other_audiences_must_be_trusted() {
    let mut t = id_token();
    t.aud = Audience(vec![CLIENT.into(), "api".into()]);
    t.azp = Some(CLIENT.into());
    assert_eq!(check(&t), Err(ClaimsError::UntrustedAudience("api".into())));
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                extra_trusted_audiences: &["api".into()],
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
}

#[test]
fn id_token_azp_equal_when_present() {
    let mut t = id_token();
    t.azp = Some(CLIENT.into());
    assert_eq!(check(&t), Ok(()));
    t.azp = Some("other".into());
    assert_eq!(
        check(&t),
        Err(ClaimsError::AzpMismatch {
            expected: CLIENT.into(),
            found: "other".into()
        })
    );
}

#[test]
fn id_token_azp_required_with_several_audiences() {
    let mut t = id_token();
    t.aud = Audience(vec![CLIENT.into(), "api".into()]);
    let trusted = ["api".to_string()];
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                extra_trusted_audiences: &trusted,
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Err(ClaimsError::AzpMissing)
    );
    t.azp = Some(CLIENT.into());
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                extra_trusted_audiences: &trusted,
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
}

#[test]
fn id_token_nonce_equal_when_sent() {
    let t = id_token();
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("other"),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Err(ClaimsError::NonceMismatch)
    );
    // Not sent: not checked.
    assert_eq!(
        t.validate_extern(&IdTokenRules::new(ISS, CLIENT), &v()),
        Ok(())
    );
    // Sent but absent from the token.
    let mut t = id_token();
    t.nonce = None;
    assert_eq!(check(&t), Err(ClaimsError::NonceMismatch));
}

#[test]
fn id_token_exp_in_the_future_with_leeway() {
    let mut t = id_token();
    t.exp = NOW - 30; // expired, but within the default 60 s leeway
    assert_eq!(check(&t), Ok(()));
    t.exp = NOW - 60;
    assert_eq!(
        check(&t),
        Err(ClaimsError::Expired {
            exp: NOW - 60,
            now: NOW
        })
    );
    t.exp = NOW - 30;
    let strict = Validation::new(NOW).with_leeway(0);
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &strict
        ),
        Err(ClaimsError::Expired {
            exp: NOW - 30,
            now: NOW
        })
    );
    t.exp = NOW + 1;
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &strict
        ),
        Ok(())
    );
}

#[test]
fn id_token_iat_not_before_min_iat() {
    let t = id_token(); // iat = NOW - 10
    let run = |min_iat, leeway| {
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                min_iat,
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &Validation::new(NOW).with_leeway(leeway),
        )
    };
    assert_eq!(run(NOW - 10, 0), Ok(()));
    assert_eq!(
        run(NOW - 9, 0),
        Err(ClaimsError::IssuedTooEarly {
            iat: NOW - 10,
            min_iat: NOW - 9
        })
    );
    assert_eq!(run(NOW + 50, 60), Ok(()), "leeway applies");
    assert!(run(NOW + 51, 60).is_err());
}

#[test]
fn id_token_auth_time_not_before_min_auth_time() {
    let t = id_token(); // auth_time = NOW - 100
    let run = |min| {
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                min_auth_time: min,
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &Validation::new(NOW).with_leeway(0),
        )
    };
    assert_eq!(run(NOW - 100), Ok(()));
    assert_eq!(
        run(NOW - 99),
        Err(ClaimsError::AuthTimeTooEarly {
            auth_time: NOW - 100,
            min_auth_time: NOW - 99
        })
    );
    // Only checked when auth_time is present.
    let mut t2 = id_token();
    t2.auth_time = None;
    assert_eq!(
        t2.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                min_auth_time: NOW,
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
}

#[test]
fn id_token_acr_checked_by_callback() {
    let t = id_token();
    let silver = |acr: &str| {
        if acr == "urn:mace:incommon:iap:silver" {
            Ok(())
        } else {
            Err(format!("{acr} is too weak"))
        }
    };
    let gold = |acr: &str| {
        if acr == "gold" {
            Ok(())
        } else {
            Err("gold required".to_string())
        }
    };
    fn rules<'a>(check: &'a dyn Fn(&str) -> Result<(), String>) -> IdTokenRules<'a> {
        IdTokenRules {
            nonce: Some("n-0S6_WzA2Mj"),
            validate_acr: Some(check),
            ..IdTokenRules::new(ISS, CLIENT)
        }
    }
    assert_eq!(t.validate_extern(&rules(&silver), &v()), Ok(()));
    assert_eq!(
        t.validate_extern(&rules(&gold), &v()),
        Err(ClaimsError::AcrRejected("gold required".into()))
    );
}

/// Seed 004: `validate_acr` "receives this token's acr value"; a token without `acr` is not
/// handed to it, whatever it would say.
#[test]
fn id_token_without_acr_skips_the_acr_callback() {
    let mut t = id_token();
    t.acr = None;
    let called = std::cell::Cell::new(false);
    let refuse_all = |_: &str| {
        called.set(true);
        Err("never".to_string())
    };
    let rules = IdTokenRules {
        nonce: Some("n-0S6_WzA2Mj"),
        validate_acr: Some(&refuse_all),
        ..IdTokenRules::new(ISS, CLIENT)
    };
    assert_eq!(t.validate_extern(&rules, &v()), Ok(()));
    assert!(!called.get());
}

#[test]
fn id_token_sub_at_most_255_ascii() {
    let mut t = id_token();
    t.sub = "a".repeat(255);
    assert_eq!(check(&t), Ok(()));
    t.sub = "a".repeat(256);
    assert_eq!(check(&t), Err(ClaimsError::InvalidSubject));
    t.sub = "jos\u{e9}".into();
    assert_eq!(check(&t), Err(ClaimsError::InvalidSubject));
    t.sub = String::new();
    assert_eq!(check(&t), Err(ClaimsError::InvalidSubject));
}

#[test]
fn id_token_json_shapes() {
    // OIDC Core §3.1.3.3 example claims, with aud as an array and extra claims kept.
    let t: IdTokenClaims = serde_json::from_value(json!({
        "iss": "http://server.example.com", "sub": "248289761001", "aud": ["s6BhdRkqt3"],
        "nonce": "n-0S6_WzA2Mj", "exp": 1311281970, "iat": 1311280970.5, "name": "Jane Doe",
        "email": "janedoe@example.com", "c_hash": "LDktKdoQak3Pk0cnXxCltA"
    }))
    .unwrap();
    assert_eq!(t.iat, 1311280970);
    assert_eq!(t.extra.get("name"), Some(&json!("Jane Doe")));
    let out = serde_json::to_value(&t).unwrap();
    assert_eq!(
        out["aud"],
        json!("s6BhdRkqt3"),
        "one audience serializes as a string"
    );
    assert_eq!(out["email"], json!("janedoe@example.com"));
    assert_eq!(out["iat"], json!(1311280970), "integers as JSON numbers");
    let back: IdTokenClaims = serde_json::from_value(out).unwrap();
    assert_eq!(back, t);
    let two: IdTokenClaims = serde_json::from_value(json!({
        "iss": "x", "sub": "y", "aud": ["a", "b"], "exp": 2, "iat": 1
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&two).unwrap()["aud"],
        json!(["a", "b"])
    );
    // Required members.
    for missing in ["iss", "sub", "aud", "exp", "iat"] {
        let mut o = json!({"iss": "x", "sub": "y", "aud": "a", "exp": 2, "iat": 1});
        o.as_object_mut().unwrap().remove(missing);
        assert!(
            serde_json::from_value::<IdTokenClaims>(o).is_err(),
            "{missing}"
        );
    }
    assert!(
        serde_json::from_value::<IdTokenClaims>(
            json!({"iss": "x", "sub": "y", "aud": "a", "exp": -2, "iat": 1})
        )
        .is_err()
    );
}
