//! JOSE framing without cryptography: the JWS Compact Serialization (RFC 7515 §3.1, §7.1),
//! the JOSE header, and base64url without padding (RFC 7515 §2). Signatures are created
//! and checked by the caller over [`CompactJws::signing_input`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;

mod alg;
mod jwe_alg;
pub use alg::{Alg, AlgFamily};
pub use jwe_alg::{JweAlg, JweEnc};

/// `typ` of JWT access tokens (RFC 9068 §2.1).
pub const TYP_AT_JWT: &str = "at+jwt";
/// `typ` of logout tokens (OIDC Back-Channel Logout §2.4, recommended).
pub const TYP_LOGOUT_JWT: &str = "logout+jwt";
/// `typ` of DPoP proofs (RFC 9449 §4.2).
pub const TYP_DPOP_JWT: &str = "dpop+jwt";

/// Why a compact JWS or base64url value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Not three dot-separated parts (a JWE has five).
    #[error("a compact JWS has three dot-separated parts, found {0}")]
    WrongPartCount(usize),
    /// A part is not base64url without padding.
    #[error("the {0} is not base64url without padding")]
    InvalidBase64(&'static str),
    /// The header is not a JSON object with a string `alg`.
    #[error("the JOSE header is invalid: {0}")]
    InvalidHeader(String),
    /// The payload is not the JSON expected.
    #[error("the JWS payload is not valid JSON for this type: {0}")]
    InvalidPayload(String),
    /// The header asks for something this framing does not support (`b64: false`, `crit`).
    #[error("unsupported JOSE header parameter: {0}")]
    Unsupported(String),
}

/// Encodes bytes as base64url without padding.
pub fn b64url_encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (strict: no padding, no other alphabet, canonical
/// trailing bits).
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JoseError::InvalidBase64("value"))
}

/// The left-most half of a hash, base64url-encoded: the `at_hash` / `c_hash` / `s_hash`
/// value (OIDC Core §3.1.3.6, §3.3.2.11) and DPoP `ath`-style values, given the digest
/// computed by the caller with the hash of the JWS `alg` (SHA-256 for RS256/ES256/PS256).
pub fn left_half_hash(digest: &[u8]) -> String {
    b64url_encode(&digest[..digest.len() / 2])
}

/// A JOSE header (RFC 7515 §4): `alg`, `kid`, `typ` and every other member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoseHeader {
    /// The algorithm (`RS256`, `ES256`, `EdDSA`, `HS256`, `none`, ...).
    pub alg: String,
    /// The key identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The media type of the whole JWS (`JWT`, `at+jwt`, `logout+jwt`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Every other member (`cty`, `jwk`, `x5c`, `crit`, ...).
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

impl JoseHeader {
    /// A header with `alg`, and `kid` and `typ` when given.
    pub fn new(alg: impl Into<String>, kid: Option<String>, typ: Option<String>) -> Self {
        JoseHeader {
            alg: alg.into(),
            kid,
            typ,
            extra: IndexMap::new(),
        }
    }

    /// Whether `typ` equals `expected` the way RFC 7515 §4.1.9 compares media types:
    /// case-insensitively, with an optional `application/` prefix.
    pub fn typ_is(&self, expected: &str) -> bool {
        match &self.typ {
            Some(t) => {
                let t = t.to_ascii_lowercase();
                let t = t.strip_prefix("application/").unwrap_or(&t);
                t == expected.to_ascii_lowercase()
            }
            None => false,
        }
    }

