//! The token endpoint: token requests for every grant (RFC 6749 §4.1.3, §4.3.2, §4.4.2,
//! §6; RFC 7523 §2.1; RFC 8628 §3.4; RFC 8693 §2.1), client authentication parameters
//! (RFC 6749 §2.3.1, RFC 7521 §4.2, RFC 7523 §2.2), the success response (RFC 6749 §5.1,
//! OIDC Core §3.1.3.3) and the error response (RFC 6749 §5.2, RFC 8628 §3.5).

use crate::error::{sanitize_error_text, string_enum};
use crate::params::{ParamError, Params, encode_pairs};
use crate::scope::Scope;
use base64::Engine;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `grant_type` of the authorization code grant.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// `grant_type` of the refresh token grant.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// `grant_type` of the client credentials grant.
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// `grant_type` of the resource owner password credentials grant.
pub const GRANT_PASSWORD: &str = "password";
/// `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `grant_type` of the device authorization grant (RFC 8628 §3.4).
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// `grant_type` of token exchange (RFC 8693 §2.1).
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `client_assertion_type` for JWT client authentication (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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

/// A token request, one variant per `grant_type`, with that grant's required parameters
/// checked. Client authentication parameters are read separately by [`ClientAuthParams`].
#[derive(Debug, Clone, PartialEq)]
pub enum TokenRequest {
    /// `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
    AuthorizationCode {
        /// REQUIRED. The authorization code.
        code: String,
        /// REQUIRED (OIDC always sends it in the authorization request).
        redirect_uri: String,
        /// PKCE verifier (RFC 7636 §4.5).
        code_verifier: Option<String>,
    },
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken {
        /// REQUIRED. The refresh token.
        refresh_token: String,
        /// Narrower scope; absent means the original scope.
        scope: Option<Scope>,
    },
    /// `client_credentials` (RFC 6749 §4.4.2).
    ClientCredentials {
        /// Requested scope.
        scope: Option<Scope>,
    },
    /// `password` (RFC 6749 §4.3.2).
    Password {
        /// REQUIRED. The resource owner's username.
        username: String,
        /// REQUIRED. The resource owner's password.
        password: String,
        /// Requested scope.
        scope: Option<Scope>,
    },
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
    JwtBearer {
        /// REQUIRED. A single JWT.
        assertion: String,
        /// Requested scope.
        scope: Option<Scope>,
    },
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
    DeviceCode {
        /// REQUIRED. The device verification code.
        device_code: String,
    },
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1).
    TokenExchange {
        /// REQUIRED. The token that represents the subject.
        subject_token: String,
        /// REQUIRED. Its type URI.
        subject_token_type: String,
        /// Token of the acting party.
        actor_token: Option<String>,
        /// Its type URI; REQUIRED when `actor_token` is present.
        actor_token_type: Option<String>,
        /// Type of the token requested.
        requested_token_type: Option<String>,
        /// Target service (absolute URI).
        resource: Option<String>,
        /// Target service (logical name).
        audience: Option<String>,
        /// Requested scope.
        scope: Option<Scope>,
    },
    /// Any other grant type: the grant type and all parameters (except client
    /// authentication parameters) as received.
    Other {
        /// The `grant_type` value.
        grant_type: String,
        /// The other parameters.
        params: Params,
    },
}

/// Parameter names that belong to client authentication rather than the grant.
pub const CLIENT_AUTH_PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

fn req(p: &Params, name: &str) -> Result<String, TokenError> {
    p.require(name).map(str::to_owned).map_err(TokenError::from)
}

/// The `scope` parameter; one made of spaces only has no token and counts as absent, like
/// an empty value (RFC 6749 §3.1), so that it encodes and reads back the same.
fn opt_scope(p: &Params) -> Result<Option<Scope>, TokenError> {
    p.get("scope")
        .map(|s| {
            Scope::parse(s)
                .map_err(|e| TokenError::new(TokenErrorCode::InvalidScope, e.to_string()))
        })
        .transpose()
        .map(|s| s.filter(|s| !s.is_empty()))
}

