//! A store whose operations no caller can interrupt (issue 9, "cancellation cannot reach the
//! store").
//!
//! An HTTP handler's future is dropped at whatever `.await` it was on when its client goes
//! away. Dropping a database driver's future mid-operation can leave a connection inside a
//! transaction (sqlx #3932, #2054, #4393), so [`Detached`] runs every operation of its inner
//! store on a task of its own and only the *waiting* is bounded or cancellable: the task
//! always runs to its commit or rollback. Whatever the caller does, it never sees a result
//! that was not committed, and after [`StoreOptions::timeout`](crate::StoreOptions) it gets
//! [`StoreError::Unavailable`] instead of hanging.

use crate::{
    ClientRecord, ClientStore, CodeConsumption, CodeRecord, CodeStore, HealthStore,
    RefreshRotation, SessionRecord, SessionStore, Store, StoreError, StoreResult, TokenRecord,
    TokenStore, UserRecord, UserStore,
};
use crate::{DeviceDecision, DeviceGrantRecord, DevicePoll, DeviceStore};
use crate::{ExchangeStore, ExchangedGrantRecord};
use crate::{
    FailureCount, PushedRequestRecord, PushedRequestStore, ReplayStore, ThrottlePolicy,
    ThrottleStore,
};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

mod outbox;

/// Runs each operation of `inner` on its own tokio task and waits at most `timeout` for it.
pub struct Detached {
    pub(crate) inner: Arc<dyn Store>,
    timeout: Duration,
}

impl Detached {
    /// Wraps `inner`; callers wait at most `timeout` per operation.
    pub fn new(inner: Arc<dyn Store>, timeout: Duration) -> Self {
        Detached { inner, timeout }
    }

    /// Spawns `op` on the inner store and waits for it within the time limit. The arguments
    /// are owned by `op`, so the task outlives a caller that is dropped or times out.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<dyn Store>) -> Fut,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
    {
        let task = tokio::spawn(op(Arc::clone(&self.inner)));
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            // A panic inside the store is a bug, not an outage: report it as such.
            Ok(Err(join)) => Err(StoreError::Backend(format!("store task failed: {join}"))),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

#[async_trait]
impl ClientStore for Detached {
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<()> {
        let client = client.clone();
        self.run(|s| async move { s.insert_client(&client).await })
            .await
    }
    async fn update_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        let client = client.clone();
        self.run(|s| async move { s.update_client(&client).await })
            .await
    }
    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        let client_id = client_id.to_owned();
        self.run(|s| async move { s.get_client(&client_id).await })
            .await
    }
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        self.run(|s| async move { s.list_clients().await }).await
    }
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        let client_id = client_id.to_owned();
        self.run(|s| async move { s.delete_client(&client_id).await })
            .await
    }
}

#[async_trait]
impl UserStore for Detached {
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        let user = user.clone();
        self.run(|s| async move { s.insert_user(&user).await })
            .await
    }
    async fn get_user(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        let id = id.to_owned();
        self.run(|s| async move { s.get_user(&id).await }).await
    }
    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let username = username.to_owned();
        self.run(|s| async move { s.get_user_by_username(&username).await })
            .await
    }
    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<UserRecord>> {
        let email = email.to_owned();
        self.run(|s| async move { s.find_users_by_email(&email).await })
            .await
    }
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        self.run(|s| async move { s.list_users().await }).await
    }
    async fn update_user(&self, user: &UserRecord) -> StoreResult<bool> {
        let user = user.clone();
        self.run(|s| async move { s.update_user(&user).await })
            .await
    }
    async fn replace_password_hash(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let (id, old, new) = (id.to_owned(), old_hash.to_owned(), new_hash.to_owned());
        self.run(|s| async move { s.replace_password_hash(&id, &old, &new).await })
            .await
    }
    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        let username = username.to_owned();
        self.run(|s| async move { s.delete_user(&username).await })
            .await
    }
}

