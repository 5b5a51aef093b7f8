//! Oxid's storage contract and its implementations.
//!
//! The provider sees only these traits; [`open`] picks the backend from the database URL
//! (`sqlite://PATH`, `sqlite::memory:`, `postgres://...`). Every backend passes the same
//! contract test suite. Operations that must be atomic (consuming a code, rotating a refresh
//! token, revoking a grant) are single calls here so that no caller can check-then-act.

#![deny(missing_docs)]
// No unwrap or expect outside tests: a bad input is an error value, never a panic on a
// request path (see CONTRIBUTING.md).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod detached;
mod detached_keys;
mod device;
mod idle;
mod metered;
mod model;
mod outbox;
mod postgres;
mod purge;
mod pushed;
mod redis_throttle;
mod rows;
mod sqlite;
mod throttle;

pub use detached::Detached;
pub use device::{
    DeviceApproval, DeviceDecision, DeviceGrantRecord, DevicePoll, DeviceState, SLOW_DOWN_STEP,
};
pub use idle::RuntimeIdle;
pub use metered::{Metered, OpTimes, QUERY_BUCKETS};
pub use model::*;
pub use outbox::{DeliveryOutcome, DeliveryRecord, OutboxStore, REVOKE_TOKENS_MEMBER, SessionKey};
pub use postgres::PostgresStore;
pub use purge::PURGE_CHUNK;
pub use pushed::{PushedRequestRecord, PushedRequestStore};
pub use redis_throttle::RedisThrottle;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use std::sync::Arc;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key (client_id, username, kid, ...) already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database URL is not one we know.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The database failed; the text is for logs, never for clients.
    #[error("database error: {0}")]
    Backend(String),
    /// The database cannot be reached or used right now (server down, network cut, the
    /// operation's time limit passed, the SQLite file missing or replaced). Clients get
    /// 503 `temporarily_unavailable`; the text is for logs.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row this write refers to (its client, its user) does not exist (any more): removed
    /// by another request or instance meanwhile (a foreign-key failure). The text is for logs.
    #[error("a referenced row is gone: {0}")]
    MissingReference(String),
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The longest a store operation may take, waiting for a connection included, before it
    /// fails with [`StoreError::Unavailable`]. The operation itself still runs to its commit
    /// or rollback; only the caller stops waiting.
    pub timeout: std::time::Duration,
    /// The async runtime's parks, when the binary reports them: the SQLite writer then
    /// gathers the writes of a busy runtime thread into one commit (see [`RuntimeIdle`]).
    /// Without it, the writer commits as soon as it wakes.
    pub runtime_idle: Option<RuntimeIdle>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            timeout: std::time::Duration::from_secs(2),
            runtime_idle: None,
        }
    }
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Adds a client; `Conflict` when the id is taken.
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<()>;
    /// Replaces a client's record (same `client_id`); returns false when there is none.
    async fn update_client(&self, client: &ClientRecord) -> StoreResult<bool>;
    /// Looks a client up by id.
    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>>;
    /// All clients, ordered by id.
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>>;
    /// Removes a client and every code, token and consent issued to it; false when absent.
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool>;
}

/// End users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user; `Conflict` when the username is taken.
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<()>;
    /// Looks a user up by id (`sub`).
    async fn get_user(&self, id: &str) -> StoreResult<Option<UserRecord>>;
    /// Looks a user up by login name.
    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// The users whose `email` claim is `email` with ASCII case folded, at most two: enough
    /// for a caller to tell one match from an ambiguous one (email is not unique among users,
    /// and two addresses may differ only by case).
    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<UserRecord>>;
    /// All users, ordered by username.
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>>;
    /// Replaces the password hash, claims and `updated_at` of the user with this id (the
    /// username and `created_at` never change); false when there is none.
    async fn update_user(&self, user: &UserRecord) -> StoreResult<bool>;
    /// Sets the password hash of the user with this id to `new_hash` only while it is still
    /// `old_hash` (a rehash after a login must not undo a password change made meanwhile);
    /// claims and `updated_at` stay (the password itself is the same). False when the user
    /// is gone or its hash has changed.
    async fn replace_password_hash(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool>;
    /// Removes a user and their sessions, consents, codes and tokens; false when absent.
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;
}

