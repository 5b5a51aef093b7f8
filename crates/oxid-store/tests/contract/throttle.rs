//! Failure counters for brute-force throttling. The rules hold for any [`ThrottleStore`]:
//! both databases, and Redis (`tests/redis.rs`).

use super::fixtures::*;
use oxid_store::{FailureCount, Store, ThrottlePolicy, ThrottleStore};
use std::sync::Arc;

const POLICY: ThrottlePolicy = ThrottlePolicy {
    window: 100,
    lock_after: 3,
    lock_for: 50,
};

pub async fn failures_count_per_key_lock_and_clear<S: ThrottleStore + ?Sized + 'static>(s: Arc<S>) {
    let key = "login:user:alice";
    assert_eq!(s.locked_until(key, NOW).await.unwrap(), None);
    for n in 1..=2 {
        let count = s.record_failure(key, NOW + n, &POLICY).await.unwrap();
        assert_eq!(
            count,
            FailureCount {
                failures: n,
                locked_until: None
            }
        );
    }
    assert_eq!(s.locked_until(key, NOW + 2).await.unwrap(), None);
    let third = s.record_failure(key, NOW + 3, &POLICY).await.unwrap();
    assert_eq!(third.locked_until, Some(NOW + 53));
    assert_eq!(s.locked_until(key, NOW + 52).await.unwrap(), Some(NOW + 53));
    assert_eq!(s.locked_until(key, NOW + 53).await.unwrap(), None);
    // Another key is untouched.
    assert_eq!(
        s.locked_until("login:user:bob", NOW + 4).await.unwrap(),
        None
    );
    let other = s
        .record_failure("client:c1", NOW + 4, &POLICY)
        .await
        .unwrap();
    assert_eq!(other.failures, 1);
    s.clear_failures(key).await.unwrap();
    assert_eq!(s.locked_until(key, NOW + 4).await.unwrap(), None);
    let again = s.record_failure(key, NOW + 5, &POLICY).await.unwrap();
    assert_eq!(again.failures, 1, "a cleared key starts over");
}

pub async fn a_failure_after_the_window_starts_over<S: ThrottleStore + ?Sized + 'static>(
    s: Arc<S>,
) {
    let key = "login:ip:192.0.2.1";
    s.record_failure(key, NOW, &POLICY).await.unwrap();
    s.record_failure(key, NOW + 99, &POLICY).await.unwrap();
    let later = s.record_failure(key, NOW + 100, &POLICY).await.unwrap();
    assert_eq!(
        later,
        FailureCount {
            failures: 1,
            locked_until: None
        }
    );
}

pub async fn concurrent_failures_all_count<S: ThrottleStore + ?Sized + 'static>(s: Arc<S>) {
    let policy = ThrottlePolicy {
        lock_after: 1000,
        ..POLICY
    };
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.record_failure("client:c1", NOW, &policy).await })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap().unwrap().failures);
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=40).collect::<Vec<u64>>(),
        "each failure counted once"
    );
}

pub async fn purge_expired_removes_counters_past_window_and_lock(s: Arc<dyn Store>) {
    s.record_failure("a", NOW, &POLICY).await.unwrap();
    for _ in 0..3 {
        s.record_failure("locked", NOW + 90, &POLICY).await.unwrap();
    }
    assert_eq!(s.purge_expired(NOW + 99).await.unwrap(), 0);
    assert_eq!(s.purge_expired(NOW + 100).await.unwrap(), 1);
    // "locked": window from NOW + 90 to NOW + 190, lock until NOW + 140.
    assert_eq!(
        s.locked_until("locked", NOW + 139).await.unwrap(),
        Some(NOW + 140)
    );
    assert_eq!(s.purge_expired(NOW + 190).await.unwrap(), 1);
    let fresh = s
        .record_failure("locked", NOW + 191, &POLICY)
        .await
        .unwrap();
    assert_eq!(fresh.failures, 1);
}
