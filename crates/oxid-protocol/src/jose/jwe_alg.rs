//! JWE algorithm names (RFC 7516 §4.1.1 `alg`, §4.1.2 `enc`; RFC 7518 §4.1 and §5.1): the
//! registered values Oxid encrypts and decrypts with. No cryptography here.

use crate::error::string_enum;

string_enum! {
    /// A JWE key management algorithm (`alg`, RFC 7518 §4.1), for the recipient's public key.
    pub enum JweAlg("JWE alg") {
        /// RSAES OAEP with SHA-256 and MGF1 with SHA-256 (RFC 7518 §4.3).
        RsaOaep256 => "RSA-OAEP-256",
        /// ECDH-ES direct key agreement (RFC 7518 §4.6): the agreed key is the CEK.
        EcdhEs => "ECDH-ES",
        /// ECDH-ES, then the CEK wrapped with AES-128 Key Wrap (RFC 7518 §4.6).
        EcdhEsA128Kw => "ECDH-ES+A128KW",
        /// ECDH-ES, then the CEK wrapped with AES-256 Key Wrap (RFC 7518 §4.6).
        EcdhEsA256Kw => "ECDH-ES+A256KW",
    }
}

string_enum! {
    /// A JWE content encryption algorithm (`enc`, RFC 7518 §5.1).
    pub enum JweEnc("JWE enc") {
        /// AES-128-CBC with HMAC SHA-256 (RFC 7518 §5.2.3); OIDC Registration §2's default
        /// `enc` when only an `alg` is registered.
        A128CbcHs256 => "A128CBC-HS256",
        /// AES-GCM with a 128-bit key (RFC 7518 §5.3).
        A128Gcm => "A128GCM",
        /// AES-GCM with a 256-bit key (RFC 7518 §5.3).
        A256Gcm => "A256GCM",
    }
}

impl JweAlg {
    /// The JWK `kty` a recipient key of this algorithm has: `RSA` for RSA-OAEP-256, `EC` for
    /// the ECDH-ES family.
    pub fn key_type(self) -> &'static str {
        match self {
            JweAlg::RsaOaep256 => "RSA",
            JweAlg::EcdhEs | JweAlg::EcdhEsA128Kw | JweAlg::EcdhEsA256Kw => "EC",
        }
    }
}

impl JweEnc {
    /// OIDC Registration §2: the `enc` used when an `alg` is registered without one.
    pub const DEFAULT: JweEnc = JweEnc::A128CbcHs256;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for alg in JweAlg::ALL {
            assert_eq!(JweAlg::parse(alg.as_str()), Some(*alg));
        }
        for enc in JweEnc::ALL {
            assert_eq!(enc.as_str().parse::<JweEnc>().ok(), Some(*enc));
        }
        // RFC 7518 §4.2: RSA1_5 is not offered (Bleichenbacher); names are case-sensitive.
        for name in ["RSA1_5", "rsa-oaep-256", "dir", "A128KW", ""] {
            assert!(JweAlg::parse(name).is_none(), "{name}");
        }
        assert!(JweEnc::parse("A192GCM").is_none());
        assert_eq!(JweEnc::DEFAULT.as_str(), "A128CBC-HS256");
        assert_eq!(JweAlg::EcdhEsA256Kw.key_type(), "EC");
        assert_eq!(JweAlg::RsaOaep256.key_type(), "RSA");
    }
}
