//! JWT claim sets: the ID token (OIDC Core §2, §3.1.3.7), the JWT access token (RFC 9068
//! §2.2, §4) and the logout token (OIDC Back-Channel Logout §2.4, §2.6), each with the
//! checks a receiver makes against its own data (`validate_extern`). Signature checking
//! happens elsewhere; the current time is always passed in.

use crate::jose::JoseHeader;
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The `events` member that marks a logout token (OIDC Back-Channel Logout §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The default clock-skew leeway in seconds.
pub const DEFAULT_LEEWAY: u64 = 60;

/// The `aud` claim: one string or a list of strings (RFC 7519 §4.1.3). A single audience is
/// serialized as a string, several as an array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Audience(pub Vec<String>);

impl Audience {
    /// A single audience.
    pub fn single(aud: impl Into<String>) -> Self {
        Audience(vec![aud.into()])
    }

    /// Whether `aud` is one of the audiences.
    pub fn contains(&self, aud: &str) -> bool {
        self.0.iter().any(|a| a == aud)
    }

    /// The audiences in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of audiences.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no audience.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Audience {
    fn from(s: &str) -> Self {
        Audience::single(s)
    }
}

impl From<String> for Audience {
    fn from(s: String) -> Self {
        Audience::single(s)
    }
}

impl From<Vec<String>> for Audience {
    fn from(v: Vec<String>) -> Self {
        Audience(v)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.len() == 1 {
            s.serialize_str(&self.0[0])
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Repr::deserialize(d)? {
            Repr::One(s) => Audience(vec![s]),
            Repr::Many(v) => Audience(v),
        })
    }
}

/// Options of every `validate_extern`: the current time and the clock-skew leeway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validation {
    /// Now, in seconds since the Unix epoch.
    pub now: u64,
    /// Allowed clock skew in seconds (default [`DEFAULT_LEEWAY`]), applied to `exp`, `iat`
    /// and `auth_time` comparisons.
    pub leeway: u64,
}

impl Validation {
    /// `now` with the default leeway of 60 seconds.
    pub fn new(now: u64) -> Self {
        Validation {
            now,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Sets the leeway.
    pub fn with_leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    fn check_exp(&self, exp: u64) -> Result<(), ClaimsError> {
        // RFC 7519 §4.1.4: now must be before exp (plus leeway).
        if self.now >= exp.saturating_add(self.leeway) {
            Err(ClaimsError::Expired { exp, now: self.now })
        } else {
            Ok(())
        }
    }
}

/// A callback that checks one value and explains a refusal.
pub type Check<'a> = &'a dyn Fn(&str) -> Result<(), String>;
/// A callback for `acr` that also sees its absence.
pub type AcrCheck<'a> = &'a dyn Fn(Option<&str>) -> Result<(), String>;

/// Why a claim set was refused: one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// `iss` is not the expected issuer.
    #[error("issuer mismatch: expected '{expected}', found '{found}'")]
    IssuerMismatch {
        /// The expected issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// The client's own `client_id` is not in `aud`.
    #[error("the audience does not contain the client id '{client_id}'")]
    AudienceMissingClient {
        /// The client id that was looked for.
        client_id: String,
    },
    /// An audience other than the client is not trusted.
    #[error("untrusted audience '{0}'")]
    UntrustedAudience(String),
    /// `aud` is absent or empty where one is required.
    #[error("the token has no audience")]
    AudienceMissing,
    /// `azp` is present and not the client id.
    #[error("azp '{found}' is not the client id '{expected}'")]
    AzpMismatch {
        /// The client id.
        expected: String,
        /// The token's `azp`.
        found: String,
    },
    /// Several audiences and no `azp`.
    #[error("azp is required when there are several audiences")]
    AzpMissing,
    /// The nonce sent in the request does not match (or is missing from) the token.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The token is expired (`now >= exp + leeway`).
    #[error("the token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The validation time.
        now: u64,
    },
    /// `iat` is before the minimum (`iat + leeway < min_iat`).
    #[error("the token was issued at {iat}, before the minimum {min_iat}")]
    IssuedTooEarly {
        /// The token's `iat`.
        iat: u64,
        /// The minimum accepted.
        min_iat: u64,
    },
    /// `auth_time` is before the minimum (`auth_time + leeway < min_auth_time`).
    #[error("the authentication at {auth_time} is older than the minimum {min_auth_time}")]
    AuthTimeTooEarly {
        /// The token's `auth_time`.
        auth_time: u64,
        /// The minimum accepted.
        min_auth_time: u64,
    },
    /// The `acr` callback refused the value.
    #[error("acr refused: {0}")]
    AcrRejected(String),
    /// `sub` is empty, longer than 255 characters or not ASCII (OIDC Core §2).
    #[error("sub must be 1 to 255 ASCII characters")]
    InvalidSubject,
    /// The JOSE header `typ` is not the one required (e.g. `at+jwt`, RFC 9068 §4).
    #[error("header typ must be '{expected}', found {found:?}")]
    InvalidType {
        /// The required `typ`.
        expected: &'static str,
        /// The header's `typ`.
        found: Option<String>,
    },
    /// The logout token has no `events` member with the back-channel logout event.
    #[error("the logout token lacks the back-channel logout event")]
    EventsMissing,
    /// The back-channel logout event's value is not a JSON object.
    #[error("the back-channel logout event value is not a JSON object")]
    EventNotObject,
    /// The logout token has neither `sub` nor `sid`.
    #[error("the logout token has neither sub nor sid")]
    SubAndSidMissing,
    /// The logout token contains a `nonce` (forbidden, OIDC Back-Channel Logout §2.4).
    #[error("the logout token must not contain a nonce")]
    NoncePresent,
    /// The `jti` was seen before (replay).
    #[error("jti refused: {0}")]
    JtiReused(String),
    /// The issuer has no sessions here.
    #[error("issuer has no sessions: {0}")]
    IssuerHasNoSessions(String),
    /// The subject has no sessions here.
    #[error("subject has no sessions: {0}")]
    SubjectHasNoSessions(String),
    /// The session id is unknown here.
    #[error("session unknown: {0}")]
    SessionUnknown(String),
}

fn check_audience(
    aud: &Audience,
    client_id: &str,
    extra_trusted_audiences: &[String],
) -> Result<(), ClaimsError> {
    if aud.is_empty() {
        return Err(ClaimsError::AudienceMissing);
    }
    if !aud.contains(client_id) {
        return Err(ClaimsError::AudienceMissingClient {
            client_id: client_id.to_owned(),
        });
    }
    for a in aud.iter() {
        if a != client_id && !extra_trusted_audiences.iter().any(|t| t == a) {
            return Err(ClaimsError::UntrustedAudience(a.to_owned()));
        }
    }
    Ok(())
}

fn check_min(value: u64, min: u64, leeway: u64) -> bool {
    value.saturating_add(leeway) >= min
}

/// Whether `sub` is a valid subject identifier: 1 to 255 ASCII characters (OIDC Core §2).
pub fn is_valid_subject(sub: &str) -> bool {
    !sub.is_empty() && sub.len() <= 255 && sub.is_ascii()
}

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

impl IdTokenClaims {
    /// Checks the token against the receiver's data (OIDC Core §3.1.3.7):
    ///
    /// - `iss` equals `issuer`;
    /// - `aud` contains `client_id`, and every other audience is in
    ///   `extra_trusted_audiences`;
    /// - `azp`, when present, equals `client_id`, and is required with several audiences;
    /// - when a `nonce` was sent, the token's nonce equals it;
    /// - `exp` is in the future and `iat` is not before `min_iat` (both with the leeway);
    /// - `auth_time`, when present, is not before `min_auth_time` (with the leeway);
    /// - `validate_acr`, when given, accepts the `acr` (or its absence);
    /// - `sub` is 1 to 255 ASCII characters.
    #[allow(clippy::too_many_arguments)]
    pub fn validate_extern(
        &self,
        issuer: &str,
        client_id: &str,
        nonce: Option<&str>,
        extra_trusted_audiences: &[String],
        min_iat: u64,
        validate_acr: Option<AcrCheck<'_>>,
        min_auth_time: u64,
        validation: &Validation,
    ) -> Result<(), ClaimsError> {
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
        if let Some(f) = validate_acr {
            f(self.acr.as_deref()).map_err(ClaimsError::AcrRejected)?;
        }
        Ok(())
    }
}

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

