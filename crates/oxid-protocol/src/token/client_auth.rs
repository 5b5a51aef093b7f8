//! Client authentication parameters (RFC 6749 §2.3.1, RFC 7521 §4.2, RFC 7523 §2.2) and
//! HTTP Basic credentials.

use super::{CLIENT_ASSERTION_TYPE_JWT_BEARER, TokenError};
use crate::params::{ParamError, Params};
use base64::Engine;

/// Parameter names that belong to client authentication rather than the grant.
pub const CLIENT_AUTH_PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

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
        let text = std::str::from_utf8(b).map_err(|_| bad())?;
        // Most ids and secrets have nothing to decode (our secrets are base64url): taken as
        // they are, without building a form (measured on the token row, bench/README.md).
        if !b.iter().any(|&c| c == b'%' || c == b'+') {
            return Ok(text.to_owned());
        }
        let params = Params::parse_form(format!("x={text}").as_bytes()).map_err(|_| bad())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_round_trip() {
        let h = basic_authorization("my client", "s:e/c%r");
        assert_eq!(
            parse_basic_authorization(&h).unwrap(),
            ("my client".into(), "s:e/c%r".into())
        );
        // RFC 6749 §2.3.1: each part is form-urlencoded; plain parts come through unchanged.
        let h = basic_authorization("bench", "aZ-_09.~");
        assert_eq!(
            parse_basic_authorization(&h).unwrap(),
            ("bench".into(), "aZ-_09.~".into())
        );
        let plus = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("a+b:c%2Bd")
        );
        assert_eq!(
            parse_basic_authorization(&plus).unwrap(),
            ("a b".into(), "c+d".into())
        );
        let bad_utf8 = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(b"id:\xff")
        );
        assert!(parse_basic_authorization(&bad_utf8).is_err());
        assert!(parse_basic_authorization("Bearer abc").is_err());
        assert!(parse_basic_authorization("Basic !!!").is_err());
    }
}
