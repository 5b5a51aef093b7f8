//! JWT client authentication, `client_secret_jwt` and `private_key_jwt` (RFC 7523 §2.2, §3;
//! OIDC Core §9): the client proves itself with a short-lived JWT it signed. Checked in this
//! order: the algorithm (never `none`; HS256 only with the client's own secret; the client's
//! registered `token_endpoint_auth_signing_alg` when it has one), the signature, the claims
//! (`iss` = `sub` = client_id, `aud`, `exp` required and short, `iat`/`nbf` not in the
//! future), and last the `jti`, remembered in the store until the assertion expires so that
//! a replay fails on every instance. Every failure is `invalid_client`.

use oxid_client::jwks::jwk_params;
use oxid_client::jws::VerifyingKey;
use oxid_protocol::jose::{Alg, CompactJws};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::admin::client_secret_context;
use crate::capabilities::{AuthEndpoint, ClientAuthMethod};
use crate::client::Client;
use crate::client_auth::throttled_check;
use crate::client_keys::Want;
use crate::config::ConfigError;
use crate::crypto::jws::SigningAlg;
use crate::crypto::secrets::sha256_hex;
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::state::Provider;

/// The `[client_assertions]` settings (docs/configuration.md).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AssertionSettings {
    /// The furthest ahead an assertion's `exp` may be, in seconds: a long-lived assertion is
    /// a bearer credential that can be stolen and used later (once: its `jti` is remembered).
    /// The default is an hour because Authlib signs its assertions for an hour (Okta's limit
    /// too); openid-client and oauth4webapi sign for 60 seconds.
    pub max_lifetime_seconds: u64,
    /// Clock difference tolerated for `exp`, `iat` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

impl Default for AssertionSettings {
    fn default() -> Self {
        AssertionSettings {
            max_lifetime_seconds: 3600,
            leeway_seconds: 60,
        }
    }
}

impl AssertionSettings {
    /// Checks the numbers; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=3600).contains(&self.max_lifetime_seconds) {
            return Err(ConfigError {
                key: "client_assertions.max_lifetime_seconds",
                message: "must be 1..=3600 seconds".into(),
            });
        }
        if self.leeway_seconds > 300 {
            return Err(ConfigError {
                key: "client_assertions.leeway_seconds",
                message: "must be at most 300 seconds".into(),
            });
        }
        Ok(())
    }
}

/// A client assertion as received: split and typed, not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    jws: CompactJws,
    alg: Alg,
    claims: Map<String, Value>,
}

fn refused(why: impl std::fmt::Display) -> OAuthError {
    OAuthError::invalid_client(format!("client assertion refused: {why}"))
}

impl Assertion {
    /// Splits `token` (a compact JWS whose payload is a JSON object). `none` and unknown
    /// algorithms are refused here, before anything else is read.
    pub fn parse(token: &str) -> Result<Assertion, OAuthError> {
        let jws = CompactJws::parse(token).map_err(refused)?;
        let name = jws.header().alg.as_str();
        let alg = Alg::from_name(name)
            .ok_or_else(|| refused(format!("alg {name:?} is not accepted (RFC 7523 §3)")))?;
        let claims: Map<String, Value> = jws.payload_json().map_err(refused)?;
        Ok(Assertion { jws, alg, claims })
    }

    /// The `sub` claim, unverified: the client when the request sent no `client_id`.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// The method the assertion is for: an HMAC is `client_secret_jwt`, a signature by a key
    /// pair `private_key_jwt` (OIDC Core §9).
    pub fn method(&self) -> ClientAuthMethod {
        if self.alg.is_hmac() {
            ClientAuthMethod::ClientSecretJwt
        } else {
            ClientAuthMethod::PrivateKeyJwt
        }
    }

    fn string(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }

    /// A NumericDate claim (RFC 7519 §2), whole seconds; `Err` when present but not a number.
    fn time(&self, claim: &str) -> Result<Option<u64>, OAuthError> {
        match self.claims.get(claim) {
            None => Ok(None),
            Some(value) => match value.as_f64() {
                Some(t) if t >= 0.0 => Ok(Some(t as u64)),
                _ => Err(refused(format!("{claim} is not a NumericDate"))),
            },
        }
    }
}

/// Verifies `assertion` for `client` (whose method is the assertion's) at `endpoint`.
pub async fn verify_assertion(
    provider: &Provider,
    endpoint: AuthEndpoint,
    client: &Client,
    assertion: &Assertion,
) -> Result<(), OAuthError> {
    let alg = accepted_alg(provider, endpoint, client, assertion)?;
    match assertion.method() {
        ClientAuthMethod::ClientSecretJwt => verify_hmac(provider, client, assertion, alg).await?,
        _ => verify_signature(provider, client, assertion, alg).await?,
    }
    let expires_at = check_claims(provider, endpoint, client, assertion)?;
    let Some(jti) = assertion.string("jti").filter(|j| !j.is_empty()) else {
        return Err(refused("jti is required (RFC 7523 §3)"));
    };
    // One row per (client, jti), of fixed size whatever the jti's length.
    let key = sha256_hex(&format!("{}\n{jti}", client.id()));
    if !provider.store().remember_jti(&key, expires_at).await? {
        return Err(refused("this jti was used before (a replayed assertion)"));
    }
    Ok(())
}

