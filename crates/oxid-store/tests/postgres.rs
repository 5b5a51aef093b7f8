//! The contract suite on PostgreSQL. Set `OXID_TEST_POSTGRES_URL` to run it; each test gets
//! a fresh schema with a random name, dropped afterwards, so parallel runs never collide.

#[macro_use]
mod contract;

use contract::Fixture;
use oxid_store::{Detached, Metered, PostgresStore, Store, StoreOptions};
use sqlx::postgres::{PgConnectOptions, PgPool};
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

const URL_VAR: &str = "OXID_TEST_POSTGRES_URL";

fn url() -> Option<String> {
    let url = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {URL_VAR} not set");
    }
    url
}

/// A schema name no other test run will pick.
fn schema_name() -> String {
    format!(
        "oxid_test_{:016x}",
        RandomState::new().hash_one(std::process::id())
    )
}

/// A fresh schema in the test database, and a connection to drop it with.
async fn fresh_schema(url: &str) -> (PgPool, String) {
    let admin = PgPool::connect(url).await.unwrap();
    let schema = schema_name();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    (admin, schema)
}

async fn drop_schema(admin: PgPool, schema: String) {
    let dropped = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await;
    if let Err(e) = dropped {
        eprintln!("could not drop schema {schema}: {e}");
    }
    admin.close().await;
}

/// The store as the provider gets it from `oxid_store::open_with`: PostgreSQL behind
/// [`Detached`] and [`Metered`], on `schema`, its sessions named after the schema in
/// `pg_stat_activity`.
async fn open_detached(url: &str, schema: &str) -> (PostgresStore, Arc<dyn Store>) {
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema)])
        .application_name(schema);
    let store_options = StoreOptions::default();
    let store = PostgresStore::open_with(options, &store_options)
        .await
        .unwrap();
    let detached = Detached::new(Arc::new(store.clone()), store_options.timeout);
    let shared = Arc::new(Metered::new(Arc::new(detached)));
    (store, shared)
}

async fn postgres() -> Option<Fixture> {
    let url = url()?;
    let (admin, schema) = fresh_schema(&url).await;
    let (store, shared) = open_detached(&url, &schema).await;
    let cleanup = async move {
        // Whatever the test did (dropped futures included), no session of the store may be
        // left inside a transaction that never ends.
        let stuck = settled_idle_in_transaction(&admin, &schema).await;
        store.close().await;
        drop_schema(admin, schema).await;
        assert_eq!(stuck, 0, "sessions left idle in transaction");
    };
    Some(Fixture {
        store: shared,
        cleanup: Box::pin(cleanup),
    })
}

/// Sessions named `application_name` that stay `idle in transaction` (one may be between
/// two statements of a running operation, so give it up to 3 s to finish).
async fn settled_idle_in_transaction(admin: &PgPool, application_name: &str) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let stuck: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
        )
        .bind(application_name)
        .fetch_one(admin)
        .await
        .unwrap();
        if stuck == 0 || std::time::Instant::now() > deadline {
            return stuck;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

mod on_postgres {
    contract_suite!(super::postgres);
}

#[tokio::test]
async fn open_accepts_both_url_schemes_and_reopening_keeps_the_data() {
    let Some(url) = url() else { return };
    let (admin, schema) = fresh_schema(&url).await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let first = oxid_store::open(&url).await.unwrap();
    contract::fixtures::seed(&*first).await;
    let alt = url.replacen("postgres://", "postgresql://", 1);
    assert!(alt.starts_with("postgresql://"), "{alt}");
    let second = oxid_store::open(&alt).await.unwrap();
    assert_eq!(second.list_users().await.unwrap().len(), 2);
    drop((first, second));
    drop_schema(admin, schema).await;
}

#[tokio::test]
async fn unreachable_server_fails_fast_without_echoing_the_password() {
    let started = std::time::Instant::now();
    let err = oxid_store::open("postgres://oxid:hunter2@127.0.0.1:1/oxid")
        .await
        .err()
        .unwrap();
    assert!(matches!(err, oxid_store::StoreError::Backend(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// Several instances starting at once on a new database (a rolling deploy, a scaled-out
/// start) all migrate it without a clash: sqlx's migrator holds a PostgreSQL advisory lock
/// while it creates its table and applies the migrations, so the others wait, then find
/// them applied.
#[tokio::test]
async fn instances_starting_at_once_migrate_one_database_without_a_clash() {
    let Some(url) = url() else { return };
    let (admin, schema) = fresh_schema(&url).await;
    // Polled together on this task (sqlx's migrator future cannot be spawned), so the four
    // connect, lock and migrate concurrently on the server.
    let (a, b, c, d) = tokio::join!(
        open_detached(&url, &schema),
        open_detached(&url, &schema),
        open_detached(&url, &schema),
        open_detached(&url, &schema),
    );
    for (i, (store, shared)) in [a, b, c, d].into_iter().enumerate() {
        let user = contract::fixtures::user(&format!("id{i}"), &format!("user{i}"));
        shared
            .insert_user(&user)
            .await
            .expect("every instance works");
        store.close().await;
    }
    let applied: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {schema}._sqlx_migrations WHERE success"
    ))
    .fetch_one(&admin)
    .await
    .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied as usize, files, "each migration applied once");
    drop_schema(admin, schema).await;
}
