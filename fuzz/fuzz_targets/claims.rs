//! Claim sets from arbitrary JSON: `IdTokenClaims`, `LogoutTokenClaims` and
//! `AccessTokenClaims` deserialization never panics; `validate_extern` with fixed options
//! (including extreme times and leeways) never panics; what deserialized serializes and
//! deserializes to the same claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::{
    AccessTokenClaims, IdTokenClaims, IdTokenRules, LogoutTokenChecks, LogoutTokenClaims,
    LogoutTokenRules, Validation,
};
use serde::{Serialize, de::DeserializeOwned};

const ISSUER: &str = "https://op.example.com";
const CLIENT_ID: &str = "s6BhdRkqt3";
const NONCE: &str = "n-0S6_WzA2Mj";

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(c: &T) {
    let json = serde_json::to_string(c).expect("serialize");
    let again: T =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-read of {json:?} failed: {e}"));
    assert_eq!(&again, c, "decode(encode(x)) != x for {json:?}");
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        json,
        "serialization not stable"
    );
}

fn validations() -> [Validation; 4] {
    [
        Validation::new(1_311_281_970),
        Validation::new(1_700_000_000).with_leeway(0),
        Validation::new(u64::MAX).with_leeway(u64::MAX),
        Validation::new(0),
    ]
}

fuzz_target!(|data: &[u8]| {
    let trusted = vec!["https://rs.example".to_owned()];
    let acr = |a: &str| match a {
        "urn:mace:incommon:iap:silver" => Ok(()),
        other => Err(format!("acr {other} not accepted")),
    };
    let check = |s: &str| {
        if s.is_empty() {
            Err("empty".to_owned())
        } else {
            Ok(())
        }
    };

    if let Ok(c) = serde_json::from_slice::<IdTokenClaims>(data) {
        round_trip(&c);
        for v in validations() {
            for (min_iat, min_auth) in
                [(0, 0), (u64::MAX, u64::MAX), (1_311_280_000, 1_311_280_000)]
            {
                let _ = c.validate_extern(
                    &IdTokenRules {
                        nonce: Some(NONCE),
                        extra_trusted_audiences: &trusted,
                        min_iat,
                        min_auth_time: min_auth,
                        validate_acr: Some(&acr),
                        ..IdTokenRules::new(ISSUER, CLIENT_ID)
                    },
                    &v,
                );
                let _ = c.validate_extern(
                    &IdTokenRules {
                        min_iat,
                        min_auth_time: min_auth,
                        ..IdTokenRules::new(ISSUER, CLIENT_ID)
                    },
                    &v,
                );
            }
        }
    }
    if let Ok(c) = serde_json::from_slice::<LogoutTokenClaims>(data) {
        round_trip(&c);
        for v in validations() {
            for min_iat in [0, u64::MAX] {
                let _ = c.validate_extern(
                    &LogoutTokenRules {
                        extra_trusted_audiences: &trusted,
                        min_iat,
                        checks: LogoutTokenChecks {
                            unique_jti: Some(&check),
                            iss_has_sessions: Some(&check),
                            sub_has_sessions: Some(&check),
                            sid_exists: Some(&check),
                        },
                        ..LogoutTokenRules::new(ISSUER, CLIENT_ID)
                    },
                    &v,
                );
                let _ = c.validate_extern(
                    &LogoutTokenRules {
                        min_iat,
                        ..LogoutTokenRules::new(ISSUER, CLIENT_ID)
                    },
                    &v,
                );
            }
        }
    }
    if let Ok(c) = serde_json::from_slice::<AccessTokenClaims>(data) {
        round_trip(&c);
        for v in validations() {
            let _ = c.validate_extern(ISSUER, &v);
        }
        let _ = c.validate_audience("https://rs.example");
    }
});
