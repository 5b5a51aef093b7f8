//! The authorization endpoint: Authentication Request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1,
//! RFC 7636 §4.3), success response (RFC 6749 §4.1.2, RFC 9207) and error response
//! (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).

use crate::error::{sanitize_error_text, serde_via_str, string_enum};
use crate::params::ParamError;
use std::fmt;
use std::str::FromStr;

mod error;
mod request;
mod response;

pub use error::AuthorizationError;
pub use request::{
    AUTHENTICATION_REQUEST_PARAMS, AuthenticationRequest, is_absolute_uri_without_fragment,
    request_object_to_params,
};
pub use response::{
    AuthorizationResponse, AuthorizationResult, PAR_REQUEST_URI_PREFIX,
    PushedAuthorizationResponse, redirect_with,
};

/// The seed name of [`AuthorizationResponse`] (simple-openid-connect).
pub type AuthenticationSuccessResponse = AuthorizationResponse;
/// The seed name of [`AuthorizationError`] (simple-openid-connect).
pub type AuthenticationErrorResponse = AuthorizationError;

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
        /// The requested resource is invalid, unknown or malformed (RFC 8707 §2).
        InvalidTarget => "invalid_target",
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
