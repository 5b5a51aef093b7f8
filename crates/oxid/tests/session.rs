//! `oxid session list [--user NAME]` and `oxid session revoke ID | --user NAME`, through
//! `oxid_provider::admin::sessions` (the admin API's code path): the sessions are written to
//! the database by the test, as a login would.

mod common;

use common::temp_dir;
use oxid_store::SessionRecord;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn oxid(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(args)
        .env("OXID_DATABASE", database(dir))
        .env_remove("OXID_ISSUER")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn database(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("oxid.db").display())
}

fn json(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Two sessions of alice and one of bob, live for an hour.
async fn seed(dir: &Path) {
    for name in ["alice", "bob"] {
        let added = oxid(
            dir,
            &["user", "add", "--username", name, "--password", "pw pw pw"],
        );
        json(&added);
    }
    json(&oxid(dir, &["keys", "list"]));
    let store = oxid_store::open(&database(dir)).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (n, name) in ["alice", "alice", "bob"].iter().enumerate() {
        let user = store.get_user_by_username(name).await.unwrap().unwrap();
        let session = SessionRecord {
            id_hash: format!("hash-{n}"),
            sid: format!("sid-{n}"),
            user_id: user.id,
            auth_time: now + n as u64,
            amr: vec!["pwd".into()],
            acr: None,
            expires_at: now + 3600,
        };
        store.insert_session(&session).await.unwrap();
    }
}

fn sids(listed: &Value) -> Vec<&str> {
    let sessions = listed.as_array().unwrap();
    for session in sessions {
        assert_eq!(session["id"], session["sid"], "{session}");
        assert!(session.get("id_hash").is_none(), "{session}");
    }
    sessions
        .iter()
        .map(|s| s["sid"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_or_all_of_a_user() {
    let dir = temp_dir("cli-session");
    seed(&dir).await;
    let all = json(&oxid(&dir, &["session", "list"]));
    assert_eq!(sids(&all), ["sid-0", "sid-1", "sid-2"]);
    let of_alice = json(&oxid(&dir, &["session", "list", "--user", "alice"]));
    assert_eq!(sids(&of_alice), ["sid-0", "sid-1"]);

    let revoked = json(&oxid(&dir, &["session", "revoke", "sid-0"]));
    assert_eq!(revoked["revoked"], serde_json::json!(["sid-0"]));
    let again = oxid(&dir, &["session", "revoke", "sid-0"]);
    assert!(!again.status.success(), "a session ends once");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("no live session") && stderr.lines().count() == 1,
        "{stderr}"
    );

    let revoked = json(&oxid(&dir, &["session", "revoke", "--user", "alice"]));
    assert_eq!(revoked["revoked"], serde_json::json!(["sid-1"]));
    let left = json(&oxid(&dir, &["session", "list"]));
    assert_eq!(sids(&left), ["sid-2"], "bob's session is untouched");

    let unknown = oxid(&dir, &["session", "list", "--user", "carol"]);
    assert!(!unknown.status.success());
    let neither = oxid(&dir, &["session", "revoke"]);
    assert!(!neither.status.success(), "an id or --user is required");
}
