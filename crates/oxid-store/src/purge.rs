//! The expired-row sweep, cut into chunks: each chunk is one short transaction of at most
//! [`PURGE_CHUNK`] rows, so a sweep of a million expired tokens never holds the writer (SQLite)
//! or long row locks (PostgreSQL) for longer than one chunk, and requests' writes go between
//! chunks (issue 14: p99 under 10 ms while the sweep runs).

/// Rows deleted per sweep transaction at most. A 500-row chunk of expired tokens cost the
/// SQLite writer about 6 ms of CPU (bench/README.md, the durable write path): a token insert
/// queued behind it waited that long. 100 rows keep that wait near a millisecond.
pub const PURGE_CHUNK: u64 = 100;

/// The tables with an `expires_at` column the sweep deletes from, each with its primary key.
/// Not `sessions`: an expired session is ended by `end_expired_sessions`, which tells its
/// clients (back-channel logout) first
/// (a chunk picks `key IN (SELECT key ... LIMIT n)`: neither SQLite without its
/// UPDATE_DELETE_LIMIT build option nor PostgreSQL has `DELETE ... LIMIT`).
pub(crate) const EXPIRING: [(&str, &str); 8] = [
    ("codes", "code_hash"),
    ("tokens", "token_hash"),
    ("used_interactions", "id_hash"),
    ("failure_counters", "key"),
    ("device_grants", "device_code_hash"),
    ("used_assertions", "key"),
    ("exchanged_grants", "grant_id"),
    ("pushed_requests", "request_uri_hash"),
];
