//! The ID token's claims and the receiver's checks (OIDC Core §2, §3.1.3.7).

use super::{
    Audience, Check, ClaimsError, Validation, check_audience, check_min, is_valid_subject,
};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The claims of an ID token (OIDC Core §2, §3.1.3.6, §3.3.2.11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// REQUIRED. Issuer identifier.
    pub iss: String,
    /// REQUIRED. Subject identifier, at most 255 ASCII characters.
    pub sub: String,
    /// REQUIRED. Audiences; contains the client id.
    pub aud: Audience,
    /// REQUIRED. Expiration time.
    #[serde(with = "crate::serde_util::numeric_date")]
    pub exp: u64,
    /// REQUIRED. Issue time.
    #[serde(with = "crate::serde_util::numeric_date")]
    pub iat: u64,
    /// Time of the End-User authentication.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub auth_time: Option<u64>,
    /// The request's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authentication Context Class Reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication Methods References.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Authorized party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Session id (OIDC Front-/Back-Channel Logout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Access token hash (OIDC Core §3.1.3.6, §3.2.2.10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Code hash (OIDC Core §3.3.2.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_hash: Option<String>,
    /// Every other claim (standard claims of §5.1, `s_hash`, custom claims), in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

/// What the receiver checks an ID token against ([`IdTokenClaims::validate_extern`]): its
/// own data and the request's. Start from [`IdTokenRules::new`] and set what applies.
#[derive(Clone, Copy, Default)]
pub struct IdTokenRules<'a> {
    /// The expected `iss`.
    pub issuer: &'a str,
    /// The receiver's client id, which `aud` must contain.
    pub client_id: &'a str,
    /// The nonce sent in the authentication request, if any.
    pub nonce: Option<&'a str>,
    /// Audiences other than the client that are trusted.
    pub extra_trusted_audiences: &'a [String],
    /// The earliest acceptable `iat` (0: any).
    pub min_iat: u64,
    /// The earliest acceptable `auth_time` (0: any), e.g. now minus `max_age`.
    pub min_auth_time: u64,
    /// Accepts or refuses the `acr`; called only when the token has one (the seed's
    /// `validate_acr`: the meaning of `acr` values is the deployment's).
    pub validate_acr: Option<Check<'a>>,
}

impl<'a> IdTokenRules<'a> {
    /// Rules for `issuer` and `client_id`: no nonce, no other audience, no minimum times,
    /// no `acr` check.
    pub fn new(issuer: &'a str, client_id: &'a str) -> Self {
        IdTokenRules {
            issuer,
            client_id,
            ..IdTokenRules::default()
        }
    }
}

impl IdTokenClaims {
    /// Checks the token against the receiver's data in `rules` (OIDC Core §3.1.3.7):
    ///
    /// - `iss` equals `rules.issuer`;
    /// - `aud` contains `rules.client_id`, and every other audience is in
    ///   `rules.extra_trusted_audiences`;
    /// - `azp`, when present, equals the client id, and is required with several audiences;
    /// - when a `nonce` was sent, the token's nonce equals it;
    /// - `exp` is in the future and `iat` is not before `rules.min_iat` (both with the leeway);
    /// - `auth_time`, when present, is not before `rules.min_auth_time` (with the leeway);
    /// - `rules.validate_acr`, when given and the token has an `acr`, accepts it;
    /// - `sub` is 1 to 255 ASCII characters.
    pub fn validate_extern(
        &self,
        rules: &IdTokenRules<'_>,
        validation: &Validation,
    ) -> Result<(), ClaimsError> {
        let IdTokenRules {
            issuer,
            client_id,
            nonce,
            extra_trusted_audiences,
            min_iat,
            min_auth_time,
            validate_acr,
        } = *rules;
        if self.iss != issuer {
            return Err(ClaimsError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: self.iss.clone(),
            });
        }
        if !is_valid_subject(&self.sub) {
            return Err(ClaimsError::InvalidSubject);
        }
        check_audience(&self.aud, client_id, extra_trusted_audiences)?;
        match &self.azp {
            Some(azp) if azp != client_id => {
                return Err(ClaimsError::AzpMismatch {
                    expected: client_id.to_owned(),
                    found: azp.clone(),
                });
            }
            None if self.aud.len() > 1 => return Err(ClaimsError::AzpMissing),
            _ => {}
        }
        if let Some(n) = nonce
            && self.nonce.as_deref() != Some(n)
        {
            return Err(ClaimsError::NonceMismatch);
        }
        validation.check_exp(self.exp)?;
        if !check_min(self.iat, min_iat, validation.leeway) {
            return Err(ClaimsError::IssuedTooEarly {
                iat: self.iat,
                min_iat,
            });
        }
        if let Some(at) = self.auth_time
            && !check_min(at, min_auth_time, validation.leeway)
        {
            return Err(ClaimsError::AuthTimeTooEarly {
                auth_time: at,
                min_auth_time,
            });
        }
        if let (Some(f), Some(acr)) = (validate_acr, &self.acr) {
            f(acr).map_err(ClaimsError::AcrRejected)?;
        }
        Ok(())
    }
}
