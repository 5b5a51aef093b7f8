//! Our own encryption keys (`use: enc` in the JWKS): an RSA key for RSA-OAEP-256 and an EC
//! P-256 key for the ECDH-ES family, kept and rotated in the key ring beside the signing keys.
//! Clients encrypt request objects to them (OIDC Core §6.1, RFC 9101 §6.1);
//! [`EncryptionKey::decrypt`] reads them back.

use super::jwe::{JweError, JweHeaderInfo, decrypt_with};
use super::jws::{SigningAlg, SigningKey};
use super::secrets::random_id;
use super::{CryptoError, Result};
use oxid_protocol::jose::{JweAlg, JweEnc};

/// A private encryption key of ours, with its `kid` and the `alg` it is published for.
/// `Debug` shows only those.
pub struct EncryptionKey {
    kid: String,
    alg: JweAlg,
    /// PKCS#8 DER of the private key: the JOSE library parses it per decryption, which is
    /// rare (request objects), so no parsed OpenSSL key is kept alive.
    der: Vec<u8>,
    jwk: serde_json::Value,
}

impl EncryptionKey {
    /// The algorithms we keep encryption keys for: one RSA key (RSA-OAEP-256) and one
    /// P-256 key, published as ECDH-ES and also decrypting ECDH-ES+A128KW / +A256KW.
    pub const KEY_ALGS: [JweAlg; 2] = [JweAlg::RsaOaep256, JweAlg::EcdhEs];

    /// A fresh key for `alg` (one of [`EncryptionKey::KEY_ALGS`]) with the given `kid`; RSA
    /// keys are 2048 bits. The key pair is made by aws-lc-rs, as signing keys are.
    pub fn generate_with_kid(alg: JweAlg, kid: impl Into<String>) -> Result<EncryptionKey> {
        let pair = SigningKey::generate(pair_alg(alg)?)?;
        EncryptionKey::from_pkcs8(alg, kid, &pair.pkcs8_der()?)
    }

    /// A fresh key for `alg` with a random `kid`.
    pub fn generate(alg: JweAlg) -> Result<EncryptionKey> {
        EncryptionKey::generate_with_kid(alg, random_id(16))
    }

    /// Parses an unencrypted PKCS#8 private key (what [`EncryptionKey::pkcs8_der`] returns).
    pub fn from_pkcs8(alg: JweAlg, kid: impl Into<String>, der: &[u8]) -> Result<EncryptionKey> {
        let kid = kid.into();
        // The same PKCS#8 structure serves signing and key agreement: parsing it as the
        // matching signing key checks it and gives its public JWK members.
        let pair = SigningKey::from_pkcs8(pair_alg(alg)?, kid.clone(), der)?;
        let mut jwk = pair.public_jwk();
        if let Some(members) = jwk.as_object_mut() {
            members.insert("use".into(), "enc".into());
            members.insert("alg".into(), alg.as_str().into());
        }
        Ok(EncryptionKey {
            kid,
            alg,
            der: der.to_vec(),
            jwk,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm it is published for.
    pub fn alg(&self) -> JweAlg {
        self.alg
    }

    /// The unencrypted PKCS#8 DER of the private key, to encrypt and store. Handle with care.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.der
    }

    /// The public key as a JWK with `use` = `enc` and `alg`, for the JWKS.
    pub fn public_jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// Whether a JWE with key management `alg` can be meant for this key: the RSA key takes
    /// RSA-OAEP-256, the EC key the ECDH-ES family.
    pub fn accepts(&self, alg: JweAlg) -> bool {
        alg.key_type() == self.alg.key_type()
    }

    /// Decrypts `compact`, whose header [`super::jwe::read_header`] read as `header`.
    /// A128CBC-HS256 is refused here: it is what we encrypt with, not what we decrypt (see
    /// the module `jwe` for why).
    pub fn decrypt(&self, compact: &str, header: &JweHeaderInfo) -> Result<Vec<u8>, JweError> {
        if !self.accepts(header.alg) || header.enc == JweEnc::A128CbcHs256 {
            return Err(JweError::Undecryptable);
        }
        decrypt_with(compact, header.alg, &self.der)
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg.as_str())
            .finish()
    }
}

/// The encryption key algorithms `names` (`keys.encryption_algs`), each one of
/// [`EncryptionKey::KEY_ALGS`], repeats dropped; the error says which name is wrong.
pub fn key_algs(names: &[String]) -> Result<Vec<JweAlg>, String> {
    let mut algs = Vec::new();
    for name in names {
        let alg = JweAlg::parse(name)
            .filter(|alg| EncryptionKey::KEY_ALGS.contains(alg))
            .ok_or_else(|| format!("{name:?} is not RSA-OAEP-256 or ECDH-ES"))?;
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    Ok(algs)
}

/// The signing algorithm whose key pair has the same form as `alg`'s.
fn pair_alg(alg: JweAlg) -> Result<SigningAlg> {
    match alg {
        JweAlg::RsaOaep256 => Ok(SigningAlg::RS256),
        JweAlg::EcdhEs => Ok(SigningAlg::ES256),
        other => Err(CryptoError::UnsupportedAlg(other.as_str().to_string())),
    }
}

/// The encryption context of a stored encryption key: bound to its kid and apart from the
/// signing keys' (`keyring::signing_key_context`), so rows cannot be swapped.
pub(crate) fn encryption_key_context(kid: &str) -> Vec<u8> {
    [b"oxid/encryption-key/".as_slice(), kid.as_bytes()].concat()
}
