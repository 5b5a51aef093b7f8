//! DPoP (RFC 9449): a client proves, request by request, that it holds a private key, and the
//! tokens it gets are bound to that key's thumbprint (`cnf.jkt`, §6). Proofs are checked as
//! §4.3 lists (one header, a well-formed JWT, `typ`, an asymmetric `alg` we verify, the
//! signature by the public `jwk` in the header, `htm`, `htu` normalized, `iat` within a
//! window, `ath` at resources) and their `jti` is remembered in the store until the proof
//! would be too old anyway, so a replay fails on every instance (§11.1).

use aws_lc_rs::digest;
use axum::http::HeaderMap;
use oxid_client::jwks::jwk_params;
use oxid_client::jws::VerifyingKey;
use oxid_protocol::jose::{Alg, CompactJws, TYP_DPOP_JWT, b64url_encode};
use oxid_protocol::jwk::Jwk;
use serde::Deserialize;
use url::Url;

use crate::client::Client;
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::state::Provider;
use oxid_protocol::token::TokenErrorCode;

/// The proof algorithms accepted (§5.1 `dpop_signing_alg_values_supported`): the asymmetric
/// ones we verify; never `none` or an HMAC (§4.3 check 5).
pub const DPOP_ALGS: [Alg; 8] = [
    Alg::ES256,
    Alg::ES384,
    Alg::EdDSA,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
    Alg::RS256,
    Alg::RS384,
];

/// How far a proof's `iat` may be from our clock, either way, in seconds (§11.1: proofs are
/// accepted only for a short time; their `jti` is remembered for as long).
pub const IAT_WINDOW: u64 = 60;

/// The request a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// The HTTP method (`htm`).
    pub method: &'a str,
    /// The endpoint's URL as published (`htu`); query and fragment are ignored.
    pub url: &'a str,
    /// The access token presented with it at a resource (`ath`, §4.3 check 12).
    pub access_token: Option<&'a str>,
}

/// A proof that passed every check but the replay one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// The JWK SHA-256 thumbprint (RFC 7638) of its key, base64url.
    pub jkt: String,
    jti: String,
    iat: u64,
    alg: Alg,
    /// The server-provided nonce it carries (§8), if any.
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: u64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// The one `DPoP` header of a request, if any (§4.3 check 1: not more than one).
pub fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, String> {
    let mut values = headers.get_all("dpop").iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => value
            .to_str()
            .map(Some)
            .map_err(|_| "the DPoP header is not a JWT".to_string()),
        _ => Err("more than one DPoP header (RFC 9449 §4.3)".into()),
    }
}

/// RFC 7638 §3: the base64url SHA-256 of the key's canonical members.
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    let input = jwk.thumbprint_input()?;
    Some(b64url_encode(digest::digest(
        &digest::SHA256,
        input.as_bytes(),
    )))
}

/// Whether `value` has the form of a SHA-256 thumbprint: 43 base64url characters (§10).
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `ath` (§4.2): the base64url SHA-256 of the access token.
pub fn access_token_hash(access_token: &str) -> String {
    b64url_encode(digest::digest(&digest::SHA256, access_token.as_bytes()))
}

