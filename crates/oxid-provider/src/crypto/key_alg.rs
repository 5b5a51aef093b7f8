//! [`KeyAlg`]: what a stored key-ring key is for, read from its `alg` column: signing (a JWS
//! `alg`) or decrypting what clients encrypt to us (a JWE `alg`, `use: enc`). Rotation plans
//! both alike.

use super::enc_keys::EncryptionKey;
use super::jws::SigningAlg;
use oxid_protocol::jose::JweAlg;
use std::fmt;

/// The algorithm of a key-ring key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyAlg {
    /// A signing key (one of [`SigningAlg::ASYMMETRIC`]).
    Sign(SigningAlg),
    /// An encryption key (one of [`EncryptionKey::KEY_ALGS`]).
    Enc(JweAlg),
}

impl KeyAlg {
    /// The name stored in the key's `alg` column (and published as its JWK `alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Sign(alg) => alg.as_str(),
            KeyAlg::Enc(alg) => alg.as_str(),
        }
    }

    /// The key algorithm a stored `alg` names; `None` for names this build keeps no key for.
    pub fn from_stored(name: &str) -> Option<KeyAlg> {
        if let Some(alg) = name
            .parse::<SigningAlg>()
            .ok()
            .filter(|alg| SigningAlg::ASYMMETRIC.contains(alg))
        {
            return Some(KeyAlg::Sign(alg));
        }
        JweAlg::parse(name)
            .filter(|alg| EncryptionKey::KEY_ALGS.contains(alg))
            .map(KeyAlg::Enc)
    }
}

impl From<SigningAlg> for KeyAlg {
    fn from(alg: SigningAlg) -> Self {
        KeyAlg::Sign(alg)
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_signing_or_encryption_key_algs() {
        assert_eq!(
            KeyAlg::from_stored("RS256"),
            Some(KeyAlg::Sign(SigningAlg::RS256))
        );
        assert_eq!(
            KeyAlg::from_stored("RSA-OAEP-256"),
            Some(KeyAlg::Enc(JweAlg::RsaOaep256))
        );
        assert_eq!(
            KeyAlg::from_stored("ECDH-ES"),
            Some(KeyAlg::Enc(JweAlg::EcdhEs))
        );
        // HS256 has no key-ring key; ECDH-ES+A256KW uses the ECDH-ES key.
        for name in ["HS256", "ECDH-ES+A256KW", "ES512", "none"] {
            assert_eq!(KeyAlg::from_stored(name), None, "{name}");
        }
        assert_eq!(KeyAlg::Enc(JweAlg::EcdhEs).to_string(), "ECDH-ES");
    }
}
