//! The public keys a client verifies with (`private_key_jwt`, OIDC Core §9, §10.1.1): its
//! registered `jwks`, or the set at its `jwks_uri`, fetched through [`Outbound`] and cached.
//! A `kid` the cached set lacks means the client rotated its keys: the set is fetched again,
//! at most once per [`REFETCH_INTERVAL`] per client, so a stream of made-up `kid`s cannot turn
//! the provider into a load generator against the client's server.

use oxid_client::jwks::parse_jwk_set;
use oxid_protocol::jwk::JwkSet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::client::Client;
use crate::outbound::{FetchError, Outbound};

/// Seconds a fetched key set is used without asking again.
pub const CACHE_FOR: u64 = 300;
/// Seconds between two fetches of one client's set (for an unknown `kid`, or after a failure).
pub const REFETCH_INTERVAL: u64 = 30;
/// Beyond this many clients the cache starts over, so it cannot grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// Why no key set could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// The client registered neither `jwks` nor `jwks_uri`.
    #[error("the client has registered no keys (jwks or jwks_uri)")]
    NoKeys,
    /// The registered `jwks` is not a JWK Set.
    #[error("the client's registered jwks is not a JWK Set")]
    BadRegistered,
    /// The `jwks_uri` could not be fetched.
    #[error("the client's jwks_uri could not be fetched: {0}")]
    Fetch(#[from] FetchError),
    /// The `jwks_uri` answer is not a JWK Set.
    #[error("the client's jwks_uri does not serve a JWK Set")]
    BadFetched,
    /// A fetch failed a moment ago; the next is not due yet.
    #[error("the client's jwks_uri failed recently; not fetched again yet")]
    RecentlyFailed,
}

/// One client's fetched set.
struct Entry {
    uri: String,
    keys: Option<Arc<JwkSet>>,
    fetched_at: u64,
    attempted_at: u64,
}

/// Key sets fetched from `jwks_uri`, by client.
#[derive(Default)]
pub struct ClientKeys {
    entries: Mutex<HashMap<String, Entry>>,
}

/// How a caller wants the set: any (the cached one will do) or one holding `kid`.
#[derive(Debug, Clone, Copy)]
pub enum Want<'a> {
    /// The set as cached, while fresh.
    Any,
    /// A set holding this `kid`, fetched again when the cached one lacks it (rate-limited).
    Kid(&'a str),
}

impl ClientKeys {
    /// The keys of `client` at `now`: the registered `jwks`, or the (cached) `jwks_uri` set.
    pub async fn keys(
        &self,
        outbound: &Outbound,
        client: &Client,
        want: Want<'_>,
        now: u64,
    ) -> Result<Arc<JwkSet>, KeysError> {
        if let Some(jwks) = client.jwks() {
            let set = parse_jwk_set(jwks.clone()).ok_or(KeysError::BadRegistered)?;
            return Ok(Arc::new(set));
        }
        let Some(uri) = client
            .record()
            .metadata
            .get("jwks_uri")
            .and_then(|u| u.as_str())
        else {
            return Err(KeysError::NoKeys);
        };
        self.fetched(outbound, client.id(), uri, want, now).await
    }

    /// The (cached) set at `uri` for `owner`, a client id or another owner's key (a trusted
    /// issuer's, see `trusted_jwt`), with the same caching and refetch limits.
    pub async fn fetched(
        &self,
        outbound: &Outbound,
        owner: &str,
        uri: &str,
        want: Want<'_>,
        now: u64,
    ) -> Result<Arc<JwkSet>, KeysError> {
        match self.cached(owner, uri, want, now) {
            Cached::Use(keys) => return Ok(keys),
            Cached::NotDue(Some(keys)) => return Ok(keys),
            Cached::NotDue(None) => return Err(KeysError::RecentlyFailed),
            Cached::Fetch => {}
        }
        let fetched = fetch_set(outbound, uri).await;
        let mut entries = self.lock();
        let entry = entries.get_mut(owner).filter(|e| e.uri == uri);
        match (fetched, entry) {
            (Ok(set), Some(entry)) => {
                let set = Arc::new(set);
                entry.keys = Some(set.clone());
                entry.fetched_at = now;
                Ok(set)
            }
            (Ok(set), None) => Ok(Arc::new(set)),
            // A failed refetch keeps the set we had: a client's server being down for a
            // moment does not lock its keys out (they were good a moment ago).
            (
                Err(e),
                Some(Entry {
                    keys: Some(keys), ..
                }),
            ) if matches!(want, Want::Any) => {
                tracing::warn!(owner, error = %e, "jwks_uri refetch failed");
                Ok(keys.clone())
            }
            (Err(e), _) => Err(e),
        }
    }

    /// What to do for `client_id` now; a fetch about to be made is recorded as attempted,
    /// so that concurrent requests do not all fetch.
    fn cached(&self, client_id: &str, uri: &str, want: Want<'_>, now: u64) -> Cached {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(client_id) {
            entries.clear();
        }
        let entry = entries
            .entry(client_id.to_string())
            .and_modify(|e| {
                if e.uri != uri {
                    // The client changed its jwks_uri: forget the old set.
                    *e = Entry::new(uri);
                }
            })
            .or_insert_with(|| Entry::new(uri));
        let fresh = entry.keys.is_some() && now < entry.fetched_at.saturating_add(CACHE_FOR);
        let has_kid = |keys: &JwkSet| match want {
            Want::Any => true,
            Want::Kid(kid) => keys.find(kid).is_some(),
        };
        if fresh && entry.keys.as_deref().is_some_and(has_kid) {
            return Cached::Use(entry.keys.clone().unwrap_or_default());
        }
        let due =
            entry.attempted_at == 0 || now >= entry.attempted_at.saturating_add(REFETCH_INTERVAL);
        if !due {
            return Cached::NotDue(entry.keys.clone());
        }
        entry.attempted_at = now;
        Cached::Fetch
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Entry {
    fn new(uri: &str) -> Entry {
        Entry {
            uri: uri.to_string(),
            keys: None,
            fetched_at: 0,
            attempted_at: 0,
        }
    }
}

enum Cached {
    Use(Arc<JwkSet>),
    NotDue(Option<Arc<JwkSet>>),
    Fetch,
}

async fn fetch_set(outbound: &Outbound, uri: &str) -> Result<JwkSet, KeysError> {
    // RFC 7517 §8.5: application/jwk-set+json; many servers answer application/json.
    let accept = "application/jwk-set+json, application/json";
    let body = outbound.get(uri, accept).await?;
    let value = serde_json::from_slice(&body).map_err(|_| KeysError::BadFetched)?;
    parse_jwk_set(value).ok_or(KeysError::BadFetched)
}
