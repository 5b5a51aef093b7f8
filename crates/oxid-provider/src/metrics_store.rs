//! The metrics read from the store when `/metrics` is scraped (issue 13): the age of every
//! published signing key (`oxid_signing_key_age_seconds{kid,alg,state}`), so that an
//! operator sees a rotation that stopped happening, the database pool's connections
//! (`oxid_db_pool_connections{state}`, both stores) and `metrics_db`'s query latencies and
//! queues. Gauges, in the same text format as
//! `metrics`; a database that does not answer leaves the key series out for that scrape.

use oxid_store::{ConnectionStats, KeyRecord};
use std::fmt::Write;

use crate::metrics::escape;
use crate::state::Provider;

/// The store gauges, appended to the counters' text.
pub async fn render(provider: &Provider) -> String {
    let now = provider.now();
    let keys = match provider.store().list_keys(now).await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the signing keys could not be read");
            Vec::new()
        }
    };
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_keys(&mut out, &keys, now);
    let store = provider.store();
    if let Some(stats) = store.connection_stats() {
        let _ = write_pool(&mut out, stats);
    }
    let queues = store.queue_stats();
    if !queues.is_empty() {
        let _ = crate::metrics_db::write_queues(&mut out, &queues);
    }
    if let Some(times) = store.query_times() {
        let _ = crate::metrics_db::write_query_times(&mut out, &times);
    }
    out
}

fn write_keys(out: &mut String, keys: &[KeyRecord], now: u64) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP oxid_signing_key_age_seconds Seconds since each published signing key was made."
    )?;
    writeln!(out, "# TYPE oxid_signing_key_age_seconds gauge")?;
    for key in keys {
        writeln!(
            out,
            "oxid_signing_key_age_seconds{{kid=\"{}\",alg=\"{}\",state=\"{}\"}} {}",
            escape(&key.kid),
            escape(&key.alg),
            key.state.as_str(),
            now.saturating_sub(key.created_at)
        )?;
    }
    Ok(())
}

fn write_pool(out: &mut String, stats: ConnectionStats) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP oxid_db_pool_connections Database connections of this instance's pool."
    )?;
    writeln!(out, "# TYPE oxid_db_pool_connections gauge")?;
    for (state, count) in [
        ("in_use", stats.in_use),
        ("idle", stats.idle),
        ("max", stats.max),
    ] {
        writeln!(out, "oxid_db_pool_connections{{state=\"{state}\"}} {count}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxid_store::KeyState;

    #[test]
    fn key_ages_and_pool_connections_are_gauges_with_their_labels() {
        let key = KeyRecord {
            kid: "k\"1".into(),
            alg: "ES256".into(),
            private_key_encrypted: vec![1],
            state: KeyState::Current,
            created_at: 100,
            activated_at: Some(100),
            retired_at: None,
            expires_at: None,
        };
        let mut out = String::new();
        write_keys(&mut out, &[key], 160).unwrap();
        assert!(
            out.ends_with(
                "oxid_signing_key_age_seconds{kid=\"k\\\"1\",alg=\"ES256\",state=\"current\"} 60\n"
            ),
            "{out}"
        );
        let mut out = String::new();
        let stats = ConnectionStats {
            in_use: 2,
            idle: 3,
            max: 10,
        };
        write_pool(&mut out, stats).unwrap();
        assert!(
            out.contains("oxid_db_pool_connections{state=\"in_use\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("oxid_db_pool_connections{state=\"max\"} 10\n"),
            "{out}"
        );
    }
}
