//! Protected resources (`[[resources]]`): the APIs Oxid issues access tokens for, and the
//! resource indicators of RFC 8707 that name them at the authorization and token endpoints.
//! A token asked for a resource has that resource as its one audience, the resource's format
//! (JWT by default, RFC 9068), algorithm and lifetime, and only scopes the resource accepts.

use serde::Deserialize;
use url::Url;

use crate::config::ConfigError;
use crate::crypto::jws::SigningAlg;
use crate::error::OAuthError;
use crate::scopes::ScopeInfo;
use crate::token_policy::AccessTokenFormat;

/// One `[[resources]]` entry as an operator writes it (docs/configuration.md).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceSetting {
    /// The resource indicator: an absolute URI without a fragment (RFC 8707 §2).
    pub identifier: String,
    /// The scopes the resource accepts (each a configured scope).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `jwt` (default, RFC 9068) or `opaque` (checked by introspection).
    #[serde(default)]
    pub access_token_format: Option<String>,
    /// The signing algorithm of its JWT access tokens: RS256 (default), PS256, ES256 or
    /// EdDSA, one of `keys.algs`.
    #[serde(default)]
    pub alg: Option<String>,
    /// Seconds its access tokens live (default `lifetimes.access_token`).
    #[serde(default)]
    pub lifetime: Option<u64>,
    /// The clients that are this resource server at the introspection endpoint: when set,
    /// only they (and the token's own client) see its tokens active (RFC 9701 §5).
    #[serde(default)]
    pub introspection_clients: Vec<String>,
}

/// A validated resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The resource indicator, the `aud` of its tokens.
    pub identifier: String,
    /// The scopes it accepts.
    pub scopes: Vec<String>,
    /// The form of its access tokens.
    pub format: AccessTokenFormat,
    /// The algorithm its JWT access tokens are signed with.
    pub alg: SigningAlg,
    /// Seconds its access tokens live, when not the deployment's default.
    pub lifetime: Option<u64>,
    /// The clients that introspect its tokens; empty: any confidential client.
    pub introspection_clients: Vec<String>,
}

/// The algorithms a resource may ask for (RFC 9068 §2.1: asymmetric only, never `none`).
const RESOURCE_ALGS: [SigningAlg; 4] = [
    SigningAlg::RS256,
    SigningAlg::PS256,
    SigningAlg::ES256,
    SigningAlg::EdDSA,
];

/// Longest access token lifetime a resource may configure (a day).
const MAX_LIFETIME: u64 = 86_400;

/// The configured resources, looked up by identifier.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources(Vec<Resource>);

fn err(message: impl Into<String>) -> ConfigError {
    crate::config::config_error("resources", message)
}

impl Resources {
    /// Validates `settings` against the signing algorithms and the scope registry; errors name
    /// the entry.
    pub fn from_settings(
        settings: &[ResourceSetting],
        signing_algs: &[SigningAlg],
        scopes: &[ScopeInfo],
    ) -> Result<Resources, ConfigError> {
        let mut resources: Vec<Resource> = Vec::new();
        for s in settings {
            let id = &s.identifier;
            if !is_resource_indicator(id) {
                return Err(err(format!(
                    "identifier {id:?} must be an absolute URI without a fragment (RFC 8707 §2)"
                )));
            }
            if resources.iter().any(|r| &r.identifier == id) {
                return Err(err(format!("identifier {id:?} is configured twice")));
            }
            for scope in &s.scopes {
                match crate::scopes::find(scopes, scope) {
                    Some(info) if !info.about_user => {}
                    Some(_) => {
                        return Err(err(format!(
                            "{id}: scope {scope:?} is about the user, not an API scope"
                        )));
                    }
                    None => {
                        return Err(err(format!(
                            "{id}: scope {scope:?} is not configured in [[scopes]]"
                        )));
                    }
                }
            }
            let format = match s.access_token_format.as_deref() {
                None => AccessTokenFormat::Jwt,
                Some(name) => name
                    .parse()
                    .map_err(|why: String| err(format!("{id}: {why}")))?,
            };
            let alg = match s.alg.as_deref() {
                None => SigningAlg::RS256,
                Some(name) => name
                    .parse::<SigningAlg>()
                    .ok()
                    .filter(|a| RESOURCE_ALGS.contains(a))
                    .ok_or_else(|| {
                        err(format!(
                            "{id}: alg {name:?} is not RS256, PS256, ES256 or EdDSA"
                        ))
                    })?,
            };
            if !signing_algs.contains(&alg) {
                return Err(err(format!(
                    "{id}: alg {} has no key: add it to keys.algs",
                    alg.as_str()
                )));
            }
            if s.lifetime.is_some_and(|l| l == 0 || l > MAX_LIFETIME) {
                return Err(err(format!(
                    "{id}: lifetime must be 1..={MAX_LIFETIME} seconds"
                )));
            }
            resources.push(Resource {
                identifier: id.clone(),
                scopes: s.scopes.clone(),
                format,
                alg,
                lifetime: s.lifetime,
                introspection_clients: s.introspection_clients.clone(),
            });
        }
        Ok(Resources(resources))
    }

