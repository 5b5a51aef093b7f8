//! [`Metered`] for keys, throttling, device grants, replay, exchange, the outbox, pushed
//! requests, health and the change feed.

use async_trait::async_trait;

use super::Metered;
use crate::*;

#[async_trait]
impl KeyStore for Metered {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        self.timed("insert_key", self.inner.insert_key(key)).await
    }
    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>> {
        self.timed("list_keys", self.inner.list_keys(now)).await
    }
    async fn update_key(&self, key: &KeyRecord) -> StoreResult<bool> {
        self.timed("update_key", self.inner.update_key(key)).await
    }
    async fn apply_key_changes(&self, changes: &KeyChangeSet) -> StoreResult<bool> {
        self.timed("apply_key_changes", self.inner.apply_key_changes(changes))
            .await
    }
    async fn acquire_rotation_lease(
        &self,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        self.timed(
            "acquire_rotation_lease",
            self.inner.acquire_rotation_lease(holder, now, until),
        )
        .await
    }
    async fn release_rotation_lease(&self, holder: &str) -> StoreResult<()> {
        self.timed(
            "release_rotation_lease",
            self.inner.release_rotation_lease(holder),
        )
        .await
    }
}

#[async_trait]
impl ThrottleStore for Metered {
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount> {
        self.timed(
            "record_failure",
            self.inner.record_failure(key, now, policy),
        )
        .await
    }
    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        self.timed("clear_failures", self.inner.clear_failures(key))
            .await
    }
    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>> {
        self.timed("locked_until", self.inner.locked_until(key, now))
            .await
    }
}

#[async_trait]
impl DeviceStore for Metered {
    async fn insert_device_grant(&self, grant: &DeviceGrantRecord) -> StoreResult<()> {
        self.timed("insert_device_grant", self.inner.insert_device_grant(grant))
            .await
    }
    async fn pending_device_grant(
        &self,
        user_code_hash: &str,
        now: u64,
    ) -> StoreResult<Option<DeviceGrantRecord>> {
        self.timed(
            "pending_device_grant",
            self.inner.pending_device_grant(user_code_hash, now),
        )
        .await
    }
    async fn decide_device_grant(
        &self,
        user_code_hash: &str,
        decision: &DeviceDecision,
        now: u64,
    ) -> StoreResult<bool> {
        self.timed(
            "decide_device_grant",
            self.inner
                .decide_device_grant(user_code_hash, decision, now),
        )
        .await
    }
    async fn poll_device_grant(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<DevicePoll> {
        self.timed(
            "poll_device_grant",
            self.inner
                .poll_device_grant(device_code_hash, client_id, now),
        )
        .await
    }
}

#[async_trait]
impl ReplayStore for Metered {
    async fn remember_jti(&self, key: &str, expires_at: u64) -> StoreResult<bool> {
        self.timed("remember_jti", self.inner.remember_jti(key, expires_at))
            .await
    }
}

#[async_trait]
impl ExchangeStore for Metered {
    async fn insert_exchanged_grant(&self, grant: &ExchangedGrantRecord) -> StoreResult<()> {
        self.timed(
            "insert_exchanged_grant",
            self.inner.insert_exchanged_grant(grant),
        )
        .await
    }
    async fn get_exchanged_grant(
        &self,
        grant_id: &str,
    ) -> StoreResult<Option<ExchangedGrantRecord>> {
        self.timed(
            "get_exchanged_grant",
            self.inner.get_exchanged_grant(grant_id),
        )
        .await
    }
}

#[async_trait]
impl OutboxStore for Metered {
    async fn end_session(
        &self,
        key: &SessionKey,
        now: u64,
        give_up_at: u64,
    ) -> StoreResult<Option<SessionRecord>> {
        self.timed("end_session", self.inner.end_session(key, now, give_up_at))
            .await
    }
    async fn renew_session(&self, id_hash: &str, now: u64, expires_at: u64) -> StoreResult<bool> {
        self.timed(
            "renew_session",
            self.inner.renew_session(id_hash, now, expires_at),
        )
        .await
    }
    async fn claim_deliveries(
        &self,
        holder: &str,
        now: u64,
        lease_until: u64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        self.timed(
            "claim_deliveries",
            self.inner.claim_deliveries(holder, now, lease_until, limit),
        )
        .await
    }
    async fn finish_delivery(
        &self,
        id: &str,
        holder: &str,
        outcome: DeliveryOutcome,
        now: u64,
    ) -> StoreResult<bool> {
        self.timed(
            "finish_delivery",
            self.inner.finish_delivery(id, holder, outcome, now),
        )
        .await
    }
    async fn purge_finished_deliveries(&self, before: u64, limit: u32) -> StoreResult<u64> {
        self.timed(
            "purge_finished_deliveries",
            self.inner.purge_finished_deliveries(before, limit),
        )
        .await
    }
    async fn end_expired_sessions(
        &self,
        now: u64,
        give_up_at: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionRecord>> {
        self.timed(
            "end_expired_sessions",
            self.inner.end_expired_sessions(now, give_up_at, limit),
        )
        .await
    }
    async fn pending_deliveries(&self) -> StoreResult<u64> {
        self.timed("pending_deliveries", self.inner.pending_deliveries())
            .await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        self.timed(
            "acquire_lease",
            self.inner.acquire_lease(name, holder, now, until),
        )
        .await
    }
}

#[async_trait]
impl PushedRequestStore for Metered {
    async fn insert_pushed_request(&self, request: &PushedRequestRecord) -> StoreResult<()> {
        self.timed(
            "insert_pushed_request",
            self.inner.insert_pushed_request(request),
        )
        .await
    }
    async fn take_pushed_request(
        &self,
        request_uri_hash: &str,
        now: u64,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        self.timed(
            "take_pushed_request",
            self.inner.take_pushed_request(request_uri_hash, now),
        )
        .await
    }
}

#[async_trait]
impl HealthStore for Metered {
    async fn check_health(&self) -> StoreResult<()> {
        self.timed("check_health", self.inner.check_health()).await
    }
    fn connection_stats(&self) -> Option<ConnectionStats> {
        self.inner.connection_stats()
    }
    fn queue_stats(&self) -> Vec<QueueStats> {
        self.inner.queue_stats()
    }
    fn query_times(&self) -> Option<Vec<OpTimes>> {
        Some(self.snapshot())
    }
}

impl ChangeFeed for Metered {
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<StoreChange> {
        self.inner.subscribe_changes()
    }
}
