//! JWS verification, accepting and rejecting: RFC 7515 §5.2, RFC 7518 §3, RFC 8725 §3.1-3.2.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_client::SigningKey;
use oxid_client::jws::{JwkParams, JwsAlgorithm, JwsError, VerifyingKey};
use serde_json::{Map, Value, json};

fn params(jwk: &Value) -> JwkParams<'_> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    JwkParams {
        kty: s("kty").unwrap_or(""),
        crv: s("crv"),
        alg: s("alg"),
        use_: s("use"),
        key_ops: None,
        n: s("n"),
        e: s("e"),
        x: s("x"),
        y: s("y"),
    }
}

fn split(token: &str) -> (String, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    (input.to_owned(), URL_SAFE_NO_PAD.decode(sig).unwrap())
}

fn token(key: &SigningKey) -> String {
    key.sign_compact(Some("JWT"), Map::new(), &json!({"sub": "alice"}))
        .unwrap()
}

#[test]
fn every_asymmetric_algorithm_verifies_with_its_public_jwk() {
    for &alg in JwsAlgorithm::ALL.iter().filter(|a| !a.is_hmac()) {
        let key = SigningKey::generate(alg, Some("k1".into())).unwrap();
        let jwk = key.public_jwk().unwrap();
        let verifying = VerifyingKey::from_jwk(&params(&jwk), alg).unwrap();
        let (input, sig) = split(&token(&key));
        assert_eq!(
            verifying.verify(alg, input.as_bytes(), &sig),
            Ok(()),
            "{alg}"
        );
    }
}

#[test]
fn pkcs8_round_trip_keeps_the_key() {
    for alg in [
        JwsAlgorithm::RS256,
        JwsAlgorithm::ES384,
        JwsAlgorithm::EdDSA,
    ] {
        let key = SigningKey::generate(alg, None).unwrap();
        let again = SigningKey::from_pkcs8(alg, &key.to_pkcs8().unwrap(), None).unwrap();
        assert_eq!(key.public_jwk(), again.public_jwk());
    }
}

#[test]
fn hmac_verifies_only_with_the_same_secret() {
    for alg in [
        JwsAlgorithm::HS256,
        JwsAlgorithm::HS384,
        JwsAlgorithm::HS512,
    ] {
        let key = SigningKey::hmac(alg, b"client-secret", None).unwrap();
        let (input, sig) = split(&token(&key));
        let right = VerifyingKey::from_client_secret("client-secret");
        let wrong = VerifyingKey::from_client_secret("client-secreT");
        assert_eq!(right.verify(alg, input.as_bytes(), &sig), Ok(()));
        assert_eq!(
            wrong.verify(alg, input.as_bytes(), &sig),
            Err(JwsError::BadSignature)
        );
    }
}

#[test]
fn wrong_key_is_rejected() {
    for alg in [
        JwsAlgorithm::RS256,
        JwsAlgorithm::PS256,
        JwsAlgorithm::ES256,
        JwsAlgorithm::EdDSA,
    ] {
        let signer = SigningKey::generate(alg, None).unwrap();
        let other = SigningKey::generate(alg, None).unwrap();
        let verifying = VerifyingKey::from_jwk(&params(&other.public_jwk().unwrap()), alg).unwrap();
        let (input, sig) = split(&token(&signer));
        assert_eq!(
            verifying.verify(alg, input.as_bytes(), &sig),
            Err(JwsError::BadSignature)
        );
    }
}

#[test]
fn tampered_payload_is_rejected() {
    let key = SigningKey::generate(JwsAlgorithm::ES256, None).unwrap();
    let verifying =
        VerifyingKey::from_jwk(&params(&key.public_jwk().unwrap()), JwsAlgorithm::ES256).unwrap();
    let (input, sig) = split(&token(&key));
    let (header, _) = input.split_once('.').unwrap();
    let forged = format!(
        "{header}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"sub":"mallory"}"#)
    );
    assert_eq!(
        verifying.verify(JwsAlgorithm::ES256, forged.as_bytes(), &sig),
        Err(JwsError::BadSignature)
    );
}