    /// The resource named `identifier`, compared exactly.
    pub fn get(&self, identifier: &str) -> Option<&Resource> {
        self.0.iter().find(|r| r.identifier == identifier)
    }

    /// Whether any resource is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The signing algorithms the resources' JWT access tokens use.
    pub fn algs(&self) -> impl Iterator<Item = SigningAlg> + '_ {
        self.0
            .iter()
            .filter(|r| r.format == AccessTokenFormat::Jwt)
            .map(|r| r.alg)
    }

    /// The resource a `resource` parameter names (RFC 8707 §2): none when absent;
    /// `invalid_target` when it is malformed or not configured.
    pub fn requested(&self, value: Option<&str>) -> Result<Option<&Resource>, OAuthError> {
        let Some(value) = value else {
            return Ok(None);
        };
        // A configured identifier passed `is_resource_indicator` when the configuration was
        // loaded, so an exact match needs no second parse (a URL parse per token request).
        if let Some(resource) = self.get(value) {
            return Ok(Some(resource));
        }
        if !is_resource_indicator(value) {
            return Err(invalid_target(
                "resource must be an absolute URI without a fragment (RFC 8707 §2)",
            ));
        }
        Err(invalid_target(format!(
            "resource '{}' is not known here",
            oxid_protocol::echo_value(value)
        )))
    }
}

impl Resource {
    /// Whether `client_id` may learn about this resource's tokens at introspection: the
    /// authorization server "MUST be able to determine whether an RS is the audience" of a
    /// token (RFC 9701 §3), and answers `active: false` to other callers (§5).
    pub fn may_introspect(&self, client_id: &str) -> bool {
        self.introspection_clients.is_empty()
            || self.introspection_clients.iter().any(|c| c == client_id)
    }

    /// RFC 8707 §2: the scopes asked for `self` must be ones it accepts; the scopes about the
    /// user (`openid`, `profile`, `offline_access`, ...) concern the provider and pass.
    pub fn check_scopes<'s>(
        &self,
        scopes: impl IntoIterator<Item = &'s str>,
        is_user_scope: impl Fn(&str) -> bool,
    ) -> Result<(), String> {
        for scope in scopes {
            if !is_user_scope(scope) && !self.scopes.iter().any(|s| s == scope) {
                return Err(format!(
                    "scope '{}' is not accepted by resource {}",
                    oxid_protocol::echo_value(scope),
                    self.identifier
                ));
            }
        }
        Ok(())
    }
}

/// `invalid_target` (RFC 8707 §2) with `description`.
pub fn invalid_target(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::token(
        oxid_protocol::token::TokenErrorCode::InvalidTarget,
        description,
    )
}

