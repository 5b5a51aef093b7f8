use super::*;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde_json::Value;

fn b64d(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(part).unwrap()
}

fn jwk_bytes(jwk: &Value, member: &str) -> Vec<u8> {
    b64d(jwk[member].as_str().unwrap())
}

/// Test-only verifier: checks a compact JWS against a public JWK (so the JWK is checked too)
/// and returns (header, claims).
pub(crate) fn verify_with_jwk(jwk: &Value, jws: &str) -> Option<(Value, Value)> {
    let mut parts = jws.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64d(h)).ok()?;
    let input = format!("{h}.{p}");
    let sig = b64d(s);
    let ok = match (jwk["kty"].as_str()?, header["alg"].as_str()?) {
        ("RSA", alg @ ("RS256" | "PS256")) => {
            let params = if alg == "PS256" {
                &RSA_PSS_2048_8192_SHA256
            } else {
                &RSA_PKCS1_2048_8192_SHA256
            };
            let public = RsaPublicKeyComponents {
                n: jwk_bytes(jwk, "n"),
                e: jwk_bytes(jwk, "e"),
            };
            public.verify(params, input.as_bytes(), &sig).is_ok()
        }
        ("EC", "ES256") => {
            let mut point = vec![4u8];
            point.extend(jwk_bytes(jwk, "x"));
            point.extend(jwk_bytes(jwk, "y"));
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input.as_bytes(), &sig)
                .is_ok()
        }
        ("OKP", "EdDSA") => UnparsedPublicKey::new(&ED25519, jwk_bytes(jwk, "x"))
            .verify(input.as_bytes(), &sig)
            .is_ok(),
        _ => false,
    };
    ok.then(|| (header, serde_json::from_slice(&b64d(p)).unwrap()))
}

fn claims() -> Value {
    json!({"iss": "https://op.example", "sub": "u1", "aud": "c1", "exp": 2, "iat": 1})
}

#[test]
fn every_asymmetric_alg_round_trips_through_its_public_jwk() {
    // RFC 7515 §7.1 compact serialization, RFC 7518 §3.3-3.5, RFC 8037 §3.1.
    for alg in SigningAlg::ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap();
        let jws = sign_compact(&key, Some("JWT"), &claims()).unwrap();
        let (header, payload) = verify_with_jwk(&key.public_jwk(), &jws).expect("verifies");
        assert_eq!(
            header,
            json!({"alg": alg.as_str(), "kid": key.kid(), "typ": "JWT"})
        );
        assert_eq!(payload, claims());

        // A changed payload does not verify.
        let mut parts: Vec<&str> = jws.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin"}"#);
        parts[1] = &forged;
        assert!(
            verify_with_jwk(&key.public_jwk(), &parts.join(".")).is_none(),
            "{alg}"
        );
        // Another key of the same alg does not verify it.
        let other = SigningKey::generate(alg).unwrap();
        assert!(
            verify_with_jwk(&other.public_jwk(), &jws).is_none(),
            "{alg}"
        );
    }
}

#[test]
fn header_omits_typ_when_none() {
    let key = SigningKey::generate(SigningAlg::EdDSA).unwrap();
    let jws = sign_compact(&key, None, &claims()).unwrap();
    let header: Value = serde_json::from_slice(&b64d(jws.split('.').next().unwrap())).unwrap();
    assert_eq!(header, json!({"alg": "EdDSA", "kid": key.kid()}));
}

#[test]
fn es256_signature_is_fixed_length_r_s() {
    // RFC 7518 §3.4: R || S, 32 octets each, not DER.
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    for _ in 0..20 {
        assert_eq!(key.sign(b"x").unwrap().len(), 64);
    }
}

#[test]
fn rsa_keys_are_2048_bits_with_e_65537() {
    let key = SigningKey::generate(SigningAlg::PS256).unwrap();
    let jwk = key.public_jwk();
    assert_eq!(jwk_bytes(&jwk, "n").len(), 256);
    assert_eq!(jwk["e"], "AQAB");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(key.sign(b"x").unwrap().len(), 256);
}

