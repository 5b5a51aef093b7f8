//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2, plus the registered
//! extensions Oxid serves (RFC 7009, RFC 7662, RFC 7636, RFC 8628, RFC 9126, RFC 9207,
//! RFC 9449, OIDC RP-Initiated / Front-Channel / Back-Channel Logout, OIDC Session).
//!
//! Every member is optional in the type so that real-world documents parse; the accessors
//! return the specification defaults, and [`ProviderMetadata::check_strict`] lists every
//! rule a document breaks.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

mod check;

pub use check::{MetadataError, MetadataProfile, MetadataViolation, check_issuer};

macro_rules! metadata_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: $ty,
            )*
            /// Every other member (non-standard or later extensions), in order.
            #[serde(flatten)]
            pub extra: IndexMap<String, Value>,
        }

        impl $name {
            /// The names of the typed members.
            pub const MEMBERS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

metadata_struct! {
    /// OpenID Provider / OAuth 2.0 Authorization Server metadata (OIDC Discovery §3,
    /// RFC 8414 §2).
    pub struct ProviderMetadata {
        /// REQUIRED. The issuer identifier: https URL without query or fragment.
        issuer: Option<String>,
        /// REQUIRED. The authorization endpoint.
        authorization_endpoint: Option<String>,
        /// The token endpoint; REQUIRED unless only the implicit flow is used.
        token_endpoint: Option<String>,
        /// RECOMMENDED. The UserInfo endpoint.
        userinfo_endpoint: Option<String>,
        /// REQUIRED (OIDC). The JWK Set document.
        jwks_uri: Option<String>,
        /// RECOMMENDED. The dynamic client registration endpoint.
        registration_endpoint: Option<String>,
        /// RECOMMENDED. Supported scopes.
        scopes_supported: Option<Vec<String>>,
        /// REQUIRED. Supported `response_type` values.
        response_types_supported: Option<Vec<String>>,
        /// Supported `response_mode` values; default `["query", "fragment"]`.
        response_modes_supported: Option<Vec<String>>,
        /// Supported grant types; default `["authorization_code", "implicit"]`.
        grant_types_supported: Option<Vec<String>>,
        /// Supported ACR values.
        acr_values_supported: Option<Vec<String>>,
        /// REQUIRED (OIDC). Supported subject types (`public`, `pairwise`).
        subject_types_supported: Option<Vec<String>>,
        /// REQUIRED (OIDC). ID token JWS algorithms; must contain `RS256`.
        id_token_signing_alg_values_supported: Option<Vec<String>>,
        /// ID token JWE `alg` values.
        id_token_encryption_alg_values_supported: Option<Vec<String>>,
        /// ID token JWE `enc` values.
        id_token_encryption_enc_values_supported: Option<Vec<String>>,
        /// UserInfo JWS algorithms.
        userinfo_signing_alg_values_supported: Option<Vec<String>>,
        /// UserInfo JWE `alg` values.
        userinfo_encryption_alg_values_supported: Option<Vec<String>>,
        /// UserInfo JWE `enc` values.
        userinfo_encryption_enc_values_supported: Option<Vec<String>>,
        /// Request Object JWS algorithms.
        request_object_signing_alg_values_supported: Option<Vec<String>>,
        /// Request Object JWE `alg` values.
        request_object_encryption_alg_values_supported: Option<Vec<String>>,
        /// Request Object JWE `enc` values.
        request_object_encryption_enc_values_supported: Option<Vec<String>>,
        /// Token endpoint client authentication methods; default `["client_secret_basic"]`.
        token_endpoint_auth_methods_supported: Option<Vec<String>>,
        /// Token endpoint JWT authentication algorithms; never `none`.
        token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
        /// Supported `display` values.
        display_values_supported: Option<Vec<String>>,
        /// Supported claim types (`normal`, `aggregated`, `distributed`); default `normal`.
        claim_types_supported: Option<Vec<String>>,
        /// RECOMMENDED. Claims the provider may supply.
        claims_supported: Option<Vec<String>>,
        /// Human-readable developer documentation.
        service_documentation: Option<String>,
        /// Supported claim languages.
        claims_locales_supported: Option<Vec<String>>,
        /// Supported UI languages.
        ui_locales_supported: Option<Vec<String>>,
        /// Support of the `claims` parameter; default false.
        claims_parameter_supported: Option<bool>,
        /// Support of the `request` parameter; default false.
        request_parameter_supported: Option<bool>,
        /// Support of the `request_uri` parameter; default true.
        request_uri_parameter_supported: Option<bool>,
        /// Whether `request_uri` values must be pre-registered; default false.
        require_request_uri_registration: Option<bool>,
        /// Policy page for client developers.
        op_policy_uri: Option<String>,
        /// Terms of service page.
        op_tos_uri: Option<String>,
        /// RFC 7009 revocation endpoint.
        revocation_endpoint: Option<String>,
        /// Revocation endpoint client authentication methods.
        revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
        /// Revocation endpoint JWT authentication algorithms.
        revocation_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
        /// RFC 7662 introspection endpoint.
        introspection_endpoint: Option<String>,
        /// Introspection endpoint client authentication methods.
        introspection_endpoint_auth_methods_supported: Option<Vec<String>>,
        /// Introspection endpoint JWT authentication algorithms.
        introspection_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
        /// RFC 7636 PKCE methods.
        code_challenge_methods_supported: Option<Vec<String>>,
        /// RFC 8414 §2.1 signed metadata JWT.
        signed_metadata: Option<String>,
        /// OIDC RP-Initiated Logout end session endpoint.
        end_session_endpoint: Option<String>,
        /// OIDC Session Management check_session_iframe.
        check_session_iframe: Option<String>,
        /// OIDC Front-Channel Logout support; default false.
        frontchannel_logout_supported: Option<bool>,
        /// Front-channel `iss`/`sid` parameters support; default false.
        frontchannel_logout_session_supported: Option<bool>,
        /// OIDC Back-Channel Logout support; default false.
        backchannel_logout_supported: Option<bool>,
        /// Back-channel `sid` claim support; default false.
        backchannel_logout_session_supported: Option<bool>,
        /// RFC 9207 `iss` authorization response parameter; default false.
        authorization_response_iss_parameter_supported: Option<bool>,
        /// RFC 9126 pushed authorization request endpoint.
        pushed_authorization_request_endpoint: Option<String>,
        /// RFC 9126: whether PAR is required; default false.
        require_pushed_authorization_requests: Option<bool>,
        /// RFC 9449 DPoP proof algorithms.
        dpop_signing_alg_values_supported: Option<Vec<String>>,
        /// RFC 8628 device authorization endpoint.
        device_authorization_endpoint: Option<String>,
    }
}

/// Members that hold URLs (checked to be absolute).
pub const URL_MEMBERS: &[&str] = &[
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "service_documentation",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "introspection_endpoint",
    "end_session_endpoint",
    "check_session_iframe",
    "pushed_authorization_request_endpoint",
    "device_authorization_endpoint",
];

fn is_absolute_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.has_host() || u.scheme() != "")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl ProviderMetadata {
    /// The URL-valued members that are present, with their values: the typed ones and any
    /// string member of `extra` whose name ends in `_endpoint` or `_uri` (such as Oracle's
    /// non-standard `introspect_endpoint`).
    pub fn url_members(&self) -> Vec<(String, String)> {
        let as_json = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut out = Vec::new();
        if let Value::Object(m) = as_json {
            for (k, val) in m {
                let typed_url = URL_MEMBERS.contains(&k.as_str());
                let extra_url = !Self::MEMBERS.contains(&k.as_str())
                    && (k.ends_with("_endpoint") || k.ends_with("_uri") || k.ends_with("_iframe"));
                if (typed_url || extra_url)
                    && let Value::String(s) = val
                {
                    out.push((k, s));
                }
            }
        }
        out
    }

    /// Resolves relative URL members against `base` (for documents such as Oracle's that
    /// publish paths); absolute ones are left alone. Returns the number changed.
    pub fn resolve_relative_urls(&mut self, base: &str) -> usize {
        let Ok(base) = url::Url::parse(base) else {
            return 0;
        };
        let mut n = 0;
        let fix = |s: &mut String, n: &mut usize| {
            if !is_absolute_url(s)
                && let Ok(u) = base.join(s)
            {
                *s = u.to_string();
                *n += 1;
            }
        };
        for f in [
            &mut self.authorization_endpoint,
            &mut self.token_endpoint,
            &mut self.userinfo_endpoint,
            &mut self.jwks_uri,
            &mut self.registration_endpoint,
            &mut self.service_documentation,
            &mut self.op_policy_uri,
            &mut self.op_tos_uri,
            &mut self.revocation_endpoint,
            &mut self.introspection_endpoint,
            &mut self.end_session_endpoint,
            &mut self.check_session_iframe,
            &mut self.pushed_authorization_request_endpoint,
            &mut self.device_authorization_endpoint,
        ]
        .into_iter()
        .flatten()
        {
            fix(f, &mut n);
        }
        n
    }

    /// `response_modes_supported`, default `["query", "fragment"]`.
    pub fn response_modes_supported(&self) -> Vec<String> {
        self.response_modes_supported
            .clone()
            .unwrap_or_else(|| strings(&["query", "fragment"]))
    }

    /// `grant_types_supported`, default `["authorization_code", "implicit"]`.
    pub fn grant_types_supported(&self) -> Vec<String> {
        self.grant_types_supported
            .clone()
            .unwrap_or_else(|| strings(&["authorization_code", "implicit"]))
    }

    /// `token_endpoint_auth_methods_supported`, default `["client_secret_basic"]`.
    pub fn token_endpoint_auth_methods_supported(&self) -> Vec<String> {
        self.token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| strings(&["client_secret_basic"]))
    }

    /// `revocation_endpoint_auth_methods_supported`, default `["client_secret_basic"]`
    /// (RFC 8414 §2).
    pub fn revocation_endpoint_auth_methods_supported(&self) -> Vec<String> {
        self.revocation_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| strings(&["client_secret_basic"]))
    }

    /// `introspection_endpoint_auth_methods_supported`; RFC 8414 defines no default, so
    /// absent is empty.
    pub fn introspection_endpoint_auth_methods_supported(&self) -> Vec<String> {
        self.introspection_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_default()
    }

    /// `claim_types_supported`, default `["normal"]`.
    pub fn claim_types_supported(&self) -> Vec<String> {
        self.claim_types_supported
            .clone()
            .unwrap_or_else(|| strings(&["normal"]))
    }

    /// `claims_parameter_supported`, default false.
    pub fn claims_parameter_supported(&self) -> bool {
        self.claims_parameter_supported.unwrap_or(false)
    }

    /// `request_parameter_supported`, default false.
    pub fn request_parameter_supported(&self) -> bool {
        self.request_parameter_supported.unwrap_or(false)
    }

    /// `request_uri_parameter_supported`, default true.
    pub fn request_uri_parameter_supported(&self) -> bool {
        self.request_uri_parameter_supported.unwrap_or(true)
    }

    /// `require_request_uri_registration`, default false.
    pub fn require_request_uri_registration(&self) -> bool {
        self.require_request_uri_registration.unwrap_or(false)
    }

    /// `frontchannel_logout_supported`, default false.
    pub fn frontchannel_logout_supported(&self) -> bool {
        self.frontchannel_logout_supported.unwrap_or(false)
    }

    /// `frontchannel_logout_session_supported`, default false.
    pub fn frontchannel_logout_session_supported(&self) -> bool {
        self.frontchannel_logout_session_supported.unwrap_or(false)
    }

    /// `backchannel_logout_supported`, default false.
    pub fn backchannel_logout_supported(&self) -> bool {
        self.backchannel_logout_supported.unwrap_or(false)
    }

    /// `backchannel_logout_session_supported`, default false.
    pub fn backchannel_logout_session_supported(&self) -> bool {
        self.backchannel_logout_session_supported.unwrap_or(false)
    }

    /// `authorization_response_iss_parameter_supported`, default false.
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.authorization_response_iss_parameter_supported
            .unwrap_or(false)
    }

    /// `require_pushed_authorization_requests`, default false.
    pub fn require_pushed_authorization_requests(&self) -> bool {
        self.require_pushed_authorization_requests.unwrap_or(false)
    }

    /// The well-known URL of the OpenID configuration for `issuer` (OIDC Discovery §4.1:
    /// `/.well-known/openid-configuration` appended to the issuer path).
    pub fn openid_configuration_url(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    }

    /// The well-known URL of the RFC 8414 metadata for `issuer` (RFC 8414 §3.1: the
    /// well-known segment inserted between host and path).
    pub fn oauth_authorization_server_url(issuer: &str) -> String {
        match url::Url::parse(issuer) {
            Ok(u) => {
                let path = u.path().trim_end_matches('/');
                let mut origin = u.origin().ascii_serialization();
                origin.push_str("/.well-known/oauth-authorization-server");
                origin.push_str(path);
                origin
            }
            Err(_) => format!(
                "{}/.well-known/oauth-authorization-server",
                issuer.trim_end_matches('/')
            ),
        }
    }
}

impl fmt::Display for ProviderMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}
