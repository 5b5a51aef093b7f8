//! The client's error type.

use oxid_protocol::authorization::AuthorizationError;
use oxid_protocol::claims::ClaimsError;
use oxid_protocol::jose::JoseError;
use oxid_protocol::token::TokenError;
use oxid_protocol::userinfo::UserinfoErrorResponse;

use crate::jws::JwsError;

/// Everything that can go wrong talking to a provider.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP request failed (connection, TLS, timeout, body too large).
    #[error("HTTP request to {url} failed: {detail}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The provider answered with an unexpected status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body, for diagnostics.
        body: String,
    },
    /// The provider's response could not be understood.
    #[error("invalid response from {url}: {detail}")]
    InvalidResponse {
        /// The URL requested.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A URL given by the caller or the provider is unusable.
    #[error("invalid URL {url:?}: {detail}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The discovery document names another issuer than the one asked for.
    #[error("issuer mismatch: asked for {expected:?}, the document says {found:?}")]
    IssuerMismatch {
        /// The issuer asked for.
        expected: String,
        /// The issuer in the document.
        found: String,
    },
    /// Strict discovery found metadata violations.
    #[error("the metadata breaks the rules: {}", .0.join("; "))]
    MetadataViolations(Vec<String>),
    /// The provider lacks something this operation needs.
    #[error("the provider does not support this: {0}")]
    Unsupported(String),
    /// A signature or key was refused.
    #[error(transparent)]
    Jws(#[from] JwsError),
    /// A token's claims were refused.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The authorization callback is wrong (state, issuer, missing code).
    #[error("invalid callback: {0}")]
    Callback(String),
    /// The authorization endpoint answered with an error (RFC 6749 §4.1.2.1).
    #[error("authorization failed: {0}")]
    Authorization(AuthorizationError),
    /// The token endpoint answered with an error (RFC 6749 §5.2).
    #[error("token request failed: {}", .0.error.as_str())]
    Token(TokenError),
    /// The UserInfo endpoint answered an error (OIDC Core §5.3.3): from its Bearer challenge
    /// (RFC 6750 §3) or its JSON body.
    #[error("userinfo refused: {0}")]
    Userinfo(UserinfoErrorResponse),
    /// A token's framing is malformed.
    #[error("malformed token: {0}")]
    Jose(#[from] JoseError),
    /// A token's claims were refused by the protocol rules.
    #[error("claims refused: {0}")]
    Claims(#[from] ClaimsError),
    /// A local cryptographic operation failed.
    #[error("crypto failure: {0}")]
    Crypto(String),
}
