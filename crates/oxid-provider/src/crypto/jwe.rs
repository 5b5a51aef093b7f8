//! JWE in the compact serialization (RFC 7516 §7.1): ID tokens and UserInfo answers encrypted
//! to a client's `use: enc` key (OIDC Core §10.2), and JWEs sent to us (encrypted request
//! objects, OIDC Core §6.1) decrypted with our own encryption keys ([`EncryptionKey`]).
//!
//! Why `josekit`: the JOSE crate with every algorithm OIDC clients register here
//! (RSA-OAEP-256, ECDH-ES with and without AES Key Wrap, A128GCM, A256GCM and the
//! registration default A128CBC-HS256), whose cryptography is OpenSSL's; composing JWE out of
//! aws-lc-rs primitives would mean writing the Concat KDF, the key-wrap framing and the
//! CBC-HMAC construction ourselves. What we do not take from it, we refuse before it runs:
//! compressed (`zip`) and `crit` JWEs, algorithms outside [`JweAlg`] / [`JweEnc`], and for
//! decryption CBC-HMAC (its tag comparison is not constant-time; GCM's is OpenSSL's own).
//! Signing stays on aws-lc-rs (`jws`), keys parsed once (`DESIGN.md` §Keys).

use josekit::jwe::{self, JweContext, JweDecrypter, JweEncrypter, JweHeader};
use oxid_protocol::jose::{JweAlg, JweEnc};
use oxid_protocol::jwk::{Jwk, JwkSet, KeyParams};

/// Why a JWE could not be made or read. Texts are for logs; clients get a spec error.
#[derive(Debug, thiserror::Error)]
pub enum JweError {
    /// The client has no key fit for the algorithm it registered.
    #[error("no key with use enc (or no use) of type {kty} fit for {alg}")]
    NoRecipientKey {
        /// The registered `alg`.
        alg: &'static str,
        /// The key type it needs.
        kty: &'static str,
    },
    /// Not five base64url parts with a JSON header, or a header we refuse.
    #[error("malformed or refused JWE: {0}")]
    Malformed(String),
    /// No key of ours decrypts it (unknown `kid`, wrong key, tampered with).
    #[error("the JWE does not decrypt with our keys")]
    Undecryptable,
    /// Encryption failed inside the JOSE library.
    #[error("JWE encryption failed: {0}")]
    Encrypt(String),
}

/// Encrypts `payload` to `key` (a public JWK) with `alg` and `enc` (RFC 7516 §5.1). `cty:
/// JWT` marks a nested JWT (RFC 7519 §5.2, OIDC Core §10.2); the key's `kid`, when it has
/// one, names it in the header so the client knows which key to use.
pub fn encrypt_compact(
    payload: &[u8],
    key: &Jwk,
    alg: JweAlg,
    enc: JweEnc,
    cty: Option<&str>,
) -> Result<String, JweError> {
    let failed = |e: josekit::JoseError| JweError::Encrypt(e.to_string());
    let jwk = josekit::jwk::Jwk::from_map(key.to_json_map()).map_err(failed)?;
    let encrypter: Box<dyn JweEncrypter> = match alg {
        JweAlg::RsaOaep256 => Box::new(jwe::RSA_OAEP_256.encrypter_from_jwk(&jwk).map_err(failed)?),
        JweAlg::EcdhEs => Box::new(jwe::ECDH_ES.encrypter_from_jwk(&jwk).map_err(failed)?),
        JweAlg::EcdhEsA128Kw => Box::new(
            jwe::ECDH_ES_A128KW
                .encrypter_from_jwk(&jwk)
                .map_err(failed)?,
        ),
        JweAlg::EcdhEsA256Kw => Box::new(
            jwe::ECDH_ES_A256KW
                .encrypter_from_jwk(&jwk)
                .map_err(failed)?,
        ),
    };
    let mut header = JweHeader::new();
    header.set_content_encryption(enc.as_str());
    if let Some(cty) = cty {
        header.set_content_type(cty);
    }
    if let Some(kid) = &key.kid {
        header.set_key_id(kid);
    }
    jwe::serialize_compact(payload, &header, encrypter.as_ref()).map_err(failed)
}

