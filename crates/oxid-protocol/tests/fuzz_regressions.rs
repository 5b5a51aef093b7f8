//! Inputs found by the cargo-fuzz targets in `fuzz/` (see fuzz/README.md), each kept as a
//! regression test named after the target that found it.

use oxid_protocol::*;

/// Target `jwk`, input `fuzz/seeds/jwk/ec-private`: reading a JWK removed `kty` with
/// `Map::remove`, which under serde_json's `preserve_order` is a swap-remove, so the last
/// member jumped to the front of `extra` and the member order flipped at every
/// parse/serialize round trip (`extra` is documented as "in order").
#[test]
fn jwk_member_order_survives_round_trip() {
    let input = r#"{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM", "d": "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE", "use": "sig", "kid": "1", "x5c": ["MIIB"]}"#;
    let k: Jwk = serde_json::from_str(input).unwrap();
    let extra: Vec<&str> = k.extra.keys().map(String::as_str).collect();
    assert_eq!(extra, ["d", "x5c"], "extra keeps the document's order");
    let json = serde_json::to_string(&k).unwrap();
    let again: Jwk = serde_json::from_str(&json).unwrap();
    assert_eq!(again, k);
    assert_eq!(serde_json::to_string(&again).unwrap(), json, "stable member order");

    // The smallest form: two extra members after a typed one.
    let k: Jwk = serde_json::from_str(r#"{"kty":"oct","k":"AQ","a":1,"b":2}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&k).unwrap(),
        r#"{"kty":"oct","k":"AQ","a":1,"b":2}"#
    );
}

/// Target `token_request`, input
/// `grant_type=client_credentials&client_ass\0\0\0als&scope=` followed by 21 spaces: a
/// `scope` of spaces only was read as `Some(empty scope)`, which encodes as no `scope` at
/// all and reads back as `None`. It now counts as absent, like an empty value.
#[test]
fn token_request_scope_of_spaces_is_absent() {
    let input = b"grant_type=client_credentials&client_ass\x00\x00\x00als&scope=                     ";
    let p = Params::parse_form(input).unwrap();
    let r = TokenRequest::from_params(&p).unwrap();
    assert_eq!(r, TokenRequest::ClientCredentials { scope: None });
    let again = TokenRequest::from_params(&Params::parse_form(r.encode().as_bytes()).unwrap());
    assert_eq!(again.unwrap(), r);
    // A refresh with `scope=+` keeps the original scope rather than narrowing it to nothing.
    let p = Params::parse_form(b"grant_type=refresh_token&refresh_token=t&scope=+").unwrap();
    assert_eq!(TokenRequest::from_params(&p).unwrap().scope(), None);
}
