//! The strict checks of provider metadata (OIDC Discovery §3 / §4.3, RFC 8414 §2) and the
//! violations they report.

use super::{ProviderMetadata, is_absolute_url};
use indexmap::IndexMap;
use serde_json::Value;

/// One rule a metadata document breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataViolation {
    /// A required member is absent.
    #[error("required member '{0}' is missing")]
    MissingMember(&'static str),
    /// The issuer is not an https URL (http is allowed only for localhost and loopback).
    #[error("issuer '{0}' must use https")]
    IssuerNotHttps(String),
    /// The issuer is not a URL at all.
    #[error("issuer '{0}' is not a valid URL")]
    IssuerInvalid(String),
    /// The issuer has a query or fragment.
    #[error("issuer '{0}' must not have a query or fragment")]
    IssuerHasQueryOrFragment(String),
    /// The discovered issuer is not the one asked for.
    #[error("issuer mismatch: expected '{expected}', document says '{found}'")]
    IssuerMismatch {
        /// The issuer asked for.
        expected: String,
        /// The document's issuer.
        found: String,
    },
    /// A URL member is not an absolute URL.
    #[error("member '{member}' is not an absolute URL: '{value}'")]
    RelativeUrl {
        /// The member name.
        member: String,
        /// Its value.
        value: String,
    },
    /// `id_token_signing_alg_values_supported` lacks `RS256`.
    #[error("id_token_signing_alg_values_supported must contain RS256")]
    MissingRs256,
    /// `none` appears in `token_endpoint_auth_signing_alg_values_supported`.
    #[error("token_endpoint_auth_signing_alg_values_supported must not contain none")]
    NoneAuthSigningAlg,
    /// A member has the wrong JSON type; a lenient parse kept it in `extra`.
    #[error("member '{member}' has the wrong type: {message}")]
    WrongType {
        /// The member name.
        member: String,
        /// What serde said.
        message: String,
    },
    /// A list member is present but empty (RFC 8414 §3.2: omit empty lists).
    #[error("member '{0}' is an empty list")]
    EmptyList(String),
}

/// Why a metadata document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Not JSON, or not a JSON object.
    #[error("metadata is not a JSON object: {0}")]
    NotJsonObject(String),
    /// A strict parse found violations.
    #[error("metadata breaks {} rule(s)", .0.len())]
    Violations(Vec<MetadataViolation>),
}

/// Which specification's required members a strict check applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataProfile {
    /// OpenID Connect Discovery 1.0 §3 (`/.well-known/openid-configuration`).
    OpenIdConnect,
    /// RFC 8414 §2 (`/.well-known/oauth-authorization-server`).
    OAuth2,
}

fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks an issuer identifier (OIDC Discovery §3, RFC 8414 §2): https (http only for
/// localhost / loopback), no query, no fragment.
pub fn check_issuer(issuer: &str) -> Vec<MetadataViolation> {
    let mut v = Vec::new();
    // The URL parser trims spaces and control characters at the ends; an issuer must be
    // compared byte for byte (OIDC Discovery §4.3), so it may hold none.
    let parsed = if issuer.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(())
    } else {
        url::Url::parse(issuer).map_err(|_| ())
    };
    match parsed {
        Err(_) => v.push(MetadataViolation::IssuerInvalid(issuer.to_owned())),
        Ok(u) => {
            let http_ok = u.scheme() == "http" && u.host().is_some_and(|h| is_loopback_host(&h));
            if u.scheme() != "https" && !http_ok {
                v.push(MetadataViolation::IssuerNotHttps(issuer.to_owned()));
            }
            if u.query().is_some()
                || u.fragment().is_some()
                || issuer.contains('?')
                || issuer.contains('#')
            {
                v.push(MetadataViolation::IssuerHasQueryOrFragment(
                    issuer.to_owned(),
                ));
            }
        }
    }
    v
}

