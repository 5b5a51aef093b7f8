//! `Params::parse_query` on arbitrary text: never panics; what parses encodes and parses back
//! to the same map; an error's description is valid `error_description` text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::{AuthorizationError, Params, is_valid_error_text};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    match Params::parse_query(query) {
        Ok(p) => {
            // No empty names or values survive parsing (RFC 6749 §3.1: empty = omitted).
            for (k, v) in p.iter() {
                assert!(!k.is_empty() && !v.is_empty(), "empty name or value kept");
            }
            let encoded = p.encode();
            let again = Params::parse_query(&encoded)
                .unwrap_or_else(|e| panic!("re-parse of {encoded:?} failed: {e}"));
            assert_eq!(p, again, "decode(encode(x)) != x for {encoded:?}");
            assert_eq!(encoded, again.encode(), "encoding is not stable");
            assert_eq!(Params::from_pairs(p.to_pairs()).unwrap(), p);
            // Without a leading '?', a query and a form body are read the same way.
            if !query.starts_with('?') {
                assert_eq!(Params::parse_form(query.as_bytes()).unwrap(), p);
            }
        }
        Err(e) => {
            let d = e.description();
            assert!(is_valid_error_text(&d), "invalid error_description {d:?}");
            let ae: AuthorizationError = e.into();
            let _ = ae.encode();
        }
    }
});
