//! The database's metrics, read from the store when `/metrics` is scraped (issue 13, "database
//! pool use and query latency"): `oxid_db_query_duration_seconds{op}`, a histogram per
//! operation of the storage contract (timed by `oxid_store::Metered`, so the same series on
//! SQLite and PostgreSQL), and `oxid_db_queue_operations{queue,state}`, the operations waiting
//! for SQLite's writer and readers (`queued`) and running on them (`in_flight`).

use oxid_store::{OpTimes, QUERY_BUCKETS, QueueStats};
use std::fmt::Write;

use crate::metrics::escape;

/// The query histograms, in the text format.
pub fn write_query_times(out: &mut String, times: &[OpTimes]) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP oxid_db_query_duration_seconds Time callers waited for each store operation."
    )?;
    writeln!(out, "# TYPE oxid_db_query_duration_seconds histogram")?;
    for t in times {
        let op = escape(t.op);
        for (bound, n) in QUERY_BUCKETS.iter().zip(&t.cumulative_buckets) {
            writeln!(
                out,
                "oxid_db_query_duration_seconds_bucket{{op=\"{op}\",le=\"{bound}\"}} {n}"
            )?;
        }
        let count = t.count;
        writeln!(
            out,
            "oxid_db_query_duration_seconds_bucket{{op=\"{op}\",le=\"+Inf\"}} {count}"
        )?;
        let sum = t.sum_seconds;
        writeln!(
            out,
            "oxid_db_query_duration_seconds_sum{{op=\"{op}\"}} {sum}"
        )?;
        writeln!(
            out,
            "oxid_db_query_duration_seconds_count{{op=\"{op}\"}} {count}"
        )?;
    }
    Ok(())
}

/// The queue gauges, in the text format.
pub fn write_queues(out: &mut String, queues: &[QueueStats]) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP oxid_db_queue_operations Store operations waiting for a database connection \
         (queued) or running on one (in_flight)."
    )?;
    writeln!(out, "# TYPE oxid_db_queue_operations gauge")?;
    for q in queues {
        for (state, n) in [("queued", q.queued), ("in_flight", q.in_flight)] {
            writeln!(
                out,
                "oxid_db_queue_operations{{queue=\"{}\",state=\"{state}\"}} {n}",
                q.queue
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_histograms_and_queues_have_their_labels() {
        let mut buckets = vec![1; QUERY_BUCKETS.len()];
        buckets[0] = 0;
        let times = [OpTimes {
            op: "get_client",
            cumulative_buckets: buckets,
            sum_seconds: 0.002,
            count: 1,
        }];
        let mut out = String::new();
        write_query_times(&mut out, &times).unwrap();
        for line in [
            "oxid_db_query_duration_seconds_bucket{op=\"get_client\",le=\"0.0005\"} 0\n",
            "oxid_db_query_duration_seconds_bucket{op=\"get_client\",le=\"+Inf\"} 1\n",
            "oxid_db_query_duration_seconds_sum{op=\"get_client\"} 0.002\n",
            "oxid_db_query_duration_seconds_count{op=\"get_client\"} 1\n",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
        let mut out = String::new();
        let queue = QueueStats {
            queue: "write",
            queued: 3,
            in_flight: 1,
        };
        write_queues(&mut out, &[queue]).unwrap();
        assert!(out.contains("oxid_db_queue_operations{queue=\"write\",state=\"queued\"} 3\n"));
        assert!(out.contains("oxid_db_queue_operations{queue=\"write\",state=\"in_flight\"} 1\n"));
    }
}
