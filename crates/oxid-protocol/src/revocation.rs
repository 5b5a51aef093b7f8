//! Token revocation (RFC 7009): the request (§2.1) and the error (§2.2.1, the token
//! endpoint's format plus `unsupported_token_type`). A successful revocation is an empty
//! HTTP 200, also for an unknown token.

use crate::params::{ParamError, Params, encode_pairs};
use crate::token::CLIENT_AUTH_PARAMS;
use indexmap::IndexMap;

/// The revocation error response (RFC 7009 §2.2.1); the code
/// [`crate::token::TokenErrorCode::UnsupportedTokenType`] is specific to it.
pub type RevocationError = crate::token::TokenError;

/// `token_type_hint` value for access tokens (RFC 7009 §4.1.2).
pub const HINT_ACCESS_TOKEN: &str = "access_token";
/// `token_type_hint` value for refresh tokens (RFC 7009 §4.1.2).
pub const HINT_REFRESH_TOKEN: &str = "refresh_token";

/// A revocation request (RFC 7009 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// REQUIRED. The token to revoke.
    pub token: String,
    /// A hint: `access_token` or `refresh_token`; the server searches all types anyway.
    pub token_type_hint: Option<String>,
    /// Every other parameter except client authentication.
    pub extra: IndexMap<String, String>,
}

impl RevocationRequest {
    /// A request for `token`.
    pub fn new(token: impl Into<String>) -> Self {
        RevocationRequest {
            token: token.into(),
            token_type_hint: None,
            extra: IndexMap::new(),
        }
    }

    /// Reads the form parameters; `token` is required.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(RevocationRequest {
            token: p.require("token")?.to_owned(),
            token_type_hint: p.get("token_type_hint").map(str::to_owned),
            extra: p
                .iter()
                .filter(|(k, _)| {
                    !matches!(*k, "token" | "token_type_hint") && !CLIENT_AUTH_PARAMS.contains(k)
                })
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }

    /// The form parameters.
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        let mut v = vec![("token".to_owned(), self.token.clone())];
        if let Some(h) = &self.token_type_hint {
            v.push(("token_type_hint".into(), h.clone()));
        }
        v.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        v
    }

    /// The form body.
    pub fn encode(&self) -> String {
        encode_pairs(self.to_form_pairs())
    }
}