    /// The header as base64url JSON.
    pub fn encode(&self) -> String {
        b64url_encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// A JWS in Compact Serialization, split and decoded but not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactJws {
    header: JoseHeader,
    payload: Vec<u8>,
    signature: Vec<u8>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)` as received.
    signing_input: String,
}

impl CompactJws {
    /// Splits `token` into header, payload and signature. The header must be a JSON object
    /// with a string `alg`; `crit` and `b64: false` are refused (RFC 7515 §4.1.11).
    pub fn parse(token: &str) -> Result<Self, JoseError> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(JoseError::WrongPartCount(parts.len()));
        }
        let header_bytes = URL_SAFE_NO_PAD
            .decode(parts[0])
            .map_err(|_| JoseError::InvalidBase64("header"))?;
        let payload = URL_SAFE_NO_PAD
            .decode(parts[1])
            .map_err(|_| JoseError::InvalidBase64("payload"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(parts[2])
            .map_err(|_| JoseError::InvalidBase64("signature"))?;
        let header: JoseHeader = serde_json::from_slice(&header_bytes)
            .map_err(|e| JoseError::InvalidHeader(e.to_string()))?;
        if header.extra.contains_key("crit") {
            return Err(JoseError::Unsupported("crit".into()));
        }
        if header.extra.get("b64") == Some(&serde_json::Value::Bool(false)) {
            return Err(JoseError::Unsupported("b64".into()));
        }
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        Ok(CompactJws {
            header,
            payload,
            signature,
            signing_input,
        })
    }

    /// The JOSE header.
    pub fn header(&self) -> &JoseHeader {
        &self.header
    }

    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload parsed as JSON into `T`.
    pub fn payload_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, JoseError> {
        serde_json::from_slice(&self.payload).map_err(|e| JoseError::InvalidPayload(e.to_string()))
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The bytes the signature is computed over (RFC 7515 §5.2 step 8).
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The signing input for a new JWS: `BASE64URL(header) . BASE64URL(payload)`.
    pub fn signing_input_for(header: &JoseHeader, payload: &[u8]) -> String {
        format!("{}.{}", header.encode(), b64url_encode(payload))
    }

    /// Appends the signature to a signing input, producing the compact serialization.
    pub fn assemble(signing_input: &str, signature: &[u8]) -> String {
        format!("{signing_input}.{}", b64url_encode(signature))
    }
}

impl fmt::Display for CompactJws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            self.signing_input,
            b64url_encode(&self.signature)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7515_a1_example_splits() {
        // RFC 7515 Appendix A.1.
        let t = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let j = CompactJws::parse(t).unwrap();
        assert_eq!(j.header().alg, "HS256");
        assert_eq!(j.header().typ.as_deref(), Some("JWT"));
        let v: serde_json::Value = j.payload_json().unwrap();
        assert_eq!(v["iss"], "joe");
        assert_eq!(j.signature().len(), 32);
        assert_eq!(j.to_string(), t);
        assert!(t.starts_with(std::str::from_utf8(j.signing_input()).unwrap()));
    }

    #[test]
    fn rejects_junk() {
        assert_eq!(
            CompactJws::parse("a.b").unwrap_err(),
            JoseError::WrongPartCount(2)
        );
        assert!(CompactJws::parse("a.b.c.d.e").is_err());
        assert!(CompactJws::parse("!!.e30.").is_err());
        let h = b64url_encode(b"{\"typ\":\"JWT\"}");
        assert!(matches!(
            CompactJws::parse(&format!("{h}.e30.")),
            Err(JoseError::InvalidHeader(_))
        ));
        let h = b64url_encode(b"{\"alg\":\"RS256\",\"crit\":[\"x\"]}");
        assert!(matches!(
            CompactJws::parse(&format!("{h}.e30.")),
            Err(JoseError::Unsupported(_))
        ));
    }

    #[test]
    fn typ_comparison() {
        let h = JoseHeader::new("RS256", None, Some("application/AT+JWT".into()));
        assert!(h.typ_is("at+jwt"));
        assert!(!h.typ_is("JWT"));
    }

    #[test]
    fn assemble_round_trip() {
        let h = JoseHeader::new("none", Some("k1".into()), Some("JWT".into()));
        let si = CompactJws::signing_input_for(&h, b"{\"a\":1}");
        let t = CompactJws::assemble(&si, b"sig");
        let j = CompactJws::parse(&t).unwrap();
        assert_eq!(j.header(), &h);
        assert_eq!(j.payload(), b"{\"a\":1}");
        assert_eq!(j.signature(), b"sig");
    }
}
