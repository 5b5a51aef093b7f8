//! Many instances, one database (issue 13): key rotation is a compare-and-set under a lease
//! (exactly one next key per algorithm however many instances rotate at once), in-process
//! caches hear of changes at once (PostgreSQL LISTEN/NOTIFY), and a client deleted while
//! another instance still has it cached is `invalid_client` (RFC 6749 §5.2), not a 500.
//! The PostgreSQL tests need `OXID_TEST_POSTGRES_URL` and skip loudly without it.

mod common;

use common::*;
use oxid_provider::Provider;
use oxid_provider::backend::StartError;
use oxid_provider::clock::TestClock;
use oxid_provider::crypto::CryptoError;
use oxid_store::KeyState;
use serde_json::{Value, json};
use sqlx::Executor;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

const URL_VAR: &str = "OXID_TEST_POSTGRES_URL";
/// Far beyond any wait below: only a notification explains a change seen in time.
const LONG_CACHE: u64 = 3600;

/// A fresh schema on the test database, and the store URL that uses it.
async fn fresh_schema() -> Option<(sqlx::PgPool, String, String)> {
    let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {URL_VAR} not set");
        return None;
    };
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("oxid_many_{}_{nanos}", std::process::id());
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Some((admin, schema, store_url))
}

async fn drop_schema(admin: sqlx::PgPool, schema: String) {
    let _ = admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await;
}

/// A SQLite file of its own, and its URL.
fn sqlite_file(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("oxid-many-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("oxid.db").display());
    (dir, url)
}

/// Two instances over `store_url` with one issuer and clock, caching for an hour.
async fn two_instances(store_url: &str) -> (TestServer, TestServer) {
    let a = TestServer::launch(
        |s| s.cache_seconds = LONG_CACHE,
        store_url,
        TestClock::new(T0),
        true,
    )
    .await;
    let issuer = a.base.clone();
    let b = TestServer::launch(
        move |s| {
            s.issuer = issuer;
            s.cache_seconds = LONG_CACHE;
        },
        store_url,
        a.clock.clone(),
        false,
    )
    .await;
    (a, b)
}

/// Per algorithm, how many keys are in `state`.
async fn count_by_alg(provider: &Provider, state: KeyState) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for key in provider.store().list_keys(provider.now()).await.unwrap() {
        if key.state == state {
            *counts.entry(key.alg).or_default() += 1;
        }
    }
    counts
}

/// 50 rotations at once, alternating between the instances, half forced (`oxid keys
/// rotate`, the admin API) and half scheduled (`ensure_keys`): exactly one current and one
/// next key per algorithm afterwards, and every refused rotation is `RotationBusy`.
async fn fifty_rotations_leave_one_next_key_per_alg(a: &TestServer, b: &TestServer, feed: bool) {
    let before = a.provider.keys();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let provider = if i % 2 == 0 { &a.provider } else { &b.provider }.clone();
        tasks.push(tokio::spawn(async move {
            if i % 4 < 2 {
                provider.rotate_keys().await
            } else {
                provider.refresh_keys().await
            }
        }));
    }
    let mut forced = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(()) if i % 4 < 2 => forced += 1,
            Ok(()) => {}
            Err(StartError::Keys(CryptoError::RotationBusy)) => {}
            Err(e) => panic!("a rotation failed: {e}"),
        }
    }
    // Every forced rotation may have met the lease of a scheduled run; alone, one goes through.
    if forced == 0 {
        a.provider.rotate_keys().await.unwrap();
    }
    // The signing keys and our encryption key (tests/common keeps an ECDH-ES one).
    let one_each: BTreeMap<String, usize> = ["ES256", "RS256", "ECDH-ES"]
        .into_iter()
        .map(|alg| (alg.to_string(), 1))
        .collect();
    assert_eq!(count_by_alg(&a.provider, KeyState::Next).await, one_each);
    assert_eq!(count_by_alg(&a.provider, KeyState::Current).await, one_each);
    let signer = |p: &Provider| {
        let ring = p.keys();
        let alg = oxid_provider::crypto::SigningAlg::ES256;
        ring.signer(alg).map(|k| k.kid().to_string())
    };
    if !feed {
        // Two stores on one SQLite file tell each other nothing: B reloads on its schedule.
        b.provider.reload_keys().await.unwrap();
        a.provider.reload_keys().await.unwrap();
    }
    // Both instances sign with the key that won, at once through the change feed.
    let stored = a
        .provider
        .store()
        .list_keys(a.provider.now())
        .await
        .unwrap();
    let current = stored
        .iter()
        .find(|k| k.alg == "ES256" && k.state == KeyState::Current)
        .map(|k| k.kid.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while signer(&a.provider) != current || signer(&b.provider) != current {
        assert!(Instant::now() < deadline, "the instances disagree on keys");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signed_before = before.signer(oxid_provider::crypto::SigningAlg::ES256);
    assert_ne!(current, signed_before.map(|k| k.kid().to_string()));
}

#[tokio::test]
async fn fifty_concurrent_rotations_on_two_postgres_instances_publish_one_next_key_per_alg() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let (a, b) = two_instances(&store_url).await;
    fifty_rotations_leave_one_next_key_per_alg(&a, &b, true).await;
    drop_schema(admin, schema).await;
}

