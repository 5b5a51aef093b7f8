//! `[[token_exchange]]`: which client may exchange tokens (RFC 8693), for which audiences, and
//! how. RFC 8693 §1.1 leaves to policy who may delegate and who may impersonate; here each is
//! a per-client switch, and impersonation (a token for the subject with no trace of who asked,
//! §1.1) is off unless set.

use serde::Deserialize;

use crate::config::{ConfigError, config_error};

/// One `[[token_exchange]]` entry (docs/configuration.md).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExchangePolicy {
    /// The client this policy is for.
    pub client_id: String,
    /// The `audience` / `resource` values it may ask for (RFC 8693 §2.1); a token asked for
    /// none is for the client itself.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Delegation (§1.1): with an `actor_token`, the issued token carries `act` (§4.1).
    #[serde(default = "yes")]
    pub delegation: bool,
    /// Impersonation (§1.1): without an `actor_token`, a token for the subject alone.
    #[serde(default)]
    pub impersonation: bool,
}

fn yes() -> bool {
    true
}

impl ExchangePolicy {
    /// Whether this client may ask for `audience`.
    pub fn allows_audience(&self, audience: &str) -> bool {
        self.audiences.iter().any(|a| a == audience)
    }
}

/// Checks the policies: one per client, each doing something.
pub fn validate(policies: &[ExchangePolicy]) -> Result<(), ConfigError> {
    for (i, policy) in policies.iter().enumerate() {
        let error = |what: &str| {
            config_error(
                "token_exchange",
                format!("client_id {:?}: {what}", policy.client_id),
            )
        };
        if policy.client_id.is_empty() {
            return Err(error("must not be empty"));
        }
        if policies[..i]
            .iter()
            .any(|p| p.client_id == policy.client_id)
        {
            return Err(error("has two policies"));
        }
        if !policy.delegation && !policy.impersonation {
            return Err(error("allows neither delegation nor impersonation"));
        }
        if policy.audiences.iter().any(String::is_empty) {
            return Err(error("an audience is empty"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_is_off_and_delegation_on_by_default_rfc8693_1_1() {
        let policy: ExchangePolicy = toml::from_str("client_id = \"app\"").unwrap();
        assert!(policy.delegation);
        assert!(!policy.impersonation);
        assert!(validate(std::slice::from_ref(&policy)).is_ok());
        let twice = validate(&[policy.clone(), policy.clone()]).unwrap_err();
        assert!(twice.to_string().contains("two policies"), "{twice}");
        let nothing = ExchangePolicy {
            delegation: false,
            ..policy
        };
        assert!(validate(&[nothing]).is_err());
    }
}