/// Browser login sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Adds a session.
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The session with this cookie hash, if it has not expired at `now`.
    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>>;
    /// The session with this public `sid`, if it has not expired at `now`.
    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>>;
    /// The sessions not expired at `now`, of `user_id` only when given, oldest first (by
    /// `auth_time`, then `sid`).
    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        now: u64,
    ) -> StoreResult<Vec<SessionRecord>>;
    /// Ends a session; returns it when it existed.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Records that `client_id` received tokens within session `sid` (for logout fan-out).
    /// Recording twice is a no-op. The client must exist (else `MissingReference`). The links outlive
    /// `delete_session`, so logout can read them after ending the session; `purge_expired`
    /// removes links whose session is gone, and `delete_client` the client's links.
    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()>;
    /// The clients that received tokens within session `sid`.
    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>>;
    /// Marks a one-time form submission (a sealed interaction) as used: true the first time
    /// for `id_hash`, false on every later call, even across processes. Kept until
    /// `expires_at`, then purged.
    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool>;
}

/// Remembered consent.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Stores (or replaces) consent for this user and client.
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()>;
    /// The consent this user gave this client, if any.
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>>;
    /// Every consent `user_id` gave, ordered by client id.
    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>>;
    /// Revokes the consent this user gave this client, in one transaction with its
    /// consequences (as Keycloak does): the consent goes (the next authorization asks again),
    /// every unrevoked access and refresh token of the client for the user is revoked at
    /// `now`, and the user's unconsumed codes for the client go, so none mints tokens later.
    /// Returns how many tokens were revoked; `None` (and nothing done) when there was no
    /// consent.
    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<Option<u64>>;
}

/// Authorization codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a new code; `Conflict` when the hash exists. Its client and user must exist
    /// (else `MissingReference`).
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()>;
    /// Consumes a code atomically: exactly one caller ever gets `Consumed` for a code, even
    /// across processes sharing one database. An expired code at `now` is `NotFound`. A
    /// consumed code stays `AlreadyConsumed` (even past its expiry) until it is purged.
    async fn consume_code(&self, code_hash: &str, now: u64) -> StoreResult<CodeConsumption>;
}

/// Access and refresh tokens, grouped into grants (token families).
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new token; `Conflict` when the hash exists. Its client (and user, when set)
    /// must exist (else `MissingReference`).
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()>;
    /// A token by hash, whatever its state (the caller checks expiry and revocation).
    async fn get_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    /// [`TokenStore::get_token`] with the token's user (`UserStore::get_user`) and, when
    /// `exchanged_grant`, its grant's `ExchangeStore::get_exchanged_grant`: what
    /// introspection and UserInfo read of every token presented to them, in one round trip
    /// where the backend can (SQLite: one job on one reader thread instead of two, each a
    /// hand-off between threads; issue 14).
    async fn get_token_view(
        &self,
        token_hash: &str,
        exchanged_grant: bool,
    ) -> StoreResult<Option<TokenView>>;
    /// Rotates a refresh token atomically: when `old_hash` is a live, unconsumed, unrevoked
    /// refresh token at `now`, marks it consumed, keeps `sealed_reply` with it (the answer a
    /// retry within the client's grace window gets again), stores `new_tokens` (the new
    /// refresh token and the access token issued with it) and returns the old record (with
    /// `consumed_at = now`); when it was already consumed or revoked returns `Reused` with
    /// the kept reply; else `NotFound`. All or nothing: when storing a new token fails (e.g.
    /// `Conflict`), the old token stays live and nothing is stored.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_tokens: &[TokenRecord],
        sealed_reply: Option<&[u8]>,
        now: u64,
    ) -> StoreResult<RefreshRotation>;
    /// Revokes one token; false when there was none. Revoking again keeps the first time.
    async fn revoke_token(&self, token_hash: &str, now: u64) -> StoreResult<bool>;
    /// Revokes every token of a grant; returns how many were revoked (tokens revoked
    /// before are left as they were and not counted).
    async fn revoke_grant(&self, grant_id: &str, now: u64) -> StoreResult<u64>;
    /// Deletes codes, tokens, device grants, failure counters, remembered assertion ids and
    /// pushed authorization requests that expired at or before `now` (`expires_at <= now`),
    /// and session-client links whose session is gone; returns how many rows went. Expired
    /// sessions are not deleted here but ended with their logouts
    /// (`OutboxStore::end_expired_sessions`), so their clients are told.
    /// Consumed codes and refresh tokens stay until they expire, so replays are still seen.
    /// Runs as chunks of [`PURGE_CHUNK`] rows, each its own transaction (other writes go
    /// between them), until a chunk finds fewer. After each chunk it pauses three times as
    /// long as the chunk took (`PAUSE_PER_CHUNK` in purge.rs), so a large sweep takes at most
    /// about a quarter of the writer while requests write too (issue 14: p99 under 10 ms while
    /// the sweep runs); 100 rows a chunk still sweep thousands of rows a second.
    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let mut gone = 0;
        loop {
            let started = std::time::Instant::now();
            let chunk = self.purge_expired_chunk(now, PURGE_CHUNK).await?;
            gone += chunk;
            if chunk < PURGE_CHUNK {
                return Ok(gone);
            }
            tokio::time::sleep(started.elapsed() * crate::purge::PAUSE_PER_CHUNK).await;
        }
    }
    /// One chunk of [`TokenStore::purge_expired`]: deletes at most `limit` of the rows it
    /// would delete, in one transaction, and returns how many went; fewer than `limit` means
    /// none is left.
    async fn purge_expired_chunk(&self, now: u64, limit: u64) -> StoreResult<u64>;
}

