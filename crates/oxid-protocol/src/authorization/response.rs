//! The authorization success response (RFC 6749 §4.1.2, RFC 9207), either response as the
//! client receives it, redirect helpers and the pushed authorization response (RFC 9126).

use super::{AuthorizationError, ResponseMode, push_opt};
use crate::params::{ParamError, Params, append_query, encode_pairs};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Builds a redirect to `redirect_uri` carrying `pairs` in the query (`query`) or fragment
/// (`fragment`). `form_post` cannot be expressed as a URL; the query form is returned.
pub fn redirect_with(
    redirect_uri: &str,
    mode: ResponseMode,
    pairs: Vec<(String, String)>,
) -> String {
    match mode {
        ResponseMode::Fragment => {
            let base = redirect_uri.split('#').next().unwrap_or(redirect_uri);
            format!("{base}#{}", encode_pairs(pairs))
        }
        ResponseMode::Query | ResponseMode::FormPost => append_query(redirect_uri, pairs),
    }
}

/// A successful authorization response (RFC 6749 §4.1.2, §4.2.2; OIDC Core §3.1.2.5,
/// §3.2.2.5, §3.3.2.5; RFC 9207 `iss`; OIDC Session `session_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationResponse {
    /// The authorization code (code and hybrid flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The request's `state`, echoed exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The issuer identifier (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Access token (implicit and hybrid flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Token type of the access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Lifetime of the access token in seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_lenient_u64"
    )]
    pub expires_in: Option<u64>,
    /// ID token (implicit and hybrid flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scope when it differs from the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OIDC Session Management `session_state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_state: Option<String>,
    /// Every other parameter.
    #[serde(flatten)]
    pub extra: IndexMap<String, String>,
}

const AUTHORIZATION_RESPONSE_PARAMS: &[&str] = &[
    "code",
    "state",
    "iss",
    "access_token",
    "token_type",
    "expires_in",
    "id_token",
    "scope",
    "session_state",
];

impl AuthorizationResponse {
    /// A code-flow response.
    pub fn code(code: impl Into<String>, state: Option<String>, iss: Option<String>) -> Self {
        AuthorizationResponse {
            code: Some(code.into()),
            state,
            iss,
            ..Default::default()
        }
    }

    /// Reads a success response from redirect parameters. An `error` parameter is rejected
    /// (use [`AuthorizationResult::from_params`] to read either).
    pub fn from_params(params: &Params) -> Result<Self, ParamError> {
        if params.contains("error") {
            return Err(ParamError::invalid("error", "this is an error response"));
        }
        let expires_in = params
            .get("expires_in")
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| ParamError::invalid("expires_in", "must be an integer"))
            })
            .transpose()?;
        let g = |k: &str| params.get(k).map(str::to_owned);
        Ok(AuthorizationResponse {
            code: g("code"),
            state: g("state"),
            iss: g("iss"),
            access_token: g("access_token"),
            token_type: g("token_type"),
            expires_in,
            id_token: g("id_token"),
            scope: g("scope"),
            session_state: g("session_state"),
            extra: params
                .unknown(AUTHORIZATION_RESPONSE_PARAMS)
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }

    /// The parameters in order, extras last.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        push_opt(&mut v, "code", &self.code);
        push_opt(&mut v, "access_token", &self.access_token);
        push_opt(&mut v, "token_type", &self.token_type);
        if let Some(e) = self.expires_in {
            v.push(("expires_in".into(), e.to_string()));
        }
        push_opt(&mut v, "id_token", &self.id_token);
        push_opt(&mut v, "scope", &self.scope);
        push_opt(&mut v, "state", &self.state);
        push_opt(&mut v, "session_state", &self.session_state);
        push_opt(&mut v, "iss", &self.iss);
        for (k, val) in &self.extra {
            if !AUTHORIZATION_RESPONSE_PARAMS.contains(&k.as_str()) && !val.is_empty() {
                v.push((k.clone(), val.clone()));
            }
        }
        v
    }

    /// Form-encoded parameters.
    pub fn encode(&self) -> String {
        encode_pairs(self.to_query_pairs())
    }

    /// The redirect URL for `query` or `fragment` mode.
    pub fn redirect_url(&self, redirect_uri: &str, mode: ResponseMode) -> String {
        redirect_with(redirect_uri, mode, self.to_query_pairs())
    }
}

/// Either response of the authorization endpoint, as the client receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationResult {
    /// A success response.
    Success(AuthorizationResponse),
    /// An error response.
    Error(AuthorizationError),
}

impl AuthorizationResult {
    /// Reads the redirect parameters: an error response when `error` is present, a success
    /// response otherwise.
    pub fn from_params(params: &Params) -> Result<Self, ParamError> {
        match AuthorizationError::from_params(params)? {
            Some(e) => Ok(AuthorizationResult::Error(e)),
            None => AuthorizationResponse::from_params(params).map(AuthorizationResult::Success),
        }
    }

    /// The `state` of either response.
    pub fn state(&self) -> Option<&str> {
        match self {
            AuthorizationResult::Success(s) => s.state.as_deref(),
            AuthorizationResult::Error(e) => e.state.as_deref(),
        }
    }

    /// The `iss` of either response (RFC 9207).
    pub fn iss(&self) -> Option<&str> {
        match self {
            AuthorizationResult::Success(s) => s.iss.as_deref(),
            AuthorizationResult::Error(e) => e.iss.as_deref(),
        }
    }
}

/// The prefix of `request_uri` values issued by a PAR endpoint (RFC 9126 §2.2).
pub const PAR_REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// A pushed authorization response (RFC 9126 §2.2), HTTP 201.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushedAuthorizationResponse {
    /// REQUIRED. The request URI to pass to the authorization endpoint.
    pub request_uri: String,
    /// REQUIRED. Its lifetime in seconds.
    #[serde(with = "crate::serde_util::lenient_u64")]
    pub expires_in: u64,
    /// Every other member.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}
