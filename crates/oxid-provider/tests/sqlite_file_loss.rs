//! The SQLite file is the provider: deleting it under a running server makes requests fail
//! loudly (503 `temporarily_unavailable`, RFC 6749 §5.2; `/readyz` 503) within the time
//! limit, and no new, empty database ever appears in its place.

mod common;

use common::{T0, TestServer};
use oxid_provider::clock::TestClock;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The store's default time limit (`StoreOptions`), which the test server uses.
const LIMIT: Duration = Duration::from_secs(2);

fn database_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .collect()
}

/// A fresh directory of this test's own, removed at the end whatever happens.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> ScratchDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("oxid-file-loss-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn client_credentials(server: &TestServer, secret: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("service", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    (status, body, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_database_files_gives_503_and_no_new_database() {
    let dir = ScratchDir::new();
    let path = dir.0.join("oxid.db");
    let url = format!("sqlite://{}", path.display());
    let server = TestServer::launch(|_| {}, &url, TestClock::new(T0), true).await;
    let secret = server
        .add_client("service", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris.clear();
        })
        .await;
    let (status, body, _) = client_credentials(&server, &secret).await;
    assert_eq!(status, 200, "{body}");
    let readyz = format!("{}/readyz", server.base);
    assert_eq!(reqwest::get(&readyz).await.unwrap().status(), 200);

    for file in database_files(&path) {
        let _ = std::fs::remove_file(file);
    }

    let (status, body, took) = client_credentials(&server, &secret).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(took < LIMIT, "answered after {took:?}");
    let ready = reqwest::get(&readyz).await.unwrap();
    assert_eq!(ready.status(), 503);
    // Later requests keep failing the same way: nothing recreated the database meanwhile.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, body, _) = client_credentials(&server, &secret).await;
    assert_eq!(
        (status, &body["error"]),
        (503, &Value::from("temporarily_unavailable"))
    );
    for file in database_files(&path) {
        assert!(!file.exists(), "{} reappeared", file.display());
    }
}