#[async_trait]
impl SessionStore for Detached {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let session = session.clone();
        self.run(|s| async move { s.insert_session(&session).await })
            .await
    }
    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let id_hash = id_hash.to_owned();
        self.run(move |s| async move { s.get_session(&id_hash, now).await })
            .await
    }
    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let sid = sid.to_owned();
        self.run(move |s| async move { s.get_session_by_sid(&sid, now).await })
            .await
    }
    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        now: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        let user_id = user_id.map(str::to_owned);
        self.run(move |s| async move { s.list_sessions(user_id.as_deref(), now).await })
            .await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let id_hash = id_hash.to_owned();
        self.run(|s| async move { s.delete_session(&id_hash).await })
            .await
    }
    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()> {
        let (sid, client_id) = (sid.to_owned(), client_id.to_owned());
        self.run(|s| async move { s.add_session_client(&sid, &client_id).await })
            .await
    }
    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        let sid = sid.to_owned();
        self.run(|s| async move { s.session_clients(&sid).await })
            .await
    }
    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool> {
        let id_hash = id_hash.to_owned();
        self.run(move |s| async move { s.claim_interaction(&id_hash, expires_at).await })
            .await
    }
}

#[async_trait]
impl CodeStore for Detached {
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()> {
        let code = code.clone();
        self.run(|s| async move { s.insert_code(&code).await })
            .await
    }
    async fn consume_code(&self, code_hash: &str, now: u64) -> StoreResult<CodeConsumption> {
        let code_hash = code_hash.to_owned();
        self.run(move |s| async move { s.consume_code(&code_hash, now).await })
            .await
    }
}

#[async_trait]
impl TokenStore for Detached {
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        let token = token.clone();
        self.run(|s| async move { s.insert_token(&token).await })
            .await
    }
    async fn get_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let token_hash = token_hash.to_owned();
        self.run(|s| async move { s.get_token(&token_hash).await })
            .await
    }
    async fn get_token_view(
        &self,
        token_hash: &str,
        exchanged_grant: bool,
    ) -> StoreResult<Option<crate::TokenView>> {
        let token_hash = token_hash.to_owned();
        self.run(|s| async move { s.get_token_view(&token_hash, exchanged_grant).await })
            .await
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_tokens: &[TokenRecord],
        sealed_reply: Option<&[u8]>,
        now: u64,
    ) -> StoreResult<RefreshRotation> {
        let (old_hash, new_tokens) = (old_hash.to_owned(), new_tokens.to_vec());
        let sealed_reply = sealed_reply.map(<[u8]>::to_vec);
        self.run(move |s| async move {
            s.rotate_refresh_token(&old_hash, &new_tokens, sealed_reply.as_deref(), now)
                .await
        })
        .await
    }
    async fn revoke_token(&self, token_hash: &str, now: u64) -> StoreResult<bool> {
        let token_hash = token_hash.to_owned();
        self.run(move |s| async move { s.revoke_token(&token_hash, now).await })
            .await
    }
    async fn revoke_grant(&self, grant_id: &str, now: u64) -> StoreResult<u64> {
        let grant_id = grant_id.to_owned();
        self.run(move |s| async move { s.revoke_grant(&grant_id, now).await })
            .await
    }
    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        self.run(move |s| async move { s.purge_expired(now).await })
            .await
    }
    async fn purge_expired_chunk(&self, now: u64, limit: u64) -> StoreResult<u64> {
        self.run(move |s| async move { s.purge_expired_chunk(now, limit).await })
            .await
    }
}

#[async_trait]
impl HealthStore for Detached {
    async fn check_health(&self) -> StoreResult<()> {
        self.run(|s| async move { s.check_health().await }).await
    }
    fn connection_stats(&self) -> Option<crate::ConnectionStats> {
        self.inner.connection_stats()
    }
    fn queue_stats(&self) -> Vec<crate::QueueStats> {
        self.inner.queue_stats()
    }
    fn query_times(&self) -> Option<Vec<crate::OpTimes>> {
        self.inner.query_times()
    }
}

#[async_trait]
impl ThrottleStore for Detached {
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount> {
        let (key, policy) = (key.to_owned(), *policy);
        self.run(move |s| async move { s.record_failure(&key, now, &policy).await })
            .await
    }
    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        self.run(|s| async move { s.clear_failures(&key).await })
            .await
    }
    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>> {
        let key = key.to_owned();
        self.run(move |s| async move { s.locked_until(&key, now).await })
            .await
    }
}

