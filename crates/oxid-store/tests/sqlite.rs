//! The contract suite on SQLite, in memory and in a file, plus what only SQLite needs:
//! the file is created, survives a reopen, runs in WAL mode and takes concurrent writers.

#[macro_use]
mod contract;

use contract::Fixture;
use oxid_store::{CodeConsumption, StoreError};
use std::path::Path;

async fn memory() -> Option<Fixture> {
    let store = oxid_store::open("sqlite::memory:").await.unwrap();
    Some(Fixture {
        store,
        cleanup: Box::pin(async {}),
    })
}

fn file_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("nested-name.db").display())
}

async fn file() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    Some(Fixture {
        store,
        cleanup: Box::pin(async move { drop(dir) }),
    })
}

mod in_memory {
    contract_suite!(super::memory);
}

mod in_file {
    contract_suite!(super::file);
}

#[tokio::test]
async fn memory_databases_are_separate() {
    let a = oxid_store::open("sqlite::memory:").await.unwrap();
    let b = oxid_store::open("sqlite::memory:").await.unwrap();
    a.insert_user(&contract::fixtures::user("u1", "alice"))
        .await
        .unwrap();
    assert_eq!(b.list_users().await.unwrap(), vec![]);
    assert_eq!(a.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn file_database_is_created_in_wal_mode_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = file_url(dir.path());
    let path = dir.path().join("nested-name.db");
    assert!(!path.exists());
    let store = oxid_store::open(&url).await.unwrap();
    assert!(path.exists());
    contract::fixtures::seed(&*store).await;
    drop(store);
    // Reopening runs the (already applied) migrations again and keeps the data.
    let store = oxid_store::open(&url).await.unwrap();
    assert_eq!(store.list_users().await.unwrap().len(), 2);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_stores_on_one_file_never_see_database_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let url = file_url(dir.path());
    let a = oxid_store::open(&url).await.unwrap();
    let b = oxid_store::open(&url).await.unwrap();
    contract::fixtures::seed(&*a).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (writer, consumer) = if i % 2 == 0 {
                (a.clone(), b.clone())
            } else {
                (b.clone(), a.clone())
            };
            tokio::spawn(async move {
                let c = contract::fixtures::code(&format!("code-{i}"), "g", "c1", "u1");
                writer.insert_code(&c).await?;
                let first = consumer
                    .consume_code(&c.code_hash, contract::fixtures::NOW)
                    .await?;
                let second = writer
                    .consume_code(&c.code_hash, contract::fixtures::NOW)
                    .await?;
                Ok::<_, StoreError>((first, second))
            })
        })
        .collect();
    for t in tasks {
        let (first, second) = t.await.unwrap().unwrap();
        assert!(matches!(first, CodeConsumption::Consumed(_)));
        assert!(matches!(second, CodeConsumption::AlreadyConsumed { .. }));
    }
}

#[tokio::test]
async fn unknown_url_is_rejected_without_echoing_the_password() {
    let err = oxid_store::open("mysql://admin:hunter2@db.example/oxid")
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(err.to_string().contains("db.example"), "{err}");
}

#[tokio::test]
async fn unreachable_sqlite_path_is_a_backend_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/missing-dir/x.db", dir.path().display());
    let err = oxid_store::open(&url).await.err().unwrap();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
}

/// The files of a database: the file itself and its WAL companions.
fn database_files(path: &Path) -> [std::path::PathBuf; 3] {
    let name = path.display();
    [
        path.to_path_buf(),
        format!("{name}-wal").into(),
        format!("{name}-shm").into(),
    ]
}

fn is_unavailable<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_files_make_every_operation_unavailable_and_no_new_file_appears() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    contract::fixtures::seed(&*store).await;
    for file in database_files(&path) {
        let _ = std::fs::remove_file(file);
    }
    // The timer notices without any write.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(is_unavailable(store.get_client("c1").await));
    assert!(is_unavailable(store.check_health().await));
    let err = store
        .insert_client(&contract::fixtures::client("c9"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("missing or replaced"),
        "the error names the cause: {err}"
    );
    assert!(is_unavailable(store.list_users().await));
    drop(store);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for file in database_files(&path) {
        assert!(!file.exists(), "{} reappeared", file.display());
    }
    // A new start is a first start: it creates the database again.
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    assert!(path.exists());
    assert_eq!(store.list_users().await.unwrap(), vec![]);
    store.check_health().await.unwrap();
}

#[tokio::test]
async fn a_write_right_after_deleting_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    contract::fixtures::seed(&*store).await;
    std::fs::remove_file(&path).unwrap();
    // Before the timer runs: the writer looks at the file before every batch.
    let err = store
        .insert_client(&contract::fixtures::client("c9"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!path.exists());
}

#[tokio::test]
async fn a_replaced_file_makes_every_operation_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    contract::fixtures::seed(&*store).await;
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE x (y INTEGER)")
        .unwrap();
    std::fs::rename(&other, &path).unwrap();
    assert!(is_unavailable(store.check_health().await));
    assert!(is_unavailable(store.get_client("c1").await));
    assert!(is_unavailable(
        store.insert_client(&contract::fixtures::client("c9")).await
    ));
}

