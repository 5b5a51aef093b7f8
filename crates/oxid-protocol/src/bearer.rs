//! Bearer token usage (RFC 6750): reading the `Authorization: Bearer` header (§2.1) and
//! building the `WWW-Authenticate` challenge with its error codes (§3, §3.1).

use crate::error::{sanitize_error_text, string_enum};
use std::fmt;

string_enum! {
    /// The `error` code of a protected-resource error (RFC 6750 §3.1).
    pub enum BearerErrorCode("error") {
        /// Missing or malformed parameter (HTTP 400).
        InvalidRequest => "invalid_request",
        /// The token is expired, revoked, malformed or invalid (HTTP 401).
        InvalidToken => "invalid_token",
        /// The token lacks the required scope (HTTP 403).
        InsufficientScope => "insufficient_scope",
    }
}

impl BearerErrorCode {
    /// The HTTP status of the error (RFC 6750 §3.1): 400, 401 or 403.
    pub fn http_status(&self) -> u16 {
        match self {
            BearerErrorCode::InvalidRequest => 400,
            BearerErrorCode::InvalidToken => 401,
            BearerErrorCode::InsufficientScope => 403,
        }
    }
}

/// Makes `s` safe inside a quoted-string of an auth-param: the RFC 6749 §5.2 character set
/// (no `"` or `\`).
pub fn quote_safe(s: &str) -> String {
    sanitize_error_text(s)
}

/// A Bearer challenge (RFC 6750 §3): the `WWW-Authenticate` header of a protected resource
/// such as the UserInfo endpoint. Without an error code it is the challenge for a request
/// that carried no token (§3.1: no error information then).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// The `realm`.
    pub realm: Option<String>,
    /// The `scope` needed (for `insufficient_scope`).
    pub scope: Option<String>,
    /// The error code.
    pub error: Option<BearerErrorCode>,
    /// Human-readable text.
    pub error_description: Option<String>,
    /// A URI of a page describing the error.
    pub error_uri: Option<String>,
}

impl BearerChallenge {
    /// A challenge with an error and a description (sanitized).
    pub fn error(code: BearerErrorCode, description: impl AsRef<str>) -> Self {
        let d = sanitize_error_text(description.as_ref());
        BearerChallenge {
            error: Some(code),
            error_description: (!d.is_empty()).then_some(d),
            ..Default::default()
        }
    }

    /// Sets the realm.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Sets the needed scope.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The HTTP status: the error's (RFC 6750 §3.1), 401 without an error.
    pub fn http_status(&self) -> u16 {
        self.error.map_or(401, |e| e.http_status())
    }

    /// The `WWW-Authenticate` header value, e.g.
    /// `Bearer realm="example", error="invalid_token", error_description="The access token expired"`.
    pub fn www_authenticate(&self) -> String {
        let mut params = Vec::new();
        if let Some(r) = &self.realm {
            params.push(format!("realm=\"{}\"", quote_safe(r)));
        }
        if let Some(s) = &self.scope {
            params.push(format!("scope=\"{}\"", quote_safe(s)));
        }
        if let Some(e) = &self.error {
            params.push(format!("error=\"{}\"", e.as_str()));
        }
        if let Some(d) = &self.error_description {
            params.push(format!("error_description=\"{}\"", quote_safe(d)));
        }
        if let Some(u) = &self.error_uri
            && crate::error::is_valid_error_uri(u)
        {
            params.push(format!("error_uri=\"{u}\""));
        }
        if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        }
    }

    /// Parses a `WWW-Authenticate: Bearer ...` value (the first Bearer challenge only;
    /// unknown parameters ignored). `None` when it is not a Bearer challenge.
    pub fn parse(header: &str) -> Option<Self> {
        let h = header.trim_start();
        let rest = match (h.get(..6), h.get(6..)) {
            (Some(scheme), Some(rest)) if scheme.eq_ignore_ascii_case("bearer") => rest,
            _ => return None,
        };
        if !rest.is_empty() && !rest.starts_with(' ') {
            return None;
        }
        let mut c = BearerChallenge::default();
        for (k, v) in parse_auth_params(rest) {
            match k.to_ascii_lowercase().as_str() {
                "realm" => c.realm = Some(v),
                "scope" => c.scope = Some(v),
                "error" => c.error = BearerErrorCode::parse(&v),
                "error_description" => c.error_description = Some(v),
                "error_uri" => c.error_uri = Some(v),
                _ => {}
            }
        }
        Some(c)
    }
}

impl fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.www_authenticate())
    }
}

/// Parses `k=v, k2="v 2"` auth-params (RFC 9110 §11.2), unescaping quoted-pairs; stops at
/// anything malformed.
fn parse_auth_params(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b',' || b[i] == b'\t') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b' ' && b[i] != b',' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' || ks == i {
            return out;
        }
        let key = s[ks..i].to_owned();
        i += 1;
        let mut val = Vec::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                val.push(b[i]);
                i += 1;
            }
            i += 1;
        } else {
            while i < b.len() && b[i] != b',' && b[i] != b' ' {
                val.push(b[i]);
                i += 1;
            }
        }
        out.push((key, String::from_utf8_lossy(&val).into_owned()));
    }
}

/// Reads the token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1): the
/// scheme is case-insensitive, the token must be a `b64token`. `None` otherwise.
pub fn parse_bearer_authorization(header: &str) -> Option<&str> {
    let h = header.trim();
    let token = match (h.get(..7), h.get(7..)) {
        (Some(scheme), Some(rest)) if scheme.eq_ignore_ascii_case("bearer ") => rest.trim_start(),
        _ => return None,
    };
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        });
    ok.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_round_trip() {
        let c = BearerChallenge::error(BearerErrorCode::InvalidToken, "The access token expired")
            .with_realm("example");
        let h = c.www_authenticate();
        assert_eq!(
            h,
            "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"The access token expired\""
        );
        assert_eq!(BearerChallenge::parse(&h).unwrap(), c);
        assert_eq!(c.http_status(), 401);
        assert_eq!(BearerChallenge::default().www_authenticate(), "Bearer");
        assert_eq!(
            BearerChallenge::error(BearerErrorCode::InsufficientScope, "").http_status(),
            403
        );
    }

    #[test]
    fn bearer_header() {
        assert_eq!(
            parse_bearer_authorization("Bearer abc.DEF-_~+/=="),
            Some("abc.DEF-_~+/==")
        );
        assert_eq!(parse_bearer_authorization("bearer x"), Some("x"));
        assert_eq!(parse_bearer_authorization("Basic x"), None);
        assert_eq!(parse_bearer_authorization("Bearer "), None);
        assert_eq!(parse_bearer_authorization("Bearer a b"), None);
    }
}
