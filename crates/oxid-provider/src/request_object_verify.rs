//! Verifying a request object (OIDC Core §6.1, RFC 9101 §6): the algorithm (the client's
//! registered `request_object_signing_alg` when it has one; `none` only when it registered
//! `none` and does not require signed objects), the signature with the client's keys (or,
//! HS256, its secret), then the claims. A signed object must carry `iss` = client_id,
//! `aud` = our issuer and an `exp` at most [`MAX_LIFETIME`] ahead (RFC 9101 §4, §10.2);
//! an unsigned one proves nothing, so its `iss`/`aud`/`exp` are checked only when present (the
//! conformance suite's unsigned objects carry none). `nbf`/`iat` must not be in the future
//! and a `jti`, when present, is refused the second time (the replay store of client
//! assertions, so on every instance).

use oxid_client::jwks::jwk_params;
use oxid_client::jws::VerifyingKey;
use oxid_protocol::jose::CompactJws;
use serde_json::{Map, Value};

use crate::admin::client_secret_context;
use crate::client::Client;
use crate::client_keys::Want;
use crate::crypto::jws::SigningAlg;
use crate::crypto::secrets::sha256_hex;
use crate::error::OAuthError;
use crate::request_object::{Refusal, RequestObjectPolicy, decrypt_if_encrypted};
use crate::state::Provider;

/// The furthest ahead a signed request object's `exp` may be, in seconds (FAPI 2.0 Message
/// Signing §5.3.2.1 asks for at most 60 minutes between `nbf` and `exp`).
pub const MAX_LIFETIME: u64 = 3600;
/// Clock difference tolerated for `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY: u64 = 60;

/// The algorithms request objects may be signed with: every one we verify, and `none`
/// (accepted only from a client that registered it).
pub fn supported_algs() -> Vec<&'static str> {
    let mut algs: Vec<&'static str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    algs.push("none");
    algs
}

/// The claims of `jwt`, a request object of `client`, once verified.
pub(crate) async fn verify(
    provider: &Provider,
    client: &Client,
    policy: &RequestObjectPolicy,
    jwt: &str,
) -> Result<Result<Map<String, Value>, Refusal>, OAuthError> {
    let jwt = match decrypt_if_encrypted(provider, jwt) {
        Ok(jwt) => jwt,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let jws = match CompactJws::parse(&jwt) {
        Ok(jws) => jws,
        Err(e) => return Ok(Err(Refusal::object(format!("not a JWT: {e}")))),
    };
    let name = jws.header().alg.as_str();
    let signed = name != "none";
    if let Err(refusal) = accepted_alg(policy, name) {
        return Ok(Err(refusal));
    }
    let checked = if signed {
        check_signature(provider, client, &jws).await?
    } else if jws.signature().is_empty() {
        Ok(())
    } else {
        Err(Refusal::object("an alg none object has no signature"))
    };
    if let Err(refusal) = checked {
        return Ok(Err(refusal));
    }
    let claims: Map<String, Value> = match jws.payload_json() {
        Ok(claims) => claims,
        Err(_) => return Ok(Err(Refusal::object("the payload is not a JSON object"))),
    };
    let keep_until = match check_claims(provider, client, &claims, signed) {
        Ok(until) => until,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        // Apart from client assertions' jtis, of fixed size whatever the jti's length.
        let key = sha256_hex(&format!("request-object\n{}\n{jti}", client.id()));
        if !provider.store().remember_jti(&key, keep_until).await? {
            return Ok(Err(Refusal::object(
                "this request object was used before (its jti is replayed)",
            )));
        }
    }
    Ok(Ok(claims))
}

/// OIDC Core §6.1, RFC 9101 §10.5, OIDC Registration §2 `request_object_signing_alg`.
fn accepted_alg(policy: &RequestObjectPolicy, name: &str) -> Result<(), Refusal> {
    if name == "none" {
        if policy.require_signed {
            return Err(Refusal::object(
                "this client must sign its request objects (require_signed_request_object)",
            ));
        }
        if policy.alg.as_deref() != Some("none") {
            return Err(Refusal::object(
                "unsigned (alg none) request objects are accepted only from a client that \
                 registered request_object_signing_alg none",
            ));
        }
        return Ok(());
    }
    if !supported_algs().contains(&name) {
        return Err(Refusal::object(format!(
            "alg {} is not one of {:?}",
            oxid_protocol::echo_value(name),
            supported_algs()
        )));
    }
    match &policy.alg {
        Some(registered) if registered != name => Err(Refusal::object(format!(
            "the client registered request_object_signing_alg {registered}, not {name}"
        ))),
        _ => Ok(()),
    }
}

/// The signature, by the client's secret (HS256) or one of its keys.
async fn check_signature(
    provider: &Provider,
    client: &Client,
    jws: &CompactJws,
) -> Result<Result<(), Refusal>, OAuthError> {
    let Ok(alg) = jws.header().alg.parse::<SigningAlg>() else {
        return Ok(Err(Refusal::object("unknown alg")));
    };
    let verified = if alg == SigningAlg::HS256 {
        let Some(sealed) = client.record().secret_encrypted.as_deref() else {
            return Ok(Err(Refusal::object(
                "HS256 needs the client's secret, which this client does not have",
            )));
        };
        let secret = provider
            .secret_box()
            .decrypt_for(&client_secret_context(client.id()), sealed)?;
        VerifyingKey::Hmac(secret)
            .verify(alg.alg(), jws.signing_input(), jws.signature())
            .is_ok()
    } else {
        let kid = jws.header().kid.as_deref();
        let keys = match provider
            .client_keys()
            .keys(
                provider.outbound(),
                client,
                kid.map_or(Want::Any, Want::Kid),
                provider.now(),
            )
            .await
        {
            Ok(keys) => keys,
            Err(e) => return Ok(Err(Refusal::object(e.to_string()))),
        };
        keys.candidates(kid, alg.as_str()).any(|jwk| {
            VerifyingKey::from_jwk(&jwk_params(jwk), alg.alg())
                .and_then(|key| key.verify(alg.alg(), jws.signing_input(), jws.signature()))
                .is_ok()
        })
    };
    Ok(if verified {
        Ok(())
    } else {
        Err(Refusal::object(
            "the signature does not verify with the client's keys",
        ))
    })
}

/// A NumericDate claim (RFC 7519 §2) in whole seconds.
fn time(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, Refusal> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => match value.as_f64() {
            Some(t) if t >= 0.0 => Ok(Some(t as u64)),
            _ => Err(Refusal::object(format!("{name} is not a NumericDate"))),
        },
    }
}

