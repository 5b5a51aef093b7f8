//! The successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3, RFC 8693 §2.2.1).

use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3, RFC 8693 §2.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// REQUIRED. The access token.
    pub access_token: String,
    /// REQUIRED. The token type, usually `Bearer` (case-insensitive).
    pub token_type: String,
    /// RECOMMENDED. Lifetime of the access token in seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_lenient_u64"
    )]
    pub expires_in: Option<u64>,
    /// The refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Lifetime of the refresh token in seconds (non-standard, widely used).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_lenient_u64"
    )]
    pub refresh_expires_in: Option<u64>,
    /// The granted scope; REQUIRED when it differs from the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The ID token (OpenID Connect requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The type of the issued token (RFC 8693 §2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

impl TokenResponse {
    /// A `Bearer` response with only an access token.
    pub fn bearer(access_token: impl Into<String>) -> Self {
        TokenResponse {
            access_token: access_token.into(),
            token_type: "Bearer".into(),
            expires_in: None,
            refresh_token: None,
            refresh_expires_in: None,
            scope: None,
            id_token: None,
            issued_token_type: None,
            extra: IndexMap::new(),
        }
    }

    /// Whether `token_type` is `Bearer` (case-insensitive).
    pub fn is_bearer(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("bearer")
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The seed name of [`TokenResponse`] (simple-openid-connect).
pub type TokenSuccessResponse = TokenResponse;
