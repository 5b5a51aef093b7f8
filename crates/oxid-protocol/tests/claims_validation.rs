//! `validate_extern` of ID tokens (OIDC Core §3.1.3.7), JWT access tokens (RFC 9068 §4) and
//! logout tokens (OIDC Back-Channel Logout §2.6): one accepting and one rejecting test per
//! rule.

use oxid_protocol::claims::{BACKCHANNEL_LOGOUT_EVENT, DEFAULT_LEEWAY};
use oxid_protocol::{
    AccessTokenClaims, Audience, ClaimsError, IdTokenClaims, IdTokenRules, JoseHeader,
    LogoutTokenChecks, LogoutTokenClaims, LogoutTokenRules, Validation,
};
use serde_json::json;

const ISS: &str = "https://op.example.com";
const CLIENT: &str = "client-1";
const NOW: u64 = 1_700_000_000;

fn id_token() -> IdTokenClaims {
    serde_json::from_value(json!({
        "iss": ISS, "sub": "24400320", "aud": CLIENT, "exp": NOW + 300, "iat": NOW - 10,
        "auth_time": NOW - 100, "nonce": "n-0S6_WzA2Mj", "acr": "urn:mace:incommon:iap:silver",
        "amr": ["pwd"], "sid": "s1", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ"
    }))
    .unwrap()
}

fn v() -> Validation {
    Validation::new(NOW)
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
    let silver = |acr: Option<&str>| {
        if acr == Some("urn:mace:incommon:iap:silver") {
            Ok(())
        } else {
            Err(format!("{acr:?} is too weak"))
        }
    };
    let gold = |acr: Option<&str>| {
        if acr == Some("gold") {
            Ok(())
        } else {
            Err("gold required".to_string())
        }
    };
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                validate_acr: Some(&silver),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Ok(())
    );
    assert_eq!(
        t.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                validate_acr: Some(&gold),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        ),
        Err(ClaimsError::AcrRejected("gold required".into()))
    );
    let mut t2 = id_token();
    t2.acr = None;
    assert!(
        t2.validate_extern(
            &IdTokenRules {
                nonce: Some("n-0S6_WzA2Mj"),
                validate_acr: Some(&silver),
                ..IdTokenRules::new(ISS, CLIENT)
            },
            &v()
        )
        .is_err()
    );
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

fn access_token() -> AccessTokenClaims {
    serde_json::from_value(json!({
        "iss": ISS, "exp": NOW + 60, "aud": "https://rs.example.com/", "sub": "5ba552d67",
        "client_id": "s6BhdRkqt3", "iat": NOW, "jti": "dbe39bf3a3ba4238a513f51d6e1691c4",
        "scope": "openid profile reademail"
    }))
    .unwrap()
}

#[test]
fn access_token_issuer_and_expiry() {
    let t = access_token();
    assert_eq!(t.validate_extern(ISS, &v()), Ok(()));
    assert!(matches!(
        t.validate_extern("https://evil.example.com", &v()),
        Err(ClaimsError::IssuerMismatch { .. })
    ));
    let mut t = access_token();
    t.exp = NOW - 61;
    assert!(matches!(
        t.validate_extern(ISS, &v()),
        Err(ClaimsError::Expired { .. })
    ));
}

#[test]
fn access_token_mostly_optional_and_audience() {
    let t: AccessTokenClaims =
        serde_json::from_value(json!({"iss": ISS, "exp": NOW + 10})).unwrap();
    assert_eq!(t.validate_extern(ISS, &v()), Ok(()));
    assert_eq!(
        t.validate_audience("https://rs.example.com/"),
        Err(ClaimsError::AudienceMissing)
    );
    let t = access_token();
    assert!(t.scope.as_ref().unwrap().contains("reademail"));
    assert_eq!(t.validate_audience("https://rs.example.com/"), Ok(()));
    assert!(t.validate_audience("https://other/").is_err());
    let back: AccessTokenClaims =
        serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn access_token_header_typ() {
    let ok = JoseHeader::new("RS256", None, Some("at+jwt".into()));
    assert_eq!(AccessTokenClaims::validate_header(&ok), Ok(()));
    let ok2 = JoseHeader::new("RS256", None, Some("application/at+jwt".into()));
    assert_eq!(AccessTokenClaims::validate_header(&ok2), Ok(()));
    let bad = JoseHeader::new("RS256", None, Some("JWT".into()));
    assert!(matches!(
        AccessTokenClaims::validate_header(&bad),
        Err(ClaimsError::InvalidType { .. })
    ));
    let none = JoseHeader::new("RS256", None, None);
    assert!(AccessTokenClaims::validate_header(&none).is_err());
}

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
