//! Discovery: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
//!
//! From an issuer (the well-known suffix appended, or inserted for RFC 8414) or from a full
//! discovery URL; the document's `issuer` must be the one asked for (Discovery §4.3, RFC 8414
//! §3.3). Relative endpoint URLs, as some providers publish them, are resolved against the
//! discovery URL and reported; the protocol library's strict check gives the warnings.

use serde_json::{Map, Value};
use url::Url;

use crate::error::ClientError;
use crate::http::HttpClient;

/// The OpenID Connect well-known suffix (Discovery §4).
pub const OPENID_WELL_KNOWN: &str = "/.well-known/openid-configuration";
/// The RFC 8414 well-known suffix, inserted between host and path (RFC 8414 §3.1).
pub const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// Which well-known document to read for an issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WellKnown {
    /// `{issuer}/.well-known/openid-configuration` (Discovery §4.1).
    #[default]
    OpenIdConfiguration,
    /// `{scheme}://{host}/.well-known/oauth-authorization-server{path}` (RFC 8414 §3.1).
    OAuthAuthorizationServer,
}

/// A member whose relative URL was resolved against the discovery URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedRelativeUrl {
    /// The member's name (`authorization_endpoint`, …).
    pub member: String,
    /// The value in the document.
    pub original: String,
    /// The absolute URL used.
    pub resolved: String,
}

/// Where to read the document and which issuer it must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryTarget {
    /// The URL of the document.
    pub url: Url,
    /// The issuer the document must name.
    pub expected_issuer: String,
}

fn invalid_url(url: &str, detail: impl Into<String>) -> ClientError {
    ClientError::InvalidUrl {
        url: url.to_owned(),
        detail: detail.into(),
    }
}

