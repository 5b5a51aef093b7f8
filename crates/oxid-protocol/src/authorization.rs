//! The authorization endpoint: Authentication Request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1,
//! RFC 7636 §4.3), success response (RFC 6749 §4.1.2, RFC 9207) and error response
//! (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).

use crate::error::{sanitize_error_text, serde_via_str, string_enum};
use crate::params::{
    ParamError, ParamErrorKind, Params, append_query, encode_pairs, split_space_list,
};
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// One value of the `prompt` parameter (OIDC Core §3.1.2.1; `create` from OpenID
    /// Connect Initiating User Registration 1.0).
    pub enum Prompt("prompt") {
        /// `none`: no user interface may be shown.
        None => "none",
        /// `login`: reauthenticate the End-User.
        Login => "login",
        /// `consent`: ask for consent again.
        Consent => "consent",
        /// `select_account`: let the End-User pick an account.
        SelectAccount => "select_account",
        /// `create`: start with the account creation page.
        Create => "create",
    }
}

/// The `prompt` parameter: an ordered set of [`Prompt`] values (OIDC Core §3.1.2.1).
/// `none` combined with any other value is invalid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PromptSet {
    values: Vec<Prompt>,
}

impl PromptSet {
    /// The empty set (no `prompt` parameter).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the space-delimited value. Unknown values, and `none` with others, are errors.
    pub fn parse(value: &str) -> Result<Self, ParamError> {
        let mut set = PromptSet::new();
        for v in value.split(' ').filter(|v| !v.is_empty()) {
            let p = Prompt::parse(v).ok_or_else(|| {
                ParamError::invalid(
                    "prompt",
                    format!("unknown value '{}'", sanitize_error_text(v)),
                )
            })?;
            if !set.values.contains(&p) {
                set.values.push(p);
            }
        }
        if set.values.contains(&Prompt::None) && set.values.len() > 1 {
            return Err(ParamError::invalid(
                "prompt",
                "'none' cannot be combined with other values",
            ));
        }
        Ok(set)
    }

    /// Builds a set from values, checking the `none` rule.
    pub fn from_values(values: impl IntoIterator<Item = Prompt>) -> Result<Self, ParamError> {
        let s: Vec<&str> = values.into_iter().map(|p| p.as_str()).collect();
        Self::parse(&s.join(" "))
    }

    /// Whether `p` is in the set.
    pub fn contains(&self, p: Prompt) -> bool {
        self.values.contains(&p)
    }

    /// Whether `prompt=none` was asked for.
    pub fn is_none(&self) -> bool {
        self.contains(Prompt::None)
    }

    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = Prompt> + '_ {
        self.values.iter().copied()
    }

    /// Whether no prompt was given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Display for PromptSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<&str> = self.values.iter().map(|p| p.as_str()).collect();
        f.write_str(&v.join(" "))
    }
}

impl FromStr for PromptSet {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
serde_via_str!(PromptSet);

string_enum! {
    /// The `display` parameter value (OIDC Core §3.1.2.1).
    pub enum Display("display") {
        /// `page`: a full user agent page view (the default).
        Page => "page",
        /// `popup`: a popup user agent window.
        Popup => "popup",
        /// `touch`: a device with a touch interface.
        Touch => "touch",
        /// `wap`: a "feature phone" type display.
        Wap => "wap",
    }
}

string_enum! {
    /// The PKCE `code_challenge_method` (RFC 7636 §4.3). Absent means `plain`.
    pub enum CodeChallengeMethod("code_challenge_method") {
        /// `S256`: `BASE64URL(SHA256(code_verifier))`.
        S256 => "S256",
        /// `plain`: the verifier itself.
        Plain => "plain",
    }
}

string_enum! {
    /// The `response_mode` parameter (OAuth 2.0 Multiple Response Type Encoding Practices
    /// §2.1, OAuth 2.0 Form Post Response Mode).
    pub enum ResponseMode("response_mode") {
        /// `query`: parameters in the redirect URI's query.
        Query => "query",
        /// `fragment`: parameters in the redirect URI's fragment.
        Fragment => "fragment",
        /// `form_post`: an auto-submitting HTML form POSTed to the redirect URI.
        FormPost => "form_post",
    }
}

/// Whether `s` is a valid PKCE `code_verifier` / `code_challenge` value
/// (RFC 7636 §4.1/§4.2: 43 to 128 characters of `[A-Za-z0-9-._~]`).
pub fn is_valid_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The `response_type` parameter: a set of `code`, `token` and `id_token` (or `none` alone),
/// parsed from the space-delimited list in any order (OAuth 2.0 Multiple Response Type
/// Encoding Practices §3-§5, RFC 6749 §3.1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ResponseType {
    code: bool,
    token: bool,
    id_token: bool,
}

