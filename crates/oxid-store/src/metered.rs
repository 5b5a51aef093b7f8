//! A store that times every operation of the storage contract (issue 13, "database query
//! latency"): [`Metered`] wraps any [`Store`] and keeps, per operation name (`get_client`,
//! `rotate_refresh_token`, ...), a histogram of how long callers waited for it, failures and
//! time-outs included. Timing the contract rather than each SQL statement gives the same
//! series on SQLite and PostgreSQL, and counts what a request actually waited (a queue, a
//! connection, a retry) rather than only the statement. [`open_with`](crate::open_with)
//! wraps every store it opens; the provider renders [`Metered::query_times`] at `/metrics`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::Store;

mod contract;
mod more;

/// Upper bounds (seconds) of the query duration histogram's buckets: finer than a request's,
/// since most operations take well under a millisecond.
pub const QUERY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One operation's histogram: non-cumulative bucket counts.
struct OpHistogram {
    buckets: [AtomicU64; QUERY_BUCKETS.len()],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl OpHistogram {
    fn new() -> Self {
        OpHistogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = QUERY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self, op: &'static str) -> OpTimes {
        let mut cumulative = 0;
        let buckets = self
            .buckets
            .iter()
            .map(|b| {
                cumulative += b.load(Ordering::Relaxed);
                cumulative
            })
            .collect();
        OpTimes {
            op,
            cumulative_buckets: buckets,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// How long one operation took so far, as a Prometheus histogram wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpTimes {
    /// The operation: the contract's method name.
    pub op: &'static str,
    /// Calls that took at most each bound of [`QUERY_BUCKETS`], cumulative.
    pub cumulative_buckets: Vec<u64>,
    /// Seconds waited in all.
    pub sum_seconds: f64,
    /// Calls (the `+Inf` bucket).
    pub count: u64,
}

/// A store whose every operation is timed (see the module documentation).
pub struct Metered {
    pub(crate) inner: Arc<dyn Store>,
    /// Histograms by operation, made at an operation's first call.
    ops: RwLock<BTreeMap<&'static str, Arc<OpHistogram>>>,
}

impl Metered {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Metered {
            inner,
            ops: RwLock::new(BTreeMap::new()),
        }
    }

    /// Runs `op` and records how long it took under `name`.
    pub(crate) async fn timed<T>(&self, name: &'static str, op: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = op.await;
        self.histogram(name).observe(start.elapsed());
        out
    }

    fn histogram(&self, name: &'static str) -> Arc<OpHistogram> {
        if let Ok(ops) = self.ops.read()
            && let Some(h) = ops.get(name)
        {
            return h.clone();
        }
        // A poisoned lock only means a panic elsewhere while inserting: the map is intact.
        let mut ops = self.ops.write().unwrap_or_else(|e| e.into_inner());
        ops.entry(name)
            .or_insert_with(|| Arc::new(OpHistogram::new()))
            .clone()
    }

    /// Every operation called so far, by name.
    pub fn snapshot(&self) -> Vec<OpTimes> {
        let ops = self.ops.read().unwrap_or_else(|e| e.into_inner());
        ops.iter().map(|(op, h)| h.snapshot(op)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn operations_are_timed_by_name_into_cumulative_buckets() {
        let inner = crate::open_unmetered("sqlite::memory:", &Default::default())
            .await
            .unwrap();
        let store = Metered::new(inner);
        use crate::{ClientStore, HealthStore};
        store.get_client("nobody").await.unwrap();
        store.get_client("nobody").await.unwrap();
        store.check_health().await.unwrap();
        let times = store.snapshot();
        let names: Vec<_> = times.iter().map(|t| (t.op, t.count)).collect();
        assert_eq!(names, vec![("check_health", 1), ("get_client", 2)]);
        let get = &times[1];
        assert_eq!(get.cumulative_buckets.len(), QUERY_BUCKETS.len());
        assert!(get.cumulative_buckets.windows(2).all(|w| w[0] <= w[1]));
        assert!(get.sum_seconds > 0.0 && *get.cumulative_buckets.last().unwrap() <= 2);
        assert_eq!(store.query_times(), Some(times));
    }
}
