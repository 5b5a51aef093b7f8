//! Keeps this instance's in-process copies (client registrations, the key ring) true to the
//! store, for many instances on one database (issue 13): every change the store's feed
//! announces (on PostgreSQL: `NOTIFY` from whichever instance committed it) drops the
//! client's cached entry or reloads the key ring at once; a resync (the listener was
//! reconnected, or this instance fell behind) drops everything. Besides, the key ring is
//! reloaded every `cache_seconds`, so a missed notification is covered by that lifetime, as
//! the client cache's entries are by theirs.
//!
//! Both tasks hold the provider weakly and end when it is dropped.

use oxid_store::StoreChange;
use std::sync::Weak;
use tokio::sync::broadcast::error::RecvError;

use crate::state::{Inner, Provider};

/// Starts the feed and reload tasks of `provider`.
pub(crate) fn spawn(provider: &Provider, weak: Weak<Inner>) {
    let mut changes = provider.store().subscribe_changes();
    let feed = weak.clone();
    tokio::spawn(async move {
        loop {
            let change = match changes.recv().await {
                Ok(change) => change,
                Err(RecvError::Lagged(_)) => StoreChange::Resync,
                Err(RecvError::Closed) => return,
            };
            let Some(provider) = Provider::upgrade(&feed) else {
                return;
            };
            apply(&provider, change).await;
        }
    });
    let period = provider.config().cache_lifetime;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(provider) = Provider::upgrade(&weak) else {
                return;
            };
            reload_keys(&provider).await;
        }
    });
}

/// What `change` means for this instance's copies.
pub(crate) async fn apply(provider: &Provider, change: StoreChange) {
    match change {
        StoreChange::Client(client_id) => provider.forget_client(&client_id),
        StoreChange::Keys => reload_keys(provider).await,
        StoreChange::Resync => {
            provider.forget_all_clients();
            reload_keys(provider).await;
        }
    }
}

async fn reload_keys(provider: &Provider) {
    if let Err(e) = provider.reload_keys().await {
        // The ring in use stays; the next change or period tries again.
        tracing::warn!(error = %e, "reloading the signing keys failed");
    }
}
