//! A short-lived in-process cache of client registrations for the token-like endpoints, which
//! look the client up on every request. Registrations change rarely; a change reaches every
//! instance at once through the store's change feed (`state::spawn_invalidation`), and within
//! the configured lifetime (`cache_seconds`) should a notification be missed. Secrets are
//! still checked on every request. What is cached is the typed [`Client`], read from the
//! stored strings once and shared (`Arc`): a request takes a reference, not a deep copy of
//! the registration (a dozen allocations per token request).

use oxid_store::{Store, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::client::Client;

/// Beyond this many entries the cache starts over, so it cannot grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// Client registrations by id, each with the instant it was read.
pub struct ClientCache {
    entries: RwLock<HashMap<String, (Arc<Client>, Instant)>>,
    /// How long an entry is trusted.
    ttl: Duration,
}

impl ClientCache {
    /// An empty cache whose entries are trusted for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        ClientCache {
            entries: RwLock::default(),
            ttl,
        }
    }

    /// The client `client_id`, from the cache when fresh, else from the store. Unknown ids
    /// are not cached: a client registered a moment ago is found at once. A stored row this
    /// provider cannot read is a fault of the store, not of the request.
    pub async fn get(
        &self,
        store: &dyn Store,
        client_id: &str,
    ) -> StoreResult<Option<Arc<Client>>> {
        if let Some(client) = self.fresh(client_id) {
            return Ok(Some(client));
        }
        let Some(record) = store.get_client(client_id).await? else {
            return Ok(None);
        };
        let client = Client::from_record(record).map_err(|e| StoreError::Backend(e.to_string()))?;
        let client = Arc::new(client);
        let mut entries = self.write();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(client_id.to_string(), (client.clone(), Instant::now()));
        Ok(Some(client))
    }

    /// Drops `client_id`'s entry, after the client changed or was removed.
    pub fn forget(&self, client_id: &str) {
        self.write().remove(client_id);
    }

    /// Drops every entry (changes may have been missed).
    pub fn clear(&self) {
        self.write().clear();
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, (Arc<Client>, Instant)>> {
        match self.entries.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn fresh(&self, client_id: &str) -> Option<Arc<Client>> {
        let entries = match self.entries.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (client, read_at) = entries.get(client_id)?;
        (read_at.elapsed() < self.ttl).then(|| client.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::ClientAuthMethod;
    use crate::test_support::{provider_with_keys, stored_client};

    #[tokio::test]
    async fn serves_fresh_entries_and_never_caches_a_miss() {
        let provider = provider_with_keys(|_| {}).await;
        let store = provider.store();
        let cache = ClientCache::new(Duration::from_secs(60));
        assert!(cache.get(store, "app").await.unwrap().is_none());
        let mut record = stored_client(&provider, "app", ClientAuthMethod::None, &[], &[]).await;
        let first = cache.get(store, "app").await.unwrap().unwrap();
        assert_eq!(first.record(), &record, "a miss was not cached");
        record.client_name = Some("renamed".into());
        store.update_client(&record).await.unwrap();
        let cached = cache.get(store, "app").await.unwrap().unwrap();
        assert_eq!(cached.record().client_name, None, "within the TTL");
        cache.forget("app");
        let reread = cache.get(store, "app").await.unwrap().unwrap();
        assert_eq!(reread.record(), &record, "forgotten, so read again");
        record.client_name = Some("again".into());
        store.update_client(&record).await.unwrap();
        cache.clear();
        let reread = cache.get(store, "app").await.unwrap().unwrap();
        assert_eq!(reread.record(), &record, "cleared, so read again");
    }
}
