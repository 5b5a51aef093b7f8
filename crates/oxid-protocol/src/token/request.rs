//! Token requests, one per grant (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 7523 §2.1;
//! RFC 8628 §3.4; RFC 8693 §2.1).

use super::*;
use crate::params::{ParamError, Params, encode_pairs};
use crate::scope::Scope;
use indexmap::IndexMap;

/// A token request, one variant per `grant_type`, with that grant's required parameters
/// checked. Client authentication parameters are read separately by [`ClientAuthParams`].
/// Parameters a grant does not type are kept in its `extra` (seed 004's `extra='allow'`), so
/// that a client can send them (`resource`, RFC 8707 §2.2) and a server can read them.
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
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
    },
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken {
        /// REQUIRED. The refresh token.
        refresh_token: String,
        /// Narrower scope; absent means the original scope.
        scope: Option<Scope>,
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
    },
    /// `client_credentials` (RFC 6749 §4.4.2).
    ClientCredentials {
        /// Requested scope.
        scope: Option<Scope>,
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
    },
    /// `password` (RFC 6749 §4.3.2).
    Password {
        /// REQUIRED. The resource owner's username.
        username: String,
        /// REQUIRED. The resource owner's password.
        password: String,
        /// Requested scope.
        scope: Option<Scope>,
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
    },
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
    JwtBearer {
        /// REQUIRED. A single JWT.
        assertion: String,
        /// Requested scope.
        scope: Option<Scope>,
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
    },
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
    DeviceCode {
        /// REQUIRED. The device verification code.
        device_code: String,
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
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
        /// Every other parameter (`resource`, `audience`, …), in order; client
        /// authentication parameters excluded.
        extra: IndexMap<String, String>,
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

/// Runs `$typed` with `$extra` bound to a typed grant's `extra`, or `$other` for
/// [`TokenRequest::Other`].
macro_rules! with_extra {
    ($request:expr, $extra:ident => $typed:expr, $other:expr) => {
        match $request {
            TokenRequest::AuthorizationCode { extra: $extra, .. }
            | TokenRequest::RefreshToken { extra: $extra, .. }
            | TokenRequest::ClientCredentials { extra: $extra, .. }
            | TokenRequest::Password { extra: $extra, .. }
            | TokenRequest::JwtBearer { extra: $extra, .. }
            | TokenRequest::DeviceCode { extra: $extra, .. }
            | TokenRequest::TokenExchange { extra: $extra, .. } => $typed,
            TokenRequest::Other { .. } => $other,
        }
    };
}

/// The parameters each typed grant reads into its own fields (besides `grant_type`).
fn typed_params(grant_type: &str) -> &'static [&'static str] {
    match grant_type {
        GRANT_AUTHORIZATION_CODE => &["code", "redirect_uri", "code_verifier"],
        GRANT_REFRESH_TOKEN => &["refresh_token", "scope"],
        GRANT_CLIENT_CREDENTIALS => &["scope"],
        GRANT_PASSWORD => &["username", "password", "scope"],
        GRANT_JWT_BEARER => &["assertion", "scope"],
        GRANT_DEVICE_CODE => &["device_code"],
        GRANT_TOKEN_EXCHANGE => &[
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "requested_token_type",
            "resource",
            "audience",
            "scope",
        ],
        _ => &[],
    }
}

/// The parameters of `p` that are neither `grant_type`, nor in `typed`, nor client
/// authentication, in order.
fn extra_params(p: &Params, typed: &[&str]) -> IndexMap<String, String> {
    p.iter()
        .filter(|(k, _)| {
            *k != "grant_type" && !typed.contains(k) && !CLIENT_AUTH_PARAMS.contains(k)
        })
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
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
        let extra = extra_params(p, typed_params(&grant_type));
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
                    extra,
                }
            }
            GRANT_REFRESH_TOKEN => TokenRequest::RefreshToken {
                refresh_token: req(p, "refresh_token")?,
                scope: opt_scope(p)?,
                extra,
            },
            GRANT_CLIENT_CREDENTIALS => TokenRequest::ClientCredentials {
                scope: opt_scope(p)?,
                extra,
            },
            GRANT_PASSWORD => TokenRequest::Password {
                username: req(p, "username")?,
                password: req(p, "password")?,
                scope: opt_scope(p)?,
                extra,
            },
            GRANT_JWT_BEARER => TokenRequest::JwtBearer {
                assertion: req(p, "assertion")?,
                scope: opt_scope(p)?,
                extra,
            },
            GRANT_DEVICE_CODE => TokenRequest::DeviceCode {
                device_code: req(p, "device_code")?,
                extra,
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
                    extra,
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
            | TokenRequest::ClientCredentials { scope, .. }
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
                ..
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
            TokenRequest::DeviceCode { device_code, .. } => push("device_code", Some(device_code)),
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
        // An extra named like a parameter already sent is not sent twice (RFC 6749 §3.2).
        for (k, val) in self.extra().into_iter().flatten() {
            if !val.is_empty()
                && !v.iter().any(|(sent, _)| sent == k)
                && !CLIENT_AUTH_PARAMS.contains(&k.as_str())
            {
                v.push((k.clone(), val.clone()));
            }
        }
        v
    }

    /// The parameters the grant does not type (`None` for [`TokenRequest::Other`], whose
    /// `params` hold everything).
    pub fn extra(&self) -> Option<&IndexMap<String, String>> {
        with_extra!(self, extra => Some(extra), None)
    }

    /// A parameter the grant does not type, such as `resource` (RFC 8707 §2.2), whatever the
    /// grant: from the untyped parameters, or for [`TokenRequest::Other`] from its `params`.
    pub fn param(&self, name: &str) -> Option<&str> {
        match self {
            TokenRequest::Other { params, .. } => params.get(name),
            _ => self.extra()?.get(name).map(String::as_str),
        }
    }

    /// Adds (or replaces) a parameter the grant does not type, such as `resource`
    /// (RFC 8707 §2.2) or `audience`; for [`TokenRequest::Other`] it goes to `params`.
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        with_extra!(&mut self, extra => {
            extra.insert(name, value);
        }, {
            if let TokenRequest::Other { params, .. } = &mut self {
                params.insert(name, value);
            }
        });
        self
    }

    /// The form body (client authentication not included).
    pub fn encode(&self) -> String {
        encode_pairs(self.to_form_pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Params {
        Params::parse_form(s.as_bytes()).unwrap()
    }

    #[test]
    fn auth_code_requires() {
        let e = TokenRequest::from_params(&p("grant_type=authorization_code&code=x")).unwrap_err();
        assert_eq!(e.error, TokenErrorCode::InvalidRequest);
        assert!(e.error_description.unwrap().contains("redirect_uri"));
    }

    #[test]
    fn untyped_params_are_read_whatever_the_grant_rfc8707_2_2() {
        let typed = TokenRequest::from_params(&p(
            "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example%2F",
        ))
        .unwrap();
        assert_eq!(typed.param("resource"), Some("https://api.example/"));
        let other = TokenRequest::from_params(&p(
            "grant_type=urn%3Aexample%3Agrant&resource=https%3A%2F%2Fapi.example%2F",
        ))
        .unwrap();
        assert_eq!(other.param("resource"), Some("https://api.example/"));
        assert_eq!(other.param("audience"), None);
    }
}