/// §4.3 checks 2 to 9, 11 and the `ath` of 12, at `now`; the description of the first that
/// fails.
pub fn check_proof(
    proof: &str,
    target: &ProofTarget<'_>,
    now: u64,
) -> Result<CheckedProof, String> {
    let jws = CompactJws::parse(proof).map_err(|_| "the DPoP proof is not a JWT".to_string())?;
    let header = jws.header();
    if !header.typ_is(TYP_DPOP_JWT) {
        return Err("the DPoP proof's typ must be dpop+jwt".into());
    }
    let alg = Alg::from_name(&header.alg)
        .filter(|alg| DPOP_ALGS.contains(alg))
        .ok_or_else(|| format!("the DPoP proof's alg {:?} is not accepted", header.alg))?;
    let jwk = header
        .extra
        .get("jwk")
        .and_then(|v| v.as_object())
        .and_then(|m| Jwk::from_json_map(m.clone()).ok())
        .ok_or("the DPoP proof's header has no usable jwk")?;
    if jwk.is_private() {
        return Err("the DPoP proof's jwk holds a private key".into());
    }
    let verified = VerifyingKey::from_jwk(&jwk_params(&jwk), alg)
        .and_then(|key| key.verify(alg, jws.signing_input(), jws.signature()));
    if verified.is_err() {
        return Err("the DPoP proof's signature does not verify with its jwk".into());
    }
    let claims: ProofClaims = jws
        .payload_json()
        .map_err(|_| "the DPoP proof lacks jti, htm, htu or iat".to_string())?;
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err("the DPoP proof's jti is empty or too long".into());
    }
    if claims.htm != target.method {
        return Err(format!("the DPoP proof's htm must be {}", target.method));
    }
    if !same_target_uri(&claims.htu, target.url) {
        return Err(format!("the DPoP proof's htu must be {}", target.url));
    }
    if claims.iat.abs_diff(now) > IAT_WINDOW {
        return Err("the DPoP proof's iat is too far from the current time".into());
    }
    if let Some(token) = target.access_token {
        let expected = access_token_hash(token);
        if claims.ath.as_deref() != Some(expected.as_str()) {
            return Err("the DPoP proof's ath is not the hash of the access token".into());
        }
    }
    let jkt = thumbprint(&jwk).ok_or("the DPoP proof's jwk has no thumbprint")?;
    Ok(CheckedProof {
        jkt,
        jti: claims.jti,
        iat: claims.iat,
        alg,
        nonce: claims.nonce,
    })
}

