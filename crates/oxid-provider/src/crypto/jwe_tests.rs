use super::*;
use crate::crypto::enc_keys::EncryptionKey;
use crate::crypto::keyring::KeyRing;
use crate::crypto::secrets::SecretBox;
use crate::crypto::{RotationPolicy, ensure_keys, jwe_decrypt_with_our_keys, rotate_now};
use oxid_protocol::jose::b64url_encode;
use serde_json::json;

const T0: u64 = 1_800_000_000;

/// The key's public JWK without its `alg`, so it serves the whole ECDH-ES family.
fn public_jwk(key: &EncryptionKey) -> Jwk {
    let mut jwk: Jwk = serde_json::from_value(key.public_jwk().clone()).unwrap();
    jwk.alg = None;
    jwk
}

fn set(keys: serde_json::Value) -> JwkSet {
    serde_json::from_value(json!({ "keys": keys })).unwrap()
}

/// RFC 7516 §5.1 / §5.2 round trip: what we encrypt to a key, that key decrypts, for every
/// `alg` and both GCM `enc`s; the header carries `enc`, `cty` and the key's `kid`.
#[test]
fn every_alg_and_gcm_enc_round_trips_through_our_own_keys() {
    let rsa = EncryptionKey::generate(JweAlg::RsaOaep256).unwrap();
    let ec = EncryptionKey::generate(JweAlg::EcdhEs).unwrap();
    for alg in JweAlg::ALL {
        let key = if *alg == JweAlg::RsaOaep256 {
            &rsa
        } else {
            &ec
        };
        for enc in [JweEnc::A128Gcm, JweEnc::A256Gcm] {
            let jwe = encrypt_compact(b"payload", &public_jwk(key), *alg, enc, Some("JWT"))
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            let header = read_header(&jwe).unwrap();
            assert_eq!(
                (
                    header.alg,
                    header.enc,
                    header.kid.as_deref(),
                    header.cty.as_deref()
                ),
                (*alg, enc, Some(key.kid()), Some("JWT"))
            );
            assert_eq!(
                key.decrypt(&jwe, &header).unwrap(),
                b"payload",
                "{alg} {enc}"
            );
        }
    }
}

#[test]
fn cbc_hmac_is_made_for_clients_but_not_decrypted_and_tampering_fails() {
    let rsa = EncryptionKey::generate(JweAlg::RsaOaep256).unwrap();
    let jwk = public_jwk(&rsa);
    let cbc = encrypt_compact(b"x", &jwk, JweAlg::RsaOaep256, JweEnc::A128CbcHs256, None).unwrap();
    let header = read_header(&cbc).unwrap();
    assert_eq!(header.enc, JweEnc::A128CbcHs256);
    assert!(matches!(
        rsa.decrypt(&cbc, &header),
        Err(JweError::Undecryptable)
    ));
    // RFC 7516 §11.5: a changed ciphertext or tag fails authentication.
    let gcm = encrypt_compact(b"secret", &jwk, JweAlg::RsaOaep256, JweEnc::A256Gcm, None).unwrap();
    let mut parts: Vec<String> = gcm.split('.').map(str::to_string).collect();
    parts[3] = b64url_encode(b"another ciphertext");
    let tampered = parts.join(".");
    let header = read_header(&tampered).unwrap();
    assert!(matches!(
        rsa.decrypt(&tampered, &header),
        Err(JweError::Undecryptable)
    ));
    // The other key type does not take it.
    let ec = EncryptionKey::generate(JweAlg::EcdhEs).unwrap();
    assert!(ec.decrypt(&gcm, &read_header(&gcm).unwrap()).is_err());
}

