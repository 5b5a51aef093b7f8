//! The client's error type.

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
    /// A local cryptographic operation failed.
    #[error("crypto failure: {0}")]
    Crypto(String),
}
