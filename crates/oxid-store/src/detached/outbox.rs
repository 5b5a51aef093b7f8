//! [`Detached`] for the outbox and leases: each operation runs to its end on its own task.

use async_trait::async_trait;

use super::Detached;
use crate::outbox::{DeliveryOutcome, DeliveryRecord, OutboxStore, SessionKey};
use crate::{SessionRecord, StoreResult};

#[async_trait]
impl OutboxStore for Detached {
    async fn end_session(
        &self,
        key: &SessionKey,
        now: u64,
        give_up_at: u64,
    ) -> StoreResult<Option<SessionRecord>> {
        let key = key.clone();
        self.run(|s| async move { s.end_session(&key, now, give_up_at).await })
            .await
    }
    async fn renew_session(&self, id_hash: &str, now: u64, expires_at: u64) -> StoreResult<bool> {
        let id_hash = id_hash.to_owned();
        self.run(|s| async move { s.renew_session(&id_hash, now, expires_at).await })
            .await
    }
    async fn claim_deliveries(
        &self,
        holder: &str,
        now: u64,
        lease_until: u64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let holder = holder.to_owned();
        self.run(|s| async move { s.claim_deliveries(&holder, now, lease_until, limit).await })
            .await
    }
    async fn finish_delivery(
        &self,
        id: &str,
        holder: &str,
        outcome: DeliveryOutcome,
        now: u64,
    ) -> StoreResult<bool> {
        let (id, holder) = (id.to_owned(), holder.to_owned());
        self.run(|s| async move { s.finish_delivery(&id, &holder, outcome, now).await })
            .await
    }
    async fn purge_finished_deliveries(&self, before: u64, limit: u32) -> StoreResult<u64> {
        self.run(|s| async move { s.purge_finished_deliveries(before, limit).await })
            .await
    }
    async fn end_expired_sessions(
        &self,
        now: u64,
        give_up_at: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionRecord>> {
        self.run(|s| async move { s.end_expired_sessions(now, give_up_at, limit).await })
            .await
    }
    async fn pending_deliveries(&self) -> StoreResult<u64> {
        self.run(|s| async move { s.pending_deliveries().await })
            .await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.run(|s| async move { s.acquire_lease(&name, &holder, now, until).await })
            .await
    }
}