/// Device authorization grants (RFC 8628).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device grant; `Conflict` when either code's hash exists. Its client must
    /// exist (else `MissingReference`).
    async fn insert_device_grant(&self, grant: &DeviceGrantRecord) -> StoreResult<()>;
    /// The pending, unexpired grant at `now` whose user code hashes to `user_code_hash`.
    async fn pending_device_grant(
        &self,
        user_code_hash: &str,
        now: u64,
    ) -> StoreResult<Option<DeviceGrantRecord>>;
    /// Records the user's answer, atomically: true when the grant was pending and unexpired
    /// at `now` (it is `Approved` or `Denied` now), false otherwise (unknown, expired or
    /// already decided: the first answer stands).
    async fn decide_device_grant(
        &self,
        user_code_hash: &str,
        decision: &DeviceDecision,
        now: u64,
    ) -> StoreResult<bool>;
    /// One poll by client `client_id` at `now`, atomically (RFC 8628 §3.5): an approved grant
    /// is `Approved` for exactly one poll, even across processes, then `AlreadyGranted`; a
    /// pending one polled within its interval of the last poll gets `SlowDown` and an interval
    /// longer by [`SLOW_DOWN_STEP`]; an expired one is `Expired` until purged; another
    /// client's, or an unknown code, is `NotFound`.
    async fn poll_device_grant(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<DevicePoll>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Adds a key; `Conflict` when the kid exists.
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()>;
    /// All keys that are not past `expires_at` at `now` (kept while `expires_at > now`),
    /// oldest first (by `created_at`, then kid).
    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>>;
    /// Replaces a key's state, `activated_at`, `retired_at` and `expires_at` (same kid; the
    /// algorithm, key material and `created_at` never change); false when absent.
    async fn update_key(&self, key: &KeyRecord) -> StoreResult<bool>;
    /// Applies one rotation step all or nothing, as a compare-and-set: each update only while
    /// its key is still in its `expected` state, each insert only while its algorithm has no
    /// other key in the new key's state (the database holds at most one `current` and one
    /// `next` key per algorithm, and `insert_key` or `update_key` breaking that is a
    /// `Conflict`). True when everything applied; false, with nothing applied, when another
    /// writer changed the keys first (the caller reads them again).
    async fn apply_key_changes(&self, changes: &KeyChangeSet) -> StoreResult<bool>;
    /// Takes the rotation lease for `holder` until `until`: true when it was free, expired at
    /// `now` (`expires_at <= now`) or already `holder`'s, false while another holder has it.
    /// Only the lease holder generates keys, so that instances rotating at once do not all
    /// do the work and lose the compare-and-set.
    async fn acquire_rotation_lease(&self, holder: &str, now: u64, until: u64)
    -> StoreResult<bool>;
    /// Gives the rotation lease back when `holder` holds it.
    async fn release_rotation_lease(&self, holder: &str) -> StoreResult<()>;
}