impl TokenRequest {
    /// Reads the request and checks the parameters each grant requires: `code` and
    /// `redirect_uri` for `authorization_code` (and `code_verifier` syntax, RFC 7636 §4.1),
    /// `refresh_token`, `username` and `password`, `assertion`, `device_code`,
    /// `subject_token` and `subject_token_type` (and `actor_token_type` with `actor_token`).
    /// A missing `grant_type` is `invalid_request`; an unknown one becomes
    /// [`TokenRequest::Other`] for the caller to answer `unsupported_grant_type`.
    pub fn from_params(p: &Params) -> Result<Self, TokenError> {
        let grant_type = req(p, "grant_type")?;
        Ok(match grant_type.as_str() {
            GRANT_AUTHORIZATION_CODE => {
                let code = req(p, "code")?;
                let redirect_uri = req(p, "redirect_uri")?;
                let code_verifier = p.get("code_verifier").map(str::to_owned);
                if let Some(v) = &code_verifier
                    && !crate::authorization::is_valid_pkce_value(v)
                {
                    return Err(TokenError::invalid_request(
                        "invalid parameter 'code_verifier': must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                    ));
                }
                TokenRequest::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier,
                }
            }
            GRANT_REFRESH_TOKEN => TokenRequest::RefreshToken {
                refresh_token: req(p, "refresh_token")?,
                scope: opt_scope(p)?,
            },
            GRANT_CLIENT_CREDENTIALS => TokenRequest::ClientCredentials {
                scope: opt_scope(p)?,
            },
            GRANT_PASSWORD => TokenRequest::Password {
                username: req(p, "username")?,
                password: req(p, "password")?,
                scope: opt_scope(p)?,
            },
            GRANT_JWT_BEARER => TokenRequest::JwtBearer {
                assertion: req(p, "assertion")?,
                scope: opt_scope(p)?,
            },
            GRANT_DEVICE_CODE => TokenRequest::DeviceCode {
                device_code: req(p, "device_code")?,
            },
            GRANT_TOKEN_EXCHANGE => {
                let actor_token = p.get("actor_token").map(str::to_owned);
                let actor_token_type = p.get("actor_token_type").map(str::to_owned);
                if actor_token.is_some() && actor_token_type.is_none() {
                    return Err(ParamError::missing("actor_token_type").into());
                }
                if actor_token.is_none() && actor_token_type.is_some() {
                    return Err(ParamError::invalid(
                        "actor_token_type",
                        "given without actor_token",
                    )
                    .into());
                }
                TokenRequest::TokenExchange {
                    subject_token: req(p, "subject_token")?,
                    subject_token_type: req(p, "subject_token_type")?,
                    actor_token,
                    actor_token_type,
                    requested_token_type: p.get("requested_token_type").map(str::to_owned),
                    resource: p.get("resource").map(str::to_owned),
                    audience: p.get("audience").map(str::to_owned),
                    scope: opt_scope(p)?,
                }
            }
            _ => {
                let mut params = p.clone();
                params.remove("grant_type");
                for k in CLIENT_AUTH_PARAMS {
                    params.remove(k);
                }
                TokenRequest::Other { grant_type, params }
            }
        })
    }

    /// The `grant_type` value.
    pub fn grant_type(&self) -> &str {
        match self {
            TokenRequest::AuthorizationCode { .. } => GRANT_AUTHORIZATION_CODE,
            TokenRequest::RefreshToken { .. } => GRANT_REFRESH_TOKEN,
            TokenRequest::ClientCredentials { .. } => GRANT_CLIENT_CREDENTIALS,
            TokenRequest::Password { .. } => GRANT_PASSWORD,
            TokenRequest::JwtBearer { .. } => GRANT_JWT_BEARER,
            TokenRequest::DeviceCode { .. } => GRANT_DEVICE_CODE,
            TokenRequest::TokenExchange { .. } => GRANT_TOKEN_EXCHANGE,
            TokenRequest::Other { grant_type, .. } => grant_type,
        }
    }

    /// The requested scope, when the grant carries one.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            TokenRequest::RefreshToken { scope, .. }
            | TokenRequest::ClientCredentials { scope }
            | TokenRequest::Password { scope, .. }
            | TokenRequest::JwtBearer { scope, .. }
            | TokenRequest::TokenExchange { scope, .. } => scope.as_ref(),
            _ => None,
        }
    }

    /// The form parameters, `grant_type` first (client authentication not included).
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        let mut v = vec![("grant_type".to_owned(), self.grant_type().to_owned())];
        let mut push = |k: &str, val: Option<&str>| {
            if let Some(x) = val
                && !x.is_empty()
            {
                v.push((k.to_owned(), x.to_owned()));
            }
        };
        let scope_s = self.scope().map(|s| s.to_string());
        match self {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                push("code", Some(code));
                push("redirect_uri", Some(redirect_uri));
                push("code_verifier", code_verifier.as_deref());
            }
            TokenRequest::RefreshToken { refresh_token, .. } => {
                push("refresh_token", Some(refresh_token))
            }
            TokenRequest::ClientCredentials { .. } => {}
            TokenRequest::Password {
                username, password, ..
            } => {
                push("username", Some(username));
                push("password", Some(password));
            }
            TokenRequest::JwtBearer { assertion, .. } => push("assertion", Some(assertion)),
            TokenRequest::DeviceCode { device_code } => push("device_code", Some(device_code)),
            TokenRequest::TokenExchange {
                subject_token,
                subject_token_type,
                actor_token,
                actor_token_type,
                requested_token_type,
                resource,
                audience,
                ..
            } => {
                push("subject_token", Some(subject_token));
                push("subject_token_type", Some(subject_token_type));
                push("actor_token", actor_token.as_deref());
                push("actor_token_type", actor_token_type.as_deref());
                push("requested_token_type", requested_token_type.as_deref());
                push("resource", resource.as_deref());
                push("audience", audience.as_deref());
            }
            TokenRequest::Other { params, .. } => {
                for (k, val) in params.iter() {
                    if k != "grant_type" {
                        push(k, Some(val));
                    }
                }
            }
        }
        if !matches!(self, TokenRequest::Other { .. }) {
            push("scope", scope_s.as_deref());
        }
        v
    }

    /// The form body (client authentication not included).
    pub fn encode(&self) -> String {
        encode_pairs(self.to_form_pairs())
    }
}

