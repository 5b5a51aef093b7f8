//! The security profile: `profile = "fapi2"` narrows the capability table to what the FAPI 2.0
//! Security Profile (final, §5.3.2 "Requirements for authorization servers", §5.4
//! "Cryptography and secrets") allows. Every endpoint reads the table, and discovery is
//! derived from it, so this one place is the switch:
//!
//! - pushed authorization requests for every authorization request (§5.3.2.2 items 2-3);
//! - `response_type=code` only, no implicit or hybrid flows (§5.3.2.2 item 1);
//! - PKCE with S256 only, required of every client (§5.3.2.2 item 5);
//! - sender-constrained access tokens: a DPoP proof with every token request (§5.3.2.1 items
//!   4-5; mTLS is not built);
//! - client authentication by `private_key_jwt` only, so confidential clients only
//!   (§5.3.2.1 items 3 and 6; `tls_client_auth` is not built), assertions signed with
//!   PS256, ES256 or EdDSA (§5.4.1);
//! - ID tokens and UserInfo answers signed with PS256, ES256 or EdDSA, never RS256 nor HS256
//!   (§5.4.1), and DPoP proofs likewise;
//! - no resource owner password grant (§5.3.2.1 item 2).

use serde::Deserialize;

use crate::capabilities::{Capabilities, ClientAuthMethod, GrantType, PkceMethod, ResponseType};
use crate::client::Client;
use crate::config::{ConfigError, ProviderConfig, Settings, config_error};
use crate::crypto::jws::SigningAlg;
use crate::error::OAuthError;
use oxid_protocol::jose::Alg;

/// Which security profile the provider enforces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// OpenID Connect and OAuth 2.0 as configured.
    #[default]
    Default,
    /// The FAPI 2.0 Security Profile.
    Fapi2,
}

/// The JWS algorithms FAPI 2.0 allows (Security Profile §5.4.1 item 1.2).
pub const FAPI2_SIGNING_ALGS: [SigningAlg; 3] =
    [SigningAlg::PS256, SigningAlg::ES256, SigningAlg::EdDSA];

/// The same, as DPoP proof algorithms.
pub const FAPI2_DPOP_ALGS: [Alg; 3] = [Alg::PS256, Alg::ES256, Alg::EdDSA];

impl Profile {
    /// Whether this is the FAPI 2.0 profile.
    pub fn is_fapi2(self) -> bool {
        self == Profile::Fapi2
    }

    /// Refuses settings the profile forbids; errors name the key.
    pub fn validate(self, settings: &Settings, key_algs: &[SigningAlg]) -> Result<(), ConfigError> {
        if !self.is_fapi2() {
            return Ok(());
        }
        if !key_algs.iter().any(|a| FAPI2_SIGNING_ALGS.contains(a)) {
            return Err(config_error(
                "keys.algs",
                "profile fapi2 signs with PS256, ES256 or EdDSA: add one of them",
            ));
        }
        if settings.grants.password {
            return Err(config_error(
                "grants.password",
                "profile fapi2 rejects the resource owner password credentials grant",
            ));
        }
        Ok(())
    }

    /// Narrows `caps` to what the profile allows (nothing for the default profile).
    pub fn restrict(self, caps: &mut Capabilities) {
        if !self.is_fapi2() {
            return;
        }
        caps.response_types = vec![ResponseType::CODE];
        caps.grant_types.retain(|g| {
            !matches!(
                g,
                GrantType::Implicit | GrantType::Password | GrantType::DeviceCode
            )
        });
        for auth in [
            &mut caps.token_auth,
            &mut caps.revocation_auth,
            &mut caps.introspection_auth,
        ] {
            auth.methods = vec![ClientAuthMethod::PrivateKeyJwt];
            auth.signing_algs = FAPI2_SIGNING_ALGS.to_vec();
        }
        caps.pkce_methods = vec![PkceMethod::S256];
        caps.pkce_required = true;
        caps.id_token_algs
            .retain(|a| FAPI2_SIGNING_ALGS.contains(a));
        caps.userinfo_algs
            .retain(|a| FAPI2_SIGNING_ALGS.contains(a));
        // RFC 9701 answers signed with a key-ring algorithm the profile allows, not RS256.
        caps.introspection_response_algs = caps.id_token_algs.clone();
        caps.dpop_algs = FAPI2_DPOP_ALGS.to_vec();
        caps.features.require_pushed_requests = true;
        caps.features.pushed_requests = true;
        caps.features.iss_parameter = true;
        caps.features.dpop = true;
        caps.features.require_dpop = true;
    }
}

/// The algorithm `client`'s ID tokens (and logout tokens) are signed with. Under FAPI 2.0
/// (§5.4.1) a client that registered none gets the first allowed algorithm of the key ring
/// instead of the RS256 default of OIDC Registration §2; one that registered a forbidden
/// algorithm (RS256, HS256) before the profile was switched on is refused.
pub fn id_token_alg(config: &ProviderConfig, client: &Client) -> Result<SigningAlg, OAuthError> {
    let alg = client.id_token_alg();
    if !config.profile.is_fapi2() || FAPI2_SIGNING_ALGS.contains(&alg) {
        return Ok(alg);
    }
    if client.record().id_token_signed_response_alg.is_some() {
        return Err(OAuthError::unauthorized_client(
            "this client's id_token_signed_response_alg is not allowed by the FAPI 2.0 \
             Security Profile (PS256, ES256 or EdDSA)",
        ));
    }
    config
        .signing_algs
        .iter()
        .copied()
        .find(|a| FAPI2_SIGNING_ALGS.contains(a))
        .ok_or_else(|| OAuthError::server("no FAPI 2.0 signing algorithm in the key ring"))
}
