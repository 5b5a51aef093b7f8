//! The Authentication Request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3) and
//! Request Object claims as parameters (OIDC Core §6.1, RFC 9101).

use super::{
    AuthErrorCode, AuthorizationError, CodeChallengeMethod, Display, PromptSet, ResponseMode,
    ResponseType, is_valid_pkce_value, push_list, push_opt,
};
use crate::error::sanitize_error_text;
use crate::params::{
    ParamError, ParamErrorKind, Params, append_query, encode_pairs, split_space_list,
};
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

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
    /// REQUIRED (never empty once read: [`AuthenticationRequest::from_params`] refuses a
    /// request without it); OpenID Connect requests contain `openid`.
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
///
/// Spaces and control characters are refused anywhere (RFC 3986 §2 has none): the URL
/// parser would silently strip them at either end, so the string checked would not be the
/// URL that redirects are built on.
pub fn is_absolute_uri_without_fragment(uri: &str) -> bool {
    if uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return false;
    }
    match url::Url::parse(uri) {
        Ok(u) => u.fragment().is_none() && !uri.contains('#') && !userinfo_without_host(uri, &u),
        Err(_) => false,
    }
}

/// Whether the authority has a userinfo (`@`) but no host, as in `h://@`: a URL failure in
/// the WHATWG URL Standard (host-missing), which the `url` crate accepts at the very end of
/// the input only (`h://@` parses, `h://@?code=x` does not).
fn userinfo_without_host(uri: &str, u: &url::Url) -> bool {
    let Some((_, rest)) = uri.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority.contains('@') && u.host_str().is_none_or(str::is_empty)
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
    /// known `response_type` values (`unsupported_response_type`); a present and valid `scope`
    /// (`invalid_scope`); known `response_mode`, `display`, `prompt` values and the `none`
    /// rule; `max_age` an integer; `nonce` present when an ID token comes from the
    /// authorization endpoint of an OpenID request; `code_challenge` syntax and method;
    /// `claims` a JSON object; `request` and `request_uri` not together; `resource` absolute
    /// (`invalid_target`, RFC 8707 §2).
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
        // Seed 004 and OIDC Core §3.1.2.1: `scope` is REQUIRED. RFC 6749 §3.3 names the
        // code for a request without one: `invalid_scope`.
        let scope_error = |d: String| err_with_state(AuthErrorCode::InvalidScope, d, state);
        let scope = match params.get("scope") {
            Some(s) => Scope::parse(s).map_err(|e| scope_error(e.to_string()))?,
            None => Scope::new(),
        };
        if scope.is_empty() {
            return Err(scope_error(ParamError::missing("scope").description()));
        }
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
            // RFC 8707 §2: "invalid_target" for a resource that is not an absolute URI.
            let described =
                ParamError::invalid("resource", "must be an absolute URI without a fragment");
            return Err(err_with_state(
                AuthErrorCode::InvalidTarget,
                described.description(),
                state,
            ));
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
