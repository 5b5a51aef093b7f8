//! `[[trusted_issuers]]`: the other authorization servers and identity providers whose signed
//! JWTs Oxid accepts, as JWT bearer assertions (RFC 7523 §2.1) and as token exchange subject
//! or actor tokens (RFC 8693 §3 `urn:ietf:params:oauth:token-type:jwt`). Each names its keys
//! (a `jwks_uri` fetched and cached like a client's, or a `jwks_file` read at start), the
//! audiences its JWTs must name, how their `sub` maps to one of our users, and the scopes it
//! may grant.

use oxid_client::jwks::parse_jwk_set;
use oxid_protocol::jwk::JwkSet;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

use crate::config::{ConfigError, config_error};
use crate::discovery::paths;
use crate::scopes::ScopeInfo;
use crate::subject_mapping::SubjectMapping;

/// The furthest ahead a trusted issuer's `exp` may be by default, in seconds (an hour, as
/// `[client_assertions]`: Authlib signs its assertions for an hour).
pub const DEFAULT_MAX_LIFETIME: u64 = 3600;
/// Clock difference tolerated for `exp`, `iat` and `nbf`, in seconds.
pub const LEEWAY: u64 = 60;

/// One `[[trusted_issuers]]` entry as an operator writes it (docs/configuration.md).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerSetting {
    /// The `iss` value of its JWTs, compared exactly.
    pub issuer: String,
    /// Where its JWK Set is published (fetched, cached, fetched again for an unknown `kid`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// A file holding its JWK Set, read at start (instead of `jwks_uri`).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// The `aud` values accepted; by default our token endpoint and our issuer (RFC 7523 §3).
    #[serde(default)]
    pub audience: Vec<String>,
    /// How a JWT's `sub` names one of our users.
    pub subject_mapping: SubjectMapping,
    /// The scopes tokens granted on its JWTs may carry (each a known scope).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The furthest ahead its JWTs' `exp` may be, in seconds.
    #[serde(default = "default_max_lifetime")]
    pub max_lifetime_seconds: u64,
}

fn default_max_lifetime() -> u64 {
    DEFAULT_MAX_LIFETIME
}

/// Where a trusted issuer's keys come from.
#[derive(Debug, Clone, PartialEq)]
pub enum IssuerKeys {
    /// Fetched from this URL (through `Outbound`, cached in `ClientKeys`).
    Uri(String),
    /// Read from `jwks_file` at start.
    Set(Arc<JwkSet>),
}

/// A validated trusted issuer.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedIssuer {
    /// Its `iss`.
    pub issuer: String,
    /// Its keys.
    pub keys: IssuerKeys,
    /// The `aud` values accepted (defaults resolved).
    pub audiences: Vec<String>,
    /// How `sub` maps to a user.
    pub subject_mapping: SubjectMapping,
    /// The scopes it may grant.
    pub scopes: Vec<String>,
    /// Seconds its `exp` may be ahead.
    pub max_lifetime: u64,
}

impl TrustedIssuer {
    /// The key its fetched set is cached under in `ClientKeys`: a newline cannot be in a
    /// client_id, so no client's entry can be taken for an issuer's.
    pub fn cache_key(&self) -> String {
        format!("\ntrusted_issuer\n{}", self.issuer)
    }

