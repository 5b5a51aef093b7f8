//! Claim sets from arbitrary JSON: `IdTokenClaims`, `LogoutTokenClaims` and
//! `AccessTokenClaims` deserialization never panics; `validate_extern` with fixed options
//! (including extreme times and leeways) never panics; what deserialized serializes and
//! deserializes to the same claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::{AccessTokenClaims, IdTokenClaims, LogoutTokenClaims, Validation};
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
    let acr = |a: Option<&str>| match a {
        Some("urn:mace:incommon:iap:silver") | None => Ok(()),
        Some(other) => Err(format!("acr {other} not accepted")),
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
                    ISSUER,
                    CLIENT_ID,
                    Some(NONCE),
                    &trusted,
                    min_iat,
                    Some(&acr),
                    min_auth,
                    &v,
                );
                let _ =
                    c.validate_extern(ISSUER, CLIENT_ID, None, &[], min_iat, None, min_auth, &v);
            }
        }
    }
    if let Ok(c) = serde_json::from_slice::<LogoutTokenClaims>(data) {
        round_trip(&c);
        for v in validations() {
            for min_iat in [0, u64::MAX] {
                let _ = c.validate_extern(
                    ISSUER,
                    CLIENT_ID,
                    &trusted,
                    min_iat,
                    Some(&check),
                    Some(&check),
                    Some(&check),
                    Some(&check),
                    &v,
                );
                let _ =
                    c.validate_extern(ISSUER, CLIENT_ID, &[], min_iat, None, None, None, None, &v);
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
