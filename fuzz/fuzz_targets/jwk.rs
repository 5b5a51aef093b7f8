//! JWKs and JWK Sets from arbitrary JSON: deserialization never panics; what parsed
//! serializes to JSON that parses to the same key, with the same member order (the doc
//! promises `extra` "in order"); `to_public`, `thumbprint_input`, `fits_alg`, `candidates`
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::{Jwk, JwkSet};

fn check_key(k: &Jwk) {
    let json = serde_json::to_string(k).expect("serialize");
    let again: Jwk =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-read of {json:?} failed: {e}"));
    assert_eq!(&again, k, "decode(encode(x)) != x for {json:?}");
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        json,
        "member order not stable"
    );
    if let Some(t) = k.thumbprint_input() {
        serde_json::from_str::<serde_json::Value>(&t).expect("thumbprint input is JSON");
    }
    if let Some(p) = k.to_public() {
        assert!(!p.is_private(), "to_public kept private material");
    }
    for alg in [
        "RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none",
    ] {
        let _ = k.fits_alg(alg);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = serde_json::from_slice::<Jwk>(data) {
        check_key(&k);
    }
    if let Ok(set) = serde_json::from_slice::<JwkSet>(data) {
        for k in &set.keys {
            check_key(k);
        }
        let json = serde_json::to_string(&set).expect("serialize");
        let again: JwkSet = serde_json::from_str(&json).expect("re-read set");
        assert_eq!(again, set);
        let public = set.to_public();
        for k in &public.keys {
            for m in oxid_protocol::jwk::PRIVATE_MEMBERS {
                assert!(!k.extra.contains_key(*m), "private member {m} published");
            }
        }
        let _ = set.find("k1").is_some();
        let _ = set.candidates(Some("k1"), "RS256").count();
        let _ = set.candidates(None, "ES256").count();
    }
});
