//! JWS signature verification (RFC 7515, algorithms of RFC 7518 §3 and RFC 8037).
//!
//! The rules that keep a hostile token out: `none` is never accepted; HMAC keys come only
//! from the client's own secret, never from a JWK (so a public key can never become an HMAC
//! key); the algorithm must fit the key's `kty`/`crv`, and the JWK's `alg` when it has one.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A JWS signature algorithm this client verifies and signs with: the protocol crate's
/// [`Alg`](oxid_protocol::jose::Alg) table.
pub use oxid_protocol::jose::Alg as JwsAlgorithm;

/// The hash behind `alg`, used by at_hash and c_hash (OIDC Core §3.1.3.6: the left half of
/// the hash the `alg` uses; SHA-512 for EdDSA with Ed25519).
pub(crate) fn hash_algorithm(alg: JwsAlgorithm) -> &'static aws_lc_rs::digest::Algorithm {
    use JwsAlgorithm::*;
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512};
    match alg {
        HS256 | RS256 | PS256 | ES256 => &SHA256,
        HS384 | RS384 | PS384 | ES384 => &SHA384,
        HS512 | RS512 | PS512 | EdDSA => &SHA512,
    }
}

/// Why a signature or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// The `alg` is `none`, unknown, or not allowed here.
    #[error("algorithm {0:?} is not accepted")]
    AlgorithmNotAllowed(String),
    /// The key does not fit the algorithm (kty, crv, or the JWK's own `alg`/`use`).
    #[error("the key does not fit algorithm {0}")]
    KeyMismatch(JwsAlgorithm),
    /// The JWK is malformed or of an unsupported kind.
    #[error("unusable key: {0}")]
    InvalidKey(String),
    /// An HMAC algorithm was used but the client has no secret.
    #[error("an HMAC-signed token needs the client secret")]
    NoClientSecret,
    /// No key of the set matched the token's `kid`.
    #[error("no key with kid {0:?}")]
    UnknownKid(String),
    /// No key of the set could verify the token.
    #[error("no key fits the token")]
    NoMatchingKey,
    /// The signature is wrong.
    #[error("the signature does not verify")]
    BadSignature,
    /// The compact serialization is malformed.
    #[error("malformed JWS: {0}")]
    Malformed(String),
}

/// Public (or shared) key material able to verify one family of algorithms.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// An RSA public key: modulus and exponent, big-endian without leading zeros.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// A P-256 public key as an uncompressed point (`04 || x || y`).
    P256(Vec<u8>),
    /// A P-384 public key as an uncompressed point.
    P384(Vec<u8>),
    /// An Ed25519 public key.
    Ed25519(Vec<u8>),
    /// An HMAC secret; only ever built from the client's own secret.
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa { n, .. } => write!(f, "Rsa({} bits)", n.len() * 8),
            Self::P256(_) => f.write_str("P256"),
            Self::P384(_) => f.write_str("P384"),
            Self::Ed25519(_) => f.write_str("Ed25519"),
            Self::Hmac(_) => f.write_str("Hmac(redacted)"),
        }
    }
}

/// The members of a JWK that verification needs (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
#[derive(Debug, Clone, Copy, Default)]
pub struct JwkParams<'a> {
    /// `kty`.
    pub kty: &'a str,
    /// `crv`.
    pub crv: Option<&'a str>,
    /// `alg`.
    pub alg: Option<&'a str>,
    /// `use`.
    pub use_: Option<&'a str>,
    /// `key_ops`.
    pub key_ops: Option<&'a [String]>,
    /// `n` (base64url).
    pub n: Option<&'a str>,
    /// `e` (base64url).
    pub e: Option<&'a str>,
    /// `x` (base64url).
    pub x: Option<&'a str>,
    /// `y` (base64url).
    pub y: Option<&'a str>,
}

fn b64(field: &str, value: Option<&str>) -> Result<Vec<u8>, JwsError> {
    let value = value.ok_or_else(|| JwsError::InvalidKey(format!("missing {field}")))?;
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| JwsError::InvalidKey(format!("{field} is not base64url")))
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros.min(bytes.len().saturating_sub(1)));
    bytes
}

impl VerifyingKey {
    /// The key of a published JWK, if it may verify `alg`: refuses `oct` keys (an HMAC key
    /// from a key set is how public keys get turned into shared secrets), keys whose `kty`
    /// or `crv` do not fit `alg`, keys whose own `alg` differs, and keys not for signing.
    pub fn from_jwk(jwk: &JwkParams<'_>, alg: JwsAlgorithm) -> Result<Self, JwsError> {
        if jwk.alg.is_some_and(|a| a != alg.as_str()) {
            return Err(JwsError::KeyMismatch(alg));
        }
        if jwk.use_.is_some_and(|u| u != "sig") {
            return Err(JwsError::KeyMismatch(alg));
        }
        if jwk
            .key_ops
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(JwsError::KeyMismatch(alg));
        }
        use JwsAlgorithm::*;
        match (jwk.kty, alg) {
            ("oct", _) | (_, HS256 | HS384 | HS512) => Err(JwsError::KeyMismatch(alg)),
            ("RSA", RS256 | RS384 | RS512 | PS256 | PS384 | PS512) => {
                let n = strip_leading_zeros(b64("n", jwk.n)?);
                let e = strip_leading_zeros(b64("e", jwk.e)?);
                if n.len() < 256 {
                    return Err(JwsError::InvalidKey("RSA modulus under 2048 bits".into()));
                }
                Ok(Self::Rsa { n, e })
            }
            ("EC", ES256 | ES384) => {
                let (want_crv, len) = if alg == ES256 {
                    ("P-256", 32)
                } else {
                    ("P-384", 48)
                };
                if jwk.crv != Some(want_crv) {
                    return Err(JwsError::KeyMismatch(alg));
                }
                let x = b64("x", jwk.x)?;
                let y = b64("y", jwk.y)?;
                if x.len() != len || y.len() != len {
                    return Err(JwsError::InvalidKey("bad EC coordinate length".into()));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(if alg == ES256 {
                    Self::P256(point)
                } else {
                    Self::P384(point)
                })
            }
            ("OKP", EdDSA) => {
                if jwk.crv != Some("Ed25519") {
                    return Err(JwsError::KeyMismatch(alg));
                }
                let x = b64("x", jwk.x)?;
                if x.len() != 32 {
                    return Err(JwsError::InvalidKey("bad Ed25519 key length".into()));
                }
                Ok(Self::Ed25519(x))
            }
            _ => Err(JwsError::KeyMismatch(alg)),
        }
    }