/// §4.3 check 9 with the normalization it recommends (RFC 3986 §6.2.2, §6.2.3: case of
/// scheme and host, default port, dot segments), query and fragment left out.
fn same_target_uri(htu: &str, expected: &str) -> bool {
    let strip = |s: &str| {
        Url::parse(s).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    matches!((strip(htu), strip(expected)), (Some(a), Some(b)) if a == b)
}

/// The request's proof checked for `target`, its `jti` remembered (§11.1): the key's
/// thumbprint, `None` without a `DPoP` header, or why the proof is refused.
pub async fn verify_request(
    provider: &Provider,
    headers: &HeaderMap,
    target: &ProofTarget<'_>,
) -> Result<Option<String>, DpopRefusal> {
    let Some(proof) = proof_header(headers).map_err(DpopRefusal::Invalid)? else {
        return Ok(None);
    };
    let checked = check_proof(proof, target, provider.now()).map_err(DpopRefusal::Invalid)?;
    // §5.1: the deployment's list may be narrower than what we can verify (FAPI 2.0).
    if !provider.capabilities().dpop_algs.contains(&checked.alg) {
        return Err(DpopRefusal::Invalid(format!(
            "the DPoP proof's alg {} is not accepted here",
            checked.alg.as_str()
        )));
    }
    // §8, §9: checked before the jti is remembered, so the retry may reuse nothing but the key.
    if let Some(why) = crate::dpop_nonce::refusal(provider, checked.nonce.as_deref()) {
        return Err(DpopRefusal::UseNonce(why));
    }
    let key = format!("dpop:{}:{}", checked.jkt, checked.jti);
    let first = provider
        .store()
        .remember_jti(&key, checked.iat.saturating_add(IAT_WINDOW + 1))
        .await
        .map_err(DpopRefusal::Store)?;
    if !first {
        return Err(DpopRefusal::Invalid(
            "the DPoP proof's jti was used before (RFC 9449 §11.1)".into(),
        ));
    }
    Ok(Some(checked.jkt))
}

/// Why a request's proof is refused.
#[derive(Debug)]
pub enum DpopRefusal {
    /// `invalid_dpop_proof`, with its description.
    Invalid(String),
    /// `use_dpop_nonce` (§8, §9): the proof lacks a current server nonce.
    UseNonce(&'static str),
    /// The replay check could not reach the store.
    Store(oxid_store::StoreError),
}

/// How a resource request presented its access token (RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// `Authorization: Bearer` (or the form body): no proof.
    Bearer,
    /// `Authorization: DPoP` with a valid proof by the key of this thumbprint.
    Dpop(&'a str),
}

/// §7.1 and §4.3 check 12: a bound token is honoured only with the DPoP scheme and a proof
/// by its key; an unbound one only as a bearer token.
pub fn check_binding(bound: Option<&str>, presented: Presented<'_>) -> Result<(), OAuthError> {
    let refuse = |why: &'static str| Err(OAuthError::dpop_resource("invalid_token", why));
    match (bound, presented) {
        (None, Presented::Bearer) => Ok(()),
        (Some(jkt), Presented::Dpop(proved)) if jkt == proved => Ok(()),
        (Some(_), Presented::Bearer) => {
            refuse("this access token is DPoP-bound: present it with the DPoP scheme and a proof")
        }
        (Some(_), Presented::Dpop(_)) => {
            refuse("the DPoP proof is not by the key this access token is bound to")
        }
        (None, Presented::Dpop(_)) => {
            refuse("this access token is not DPoP-bound; present it as a Bearer token")
        }
    }
}

/// §5 at the token endpoint: the key of the request's proof, if it sent one; a client that
/// registered `dpop_bound_access_tokens` must (§5.2), and every client must under FAPI 2.0.
pub async fn token_request_key(
    provider: &Provider,
    headers: &HeaderMap,
    client: &Client,
) -> Result<Option<String>, OAuthError> {
    let key = endpoint_key(provider, headers, paths::TOKEN).await?;
    if key.is_none() && client.requires_dpop() {
        return Err(OAuthError::token(
            TokenErrorCode::InvalidDpopProof,
            "this client must send a DPoP proof with its token requests (RFC 9449 §5.2)",
        ));
    }
    if key.is_none() && provider.capabilities().features.require_dpop {
        return Err(OAuthError::token(
            TokenErrorCode::InvalidDpopProof,
            "every token request must carry a DPoP proof: access tokens are sender-constrained \
             here (FAPI 2.0 Security Profile §5.3.2.1)",
        ));
    }
    Ok(key)
}

/// The key of the proof a request to the authorization server's endpoint at `path` carries
/// (the token endpoint, §5; the PAR endpoint, §10.1), if any; refusals are token errors
/// (`invalid_dpop_proof`, or `use_dpop_nonce` with a fresh nonce, §8).
pub async fn endpoint_key(
    provider: &Provider,
    headers: &HeaderMap,
    path: &str,
) -> Result<Option<String>, OAuthError> {
    // Most token requests carry no proof: no endpoint URL to build for them.
    if !headers.contains_key("dpop") {
        return Ok(None);
    }
    let url = provider.config().endpoint(path);
    let target = ProofTarget {
        method: "POST",
        url: &url,
        access_token: None,
    };
    match verify_request(provider, headers, &target).await {
        Ok(key) => Ok(key),
        Err(DpopRefusal::Invalid(why)) => {
            Err(OAuthError::token(TokenErrorCode::InvalidDpopProof, why))
        }
        Err(DpopRefusal::UseNonce(why)) => Err(OAuthError::use_dpop_nonce(
            crate::dpop_nonce::current(provider),
            false,
            why,
        )),
        Err(DpopRefusal::Store(e)) => Err(e.into()),
    }
}

/// §7.1 at a resource at `path`: the key of the proof that goes with `access_token` under the
/// DPoP scheme (required there).
pub async fn resource_key(
    provider: &Provider,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    access_token: &str,
) -> Result<String, OAuthError> {
    let url = provider.config().endpoint(path);
    let target = ProofTarget {
        method,
        url: &url,
        access_token: Some(access_token),
    };
    let invalid = |why: String| OAuthError::dpop_resource("invalid_dpop_proof", why);
    match verify_request(provider, headers, &target).await {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(invalid("the DPoP scheme needs a DPoP proof".into())),
        Err(DpopRefusal::Invalid(why)) => Err(invalid(why)),
        Err(DpopRefusal::UseNonce(why)) => Err(OAuthError::use_dpop_nonce(
            crate::dpop_nonce::current(provider),
            true,
            why,
        )),
        Err(DpopRefusal::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
