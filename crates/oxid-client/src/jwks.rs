//! The provider's key set, cached; a token whose `kid` is unknown triggers one refetch
//! (keys rotate, OIDC Core §10.1.1), at most once per [`MIN_REFETCH_INTERVAL`] so a flood of
//! forged `kid`s cannot make the client hammer the provider.

use oxid_protocol::jose::CompactJws;
use oxid_protocol::jwk::{Jwk, JwkSet, KeyParams};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::ClientError;
use crate::http::HttpClient;
use crate::jws::{JwkParams, JwsAlgorithm, JwsError, VerifyingKey, parse_algorithm};

/// Seconds between two fetches of the key set triggered by unknown `kid`s.
pub const MIN_REFETCH_INTERVAL: u64 = 60;

/// The members of a protocol [`Jwk`] that verification reads.
pub fn jwk_params(jwk: &Jwk) -> JwkParams<'_> {
    let mut p = JwkParams {
        kty: jwk.kty(),
        alg: jwk.alg.as_deref(),
        use_: jwk.use_.as_deref(),
        key_ops: jwk.key_ops.as_deref(),
        ..Default::default()
    };
    match &jwk.params {
        KeyParams::Rsa { n, e } => {
            p.n = Some(n);
            p.e = Some(e);
        }
        KeyParams::Ec { crv, x, y } => {
            p.crv = Some(crv);
            p.x = Some(x);
            p.y = Some(y);
        }
        KeyParams::Okp { crv, x } => {
            p.crv = Some(crv);
            p.x = Some(x);
        }
        KeyParams::Oct { .. } | KeyParams::Unknown { .. } => {}
    }
    p
}

/// Reads a JWK Set, skipping keys that do not parse (one odd key must not hide the others).
pub fn parse_jwk_set(value: Value) -> Option<JwkSet> {
    let Value::Object(mut set) = value else {
        return None;
    };
    let Some(Value::Array(keys)) = set.remove("keys") else {
        return None;
    };
    let keys = keys
        .into_iter()
        .filter_map(|k| match k {
            Value::Object(m) => Jwk::from_json_map(m).ok(),
            _ => None,
        })
        .collect();
    Some(JwkSet::new(keys))
}

#[derive(Debug, Default)]
struct CacheState {
    keys: Option<JwkSet>,
    last_fetch: Option<u64>,
}

/// A cached key set read from a `jwks_uri`.
#[derive(Debug)]
pub struct JwksCache {
    uri: String,
    state: Mutex<CacheState>,
}

impl JwksCache {
    /// A cache for `jwks_uri`, empty until first used.
    pub fn new(jwks_uri: impl Into<String>) -> Self {
        Self {
            uri: jwks_uri.into(),
            state: Mutex::new(CacheState::default()),
        }
    }

    /// A cache already holding `keys` (fetched at `now`).
    pub fn with_keys(jwks_uri: impl Into<String>, keys: JwkSet, now: u64) -> Self {
        Self {
            uri: jwks_uri.into(),
            state: Mutex::new(CacheState {
                keys: Some(keys),
                last_fetch: Some(now),
            }),
        }
    }

    async fn fetch(&self, http: &HttpClient) -> Result<JwkSet, ClientError> {
        if self.uri.is_empty() {
            return Err(ClientError::Unsupported(
                "the metadata has no jwks_uri".into(),
            ));
        }
        let response = http
            .get(
                &self.uri,
                "application/jwk-set+json, application/json",
                None,
            )
            .await?
            .require_success()?;
        parse_jwk_set(response.json()?).ok_or_else(|| ClientError::InvalidResponse {
            url: self.uri.clone(),
            detail: "not a JWK Set".into(),
        })
    }

    /// Verifies a JWS: `alg` in `allowed` (never `none`); HMAC only with `client_secret`;
    /// otherwise a key of the set fitting `kid` and `alg`, refetching the set once when none
    /// does (rate limited). Returns the algorithm used.
    pub async fn verify(
        &self,
        http: &HttpClient,
        jws: &CompactJws,
        allowed: &[JwsAlgorithm],
        client_secret: Option<&str>,
        now: u64,
    ) -> Result<JwsAlgorithm, ClientError> {
        let header = jws.header();
        let alg = parse_algorithm(&header.alg, allowed)?;
        if alg.is_hmac() {
            let secret = client_secret.ok_or(JwsError::NoClientSecret)?;
            VerifyingKey::from_client_secret(secret).verify(
                alg,
                jws.signing_input(),
                jws.signature(),
            )?;
            return Ok(alg);
        }
        let kid = header.kid.as_deref();
        let mut state = self.state.lock().await;
        if state.keys.is_none() {
            state.keys = Some(self.fetch(http).await?);
            state.last_fetch = Some(now);
        }
        let first = try_keys(state.keys.as_ref(), jws, alg, kid);
        if !matches!(
            first,
            Err(JwsError::UnknownKid(_)) | Err(JwsError::NoMatchingKey)
        ) {
            return first.map(|()| alg).map_err(ClientError::from);
        }
        let may_refetch = state
            .last_fetch
            .is_none_or(|t| now >= t.saturating_add(MIN_REFETCH_INTERVAL));
        if !may_refetch {
            return Err(first.err().unwrap_or(JwsError::NoMatchingKey).into());
        }
        state.keys = Some(self.fetch(http).await?);
        state.last_fetch = Some(now);
        try_keys(state.keys.as_ref(), jws, alg, kid)?;
        Ok(alg)
    }
}

/// Tries the keys of `set` that fit `kid` and `alg`.
fn try_keys(
    set: Option<&JwkSet>,
    jws: &CompactJws,
    alg: JwsAlgorithm,
    kid: Option<&str>,
) -> Result<(), JwsError> {
    let Some(set) = set else {
        return Err(JwsError::NoMatchingKey);
    };
    let mut usable = 0;
    for jwk in set.candidates(kid, alg.as_str()) {
        let Ok(key) = VerifyingKey::from_jwk(&jwk_params(jwk), alg) else {
            continue;
        };
        usable += 1;
        if key
            .verify(alg, jws.signing_input(), jws.signature())
            .is_ok()
        {
            return Ok(());
        }
    }
    match (usable, kid) {
        (0, Some(kid)) => Err(JwsError::UnknownKid(kid.to_owned())),
        (0, None) => Err(JwsError::NoMatchingKey),
        _ => Err(JwsError::BadSignature),
    }
}
