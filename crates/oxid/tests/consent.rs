//! `oxid consent list [--user NAME] [--client ID]` and `oxid consent revoke --user NAME
//! --client ID`, through `oxid_provider::admin::consents` (the admin API's code path):
//! revoking a consent revokes the client's tokens for the user with it (issue 13, as
//! Keycloak does). The consents and tokens are written by the test, as a login would.

mod common;

use common::temp_dir;
use oxid_store::{ConsentRecord, TokenKind, TokenRecord};
use serde_json::{Value, json};
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

fn failed(output: &Output, why: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{why}");
    assert!(
        stderr.contains(why) && stderr.lines().count() == 1,
        "{stderr}"
    );
}

fn token(hash: &str, client_id: &str, user_id: &str) -> TokenRecord {
    TokenRecord {
        token_hash: hash.into(),
        kind: TokenKind::Refresh,
        grant_id: format!("grant-{hash}"),
        client_id: client_id.into(),
        user_id: Some(user_id.into()),
        scopes: vec!["openid".into(), "offline_access".into()],
        sid: None,
        auth_time: Some(1),
        claims_request: None,
        audience: None,
        grant_expires_at: None,
        issued_at: 1,
        expires_at: u64::from(u32::MAX),
        consumed_at: None,
        revoked_at: None,
        dpop_jkt: None,
    }
}

/// alice consented to `app` and `shop`, bob to `app`; each holds a refresh token of each.
async fn seed(dir: &Path) -> (String, String) {
    for name in ["alice", "bob"] {
        let args = ["user", "add", "--username", name, "--password", "pw pw pw"];
        json(&oxid(dir, &args));
    }
    for id in ["app", "shop"] {
        let args = [
            "client",
            "add",
            "--client-id",
            id,
            "--redirect-uri",
            "https://rp.example/cb",
        ];
        json(&oxid(dir, &args));
    }
    let store = oxid_store::open(&database(dir)).await.unwrap();
    let sub = |name: &'static str| {
        let store = store.clone();
        async move { store.get_user_by_username(name).await.unwrap().unwrap().id }
    };
    let (alice, bob) = (sub("alice").await, sub("bob").await);
    for (user, client) in [(&alice, "app"), (&alice, "shop"), (&bob, "app")] {
        let consent = ConsentRecord {
            user_id: user.clone(),
            client_id: client.into(),
            scopes: vec!["openid".into()],
            granted_at: 1,
        };
        store.put_consent(&consent).await.unwrap();
        let hash = format!("{client}-{user}");
        store
            .insert_token(&token(&hash, client, user))
            .await
            .unwrap();
    }
    (alice, bob)
}

fn pairs(listed: &Value) -> Vec<(String, String)> {
    let consents = listed.as_array().unwrap();
    consents
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap().to_string();
            (text("user_id"), text("client_id"))
        })
        .collect()
}

#[tokio::test]
async fn consents_are_listed_by_user_and_client_and_revoked_with_the_clients_tokens() {
    let dir = temp_dir("cli-consent");
    let (alice, bob) = seed(&dir).await;
    let all = json(&oxid(&dir, &["consent", "list"]));
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
    let of_alice = json(&oxid(&dir, &["consent", "list", "--user", "ALICE"]));
    let expected = [
        (alice.clone(), "app".into()),
        (alice.clone(), "shop".into()),
    ];
    assert_eq!(pairs(&of_alice), expected);
    let to_app = json(&oxid(&dir, &["consent", "list", "--client", "app"]));
    assert_eq!(to_app.as_array().unwrap().len(), 2, "{to_app}");
    let one = json(&oxid(
        &dir,
        &["consent", "list", "--user", "bob", "--client", "app"],
    ));
    assert_eq!(pairs(&one), [(bob.clone(), "app".to_string())]);

    let revoked = json(&oxid(
        &dir,
        &["consent", "revoke", "--user", "alice", "--client", "app"],
    ));
    assert_eq!(revoked, json!({"revoked_tokens": 1}));
    let store = oxid_store::open(&database(&dir)).await.unwrap();
    let state = |hash: String| {
        let store = store.clone();
        async move { store.get_token(&hash).await.unwrap().unwrap().revoked_at }
    };
    assert!(
        state(format!("app-{alice}")).await.is_some(),
        "alice's app token"
    );
    assert!(
        state(format!("shop-{alice}")).await.is_none(),
        "another client's"
    );
    assert!(
        state(format!("app-{bob}")).await.is_none(),
        "another user's"
    );
    let of_alice = json(&oxid(&dir, &["consent", "list", "--user", "alice"]));
    assert_eq!(pairs(&of_alice), [(alice.clone(), "shop".to_string())]);

    let again = oxid(
        &dir,
        &["consent", "revoke", "--user", "alice", "--client", "app"],
    );
    failed(&again, "has no consent for client");
    let nobody = oxid(
        &dir,
        &["consent", "revoke", "--user", "carol", "--client", "app"],
    );
    failed(&nobody, "no user");
    let missing = oxid(&dir, &["consent", "revoke", "--user", "alice"]);
    assert!(!missing.status.success(), "--client is required");
}
