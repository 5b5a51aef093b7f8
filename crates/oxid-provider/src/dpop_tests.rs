//! The proof checks of RFC 9449 §4.3, each accepting and refusing.

use super::*;
use crate::crypto::jws::{SigningAlg, SigningKey};
use serde_json::{Value, json};

const NOW: u64 = 1_767_225_600;
const TOKEN_URL: &str = "https://op.example.com/token";

fn key(alg: &str) -> SigningKey {
    SigningKey::generate(alg.parse::<SigningAlg>().unwrap()).unwrap()
}

/// A proof signed by `key` with `header` members over the defaults and `claims`.
fn proof_with(key: &SigningKey, header: Value, claims: Value) -> String {
    let mut h = json!({"typ": "dpop+jwt", "alg": key.alg().as_str(), "jwk": key.public_jwk()});
    for (k, v) in header.as_object().unwrap() {
        h[k] = v.clone();
    }
    let input = format!(
        "{}.{}",
        b64url_encode(h.to_string()),
        b64url_encode(claims.to_string())
    );
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64url_encode(signature))
}

fn claims() -> Value {
    json!({"jti": "j-1", "htm": "POST", "htu": TOKEN_URL, "iat": NOW})
}

fn token_target() -> ProofTarget<'static> {
    ProofTarget {
        method: "POST",
        url: TOKEN_URL,
        access_token: None,
    }
}

fn check(proof: &str) -> Result<CheckedProof, String> {
    check_proof(proof, &token_target(), NOW)
}

#[test]
fn a_well_formed_proof_gives_its_key_thumbprint_rfc9449_4_3() {
    for alg in ["ES256", "PS256", "RS256", "EdDSA"] {
        let key = key(alg);
        let checked = check(&proof_with(&key, json!({}), claims())).expect(alg);
        let jwk = Jwk::from_json_map(key.public_jwk().as_object().unwrap().clone()).unwrap();
        assert_eq!(checked.jkt, thumbprint(&jwk).unwrap(), "{alg}");
    }
}

#[test]
fn typ_alg_and_jwk_are_checked_rfc9449_4_3_checks_4_to_7() {
    let key = key("ES256");
    let refused = |header: Value| check(&proof_with(&key, header, claims())).unwrap_err();
    assert!(refused(json!({"typ": "JWT"})).contains("typ"));
    assert!(refused(json!({"alg": "HS256"})).contains("alg"));
    assert!(refused(json!({"alg": "none"})).contains("alg"));
    assert!(refused(json!({"jwk": null})).contains("jwk"));
    let mut private = key.public_jwk();
    private["d"] = json!("c2VjcmV0");
    assert!(refused(json!({ "jwk": private })).contains("private"));
    // Another key's jwk: the signature does not verify with it.
    let other = super::tests::key("ES256").public_jwk();
    assert!(refused(json!({ "jwk": other })).contains("signature"));
    assert!(check("not-a-jwt").is_err());
}

#[test]
fn htm_htu_and_iat_are_checked_rfc9449_4_3_checks_8_9_11() {
    let key = key("ES256");
    let with = |change: Value| {
        let mut c = claims();
        for (k, v) in change.as_object().unwrap() {
            c[k] = v.clone();
        }
        check(&proof_with(&key, json!({}), c))
    };
    assert!(with(json!({"htm": "GET"})).unwrap_err().contains("htm"));
    assert!(
        with(json!({"htu": "https://op.example.com/userinfo"}))
            .unwrap_err()
            .contains("htu")
    );
    assert!(with(json!({"htu": "https://evil.example.com/token"})).is_err());
    // RFC 3986 §6.2.2, §6.2.3 normalization; query and fragment ignored.
    assert!(with(json!({"htu": "HTTPS://OP.example.com:443/token?x=1#f"})).is_ok());
    assert!(with(json!({"iat": NOW - IAT_WINDOW})).is_ok());
    assert!(with(json!({"iat": NOW + IAT_WINDOW})).is_ok());
    assert!(
        with(json!({"iat": NOW - IAT_WINDOW - 1}))
            .unwrap_err()
            .contains("iat")
    );
    assert!(
        with(json!({"iat": NOW + IAT_WINDOW + 1}))
            .unwrap_err()
            .contains("iat")
    );
    assert!(with(json!({"jti": null})).is_err(), "jti is required");
}

#[test]
fn ath_must_hash_the_presented_access_token_rfc9449_4_3_check_12() {
    let key = key("ES256");
    let target = ProofTarget {
        method: "GET",
        url: "https://op.example.com/userinfo",
        access_token: Some("the-token"),
    };
    let mut c = json!({"jti": "j", "htm": "GET", "htu": target.url, "iat": NOW});
    assert!(check_proof(&proof_with(&key, json!({}), c.clone()), &target, NOW).is_err());
    c["ath"] = json!(access_token_hash("another-token"));
    assert!(check_proof(&proof_with(&key, json!({}), c.clone()), &target, NOW).is_err());
    c["ath"] = json!(access_token_hash("the-token"));
    assert!(check_proof(&proof_with(&key, json!({}), c), &target, NOW).is_ok());
}

#[test]
fn more_than_one_dpop_header_is_refused_rfc9449_4_3_check_1() {
    let mut headers = HeaderMap::new();
    assert_eq!(proof_header(&headers), Ok(None));
    headers.append("dpop", "a.b.c".parse().unwrap());
    assert_eq!(proof_header(&headers), Ok(Some("a.b.c")));
    headers.append("dpop", "d.e.f".parse().unwrap());
    assert!(proof_header(&headers).is_err());
}

#[test]
fn the_thumbprint_is_rfc7638s_example() {
    // RFC 7638 §3.1.
    let jwk = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
    let jwk = Jwk::from_json_map(jwk.as_object().unwrap().clone()).unwrap();
    assert_eq!(
        thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}