/// The client's key to encrypt to with `alg` (OIDC Core §10.2): `use` `enc` preferred, then
/// keys without `use`; never a `use: sig` key; `alg`, when the key names one, must be `alg`;
/// the key type must fit (RSA for RSA-OAEP-256, EC P-256/384/521 for ECDH-ES).
pub fn recipient_key(keys: &JwkSet, alg: JweAlg) -> Result<&Jwk, JweError> {
    let fits = |key: &&Jwk| {
        key.alg.as_deref().is_none_or(|a| a == alg.as_str())
            && !key.is_private()
            && match (&key.params, alg) {
                (KeyParams::Rsa { .. }, JweAlg::RsaOaep256) => true,
                (KeyParams::Ec { crv, .. }, _) if alg.key_type() == "EC" => {
                    matches!(crv.as_str(), "P-256" | "P-384" | "P-521")
                }
                _ => false,
            }
    };
    let with_use = |wanted: Option<&str>| {
        keys.keys
            .iter()
            .filter(move |k| k.use_.as_deref() == wanted)
            .find(fits)
    };
    with_use(Some("enc"))
        .or_else(|| with_use(None))
        .ok_or(JweError::NoRecipientKey {
            alg: alg.as_str(),
            kty: alg.key_type(),
        })
}

/// The protected header of a compact JWE, read without decrypting (for choosing the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JweHeaderInfo {
    /// `alg`.
    pub alg: JweAlg,
    /// `enc`.
    pub enc: JweEnc,
    /// `kid`, when given.
    pub kid: Option<String>,
    /// `cty`, when given.
    pub cty: Option<String>,
}

/// Reads and checks the header of `compact`: five parts, known `alg` and `enc`, no `zip`
/// (a decompression bomb inside a request object is not worth the bytes it saves) and no
/// `crit` (RFC 7516 §4.1.13: we understand no extension).
pub fn read_header(compact: &str) -> Result<JweHeaderInfo, JweError> {
    let malformed = |why: &str| JweError::Malformed(why.to_string());
    let parts: Vec<&str> = compact.split('.').collect();
    if parts.len() != 5 {
        return Err(malformed("a compact JWE has five dot-separated parts"));
    }
    let header = oxid_protocol::jose::b64url_decode(parts[0])
        .map_err(|_| malformed("the header is not base64url"))?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|_| malformed("the header is not JSON"))?;
    let string = |name: &str| header.get(name).and_then(|v| v.as_str());
    if header.contains_key("zip") {
        return Err(malformed("compressed JWEs (zip) are not accepted"));
    }
    if header.contains_key("crit") {
        return Err(malformed("no crit extension is understood"));
    }
    let alg = string("alg")
        .and_then(JweAlg::parse)
        .ok_or_else(|| malformed("alg is not one we decrypt"))?;
    let enc = string("enc")
        .and_then(JweEnc::parse)
        .ok_or_else(|| malformed("enc is not one we decrypt"))?;
    Ok(JweHeaderInfo {
        alg,
        enc,
        kid: string("kid").map(str::to_string),
        cty: string("cty").map(str::to_string),
    })
}

/// Decrypts `compact` with the private key `pkcs8_der` under `alg`, after [`read_header`]
/// accepted its header. Every failure is [`JweError::Undecryptable`]: a client learns nothing
/// about which step failed.
pub(crate) fn decrypt_with(
    compact: &str,
    alg: JweAlg,
    pkcs8_der: &[u8],
) -> Result<Vec<u8>, JweError> {
    let decrypter: Box<dyn JweDecrypter> = match alg {
        JweAlg::RsaOaep256 => Box::new(
            jwe::RSA_OAEP_256
                .decrypter_from_der(pkcs8_der)
                .map_err(|_| JweError::Undecryptable)?,
        ),
        JweAlg::EcdhEs => Box::new(
            jwe::ECDH_ES
                .decrypter_from_der(pkcs8_der)
                .map_err(|_| JweError::Undecryptable)?,
        ),
        JweAlg::EcdhEsA128Kw => Box::new(
            jwe::ECDH_ES_A128KW
                .decrypter_from_der(pkcs8_der)
                .map_err(|_| JweError::Undecryptable)?,
        ),
        JweAlg::EcdhEsA256Kw => Box::new(
            jwe::ECDH_ES_A256KW
                .decrypter_from_der(pkcs8_der)
                .map_err(|_| JweError::Undecryptable)?,
        ),
    };
    let mut context = JweContext::new();
    // `read_header` refused `zip` already; without the codec a slip cannot inflate anything.
    context.remove_compression("DEF");
    let (payload, _) = context
        .deserialize_compact(compact, decrypter.as_ref())
        .map_err(|e| {
            tracing::debug!(error = %e, "JWE did not decrypt");
            JweError::Undecryptable
        })?;
    Ok(payload)
}

#[cfg(test)]
#[path = "jwe_tests.rs"]
mod tests;