/// `iss`, `aud`, `exp`, `nbf`, `iat` (see the module comment); the time until which the
/// object could be accepted, for its `jti`.
fn check_claims(
    provider: &Provider,
    client: &Client,
    claims: &Map<String, Value>,
    signed: bool,
) -> Result<u64, Refusal> {
    let now = provider.now();
    let issuer = &provider.config().issuer;
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == client.id() => {}
        None if !signed => {}
        _ => return Err(Refusal::object("iss must be the client_id (RFC 9101 §4)")),
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == issuer,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(issuer)),
        None => !signed,
        _ => false,
    };
    if !aud_ok {
        return Err(Refusal::object(format!(
            "aud must be the issuer {issuer} (RFC 9101 §4)"
        )));
    }
    let exp = time(claims, "exp")?;
    let keep_until = match exp {
        None if signed => return Err(Refusal::object("exp is required")),
        None => now.saturating_add(MAX_LIFETIME + LEEWAY),
        Some(exp) if exp.saturating_add(LEEWAY) <= now => {
            return Err(Refusal::object("the request object has expired"));
        }
        Some(exp) if exp > now.saturating_add(MAX_LIFETIME + LEEWAY) => {
            return Err(Refusal::object(format!(
                "exp is more than {MAX_LIFETIME} seconds ahead"
            )));
        }
        Some(exp) => exp.saturating_add(LEEWAY),
    };
    for name in ["nbf", "iat"] {
        if time(claims, name)?.is_some_and(|t| t > now.saturating_add(LEEWAY)) {
            return Err(Refusal::object(format!("{name} is in the future")));
        }
    }
    // FAPI 2.0 Message Signing §5.3.2.1: not older than an hour either.
    if time(claims, "nbf")?.is_some_and(|nbf| nbf.saturating_add(MAX_LIFETIME + LEEWAY) < now) {
        return Err(Refusal::object("nbf is more than an hour ago"));
    }
    Ok(keep_until)
}