    /// Checks the token against the receiver's data (OIDC Back-Channel Logout §2.6):
    ///
    /// - `iss` equals `issuer`; `aud` contains `client_id` and every other audience is in
    ///   `extra_trusted_audiences`;
    /// - `iat` is not before `min_iat` (with the leeway); `exp`, when present, is in the
    ///   future;
    /// - `events` holds [`BACKCHANNEL_LOGOUT_EVENT`] with a JSON object value;
    /// - `sub` or `sid` is present; `nonce` is absent;
    /// - the callbacks, when given: `validate_unique_jti(jti)`,
    ///   `validate_iss_has_sessions(iss)`, `validate_sub_has_sessions(sub)` (when `sub` is
    ///   present), `validate_sid_exists(sid)` (when `sid` is present).
    #[allow(clippy::too_many_arguments)]
    pub fn validate_extern(
        &self,
        issuer: &str,
        client_id: &str,
        extra_trusted_audiences: &[String],
        min_iat: u64,
        validate_unique_jti: Option<Check<'_>>,
        validate_iss_has_sessions: Option<Check<'_>>,
        validate_sub_has_sessions: Option<Check<'_>>,
        validate_sid_exists: Option<Check<'_>>,
        validation: &Validation,
    ) -> Result<(), ClaimsError> {
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
        if let Some(f) = validate_unique_jti {
            f(&self.jti).map_err(ClaimsError::JtiReused)?;
        }
        if let Some(f) = validate_iss_has_sessions {
            f(&self.iss).map_err(ClaimsError::IssuerHasNoSessions)?;
        }
        if let (Some(f), Some(sub)) = (validate_sub_has_sessions, &self.sub) {
            f(sub).map_err(ClaimsError::SubjectHasNoSessions)?;
        }
        if let (Some(f), Some(sid)) = (validate_sid_exists, &self.sid) {
            f(sid).map_err(ClaimsError::SessionUnknown)?;
        }
        Ok(())
    }
}

/// The seed name of [`IdTokenClaims`] (simple-openid-connect).
pub type IdToken = IdTokenClaims;
/// The seed name of [`AccessTokenClaims`] (simple-openid-connect).
pub type JwtAccessToken = AccessTokenClaims;
/// The seed name of [`LogoutTokenClaims`] (simple-openid-connect).
pub type BackChannelLogoutToken = LogoutTokenClaims;
