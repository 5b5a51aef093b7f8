//! Token endpoint form bodies: `Params::parse_form` → `TokenRequest::from_params` and
//! `ClientAuthParams::from_params` never panic; an accepted request encodes and is read back
//! to the same request; an error's `error_description` is valid text and its JSON parses.
//! The same bytes are also read as an `Authorization: Basic` header value, whose round trip
//! through `basic_authorization` is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::token::{basic_authorization, parse_basic_authorization};
use oxid_protocol::{ClientAuthParams, Params, TokenError, TokenRequest, is_valid_error_text};

fn check_error(e: &TokenError) {
    if let Some(d) = &e.error_description {
        assert!(is_valid_error_text(d), "invalid error_description {d:?}");
    }
    let json = e.to_json();
    serde_json::from_str::<serde_json::Value>(&json).expect("error JSON");
    let _ = e.http_status();
    let _ = e.www_authenticate("oxid");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data)
        && let Ok((id, secret)) = parse_basic_authorization(header)
    {
        let h = basic_authorization(&id, &secret);
        assert_eq!(
            parse_basic_authorization(&h).expect("re-parse of Basic header"),
            (id, secret),
            "Basic round trip"
        );
    }

    let Ok(params) = Params::parse_form(data) else {
        return;
    };
    match TokenRequest::from_params(&params) {
        Ok(req) => {
            let _ = (req.grant_type(), req.scope());
            let encoded = req.encode();
            let p2 = Params::parse_form(encoded.as_bytes())
                .unwrap_or_else(|e| panic!("re-parse of {encoded:?} failed: {e}"));
            let again = TokenRequest::from_params(&p2)
                .unwrap_or_else(|e| panic!("re-read of {encoded:?} refused: {e:?}"));
            assert_eq!(again, req, "decode(encode(x)) != x for {encoded:?}");
            assert_eq!(again.encode(), encoded, "encoding is not stable");
        }
        Err(e) => check_error(&e),
    }
    match ClientAuthParams::from_params(&params) {
        Ok(c) => {
            let _ = c.method(false);
            let _ = c.method(true);
            let p2 = Params::from_pairs(c.to_form_pairs()).unwrap();
            assert_eq!(ClientAuthParams::from_params(&p2).unwrap(), c);
        }
        Err(e) => check_error(&e),
    }
});
