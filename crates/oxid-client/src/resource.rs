//! Protected resource discovery (RFC 9728): from an API's URL, or from the
//! `resource_metadata` of its `WWW-Authenticate` challenge, to its authorization servers.
//!
//! The protocol library has no type for this document yet; the two members used here
//! (`resource`, `authorization_servers`) are read from the JSON object directly.

use serde_json::{Map, Value};
use url::Url;

use crate::error::ClientError;
use crate::http::HttpClient;

/// The RFC 9728 §3.1 well-known suffix, inserted between host and path.
pub const PROTECTED_RESOURCE_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A protected resource's metadata, checked against the resource it was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedResource {
    /// Where the metadata was read.
    pub metadata_url: String,
    /// The `resource` identifier (RFC 9728 §2).
    pub resource: String,
    /// The `authorization_servers` issuers, in the document's order.
    pub authorization_servers: Vec<String>,
    /// The whole document, for the other members.
    pub document: Map<String, Value>,
}

fn invalid_url(url: &str, detail: &str) -> ClientError {
    ClientError::InvalidUrl {
        url: url.to_owned(),
        detail: detail.to_owned(),
    }
}

/// The metadata URL of a resource identifier: the well-known inserted between host and path
/// (RFC 9728 §3.1), a terminating `/` of the path removed; the query is kept.
pub fn metadata_url_for(resource: &str) -> Result<Url, ClientError> {
    let url = Url::parse(resource).map_err(|e| invalid_url(resource, &e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid_url(resource, "not an http(s) URL"));
    }
    if url.fragment().is_some() {
        return Err(invalid_url(
            resource,
            "a resource identifier has no fragment",
        ));
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let mut metadata = format!("{origin}{PROTECTED_RESOURCE_WELL_KNOWN}{path}");
    if let Some(query) = url.query() {
        metadata.push('?');
        metadata.push_str(query);
    }
    Url::parse(&metadata).map_err(|e| invalid_url(&metadata, &e.to_string()))
}

/// The `resource_metadata` parameter of a `Bearer` challenge (RFC 9728 §5.1), if any.
pub fn resource_metadata_from_www_authenticate(header: &str) -> Option<String> {
    auth_params(header)
        .into_iter()
        .find(|(scheme, name, _)| {
            scheme.eq_ignore_ascii_case("bearer") && name.eq_ignore_ascii_case("resource_metadata")
        })
        .map(|(_, _, value)| value)
}

/// Parses `WWW-Authenticate` challenges (RFC 9110 §11.6.1) into (scheme, name, value)
/// triples; tolerant of odd spacing, quoted strings with escapes and several challenges.
fn auth_params(header: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = header.chars().collect();
    let mut i = 0;
    let mut scheme = String::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t' || chars[*i] == ',') {
            *i += 1;
        }
    };
    while i < chars.len() {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && !matches!(chars[i], ' ' | '\t' | ',' | '=') {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        if token.is_empty() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && chars.get(j + 1) != Some(&'=') {
            // An auth-param: name = token / quoted-string.
            i = j + 1;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            let mut value = String::new();
            if chars.get(i) == Some(&'"') {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    value.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                while i < chars.len() && !matches!(chars[i], ' ' | '\t' | ',') {
                    value.push(chars[i]);
                    i += 1;
                }
            }
            out.push((scheme.clone(), token, value));
        } else {
            // A new challenge's scheme, or a token68 (which carries no parameters).
            if chars.get(j) != Some(&'=') {
                scheme = token;
            }
            while i < chars.len() && chars[i] == '=' {
                i += 1;
            }
        }
    }
    out
}

/// Reads the metadata of the resource `resource` (RFC 9728 §3): its `resource` must be
/// identical to `resource` (§3.3).
pub async fn discover_resource(
    http: &HttpClient,
    resource: &str,
) -> Result<ProtectedResource, ClientError> {
    let url = metadata_url_for(resource)?;
    fetch(http, url.as_str(), resource).await
}

/// Reads the metadata named by a `WWW-Authenticate` header received from `request_url`;
/// the document's `resource` must then be identical to `request_url` (RFC 9728 §3.3).
/// Without a `resource_metadata` parameter, falls back to the well-known of `request_url`.
pub async fn discover_from_challenge(
    http: &HttpClient,
    request_url: &str,
    www_authenticate: &str,
) -> Result<ProtectedResource, ClientError> {
    match resource_metadata_from_www_authenticate(www_authenticate) {
        Some(metadata_url) => {
            let parsed = Url::parse(&metadata_url)
                .map_err(|e| invalid_url(&metadata_url, &e.to_string()))?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(invalid_url(&metadata_url, "not an http(s) URL"));
            }
            fetch(http, parsed.as_str(), request_url).await
        }
        None => discover_resource(http, request_url).await,
    }
}

async fn fetch(
    http: &HttpClient,
    metadata_url: &str,
    expected_resource: &str,
) -> Result<ProtectedResource, ClientError> {
    let document = http
        .get(metadata_url, "application/json", None)
        .await?
        .require_success()?
        .json_object()?;
    let invalid = |detail: String| ClientError::InvalidResponse {
        url: metadata_url.to_owned(),
        detail,
    };
    let resource = document
        .get("resource")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no resource member".into()))?
        .to_owned();
    if resource != expected_resource {
        return Err(invalid(format!(
            "resource {resource:?} is not the one asked for ({expected_resource:?}), RFC 9728 §3.3"
        )));
    }
    let authorization_servers = match document.get("authorization_servers") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("authorization_servers holds a non-string".into()))?,
        Some(_) => return Err(invalid("authorization_servers is not an array".into())),
    };
    Ok(ProtectedResource {
        metadata_url: metadata_url.to_owned(),
        resource,
        authorization_servers,
        document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_is_inserted_rfc9728_3_1() {
        assert_eq!(
            metadata_url_for("https://api.example/mcp")
                .unwrap()
                .as_str(),
            "https://api.example/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            metadata_url_for("https://api.example/").unwrap().as_str(),
            "https://api.example/.well-known/oauth-protected-resource"
        );
        assert!(metadata_url_for("https://api.example/#f").is_err());
    }

    #[test]
    fn resource_metadata_is_read_from_the_bearer_challenge_rfc9728_5_1() {
        let header = r#"Bearer error="invalid_token", resource_metadata="https://api.example/.well-known/oauth-protected-resource/v1""#;
        assert_eq!(
            resource_metadata_from_www_authenticate(header).as_deref(),
            Some("https://api.example/.well-known/oauth-protected-resource/v1")
        );
        let several =
            r#"DPoP algs="ES256", Bearer realm="a\"b",resource_metadata=https://x.example/m"#;
        assert_eq!(
            resource_metadata_from_www_authenticate(several).as_deref(),
            Some("https://x.example/m")
        );
        let other_scheme = r#"Basic resource_metadata="https://x.example/m""#;
        assert_eq!(resource_metadata_from_www_authenticate(other_scheme), None);
        for garbage in [
            "",
            "Bearer",
            "Bearer ===",
            "Bearer a=\"unterminated",
            ",,, =",
            "Bearer abc== , x",
        ] {
            assert_eq!(
                resource_metadata_from_www_authenticate(garbage),
                None,
                "{garbage}"
            );
        }
    }
}