#[test]
fn alg_confusion_hs256_with_rsa_public_key_is_refused() {
    // RFC 8725 §2.1: an attacker signs HS256 with the provider's public key as the secret.
    let rsa = SigningKey::generate(JwsAlgorithm::RS256, None).unwrap();
    let jwk = rsa.public_jwk().unwrap();
    let public_as_secret = serde_json::to_vec(&jwk).unwrap();
    let forger = SigningKey::hmac(JwsAlgorithm::HS256, &public_as_secret, None).unwrap();
    let (input, sig) = split(&token(&forger));
    // The JWK can never become an HMAC key, whatever the header says.
    assert_eq!(
        VerifyingKey::from_jwk(&params(&jwk), JwsAlgorithm::HS256),
        Err(JwsError::KeyMismatch(JwsAlgorithm::HS256))
    );
    let rsa_key = VerifyingKey::from_jwk(&params(&jwk), JwsAlgorithm::RS256).unwrap();
    assert_eq!(
        rsa_key.verify(JwsAlgorithm::HS256, input.as_bytes(), &sig),
        Err(JwsError::KeyMismatch(JwsAlgorithm::HS256))
    );
}

#[test]
fn alg_must_match_kty_crv_and_jwk_alg() {
    let ec = SigningKey::generate(JwsAlgorithm::ES256, None).unwrap();
    let ec_jwk = ec.public_jwk().unwrap();
    // EC key for an RSA or P-384 algorithm.
    assert!(VerifyingKey::from_jwk(&params(&ec_jwk), JwsAlgorithm::RS256).is_err());
    assert!(VerifyingKey::from_jwk(&params(&ec_jwk), JwsAlgorithm::ES384).is_err());
    // An RSA key published for RS256 is not for PS256.
    let rsa = SigningKey::generate(JwsAlgorithm::RS256, None).unwrap();
    let rsa_jwk = rsa.public_jwk().unwrap();
    assert_eq!(
        VerifyingKey::from_jwk(&params(&rsa_jwk), JwsAlgorithm::PS256),
        Err(JwsError::KeyMismatch(JwsAlgorithm::PS256))
    );
    // An encryption key is not a signature key.
    let mut enc = rsa_jwk.clone();
    enc["use"] = json!("enc");
    assert!(VerifyingKey::from_jwk(&params(&enc), JwsAlgorithm::RS256).is_err());
    // Same curve as the key, but PS256 signature presented to an RS256 verifier fails.
    let ps = SigningKey::generate(JwsAlgorithm::PS256, None).unwrap();
    let mut ps_jwk = ps.public_jwk().unwrap();
    ps_jwk.as_object_mut().unwrap().remove("alg");
    let as_rs = VerifyingKey::from_jwk(&params(&ps_jwk), JwsAlgorithm::RS256).unwrap();
    let (input, sig) = split(&token(&ps));
    assert_eq!(
        as_rs.verify(JwsAlgorithm::RS256, input.as_bytes(), &sig),
        Err(JwsError::BadSignature)
    );
}

#[test]
fn none_is_never_an_algorithm() {
    assert_eq!(JwsAlgorithm::from_name("none"), None);
    assert!(oxid_client::jws::parse_algorithm("none", JwsAlgorithm::ALL).is_err());
}

#[test]
fn malformed_keys_are_errors_not_panics() {
    for jwk in [
        json!({"kty": "RSA", "n": "!!", "e": "AQAB"}),
        json!({"kty": "RSA", "e": "AQAB"}),
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
        json!({"kty": "OKP", "crv": "Ed448", "x": "AA"}),
        json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"}),
    ] {
        for &alg in JwsAlgorithm::ALL {
            assert!(
                VerifyingKey::from_jwk(&params(&jwk), alg).is_err(),
                "{jwk} {alg}"
            );
        }
    }
}
