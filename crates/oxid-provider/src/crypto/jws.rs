//! Compact JWS (RFC 7515 §7.1) signed with keys parsed once into aws-lc-rs key pairs.
//!
//! Algorithms (RFC 7518 §3): RS256 (RSASSA-PKCS1-v1_5 with SHA-256), PS256 (RSASSA-PSS with
//! SHA-256), ES256 (ECDSA P-256 with SHA-256, signature as fixed-length `R || S`, §3.4),
//! EdDSA with Ed25519 (RFC 8037), and HS256 with a shared secret (client-secret-signed tokens).

use super::secrets::random_id;
use super::{CryptoError, Result};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RSA_PSS_SHA256, RsaKeyPair,
};
use aws_lc_rs::{digest, hmac, rand::SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_protocol::jose::Alg;
use serde::Serialize;
use serde_json::json;
use std::fmt;
use std::str::FromStr;

/// A JWS `alg` the provider signs with: one of the protocol crate's [`Alg`] names, limited
/// to the five the provider implements (parsing any other is `UnsupportedAlg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SigningAlg(Alg);

impl SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); OIDC's mandatory algorithm.
    pub const RS256: SigningAlg = SigningAlg(Alg::RS256);
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
    pub const PS256: SigningAlg = SigningAlg(Alg::PS256);
    /// ECDSA with P-256 and SHA-256 (RFC 7518 §3.4).
    pub const ES256: SigningAlg = SigningAlg(Alg::ES256);
    /// EdDSA with Ed25519 (RFC 8037 §3.1).
    #[allow(non_upper_case_globals)] // the registered name
    pub const EdDSA: SigningAlg = SigningAlg(Alg::EdDSA);
    /// HMAC with SHA-256 keyed by a client secret (RFC 7518 §3.2); no key pair.
    pub const HS256: SigningAlg = SigningAlg(Alg::HS256);

    /// Every algorithm that signs with a key pair of ours, in discovery order (RS256 first).
    pub const ASYMMETRIC: [SigningAlg; 4] = [
        SigningAlg::RS256,
        SigningAlg::PS256,
        SigningAlg::ES256,
        SigningAlg::EdDSA,
    ];

    /// Every algorithm the provider signs with: the key-pair ones, then HS256.
    pub const ALL: [SigningAlg; 5] = [
        SigningAlg::RS256,
        SigningAlg::PS256,
        SigningAlg::ES256,
        SigningAlg::EdDSA,
        SigningAlg::HS256,
    ];

    /// The registered `alg` name.
    pub fn as_str(self) -> &'static str {
        self.0.as_str()
    }

    /// The protocol crate's name of this algorithm.
    pub fn alg(self) -> Alg {
        self.0
    }
}

impl From<SigningAlg> for Alg {
    fn from(alg: SigningAlg) -> Alg {
        alg.0
    }
}

impl TryFrom<Alg> for SigningAlg {
    type Error = CryptoError;

    /// The provider's algorithm for `alg`, if it signs with it.
    fn try_from(alg: Alg) -> Result<Self> {
        SigningAlg::ALL
            .into_iter()
            .find(|ours| ours.0 == alg)
            .ok_or_else(|| CryptoError::UnsupportedAlg(alg.as_str().to_string()))
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = CryptoError;

    /// Parses a registered `alg` name (case-sensitive, RFC 7515 §4.1.1) the provider signs
    /// with.
    fn from_str(s: &str) -> Result<Self> {
        Alg::from_name(s)
            .ok_or_else(|| CryptoError::UnsupportedAlg(s.to_string()))
            .and_then(SigningAlg::try_from)
    }
}

impl Serialize for SigningAlg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SigningAlg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private signing key, parsed once, with its `kid` and `alg`. `Debug` shows only those.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    jwk: serde_json::Value,
    /// `base64url` of the protected headers this key signs most (see [`EncodedHeaders`]).
    headers: EncodedHeaders,
}

/// A key's protected headers `{alg, kid}` (ID tokens, most JWS) and `{alg, kid, typ:
/// "at+jwt"}` (RFC 9068 §2.1, every JWT access token), encoded once when the key is
/// parsed instead of serialized and encoded for every token.
struct EncodedHeaders {
    untyped: String,
    access_token: String,
}

impl EncodedHeaders {
    fn of(alg: SigningAlg, kid: &str) -> EncodedHeaders {
        let encode = |typ| {
            let mut out = String::new();
            encode_header(
                &Header {
                    alg: alg.as_str(),
                    kid: Some(kid),
                    typ,
                },
                &mut out,
            );
            out
        };
        EncodedHeaders {
            untyped: encode(None),
            access_token: encode(Some(oxid_protocol::jose::TYP_AT_JWT)),
        }
    }

    fn get(&self, typ: Option<&str>) -> Option<&str> {
        match typ {
            None => Some(&self.untyped),
            Some(oxid_protocol::jose::TYP_AT_JWT) => Some(&self.access_token),
            Some(_) => None,
        }
    }
}

