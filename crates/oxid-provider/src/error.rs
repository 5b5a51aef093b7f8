//! The one error type of the token-like endpoints (token, userinfo, introspection,
//! revocation); its one mapping to HTTP (through the protocol crate's `TokenError` and
//! `UserinfoError`) is in `http::errors`. Public text and private detail are kept apart: the
//! detail is logged, never sent.

use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::registration::RegistrationErrorCode;
use oxid_protocol::token::{TokenError, TokenErrorCode};
use oxid_protocol::userinfo::UserinfoError;
use std::borrow::Cow;

/// What went wrong, as the wire codes say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// An RFC 6749 §5.2 code (and the device-flow codes).
    Token(TokenErrorCode),
    /// RFC 6750 §3.1 `invalid_request` at a resource.
    BearerInvalidRequest,
    /// RFC 6750 §3.1 `invalid_token`.
    InvalidToken,
    /// RFC 6750 §3.1 `insufficient_scope`.
    InsufficientScope,
    /// RFC 6750 §3.1: the request carried no token at all; only `WWW-Authenticate: Bearer`.
    MissingToken,
    /// A fault of ours: 500 `server_error`.
    Server,
    /// An RFC 7591 §3.2.2 registration error (400), at the registration and client
    /// configuration endpoints.
    Registration(RegistrationErrorCode),
    /// An authorization error code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) answered as JSON,
    /// where a request meant for the authorization endpoint is checked without a browser:
    /// the pushed authorization request endpoint (RFC 9126 §2.3).
    Authorization(AuthErrorCode),
    /// RFC 9449 §7.1: a DPoP-bound token or a proof refused at a resource (`invalid_token`
    /// or `invalid_dpop_proof`): 401 with a `DPoP` challenge.
    DpopResource(&'static str),
    /// RFC 9449 §8, §9 `use_dpop_nonce`: 400 at the authorization server's endpoints, 401
    /// with a `DPoP` challenge at a resource; the `DPoP-Nonce` header carries `nonce`.
    UseDpopNonce {
        /// The nonce to retry with.
        nonce: String,
        /// Whether the refusal is at a resource (§9) rather than the token or PAR endpoint.
        at_resource: bool,
    },
    /// `invalid_client` for a client locked after too many failed secrets (issue 13): HTTP
    /// 429 with `Retry-After`. RFC 6749 §5.2 has no code for this, so the client keeps the
    /// code its failure earns; only the status and header tell it to wait.
    LockedClient {
        /// Seconds until the lock ends.
        retry_after: u64,
    },
}

/// An error answered to a client.
#[derive(Debug)]
pub struct OAuthError {
    /// The code.
    pub kind: ErrorKind,
    /// `error_description`, sent to the client.
    pub description: Cow<'static, str>,
    /// Private detail, logged only.
    pub detail: Option<String>,
}

impl OAuthError {
    /// An RFC 6749 §5.2 error.
    pub fn token(code: TokenErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            kind: ErrorKind::Token(code),
            description: description.into(),
            detail: None,
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::token(TokenErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` (401).
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::token(TokenErrorCode::InvalidClient, description)
    }

    /// `invalid_client`, 429 with `Retry-After`: the client is locked for `retry_after`
    /// seconds.
    pub fn locked_client(retry_after: u64) -> Self {
        OAuthError {
            kind: ErrorKind::LockedClient { retry_after },
            description: Cow::Owned(format!(
                "client authentication failed too many times: the client is locked for \
                 {retry_after} seconds"
            )),
            detail: None,
        }
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::token(TokenErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope`.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::token(TokenErrorCode::InvalidScope, description)
    }

    /// `unauthorized_client`.
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::token(TokenErrorCode::UnauthorizedClient, description)
    }

    /// A registration error (RFC 7591 §3.2.2): 400 with a JSON body.
    pub fn registration(
        code: RegistrationErrorCode,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        OAuthError {
            kind: ErrorKind::Registration(code),
            description: description.into(),
            detail: None,
        }
    }

