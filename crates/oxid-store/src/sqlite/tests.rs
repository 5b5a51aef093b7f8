//! The backend's own settings and its writer's group commit.

use super::*;
use crate::{ClientRecord, ClientStore, TokenKind, TokenRecord, TokenStore};

async fn pragma(store: &SqliteStore, name: &'static str) -> String {
    store
        .read(move |conn| {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| {
                let value: rusqlite::types::Value = r.get(0)?;
                Ok(match value {
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    other => format!("{other:?}"),
                })
            })
            .map_err(sql_err)
        })
        .await
        .unwrap()
}

pub(super) fn token(hash: &str, client_id: &str) -> TokenRecord {
    TokenRecord {
        token_hash: hash.into(),
        kind: TokenKind::Access,
        grant_id: "g".into(),
        client_id: client_id.into(),
        user_id: None,
        scopes: vec![],
        sid: None,
        auth_time: None,
        claims_request: None,
        audience: None,
        grant_expires_at: None,
        issued_at: 1,
        expires_at: 1000,
        consumed_at: None,
        revoked_at: None,
        dpop_jkt: None,
    }
}

pub(super) fn client(client_id: &str) -> ClientRecord {
    ClientRecord {
        grant_types: vec![],
        response_types: vec![],
        token_endpoint_auth_method: "none".into(),
        ..ClientRecord::new(client_id)
    }
}

/// A write whose statement passes and whose batch's `COMMIT` fails: a deferred foreign key
/// violation, so it fails every write of its batch.
pub(super) async fn failing_at_commit(store: SqliteStore) -> StoreResult<usize> {
    store
        .write(|conn| {
            conn.execute_batch("PRAGMA defer_foreign_keys = ON")
                .map_err(sql_err)?;
            exec(
                conn,
                "INSERT INTO session_clients (sid, client_id) VALUES ('s', 'missing')",
                [],
            )
            .map_err(sql_err)
        })
        .await
}

pub(super) async fn file_store(dir: &tempfile::TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    SqliteStore::open(&url).await.unwrap()
}

#[tokio::test]
async fn file_connections_use_wal_normal_sync_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    assert_eq!(pragma(&store, "journal_mode").await, "wal");
    assert_eq!(pragma(&store, "synchronous").await, "1", "NORMAL");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    let busy: u64 = pragma(&store, "busy_timeout").await.parse().unwrap();
    assert!(busy >= 5000, "busy_timeout {busy} ms");
    assert!(store.readers.is_some() && READERS > 1);
    assert_eq!(
        pragma(&store, "query_only").await,
        "1",
        "readers never write"
    );
}

/// SQLite is built to keep a statement journal of up to 256 KiB in memory
/// (.cargo/config.toml): at its default of 64 KiB, batches of refreshes spilled it to a
/// temporary file.
#[tokio::test]
async fn statement_journals_spill_to_a_file_only_past_256_kib() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let options = store
        .read(|conn| {
            all(conn, "PRAGMA compile_options", [], |r| {
                r.get::<_, String>(0).map_err(sql_err)
            })
        })
        .await
        .unwrap();
    assert!(
        options.iter().any(|o| o == "STMTJRNL_SPILL=262144"),
        "{options:?}"
    );
}