#[tokio::test]
async fn fifty_concurrent_rotations_on_one_sqlite_file_publish_one_next_key_per_alg() {
    let (dir, url) = sqlite_file("rotate");
    let (a, b) = two_instances(&url).await;
    fifty_rotations_leave_one_next_key_per_alg(&a, &b, false).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Instances started together on an empty database: one makes the keys (it holds the
/// lease), the others wait for them; none starts without a key, none adds a second set.
#[tokio::test]
async fn fifty_instances_starting_together_make_one_set_of_keys() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let settings = oxid_provider::config::Settings {
        issuer: "http://127.0.0.1:1".into(),
        keys: oxid_provider::config::KeySettings {
            algs: vec!["RS256".into(), "ES256".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let config = oxid_provider::config::ProviderConfig::from_settings(&settings).unwrap();
    let store = oxid_store::open(&store_url).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let backend = oxid_provider::server::Backend {
            config: config.clone(),
            store: store.clone(),
            secret_box: oxid_provider::crypto::SecretBox::new([42; 32]),
            clock: std::sync::Arc::new(TestClock::new(T0)),
        };
        tasks.push(tokio::spawn(async move {
            backend.ensure_keys().await.unwrap();
            backend.load_keyring().await.unwrap().algs().len()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 2, "every instance can sign at once");
    }
    let keys = store.list_keys(T0).await.unwrap();
    // Two signing algorithms and the two default encryption keys (RSA-OAEP-256, ECDH-ES).
    assert_eq!(keys.len(), 8, "one current and one next per alg: {keys:?}");
    drop_schema(admin, schema).await;
}

/// A client_credentials token request of client `id` at `server`.
async fn client_credentials(server: &TestServer, id: &str, secret: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn service_client(server: &TestServer, id: &str) -> String {
    server
        .add_client(id, |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris.clear();
        })
        .await
}

/// Waits (well under the hour-long cache lifetime) until `done` holds.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !done().await {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn client_changes_and_rotations_at_one_postgres_instance_reach_the_other_at_once() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let (a, b) = two_instances(&store_url).await;
    let secret = service_client(&a, "svc").await;
    let (status, _) = client_credentials(&b, "svc", &secret).await;
    assert_eq!(status, 200, "B has the client cached now");

    let patch = serde_json::to_vec(&json!({"client_name": "Renamed"})).unwrap();
    oxid_provider::admin::clients::change_client(&a.provider, "svc", &patch, true)
        .await
        .unwrap();
    eventually("B seeing the new name", async || {
        let client = b.provider.client("svc").await.unwrap().unwrap();
        client.record().client_name.as_deref() == Some("Renamed")
    })
    .await;

    let before = b.provider.keys().jwks_json();
    a.provider.rotate_keys().await.unwrap();
    eventually("B publishing the rotated keys", async || {
        b.provider.keys().jwks_json() == a.provider.keys().jwks_json()
    })
    .await;
    assert_ne!(before, b.provider.keys().jwks_json());

    assert!(a.provider.store().delete_client("svc").await.unwrap());
    eventually("B forgetting the client", async || {
        client_credentials(&b, "svc", &secret).await.0 == 401
    })
    .await;

    // The pool's connections are a gauge on /metrics.
    let gauges = oxid_provider::metrics_store::render(&b.provider).await;
    assert!(
        gauges.contains("oxid_db_pool_connections{state=\"max\"} 10\n"),
        "{gauges}"
    );
    drop_schema(admin, schema).await;
}

/// The defect: a client deleted while still in another instance's cache. The instances
/// here share no change feed (two stores on one SQLite file), so B authenticates the client
/// from its cache and only the store sees it is gone: RFC 6749 §5.2 `invalid_client`, 401.
#[tokio::test]
async fn a_client_deleted_while_cached_elsewhere_is_invalid_client_not_a_500() {
    let (dir, url) = sqlite_file("deleted");
    let (a, b) = two_instances(&url).await;
    let secret = service_client(&a, "svc").await;
    let (status, _) = client_credentials(&b, "svc", &secret).await;
    assert_eq!(status, 200, "B has the client cached now");
    assert!(a.provider.store().delete_client("svc").await.unwrap());
    let (status, body) = client_credentials(&b, "svc", &secret).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    // B dropped its stale copy: the next request is refused before any write.
    let (status, body) = client_credentials(&b, "svc", &secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let _ = std::fs::remove_dir_all(dir);
}