impl ResponseType {
    /// `code` (Authorization Code Flow).
    pub const CODE: ResponseType = ResponseType {
        code: true,
        token: false,
        id_token: false,
    };
    /// `id_token` (Implicit Flow without access token).
    pub const ID_TOKEN: ResponseType = ResponseType {
        code: false,
        token: false,
        id_token: true,
    };
    /// `token` (OAuth implicit grant).
    pub const TOKEN: ResponseType = ResponseType {
        code: false,
        token: true,
        id_token: false,
    };
    /// `id_token token` (Implicit Flow).
    pub const ID_TOKEN_TOKEN: ResponseType = ResponseType {
        code: false,
        token: true,
        id_token: true,
    };
    /// `code id_token` (Hybrid Flow).
    pub const CODE_ID_TOKEN: ResponseType = ResponseType {
        code: true,
        token: false,
        id_token: true,
    };
    /// `code token` (Hybrid Flow).
    pub const CODE_TOKEN: ResponseType = ResponseType {
        code: true,
        token: true,
        id_token: false,
    };
    /// `code id_token token` (Hybrid Flow).
    pub const CODE_ID_TOKEN_TOKEN: ResponseType = ResponseType {
        code: true,
        token: true,
        id_token: true,
    };
    /// `none` (no credentials returned).
    pub const NONE: ResponseType = ResponseType {
        code: false,
        token: false,
        id_token: false,
    };

    /// Parses the space-delimited value, in any order. Unknown or repeated values, an empty
    /// value, and `none` with others are errors.
    pub fn parse(value: &str) -> Result<Self, ParamError> {
        let mut rt = ResponseType::default();
        let mut none = false;
        let mut count = 0;
        for v in value.split(' ').filter(|v| !v.is_empty()) {
            count += 1;
            let slot = match v {
                "code" => &mut rt.code,
                "token" => &mut rt.token,
                "id_token" => &mut rt.id_token,
                "none" => &mut none,
                other => {
                    return Err(ParamError::invalid(
                        "response_type",
                        format!("unsupported value '{}'", sanitize_error_text(other)),
                    ));
                }
            };
            if *slot {
                return Err(ParamError::invalid(
                    "response_type",
                    format!("'{v}' is repeated"),
                ));
            }
            *slot = true;
        }
        if count == 0 {
            return Err(ParamError::missing("response_type"));
        }
        if none && count > 1 {
            return Err(ParamError::invalid(
                "response_type",
                "'none' cannot be combined",
            ));
        }
        Ok(rt)
    }

    /// Whether `code` is part of it.
    pub fn code(&self) -> bool {
        self.code
    }

    /// Whether `token` is part of it.
    pub fn token(&self) -> bool {
        self.token
    }

    /// Whether `id_token` is part of it.
    pub fn id_token(&self) -> bool {
        self.id_token
    }

    /// Whether this is `none`.
    pub fn is_none(&self) -> bool {
        !self.code && !self.token && !self.id_token
    }

    /// Whether this is exactly `code`.
    pub fn is_code_flow(&self) -> bool {
        *self == Self::CODE
    }

    /// Whether tokens are returned from the authorization endpoint (implicit or hybrid).
    pub fn returns_tokens_from_authorization_endpoint(&self) -> bool {
        self.token || self.id_token
    }

