//! [`Detached`]'s consents, keys and change feed (the rest is in `detached.rs`).

use crate::{
    ChangeFeed, ConsentRecord, ConsentStore, Detached, KeyChangeSet, KeyRecord, KeyStore,
    StoreChange, StoreResult,
};
use async_trait::async_trait;

#[async_trait]
impl ConsentStore for Detached {
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
        let consent = consent.clone();
        self.run(|s| async move { s.put_consent(&consent).await })
            .await
    }
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        let (user_id, client_id) = (user_id.to_owned(), client_id.to_owned());
        self.run(|s| async move { s.get_consent(&user_id, &client_id).await })
            .await
    }
    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>> {
        let user_id = user_id.to_owned();
        self.run(|s| async move { s.list_consents(&user_id).await })
            .await
    }
    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<Option<u64>> {
        let (user_id, client_id) = (user_id.to_owned(), client_id.to_owned());
        self.run(|s| async move { s.revoke_consent(&user_id, &client_id, now).await })
            .await
    }
}

#[async_trait]
impl KeyStore for Detached {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.run(|s| async move { s.insert_key(&key).await }).await
    }
    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>> {
        self.run(move |s| async move { s.list_keys(now).await })
            .await
    }
    async fn update_key(&self, key: &KeyRecord) -> StoreResult<bool> {
        let key = key.clone();
        self.run(|s| async move { s.update_key(&key).await }).await
    }
    async fn apply_key_changes(&self, changes: &KeyChangeSet) -> StoreResult<bool> {
        let changes = changes.clone();
        self.run(|s| async move { s.apply_key_changes(&changes).await })
            .await
    }
    async fn acquire_rotation_lease(
        &self,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let holder = holder.to_owned();
        self.run(move |s| async move { s.acquire_rotation_lease(&holder, now, until).await })
            .await
    }
    async fn release_rotation_lease(&self, holder: &str) -> StoreResult<()> {
        let holder = holder.to_owned();
        self.run(|s| async move { s.release_rotation_lease(&holder).await })
            .await
    }
}

impl ChangeFeed for Detached {
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<StoreChange> {
        self.inner.subscribe_changes()
    }
}
