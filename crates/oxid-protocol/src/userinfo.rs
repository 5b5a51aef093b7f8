//! The UserInfo endpoint (OIDC Core §5.3): the request (a Bearer token, RFC 6750 §2), the
//! success response (`sub` and any claims, §5.3.2) and the error response (RFC 6750 §3.1,
//! OIDC Core §5.3.3).

use crate::bearer::{BearerChallenge, BearerErrorCode};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A UserInfo request: the access token, taken from the `Authorization: Bearer` header or
/// the `access_token` form parameter (RFC 6750 §2.1, §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserinfoRequest {
    /// The access token.
    pub access_token: String,
}

impl UserinfoRequest {
    /// Reads the token from the `Authorization` header value and/or the form parameters.
    /// Both at once, neither, or a malformed header are errors (RFC 6750 §2, §3.1).
    pub fn from_parts(
        authorization_header: Option<&str>,
        form: Option<&crate::params::Params>,
    ) -> Result<Self, UserinfoError> {
        let from_form = form.and_then(|p| p.get("access_token"));
        match (authorization_header, from_form) {
            (Some(_), Some(_)) => Err(UserinfoError::new(
                BearerErrorCode::InvalidRequest,
                "the access token was sent by more than one method",
            )),
            (Some(h), None) => match crate::bearer::parse_bearer_authorization(h) {
                Some(t) => Ok(UserinfoRequest {
                    access_token: t.to_owned(),
                }),
                None => Err(UserinfoError::no_token()),
            },
            (None, Some(t)) => Ok(UserinfoRequest {
                access_token: t.to_owned(),
            }),
            (None, None) => Err(UserinfoError::no_token()),
        }
    }

    /// The `Authorization` header value.
    pub fn authorization_header(&self) -> String {
        format!("Bearer {}", self.access_token)
    }
}

/// A successful UserInfo response (OIDC Core §5.3.2): `sub` and any other claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserinfoResponse {
    /// REQUIRED. The subject; must equal the ID token's `sub`.
    pub sub: String,
    /// Every other claim (standard claims of §5.1 and custom ones), in order.
    #[serde(flatten)]
    pub claims: IndexMap<String, Value>,
}

impl UserinfoResponse {
    /// A response with only `sub`.
    pub fn new(sub: impl Into<String>) -> Self {
        UserinfoResponse {
            sub: sub.into(),
            claims: IndexMap::new(),
        }
    }

    /// A string claim.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A boolean claim (`email_verified`, `phone_number_verified`); the strings `"true"` and
    /// `"false"`, which some providers send, are accepted too.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        match self.claims.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// Whether `sub` equals the ID token's (OIDC Core §5.3.2 requires it).
    pub fn matches_subject(&self, id_token_sub: &str) -> bool {
        self.sub == id_token_sub
    }
}

/// A UserInfo error as the endpoint states it: a Bearer challenge (RFC 6750 §3.1) in the
/// `WWW-Authenticate` header, with [`UserinfoError::body`] as its JSON body. Only the three
/// RFC 6750 codes can be put in a challenge; an error read from a provider's answer, whatever
/// its code, is a [`UserinfoErrorResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserinfoError {
    /// The error code; `None` when the request carried no token at all (RFC 6750 §3.1).
    pub error: Option<BearerErrorCode>,
    /// Human-readable text.
    pub error_description: Option<String>,
}

impl UserinfoError {
    /// An error with a description (sanitized).
    pub fn new(code: BearerErrorCode, description: impl AsRef<str>) -> Self {
        let d = crate::error::sanitize_error_text(description.as_ref());
        UserinfoError {
            error: Some(code),
            error_description: (!d.is_empty()).then_some(d),
        }
    }

    /// The request had no token: a bare `Bearer` challenge with status 401.
    pub fn no_token() -> Self {
        UserinfoError {
            error: None,
            error_description: None,
        }
    }

    /// `invalid_token` with a description.
    pub fn invalid_token(description: impl AsRef<str>) -> Self {
        Self::new(BearerErrorCode::InvalidToken, description)
    }

    /// The HTTP status: 400, 401 or 403 (401 without an error code).
    pub fn http_status(&self) -> u16 {
        self.error.map_or(401, |e| e.http_status())
    }

    /// The challenge for `realm`.
    pub fn challenge(&self, realm: Option<&str>) -> BearerChallenge {
        BearerChallenge {
            realm: realm.map(str::to_owned),
            scope: None,
            error: self.error,
            error_description: self.error_description.clone(),
            error_uri: None,
        }
    }

    /// The `WWW-Authenticate` header value.
    pub fn www_authenticate(&self, realm: Option<&str>) -> String {
        self.challenge(realm).www_authenticate()
    }

    /// Reads the error from a `WWW-Authenticate` header value.
    pub fn from_www_authenticate(header: &str) -> Option<Self> {
        let c = BearerChallenge::parse(header)?;
        Some(UserinfoError {
            error: c.error,
            error_description: c.error_description,
        })
    }

    /// The JSON body that goes with the challenge; none when the request carried no token
    /// (RFC 6750 §3.1: no error information then).
    pub fn body(&self) -> Option<UserinfoErrorResponse> {
        let code = self.error?;
        Some(UserinfoErrorResponse {
            error: code.as_str().to_owned(),
            error_description: self.error_description.clone(),
            extra: IndexMap::new(),
        })
    }
}

/// A UserInfo error response as a provider sends it (seed 004's `UserinfoErrorResponse`,
/// OIDC Core §5.3.3): `error` is REQUIRED and any string, since providers answer codes beyond
/// RFC 6750's three (`server_error`, `temporarily_unavailable`, vendor codes); unknown members
/// are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserinfoErrorResponse {
    /// REQUIRED. The error code.
    pub error: String,
    /// Human-readable text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Every other member (`error_uri`, vendor members), in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl UserinfoErrorResponse {
    /// The RFC 6750 §3.1 code, when `error` is one of the three.
    pub fn bearer_code(&self) -> Option<BearerErrorCode> {
        self.error.parse().ok()
    }

    /// Reads the error of a `WWW-Authenticate` Bearer challenge (`error_uri` goes to
    /// `extra`); `None` without a challenge or without an error code in it.
    pub fn from_www_authenticate(header: &str) -> Option<Self> {
        let c = BearerChallenge::parse(header)?;
        let mut extra = IndexMap::new();
        if let Some(uri) = c.error_uri {
            extra.insert("error_uri".to_owned(), Value::String(uri));
        }
        Some(UserinfoErrorResponse {
            error: c.error?.as_str().to_owned(),
            error_description: c.error_description,
            extra,
        })
    }
}

impl std::fmt::Display for UserinfoErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for UserinfoErrorResponse {}

impl std::fmt::Display for UserinfoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.error, &self.error_description) {
            (Some(e), Some(d)) => write!(f, "{e}: {d}"),
            (Some(e), None) => write!(f, "{e}"),
            _ => f.write_str("no access token"),
        }
    }
}

impl std::error::Error for UserinfoError {}

/// The seed name of [`UserinfoResponse`] (simple-openid-connect).
pub type UserinfoSuccessResponse = UserinfoResponse;
