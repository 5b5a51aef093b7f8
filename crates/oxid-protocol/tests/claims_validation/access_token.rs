//! JWT access tokens (RFC 9068 §4).

use super::*;
use oxid_protocol::{AccessTokenClaims, ClaimsError, JoseHeader};
use serde_json::json;

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