#[test]
fn headers_with_zip_crit_or_unknown_algorithms_are_refused_before_decryption() {
    let header = |h: serde_json::Value| format!("{}.a.b.c.d", b64url_encode(h.to_string()));
    for (refused, why) in [
        (
            header(json!({"alg": "RSA-OAEP-256", "enc": "A128GCM", "zip": "DEF"})),
            "zip",
        ),
        (
            header(json!({"alg": "RSA-OAEP-256", "enc": "A128GCM", "crit": ["x"], "x": 1})),
            "crit",
        ),
        (header(json!({"alg": "RSA1_5", "enc": "A128GCM"})), "alg"),
        (header(json!({"alg": "dir", "enc": "A128GCM"})), "alg"),
        (header(json!({"alg": "ECDH-ES", "enc": "A192GCM"})), "enc"),
        (header(json!({"enc": "A128GCM"})), "alg"),
        ("a.b.c".to_string(), "five"),
        ("!!.b.c.d.e".to_string(), "base64url"),
    ] {
        match read_header(&refused) {
            Err(JweError::Malformed(text)) => assert!(text.contains(why), "{why}: {text}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}

/// OIDC Core §10.2: the key used is one the client publishes for encryption; OIDC
/// Registration §2: with signing and encryption keys both, `use` tells them apart.
#[test]
fn the_recipient_key_is_a_use_enc_key_of_the_right_type_and_alg() {
    let rsa = EncryptionKey::generate(JweAlg::RsaOaep256).unwrap();
    let ec = EncryptionKey::generate(JweAlg::EcdhEs).unwrap();
    let mut sig = rsa.public_jwk().clone();
    sig["use"] = json!("sig");
    sig["kid"] = json!("sig-key");
    let mut bare_ec = ec.public_jwk().clone();
    bare_ec.as_object_mut().unwrap().remove("use");
    bare_ec.as_object_mut().unwrap().remove("alg");
    bare_ec["kid"] = json!("bare");
    let keys = set(json!([sig, bare_ec, rsa.public_jwk(), ec.public_jwk()]));
    assert_eq!(
        recipient_key(&keys, JweAlg::RsaOaep256)
            .unwrap()
            .kid
            .as_deref(),
        Some(rsa.kid())
    );
    // The EC key's JWK says alg ECDH-ES: for ECDH-ES+A256KW the key without `use`/`alg` fits.
    assert_eq!(
        recipient_key(&keys, JweAlg::EcdhEs).unwrap().kid.as_deref(),
        Some(ec.kid())
    );
    assert_eq!(
        recipient_key(&keys, JweAlg::EcdhEsA256Kw)
            .unwrap()
            .kid
            .as_deref(),
        Some("bare")
    );
    // Only a signing key: nothing to encrypt to.
    let only_sig = set(json!([sig]));
    assert!(matches!(
        recipient_key(&only_sig, JweAlg::RsaOaep256),
        Err(JweError::NoRecipientKey { kty: "RSA", .. })
    ));
    assert!(recipient_key(&set(json!([rsa.public_jwk()])), JweAlg::EcdhEs).is_err());
}

fn policy() -> RotationPolicy {
    RotationPolicy {
        algs: vec![crate::crypto::SigningAlg::ES256],
        enc_algs: EncryptionKey::KEY_ALGS.to_vec(),
        ..RotationPolicy::default()
    }
}

/// Our encryption keys live in the key ring: published `use: enc` while next or current,
/// decrypting (unpublished) once retired until they expire, through the SQLite store.
#[tokio::test]
async fn encryption_keys_rotate_in_the_ring_and_retired_ones_still_decrypt() {
    let store = oxid_store::open("sqlite::memory:").await.unwrap();
    let sb = SecretBox::new([7u8; 32]);
    let p = policy();
    let created = ensure_keys(store.as_ref(), &sb, &p, T0).await.unwrap();
    // A current and a next key for ES256, RSA-OAEP-256 and ECDH-ES.
    assert_eq!(created.len(), 6);
    let ring = KeyRing::load(store.as_ref(), &sb, T0).await.unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(&ring.jwks_json()).unwrap();
    let enc: Vec<&serde_json::Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "enc")
        .collect();
    assert_eq!(enc.len(), 4);
    assert!(enc.iter().all(|k| k.get("d").is_none()));
    assert_eq!(
        ring.decryption_algs(),
        [
            JweAlg::RsaOaep256,
            JweAlg::EcdhEs,
            JweAlg::EcdhEsA128Kw,
            JweAlg::EcdhEsA256Kw
        ]
    );
    // A client encrypts to a published key, with its kid or without.
    let published: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let records = store.list_keys(T0).await.unwrap();
    let current_rsa = records
        .iter()
        .find(|r| r.alg == "RSA-OAEP-256" && r.state == oxid_store::KeyState::Current)
        .unwrap();
    let rsa_jwk = published.find(&current_rsa.kid).unwrap().clone();
    let to_rsa =
        encrypt_compact(b"ro", &rsa_jwk, JweAlg::RsaOaep256, JweEnc::A128Gcm, None).unwrap();
    assert_eq!(jwe_decrypt_with_our_keys(&ring, &to_rsa).unwrap(), b"ro");
    // Our EC key says `alg: ECDH-ES`; a client may still wrap with ECDH-ES+A256KW to it.
    let mut no_kid = recipient_key(&published, JweAlg::EcdhEs).unwrap().clone();
    no_kid.kid = None;
    no_kid.alg = None;
    let to_ec =
        encrypt_compact(b"ec", &no_kid, JweAlg::EcdhEsA256Kw, JweEnc::A256Gcm, None).unwrap();
    assert_eq!(ring.decrypt_jwe(&to_ec).unwrap(), b"ec");
    // A kid we do not have is refused.
    let mut stranger = rsa_jwk.clone();
    stranger.kid = Some("unknown".into());
    let to_unknown =
        encrypt_compact(b"x", &stranger, JweAlg::RsaOaep256, JweEnc::A128Gcm, None).unwrap();
    assert!(matches!(
        ring.decrypt_jwe(&to_unknown),
        Err(JweError::Undecryptable)
    ));

    // Rotation: the current keys retire, leave the JWKS, and still decrypt what was
    // encrypted to them until `retain_after` has passed.
    rotate_now(store.as_ref(), &sb, &p, T0 + 60).await.unwrap();
    let ring = KeyRing::load(store.as_ref(), &sb, T0 + 60).await.unwrap();
    let jwks_after = String::from_utf8(ring.jwks_json().to_vec()).unwrap();
    let old_kid = current_rsa.kid.as_str();
    assert!(
        !jwks_after.contains(old_kid),
        "a retired encryption key is not published"
    );
    assert_eq!(ring.decrypt_jwe(&to_rsa).unwrap(), b"ro");
    let later = KeyRing::load(store.as_ref(), &sb, T0 + 60 + p.retain_after + 1)
        .await
        .unwrap();
    assert!(later.decrypt_jwe(&to_rsa).is_err());
    assert_eq!(later.enc_keys().count(), 4);
}
