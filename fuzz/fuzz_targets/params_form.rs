//! `Params::parse_form` on arbitrary bytes (not necessarily UTF-8): never panics; what parses
//! encodes and parses back to the same map; an error's description is valid
//! `error_description` text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::{Params, TokenError, is_valid_error_text};

fuzz_target!(|data: &[u8]| {
    match Params::parse_form(data) {
        Ok(p) => {
            for (k, v) in p.iter() {
                assert!(!k.is_empty() && !v.is_empty(), "empty name or value kept");
            }
            let encoded = p.encode();
            let again = Params::parse_form(encoded.as_bytes())
                .unwrap_or_else(|e| panic!("re-parse of {encoded:?} failed: {e}"));
            assert_eq!(p, again, "decode(encode(x)) != x for {encoded:?}");
            // Order is kept, too (IndexMap equality ignores it).
            assert_eq!(p.to_pairs(), again.to_pairs(), "order changed");
        }
        Err(e) => {
            let d = e.description();
            assert!(is_valid_error_text(&d), "invalid error_description {d:?}");
            let te: TokenError = e.into();
            let _ = te.to_json();
        }
    }
});