#[test]
fn jwk_members_per_key_type() {
    // RFC 7518 §6.2.1 (EC), RFC 8037 §2 (OKP).
    let ec = SigningKey::generate(SigningAlg::ES256)
        .unwrap()
        .public_jwk();
    assert_eq!(
        (ec["kty"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(
        (jwk_bytes(&ec, "x").len(), jwk_bytes(&ec, "y").len()),
        (32, 32)
    );
    let ed = SigningKey::generate(SigningAlg::EdDSA)
        .unwrap()
        .public_jwk();
    assert_eq!(
        (ed["kty"].as_str(), ed["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert_eq!(jwk_bytes(&ed, "x").len(), 32);
    assert!(ed.get("d").is_none() && ec.get("d").is_none());
}

#[test]
fn pkcs8_round_trip_keeps_the_key() {
    for alg in SigningAlg::ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap();
        let der = key.pkcs8_der().unwrap();
        let again = SigningKey::from_pkcs8(alg, key.kid(), &der).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk(), "{alg}");
        let jws = sign_compact(&again, None, &claims()).unwrap();
        assert!(verify_with_jwk(&key.public_jwk(), &jws).is_some(), "{alg}");
    }
}

#[test]
fn from_pkcs8_rejects_garbage_and_the_wrong_key_type() {
    let ed = SigningKey::generate(SigningAlg::EdDSA)
        .unwrap()
        .pkcs8_der()
        .unwrap();
    assert!(matches!(
        SigningKey::from_pkcs8(SigningAlg::ES256, "k", &ed),
        Err(CryptoError::InvalidKey { alg: "ES256", .. })
    ));
    assert!(SigningKey::from_pkcs8(SigningAlg::RS256, "k", b"garbage").is_err());
    assert!(matches!(
        SigningKey::from_pkcs8(SigningAlg::HS256, "k", &ed),
        Err(CryptoError::UnsupportedAlg(_))
    ));
    assert!(SigningKey::generate(SigningAlg::HS256).is_err());
}

#[test]
fn debug_shows_kid_and_alg_but_no_key_material() {
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let debug = format!("{key:?}");
    assert!(
        debug.contains(key.kid()) && debug.contains("ES256"),
        "{debug}"
    );
    let x = key.public_jwk()["x"].as_str().unwrap().to_string();
    assert!(!debug.contains(&x) && debug.len() < 80, "{debug}");
}

#[test]
fn hs256_matches_an_independent_hmac_and_needs_a_32_byte_secret() {
    let secret = [0x5au8; 32];
    let jws = sign_compact_hs256(&secret, Some("JWT"), &claims()).unwrap();
    let (input, sig) = jws.rsplit_once('.').unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
    assert!(hmac::verify(&key, input.as_bytes(), &b64d(sig)).is_ok());
    let header: Value = serde_json::from_slice(&b64d(input.split('.').next().unwrap())).unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert!(matches!(
        sign_compact_hs256(&secret[..31], None, &claims()),
        Err(CryptoError::WeakHmacKey(31))
    ));
}

#[test]
fn alg_names_parse_and_print() {
    for alg in SigningAlg::ASYMMETRIC
        .into_iter()
        .chain([SigningAlg::HS256])
    {
        assert_eq!(alg.as_str().parse::<SigningAlg>().unwrap(), alg);
        assert_eq!(serde_json::to_value(alg).unwrap(), alg.as_str());
        assert_eq!(
            serde_json::from_value::<SigningAlg>(json!(alg.as_str())).unwrap(),
            alg
        );
    }
    // RFC 7515 §4.1.1: case-sensitive; "none" is never accepted.
    assert!("rs256".parse::<SigningAlg>().is_err());
    assert!("none".parse::<SigningAlg>().is_err());
}

#[test]
fn at_hash_matches_the_oidc_core_example() {
    // OIDC Core Appendix A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" has
    // at_hash "77QmUPtjPfzWtF2AnpK9RQ" (RS256, SHA-256 left half).
    assert_eq!(
        left_half_hash(
            SigningAlg::RS256,
            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        ),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    // OIDC Core Appendix A.4: code "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
    // has c_hash "LDktKdoQak3Pk0cnXxCltA".
    let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    assert_eq!(
        left_half_hash(SigningAlg::RS256, code),
        "LDktKdoQak3Pk0cnXxCltA"
    );
    for alg in [SigningAlg::PS256, SigningAlg::ES256, SigningAlg::HS256] {
        assert_eq!(
            left_half_hash(alg, code),
            "LDktKdoQak3Pk0cnXxCltA",
            "{alg:?}"
        );
    }
    // EdDSA (Ed25519): the left 256 bits of SHA-512, as oxid-client and oidc-provider check.
    assert_eq!(
        left_half_hash(SigningAlg::EdDSA, code),
        "E9z1C-c0Az4eTEzE0Nm3OQ3BS2BhMgxuP7x5JAQj1_4"
    );
}

#[test]
fn the_pre_encoded_headers_are_the_serialized_ones_rfc7515_7_1() {
    // The headers a key encodes once must read exactly as the ones built per token (member
    // order `alg`, `kid`, `typ`), and every typ must sign and verify.
    for alg in SigningAlg::ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap();
        for typ in [
            None,
            Some(oxid_protocol::jose::TYP_AT_JWT),
            Some("logout+jwt"),
        ] {
            let jws = sign_compact(&key, typ, &claims()).unwrap();
            let (header, payload) = verify_with_jwk(&key.public_jwk(), &jws).expect("verifies");
            let built = serde_json::to_vec(&Header {
                alg: alg.as_str(),
                kid: Some(key.kid()),
                typ,
            })
            .unwrap();
            let encoded = jws.split('.').next().unwrap();
            assert_eq!(b64d(encoded), built, "{alg} {typ:?}");
            assert_eq!(header["typ"].as_str(), typ);
            assert_eq!(payload, claims());
        }
    }
}
