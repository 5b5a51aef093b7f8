//! The parts of assertion checking that need no server: reading the token, and the
//! settings. The rules themselves are tested over HTTP (tests/jwt_client_auth.rs).

use super::*;
use oxid_protocol::jose::b64url_encode;

fn token(header: &str, payload: &str) -> String {
    format!(
        "{}.{}.{}",
        b64url_encode(header),
        b64url_encode(payload),
        b64url_encode(b"sig")
    )
}

#[test]
fn alg_none_and_unknown_algs_are_refused_when_read_rfc7523_3() {
    for alg in ["none", "None", "HS1", ""] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        let err = Assertion::parse(&token(&header, r#"{"sub":"a"}"#)).unwrap_err();
        assert_eq!(err.code(), "invalid_client", "{alg}");
        assert!(err.description.contains("not accepted"), "{alg}: {err:?}");
    }
}

#[test]
fn the_method_follows_the_alg_family_oidc_core_9() {
    let hmac = Assertion::parse(&token(r#"{"alg":"HS256"}"#, r#"{"sub":"a"}"#)).unwrap();
    assert_eq!(hmac.method(), ClientAuthMethod::ClientSecretJwt);
    assert_eq!(hmac.subject(), Some("a"));
    for alg in ["RS256", "PS256", "ES256", "EdDSA"] {
        let header = format!(r#"{{"alg":"{alg}","kid":"k"}}"#);
        let signed = Assertion::parse(&token(&header, "{}")).unwrap();
        assert_eq!(signed.method(), ClientAuthMethod::PrivateKeyJwt, "{alg}");
        assert_eq!(signed.subject(), None);
    }
}

#[test]
fn malformed_assertions_are_invalid_client() {
    for bad in [
        "a.b",
        "not-base64!.x.y",
        &token(r#"{"alg":"RS256"}"#, "[1,2]"),
        &token(r#"{"alg":"RS256"}"#, "not json"),
        &token(r#"{"alg":"RS256","crit":["exp"]}"#, "{}"),
    ] {
        let err = Assertion::parse(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_client", "{bad}");
    }
}

#[test]
fn numeric_dates_must_be_numbers() {
    let assertion = Assertion::parse(&token(
        r#"{"alg":"RS256"}"#,
        r#"{"exp":"tomorrow","iat":1.5,"nbf":-3}"#,
    ))
    .unwrap();
    assert!(assertion.time("exp").is_err());
    assert_eq!(assertion.time("iat").unwrap(), Some(1));
    assert!(assertion.time("nbf").is_err());
    assert_eq!(assertion.time("missing").unwrap(), None);
}

#[test]
fn settings_are_bounded() {
    assert!(AssertionSettings::default().validate().is_ok());
    let long = AssertionSettings {
        max_lifetime_seconds: 86_400,
        ..AssertionSettings::default()
    };
    let key = long.validate().unwrap_err().key;
    assert_eq!(key, "client_assertions.max_lifetime_seconds");
    let lax = AssertionSettings {
        leeway_seconds: 3600,
        ..AssertionSettings::default()
    };
    assert_eq!(
        lax.validate().unwrap_err().key,
        "client_assertions.leeway_seconds"
    );
}