/// How a client authenticated at an endpoint (OIDC Core §9, RFC 8705 not included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// No authentication, `client_id` only (public client, `none`).
    None,
    /// `client_secret` in the form body (`client_secret_post`).
    ClientSecretPost,
    /// HTTP Basic (`client_secret_basic`).
    ClientSecretBasic,
    /// A JWT assertion (`client_secret_jwt` or `private_key_jwt`; which one depends on the
    /// JWS algorithm).
    JwtAssertion,
}

/// The client authentication parameters of a form body (RFC 6749 §2.3.1, RFC 7521 §4.2,
/// RFC 7523 §2.2), read from the same [`Params`] as the grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAuthParams {
    /// The client identifier.
    pub client_id: Option<String>,
    /// The client secret (`client_secret_post`).
    pub client_secret: Option<String>,
    /// The client assertion JWT.
    pub client_assertion: Option<String>,
    /// The assertion type URI.
    pub client_assertion_type: Option<String>,
}

impl ClientAuthParams {
    /// Reads the four parameters and checks them: `client_assertion` and
    /// `client_assertion_type` go together (`invalid_request`), the type must be
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (`invalid_client`), and a
    /// secret and an assertion may not both be used (`invalid_request`).
    pub fn from_params(p: &Params) -> Result<Self, TokenError> {
        let c = ClientAuthParams {
            client_id: p.get("client_id").map(str::to_owned),
            client_secret: p.get("client_secret").map(str::to_owned),
            client_assertion: p.get("client_assertion").map(str::to_owned),
            client_assertion_type: p.get("client_assertion_type").map(str::to_owned),
        };
        match (&c.client_assertion, &c.client_assertion_type) {
            (Some(_), None) => return Err(ParamError::missing("client_assertion_type").into()),
            (None, Some(_)) => return Err(ParamError::missing("client_assertion").into()),
            (Some(_), Some(t)) if t != CLIENT_ASSERTION_TYPE_JWT_BEARER => {
                return Err(TokenError::invalid_client(
                    "unsupported client_assertion_type",
                ));
            }
            _ => {}
        }
        if c.client_secret.is_some() && c.client_assertion.is_some() {
            return Err(TokenError::invalid_request(
                "more than one client authentication method used",
            ));
        }
        Ok(c)
    }