fn rejected(alg: SigningAlg) -> impl FnOnce(aws_lc_rs::error::KeyRejected) -> CryptoError {
    move |err| CryptoError::InvalidKey {
        alg: alg.as_str(),
        reason: err.to_string(),
    }
}

impl SigningKey {
    /// A fresh key for `alg` with a random `kid` (RSA keys are 2048 bits). HS256 has no key
    /// pair and is `UnsupportedAlg`.
    pub fn generate(alg: SigningAlg) -> Result<SigningKey> {
        SigningKey::generate_with_kid(alg, random_id(16))
    }

    /// A fresh key for `alg` with the given `kid` (RSA keys are 2048 bits).
    pub fn generate_with_kid(alg: SigningAlg, kid: impl Into<String>) -> Result<SigningKey> {
        let failed = |_| CryptoError::Operation("key generation");
        let pair = match alg {
            SigningAlg::RS256 | SigningAlg::PS256 => {
                Pair::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?)
            }
            SigningAlg::ES256 => {
                Pair::Ec(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(failed)?)
            }
            SigningAlg::EdDSA => Pair::Ed(Ed25519KeyPair::generate().map_err(failed)?),
            _ => return Err(CryptoError::UnsupportedAlg(alg.to_string())),
        };
        Ok(SigningKey::assemble(kid.into(), alg, pair))
    }

    /// Parses an unencrypted PKCS#8 private key (what [`SigningKey::pkcs8_der`] returns).
    pub fn from_pkcs8(alg: SigningAlg, kid: impl Into<String>, der: &[u8]) -> Result<SigningKey> {
        let pair = match alg {
            SigningAlg::RS256 | SigningAlg::PS256 => {
                Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected(alg))?)
            }
            SigningAlg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected(alg))?,
            ),
            SigningAlg::EdDSA => Pair::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(rejected(alg))?),
            _ => return Err(CryptoError::UnsupportedAlg(alg.to_string())),
        };
        Ok(SigningKey::assemble(kid.into(), alg, pair))
    }

    fn assemble(kid: String, alg: SigningAlg, pair: Pair) -> SigningKey {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        // RFC 7517 §4 common members, RFC 7518 §6 key-type members, RFC 8037 §2 for OKP.
        let jwk = match &pair {
            Pair::Rsa(rsa) => {
                let public = rsa.public_key();
                json!({
                    "kty": "RSA", "kid": kid, "use": "sig", "alg": alg.as_str(),
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Pair::Ec(ec) => {
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let point = ec.public_key().as_ref();
                let coordinates = point.get(1..).unwrap_or_default();
                let (x, y) = coordinates.split_at(coordinates.len() / 2);
                json!({
                    "kty": "EC", "kid": kid, "use": "sig", "alg": alg.as_str(),
                    "crv": "P-256", "x": b64(x), "y": b64(y),
                })
            }
            Pair::Ed(ed) => json!({
                "kty": "OKP", "kid": kid, "use": "sig", "alg": alg.as_str(),
                "crv": "Ed25519", "x": b64(ed.public_key().as_ref()),
            }),
        };
        let headers = EncodedHeaders::of(alg, &kid);
        SigningKey {
            kid,
            alg,
            pair,
            jwk,
            headers,
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The unencrypted PKCS#8 DER of the private key, to encrypt and store. Handle with care.
    pub fn pkcs8_der(&self) -> Result<Vec<u8>> {
        let failed = |_| CryptoError::Operation("PKCS#8 export");
        match &self.pair {
            Pair::Rsa(rsa) => Ok(rsa.as_der().map_err(failed)?.as_ref().to_vec()),
            Pair::Ec(ec) => Ok(ec.to_pkcs8v1().map_err(failed)?.as_ref().to_vec()),
            Pair::Ed(ed) => Ok(ed.to_pkcs8v1().map_err(failed)?.as_ref().to_vec()),
        }
    }

    /// The public key as a JWK with `kty`, `kid`, `use` = `sig`, `alg` and `n`/`e` or
    /// `crv`/`x`(/`y`), for the JWKS.
    pub fn public_jwk(&self) -> serde_json::Value {
        self.jwk.clone()
    }

    pub(crate) fn jwk_ref(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// Signs `message` (the JWS signing input) and returns the raw JWS signature bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let failed = |_| CryptoError::Operation("signing");
        match &self.pair {
            Pair::Rsa(rsa) => {
                let padding = if self.alg == SigningAlg::PS256 {
                    &RSA_PSS_SHA256
                } else {
                    &RSA_PKCS1_SHA256
                };
                let mut signature = vec![0u8; rsa.public_modulus_len()];
                rsa.sign(padding, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            Pair::Ec(ec) => Ok(ec
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            Pair::Ed(ed) => Ok(ed.sign(message).as_ref().to_vec()),
        }
    }

    /// Signs the signing input `jws` and appends `"." base64url(signature)` to it; the EC and
    /// Ed25519 signatures are encoded where aws-lc-rs returns them (no `Vec`, no move).
    fn append_signature(&self, jws: &mut String) -> Result<()> {
        let failed = |_| CryptoError::Operation("signing");
        match &self.pair {
            Pair::Rsa(_) => {
                let signature = self.sign(jws.as_bytes())?;
                jws.push('.');
                URL_SAFE_NO_PAD.encode_string(signature, jws);
            }
            Pair::Ec(ec) => {
                let signature = ec
                    .sign(&SystemRandom::new(), jws.as_bytes())
                    .map_err(failed)?;
                jws.push('.');
                URL_SAFE_NO_PAD.encode_string(signature, jws);
            }
            Pair::Ed(ed) => {
                let signature = ed.sign(jws.as_bytes());
                jws.push('.');
                URL_SAFE_NO_PAD.encode_string(signature, jws);
            }
        }
        Ok(())
    }
}

impl SigningKey {
    /// Whether `signature` is this key's JWS signature over `message` (for tokens we issued
    /// and get back, such as `id_token_hint`). Checked with the public half only.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
            UnparsedPublicKey, VerificationAlgorithm,
        };
        let (algorithm, public): (&'static dyn VerificationAlgorithm, &[u8]) = match &self.pair {
            Pair::Rsa(rsa) if self.alg == SigningAlg::PS256 => {
                (&RSA_PSS_2048_8192_SHA256, rsa.public_key().as_ref())
            }
            Pair::Rsa(rsa) => (&RSA_PKCS1_2048_8192_SHA256, rsa.public_key().as_ref()),
            Pair::Ec(ec) => (&ECDSA_P256_SHA256_FIXED, ec.public_key().as_ref()),
            Pair::Ed(ed) => (&ED25519, ed.public_key().as_ref()),
        };
        UnparsedPublicKey::new(algorithm, public)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
}

/// Appends `base64url(header)` to `out`.
fn encode_header(header: &Header<'_>, out: &mut String) {
    // Three `&str` and `Option<&str>` members: serializing them cannot fail.
    let json = serde_json::to_vec(header).unwrap_or_default();
    URL_SAFE_NO_PAD.encode_string(&json, out);
}

/// `encoded_header "." base64url(payload)`, with room for a signature of `signature_len`
/// bytes.
fn signing_input_after(
    encoded_header: &str,
    claims: &impl Serialize,
    signature_len: usize,
) -> Result<String> {
    let mut payload = Vec::with_capacity(512);
    serde_json::to_writer(&mut payload, claims)?;
    let mut out =
        String::with_capacity(encoded_header.len() + (payload.len() + signature_len) * 4 / 3 + 8);
    out.push_str(encoded_header);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
    Ok(out)
}

/// `base64url(header) "." base64url(payload)`, with room for the signature.
fn signing_input(header: &Header<'_>, claims: &impl Serialize) -> Result<String> {
    let mut encoded_header = String::new();
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(header)?, &mut encoded_header);
    signing_input_after(&encoded_header, claims, 256)
}

/// A compact JWS (RFC 7515 §7.1) of `claims` with protected header `{alg, kid, typ?}`.
pub fn sign_compact(
    key: &SigningKey,
    typ: Option<&str>,
    claims: &impl Serialize,
) -> Result<String> {
    let signature_len = match &key.pair {
        Pair::Rsa(rsa) => rsa.public_modulus_len(),
        Pair::Ec(_) | Pair::Ed(_) => 64,
    };
    let mut jws = match key.headers.get(typ) {
        Some(encoded) => signing_input_after(encoded, claims, signature_len)?,
        None => {
            let header = Header {
                alg: key.alg.as_str(),
                kid: Some(&key.kid),
                typ,
            };
            signing_input(&header, claims)?
        }
    };
    key.append_signature(&mut jws)?;
    Ok(jws)
}

/// A compact JWS with HS256 keyed by `secret` (the octets of a client secret, OIDC Core
/// §10.1), header `{alg, typ?}`. The secret must be at least 32 bytes (RFC 7518 §3.2).
pub fn sign_compact_hs256(
    secret: &[u8],
    typ: Option<&str>,
    claims: &impl Serialize,
) -> Result<String> {
    if secret.len() < 32 {
        return Err(CryptoError::WeakHmacKey(secret.len()));
    }
    let header = Header {
        alg: SigningAlg::HS256.as_str(),
        kid: None,
        typ,
    };
    let mut jws = signing_input(&header, claims)?;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), jws.as_bytes());
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut jws);
    Ok(jws)
}

/// `at_hash` / `c_hash` (OIDC Core §3.1.3.6, §3.3.2.11): the left half of the hash of the
/// ASCII `value`, base64url. The hash is the one of the ID token's `alg`: SHA-256 for the
/// `*256` algorithms, SHA-512 for EdDSA with Ed25519 (the hash of RFC 8032 §5.1; the OpenID
/// Connect working group's resolution of its issue 1125, which node-oidc-provider, zitadel and
/// oxid-client follow).
pub fn left_half_hash(alg: SigningAlg, value: &str) -> String {
    let hash = if alg == SigningAlg::EdDSA {
        &digest::SHA512
    } else {
        &digest::SHA256
    };
    oxid_protocol::jose::left_half_hash(digest::digest(hash, value.as_bytes()).as_ref())
}

#[cfg(test)]
#[path = "jws_tests.rs"]
pub(crate) mod tests;
