//! The device authorization grant's first leg (RFC 8628 §3.1, §3.2). The token request is
//! [`crate::token::TokenRequest::DeviceCode`]; its errors are the device-flow codes of
//! [`crate::token::TokenErrorCode`].

use crate::params::{ParamError, Params, encode_pairs};
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A device authorization request (RFC 8628 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceAuthorizationRequest {
    /// The client identifier (when the client does not authenticate otherwise).
    pub client_id: Option<String>,
    /// The requested scope.
    pub scope: Option<Scope>,
}

impl DeviceAuthorizationRequest {
    /// Reads the form; a malformed `scope` is an error naming it.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        // A scope of only spaces asks for nothing: absent, as at the token endpoint.
        let scope = p
            .get("scope")
            .map(|s| Scope::parse(s).map_err(|e| ParamError::invalid("scope", e.to_string())))
            .transpose()?
            .filter(|s| !s.is_empty());
        Ok(DeviceAuthorizationRequest {
            client_id: p.get("client_id").map(str::to_owned),
            scope,
        })
    }

    /// The form parameters.
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(c) = &self.client_id {
            v.push(("client_id".to_owned(), c.clone()));
        }
        if let Some(s) = self.scope.as_ref().filter(|s| !s.is_empty()) {
            v.push(("scope".to_owned(), s.to_string()));
        }
        v
    }

    /// The form body.
    pub fn encode(&self) -> String {
        encode_pairs(self.to_form_pairs())
    }
}

/// A device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAuthorizationResponse {
    /// REQUIRED. The device verification code.
    pub device_code: String,
    /// REQUIRED. The code the user enters.
    pub user_code: String,
    /// REQUIRED. Where the user enters it.
    pub verification_uri: String,
    /// The verification URI with the user code included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// REQUIRED. Lifetime of the codes in seconds.
    #[serde(with = "crate::serde_util::lenient_u64")]
    pub expires_in: u64,
    /// Minimum polling interval in seconds; default 5.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_lenient_u64"
    )]
    pub interval: Option<u64>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl DeviceAuthorizationResponse {
    /// The polling interval, default 5 seconds (RFC 8628 §3.2).
    pub fn interval(&self) -> u64 {
        self.interval.unwrap_or(5)
    }
}
