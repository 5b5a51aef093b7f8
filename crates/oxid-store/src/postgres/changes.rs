//! The change feed on PostgreSQL (issue 13, "many instances, one database"): a write that
//! in-process caches must not outlive sends `NOTIFY` in its own transaction, so the message
//! leaves only when the change commits; every store `LISTEN`s on one connection of its own
//! and passes the changes to its subscribers. When that connection is lost the listener
//! reconnects (backing off while the database is away) and tells subscribers to resync,
//! since changes may have gone unheard meanwhile; caches' short lifetimes cover the rest.

use crate::{StoreChange, StoreResult};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Row};
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

use super::errors::backend;

/// Room for changes a slow subscriber has not read yet; one that falls further behind gets
/// `Lagged`, which it treats as a resync.
const BACKLOG: usize = 256;
/// The wait before trying to listen again after the connection was lost.
const RETRY: Duration = Duration::from_secs(1);
/// The longest channel name PostgreSQL keeps (NAMEDATALEN - 1).
const MAX_CHANNEL: usize = 63;

/// A running listener: its subscribers' sender, and what stops it when the store goes.
#[derive(Debug)]
pub(super) struct Feed {
    pub(super) sender: broadcast::Sender<StoreChange>,
    /// The channel, one per schema, so that stores on other schemas of the database (tests,
    /// tenants) are not woken by these changes.
    pub(super) channel: String,
    _stop: oneshot::Sender<()>,
}

/// The text sent for `change`.
pub(super) fn encode(change: &StoreChange) -> String {
    match change {
        StoreChange::Client(id) => format!("client:{id}"),
        StoreChange::Keys => "keys".into(),
        StoreChange::Resync => "resync".into(),
    }
}

fn decode(payload: &str) -> Option<StoreChange> {
    match payload {
        "keys" => Some(StoreChange::Keys),
        "resync" => Some(StoreChange::Resync),
        _ => payload
            .strip_prefix("client:")
            .map(|id| StoreChange::Client(id.to_string())),
    }
}

/// Sends `change` on `channel` within the transaction (or statement) of `conn`.
pub(super) async fn notify(
    conn: &mut PgConnection,
    channel: &str,
    change: &StoreChange,
) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(encode(change))
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Starts listening for the changes of the schema `pool` works in; listening has begun when
/// this returns, so no change committed afterwards is missed.
pub(super) async fn start(pool: &PgPool) -> StoreResult<Feed> {
    let schema: String = sqlx::query("SELECT current_schema() AS schema")
        .fetch_one(pool)
        .await
        .map_err(backend)?
        .try_get("schema")
        .map_err(backend)?;
    let mut channel = format!("oxid_changes:{schema}");
    while channel.len() > MAX_CHANNEL {
        channel.pop();
    }
    // A connection of its own: it stays in LISTEN and must not take one from the pool.
    let listen_pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with((*pool.connect_options()).clone());
    let listener = connect(&listen_pool, &channel).await.map_err(backend)?;
    let (sender, _) = broadcast::channel(BACKLOG);
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(listen(
        listen_pool,
        channel.clone(),
        listener,
        sender.clone(),
        stopped,
    ));
    Ok(Feed {
        sender,
        channel,
        _stop: stop,
    })
}

async fn connect(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Passes notifications on until the store is dropped (`stopped`), reconnecting as needed.
async fn listen(
    pool: PgPool,
    channel: String,
    listener: PgListener,
    sender: broadcast::Sender<StoreChange>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut listener = Some(listener);
    loop {
        let Some(active) = listener.as_mut() else {
            tokio::select! {
                _ = &mut stopped => return,
                connected = connect(&pool, &channel) => match connected {
                    Ok(back) => {
                        tracing::info!(channel, "listening for changes again");
                        listener = Some(back);
                        let _ = sender.send(StoreChange::Resync);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot listen for changes yet");
                        tokio::select! {
                            _ = &mut stopped => return,
                            () = tokio::time::sleep(RETRY) => {}
                        }
                    }
                },
            }
            continue;
        };
        tokio::select! {
            _ = &mut stopped => return,
            received = active.try_recv() => match received {
                Ok(Some(notification)) => {
                    if let Some(change) = decode(notification.payload()) {
                        let _ = sender.send(change);
                    }
                }
                // The connection is gone: changes may pass unheard until it is back.
                Ok(None) | Err(_) => {
                    tracing::warn!(channel, "lost the change listener's connection");
                    listener = None;
                    let _ = sender.send(StoreChange::Resync);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_round_trip_through_their_payload() {
        for change in [
            StoreChange::Client("a:b c".into()),
            StoreChange::Keys,
            StoreChange::Resync,
        ] {
            assert_eq!(decode(&encode(&change)), Some(change));
        }
        assert_eq!(decode("unknown"), None);
    }
}
