//! [`KeyRing`]: an immutable snapshot of the signing keys, built when keys change and shared
//! behind an `Arc`. Per algorithm it holds the current signing key; it publishes every stored
//! key (next, current, retired) in a JWKS serialized once, at build. Our encryption keys
//! (`use: enc`) are published while next or current, and decrypt until they expire.

use super::Result;
use super::enc_keys::{EncryptionKey, encryption_key_context};
use super::jwe::{JweError, read_header};
use super::jws::{SigningAlg, SigningKey};
use super::key_alg::KeyAlg;
use super::secrets::SecretBox;
use axum::body::Bytes;
use oxid_protocol::jose::JweAlg;
use oxid_store::{KeyRecord, KeyState};
use std::collections::BTreeMap;

/// Signing keys by algorithm plus the published JWKS. Immutable: rebuild on change.
/// `Debug` lists kids only.
pub struct KeyRing {
    /// Every published key, oldest first.
    keys: Vec<SigningKey>,
    /// Per algorithm, the index in `keys` of the current signing key.
    current: BTreeMap<SigningAlg, usize>,
    /// Our encryption keys, oldest first, with whether they are published (not retired).
    enc_keys: Vec<(EncryptionKey, bool)>,
    jwks: Bytes,
    /// The records it was built from (private keys still encrypted): a reload that lists the
    /// same ones keeps this ring rather than parse every key again.
    records: Vec<KeyRecord>,
}

impl KeyRing {
    /// Decrypts and parses `records` (as returned by `KeyStore::list_keys`, which leaves out
    /// expired keys). When several keys of one algorithm are `current` (two instances racing
    /// on first start), the most recently activated one signs; all are published.
    ///
    /// Records of an algorithm this build does not know are skipped with a warning (a newer
    /// version may have written them). A key that does not decrypt with `secret_box` or does
    /// not parse fails the build: a wrong encryption key must stop the start, not silently
    /// publish a partial JWKS.
    pub fn from_records(records: &[KeyRecord], secret_box: &SecretBox) -> Result<KeyRing> {
        let mut keys = Vec::with_capacity(records.len());
        let mut enc_keys = Vec::new();
        let mut current: BTreeMap<SigningAlg, (usize, (u64, &str))> = BTreeMap::new();
        for record in records {
            let alg = match KeyAlg::from_stored(&record.alg) {
                Some(KeyAlg::Sign(alg)) => alg,
                Some(KeyAlg::Enc(alg)) => {
                    let der = secret_box.decrypt_for(
                        &encryption_key_context(&record.kid),
                        &record.private_key_encrypted,
                    )?;
                    let key = EncryptionKey::from_pkcs8(alg, record.kid.clone(), &der)?;
                    enc_keys.push((key, record.state != KeyState::Retired));
                    continue;
                }
                None => {
                    tracing::warn!(kid = %record.kid, alg = %record.alg, "skipping key of unknown alg");
                    continue;
                }
            };
            let der = secret_box.decrypt_for(
                &signing_key_context(&record.kid),
                &record.private_key_encrypted,
            )?;
            let key = SigningKey::from_pkcs8(alg, record.kid.clone(), &der)?;
            if record.state == KeyState::Current {
                let rank = (
                    record.activated_at.unwrap_or(record.created_at),
                    record.kid.as_str(),
                );
                let index = keys.len();
                current
                    .entry(alg)
                    .and_modify(|best| {
                        if rank > best.1 {
                            *best = (index, rank);
                        }
                    })
                    .or_insert((index, rank));
            }
            keys.push(key);
        }
        let jwks = jwks_bytes(&keys, &enc_keys)?;
        Ok(KeyRing {
            records: records.to_vec(),
            enc_keys,
            current: current
                .into_iter()
                .map(|(alg, (index, _))| (alg, index))
                .collect(),
            keys,
            jwks,
        })
    }

    /// Loads the live keys from the store at `now` and builds the ring.
    pub async fn load(
        store: &dyn oxid_store::Store,
        secret_box: &SecretBox,
        now: u64,
    ) -> Result<KeyRing> {
        let records = store.list_keys(now).await?;
        KeyRing::from_records(&records, secret_box)
    }

    /// Like [`KeyRing::load`], but `None` when the store lists exactly the records `current`
    /// was built from: the ring is a function of them, and parsing every key again (an RSA
    /// key's checks are milliseconds of CPU) on each periodic reload stalled the requests
    /// sharing its thread for nothing.
    pub async fn reload(
        current: &KeyRing,
        store: &dyn oxid_store::Store,
        secret_box: &SecretBox,
        now: u64,
    ) -> Result<Option<KeyRing>> {
        let records = store.list_keys(now).await?;
        if current.records == records {
            return Ok(None);
        }
        KeyRing::from_records(&records, secret_box).map(Some)
    }