/// The SHA-384 checksums sqlx 0.8 recorded for migrations 1 to 3 (taken from a database it
/// made), so this test fails if ours ever differ from what sqlx wrote.
const SQLX_CHECKSUMS: [(i64, &str, &str); 3] = [
    (
        1,
        "init",
        "524297E72289B73901EA1A1DC9C4849ECBC419051E8C4E75A09C7F948EE896D011AA73C4453A6120D02653AFD50B2F57",
    ),
    (
        2,
        "tokens without rowid",
        "29C2596C1F7E02F7BD3BA7024BFD5B2516EA159D6E58BB678AD74F7986B2BA81D61CDD2BBEF2919F114721E61EA9923D",
    ),
    (
        3,
        "used interactions",
        "DFB34EE6D6276D87A2EAD9AF812E91719026C686593C6C6AB027FC9BA5FC689ADDE9E7640D4CADD8429FCF124FE356AB",
    ),
];

/// How many SQLite migration files there are.
fn migration_files() -> i64 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    std::fs::read_dir(dir).unwrap().count() as i64
}

#[tokio::test]
async fn a_database_migrated_by_sqlx_opens_without_migrating_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    {
        // What an earlier Oxid (sqlx 0.8) left: the schema, its bookkeeping, one user.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        for file in [
            "0001_init.sql",
            "0002_tokens_without_rowid.sql",
            "0003_used_interactions.sql",
        ] {
            let sql = std::fs::read_to_string(format!("{migrations}/{file}")).unwrap();
            conn.execute_batch(&sql).unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, \
             description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, \
             success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .unwrap();
        for (version, description, checksum) in SQLX_CHECKSUMS {
            conn.execute(
                &format!(
                    "INSERT INTO _sqlx_migrations VALUES (?, ?, '2026-11-28 09:56:37', 1, \
                     x'{checksum}', 5348535)"
                ),
                rusqlite::params![version, description],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO users (id, username, password_hash, claims, created_at, updated_at) \
             VALUES ('u1', 'alice', 'h', '{}', 1, 1)",
            [],
        )
        .unwrap();
    }
    // Running migration 1 again would fail ("table clients already exists").
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    assert_eq!(store.list_users().await.unwrap()[0].username, "alice");
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM _sqlx_migrations", [], |r| r.get(0))
        .unwrap();
    // The three it had, and every later one applied on top.
    assert_eq!(rows, migration_files());
}

#[tokio::test]
async fn a_new_database_records_what_sqlx_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    drop(oxid_store::open(&file_url(dir.path())).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (version, description, checksum) in SQLX_CHECKSUMS {
        let (got_description, got_checksum, success): (String, String, bool) = conn
            .query_row(
                "SELECT description, hex(checksum), success FROM _sqlx_migrations \
                 WHERE version = ?",
                [version],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (got_description.as_str(), got_checksum.as_str(), success),
            (description, checksum, true)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_migrating_one_new_file_at_once_both_open() {
    // Both ask for WAL and migrate at once; the loser of either race waits, never fails.
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let url = file_url(dir.path());
        let (a, b) = tokio::join!(oxid_store::open(&url), oxid_store::open(&url));
        let (a, b) = (a.unwrap(), b.unwrap());
        contract::fixtures::seed(&*a).await;
        assert_eq!(b.list_users().await.unwrap().len(), 2, "round {round}");
        let conn = rusqlite::Connection::open(dir.path().join("nested-name.db")).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM _sqlx_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, migration_files(), "round {round}");
    }
}

#[tokio::test]
async fn failed_writes_never_leave_the_writer_in_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let store = oxid_store::open(&file_url(dir.path())).await.unwrap();
    contract::fixtures::seed(&*store).await;
    // A conflict, a foreign key violation, a rotation whose new token conflicts.
    let conflict = store.insert_client(&contract::fixtures::client("c1")).await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    let orphan = contract::fixtures::token("t0", oxid_store::TokenKind::Access, "g", "nope", None);
    assert!(store.insert_token(&orphan).await.is_err());
    let old = contract::fixtures::refresh("r1", "g1");
    store.insert_token(&old).await.unwrap();
    let clash = contract::fixtures::refresh("r1", "g1");
    assert!(
        store
            .rotate_refresh_token("r1", &[clash], None, contract::fixtures::NOW)
            .await
            .is_err()
    );
    // The next write works, and another connection can take the write lock at once.
    store
        .insert_client(&contract::fixtures::client("c3"))
        .await
        .unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .busy_timeout(std::time::Duration::from_millis(500))
        .unwrap();
    other
        .execute_batch(
            "BEGIN IMMEDIATE; DELETE FROM used_interactions WHERE id_hash = 'x'; COMMIT;",
        )
        .unwrap();
    let live = store.get_token("r1").await.unwrap().unwrap();
    assert_eq!(
        live.consumed_at, None,
        "the failed rotation left the old token live"
    );
}

#[tokio::test]
async fn a_write_lock_held_elsewhere_gives_unavailable_within_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let limit = std::time::Duration::from_millis(200);
    let options = oxid_store::StoreOptions {
        timeout: limit,
        ..Default::default()
    };
    let store = oxid_store::open_with(&file_url(dir.path()), &options)
        .await
        .unwrap();
    contract::fixtures::seed(&*store).await;
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let blocked = store.insert_client(&contract::fixtures::client("c3")).await;
    let waited = started.elapsed();
    assert!(is_unavailable(blocked), "the write waits for the lock");
    assert!(
        waited >= limit && waited < limit * 3,
        "answered after {waited:?}"
    );
    // Reads go on beside the held lock (WAL), and writes resume once it is released.
    assert_eq!(store.list_users().await.unwrap().len(), 2);
    other.execute_batch("COMMIT").unwrap();
    store
        .insert_client(&contract::fixtures::client("c4"))
        .await
        .unwrap();
    store.check_health().await.unwrap();
}