    /// The default response mode: `query` for `code` and `none`, `fragment` otherwise.
    pub fn default_response_mode(&self) -> ResponseMode {
        if self.token || self.id_token {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }

    /// The canonical string (`code`, `id_token token`, `code id_token token`, ...).
    pub fn as_str(&self) -> &'static str {
        match (self.code, self.id_token, self.token) {
            (false, false, false) => "none",
            (true, false, false) => "code",
            (false, true, false) => "id_token",
            (false, false, true) => "token",
            (true, true, false) => "code id_token",
            (true, false, true) => "code token",
            (false, true, true) => "id_token token",
            (true, true, true) => "code id_token token",
        }
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResponseType {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
serde_via_str!(ResponseType);

string_enum! {
    /// The `error` code of an authorization error response: exactly the codes of RFC 6749
    /// §4.1.2.1 and OIDC Core §3.1.2.6, plus `invalid_client` for the provider's own error
    /// page (never redirected).
    pub enum AuthErrorCode("error") {
        /// The resource owner or authorization server denied the request.
        AccessDenied => "access_denied",
        /// The End-User must select a session (OIDC Core §3.1.2.6).
        AccountSelectionRequired => "account_selection_required",
        /// End-User consent is required (OIDC Core §3.1.2.6).
        ConsentRequired => "consent_required",
        /// End-User interaction of some form is required (OIDC Core §3.1.2.6).
        InteractionRequired => "interaction_required",
        /// The request is missing, repeats or has a malformed parameter.
        InvalidRequest => "invalid_request",
        /// The `request` parameter holds an invalid Request Object.
        InvalidRequestObject => "invalid_request_object",
        /// The `request_uri` returns an error or invalid data.
        InvalidRequestUri => "invalid_request_uri",
        /// The requested scope is invalid, unknown or malformed.
        InvalidScope => "invalid_scope",
        /// End-User authentication is required (OIDC Core §3.1.2.6).
        LoginRequired => "login_required",
        /// The `registration` parameter is not supported.
        RegistrationNotSupported => "registration_not_supported",
        /// The `request` parameter is not supported.
        RequestNotSupported => "request_not_supported",
        /// The `request_uri` parameter is not supported.
        RequestUriNotSupported => "request_uri_not_supported",
        /// The server encountered an unexpected condition.
        ServerError => "server_error",
        /// The server is temporarily unable to handle the request.
        TemporarilyUnavailable => "temporarily_unavailable",
        /// The client may not use this method.
        UnauthorizedClient => "unauthorized_client",
        /// The response type is not supported.
        UnsupportedResponseType => "unsupported_response_type",
        /// The client is unknown or its redirect URI does not match: shown on the provider's
        /// error page, never sent to a redirect URI.
        InvalidClient => "invalid_client",
    }
}

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

fn push_opt(v: &mut Vec<(String, String)>, k: &str, val: &Option<String>) {
    if let Some(x) = val
        && !x.is_empty()
    {
        v.push((k.to_owned(), x.clone()));
    }
}

fn push_list(v: &mut Vec<(String, String)>, k: &str, val: &[String]) {
    if !val.is_empty() {
        v.push((k.to_owned(), val.join(" ")));
    }
}

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

/// The parameter names [`AuthenticationRequest`] reads into typed fields.
pub const AUTHENTICATION_REQUEST_PARAMS: &[&str] = &[
    "scope",
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "response_mode",
    "nonce",
    "display",
    "prompt",
    "max_age",
    "ui_locales",
    "claims_locales",
    "id_token_hint",
    "login_hint",
    "acr_values",
    "registration",
    "code_challenge",
    "code_challenge_method",
    "request",
    "request_uri",
    "claims",
    "resource",
];

/// An OpenID Connect Authentication Request (OIDC Core §3.1.2.1, §5.5 `claims`, §6
/// `request`/`request_uri`, §7.2.1 `registration`), which is also an OAuth 2.0
/// Authorization Request (RFC 6749 §4.1.1) with PKCE (RFC 7636 §4.3) and resource
/// indicators (RFC 8707).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthenticationRequest {
    /// REQUIRED for OpenID Connect (`openid` must be present); empty when absent.
    pub scope: Scope,
    /// REQUIRED. The flow to use.
    pub response_type: ResponseType,
    /// REQUIRED. The client identifier.
    pub client_id: String,
    /// REQUIRED. Where the response is sent; must match a registered value exactly.
    pub redirect_uri: String,
    /// RECOMMENDED. Opaque value echoed in the response.
    pub state: Option<String>,
    /// How the response parameters are returned.
    pub response_mode: Option<ResponseMode>,
    /// Value bound into the ID token; REQUIRED when an ID token is returned from the
    /// authorization endpoint (implicit and hybrid flows).
    pub nonce: Option<String>,
    /// How the pages are displayed (space-delimited).
    pub display: Vec<Display>,
    /// Whether to prompt for reauthentication and consent.
    pub prompt: PromptSet,
    /// Maximum authentication age in seconds.
    pub max_age: Option<u64>,
    /// Preferred UI languages, BCP47 tags in order of preference.
    pub ui_locales: Vec<String>,
    /// Preferred claim languages (OIDC Core §5.2).
    pub claims_locales: Vec<String>,
    /// A previously issued ID token as a hint.
    pub id_token_hint: Option<String>,
    /// A hint about the login identifier.
    pub login_hint: Option<String>,
    /// Requested Authentication Context Class References, in order of preference.
    pub acr_values: Vec<String>,
    /// Self-issued client registration JSON (OIDC Core §7.2.1).
    pub registration: Option<String>,
    /// PKCE code challenge (RFC 7636 §4.2).
    pub code_challenge: Option<String>,
    /// PKCE method; absent means `plain` when a challenge is present.
    pub code_challenge_method: Option<CodeChallengeMethod>,
    /// A Request Object (JWT) by value (OIDC Core §6.1).
    pub request: Option<String>,
    /// A Request Object by reference, or a PAR `urn:ietf:params:oauth:request_uri:` (RFC 9126).
    pub request_uri: Option<String>,
    /// The `claims` request parameter, parsed (a JSON object, OIDC Core §5.5).
    pub claims: Option<serde_json::Value>,
    /// Target resource indicator (RFC 8707 §2), an absolute URI without fragment.
    pub resource: Option<String>,
    /// Every other parameter, in order.
    pub extra: IndexMap<String, String>,
}

fn err_with_state(
    code: AuthErrorCode,
    description: impl AsRef<str>,
    state: Option<&str>,
) -> AuthorizationError {
    AuthorizationError::new(code, description).with_state(state)
}

/// Whether `uri` is an absolute URI without a fragment (RFC 6749 §3.1.2).
pub fn is_absolute_uri_without_fragment(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) => u.fragment().is_none() && !uri.contains('#'),
        Err(_) => false,
    }
}

