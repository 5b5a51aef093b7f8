//! `CompactJws::parse` on arbitrary text: never panics. What parses serializes back to the
//! very same text (strict base64url makes the form canonical), parses again to the same
//! value, and re-assembles from its parts (header JSON round trip).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::jose::{self, CompactJws};
use oxid_protocol::{AccessTokenClaims, IdTokenClaims, LogoutTokenClaims};

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    // The plain base64url helpers: decode(encode(x)) == x, and decode is canonical.
    if let Ok(bytes) = jose::b64url_decode(token) {
        assert_eq!(
            jose::b64url_encode(&bytes),
            token,
            "non-canonical base64url accepted"
        );
    }
    let Ok(jws) = CompactJws::parse(token) else {
        return;
    };
    assert_eq!(jws.to_string(), token, "compact form did not round trip");
    let again = CompactJws::parse(&jws.to_string()).expect("re-parse failed");
    assert_eq!(again, jws);
    assert!(token.as_bytes().starts_with(jws.signing_input()));

    // A new JWS from the parsed parts: header re-encoded as JSON, payload and signature as
    // they were.
    let si = CompactJws::signing_input_for(jws.header(), jws.payload());
    let rebuilt = CompactJws::assemble(&si, jws.signature());
    let reparsed = CompactJws::parse(&rebuilt)
        .unwrap_or_else(|e| panic!("re-assembled JWS {rebuilt:?} does not parse: {e}"));
    assert_eq!(reparsed.header(), jws.header(), "header JSON round trip");
    assert_eq!(reparsed.payload(), jws.payload());
    assert_eq!(reparsed.signature(), jws.signature());

    let _ = jws.header().typ_is(jose::TYP_AT_JWT);
    let _ = jws.payload_json::<serde_json::Value>();
    let _ = jws.payload_json::<IdTokenClaims>();
    let _ = jws.payload_json::<LogoutTokenClaims>();
    if let Ok(at) = jws.payload_json::<AccessTokenClaims>() {
        let _ = AccessTokenClaims::validate_header(jws.header());
        let _ = at.validate_audience("https://rs.example");
    }
});