    /// The method these body parameters use, given whether an `Authorization: Basic` header
    /// was also sent. Using more than one method is `invalid_request` (RFC 6749 §2.3).
    pub fn method(&self, basic_header: bool) -> Result<ClientAuthMethod, TokenError> {
        let body = if self.client_assertion.is_some() {
            Some(ClientAuthMethod::JwtAssertion)
        } else if self.client_secret.is_some() {
            Some(ClientAuthMethod::ClientSecretPost)
        } else {
            None
        };
        match (basic_header, body) {
            (true, Some(_)) => Err(TokenError::invalid_request(
                "more than one client authentication method used",
            )),
            (true, None) => Ok(ClientAuthMethod::ClientSecretBasic),
            (false, Some(m)) => Ok(m),
            (false, None) => Ok(ClientAuthMethod::None),
        }
    }

    /// The form parameters that are set.
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (k, val) in [
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("client_assertion", &self.client_assertion),
            ("client_assertion_type", &self.client_assertion_type),
        ] {
            if let Some(x) = val {
                v.push((k.to_owned(), x.clone()));
            }
        }
        v
    }
}

/// Decodes an `Authorization: Basic` header value into `(client_id, client_secret)`:
/// base64, split at the first `:`, each part form-urlencoding-decoded (RFC 6749 §2.3.1).
/// Errors are `invalid_client`.
pub fn parse_basic_authorization(header: &str) -> Result<(String, String), TokenError> {
    let bad = || TokenError::invalid_client("malformed HTTP Basic credentials");
    let mut parts = header.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let b64 = parts.next().unwrap_or("").trim();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad())?;
    let colon = raw.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let dec = |b: &[u8]| -> Result<String, TokenError> {
        let params = Params::parse_form(
            format!("x={}", std::str::from_utf8(b).map_err(|_| bad())?).as_bytes(),
        )
        .map_err(|_| bad())?;
        Ok(params.get("x").unwrap_or("").to_owned())
    };
    let id = dec(&raw[..colon])?;
    let secret = dec(&raw[colon + 1..])?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, secret))
}

/// Encodes an `Authorization: Basic` header value (RFC 6749 §2.3.1: each part
/// form-urlencoded first).
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(client_id), enc(client_secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

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
/// The seed name of [`TokenError`] (simple-openid-connect).
pub type TokenErrorResponse = TokenError;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Params {
        Params::parse_form(s.as_bytes()).unwrap()
    }

    #[test]
    fn basic_round_trip() {
        let h = basic_authorization("my client", "s:e/c%r");
        assert_eq!(
            parse_basic_authorization(&h).unwrap(),
            ("my client".into(), "s:e/c%r".into())
        );
        assert!(parse_basic_authorization("Bearer abc").is_err());
        assert!(parse_basic_authorization("Basic !!!").is_err());
    }

    #[test]
    fn auth_code_requires() {
        let e = TokenRequest::from_params(&p("grant_type=authorization_code&code=x")).unwrap_err();
        assert_eq!(e.error, TokenErrorCode::InvalidRequest);
        assert!(e.error_description.unwrap().contains("redirect_uri"));
    }

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