    /// An HMAC key from the client's secret (OIDC Core §10.1: the octets of its UTF-8 form).
    pub fn from_client_secret(secret: &str) -> Self {
        Self::Hmac(secret.as_bytes().to_vec())
    }

    /// Verifies `signature` over `signing_input` with `alg`; the key must fit the algorithm.
    pub fn verify(
        &self,
        alg: JwsAlgorithm,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), JwsError> {
        use JwsAlgorithm::*;
        let ok = match (self, alg) {
            (Self::Hmac(secret), HS256 | HS384 | HS512) => {
                let hmac_alg = match alg {
                    HS256 => hmac::HMAC_SHA256,
                    HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                let tag = hmac::sign(&hmac::Key::new(hmac_alg, secret), signing_input);
                constant_time::verify_slices_are_equal(tag.as_ref(), signature).is_ok()
            }
            (Self::Rsa { n, e }, RS256 | RS384 | RS512 | PS256 | PS384 | PS512) => {
                let params = match alg {
                    RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, signing_input, signature)
                    .is_ok()
            }
            (Self::P256(point), ES256) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(signing_input, signature)
                    .is_ok()
            }
            (Self::P384(point), ES384) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(signing_input, signature)
                    .is_ok()
            }
            (Self::Ed25519(x), EdDSA) => UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(signing_input, signature)
                .is_ok(),
            _ => return Err(JwsError::KeyMismatch(alg)),
        };
        if ok {
            Ok(())
        } else {
            Err(JwsError::BadSignature)
        }
    }
}

/// Parses an `alg` header value against an allow-list: `none` and unknown names are refused.
pub fn parse_algorithm(name: &str, allowed: &[JwsAlgorithm]) -> Result<JwsAlgorithm, JwsError> {
    JwsAlgorithm::from_name(name)
        .filter(|alg| allowed.contains(alg))
        .ok_or_else(|| JwsError::AlgorithmNotAllowed(name.to_owned()))
}

/// The algorithms named in `advertised` that this library supports; HMAC ones only with a
/// client secret. Without a list, RS256 (OIDC Core §3.1.3.7 step 7's default).
pub fn supported_algorithms(advertised: Option<&[String]>, has_secret: bool) -> Vec<JwsAlgorithm> {
    let names: Vec<&str> = match advertised {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => vec!["RS256"],
    };
    names
        .into_iter()
        .filter_map(JwsAlgorithm::from_name)
        .filter(|alg| has_secret || !alg.is_hmac())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_unknown_algorithms_are_refused() {
        let all = JwsAlgorithm::ALL;
        assert!(parse_algorithm("none", all).is_err());
        assert!(parse_algorithm("None", all).is_err());
        assert!(parse_algorithm("RS1", all).is_err());
        assert!(parse_algorithm("HS256", &[JwsAlgorithm::RS256]).is_err());
        assert_eq!(parse_algorithm("ES256", all), Ok(JwsAlgorithm::ES256));
    }

    #[test]
    fn oct_jwk_is_never_a_verifying_key() {
        let jwk = JwkParams {
            kty: "oct",
            ..Default::default()
        };
        for &alg in JwsAlgorithm::ALL {
            assert!(VerifyingKey::from_jwk(&jwk, alg).is_err());
        }
    }

    #[test]
    fn hmac_key_does_not_verify_rsa_algorithms() {
        let key = VerifyingKey::from_client_secret("secret");
        assert_eq!(
            key.verify(JwsAlgorithm::RS256, b"x", b"y"),
            Err(JwsError::KeyMismatch(JwsAlgorithm::RS256))
        );
    }

    #[test]
    fn hmac_verifies_rfc7515_appendix_a1() {
        let key_b64 = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
        let secret = URL_SAFE_NO_PAD.decode(key_b64).unwrap();
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let sig = URL_SAFE_NO_PAD
            .decode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .unwrap();
        let key = VerifyingKey::Hmac(secret);
        assert_eq!(
            key.verify(JwsAlgorithm::HS256, input.as_bytes(), &sig),
            Ok(())
        );
        assert_eq!(
            key.verify(JwsAlgorithm::HS256, b"tampered", &sig),
            Err(JwsError::BadSignature)
        );
    }

    #[test]
    fn algorithms_follow_the_provider_and_the_secret() {
        let list: Vec<String> = ["RS256", "HS256", "none", "ES256", "XY1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            supported_algorithms(Some(&list), false),
            [JwsAlgorithm::RS256, JwsAlgorithm::ES256]
        );
        assert_eq!(
            supported_algorithms(Some(&list), true),
            [
                JwsAlgorithm::RS256,
                JwsAlgorithm::HS256,
                JwsAlgorithm::ES256
            ]
        );
        assert_eq!(supported_algorithms(None, true), [JwsAlgorithm::RS256]);
    }
}
