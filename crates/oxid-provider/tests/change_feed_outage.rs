//! The change feed survives the database going away (issue 13): an instance whose
//! `LISTEN` connection was cut (through a TCP proxy this test owns; the machine's PostgreSQL
//! is never stopped) misses the notifications sent meanwhile, reconnects once the database
//! is back, and then drops its cached copies, so it serves the change well before its
//! hour-long cache lifetime. Skipped loudly without `OXID_TEST_POSTGRES_URL`.

mod common;
mod durability;

use common::*;
use durability::Database;
use durability::proxy::{Proxy, postgres_address};
use oxid_provider::clock::TestClock;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_listener_cut_off_reconnects_and_resyncs_its_caches() {
    let Some(upstream) = postgres_address() else {
        let _ = Database::postgres("oxid_feed", None).await; // the loud skip
        return;
    };
    let proxy = Proxy::start(upstream.clone()).await;
    let database = Database::postgres("oxid_feed", Some(&proxy.address))
        .await
        .unwrap();
    // A reaches the database directly, B through the proxy; both cache for an hour.
    let direct_url = database.url.replacen(&proxy.address, &upstream, 1);
    let a = TestServer::launch(
        |s| s.cache_seconds = 3600,
        &direct_url,
        TestClock::new(T0),
        true,
    )
    .await;
    let issuer = a.base.clone();
    let b = TestServer::launch(
        move |s| {
            s.issuer = issuer;
            s.cache_seconds = 3600;
        },
        &database.url,
        a.clock.clone(),
        false,
    )
    .await;
    a.add_client("app", |_| {}).await;
    let name = |server: &TestServer| {
        let provider = server.provider.clone();
        async move {
            let client = provider.client("app").await.ok().flatten();
            client.and_then(|c| c.record().client_name.clone())
        }
    };
    assert_eq!(name(&b).await.as_deref(), Some("App app"), "cached at B");

    proxy.cut();
    let mut record = a.provider.store().get_client("app").await.unwrap().unwrap();
    record.client_name = Some("Renamed while B was cut off".into());
    assert!(a.provider.store().update_client(&record).await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(10);
    while name(&b).await.as_deref() != Some("Renamed while B was cut off") {
        assert!(
            Instant::now() < deadline,
            "B still serves its stale copy after reconnecting"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    database.remove().await;
}
