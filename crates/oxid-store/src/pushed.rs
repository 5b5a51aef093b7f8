//! Pushed authorization requests (RFC 9126): what a client pushed, kept under the hash of the
//! `request_uri` it was given, until the authorization endpoint takes it (once) or it expires.

use async_trait::async_trait;

use crate::StoreResult;

/// A pushed authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequestRecord {
    /// `sha256(request_uri)` as lowercase hex; the `request_uri` itself is never stored.
    pub request_uri_hash: String,
    /// The client that pushed it (and the only one that may use it, RFC 9126 §4).
    pub client_id: String,
    /// The authorization request's parameters, form-encoded, as pushed (without the client's
    /// credentials).
    pub params: String,
    /// When the `request_uri` stops being usable (RFC 9126 §2.2 `expires_in`).
    pub expires_at: u64,
}

/// Pushed authorization requests (RFC 9126).
#[async_trait]
pub trait PushedRequestStore: Send + Sync {
    /// Stores a pushed request; `Conflict` when its hash exists. Its client must exist.
    async fn insert_pushed_request(&self, request: &PushedRequestRecord) -> StoreResult<()>;
    /// Removes and returns the request stored under `request_uri_hash` when it is live at
    /// `now` (`expires_at > now`): one atomic call, so a `request_uri` is used at most once
    /// (RFC 9126 §4) even when two requests race, across instances.
    async fn take_pushed_request(
        &self,
        request_uri_hash: &str,
        now: u64,
    ) -> StoreResult<Option<PushedRequestRecord>>;
}
