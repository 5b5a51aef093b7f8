//! What `oxid discover` prints: the summary, the authorization URL built by its rules, and
//! the warnings about the metadata.

use serde_json::{Value, json};

use crate::error::ClientError;
use crate::http::HttpClient;
use crate::provider::{DiscoveryOptions, Provider};
use crate::summary::{AuthQueryParams, OidcSummary};

/// Reads `--auth-param` values in order: `K=V` adds `V` to `K`'s list, a bare `K` makes sure
/// `K` is there (with an empty list unless values were given).
pub fn parse_auth_params<S: AsRef<str>>(args: &[S]) -> Result<AuthQueryParams, String> {
    let mut params = AuthQueryParams::new();
    for arg in args {
        let arg = arg.as_ref();
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (arg, None),
        };
        if key.is_empty() {
            return Err(format!("--auth-param {arg:?} has an empty key"));
        }
        let values = params.entry(key.to_owned()).or_default();
        if let Some(value) = value {
            values.push(value.to_owned());
        }
    }
    Ok(params)
}

/// The discovery report.
#[derive(Debug, Clone)]
pub struct DiscoverReport {
    /// The provider summary.
    pub summary: OidcSummary,
    /// The authorization endpoint with the query parameters appended.
    pub authorization_url: String,
    /// The metadata violations and resolved relative URLs.
    pub warnings: Vec<String>,
}

impl DiscoverReport {
    /// Discovers `input` (never strict, and a foreign issuer is a warning: the caller
    /// decides what warnings mean).
    pub async fn build(
        http: &HttpClient,
        input: &str,
        options: DiscoveryOptions,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        auth_query_params: AuthQueryParams,
    ) -> Result<Self, ClientError> {
        let options = DiscoveryOptions {
            strict: false,
            allow_foreign_issuer: true,
            ..options
        };
        let provider = Provider::discover(http, input, options).await?;
        let summary = provider.summary(
            client_id.unwrap_or_default(),
            client_secret,
            auth_query_params,
        )?;
        Ok(Self {
            authorization_url: summary.authorization_url(),
            warnings: provider.warnings(),
            summary,
        })
    }

    /// The JSON printed: the summary's members, then `authorization_url` and `warnings`.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.summary).unwrap_or_else(|_| json!({}));
        if let Value::Object(map) = &mut value {
            map.insert("authorization_url".into(), json!(self.authorization_url));
            map.insert("warnings".into(), json!(self.warnings));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_params_repeat_and_bare_keys() {
        let p = parse_auth_params(&["acr=a", "prompt", "acr=b", "x=", "y=1=2"]).unwrap();
        let as_vec: Vec<(&str, Vec<&str>)> = p
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            as_vec,
            [
                ("acr", vec!["a", "b"]),
                ("prompt", vec![]),
                ("x", vec![""]),
                ("y", vec!["1=2"])
            ]
        );
        assert!(parse_auth_params(&["=v"]).is_err());
    }
}
