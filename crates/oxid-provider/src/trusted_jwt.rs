//! A JWT signed by a trusted issuer (`[[trusted_issuers]]`), verified: the JWT bearer grant's
//! assertion (RFC 7523 §3) and token exchange's `jwt` subject and actor tokens (RFC 8693 §3).
//! Checked in this order: the algorithm (a key pair's: never `none`, never an HMAC, whose key
//! would be a secret shared with us), `iss` one of ours to trust, the signature by one of its
//! keys, `aud` naming us, `exp` present, not past and not too far ahead, `nbf`/`iat` not in
//! the future (each with [`LEEWAY`]), `sub` present. Replay (`jti`) is the caller's rule.

use oxid_client::jwks::jwk_params;
use oxid_client::jws::VerifyingKey;
use oxid_protocol::jose::{Alg, CompactJws};
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::client_keys::Want;
use crate::state::Provider;
use crate::trusted_issuers::{IssuerKeys, LEEWAY, TrustedIssuer};

/// A verified JWT of a trusted issuer.
#[derive(Debug, Clone)]
pub struct TrustedJwt<'a> {
    /// Who signed it.
    pub issuer: &'a TrustedIssuer,
    /// Its `sub`.
    pub subject: String,
    /// Its claims.
    pub claims: Map<String, Value>,
    /// Its `exp` plus the leeway: until then it could be accepted (a `jti` is kept so long).
    pub acceptable_until: u64,
}

impl TrustedJwt<'_> {
    /// A string claim.
    pub fn string(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }
}

/// Why a JWT was refused; the text names the failed check and is safe to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(why: impl Into<String>) -> Refused {
    Refused(why.into())
}

/// Whether `token` (a compact JWS) names a trusted issuer in `iss`, unverified: for telling
/// a trusted issuer's JWT from one of ours.
pub fn unverified_issuer(token: &str) -> Option<String> {
    let jws = CompactJws::parse(token).ok()?;
    let claims: Map<String, Value> = jws.payload_json().ok()?;
    claims.get("iss").and_then(Value::as_str).map(String::from)
}

/// Verifies `token` at the provider's `now`.
pub async fn verify<'p>(provider: &'p Provider, token: &str) -> Result<TrustedJwt<'p>, Refused> {
    let now = provider.now();
    let jws = CompactJws::parse(token).map_err(|e| refused(format!("not a signed JWT: {e}")))?;
    let name = jws.header().alg.as_str();
    // RFC 7523 §3 rule 9 and RFC 8725 §3.1: the algorithm is ours to choose, not the JWT's.
    let alg = Alg::from_name(name)
        .filter(|alg| !alg.is_hmac())
        .ok_or_else(|| {
            refused(format!(
                "alg {name:?} is not accepted: RS*, PS*, ES* or EdDSA (never none or HMAC)"
            ))
        })?;
    let claims: Map<String, Value> = jws
        .payload_json()
        .map_err(|_| refused("the payload is not a JSON object"))?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let issuer = provider
        .config()
        .trusted_issuers
        .iter()
        .find(|i| i.issuer == iss)
        .ok_or_else(|| refused(format!("iss {iss:?} is not a trusted issuer (RFC 7523 §3)")))?;
    verify_signature(provider, issuer, &jws, alg, now).await?;
    let acceptable_until = check_claims(issuer, &claims, now)?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refused("sub is required (RFC 7523 §3)"))?
        .to_string();
    Ok(TrustedJwt {
        issuer,
        subject,
        claims,
        acceptable_until,
    })
}

async fn verify_signature(
    provider: &Provider,
    issuer: &TrustedIssuer,
    jws: &CompactJws,
    alg: Alg,
    now: u64,
) -> Result<(), Refused> {
    let kid = jws.header().kid.as_deref();
    let keys = match &issuer.keys {
        IssuerKeys::Set(set) => Arc::clone(set),
        IssuerKeys::Uri(uri) => {
            let want = kid.map_or(Want::Any, Want::Kid);
            let owner = issuer.cache_key();
            provider
                .client_keys()
                .fetched(provider.outbound(), &owner, uri, want, now)
                .await
                .map_err(|e| {
                    tracing::warn!(issuer = issuer.issuer, error = %e, "trusted issuer keys");
                    refused("the issuer's keys could not be had")
                })?
        }
    };
    let mut candidates = keys.candidates(kid, alg.as_str()).peekable();
    if candidates.peek().is_none() {
        return Err(refused(match kid {
            Some(kid) => format!("no key of the issuer has kid {kid:?} and fits {alg:?}"),
            None => format!("no key of the issuer fits {alg:?}"),
        }));
    }
    let verified = candidates.any(|jwk| {
        VerifyingKey::from_jwk(&jwk_params(jwk), alg)
            .and_then(|key| key.verify(alg, jws.signing_input(), jws.signature()))
            .is_ok()
    });
    if verified {
        Ok(())
    } else {
        Err(refused(
            "the signature does not verify with the issuer's keys",
        ))
    }
}

/// A NumericDate claim (RFC 7519 §2), whole seconds.
fn time(claims: &Map<String, Value>, claim: &str) -> Result<Option<u64>, Refused> {
    match claims.get(claim) {
        None => Ok(None),
        Some(value) => match value.as_f64() {
            Some(t) if t >= 0.0 => Ok(Some(t as u64)),
            _ => Err(refused(format!("{claim} is not a NumericDate"))),
        },
    }
}

/// RFC 7523 §3 rules 3-5: `aud`, `exp`, `nbf`, `iat`; the time until which it is acceptable.
fn check_claims(
    issuer: &TrustedIssuer,
    claims: &Map<String, Value>,
    now: u64,
) -> Result<u64, Refused> {
    let accepted = |aud: &str| issuer.audiences.iter().any(|a| a == aud);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => accepted(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
        _ => false,
    };
    if !aud_ok {
        return Err(refused(format!(
            "aud must name one of {:?} (RFC 7523 §3)",
            issuer.audiences
        )));
    }
    let Some(exp) = time(claims, "exp")? else {
        return Err(refused("exp is required (RFC 7523 §3)"));
    };
    if exp.saturating_add(LEEWAY) <= now {
        return Err(refused("it has expired (exp)"));
    }
    if exp > now.saturating_add(issuer.max_lifetime + LEEWAY) {
        return Err(refused(format!(
            "exp is more than {} seconds ahead",
            issuer.max_lifetime
        )));
    }
    for claim in ["nbf", "iat"] {
        if time(claims, claim)?.is_some_and(|t| t > now.saturating_add(LEEWAY)) {
            return Err(refused(format!("{claim} is in the future")));
        }
    }
    Ok(exp.saturating_add(LEEWAY))
}