impl AuthenticationRequest {
    /// A minimal code-flow request.
    pub fn new(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        scope: Scope,
    ) -> Self {
        AuthenticationRequest {
            scope,
            response_type: ResponseType::CODE,
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            ..Default::default()
        }
    }

    /// Reads and checks the request. Errors carry the request's `state` so they can be
    /// redirected; check `client_id` and `redirect_uri` against the registration first
    /// (errors about those two must be shown on the provider's own page, never redirected).
    ///
    /// Checks: required `response_type`, `client_id`, `redirect_uri` (absolute, no fragment);
    /// known `response_type` values (`unsupported_response_type`); valid `scope`
    /// (`invalid_scope`); known `response_mode`, `display`, `prompt` values and the `none`
    /// rule; `max_age` an integer; `nonce` present when an ID token comes from the
    /// authorization endpoint of an OpenID request; `code_challenge` syntax and method;
    /// `claims` a JSON object; `request` and `request_uri` not together; `resource` absolute.
    pub fn from_params(params: &Params) -> Result<Self, AuthorizationError> {
        let state = params.get("state");
        let invalid = |d: String| err_with_state(AuthErrorCode::InvalidRequest, d, state);
        let from_pe = |e: ParamError| invalid(e.description());

        let client_id = params.require("client_id").map_err(from_pe)?.to_owned();
        let redirect_uri = params.require("redirect_uri").map_err(from_pe)?.to_owned();
        if !is_absolute_uri_without_fragment(&redirect_uri) {
            return Err(from_pe(ParamError::invalid(
                "redirect_uri",
                "must be an absolute URI without a fragment",
            )));
        }
        let rt_raw = params.require("response_type").map_err(from_pe)?;
        let response_type = ResponseType::parse(rt_raw).map_err(|e| {
            err_with_state(
                AuthErrorCode::UnsupportedResponseType,
                e.description(),
                state,
            )
        })?;
        let scope = match params.get("scope") {
            Some(s) => Scope::parse(s)
                .map_err(|e| err_with_state(AuthErrorCode::InvalidScope, e.to_string(), state))?,
            None => Scope::new(),
        };
        let response_mode = params
            .get("response_mode")
            .map(|v| {
                ResponseMode::parse(v).ok_or_else(|| {
                    from_pe(ParamError::invalid(
                        "response_mode",
                        format!("unknown value '{}'", sanitize_error_text(v)),
                    ))
                })
            })
            .transpose()?;
        let display = match params.get("display") {
            Some(v) => split_space_list(v)
                .iter()
                .map(|d| {
                    Display::parse(d).ok_or_else(|| {
                        from_pe(ParamError::invalid(
                            "display",
                            format!("unknown value '{}'", sanitize_error_text(d)),
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let prompt = match params.get("prompt") {
            Some(v) => PromptSet::parse(v).map_err(from_pe)?,
            None => PromptSet::new(),
        };
        let max_age = params
            .get("max_age")
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    from_pe(ParamError::invalid(
                        "max_age",
                        "must be a non-negative integer",
                    ))
                })
            })
            .transpose()?;
        let nonce = params.get("nonce").map(str::to_owned);
        if scope.is_openid() && response_type.id_token() && nonce.is_none() {
            return Err(from_pe(ParamError::new(
                "nonce",
                ParamErrorKind::InvalidValue(
                    "is required when an ID token is returned from the authorization endpoint"
                        .into(),
                ),
            )));
        }
        let code_challenge = params.get("code_challenge").map(str::to_owned);
        let code_challenge_method = params
            .get("code_challenge_method")
            .map(|v| {
                CodeChallengeMethod::parse(v).ok_or_else(|| {
                    from_pe(ParamError::invalid(
                        "code_challenge_method",
                        "must be S256 or plain",
                    ))
                })
            })
            .transpose()?;
        if let Some(c) = &code_challenge {
            if !is_valid_pkce_value(c) {
                return Err(from_pe(ParamError::invalid(
                    "code_challenge",
                    "must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                )));
            }
        } else if code_challenge_method.is_some() {
            return Err(from_pe(ParamError::invalid(
                "code_challenge_method",
                "given without code_challenge",
            )));
        }
        let claims = params
            .get("claims")
            .map(|v| match serde_json::from_str::<serde_json::Value>(v) {
                Ok(j @ serde_json::Value::Object(_)) => Ok(j),
                _ => Err(from_pe(ParamError::invalid(
                    "claims",
                    "must be a JSON object",
                ))),
            })
            .transpose()?;
        let request = params.get("request").map(str::to_owned);
        let request_uri = params.get("request_uri").map(str::to_owned);
        if request.is_some() && request_uri.is_some() {
            return Err(from_pe(ParamError::invalid(
                "request_uri",
                "request and request_uri must not be used together",
            )));
        }
        let resource = params.get("resource").map(str::to_owned);
        if let Some(r) = &resource
            && !is_absolute_uri_without_fragment(r)
        {
            return Err(from_pe(ParamError::invalid(
                "resource",
                "must be an absolute URI without a fragment",
            )));
        }
        let extra = params
            .unknown(AUTHENTICATION_REQUEST_PARAMS)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(AuthenticationRequest {
            scope,
            response_type,
            client_id,
            redirect_uri,
            state: state.map(str::to_owned),
            response_mode,
            nonce,
            display,
            prompt,
            max_age,
            ui_locales: params
                .get("ui_locales")
                .map(split_space_list)
                .unwrap_or_default(),
            claims_locales: params
                .get("claims_locales")
                .map(split_space_list)
                .unwrap_or_default(),
            id_token_hint: params.get("id_token_hint").map(str::to_owned),
            login_hint: params.get("login_hint").map(str::to_owned),
            acr_values: params
                .get("acr_values")
                .map(split_space_list)
                .unwrap_or_default(),
            registration: params.get("registration").map(str::to_owned),
            code_challenge,
            code_challenge_method,
            request,
            request_uri,
            claims,
            resource,
            extra,
        })
    }

    /// The effective response mode: the requested one, or the response type's default.
    pub fn effective_response_mode(&self) -> ResponseMode {
        self.response_mode
            .unwrap_or_else(|| self.response_type.default_response_mode())
    }

    /// The effective PKCE method: `None` without a challenge, `plain` when the method is
    /// absent (RFC 7636 §4.3).
    pub fn effective_code_challenge_method(&self) -> Option<CodeChallengeMethod> {
        self.code_challenge.as_ref().map(|_| {
            self.code_challenge_method
                .unwrap_or(CodeChallengeMethod::Plain)
        })
    }

    /// The request as parameters, in a stable order, extras last.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = Vec::new();
        v.push(("response_type".into(), self.response_type.to_string()));
        v.push(("client_id".into(), self.client_id.clone()));
        v.push(("redirect_uri".into(), self.redirect_uri.clone()));
        if !self.scope.is_empty() {
            v.push(("scope".into(), self.scope.to_string()));
        }
        push_opt(&mut v, "state", &self.state);
        if let Some(m) = self.response_mode {
            v.push(("response_mode".into(), m.as_str().into()));
        }
        push_opt(&mut v, "nonce", &self.nonce);
        if !self.display.is_empty() {
            let d: Vec<&str> = self.display.iter().map(|d| d.as_str()).collect();
            v.push(("display".into(), d.join(" ")));
        }
        if !self.prompt.is_empty() {
            v.push(("prompt".into(), self.prompt.to_string()));
        }
        if let Some(m) = self.max_age {
            v.push(("max_age".into(), m.to_string()));
        }
        push_list(&mut v, "ui_locales", &self.ui_locales);
        push_list(&mut v, "claims_locales", &self.claims_locales);
        push_opt(&mut v, "id_token_hint", &self.id_token_hint);
        push_opt(&mut v, "login_hint", &self.login_hint);
        push_list(&mut v, "acr_values", &self.acr_values);
        push_opt(&mut v, "registration", &self.registration);
        push_opt(&mut v, "code_challenge", &self.code_challenge);
        if let Some(m) = self.code_challenge_method {
            v.push(("code_challenge_method".into(), m.as_str().into()));
        }
        push_opt(&mut v, "request", &self.request);
        push_opt(&mut v, "request_uri", &self.request_uri);
        if let Some(c) = &self.claims {
            v.push(("claims".into(), c.to_string()));
        }
        push_opt(&mut v, "resource", &self.resource);
        for (k, val) in &self.extra {
            if !AUTHENTICATION_REQUEST_PARAMS.contains(&k.as_str()) && !val.is_empty() {
                v.push((k.clone(), val.clone()));
            }
        }
        v
    }

    /// The request as [`Params`].
    pub fn to_params(&self) -> Params {
        // Names are unique by construction.
        Params::from_pairs(self.to_query_pairs()).unwrap_or_default()
    }

    /// Form-encoded parameters (a query string without `?`).
    pub fn encode(&self) -> String {
        encode_pairs(self.to_query_pairs())
    }

    /// The full authorization URL: `endpoint` with the parameters appended to its query.
    pub fn to_url(&self, authorization_endpoint: &str) -> String {
        append_query(authorization_endpoint, self.to_query_pairs())
    }
}

/// Converts the claims of a Request Object (OIDC Core §6.1, RFC 9101) to parameters:
/// strings as they are, numbers and booleans as text, objects and arrays as JSON text.
/// `null` members are skipped.
pub fn request_object_to_params(claims: &serde_json::Map<String, serde_json::Value>) -> Params {
    let mut p = Params::new();
    for (k, v) in claims {
        let s = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        p.insert(k.clone(), s);
    }
    p
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

/// The seed name of [`AuthorizationResponse`] (simple-openid-connect).
pub type AuthenticationSuccessResponse = AuthorizationResponse;
/// The seed name of [`AuthorizationError`] (simple-openid-connect).
pub type AuthenticationErrorResponse = AuthorizationError;

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

impl Serialize for AuthenticationRequest {
    /// A JSON object of the request's parameters as strings (the form of
    /// [`AuthenticationRequest::to_query_pairs`]), for storing a pending request.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let pairs = self.to_query_pairs();
        let mut m = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in &pairs {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for AuthenticationRequest {
    /// Reads the object written by `Serialize` (or a Request Object's claims) through
    /// [`AuthenticationRequest::from_params`], so the same checks apply.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        AuthenticationRequest::from_params(&request_object_to_params(&m))
            .map_err(serde::de::Error::custom)
    }
}
