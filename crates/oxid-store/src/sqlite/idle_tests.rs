//! The writer with the runtime's parks reported (`crate::idle`): a write is held until the
//! runtime that sent it parks, the writes sent meanwhile commit with it, and without a park
//! the hold ends after its limit.

use super::tests::client;
use super::*;
use crate::idle::RuntimeIdle;
use crate::{ClientStore, StoreOptions};
use std::time::Instant;

async fn store_with(idle: &RuntimeIdle) -> SqliteStore {
    let options = StoreOptions {
        runtime_idle: Some(idle.clone()),
        ..StoreOptions::default()
    };
    SqliteStore::open_with("sqlite::memory:", &options)
        .await
        .unwrap()
}

/// Waits for `done`, failing the test after 10 s.
async fn until(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_sent_before_the_runtime_parks_commit_together() {
    let idle = RuntimeIdle::with_max_wait(Duration::from_secs(60));
    let store = store_with(&idle).await;
    let good = store.clone();
    let good = tokio::spawn(async move { good.insert_client(&client("a")).await });
    // The writer holds the first write while the runtime that sent it has not parked.
    until(|| idle.waiting() == 1).await;
    let bad = tokio::spawn(super::tests::failing_at_commit(store.clone()));
    until(|| store.gauges.write.queued.load(Ordering::Relaxed) == 2).await;
    assert_eq!(idle.waiting(), 1, "still held");
    idle.parked();
    let (good, bad) = (good.await.unwrap(), bad.await.unwrap());
    assert!(bad.is_err(), "{bad:?}");
    assert!(good.is_err(), "in the failed batch, so not kept: {good:?}");
    assert_eq!(store.get_client("a").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_sent_before_a_park_is_committed_at_once() {
    let idle = RuntimeIdle::with_max_wait(Duration::from_secs(60));
    let store = store_with(&idle).await;
    let start = Instant::now();
    let write = store.clone();
    let write = tokio::spawn(async move { write.insert_client(&client("a")).await });
    // Sent (counted as queued until the writer starts it: it is held until a park).
    until(|| store.gauges.write.queued.load(Ordering::Relaxed) == 1).await;
    // The runtime has nothing else to run: whether the writer already holds the write or
    // has not looked yet, it commits it now.
    idle.parked();
    write.await.unwrap().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "not held to the limit"
    );
    assert!(store.get_client("a").await.unwrap().is_some());
}

#[tokio::test]
async fn without_a_park_a_write_is_held_no_longer_than_the_limit() {
    let limit = Duration::from_millis(40);
    let idle = RuntimeIdle::with_max_wait(limit);
    let store = store_with(&idle).await;
    let start = Instant::now();
    store.insert_client(&client("a")).await.unwrap();
    let held = start.elapsed();
    assert!(held >= limit, "held {held:?}: the writer waited for a park");
    assert!(held < Duration::from_secs(10), "held {held:?}");
    assert!(store.get_client("a").await.unwrap().is_some());
}
