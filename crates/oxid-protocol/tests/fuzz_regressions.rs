//! Inputs found by the cargo-fuzz targets in `fuzz/` (see fuzz/README.md), each kept as a
//! regression test named after the target that found it.

use oxid_protocol::authorization::is_absolute_uri_without_fragment;
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
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        json,
        "stable member order"
    );

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
    let input =
        b"grant_type=client_credentials&client_ass\x00\x00\x00als&scope=                     ";
    let p = Params::parse_form(input).unwrap();
    let r = TokenRequest::from_params(&p).unwrap();
    assert_eq!(
        r,
        TokenRequest::ClientCredentials {
            scope: None,
            extra: Default::default()
        }
    );
    let again = TokenRequest::from_params(&Params::parse_form(r.encode().as_bytes()).unwrap());
    assert_eq!(again.unwrap(), r);
    // A refresh with `scope=+` keeps the original scope rather than narrowing it to nothing.
    let p = Params::parse_form(b"grant_type=refresh_token&refresh_token=t&scope=+").unwrap();
    assert_eq!(TokenRequest::from_params(&p).unwrap().scope(), None);
}

/// Target `redirect_uri`, input `hhtitpts://glient.exta\x01\0\x11\0`: the URL parser strips
/// leading and trailing control characters and spaces, so the URI was accepted, but the
/// redirect built on the raw string (`...\x01\0\x11\0?code=...`) is not a URL. Spaces and
/// controls are now refused anywhere, and registration uses the same check.
#[test]
fn redirect_uri_with_control_characters_is_refused() {
    let input = "hhtitpts://glient.exta\u{1}\0\u{11}\0";
    assert!(!is_absolute_uri_without_fragment(input));
    for uri in [
        " https://rp.example/cb",
        "https://rp.example/cb ",
        "https://rp.example/cb\n",
        "https://rp.example/c\tb",
        "https://rp.example/c b",
        "https://rp.example/cb\u{7f}",
    ] {
        assert!(!is_absolute_uri_without_fragment(uri), "{uri:?}");
    }
    assert!(is_absolute_uri_without_fragment(
        "https://rp.example/cb?x=1"
    ));

    let q = format!(
        "response_type=code&client_id=c&redirect_uri={}",
        url::form_urlencoded::byte_serialize(input.as_bytes()).collect::<String>()
    );
    assert!(AuthenticationRequest::from_params(&Params::parse_query(&q).unwrap()).is_err());

    let reg = serde_json::json!({"redirect_uris": [input]}).to_string();
    let e = ClientMetadata::from_json(reg.as_bytes())
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(e.error, RegistrationErrorCode::InvalidRedirectUri);
}

/// Target `claims`, input `{"iss": "htt7:1001", ..., "a_tuhtime":
/// 131123333333333333333333333380969, ...}`: an integer too large for u64 in an extra claim
/// becomes an f64, and serde_json's default float parser is best-effort, so the value
/// written back (`1.3112333333333335e32`) reads as a different f64. The fix is serde_json's
/// `float_roundtrip` feature in the workspace Cargo.toml, outside this crate's sources.
#[test]
fn claims_large_number_round_trips() {
    let input = r#"{"iss": "htt7:1001", "aud": "s6BhdRkqt3", "nonceonce": "o-0S6_Wj", "exp": 1311281970, "i`at": 1311280970, "a_tuhtime": 131123333333333333333333333380969, "acr": "urn:mace:incommon:iap:silver", "amrrn:mace:inc": ["pwd"], "azp": "s7BhdRkqt3", "name": "Jane Doe"}"#;
    let c: AccessTokenClaims = serde_json::from_str(input).unwrap();
    let json = serde_json::to_string(&c).unwrap();
    let again: AccessTokenClaims = serde_json::from_str(&json).unwrap();
    assert_eq!(again, c);
}

/// Target `redirect_uri`, input `htthttps:"""""rmple/cb?lita-le/cneb?`: the query already
/// ends with a `?` that is part of it, and `append_query` took that for the query's start,
/// so the first parameter was glued to the last one (`cneb?code=...`). Only the first `?`
/// starts the query; `append_multi_query` had the same rule.
#[test]
fn redirect_onto_query_ending_in_question_mark() {
    use oxid_protocol::params::{append_multi_query, append_query};
    let input = r#"htthttps:"""""rmple/cb?lita-le/cneb?"#;
    assert!(is_absolute_uri_without_fragment(input));
    let r = append_query(input, [("code", "c")]);
    assert_eq!(r, format!("{input}&code=c"));
    let u = url::Url::parse(&r).unwrap();
    assert_eq!(u.query_pairs().last().unwrap().0, "code");

    assert_eq!(
        append_query("https://rp/cb?x=a?", [("k", "v")]),
        "https://rp/cb?x=a?&k=v"
    );
    assert_eq!(
        append_query("https://rp/cb?", [("k", "v")]),
        "https://rp/cb?k=v"
    );
    assert_eq!(
        append_query("https://rp/cb?x=1&", [("k", "v")]),
        "https://rp/cb?x=1&k=v"
    );
    assert_eq!(
        append_multi_query("https://op/authorize?a=?", vec![("k", vec!["v"])]),
        "https://op/authorize?a=?&k=v"
    );
}

/// Target `redirect_uri`, input `h://@`: the `url` crate parses it (as `h://`) but not
/// `h://@?code=...`, so the redirect built on it was not a URL. A userinfo without a host is
/// a failure in the WHATWG URL Standard; it is refused.
#[test]
fn redirect_uri_userinfo_without_host_is_refused() {
    for uri in ["h://@", "h://:@", "h://u:p@"] {
        assert!(!is_absolute_uri_without_fragment(uri), "{uri:?}");
    }
    for uri in ["h://", "h://host/p", "https://u@rp.example/cb", "urn:x:y@z"] {
        assert!(is_absolute_uri_without_fragment(uri), "{uri:?}");
    }
}

#[test]
fn issuer_with_spaces_or_control_characters_is_invalid() {
    use oxid_protocol::metadata::{MetadataViolation, check_issuer};
    assert!(check_issuer("https://op.example.com").is_empty());
    for issuer in [
        " https://op.example.com",
        "https://op.example.com\n",
        "https://op.example.com\t",
    ] {
        assert!(
            matches!(
                check_issuer(issuer).as_slice(),
                [MetadataViolation::IssuerInvalid(_)]
            ),
            "{issuer:?}"
        );
    }
}

#[test]
fn device_request_scope_of_spaces_is_absent() {
    use oxid_protocol::device::DeviceAuthorizationRequest;
    use oxid_protocol::params::Params;
    let params = Params::parse_form(b"client_id=c&scope=+++").unwrap();
    let request = DeviceAuthorizationRequest::from_params(&params).unwrap();
    assert!(request.scope.is_none());
}
