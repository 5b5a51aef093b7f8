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