/// One update of a rotation step: `key` replaces the stored row of its kid only while that
/// row is still in state `expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUpdate {
    /// The state the stored key must still be in.
    pub expected: KeyState,
    /// The key's new state and times.
    pub key: KeyRecord,
}

/// The writes of one rotation step ([`KeyStore::apply_key_changes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChangeSet {
    /// Keys whose state or times change.
    pub updates: Vec<KeyUpdate>,
    /// New keys.
    pub inserts: Vec<KeyRecord>,
}

impl KeyChangeSet {
    /// The updates in the order the database can take them one by one without two keys of
    /// an algorithm ever sharing the `current` or `next` state: retirements (which free a
    /// state) first, then promotions and other changes.
    pub fn ordered_updates(&self) -> Vec<&KeyUpdate> {
        let mut updates: Vec<&KeyUpdate> = self.updates.iter().collect();
        updates.sort_by_key(|u| u.key.state != KeyState::Retired);
        updates
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty() && self.inserts.is_empty()
    }
}

/// A committed change that in-process caches must not outlive (see [`ChangeFeed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A client was changed or removed.
    Client(String),
    /// Signing keys changed (a rotation, a retirement).
    Keys,
    /// Changes may have been missed (the listener lost its connection and is back): drop
    /// every cached entry.
    Resync,
}

/// Changes committed by any instance sharing the database, as they commit: PostgreSQL sends
/// them with `NOTIFY` in the writing transaction and every store `LISTEN`s; SQLite tells
/// only the subscribers of this store object (other processes on the same file rely on the
/// caches' short lifetimes).
pub trait ChangeFeed: Send + Sync {
    /// A receiver of the changes committed from now on.
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<StoreChange>;
}

/// How failed attempts on one key lead to a lock (brute-force throttling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Seconds a run of failures is counted over, from its first failure.
    pub window: u64,
    /// The failure (counted within the window) that locks the key.
    pub lock_after: u64,
    /// Seconds a lock lasts.
    pub lock_for: u64,
}

/// The state of a key after a recorded failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    /// Failures within the current window, this one included.
    pub failures: u64,
    /// When the key's lock ends, while it is locked.
    pub locked_until: Option<u64>,
}

/// Failed-attempt counters shared by every instance on one database (logins per account and
/// per address, client secrets per client).
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one failure for `key` at `now`, atomically (concurrent failures all count):
    /// a window that ended (and a lock that ended with it) starts over at 1; the failure
    /// that reaches `policy.lock_after` locks the key until `now + policy.lock_for`, and so
    /// does every later one within the window.
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount>;
    /// Forgets the failures of `key` (after a success).
    async fn clear_failures(&self, key: &str) -> StoreResult<()>;
    /// When the lock of `key` ends, if it is locked at `now`.
    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>>;
}

/// Assertion ids seen, so that a signed assertion is accepted once (RFC 7523 §3 `jti`,
/// OIDC Core §9), even across instances sharing one database.
#[async_trait]
pub trait ReplayStore: Send + Sync {
    /// Records `key` (an assertion's issuer and `jti`) as seen until `expires_at`: true the
    /// first time, false on every later call (from any process) until it is purged at
    /// `expires_at`.
    async fn remember_jti(&self, key: &str, expires_at: u64) -> StoreResult<bool>;
}

