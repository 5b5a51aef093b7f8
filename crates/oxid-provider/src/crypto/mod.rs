//! Cryptography of the provider: signing keys and their rotation, compact JWS, the JWKS,
//! opaque-secret helpers, encryption at rest and password hashing; JWE to clients' keys and
//! from them to ours (`jwe`, `enc_keys`).
//!
//! Keys are parsed once into aws-lc-rs key pairs and kept in an immutable [`keyring::KeyRing`];
//! signing never re-parses a key (see `DESIGN.md` §Keys). No type in this module prints key
//! material through `Debug`.

pub mod enc_keys;
pub mod jwe;
pub mod jws;
pub mod key_alg;
mod key_records;
pub mod keyring;
pub mod password;
pub mod retirement;
pub mod rotation;
pub mod secrets;
pub mod token_keys;

pub use enc_keys::EncryptionKey;
pub use jwe::JweError;
pub use jws::{SigningAlg, SigningKey, left_half_hash, sign_compact, sign_compact_hs256};
pub use key_alg::KeyAlg;
pub use keyring::KeyRing;
pub use rotation::{KeyChange, RotationPolicy, ensure_keys, rotate_now};
pub use secrets::SecretBox;

/// What can go wrong in this module. Texts are for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The algorithm name is not one we sign with, or not usable for this operation.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlg(String),
    /// A private key could not be parsed or was rejected.
    #[error("invalid {alg} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        alg: &'static str,
        /// Why aws-lc-rs rejected it.
        reason: String,
    },
    /// An HMAC key is shorter than the hash output (RFC 7518 §3.2).
    #[error("HMAC key of {0} bytes is too short: HS256 needs at least 32")]
    WeakHmacKey(usize),
    /// Key generation, signing or encryption failed inside aws-lc-rs.
    #[error("cryptographic operation failed: {0}")]
    Operation(&'static str),
    /// A ciphertext did not decrypt: wrong key, truncated or tampered with.
    #[error("decryption failed")]
    Decrypt,
    /// JSON serialization of a header or claim set failed.
    #[error("JSON serialization failed: {0}")]
    Json(#[from] serde_json::Error),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Password(String),
    /// The key store failed.
    #[error("key store: {0}")]
    Store(#[from] oxid_store::StoreError),
    /// Another instance holds the rotation lease: it is rotating now, and its keys reach
    /// every instance through the store.
    #[error("another instance is rotating the signing keys; try again in a moment")]
    RotationBusy,
}

/// Decrypts a compact JWE sent to us (an encrypted request object, OIDC Core §6.1, RFC 9101
/// §6.1) with our own encryption keys in `ring`; see [`KeyRing::decrypt_jwe`]. The result is
/// the plaintext: for a request object, the signed (or `none`) JWT inside, which the caller
/// still verifies.
pub fn jwe_decrypt_with_our_keys(ring: &KeyRing, compact: &str) -> Result<Vec<u8>, JweError> {
    ring.decrypt_jwe(compact)
}

/// Result of this module's fallible calls.
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;
