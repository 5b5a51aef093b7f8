//! The client-side summary of a provider (the `Providers.OidcSummary` model): the endpoints
//! a relying party needs, its client id and authentication header, and extra
//! `auth_query_params` appended to the authorization endpoint by fixed rules.

use crate::metadata::ProviderMetadata;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Commonly used information about an OpenID provider, derived from its metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSummary {
    /// Where the metadata was retrieved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_endpoint: Option<String>,
    /// The end-session endpoint, from the metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_endpoint: Option<String>,
    /// REQUIRED. The authorization endpoint.
    pub auth_endpoint: String,
    /// REQUIRED. The token endpoint.
    pub token_endpoint: String,
    /// REQUIRED. The client identifier.
    pub client_id: String,
    /// REQUIRED. The `Authorization` header value used at the token endpoint, for example
    /// `Basic base64(client_id:secret)`.
    pub authentication_header: String,
    /// Extra parameters for the authorization endpoint: key to values.
    #[serde(default)]
    pub auth_query_params: IndexMap<String, Vec<String>>,
}

impl OidcSummary {
    /// Builds a summary from metadata; `None` when the metadata lacks an authorization or
    /// token endpoint.
    pub fn from_metadata(
        discovery_endpoint: Option<String>,
        metadata: &ProviderMetadata,
        client_id: impl Into<String>,
        authentication_header: impl Into<String>,
    ) -> Option<Self> {
        Some(OidcSummary {
            discovery_endpoint,
            logout_endpoint: metadata.end_session_endpoint.clone(),
            auth_endpoint: metadata.authorization_endpoint.clone()?,
            token_endpoint: metadata.token_endpoint.clone()?,
            client_id: client_id.into(),
            authentication_header: authentication_header.into(),
            auth_query_params: IndexMap::new(),
        })
    }

    /// The authorization endpoint with `auth_query_params` appended: nothing when the map is
    /// empty; otherwise `?` (or `&` when the endpoint already has a query), then for each key
    /// `k=v` for a single value, the bare `k` for an empty list, and `k` repeated for each of
    /// several values, joined with `&`.
    pub fn authorization_url(&self) -> String {
        crate::params::append_multi_query(
            &self.auth_endpoint,
            self.auth_query_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_query_param_rules() {
        let mut s = OidcSummary {
            auth_endpoint: "https://op/authorize".into(),
            ..Default::default()
        };
        assert_eq!(s.authorization_url(), "https://op/authorize");
        s.auth_query_params
            .insert("audience".into(), vec!["api".into()]);
        s.auth_query_params.insert("debug".into(), vec![]);
        s.auth_query_params
            .insert("acr".into(), vec!["a b".into(), "c".into()]);
        assert_eq!(
            s.authorization_url(),
            "https://op/authorize?audience=api&debug&acr=a%20b&acr=c"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["auth_query_params"]["debug"], serde_json::json!([]));
        assert_eq!(serde_json::from_value::<OidcSummary>(json).unwrap(), s);
    }

    #[test]
    fn from_metadata() {
        let md: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://op", "authorization_endpoint": "https://op/a", "token_endpoint": "https://op/t",
            "end_session_endpoint": "https://op/logout"
        }))
        .unwrap();
        let s = OidcSummary::from_metadata(
            Some("https://op/.well-known/openid-configuration".into()),
            &md,
            "c",
            "Basic x",
        )
        .unwrap();
        assert_eq!(s.logout_endpoint.as_deref(), Some("https://op/logout"));
        assert!(OidcSummary::from_metadata(None, &ProviderMetadata::default(), "c", "h").is_none());
    }
}