#[async_trait]
impl DeviceStore for Detached {
    async fn insert_device_grant(&self, grant: &DeviceGrantRecord) -> StoreResult<()> {
        let grant = grant.clone();
        self.run(|s| async move { s.insert_device_grant(&grant).await })
            .await
    }
    async fn pending_device_grant(
        &self,
        user_code_hash: &str,
        now: u64,
    ) -> StoreResult<Option<DeviceGrantRecord>> {
        let hash = user_code_hash.to_owned();
        self.run(move |s| async move { s.pending_device_grant(&hash, now).await })
            .await
    }
    async fn decide_device_grant(
        &self,
        user_code_hash: &str,
        decision: &DeviceDecision,
        now: u64,
    ) -> StoreResult<bool> {
        let (hash, decision) = (user_code_hash.to_owned(), decision.clone());
        self.run(move |s| async move { s.decide_device_grant(&hash, &decision, now).await })
            .await
    }
    async fn poll_device_grant(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<DevicePoll> {
        let (hash, client_id) = (device_code_hash.to_owned(), client_id.to_owned());
        self.run(move |s| async move { s.poll_device_grant(&hash, &client_id, now).await })
            .await
    }
}

#[async_trait]
impl ReplayStore for Detached {
    async fn remember_jti(&self, key: &str, expires_at: u64) -> StoreResult<bool> {
        let key = key.to_owned();
        self.run(move |s| async move { s.remember_jti(&key, expires_at).await })
            .await
    }
}

#[async_trait]
impl ExchangeStore for Detached {
    async fn insert_exchanged_grant(&self, grant: &ExchangedGrantRecord) -> StoreResult<()> {
        let grant = grant.clone();
        self.run(|s| async move { s.insert_exchanged_grant(&grant).await })
            .await
    }
    async fn get_exchanged_grant(
        &self,
        grant_id: &str,
    ) -> StoreResult<Option<ExchangedGrantRecord>> {
        let grant_id = grant_id.to_owned();
        self.run(|s| async move { s.get_exchanged_grant(&grant_id).await })
            .await
    }
}

#[async_trait]
impl PushedRequestStore for Detached {
    async fn insert_pushed_request(&self, request: &PushedRequestRecord) -> StoreResult<()> {
        let request = request.clone();
        self.run(move |s| async move { s.insert_pushed_request(&request).await })
            .await
    }
    async fn take_pushed_request(
        &self,
        request_uri_hash: &str,
        now: u64,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        let hash = request_uri_hash.to_owned();
        self.run(move |s| async move { s.take_pushed_request(&hash, now).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The wrapper over SQLite in memory, with a given time limit.
    async fn detached(timeout: Duration) -> Detached {
        let inner = crate::open("sqlite::memory:").await.unwrap();
        Detached::new(inner, timeout)
    }

    #[tokio::test]
    async fn operations_pass_through_with_their_results() {
        let store = detached(Duration::from_secs(5)).await;
        assert!(store.list_users().await.unwrap().is_empty());
        assert_eq!(store.get_client("nobody").await.unwrap(), None);
        store.check_health().await.unwrap();
    }

    #[tokio::test]
    async fn a_slow_operation_answers_unavailable_in_time_and_still_completes() {
        let store = detached(Duration::from_millis(50)).await;
        let finished = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&finished);
        let started = std::time::Instant::now();
        let err = store
            .run(|_| async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                seen.store(true, Ordering::SeqCst);
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_millis(250));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            finished.load(Ordering::SeqCst),
            "the operation ran to its end"
        );
    }

    #[tokio::test]
    async fn a_dropped_caller_leaves_the_operation_running() {
        let store = detached(Duration::from_secs(5)).await;
        let finished = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&finished);
        let call = store.run(|_| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            seen.store(true, Ordering::SeqCst);
            Ok(())
        });
        // Polled once (the task is spawned), then dropped like a handler whose client left.
        let mut call = Box::pin(call);
        assert!(futures_poll_once(call.as_mut()).await.is_none());
        drop(call);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(finished.load(Ordering::SeqCst));
    }

    /// Polls `fut` once; `Some` when it was ready.
    async fn futures_poll_once<F: Future + Unpin>(mut fut: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut fut).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test]
    async fn a_panicking_operation_is_a_backend_error_not_a_crash() {
        let store = detached(Duration::from_secs(5)).await;
        let err = store
            .run(|_| async move {
                if store_is_broken() {
                    panic!("simulated bug");
                }
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    }

    fn store_is_broken() -> bool {
        true
    }
}