#[tokio::test]
async fn memory_database_lives_on_one_thread_with_foreign_keys() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    assert!(store.readers.is_none() && store.watchdog.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_commit_together_and_a_bad_row_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    store.insert_client(&client("c")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        // Row 50 names a client that does not exist: a foreign key violation; row 60 has
        // row 10's hash: a primary key conflict. Token inserts run without a savepoint of
        // their own (one statement, which SQLite undoes alone), so this checks that too.
        let client_id = if i == 50 { "missing" } else { "c" };
        let hash = if i == 60 { 10 } else { i };
        tasks.push(tokio::spawn(async move {
            store
                .insert_token(&token(&format!("h{hash}"), client_id))
                .await
        }));
    }
    let mut failures = 0;
    for task in tasks {
        if task.await.unwrap().is_err() {
            failures += 1;
        }
    }
    assert_eq!(failures, 2);
    for i in (0..100).filter(|i| *i != 50 && *i != 60) {
        assert!(store.get_token(&format!("h{i}")).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn a_job_that_ends_or_reopens_the_transaction_fails_and_the_writer_goes_on() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    // Ending the batch's transaction, or ending it and leaving a new one open: either way
    // the batch fails, and the writer is back in autocommit for the next one.
    for sql in ["COMMIT", "COMMIT; BEGIN"] {
        let err = store
            .write(move |conn| conn.execute_batch(sql).map_err(sql_err))
            .await;
        assert!(err.is_err(), "{sql}");
        store.insert_client(&client(sql)).await.unwrap();
        assert!(store.get_client(sql).await.unwrap().is_some());
    }
    let in_tx = store.write(|conn| Ok(conn.is_autocommit())).await.unwrap();
    assert!(!in_tx, "jobs run inside the batch transaction");
}

#[tokio::test]
async fn a_panicking_job_fails_alone() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    let failed = store
        .write(|conn| -> StoreResult<()> {
            conn.execute_batch("CREATE TABLE scratch (x INTEGER)")
                .map_err(sql_err)?;
            panic!("a bug in a job")
        })
        .await;
    assert!(matches!(failed, Err(StoreError::Backend(_))), "{failed:?}");
    store.insert_client(&client("c")).await.unwrap();
    let scratch = store
        .read(|conn| {
            one(
                conn,
                "SELECT name FROM sqlite_master WHERE name = 'scratch'",
                [],
                |r| r.get::<_, String>(0).map_err(sql_err),
            )
        })
        .await
        .unwrap();
    assert_eq!(scratch, None, "the panicking job was rolled back");
}

#[test]
fn urls_name_their_file() {
    assert_eq!(file_path("sqlite://oxid.db"), PathBuf::from("oxid.db"));
    assert_eq!(
        file_path("sqlite:///var/x.db?mode=rwc"),
        PathBuf::from("/var/x.db")
    );
    assert_eq!(file_path("sqlite:data/x.db"), PathBuf::from("data/x.db"));
    assert!(is_memory("sqlite::memory:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_job_of_its_batch() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    // Keep the writer busy so that the next two jobs queue up and form one batch.
    let busy = store.clone();
    let busy = tokio::spawn(async move {
        busy.write(|_| {
            std::thread::sleep(Duration::from_millis(300));
            Ok(())
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let good = store.clone();
    let good = tokio::spawn(async move { good.insert_client(&client("a")).await });
    let bad = tokio::spawn(failing_at_commit(store.clone()));
    busy.await.unwrap().unwrap();
    let (good, bad) = (good.await.unwrap(), bad.await.unwrap());
    assert!(good.is_err(), "answered only if committed: {good:?}");
    assert!(bad.is_err(), "{bad:?}");
    assert_eq!(store.get_client("a").await.unwrap(), None);
    store.insert_client(&client("b")).await.unwrap();
    assert!(store.get_client("b").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_removed_while_its_batch_runs_fails_the_batch_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let path = dir.path().join("p.db");
    assert!(path.exists());
    // The file goes between the watchdog's check before the batch and the commit: the commit
    // lands in the removed file, so the caller must not be told it is kept.
    let removed = path.clone();
    let outcome = store
        .write(move |conn| {
            std::fs::remove_file(&removed).map_err(|e| StoreError::Backend(e.to_string()))?;
            exec(
                conn,
                "INSERT INTO used_interactions (id_hash, expires_at) VALUES ('x', 1)",
                [],
            )
            .map_err(sql_err)
        })
        .await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(!path.exists(), "no new database file");
}

/// `queue_stats` and `connection_stats` follow the jobs: a job waits (`queued`) behind one
/// that runs (`in_flight`, its connection in use), and both counts fall back to 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_connection_stats_follow_the_jobs() {
    use crate::HealthStore;
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let idle = |store: &SqliteStore| {
        let counts: Vec<_> = store
            .queue_stats()
            .iter()
            .map(|q| (q.queue, q.queued, q.in_flight))
            .collect();
        assert_eq!(counts, vec![("write", 0, 0), ("read", 0, 0)]);
        let connections = store.connection_stats().unwrap();
        assert_eq!(
            (connections.in_use, connections.max),
            (0, READERS as u32 + 1)
        );
    };
    idle(&store);
    let (started, running) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let slow = store.clone();
    let first = tokio::spawn(async move {
        slow.write(move |_| {
            started.send(()).unwrap();
            released.recv().unwrap();
            Ok(())
        })
        .await
    });
    let (behind, store2) = (store.clone(), store.clone());
    running.recv().unwrap();
    let second = tokio::spawn(async move { behind.write(|_| Ok(())).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let write = store2.queue_stats()[0];
        if (write.queued, write.in_flight) == (1, 1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{write:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(store2.connection_stats().unwrap().in_use, 1);
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    idle(&store2);
}

/// A read by key while every inline connection is taken is answered by a reader thread.
#[tokio::test]
async fn a_read_by_key_with_no_inline_connection_free_goes_to_the_readers() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    store.insert_client(&client("a")).await.unwrap();
    let inline = store.inline.clone().unwrap();
    let taken = inline.take_all();
    assert!(store.get_client("a").await.unwrap().is_some());
    drop(taken);
    assert!(store.get_client("a").await.unwrap().is_some());
}