    /// Whether it may grant `scope`.
    pub fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

const KEY: &str = "trusted_issuers";

/// Validates the entries against our `issuer` and scope registry; errors name the key and
/// the issuer.
pub fn validate(
    settings: &[TrustedIssuerSetting],
    our_issuer: &str,
    scopes: &[ScopeInfo],
) -> Result<Vec<TrustedIssuer>, ConfigError> {
    let mut issuers: Vec<TrustedIssuer> = Vec::new();
    for s in settings {
        let error = |what: String| config_error(KEY, format!("issuer {:?}: {what}", s.issuer));
        if s.issuer.is_empty() {
            return Err(config_error(KEY, "issuer must not be empty"));
        }
        if s.issuer == our_issuer {
            return Err(error("is our own issuer".into()));
        }
        if issuers.iter().any(|i| i.issuer == s.issuer) {
            return Err(error("is listed twice".into()));
        }
        let keys = match (&s.jwks_uri, &s.jwks_file) {
            (Some(uri), None) => match Url::parse(uri) {
                Ok(url) if matches!(url.scheme(), "https" | "http") => IssuerKeys::Uri(uri.clone()),
                _ => return Err(error("jwks_uri must be an absolute http(s) URL".into())),
            },
            (None, Some(path)) => IssuerKeys::Set(Arc::new(read_jwks_file(path).map_err(error)?)),
            _ => return Err(error("needs exactly one of jwks_uri and jwks_file".into())),
        };
        let audiences = if s.audience.is_empty() {
            vec![
                format!("{our_issuer}{}", paths::TOKEN),
                our_issuer.to_string(),
            ]
        } else {
            s.audience.clone()
        };
        for scope in &s.scopes {
            if crate::scopes::find(scopes, scope).is_none() {
                return Err(error(format!("scope {scope:?} is not a known scope")));
            }
        }
        if !(1..=86_400).contains(&s.max_lifetime_seconds) {
            return Err(error("max_lifetime_seconds must be 1..=86400".into()));
        }
        issuers.push(TrustedIssuer {
            issuer: s.issuer.clone(),
            keys,
            audiences,
            subject_mapping: s.subject_mapping,
            scopes: s.scopes.clone(),
            max_lifetime: s.max_lifetime_seconds,
        });
    }
    Ok(issuers)
}

fn read_jwks_file(path: &PathBuf) -> Result<JwkSet, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("jwks_file {} cannot be read: {e}", path.display()))?;
    let value = serde_json::from_str(&text)
        .map_err(|e| format!("jwks_file {} is not JSON: {e}", path.display()))?;
    parse_jwk_set(value).ok_or_else(|| format!("jwks_file {} is not a JWK Set", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(toml_text: &str) -> TrustedIssuerSetting {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn audience_defaults_to_our_token_endpoint_and_issuer_rfc7523_3() {
        let s = setting(
            "issuer = \"https://idp.example\"\njwks_uri = \"https://idp.example/jwks\"\n\
             subject_mapping = \"email\"",
        );
        let issuers = validate(&[s], "https://op.example", &[]).unwrap();
        assert_eq!(
            issuers[0].audiences,
            vec!["https://op.example/token", "https://op.example"]
        );
        assert_eq!(issuers[0].subject_mapping, SubjectMapping::Email);
        assert_eq!(issuers[0].max_lifetime, DEFAULT_MAX_LIFETIME);
    }

    #[test]
    fn errors_name_the_issuer_and_what_is_wrong() {
        let both = setting(
            "issuer = \"https://idp.example\"\nsubject_mapping = \"username\"\n\
             jwks_uri = \"https://idp.example/jwks\"\njwks_file = \"/nonexistent\"",
        );
        let error = validate(&[both], "https://op.example", &[]).unwrap_err();
        assert!(
            error.to_string().contains("exactly one of jwks_uri"),
            "{error}"
        );
        let unknown_scope = setting(
            "issuer = \"https://idp.example\"\nsubject_mapping = \"username\"\n\
             jwks_uri = \"https://idp.example/jwks\"\nscopes = [\"nope\"]",
        );
        let error = validate(&[unknown_scope], "https://op.example", &[]).unwrap_err();
        assert!(
            error.to_string().contains("\"nope\" is not a known scope"),
            "{error}"
        );
        let missing_file = setting(
            "issuer = \"https://idp.example\"\nsubject_mapping = \"username\"\n\
             jwks_file = \"/nonexistent/jwks.json\"",
        );
        let error = validate(&[missing_file], "https://op.example", &[]).unwrap_err();
        assert!(error.to_string().contains("cannot be read"), "{error}");
        assert!(toml::from_str::<TrustedIssuerSetting>("issuer = \"x\"").is_err());
    }
}
