//! A discovered provider: its metadata, the warnings about it, and its summary.

use oxid_protocol::metadata::{MetadataProfile, MetadataViolation, ProviderMetadata};
use serde_json::Value;

use crate::discovery::{ResolvedRelativeUrl, WellKnown, fetch_document};
use crate::error::ClientError;
use crate::http::HttpClient;
use crate::summary::{AuthQueryParams, OidcSummary, basic_authentication_header};

fn required<'a>(name: &str, value: &'a Option<String>) -> Result<&'a str, ClientError> {
    value
        .as_deref()
        .ok_or_else(|| ClientError::Unsupported(format!("the metadata has no {name}")))
}

fn relative_warning(r: &ResolvedRelativeUrl) -> String {
    format!(
        "member '{}' is not an absolute URL: '{}' (resolved against the discovery URL to {})",
        r.member, r.original, r.resolved
    )
}

/// How to discover.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// Which well-known document an issuer leads to.
    pub well_known: WellKnown,
    /// Fail on any metadata violation instead of reporting it as a warning.
    pub strict: bool,
    /// Accept a document whose `issuer` is not the one asked for (Discovery §4.3 says to
    /// refuse it; a document copied or proxied to another URL has one). The mismatch is then
    /// a warning, and tokens are checked against the document's `issuer`. Off by default.
    pub allow_foreign_issuer: bool,
}

/// A provider as discovered.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Where the metadata was read.
    pub discovery_url: String,
    /// The issuer identifier, as the document states it.
    pub issuer: String,
    /// The metadata, relative URLs resolved against the discovery URL.
    pub metadata: ProviderMetadata,
    /// The rules the published document breaks (the protocol library's strict check).
    pub violations: Vec<MetadataViolation>,
    /// The relative URLs that were resolved.
    pub relative_urls: Vec<ResolvedRelativeUrl>,
}

impl Provider {
    /// Discovers the provider at `input` (an issuer or a full discovery URL): the issuer must
    /// be the one asked for; violations are kept as warnings, or fail in strict mode.
    pub async fn discover(
        http: &HttpClient,
        input: &str,
        options: DiscoveryOptions,
    ) -> Result<Self, ClientError> {
        let raw = fetch_document(
            http,
            input,
            options.well_known,
            options.allow_foreign_issuer,
        )
        .await?;
        let bytes =
            |map: &serde_json::Map<String, Value>| serde_json::to_vec(map).unwrap_or_default();
        let invalid = |e: String| ClientError::InvalidResponse {
            url: raw.url.to_string(),
            detail: e,
        };
        // The published document is what the rules judge; the resolved one is what is used.
        let (published, lenient) = ProviderMetadata::parse_lenient(&bytes(&raw.original))
            .map_err(|e| invalid(e.to_string()))?;
        let issuer = published.issuer.clone().unwrap_or_default();
        let profile = if raw
            .url
            .path()
            .contains("/.well-known/oauth-authorization-server")
        {
            MetadataProfile::OAuth2
        } else {
            MetadataProfile::OpenIdConnect
        };
        let mut violations: Vec<MetadataViolation> = lenient
            .into_iter()
            .filter(|v| matches!(v, MetadataViolation::WrongType { .. }))
            .collect();
        if raw.issuer_mismatch {
            violations.push(MetadataViolation::IssuerMismatch {
                expected: raw.expected_issuer.clone(),
                found: issuer.clone(),
            });
        }
        violations.extend(published.check_profile(&issuer, profile));
        let (metadata, _) = ProviderMetadata::parse_lenient(&bytes(&raw.resolved))
            .map_err(|e| invalid(e.to_string()))?;
        let provider = Self {
            discovery_url: raw.url.to_string(),
            issuer,
            metadata,
            violations,
            relative_urls: raw.relative_urls,
        };
        let warnings = provider.warnings();
        if options.strict && !warnings.is_empty() {
            return Err(ClientError::MetadataViolations(warnings));
        }
        Ok(provider)
    }