/// RFC 8707 §2: an absolute URI without a fragment; no spaces or control characters (the URL
/// parser would strip them, so the string compared would not be the one checked).
pub fn is_resource_indicator(value: &str) -> bool {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    Url::parse(value).is_ok_and(|url| url.fragment().is_none() && !value.contains('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes() -> Vec<ScopeInfo> {
        crate::scopes::registry(&[crate::scopes::ScopeSetting {
            name: "read:records".into(),
            description: None,
            claims: vec![],
        }])
        .unwrap()
    }

    fn setting(identifier: &str) -> ResourceSetting {
        ResourceSetting {
            identifier: identifier.into(),
            scopes: vec!["read:records".into()],
            access_token_format: None,
            alg: None,
            lifetime: None,
            introspection_clients: vec![],
        }
    }

    #[test]
    fn a_resource_defaults_to_rs256_jwt_access_tokens_rfc9068_2_1() {
        let resources = Resources::from_settings(
            &[setting("https://api.example/")],
            &[SigningAlg::RS256],
            &scopes(),
        )
        .unwrap();
        let api = resources.get("https://api.example/").unwrap();
        assert_eq!(
            (api.format, api.alg),
            (AccessTokenFormat::Jwt, SigningAlg::RS256)
        );
        assert!(
            resources.get("https://api.example").is_none(),
            "compared exactly"
        );
    }

    #[test]
    fn bad_resources_are_refused_naming_the_entry() {
        let algs = [SigningAlg::RS256];
        let bad =
            |s: ResourceSetting| Resources::from_settings(&[s], &algs, &scopes()).unwrap_err();
        assert!(
            bad(setting("https://api.example/#x"))
                .message
                .contains("fragment")
        );
        assert!(bad(setting("/relative")).message.contains("absolute"));
        let mut unknown = setting("https://api.example/");
        unknown.scopes = vec!["write:records".into()];
        assert!(bad(unknown).message.contains("not configured"));
        let mut user = setting("https://api.example/");
        user.scopes = vec!["email".into()];
        assert!(bad(user).message.contains("about the user"));
        let mut no_key = setting("https://api.example/");
        no_key.alg = Some("ES256".into());
        assert!(bad(no_key).message.contains("keys.algs"));
        let mut hmac = setting("https://api.example/");
        hmac.alg = Some("HS256".into());
        assert!(bad(hmac).message.contains("alg"));
        let mut format = setting("https://api.example/");
        format.access_token_format = Some("paseto".into());
        assert!(bad(format).message.contains("paseto"));
        let twice = Resources::from_settings(
            &[setting("https://a.example/"), setting("https://a.example/")],
            &algs,
            &scopes(),
        );
        assert!(twice.unwrap_err().message.contains("twice"));
    }

    #[test]
    fn a_requested_resource_is_known_and_well_formed_rfc8707_2() {
        let resources = Resources::from_settings(
            &[setting("https://api.example/")],
            &[SigningAlg::RS256],
            &scopes(),
        )
        .unwrap();
        assert!(resources.requested(None).unwrap().is_none());
        assert!(
            resources
                .requested(Some("https://api.example/"))
                .unwrap()
                .is_some()
        );
        for bad in ["https://other.example/", "api", "https://api.example/#f"] {
            let e = resources.requested(Some(bad)).unwrap_err();
            assert_eq!(e.code(), "invalid_target", "{bad}");
        }
        // A malformed value is told as such before an unknown one.
        let malformed = resources.requested(Some("api")).unwrap_err();
        assert!(
            malformed.description.contains("absolute URI"),
            "{malformed:?}"
        );
        let unknown = resources
            .requested(Some("https://other.example/"))
            .unwrap_err();
        assert!(
            unknown.description.contains("not known here"),
            "{unknown:?}"
        );
        let api = resources.get("https://api.example/").unwrap();
        let user = |s: &str| s == "openid";
        assert!(api.check_scopes(["openid", "read:records"], user).is_ok());
        assert!(api.check_scopes(["write:records"], user).is_err());
    }
}