/// The assertion's algorithm, when this endpoint accepts it and the client registered it
/// (or registered none).
fn accepted_alg(
    provider: &Provider,
    endpoint: AuthEndpoint,
    client: &Client,
    assertion: &Assertion,
) -> Result<SigningAlg, OAuthError> {
    let name = assertion.alg.as_str();
    let accepted = &provider.capabilities().auth(endpoint).signing_algs;
    let alg = SigningAlg::try_from(assertion.alg)
        .ok()
        .filter(|alg| accepted.contains(alg))
        .ok_or_else(|| refused(format!("alg {name} is not one of {accepted:?}")))?;
    if let Some(registered) = client
        .token_endpoint_auth_signing_alg()
        .filter(|r| *r != alg)
    {
        return Err(refused(format!(
            "the client registered token_endpoint_auth_signing_alg {registered}, not {name}"
        )));
    }
    Ok(alg)
}

/// `client_secret_jwt`: an HMAC keyed by the client's secret, kept encrypted for this.
/// A wrong HMAC counts as a failed secret (issue 13's throttle), as it is one.
async fn verify_hmac(
    provider: &Provider,
    client: &Client,
    assertion: &Assertion,
    alg: SigningAlg,
) -> Result<(), OAuthError> {
    let Some(sealed) = client.record().secret_encrypted.as_deref() else {
        return Err(OAuthError::server(format!(
            "client {} uses client_secret_jwt but has no stored secret",
            client.id()
        )));
    };
    let secret = provider
        .secret_box()
        .decrypt_for(&client_secret_context(client.id()), sealed)?;
    let key = VerifyingKey::Hmac(secret);
    let jws = &assertion.jws;
    throttled_check(provider, client.id(), || {
        key.verify(alg.alg(), jws.signing_input(), jws.signature())
            .is_ok()
    })
    .await
}

/// `private_key_jwt`: a signature by one of the client's keys; an unknown `kid` makes the
/// `jwks_uri` set be fetched again (rate-limited, see `client_keys`).
async fn verify_signature(
    provider: &Provider,
    client: &Client,
    assertion: &Assertion,
    alg: SigningAlg,
) -> Result<(), OAuthError> {
    let kid = assertion.jws.header().kid.as_deref();
    let want = kid.map_or(Want::Any, Want::Kid);
    let keys = provider
        .client_keys()
        .keys(provider.outbound(), client, want, provider.now())
        .await
        .map_err(refused)?;
    let jws = &assertion.jws;
    let mut candidates = keys.candidates(kid, alg.as_str()).peekable();
    if candidates.peek().is_none() {
        return Err(refused(match kid {
            Some(kid) => format!("no key of the client has kid {kid:?} and fits {alg}"),
            None => format!("no key of the client fits {alg}"),
        }));
    }
    let verified = candidates.any(|jwk| {
        VerifyingKey::from_jwk(&jwk_params(jwk), alg.alg())
            .and_then(|key| key.verify(alg.alg(), jws.signing_input(), jws.signature()))
            .is_ok()
    });
    if !verified {
        return Err(refused(
            "the signature does not verify with the client's keys",
        ));
    }
    Ok(())
}

/// RFC 7523 §3 rules 1-5 and OIDC Core §9; the time until which the assertion could be
/// accepted (when its `jti` may be forgotten).
fn check_claims(
    provider: &Provider,
    endpoint: AuthEndpoint,
    client: &Client,
    assertion: &Assertion,
) -> Result<u64, OAuthError> {
    let config = provider.config();
    let rules = config.client_assertions;
    let now = provider.now();
    for claim in ["iss", "sub"] {
        if assertion.string(claim) != Some(client.id()) {
            return Err(refused(format!("{claim} must be the client_id")));
        }
    }
    let audiences = accepted_audiences(provider, endpoint);
    let aud_ok = match assertion.claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| audiences.iter().any(|a| a == aud)),
        _ => false,
    };
    if !aud_ok {
        return Err(refused(format!("aud must be one of {audiences:?}")));
    }
    let Some(exp) = assertion.time("exp")? else {
        return Err(refused("exp is required (RFC 7523 §3)"));
    };
    if exp.saturating_add(rules.leeway_seconds) <= now {
        return Err(refused("it has expired"));
    }
    if exp > now.saturating_add(rules.max_lifetime_seconds + rules.leeway_seconds) {
        return Err(refused(format!(
            "exp is more than {} seconds ahead",
            rules.max_lifetime_seconds
        )));
    }
    for claim in ["iat", "nbf"] {
        if assertion
            .time(claim)?
            .is_some_and(|t| t > now.saturating_add(rules.leeway_seconds))
        {
            return Err(refused(format!("{claim} is in the future")));
        }
    }
    Ok(exp.saturating_add(rules.leeway_seconds))
}

/// The issuer, the token endpoint, and the endpoint the assertion was sent to; the PAR
/// endpoint authenticates as the token endpoint does, and RFC 9126 §2 has it accept its own
/// URL too.
fn accepted_audiences(provider: &Provider, endpoint: AuthEndpoint) -> Vec<String> {
    let config = provider.config();
    let mut audiences = vec![
        config.issuer.clone(),
        config.endpoint(paths::TOKEN),
        config.endpoint(paths::PUSHED_AUTHORIZATION_REQUEST),
    ];
    let here = match endpoint {
        AuthEndpoint::Token => None,
        AuthEndpoint::Revocation => Some(paths::REVOCATION),
        AuthEndpoint::Introspection => Some(paths::INTROSPECTION),
    };
    audiences.extend(here.map(|path| config.endpoint(path)));
    audiences
}

#[cfg(test)]
#[path = "client_assertion_tests.rs"]
mod tests;
