//! Why a claim set was refused.

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