    /// Discovers an authorization server the way MCP clients do: the RFC 8414 document
    /// first, then, when there is none (404), the OpenID Connect one.
    pub async fn discover_authorization_server(
        http: &HttpClient,
        issuer: &str,
        strict: bool,
    ) -> Result<Self, ClientError> {
        let oauth = DiscoveryOptions {
            well_known: WellKnown::OAuthAuthorizationServer,
            strict,
            ..DiscoveryOptions::default()
        };
        match Self::discover(http, issuer, oauth).await {
            Err(ClientError::Status { status: 404, .. }) => {
                let openid = DiscoveryOptions {
                    well_known: WellKnown::OpenIdConfiguration,
                    strict,
                    ..DiscoveryOptions::default()
                };
                Self::discover(http, issuer, openid).await
            }
            other => other,
        }
    }

    /// The warnings to show: every violation (relative URLs once each, with what they were
    /// resolved to).
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .violations
            .iter()
            .filter(|v| !matches!(v, MetadataViolation::RelativeUrl { .. }))
            .map(ToString::to_string)
            .collect();
        out.extend(self.relative_urls.iter().map(relative_warning));
        if self.metadata.introspection_endpoint.is_none()
            && let Some(url) = self.nonstandard_introspect_endpoint()
        {
            out.push(format!(
                "member 'introspect_endpoint' is not standard (RFC 8414 §2 names it \
                 'introspection_endpoint'); {url} is used for introspection"
            ));
        }
        out
    }

    /// Oracle's `introspect_endpoint` (seed 001), resolved.
    fn nonstandard_introspect_endpoint(&self) -> Option<&str> {
        self.metadata
            .extra
            .get("introspect_endpoint")
            .and_then(Value::as_str)
    }

    /// The authorization endpoint, or [`ClientError::Unsupported`].
    pub fn authorization_endpoint(&self) -> Result<&str, ClientError> {
        required(
            "authorization_endpoint",
            &self.metadata.authorization_endpoint,
        )
    }

    /// The token endpoint, or [`ClientError::Unsupported`].
    pub fn token_endpoint(&self) -> Result<&str, ClientError> {
        required("token_endpoint", &self.metadata.token_endpoint)
    }

    /// The UserInfo endpoint, or [`ClientError::Unsupported`].
    pub fn userinfo_endpoint(&self) -> Result<&str, ClientError> {
        required("userinfo_endpoint", &self.metadata.userinfo_endpoint)
    }

    /// The introspection endpoint (RFC 7662), or [`ClientError::Unsupported`]. Without
    /// `introspection_endpoint`, a non-standard `introspect_endpoint` (Oracle's, seed 001) is
    /// used, and [`Provider::warnings`] says so.
    pub fn introspection_endpoint(&self) -> Result<&str, ClientError> {
        if self.metadata.introspection_endpoint.is_none()
            && let Some(url) = self.nonstandard_introspect_endpoint()
        {
            return Ok(url);
        }
        required(
            "introspection_endpoint",
            &self.metadata.introspection_endpoint,
        )
    }

    /// The revocation endpoint (RFC 7009), or [`ClientError::Unsupported`].
    pub fn revocation_endpoint(&self) -> Result<&str, ClientError> {
        required("revocation_endpoint", &self.metadata.revocation_endpoint)
    }

    /// The end-session endpoint (RP-Initiated Logout), or [`ClientError::Unsupported`].
    pub fn end_session_endpoint(&self) -> Result<&str, ClientError> {
        required("end_session_endpoint", &self.metadata.end_session_endpoint)
    }

    /// Whether the provider sends `iss` in authorization responses (RFC 9207 §3).
    pub fn iss_in_authorization_response(&self) -> bool {
        self.metadata
            .authorization_response_iss_parameter_supported()
    }

    /// The summary for `client_id`: `authentication_header` is the client_secret_basic value
    /// when a secret is given, empty otherwise.
    pub fn summary(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        auth_query_params: AuthQueryParams,
    ) -> Result<OidcSummary, ClientError> {
        Ok(OidcSummary {
            discovery_endpoint: Some(self.discovery_url.clone()),
            logout_endpoint: self.metadata.end_session_endpoint.clone(),
            auth_endpoint: self.authorization_endpoint()?.to_owned(),
            token_endpoint: self.token_endpoint()?.to_owned(),
            client_id: client_id.to_owned(),
            authentication_header: client_secret
                .map(|s| basic_authentication_header(client_id, s))
                .unwrap_or_default(),
            auth_query_params,
        })
    }
}
