//! The stored form of key-ring keys: a new key's record, its private key encrypted with the
//! `SecretBox` under a context bound to its kid and kind.

use super::Result;
use super::enc_keys::{EncryptionKey, encryption_key_context};
use super::jws::SigningKey;
use super::key_alg::KeyAlg;
use super::keyring::signing_key_context;
use super::secrets::SecretBox;
use oxid_store::{KeyRecord, KeyState};

/// The record of a new encryption key in `state`, its private key encrypted with
/// `secret_box`.
pub fn new_enc_record(
    key: &EncryptionKey,
    state: KeyState,
    secret_box: &SecretBox,
    now: u64,
) -> Result<KeyRecord> {
    Ok(KeyRecord {
        kid: key.kid().to_string(),
        alg: key.alg().as_str().to_string(),
        private_key_encrypted: secret_box
            .encrypt_for(&encryption_key_context(key.kid()), key.pkcs8_der())?,
        state,
        created_at: now,
        activated_at: (state == KeyState::Current).then_some(now),
        retired_at: None,
        expires_at: None,
    })
}

/// The record of a new key in `state`, its private key encrypted with `secret_box`.
pub fn new_record(
    key: &SigningKey,
    state: KeyState,
    secret_box: &SecretBox,
    now: u64,
) -> Result<KeyRecord> {
    Ok(KeyRecord {
        kid: key.kid().to_string(),
        alg: key.alg().as_str().to_string(),
        private_key_encrypted: secret_box
            .encrypt_for(&signing_key_context(key.kid()), &key.pkcs8_der()?)?,
        state,
        created_at: now,
        activated_at: (state == KeyState::Current).then_some(now),
        retired_at: None,
        expires_at: None,
    })
}

/// A key just generated for a [`KeyChange::Create`].
pub(crate) enum NewKey {
    Sign(SigningKey),
    Enc(EncryptionKey),
}

impl NewKey {
    pub(crate) fn generate(alg: KeyAlg, kid: String) -> Result<NewKey> {
        Ok(match alg {
            KeyAlg::Sign(alg) => NewKey::Sign(SigningKey::generate_with_kid(alg, kid)?),
            KeyAlg::Enc(alg) => NewKey::Enc(EncryptionKey::generate_with_kid(alg, kid)?),
        })
    }
}
