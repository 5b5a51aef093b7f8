//! The token error response (RFC 6749 §5.2, RFC 8628 §3.5).

use crate::error::{sanitize_error_text, string_enum};
use crate::params::ParamError;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;

string_enum! {
    /// The `error` code of a token error response (RFC 6749 §5.2, RFC 8628 §3.5,
    /// RFC 8707 §2, RFC 7009 §2.2.1), also used by introspection and revocation.
    pub enum TokenErrorCode("error") {
        /// Missing, repeated or malformed parameter.
        InvalidRequest => "invalid_request",
        /// Client authentication failed (HTTP 401).
        InvalidClient => "invalid_client",
        /// The grant or refresh token is invalid, expired, revoked or for another client.
        InvalidGrant => "invalid_grant",
        /// The client may not use this grant type.
        UnauthorizedClient => "unauthorized_client",
        /// The grant type is not supported.
        UnsupportedGrantType => "unsupported_grant_type",
        /// The requested scope is invalid or exceeds the granted scope.
        InvalidScope => "invalid_scope",
        /// Device flow: the user has not finished yet (RFC 8628 §3.5).
        AuthorizationPending => "authorization_pending",
        /// Device flow: poll more slowly (RFC 8628 §3.5).
        SlowDown => "slow_down",
        /// Device flow: the device code expired (RFC 8628 §3.5).
        ExpiredToken => "expired_token",
        /// Device flow: the user denied the request (RFC 8628 §3.5).
        AccessDenied => "access_denied",
        /// The requested resource or audience is invalid (RFC 8707 §2, RFC 8693 §2.2.2).
        InvalidTarget => "invalid_target",
        /// Revocation of this token type is not supported (RFC 7009 §2.2.1).
        UnsupportedTokenType => "unsupported_token_type",
        /// The server hit an unexpected condition (HTTP 500).
        ServerError => "server_error",
        /// The server is temporarily unavailable (HTTP 503).
        TemporarilyUnavailable => "temporarily_unavailable",
        /// The DPoP proof is missing where required, or invalid (RFC 9449 §5).
        InvalidDpopProof => "invalid_dpop_proof",
        /// A server-provided nonce is required in the DPoP proof (RFC 9449 §8).
        UseDpopNonce => "use_dpop_nonce",
    }
}

impl TokenErrorCode {
    /// The HTTP status code of the error response: 401 for `invalid_client`, 500 for
    /// `server_error`, 503 for `temporarily_unavailable`, 400 otherwise (RFC 6749 §5.2).
    pub fn http_status(&self) -> u16 {
        match self {
            TokenErrorCode::InvalidClient => 401,
            TokenErrorCode::ServerError => 500,
            TokenErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// A token error response (RFC 6749 §5.2); also the error of introspection (RFC 7662 §2.3)
/// and revocation (RFC 7009 §2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenError {
    /// The error code.
    pub error: TokenErrorCode,
    /// Human-readable ASCII text for the client developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A URI of a page describing the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Every other member, in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

impl TokenError {
    /// An error with a description (sanitized to RFC 6749 §5.2 characters).
    pub fn new(error: TokenErrorCode, description: impl AsRef<str>) -> Self {
        let d = sanitize_error_text(description.as_ref());
        TokenError {
            error,
            error_description: (!d.is_empty()).then_some(d),
            error_uri: None,
            extra: IndexMap::new(),
        }
    }

    /// An error without description.
    pub fn bare(error: TokenErrorCode) -> Self {
        TokenError {
            error,
            error_description: None,
            error_uri: None,
            extra: IndexMap::new(),
        }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl AsRef<str>) -> Self {
        Self::new(TokenErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` with a description.
    pub fn invalid_client(description: impl AsRef<str>) -> Self {
        Self::new(TokenErrorCode::InvalidClient, description)
    }

    /// `invalid_grant` with a description.
    pub fn invalid_grant(description: impl AsRef<str>) -> Self {
        Self::new(TokenErrorCode::InvalidGrant, description)
    }

    /// Sets `error_uri` when it is a valid RFC 6749 §5.2 URI.
    pub fn with_error_uri(mut self, uri: &str) -> Self {
        self.error_uri = crate::error::sanitize_error_uri(uri);
        self
    }

    /// The HTTP status code (401 for `invalid_client`, see [`TokenErrorCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.error.http_status()
    }

    /// The `WWW-Authenticate` value for a 401 `invalid_client` response: `Basic realm="..."`
    /// (RFC 6749 §5.2, RFC 7617). `None` for other codes.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        (self.error == TokenErrorCode::InvalidClient)
            .then(|| format!("Basic realm=\"{}\"", crate::bearer::quote_safe(realm)))
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"error\":\"server_error\"}".to_owned())
    }
}

impl From<ParamError> for TokenError {
    fn from(e: ParamError) -> Self {
        TokenError::invalid_request(e.description())
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for TokenError {}

/// The seed name of [`TokenError`] (simple-openid-connect).
pub type TokenErrorResponse = TokenError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status() {
        assert_eq!(TokenError::invalid_client("x").http_status(), 401);
        assert_eq!(TokenError::invalid_grant("x").http_status(), 400);
        assert!(
            TokenError::invalid_client("x")
                .www_authenticate("oxid")
                .is_some()
        );
    }
}