    /// The key that signs with `alg` now, if there is one.
    pub fn signer(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.current
            .get(&alg)
            .and_then(|&index| self.keys.get(index))
    }

    /// The payload of a compact JWS that one of our published keys signed (`kid` and `alg`
    /// must name that key), or `None`. For tokens we issued and get back (`id_token_hint`).
    pub fn verify(&self, token: &str) -> Option<Vec<u8>> {
        let jws = oxid_protocol::jose::CompactJws::parse(token).ok()?;
        let header = jws.header();
        let key = self.key(header.kid.as_deref()?)?;
        if header.alg != key.alg().as_str() {
            return None;
        }
        key.verify(jws.signing_input(), jws.signature())
            .then(|| jws.payload().to_vec())
    }

    /// Any published key by `kid` (for checking tokens we issued, such as `id_token_hint`).
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|key| key.kid() == kid)
    }

    /// `{"keys":[...]}`, serialized once; cloning is a reference-count increment.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks.clone()
    }

    /// The algorithms that can sign, RS256 first (for `id_token_signing_alg_values_supported`).
    pub fn algs(&self) -> Vec<SigningAlg> {
        self.current.keys().copied().collect()
    }

    /// Our encryption keys that decrypt (published or retired but not yet expired).
    pub fn enc_keys(&self) -> impl Iterator<Item = &EncryptionKey> {
        self.enc_keys.iter().map(|(key, _)| key)
    }

    /// The JWE `alg` values a JWE sent to us may use: those our published keys serve.
    pub fn decryption_algs(&self) -> Vec<JweAlg> {
        JweAlg::ALL
            .iter()
            .copied()
            .filter(|alg| {
                self.enc_keys
                    .iter()
                    .any(|(key, published)| *published && key.accepts(*alg))
            })
            .collect()
    }

    /// Decrypts a compact JWE a client encrypted to one of our keys (an encrypted request
    /// object, OIDC Core §6.1, RFC 9101 §6.1): the key its `kid` names, or without a `kid`
    /// each of our keys fit for its `alg`. A retired key still decrypts until it expires, for
    /// clients holding a cached JWKS.
    pub fn decrypt_jwe(&self, compact: &str) -> Result<Vec<u8>, JweError> {
        let header = read_header(compact)?;
        let mut candidates = self
            .enc_keys()
            .filter(|key| header.kid.as_deref().is_none_or(|kid| key.kid() == kid))
            .filter(|key| key.accepts(header.alg))
            .peekable();
        if candidates.peek().is_none() {
            return Err(JweError::Undecryptable);
        }
        candidates
            .find_map(|key| key.decrypt(compact, &header).ok())
            .ok_or(JweError::Undecryptable)
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signers: BTreeMap<&str, &str> = self
            .current
            .iter()
            .filter_map(|(alg, &index)| Some((alg.as_str(), self.keys.get(index)?.kid())))
            .collect();
        f.debug_struct("KeyRing")
            .field("signers", &signers)
            .field(
                "published",
                &self.keys.iter().map(SigningKey::kid).collect::<Vec<_>>(),
            )
            .field(
                "encryption",
                &self.enc_keys().map(EncryptionKey::kid).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The encryption context of a stored private key: bound to its kid, so that rows cannot be
/// swapped and no other ciphertext of the same `SecretBox` passes for a key.
pub(crate) fn signing_key_context(kid: &str) -> Vec<u8> {
    [b"oxid/signing-key/".as_slice(), kid.as_bytes()].concat()
}

fn jwks_bytes(keys: &[SigningKey], enc_keys: &[(EncryptionKey, bool)]) -> Result<Bytes> {
    let published = enc_keys
        .iter()
        .filter(|(_, published)| *published)
        .map(|(key, _)| key.public_jwk());
    let jwks = serde_json::json!({
        "keys": keys.iter().map(SigningKey::jwk_ref).chain(published).collect::<Vec<_>>(),
    });
    Ok(Bytes::from(serde_json::to_vec(&jwks)?))
}

/// Test helper: a stored record for `key`, encrypted with `secret_box`.
#[cfg(test)]
pub(crate) fn record_for(
    key: &SigningKey,
    secret_box: &SecretBox,
    state: KeyState,
    created_at: u64,
) -> KeyRecord {
    KeyRecord {
        kid: key.kid().to_string(),
        alg: key.alg().as_str().to_string(),
        private_key_encrypted: secret_box
            .encrypt_for(&signing_key_context(key.kid()), &key.pkcs8_der().unwrap())
            .unwrap(),
        state,
        created_at,
        activated_at: (state != KeyState::Next).then_some(created_at),
        retired_at: None,
        expires_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CryptoError;
    use crate::crypto::jws::sign_compact;
    use serde_json::Value;

    fn sbox() -> SecretBox {
        SecretBox::new([3u8; 32])
    }

    #[test]
    fn signer_is_the_current_key_and_jwks_publishes_next_current_and_retired() {
        let sb = sbox();
        let retired = SigningKey::generate(SigningAlg::ES256).unwrap();
        let current = SigningKey::generate(SigningAlg::ES256).unwrap();
        let next = SigningKey::generate(SigningAlg::ES256).unwrap();
        let ed = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let records = [
            record_for(&retired, &sb, KeyState::Retired, 10),
            record_for(&current, &sb, KeyState::Current, 20),
            record_for(&next, &sb, KeyState::Next, 30),
            record_for(&ed, &sb, KeyState::Current, 30),
        ];
        let ring = KeyRing::from_records(&records, &sb).unwrap();
        assert_eq!(ring.signer(SigningAlg::ES256).unwrap().kid(), current.kid());
        assert_eq!(ring.signer(SigningAlg::EdDSA).unwrap().kid(), ed.kid());
        assert!(ring.signer(SigningAlg::RS256).is_none());
        assert_eq!(ring.algs(), vec![SigningAlg::ES256, SigningAlg::EdDSA]);
        assert_eq!(ring.key(retired.kid()).unwrap().kid(), retired.kid());

        // RFC 7517 §5: a JWK Set is {"keys": [...]}.
        let jwks: Value = serde_json::from_slice(&ring.jwks_json()).unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, [retired.kid(), current.kid(), next.kid(), ed.kid()]);
        assert!(!String::from_utf8_lossy(&ring.jwks_json()).contains("\"d\""));

        // What the signer signs verifies against the published JWK of its kid.
        let jws = sign_compact(ring.signer(SigningAlg::ES256).unwrap(), None, &1).unwrap();
        let jwk = &jwks["keys"][1];
        assert!(crate::crypto::jws::tests::verify_with_jwk(jwk, &jws).is_some());
    }

    #[test]
    fn the_latest_activated_current_key_wins_a_race() {
        let sb = sbox();
        let a = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let b = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let records = [
            record_for(&a, &sb, KeyState::Current, 50),
            record_for(&b, &sb, KeyState::Current, 40),
        ];
        let ring = KeyRing::from_records(&records, &sb).unwrap();
        assert_eq!(ring.signer(SigningAlg::EdDSA).unwrap().kid(), a.kid());
    }

    #[test]
    fn a_wrong_encryption_key_fails_the_build_and_unknown_algs_are_skipped() {
        let key = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let mut record = record_for(&key, &sbox(), KeyState::Current, 1);
        assert!(matches!(
            KeyRing::from_records(std::slice::from_ref(&record), &SecretBox::new([4u8; 32])),
            Err(CryptoError::Decrypt)
        ));
        // Ciphertexts are bound to their kid: rows cannot be swapped.
        record.kid = "other".into();
        assert!(matches!(
            KeyRing::from_records(std::slice::from_ref(&record), &sbox()),
            Err(CryptoError::Decrypt)
        ));
        record.kid = key.kid().into();
        // A key stored under the wrong alg does not parse.
        record.alg = "ES256".into();
        assert!(matches!(
            KeyRing::from_records(std::slice::from_ref(&record), &sbox()),
            Err(CryptoError::InvalidKey { .. })
        ));
        for alg in ["ES512", "none", "HS256"] {
            record.alg = alg.into();
            let ring = KeyRing::from_records(std::slice::from_ref(&record), &sbox()).unwrap();
            assert!(
                ring.algs().is_empty() && ring.key(key.kid()).is_none(),
                "{alg}"
            );
        }
    }

    #[test]
    fn debug_lists_kids_only() {
        let sb = sbox();
        let key = SigningKey::generate(SigningAlg::EdDSA).unwrap();
        let ring =
            KeyRing::from_records(&[record_for(&key, &sb, KeyState::Current, 1)], &sb).unwrap();
        let debug = format!("{ring:?}");
        assert!(
            debug.contains(key.kid()) && debug.contains("EdDSA"),
            "{debug}"
        );
        assert!(
            !debug.contains(key.public_jwk()["x"].as_str().unwrap()),
            "{debug}"
        );
    }

    #[test]
    fn an_empty_ring_has_an_empty_jwks() {
        let ring = KeyRing::from_records(&[], &sbox()).unwrap();
        assert_eq!(&ring.jwks_json()[..], br#"{"keys":[]}"#);
        assert!(ring.algs().is_empty());
    }
}
