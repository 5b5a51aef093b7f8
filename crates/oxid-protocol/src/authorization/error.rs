//! The authorization error response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, RFC 9207).

use super::response::redirect_with;
use super::{AuthErrorCode, ResponseMode, push_opt};
use crate::error::sanitize_error_text;
use crate::params::{ParamError, Params, encode_pairs};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An authorization error response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, RFC 9207 `iss`).
///
/// `error_description` and `error_uri` are kept within RFC 6749 §5.2's characters by the
/// constructors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationError {
    /// The error code.
    pub error: AuthErrorCode,
    /// Human-readable ASCII text for the client developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A URI of a page describing the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// The `state` of the request, echoed exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The issuer identifier (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Every other parameter (for example OIDC Session's `session_state`), in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, String>,
}

const AUTHORIZATION_ERROR_PARAMS: &[&str] =
    &["error", "error_description", "error_uri", "state", "iss"];

impl AuthorizationError {
    /// An error with a description (sanitized to RFC 6749 §5.2 characters).
    pub fn new(error: AuthErrorCode, description: impl AsRef<str>) -> Self {
        let d = sanitize_error_text(description.as_ref());
        AuthorizationError {
            error,
            error_description: (!d.is_empty()).then_some(d),
            error_uri: None,
            state: None,
            iss: None,
            extra: IndexMap::new(),
        }
    }

    /// An error without description.
    pub fn bare(error: AuthErrorCode) -> Self {
        AuthorizationError {
            error,
            error_description: None,
            error_uri: None,
            state: None,
            iss: None,
            extra: IndexMap::new(),
        }
    }

    /// Sets `state`.
    pub fn with_state(mut self, state: Option<impl Into<String>>) -> Self {
        self.state = state.map(Into::into);
        self
    }

    /// Sets `iss`.
    pub fn with_iss(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Sets `error_uri` when it is a valid RFC 6749 §5.2 URI.
    pub fn with_error_uri(mut self, uri: &str) -> Self {
        self.error_uri = crate::error::sanitize_error_uri(uri);
        self
    }

    /// Whether this error may be sent to the client's redirect URI (everything but
    /// `invalid_client`).
    pub fn is_redirectable(&self) -> bool {
        self.error != AuthErrorCode::InvalidClient
    }

    /// Reads an error response from redirect parameters. `Ok(None)` when there is no
    /// `error` parameter.
    pub fn from_params(params: &Params) -> Result<Option<Self>, ParamError> {
        let Some(code) = params.get("error") else {
            return Ok(None);
        };
        let error = AuthErrorCode::parse(code).ok_or_else(|| {
            ParamError::invalid(
                "error",
                format!("unknown error code '{}'", sanitize_error_text(code)),
            )
        })?;
        Ok(Some(AuthorizationError {
            error,
            error_description: params.get("error_description").map(str::to_owned),
            error_uri: params.get("error_uri").map(str::to_owned),
            state: params.get("state").map(str::to_owned),
            iss: params.get("iss").map(str::to_owned),
            extra: params
                .unknown(AUTHORIZATION_ERROR_PARAMS)
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }))
    }

    /// The parameters in order: error, error_description, error_uri, state, iss.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut v = vec![("error".to_owned(), self.error.as_str().to_owned())];
        push_opt(&mut v, "error_description", &self.error_description);
        push_opt(&mut v, "error_uri", &self.error_uri);
        push_opt(&mut v, "state", &self.state);
        push_opt(&mut v, "iss", &self.iss);
        for (k, val) in &self.extra {
            if !AUTHORIZATION_ERROR_PARAMS.contains(&k.as_str()) && !val.is_empty() {
                v.push((k.clone(), val.clone()));
            }
        }
        v
    }

    /// Form-encoded parameters.
    pub fn encode(&self) -> String {
        encode_pairs(self.to_query_pairs())
    }

    /// The redirect URL for `query` or `fragment` mode (for `form_post` use
    /// [`AuthorizationError::to_query_pairs`]).
    pub fn redirect_url(&self, redirect_uri: &str, mode: ResponseMode) -> String {
        redirect_with(redirect_uri, mode, self.to_query_pairs())
    }
}

impl From<ParamError> for AuthorizationError {
    fn from(e: ParamError) -> Self {
        AuthorizationError::new(AuthErrorCode::InvalidRequest, e.description())
    }
}

impl fmt::Display for AuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for AuthorizationError {}
