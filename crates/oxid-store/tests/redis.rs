//! The throttle contract (`contract/throttle.rs`) on Redis, the option of
//! `[throttle] redis_url`: the same rules as on the databases. Runs against
//! `OXID_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); skipped, loudly, when no Redis
//! answers there. Each test uses its own random key prefix, so runs do not meet.

#[allow(dead_code, unused_imports, unused_macros)]
mod contract;

use oxid_store::RedisThrottle;
use std::sync::Arc;

async fn redis() -> Option<Arc<RedisThrottle>> {
    let url = std::env::var("OXID_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let prefix = format!("oxid-test:{:016x}:", rand_u64());
    match RedisThrottle::connect(&url, &prefix).await {
        Ok(store) => Some(Arc::new(store)),
        Err(e) => {
            eprintln!("SKIPPED: no Redis at {url} ({e}); set OXID_TEST_REDIS_URL to run these");
            None
        }
    }
}

/// Random enough for a key prefix, without a dependency.
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_count_per_key_lock_and_clear() {
    if let Some(s) = redis().await {
        contract::failures_count_per_key_lock_and_clear(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_after_the_window_starts_over() {
    if let Some(s) = redis().await {
        contract::a_failure_after_the_window_starts_over(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_all_count() {
    if let Some(s) = redis().await {
        contract::concurrent_failures_all_count(s).await;
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_not_a_hang() {
    // A port nobody listens on: connecting fails at once, as a clear error.
    let started = std::time::Instant::now();
    let err = RedisThrottle::connect("redis://127.0.0.1:1", "x:")
        .await
        .unwrap_err();
    assert!(
        matches!(err, oxid_store::StoreError::Unavailable(_)),
        "{err:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = RedisThrottle::connect("http://nope", "x:")
        .await
        .unwrap_err();
    assert!(
        matches!(err, oxid_store::StoreError::UnsupportedUrl(_)),
        "{err:?}"
    );
}
