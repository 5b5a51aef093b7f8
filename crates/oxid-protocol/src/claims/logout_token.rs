//! The back-channel logout token's claims and the receiver's checks (OIDC Back-Channel
//! Logout 1.0 §2.4, §2.6).

use super::{
    Audience, BACKCHANNEL_LOGOUT_EVENT, Check, ClaimsError, Validation, check_audience, check_min,
};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The claims of a back-channel logout token (OIDC Back-Channel Logout 1.0 §2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    /// REQUIRED. Issuer.
    pub iss: String,
    /// Subject; `sub`, `sid` or both are present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// REQUIRED. Audiences.
    pub aud: Audience,
    /// REQUIRED. Issue time.
    #[serde(with = "crate::serde_util::numeric_date")]
    pub iat: u64,
    /// Expiration time (REQUIRED in the final specification; checked when present).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub exp: Option<u64>,
    /// REQUIRED. Unique token identifier.
    pub jti: String,
    /// REQUIRED. Contains [`BACKCHANNEL_LOGOUT_EVENT`] with a JSON object value.
    #[serde(default)]
    pub events: serde_json::Map<String, Value>,
    /// Session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Must be absent; kept here so its presence can be refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Value>,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

/// The receiver's own checks of a logout token (OIDC Back-Channel Logout §2.6), each
/// explaining a refusal.
#[derive(Clone, Copy, Default)]
pub struct LogoutTokenChecks<'a> {
    /// Refuses a `jti` seen before.
    pub unique_jti: Option<Check<'a>>,
    /// Refuses an issuer without sessions here.
    pub iss_has_sessions: Option<Check<'a>>,
    /// Refuses a subject without sessions here.
    pub sub_has_sessions: Option<Check<'a>>,
    /// Refuses an unknown session id.
    pub sid_exists: Option<Check<'a>>,
}

/// What the receiver checks a logout token against ([`LogoutTokenClaims::validate_extern`]).
/// Start from [`LogoutTokenRules::new`] and set what applies.
#[derive(Clone, Copy, Default)]
pub struct LogoutTokenRules<'a> {
    /// The expected `iss`.
    pub issuer: &'a str,
    /// The receiver's client id, which `aud` must contain.
    pub client_id: &'a str,
    /// Audiences other than the client that are trusted.
    pub extra_trusted_audiences: &'a [String],
    /// The earliest acceptable `iat` (0: any).
    pub min_iat: u64,
    /// The receiver's own checks.
    pub checks: LogoutTokenChecks<'a>,
}

impl<'a> LogoutTokenRules<'a> {
    /// Rules for `issuer` and `client_id`: no other audience, no minimum `iat`, no callbacks.
    pub fn new(issuer: &'a str, client_id: &'a str) -> Self {
        LogoutTokenRules {
            issuer,
            client_id,
            ..LogoutTokenRules::default()
        }
    }
}

impl LogoutTokenClaims {
    /// A logout token for `sub` and/or `sid` with the back-channel logout event.
    pub fn new(
        iss: impl Into<String>,
        aud: Audience,
        iat: u64,
        jti: impl Into<String>,
        sub: Option<String>,
        sid: Option<String>,
    ) -> Self {
        let mut events = serde_json::Map::new();
        events.insert(
            BACKCHANNEL_LOGOUT_EVENT.into(),
            Value::Object(serde_json::Map::new()),
        );
        LogoutTokenClaims {
            iss: iss.into(),
            sub,
            aud,
            iat,
            exp: None,
            jti: jti.into(),
            events,
            sid,
            nonce: None,
            extra: IndexMap::new(),
        }
    }

    /// Checks the token against the receiver's data in `rules` (OIDC Back-Channel Logout
    /// §2.6):
    ///
    /// - `iss` equals `rules.issuer`; `aud` contains `rules.client_id` and every other
    ///   audience is in `rules.extra_trusted_audiences`;
    /// - `iat` is not before `rules.min_iat` (with the leeway); `exp`, when present, is in
    ///   the future;
    /// - `events` holds [`BACKCHANNEL_LOGOUT_EVENT`] with a JSON object value;
    /// - `sub` or `sid` is present; `nonce` is absent;
    /// - the callbacks of `rules.checks`, when given: `unique_jti(jti)`,
    ///   `iss_has_sessions(iss)`, `sub_has_sessions(sub)` (when `sub` is present),
    ///   `sid_exists(sid)` (when `sid` is present).
    pub fn validate_extern(
        &self,
        rules: &LogoutTokenRules<'_>,
        validation: &Validation,
    ) -> Result<(), ClaimsError> {
        let LogoutTokenRules {
            issuer,
            client_id,
            extra_trusted_audiences,
            min_iat,
            checks,
        } = *rules;
        if self.iss != issuer {
            return Err(ClaimsError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: self.iss.clone(),
            });
        }
        check_audience(&self.aud, client_id, extra_trusted_audiences)?;
        if !check_min(self.iat, min_iat, validation.leeway) {
            return Err(ClaimsError::IssuedTooEarly {
                iat: self.iat,
                min_iat,
            });
        }
        if let Some(exp) = self.exp {
            validation.check_exp(exp)?;
        }
        match self.events.get(BACKCHANNEL_LOGOUT_EVENT) {
            None => return Err(ClaimsError::EventsMissing),
            Some(Value::Object(_)) => {}
            Some(_) => return Err(ClaimsError::EventNotObject),
        }
        if self.sub.is_none() && self.sid.is_none() {
            return Err(ClaimsError::SubAndSidMissing);
        }
        if self.nonce.is_some() {
            return Err(ClaimsError::NoncePresent);
        }
        if let Some(f) = checks.unique_jti {
            f(&self.jti).map_err(ClaimsError::JtiReused)?;
        }
        if let Some(f) = checks.iss_has_sessions {
            f(&self.iss).map_err(ClaimsError::IssuerHasNoSessions)?;
        }
        if let (Some(f), Some(sub)) = (checks.sub_has_sessions, &self.sub) {
            f(sub).map_err(ClaimsError::SubjectHasNoSessions)?;
        }
        if let (Some(f), Some(sid)) = (checks.sid_exists, &self.sid) {
            f(sid).map_err(ClaimsError::SessionUnknown)?;
        }
        Ok(())
    }
}
