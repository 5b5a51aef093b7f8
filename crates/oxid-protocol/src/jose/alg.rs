//! The JWS `alg` names (RFC 7518 §3.1, RFC 8037 §3.1): the one table of them for the
//! provider and the client. Which of them a side signs or verifies with is that side's
//! business; the names, their families and their hashes live here.

use crate::error::string_enum;

string_enum! {
    /// A JWS signature algorithm, by its registered `alg` name (case-sensitive, RFC 7515
    /// §4.1.1). `none` is not one of them: an unsigned JWS is never accepted.
    pub enum Alg("alg") {
        /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); OIDC's mandatory algorithm.
        RS256 => "RS256",
        /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
        PS256 => "PS256",
        /// ECDSA with P-256 and SHA-256 (RFC 7518 §3.4).
        ES256 => "ES256",
        /// EdDSA with Ed25519 (RFC 8037 §3.1).
        EdDSA => "EdDSA",
        /// HMAC with SHA-256 (RFC 7518 §3.2), keyed by a client secret.
        HS256 => "HS256",
        /// HMAC with SHA-384, keyed by a client secret.
        HS384 => "HS384",
        /// HMAC with SHA-512, keyed by a client secret.
        HS512 => "HS512",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RS384 => "RS384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RS512 => "RS512",
        /// RSASSA-PSS with SHA-384.
        PS384 => "PS384",
        /// RSASSA-PSS with SHA-512.
        PS512 => "PS512",
        /// ECDSA with P-384 and SHA-384.
        ES384 => "ES384",
    }
}

/// The kind of key and signature behind an [`Alg`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgFamily {
    /// HMAC with a shared secret (`HS*`); no public key.
    Hmac,
    /// RSASSA-PKCS1-v1_5 (`RS*`), an RSA key.
    RsaPkcs1,
    /// RSASSA-PSS (`PS*`), an RSA key.
    RsaPss,
    /// ECDSA (`ES*`), an EC key of the matching curve.
    Ecdsa,
    /// EdDSA (RFC 8037), an OKP key.
    EdDsa,
}

impl Alg {
    /// The algorithm named `name`; `None` for `none` and anything unknown.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::parse(name)
    }

    /// The family: which kind of key signs and verifies.
    pub fn family(self) -> AlgFamily {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => AlgFamily::Hmac,
            Alg::RS256 | Alg::RS384 | Alg::RS512 => AlgFamily::RsaPkcs1,
            Alg::PS256 | Alg::PS384 | Alg::PS512 => AlgFamily::RsaPss,
            Alg::ES256 | Alg::ES384 => AlgFamily::Ecdsa,
            Alg::EdDSA => AlgFamily::EdDsa,
        }
    }

    /// Whether this is an HMAC algorithm (keyed by a shared secret).
    pub fn is_hmac(self) -> bool {
        self.family() == AlgFamily::Hmac
    }

    /// The JWK `kty` of the keys this algorithm uses (RFC 7518 §6.1, RFC 8037 §2).
    pub fn key_type(self) -> &'static str {
        match self.family() {
            AlgFamily::Hmac => "oct",
            AlgFamily::RsaPkcs1 | AlgFamily::RsaPss => "RSA",
            AlgFamily::Ecdsa => "EC",
            AlgFamily::EdDsa => "OKP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_none_is_not_an_algorithm() {
        for &alg in Alg::ALL {
            assert_eq!(Alg::from_name(alg.as_str()), Some(alg));
            assert_eq!(alg.as_str().parse::<Alg>(), Ok(alg));
            assert_eq!(serde_json::to_value(alg).unwrap(), alg.as_str());
        }
        // RFC 7515 §4.1.1: case-sensitive; RFC 8725 §3.1: "none" is never an algorithm.
        assert_eq!(Alg::from_name("none"), None);
        assert_eq!(Alg::from_name("rs256"), None);
        assert!("None".parse::<Alg>().is_err());
    }

    #[test]
    fn families_and_key_types() {
        assert!(Alg::HS384.is_hmac());
        assert!(!Alg::RS256.is_hmac());
        assert_eq!(Alg::PS512.family(), AlgFamily::RsaPss);
        assert_eq!(Alg::ES384.key_type(), "EC");
        assert_eq!(Alg::EdDSA.key_type(), "OKP");
        assert_eq!(Alg::HS256.key_type(), "oct");
    }
}