/// The discovery URL and expected issuer for `input`: a full well-known URL is used as it is
/// (its issuer derived from it), anything else is an issuer.
pub fn discovery_target(
    input: &str,
    well_known: WellKnown,
) -> Result<DiscoveryTarget, ClientError> {
    let url = Url::parse(input).map_err(|e| invalid_url(input, e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid_url(input, "not an http(s) URL"));
    }
    if url.fragment().is_some() {
        return Err(invalid_url(input, "an issuer has no fragment"));
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path();
    if let Some(prefix) = path.strip_suffix(OPENID_WELL_KNOWN) {
        return Ok(DiscoveryTarget {
            expected_issuer: format!("{origin}{prefix}"),
            url,
        });
    }
    if let Some(rest) = path.strip_prefix(OAUTH_WELL_KNOWN) {
        return Ok(DiscoveryTarget {
            expected_issuer: format!("{origin}{rest}"),
            url,
        });
    }
    if url.query().is_some() {
        return Err(invalid_url(input, "an issuer has no query"));
    }
    // Discovery §4.1: a terminating `/` of the issuer's path is removed before appending.
    let trimmed = path.trim_end_matches('/');
    let document = match well_known {
        WellKnown::OpenIdConfiguration => format!("{origin}{trimmed}{OPENID_WELL_KNOWN}"),
        WellKnown::OAuthAuthorizationServer => format!("{origin}{OAUTH_WELL_KNOWN}{trimmed}"),
    };
    Ok(DiscoveryTarget {
        url: Url::parse(&document).map_err(|e| invalid_url(&document, e.to_string()))?,
        expected_issuer: input.to_owned(),
    })
}

/// Whether the document's issuer is the one expected: identical strings (Discovery §4.3),
/// where an issuer without a path and the same one with `/` count as one (RFC 3986 §6.2.3).
/// A full discovery URL only gives the issuer up to a trailing `/`, so that too is allowed.
pub fn issuer_matches(expected: &str, found: &str) -> bool {
    if expected == found {
        return true;
    }
    let strip = |s: &str| s.strip_suffix('/').map(str::to_owned);
    strip(found).as_deref() == Some(expected) || strip(expected).as_deref() == Some(found)
}

fn is_url_member(name: &str) -> bool {
    name.ends_with("_endpoint") || name.ends_with("_uri") || name == "service_documentation"
}

/// Resolves relative URL members (`*_endpoint`, `*_uri`, and those of
/// `mtls_endpoint_aliases`) against `base`, returning what was resolved.
pub fn resolve_relative_urls(
    document: &mut Map<String, Value>,
    base: &Url,
) -> Vec<ResolvedRelativeUrl> {
    let mut resolved = Vec::new();
    resolve_in(document, base, "", &mut resolved);
    if let Some(Value::Object(aliases)) = document.get_mut("mtls_endpoint_aliases") {
        resolve_in(aliases, base, "mtls_endpoint_aliases.", &mut resolved);
    }
    resolved
}

fn resolve_in(
    map: &mut Map<String, Value>,
    base: &Url,
    prefix: &str,
    out: &mut Vec<ResolvedRelativeUrl>,
) {
    for (name, value) in map.iter_mut() {
        if !is_url_member(name) {
            continue;
        }
        let Value::String(original) = value else {
            continue;
        };
        if original.is_empty() || Url::parse(original).is_ok() {
            continue;
        }
        if let Ok(absolute) = base.join(original) {
            out.push(ResolvedRelativeUrl {
                member: format!("{prefix}{name}"),
                original: original.clone(),
                resolved: absolute.to_string(),
            });
            *value = Value::String(absolute.to_string());
        }
    }
}

/// The document as read, before any type sees it.
#[derive(Debug, Clone)]
pub struct RawDiscovery {
    /// Where it was read.
    pub url: Url,
    /// The issuer asked for.
    pub expected_issuer: String,
    /// The document as published.
    pub original: Map<String, Value>,
    /// The document with relative URLs resolved.
    pub resolved: Map<String, Value>,
    /// What was resolved.
    pub relative_urls: Vec<ResolvedRelativeUrl>,
    /// Whether the document names another issuer than `expected_issuer` (accepted only on
    /// the caller's explicit request).
    pub issuer_mismatch: bool,
}

/// Fetches the document for `input`, checks its issuer and resolves relative URLs. A
/// document naming another issuer is refused (Discovery §4.3) unless `allow_foreign_issuer`;
/// then the caller sees the mismatch in [`RawDiscovery::issuer_mismatch`].
pub async fn fetch_document(
    http: &HttpClient,
    input: &str,
    well_known: WellKnown,
    allow_foreign_issuer: bool,
) -> Result<RawDiscovery, ClientError> {
    let target = discovery_target(input, well_known)?;
    let response = http
        .get(target.url.as_str(), "application/json", None)
        .await?
        .require_success()?;
    let original = response.json_object()?;
    let found = original
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| ClientError::InvalidResponse {
            url: target.url.to_string(),
            detail: "the document has no issuer".into(),
        })?;
    let issuer_mismatch = !issuer_matches(&target.expected_issuer, found);
    if issuer_mismatch && !allow_foreign_issuer {
        return Err(ClientError::IssuerMismatch {
            expected: target.expected_issuer,
            found: found.to_owned(),
        });
    }
    let mut resolved = original.clone();
    let relative_urls = resolve_relative_urls(&mut resolved, &target.url);
    Ok(RawDiscovery {
        url: target.url,
        expected_issuer: target.expected_issuer,
        original,
        resolved,
        relative_urls,
        issuer_mismatch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(input: &str, wk: WellKnown) -> (String, String) {
        let t = discovery_target(input, wk).unwrap();
        (t.url.to_string(), t.expected_issuer)
    }

    #[test]
    fn issuer_gets_openid_suffix_discovery_4_1() {
        assert_eq!(
            target("https://op.example", WellKnown::OpenIdConfiguration),
            (
                "https://op.example/.well-known/openid-configuration".into(),
                "https://op.example".into()
            )
        );
        assert_eq!(
            target("https://op.example/tenant/", WellKnown::OpenIdConfiguration).0,
            "https://op.example/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn rfc8414_inserts_well_known_before_path_rfc8414_3_1() {
        assert_eq!(
            target(
                "https://as.example/issuer1",
                WellKnown::OAuthAuthorizationServer
            )
            .0,
            "https://as.example/.well-known/oauth-authorization-server/issuer1"
        );
        assert_eq!(
            target("https://as.example", WellKnown::OAuthAuthorizationServer).0,
            "https://as.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn full_urls_give_their_issuer() {
        assert_eq!(
            target(
                "https://op.example/t/.well-known/openid-configuration",
                WellKnown::OpenIdConfiguration
            )
            .1,
            "https://op.example/t"
        );
        assert_eq!(
            target(
                "https://as.example/.well-known/oauth-authorization-server/i1",
                WellKnown::OpenIdConfiguration
            )
            .1,
            "https://as.example/i1"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        for input in [
            "op.example",
            "ftp://op.example",
            "https://op.example/#x",
            "https://op.example/?a=b",
            "",
        ] {
            assert!(
                discovery_target(input, WellKnown::OpenIdConfiguration).is_err(),
                "{input}"
            );
        }
    }

    #[test]
    fn issuer_equality_discovery_4_3() {
        assert!(issuer_matches("https://op.example", "https://op.example"));
        assert!(issuer_matches("https://op.example", "https://op.example/"));
        assert!(!issuer_matches(
            "https://op.example",
            "https://evil.example"
        ));
        assert!(!issuer_matches(
            "https://op.example/a",
            "https://op.example/b"
        ));
        assert!(!issuer_matches(
            "https://op.example",
            "https://op.example//"
        ));
    }

    #[test]
    fn relative_urls_are_resolved_and_reported() {
        let mut doc: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "issuer": "https://op.example/",
            "authorization_endpoint": "/oauth2/v1/authorize",
            "token_endpoint": "https://op.example/token",
            "introspect_endpoint": "/oauth2/v1/introspect",
            "jwks_uri": "keys",
            "scopes_supported": ["openid"],
            "mtls_endpoint_aliases": {"token_endpoint": "/mtls/token"}
        }))
        .unwrap();
        let base = Url::parse("https://op.example/t/.well-known/openid-configuration").unwrap();
        let resolved = resolve_relative_urls(&mut doc, &base);
        let members: Vec<&str> = resolved.iter().map(|r| r.member.as_str()).collect();
        assert_eq!(
            members,
            [
                "authorization_endpoint",
                "introspect_endpoint",
                "jwks_uri",
                "mtls_endpoint_aliases.token_endpoint"
            ]
        );
        assert_eq!(
            doc["authorization_endpoint"],
            "https://op.example/oauth2/v1/authorize"
        );
        assert_eq!(doc["jwks_uri"], "https://op.example/t/.well-known/keys");
        assert_eq!(doc["token_endpoint"], "https://op.example/token");
        assert_eq!(
            doc["mtls_endpoint_aliases"]["token_endpoint"],
            "https://op.example/mtls/token"
        );
    }
}