    /// An authorization error code answered as JSON (RFC 9126 §2.3).
    pub fn authorization(code: AuthErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            kind: ErrorKind::Authorization(code),
            description: description.into(),
            detail: None,
        }
    }

    /// A refusal at a resource under the `DPoP` scheme (RFC 9449 §7.1): `invalid_token` or
    /// `invalid_dpop_proof`.
    pub fn dpop_resource(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            kind: ErrorKind::DpopResource(code),
            description: description.into(),
            detail: None,
        }
    }

    /// `use_dpop_nonce` with the nonce to retry with (RFC 9449 §8, §9).
    pub fn use_dpop_nonce(
        nonce: String,
        at_resource: bool,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        OAuthError {
            kind: ErrorKind::UseDpopNonce { nonce, at_resource },
            description: description.into(),
            detail: None,
        }
    }

    /// A bearer error at a resource.
    pub fn bearer(kind: ErrorKind, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            kind,
            description: description.into(),
            detail: None,
        }
    }

    /// A fault of ours; `detail` is logged.
    pub fn server(detail: impl std::fmt::Display) -> Self {
        OAuthError {
            kind: ErrorKind::Server,
            description: Cow::Borrowed("the server could not complete the request"),
            detail: Some(detail.to_string()),
        }
    }

    /// The database cannot be reached: 503 `temporarily_unavailable` (RFC 6749 §5.2 and
    /// §4.1.2.1 name the code); `detail` is logged.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        OAuthError {
            kind: ErrorKind::Token(TokenErrorCode::TemporarilyUnavailable),
            description: Cow::Borrowed("the service is temporarily unavailable, try again later"),
            detail: Some(detail.to_string()),
        }
    }

    /// Whether this is the 503 of an unreachable database.
    pub fn is_unavailable(&self) -> bool {
        self.kind == ErrorKind::Token(TokenErrorCode::TemporarilyUnavailable)
    }

    /// The wire code.
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ErrorKind::Token(code) => code.as_str(),
            ErrorKind::LockedClient { .. } => "invalid_client",
            ErrorKind::BearerInvalidRequest => "invalid_request",
            ErrorKind::InvalidToken | ErrorKind::MissingToken => "invalid_token",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::Server => "server_error",
            ErrorKind::Registration(code) => code.as_str(),
            ErrorKind::Authorization(code) => code.as_str(),
            ErrorKind::DpopResource(code) => code,
            ErrorKind::UseDpopNonce { .. } => "use_dpop_nonce",
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.description)
    }
}

impl From<TokenError> for OAuthError {
    fn from(e: TokenError) -> Self {
        OAuthError {
            kind: ErrorKind::Token(e.error),
            description: Cow::Owned(e.error_description.unwrap_or_default()),
            detail: None,
        }
    }
}

impl From<UserinfoError> for OAuthError {
    fn from(e: UserinfoError) -> Self {
        let kind = match e.error {
            None => ErrorKind::MissingToken,
            Some(BearerErrorCode::InvalidRequest) => ErrorKind::BearerInvalidRequest,
            Some(BearerErrorCode::InvalidToken) => ErrorKind::InvalidToken,
            Some(BearerErrorCode::InsufficientScope) => ErrorKind::InsufficientScope,
        };
        OAuthError::bearer(kind, e.error_description.unwrap_or_default())
    }
}

impl From<oxid_store::StoreError> for OAuthError {
    fn from(e: oxid_store::StoreError) -> Self {
        match e {
            oxid_store::StoreError::Unavailable(_) => OAuthError::unavailable(e),
            // A write referred to a client (or user) that is gone: removed by an operator,
            // possibly on another instance, while this one still had the client cached.
            // RFC 6749 §5.2: the client is unknown now, so `invalid_client` (401), not a 500.
            oxid_store::StoreError::MissingReference(_) => OAuthError {
                detail: Some(e.to_string()),
                ..OAuthError::invalid_client("the client is not registered (any more)")
            },
            _ => OAuthError::server(e),
        }
    }
}

impl From<crate::crypto::CryptoError> for OAuthError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        match e {
            crate::crypto::CryptoError::Store(e) => e.into(),
            _ => OAuthError::server(e),
        }
    }
}
