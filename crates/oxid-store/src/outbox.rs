//! The logout outbox (OIDC Back-Channel Logout 1.0 §2.7–2.8) and named leases.
//!
//! Ending a session and queuing its logout tokens is one transaction, so a logout the user
//! was told of is never forgotten by its clients. Senders on any instance claim due deliveries
//! with a lease (a holder and an end time written on the row): while the lease runs nobody
//! else gets the row; when its holder dies the lease ends and another instance takes over.

use async_trait::async_trait;

use crate::{SessionRecord, StoreResult};

/// The client metadata member (in `ClientRecord::metadata`) by which a client asks that the
/// refresh and access tokens issued to it within a session be revoked when the session ends.
pub const REVOKE_TOKENS_MEMBER: &str = "backchannel_logout_revoke_tokens";

/// Which session to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionKey {
    /// By `sha256(cookie value)` (the browser's logout).
    IdHash(String),
    /// By its public `sid` (an operator's revocation).
    Sid(String),
}

/// A logout token to deliver to one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The delivery's id, also the logout token's `jti` (stable across retries, §2.4).
    pub id: String,
    /// The client to tell.
    pub client_id: String,
    /// The user whose session ended (`sub`).
    pub user_id: String,
    /// The session that ended (`sid`).
    pub sid: String,
    /// When the session ended.
    pub created_at: u64,
    /// When to stop trying.
    pub give_up_at: u64,
    /// Attempts claimed so far, the current one included.
    pub attempts: u32,
    /// When the delivery is due (again).
    pub next_attempt_at: u64,
}

/// How a claimed delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The client answered with success: the row is finished (kept for the retention).
    Delivered,
    /// No more attempts (the time is up, or the client or its URI is gone): the row is
    /// finished (kept for the retention).
    GivenUp,
    /// Try again at this time: the lease ends now.
    RetryAt(u64),
}

/// The outbox and leases.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Ends the session named by `key`, in one transaction with its consequences: one
    /// delivery (due at `now`, given up at `give_up_at`) for each client linked to the session
    /// (`add_session_client`) that has a `backchannel_logout_uri`, and the revocation (at
    /// `now`) of the unrevoked tokens issued within the session to clients whose metadata has
    /// [`REVOKE_TOKENS_MEMBER`] `true`. Returns the ended session; `None` (and nothing done)
    /// when there was none, so of concurrent callers exactly one queues the deliveries.
    async fn end_session(
        &self,
        key: &SessionKey,
        now: u64,
        give_up_at: u64,
    ) -> StoreResult<Option<SessionRecord>>;

    /// Moves the end of the session with cookie hash `id_hash`, live at `now`, to
    /// `expires_at` (its idle lifetime renewed by use); false when it is gone or expired.
    async fn renew_session(&self, id_hash: &str, now: u64, expires_at: u64) -> StoreResult<bool>;

    /// Claims up to `limit` deliveries due at `now` (`next_attempt_at <= now`) whose lease is
    /// free (`lease_until <= now`), oldest due first: each gets `holder`'s lease until
    /// `lease_until` and one more attempt. Concurrent callers (any process) never get the same
    /// row while its lease runs.
    async fn claim_deliveries(
        &self,
        holder: &str,
        now: u64,
        lease_until: u64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>>;

    /// Records how the delivery `id` claimed by `holder` ended at `now`: a delivered or given
    /// up row is finished (never claimed again, kept until [`purge_finished_deliveries`]);
    /// false (and nothing changed) when the row is gone, finished, or another holder has it
    /// now (its lease ran out meanwhile).
    ///
    /// [`purge_finished_deliveries`]: OutboxStore::purge_finished_deliveries
    async fn finish_delivery(
        &self,
        id: &str,
        holder: &str,
        outcome: DeliveryOutcome,
        now: u64,
    ) -> StoreResult<bool>;

    /// How many deliveries are waiting (due or not, leased or not; finished ones are not).
    async fn pending_deliveries(&self) -> StoreResult<u64>;

    /// Deletes at most `limit` finished deliveries (delivered or given up) whose
    /// `finished_at` is at or before `before`; returns how many went (fewer than `limit`:
    /// none is left). The sweep calls it in chunks, so no statement holds the table long.
    async fn purge_finished_deliveries(&self, before: u64, limit: u32) -> StoreResult<u64>;

    /// Ends at most `limit` sessions expired at `now` (`expires_at <= now`, their absolute or
    /// idle lifetime over), oldest first, each with the consequences [`end_session`] has: a
    /// delivery per back-channel client and the revocation of the tokens of clients that ask.
    /// Returns the ended sessions (fewer than `limit`: none expired is left). A session ended
    /// concurrently (logout, another sweeper) is ended once, by one of them.
    ///
    /// [`end_session`]: OutboxStore::end_session
    async fn end_expired_sessions(
        &self,
        now: u64,
        give_up_at: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionRecord>>;

    /// Takes or renews the lease `name` for `holder` until `until`: true when it was free
    /// (never taken, or ended at or before `now`) or already `holder`'s; false while another
    /// holder's runs. Atomic across processes sharing the database.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool>;
}

/// The `outcome` column of a finished delivery.
pub(crate) fn outcome_name(outcome: DeliveryOutcome) -> &'static str {
    match outcome {
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::GivenUp => "given_up",
        DeliveryOutcome::RetryAt(_) => "retry",
    }
}

/// A row of `logout_deliveries`.
pub(crate) fn delivery(r: &impl crate::rows::Columns) -> StoreResult<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: r.text("id")?,
        client_id: r.text("client_id")?,
        user_id: r.text("user_id")?,
        sid: r.text("sid")?,
        created_at: r.time("created_at")?,
        give_up_at: r.time("give_up_at")?,
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: r.time("next_attempt_at")?,
    })
}
