//! Token introspection (RFC 7662): the request (§2.1), the response (§2.2) and the error
//! (§2.3, the token endpoint's error format).

use crate::claims::Audience;
use crate::params::{ParamError, Params, encode_pairs};
use crate::scope::Scope;
use crate::token::CLIENT_AUTH_PARAMS;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The introspection error response is a token error response (RFC 7662 §2.3).
pub type IntrospectionError = crate::token::TokenError;

/// An introspection request (RFC 7662 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionRequest {
    /// REQUIRED. The token.
    pub token: String,
    /// A hint: `access_token` or `refresh_token` (RFC 7009 §2.1 registry).
    pub token_type_hint: Option<String>,
    /// Every other parameter except client authentication.
    pub extra: IndexMap<String, String>,
}

impl IntrospectionRequest {
    /// A request for `token`.
    pub fn new(token: impl Into<String>) -> Self {
        IntrospectionRequest {
            token: token.into(),
            token_type_hint: None,
            extra: IndexMap::new(),
        }
    }

    /// Reads the form parameters; `token` is required.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(IntrospectionRequest {
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

/// An introspection response (RFC 7662 §2.2). An inactive token is `{"active": false}` and
/// nothing else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    /// REQUIRED. Whether the token is active.
    pub active: bool,
    /// Scopes of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Human-readable resource owner identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Token type (`Bearer`, `DPoP`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiration time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub exp: Option<u64>,
    /// Issue time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub iat: Option<u64>,
    /// Not-before time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub nbf: Option<u64>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audiences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Every other member, in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl IntrospectionResponse {
    /// `{"active": false}`.
    pub fn inactive() -> Self {
        Self::default()
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"active\":false}".to_owned())
    }
}

/// The seed name of [`IntrospectionRequest`] (simple-openid-connect).
pub type TokenIntrospectionRequest = IntrospectionRequest;
/// The seed name of [`IntrospectionResponse`] (simple-openid-connect).
pub type TokenIntrospectionSuccessResponse = IntrospectionResponse;
/// The seed name of [`IntrospectionError`] (simple-openid-connect).
pub type TokenIntrospectionErrorResponse = IntrospectionError;
