//! Random values the client keeps: `state`, `nonce` and the PKCE verifier (RFC 7636).

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ClientError;

/// A base64url (unpadded) string of `bytes` random bytes.
pub fn random_string(bytes: usize) -> Result<String, ClientError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| ClientError::Crypto("the system random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// A PKCE pair for the S256 method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The `code_verifier`, sent with the token request; keep it secret.
    pub verifier: String,
    /// The `code_challenge`: BASE64URL(SHA256(verifier)).
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier of 32 random bytes (43 characters, RFC 7636 §4.1) and its challenge.
    pub fn generate() -> Result<Self, ClientError> {
        Ok(Self::from_verifier(random_string(32)?))
    }

    /// The S256 challenge of a given verifier (RFC 7636 §4.2).
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_values_are_long_and_distinct() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier.len(), 43);
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(random_string(32).unwrap(), random_string(32).unwrap());
    }
}