impl ProviderMetadata {
    /// Parses a document strictly by type (wrong JSON types are errors) without checking
    /// the rules; see [`ProviderMetadata::check_strict`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, MetadataError> {
        serde_json::from_slice(bytes).map_err(|e| MetadataError::NotJsonObject(e.to_string()))
    }

    /// Parses a real-world document: members with a wrong JSON type are kept in `extra`
    /// and reported, and the rules of [`ProviderMetadata::check_strict`] (except the issuer
    /// comparison) are returned as warnings. Fails only when the input is not a JSON object.
    pub fn parse_lenient(bytes: &[u8]) -> Result<(Self, Vec<MetadataViolation>), MetadataError> {
        let obj: serde_json::Map<String, Value> = serde_json::from_slice(bytes)
            .map_err(|e| MetadataError::NotJsonObject(e.to_string()))?;
        let mut typed = serde_json::Map::new();
        let mut wrong: IndexMap<String, Value> = IndexMap::new();
        let mut violations = Vec::new();
        for (k, v) in obj {
            if Self::MEMBERS.contains(&k.as_str()) {
                let mut probe = serde_json::Map::new();
                probe.insert(k.clone(), v.clone());
                if let Err(e) = serde_json::from_value::<ProviderMetadata>(Value::Object(probe)) {
                    violations.push(MetadataViolation::WrongType {
                        member: k.clone(),
                        message: e.to_string(),
                    });
                    wrong.insert(k, v);
                    continue;
                }
            }
            typed.insert(k, v);
        }
        let mut md: ProviderMetadata = serde_json::from_value(Value::Object(typed))
            .map_err(|e| MetadataError::NotJsonObject(e.to_string()))?;
        md.extra.extend(wrong);
        let issuer = md.issuer.clone().unwrap_or_default();
        violations.extend(md.check_strict(&issuer));
        Ok((md, violations))
    }

    /// Parses and requires a document with no violation of the OpenID Connect rules for
    /// `expected_issuer`.
    pub fn parse_strict(bytes: &[u8], expected_issuer: &str) -> Result<Self, MetadataError> {
        let md = Self::from_json(bytes)?;
        let v = md.check_strict(expected_issuer);
        if v.is_empty() {
            Ok(md)
        } else {
            Err(MetadataError::Violations(v))
        }
    }

    /// Every violation of OpenID Connect Discovery 1.0 §3 / §4.3 (not just the first):
    /// issuer https (http for localhost/loopback only), no query or fragment, identical to
    /// `expected_issuer`; required members `issuer`, `authorization_endpoint`, `jwks_uri`,
    /// `response_types_supported`, `subject_types_supported`,
    /// `id_token_signing_alg_values_supported` (containing RS256), `token_endpoint` unless
    /// only the implicit grant is supported; URL members absolute; `none` not in
    /// `token_endpoint_auth_signing_alg_values_supported`.
    pub fn check_strict(&self, expected_issuer: &str) -> Vec<MetadataViolation> {
        self.check_profile(expected_issuer, MetadataProfile::OpenIdConnect)
    }

    /// The same checks with RFC 8414 §2's required members instead of OpenID Connect's
    /// (`issuer`, `authorization_endpoint` and `token_endpoint` unless no grant uses them,
    /// `response_types_supported`); `jwks_uri`, `subject_types_supported` and
    /// `id_token_signing_alg_values_supported` are optional there.
    pub fn check_strict_oauth(&self, expected_issuer: &str) -> Vec<MetadataViolation> {
        self.check_profile(expected_issuer, MetadataProfile::OAuth2)
    }

    /// Every violation under `profile`.
    pub fn check_profile(
        &self,
        expected_issuer: &str,
        profile: MetadataProfile,
    ) -> Vec<MetadataViolation> {
        let mut v = Vec::new();
        match &self.issuer {
            None => v.push(MetadataViolation::MissingMember("issuer")),
            Some(iss) => {
                v.extend(check_issuer(iss));
                if iss != expected_issuer {
                    v.push(MetadataViolation::IssuerMismatch {
                        expected: expected_issuer.to_owned(),
                        found: iss.clone(),
                    });
                }
            }
        }
        let grants = self.grant_types_supported();
        let only_implicit = !grants.is_empty() && grants.iter().all(|g| g == "implicit");
        let needs_authz = grants
            .iter()
            .any(|g| g == "authorization_code" || g == "implicit");
        if self.authorization_endpoint.is_none()
            && (profile == MetadataProfile::OpenIdConnect || needs_authz)
        {
            v.push(MetadataViolation::MissingMember("authorization_endpoint"));
        }
        if self.token_endpoint.is_none() && !only_implicit {
            v.push(MetadataViolation::MissingMember("token_endpoint"));
        }
        if self.response_types_supported.is_none() {
            v.push(MetadataViolation::MissingMember("response_types_supported"));
        }
        if profile == MetadataProfile::OpenIdConnect {
            if self.jwks_uri.is_none() {
                v.push(MetadataViolation::MissingMember("jwks_uri"));
            }
            if self.subject_types_supported.is_none() {
                v.push(MetadataViolation::MissingMember("subject_types_supported"));
            }
            match &self.id_token_signing_alg_values_supported {
                None => v.push(MetadataViolation::MissingMember(
                    "id_token_signing_alg_values_supported",
                )),
                Some(algs) if !algs.iter().any(|a| a == "RS256") => {
                    v.push(MetadataViolation::MissingRs256)
                }
                _ => {}
            }
        }
        if self
            .token_endpoint_auth_signing_alg_values_supported
            .as_ref()
            .is_some_and(|a| a.iter().any(|x| x == "none"))
        {
            v.push(MetadataViolation::NoneAuthSigningAlg);
        }
        if let Ok(Value::Object(m)) = serde_json::to_value(self) {
            for (k, val) in m {
                if Self::MEMBERS.contains(&k.as_str())
                    && val.as_array().is_some_and(|a| a.is_empty())
                {
                    v.push(MetadataViolation::EmptyList(k));
                }
            }
        }
        for (member, value) in self.url_members() {
            if !is_absolute_url(&value) {
                v.push(MetadataViolation::RelativeUrl { member, value });
            }
        }
        v
    }
}