/// What a grant minted by token exchange carries beyond its tokens (RFC 8693 §2.2.1, §4.1).
#[async_trait]
pub trait ExchangeStore: Send + Sync {
    /// Records `grant` (its `grant_id` is new).
    async fn insert_exchanged_grant(&self, grant: &ExchangedGrantRecord) -> StoreResult<()>;
    /// The record of `grant_id`, when that grant was minted by token exchange.
    async fn get_exchanged_grant(
        &self,
        grant_id: &str,
    ) -> StoreResult<Option<ExchangedGrantRecord>>;
}

/// Whether the store can serve requests (for `/readyz`).
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Ok when the database answers a query within the time limit; `Unavailable` when it is
    /// down, unreachable, or (SQLite) its file is missing or replaced.
    async fn check_health(&self) -> StoreResult<()>;
    /// The database connections this store holds now, for metrics; `None` where there is no
    /// pool to speak of (SQLite's fixed writer and reader threads).
    fn connection_stats(&self) -> Option<ConnectionStats> {
        None
    }
    /// The job queues in front of the database connections now, for metrics (SQLite's
    /// writer and readers); empty where there are none.
    fn queue_stats(&self) -> Vec<QueueStats> {
        Vec::new()
    }
    /// How long each operation of this contract took so far, for metrics; `None` for a
    /// store that is not wrapped in [`Metered`] (every store [`open`] returns is).
    fn query_times(&self) -> Option<Vec<OpTimes>> {
        None
    }
}

/// A queue of operations waiting for a database connection
/// (`oxid_db_queue_operations{queue,state}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    /// Which queue: `write` or `read`.
    pub queue: &'static str,
    /// Operations sent and not yet started.
    pub queued: u64,
    /// Operations started and not yet answered (a write waits for its batch's commit).
    pub in_flight: u64,
}

/// How many connections a store's pool holds (`oxid_db_pool_connections{state}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Lent to an operation now.
    pub in_use: u32,
    /// Open and waiting for an operation.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// The whole storage contract.
pub trait Store:
    ClientStore
    + UserStore
    + SessionStore
    + ConsentStore
    + CodeStore
    + TokenStore
    + KeyStore
    + HealthStore
    + ThrottleStore
    + DeviceStore
    + ReplayStore
    + ExchangeStore
    + OutboxStore
    + PushedRequestStore
    + ChangeFeed
{
}

impl<T> Store for T where
    T: ClientStore
        + UserStore
        + SessionStore
        + ConsentStore
        + CodeStore
        + TokenStore
        + KeyStore
        + HealthStore
        + ThrottleStore
        + DeviceStore
        + ReplayStore
        + ExchangeStore
        + OutboxStore
        + PushedRequestStore
        + ChangeFeed
{
}

/// Opens (creating when needed) the database at `url` and runs its migrations.
///
/// - `sqlite://PATH`: the file is created only here, when it does not exist yet (the first
///   start; its directory must exist); from then on it is the provider: no connection creates
///   it again, and a file removed or replaced later makes every operation `Unavailable`. WAL
///   mode with a busy timeout, so another process's writes wait rather than fail.
/// - `sqlite::memory:`: a private in-memory database (one connection), for tests.
/// - `postgres://...` or `postgresql://...`: any libpq-style URL, e.g. with
///   `?options=-c%20search_path%3Dmyschema` to use a schema other than `public`.
///
/// Errors: `UnsupportedUrl` for other schemes (the password is not echoed), `Backend` when
/// the database cannot be reached or migrated.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, &StoreOptions::default()).await
}

/// [`open`] with explicit [`StoreOptions`].
pub async fn open_with(url: &str, options: &StoreOptions) -> StoreResult<Arc<dyn Store>> {
    // Every operation timed for `oxid_db_query_duration_seconds` (see `Metered`).
    let store = open_unmetered(url, options).await?;
    Ok(Arc::new(Metered::new(store)))
}

/// [`open_with`] without [`Metered`].
pub(crate) async fn open_unmetered(
    url: &str,
    options: &StoreOptions,
) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open_with(url, options).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // Each operation on its own task: a dropped request cannot cut a transaction short.
        let store = PostgresStore::open(url, options).await?;
        Ok(Arc::new(Detached::new(Arc::new(store), options.timeout)))
    } else {
        Err(StoreError::UnsupportedUrl(redact(url)))
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}
