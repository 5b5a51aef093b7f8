//! A short-lived in-process cache of client registrations for the token-like endpoints, which
//! look the client up on every request. Registrations change rarely; a change reaches every
//! instance within [`CLIENT_CACHE_TTL`]. Secrets are still checked on every request.

use oxid_store::{ClientRecord, Store, StoreResult};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long a cached registration is trusted.
pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(10);
/// Beyond this many entries the cache starts over, so it cannot grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// Client registrations by id, each with the instant it was read.
#[derive(Default)]
pub struct ClientCache {
    entries: RwLock<HashMap<String, (ClientRecord, Instant)>>,
}

impl ClientCache {
    /// The client `client_id`, from the cache when fresh, else from the store. Unknown ids
    /// are not cached: a client registered a moment ago is found at once.
    pub async fn get(
        &self,
        store: &dyn Store,
        client_id: &str,
    ) -> StoreResult<Option<ClientRecord>> {
        if let Some(record) = self.fresh(client_id) {
            return Ok(Some(record));
        }
        let record = store.get_client(client_id).await?;
        if let Some(record) = &record {
            let mut entries = match self.entries.write() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(client_id.to_string(), (record.clone(), Instant::now()));
        }
        Ok(record)
    }

    fn fresh(&self, client_id: &str) -> Option<ClientRecord> {
        let entries = match self.entries.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (record, read_at) = entries.get(client_id)?;
        (read_at.elapsed() < CLIENT_CACHE_TTL).then(|| record.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, name: &str) -> ClientRecord {
        ClientRecord {
            client_id: id.into(),
            secret_hash: None,
            secret_encrypted: None,
            client_name: Some(name.into()),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            response_types: vec![],
            token_endpoint_auth_method: "none".into(),
            scopes: vec![],
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            skip_consent: false,
            metadata: serde_json::json!({}),
            registration_token_hash: None,
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn serves_fresh_entries_and_never_caches_a_miss() {
        let store = oxid_store::open("sqlite::memory:").await.unwrap();
        let cache = ClientCache::default();
        assert_eq!(cache.get(store.as_ref(), "app").await.unwrap(), None);
        store.insert_client(&client("app", "one")).await.unwrap();
        let first = cache.get(store.as_ref(), "app").await.unwrap().unwrap();
        assert_eq!(
            first.client_name.as_deref(),
            Some("one"),
            "a miss was not cached"
        );
        store.update_client(&client("app", "two")).await.unwrap();
        let cached = cache.get(store.as_ref(), "app").await.unwrap().unwrap();
        assert_eq!(cached.client_name.as_deref(), Some("one"), "within the TTL");
    }
}
