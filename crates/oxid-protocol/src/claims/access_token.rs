//! The JWT access token's claims and the resource server's checks (RFC 9068 §2.2, §4).

use super::{Audience, ClaimsError, Validation};
use crate::jose::JoseHeader;
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The claims of a JWT access token (RFC 9068 §2.2). Almost every claim is optional
/// because real providers omit some; `iss` and `exp` are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// REQUIRED. Issuer.
    pub iss: String,
    /// REQUIRED. Expiration time.
    #[serde(with = "crate::serde_util::numeric_date")]
    pub exp: u64,
    /// Audiences (the resource servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Subject: the resource owner, or the client for client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Issue time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub iat: Option<u64>,
    /// Unique token identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Time of the End-User authentication.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub auth_time: Option<u64>,
    /// Authentication Context Class Reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication Methods References.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Granted scope (space-delimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Every other claim, in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl AccessTokenClaims {
    /// Checks `iss` equals `issuer` and the token is not expired (with the leeway).
    pub fn validate_extern(
        &self,
        issuer: &str,
        validation: &Validation,
    ) -> Result<(), ClaimsError> {
        if self.iss != issuer {
            return Err(ClaimsError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: self.iss.clone(),
            });
        }
        validation.check_exp(self.exp)
    }

    /// Checks that `aud` contains `resource` (RFC 9068 §4: the resource server must find
    /// itself in the audience).
    pub fn validate_audience(&self, resource: &str) -> Result<(), ClaimsError> {
        match &self.aud {
            Some(a) if a.contains(resource) => Ok(()),
            Some(_) => Err(ClaimsError::AudienceMissingClient {
                client_id: resource.to_owned(),
            }),
            None => Err(ClaimsError::AudienceMissing),
        }
    }

    /// Checks the JOSE header `typ` is `at+jwt` (or `application/at+jwt`, RFC 9068 §4).
    pub fn validate_header(header: &JoseHeader) -> Result<(), ClaimsError> {
        if header.typ_is(crate::jose::TYP_AT_JWT) {
            Ok(())
        } else {
            Err(ClaimsError::InvalidType {
                expected: crate::jose::TYP_AT_JWT,
                found: header.typ.clone(),
            })
        }
    }
}
