//! The `oxid` binary as operators use it: help, errors as one line, users, clients, keys,
//! and `serve` starting on a fresh database and stopping gracefully on SIGTERM.

mod common;

use common::{oxid_with_input, stdout_lines, temp_dir};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn oxid(dir: &Path, args: &[&str]) -> Output {
    let database = format!("sqlite://{}", dir.join("oxid.db").display());
    Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(args)
        .env("OXID_DATABASE", database)
        .env_remove("OXID_ISSUER")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_has_help() {
    let dir = temp_dir("cli-help");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "add", "--help"],
        &["user", "update", "--help"],
        &["user", "list", "--help"],
        &["user", "remove", "--help"],
        &["client", "add", "--help"],
        &["client", "update", "--help"],
        &["client", "list", "--help"],
        &["client", "remove", "--help"],
        &["keys", "list", "--help"],
        &["keys", "rotate", "--help"],
        &["session", "list", "--help"],
        &["session", "revoke", "--help"],
    ] {
        let output = oxid(&dir, args);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn bad_flag_unreadable_config_and_unreachable_database_give_one_line() {
    let dir = temp_dir("cli-errors");
    let output = oxid(&dir, &["serve", "--no-such-flag"]);
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim().lines().count(),
        1,
        "{}",
        stderr(&output)
    );
    let output = oxid(&dir, &["--config", "/nonexistent/oxid.toml", "serve"]);
    assert!(!output.status.success());
    assert_eq!(stderr(&output).trim().lines().count(), 1);
    assert!(stderr(&output).contains("/nonexistent/oxid.toml"));
    let output = oxid(
        &dir,
        &[
            "--database",
            "postgres://nobody@127.0.0.1:1/none",
            "user",
            "list",
        ],
    );
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim().lines().count(),
        1,
        "{}",
        stderr(&output)
    );
    std::fs::write(dir.join("bad.toml"), "issuer = \"ftp://x\"\n").unwrap();
    let output = oxid(&dir, &["--config", "bad.toml", "serve"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("issuer"),
        "the error names the key"
    );
    std::fs::write(dir.join("unknown.toml"), "isuer = \"https://x\"\n").unwrap();
    let output = oxid(&dir, &["--config", "unknown.toml", "serve"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("isuer"));
}

#[test]
fn users_clients_and_keys_round_trip() {
    let dir = temp_dir("cli-admin");
    let output = oxid_with_input(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "alice",
            "--password-stdin",
            "--email",
            "a@example.com",
        ],
        b"s3cret pass\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let listed = oxid(&dir, &["user", "list"]);
    let users: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(users[0]["username"], "alice");
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains("argon2"),
        "no hashes listed"
    );
    let duplicate = oxid(
        &dir,
        &["user", "add", "--username", "alice", "--password", "x"],
    );
    assert!(!duplicate.status.success());

    let added = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "app",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--scope",
            "openid email",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let client: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(client["client_id"], "app");
    let secret = client["client_secret"]
        .as_str()
        .expect("the secret, printed once");
    assert!(secret.len() >= 43);
    let listed = oxid(&dir, &["client", "list"]);
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains(secret),
        "never again"
    );
    let weak = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "weak",
            "--client-secret",
            "abc",
            "--redirect-uri",
            "https://app.example.com/cb",
        ],
    );
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("client secret is too weak"),
        "{}",
        stderr(&weak)
    );
    assert!(!String::from_utf8_lossy(&oxid(&dir, &["client", "list"]).stdout).contains("weak"));
    let bad = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "x",
            "--redirect-uri",
            "https://a/#frag",
        ],
    );
    assert!(!bad.status.success());
    assert!(oxid(&dir, &["client", "remove", "app"]).status.success());
    assert!(!oxid(&dir, &["client", "remove", "app"]).status.success());
    assert!(oxid(&dir, &["user", "remove", "alice"]).status.success());

    let keys = oxid(&dir, &["keys", "list"]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let before: serde_json::Value = serde_json::from_slice(&keys.stdout).unwrap();
    let rotated = oxid(&dir, &["keys", "rotate"]);
    let after: serde_json::Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert!(after.as_array().unwrap().len() > before.as_array().unwrap().len());
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["state"] == "retired")
    );
}

fn user_claims(dir: &Path, username: &str) -> serde_json::Value {
    let listed = oxid(dir, &["user", "list"]);
    let users: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username);
    user.expect("the user is listed")["claims"].clone()
}

#[test]
fn claims_are_given_with_claim_changed_with_update_and_scopes_come_from_the_config() {
    let dir = temp_dir("cli-claims");
    let added = oxid(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "bob",
            "--password",
            "a long password",
            "--claim",
            r#"groups=["staff"]"#,
            "--claim",
            r#"address={"country":"FR"}"#,
            "--claim",
            "phone_number=+33123456789",
            "--claim",
            "nickname=Bobby",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let claims = user_claims(&dir, "bob");
    assert_eq!(claims["groups"], serde_json::json!(["staff"]));
    assert_eq!(claims["address"]["country"], "FR");
    assert_eq!(claims["phone_number"], "+33123456789");
    // OIDC Core §5.1 types: an address is an object.
    let bad = oxid(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "eve",
            "--password",
            "pw",
            "--claim",
            "address=Lyon",
        ],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("address"), "{}", stderr(&bad));

    let updated = oxid_with_input(
        &dir,
        &[
            "user",
            "update",
            "bob",
            "--claim",
            r#"groups=["ops"]"#,
            "--claim",
            "nickname=null",
            "--password-stdin",
        ],
        b"another long password\n",
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    let claims = user_claims(&dir, "bob");
    assert_eq!(claims["groups"], serde_json::json!(["ops"]));
    assert!(claims.get("nickname").is_none(), "null removes: {claims}");
    assert_eq!(claims["address"]["country"], "FR", "the others stay");
    for args in [
        &["user", "update", "bob"][..],
        &["user", "update", "nobody", "--claim", "a=1"],
    ] {
        let refused = oxid(&dir, args);
        assert!(!refused.status.success(), "{args:?}");
        assert_eq!(stderr(&refused).trim().lines().count(), 1);
    }

    // A client may be given the configured scopes, and no other.
    let config = dir.join("oxid.toml");
    std::fs::write(
        &config,
        "[[scopes]]\nname = \"groups\"\nclaims = [\"groups\"]\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let client = |id: &str, scope: &str| {
        let args = [
            "--config",
            config.as_str(),
            "client",
            "add",
            "--client-id",
            id,
            "--redirect-uri",
            "https://app.example.com/cb",
            "--scope",
            scope,
        ];
        oxid(&dir, &args)
    };
    let added = client("app", "openid groups");
    assert!(added.status.success(), "{}", stderr(&added));
    let refused = client("other", "openid roles");
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("roles"), "{}", stderr(&refused));
}

#[test]
fn client_add_takes_the_device_grant_and_the_password_grant_when_the_configuration_enables_it() {
    let dir = temp_dir("cli-grants");
    let add = |dir: &Path, extra: &[&str], id: &str| {
        let mut args = extra.to_vec();
        args.extend([
            "client",
            "add",
            "--client-id",
            id,
            "--grant-type",
            "password",
        ]);
        oxid(dir, &args)
    };
    let refused = add(&dir, &[], "tv");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("password"),
        "{}",
        stderr(&refused)
    );
    std::fs::write(dir.join("grants.toml"), "[grants]\npassword = true\n").unwrap();
    let added = add(&dir, &["--config", "grants.toml"], "tv");
    assert!(added.status.success(), "{}", stderr(&added));
    let device = "urn:ietf:params:oauth:grant-type:device_code";
    let args = [
        "client",
        "add",
        "--client-id",
        "cli",
        "--public",
        "--grant-type",
        device,
    ];
    let added = oxid(&dir, &args);
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = String::from_utf8_lossy(&oxid(&dir, &["client", "list"]).stdout).into_owned();
    assert!(listed.contains("\"password\""), "{listed}");
    assert!(listed.contains(device), "{listed}");
}

#[test]
fn serve_starts_on_a_fresh_database_logs_requests_and_stops_on_sigterm() {
    let dir = temp_dir("cli-serve");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "OXID_DATABASE",
            format!("sqlite://{}", dir.join("oxid.db").display()),
        )
        .env("OXID_LOG", "info")
        .env("NO_COLOR", "1")
        .current_dir(&dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines_rx = stdout_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log = Vec::new();
    let addr = loop {
        let line = lines_rx
            .recv_timeout(deadline - Instant::now())
            .expect("server starts");
        log.push(line.clone());
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let response = http_get(&addr, "/.well-known/openid-configuration?secret=abc");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        dir.join("oxid.key").exists(),
        "the encryption key is generated on first start"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit: {status:?}");
    log.extend(lines_rx.try_iter());
    let log = log.join("\n");
    assert!(
        log.contains("oxid user add"),
        "says how to add a user: {log}"
    );
    assert!(log.contains("oxid client add"));
    assert!(log.contains("route=/.well-known/openid-configuration"));
    assert!(!log.contains("secret=abc"), "queries are never logged");
    assert!(log.contains("oxid stopped"));
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn client_add_takes_the_registration_members() {
    let dir = temp_dir("cli-members");
    std::fs::write(dir.join("jwks.json"), r#"{"keys": []}"#).unwrap();
    let jwks_file = dir.join("jwks.json").display().to_string();
    let added = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "native",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--application-type",
            "native",
            "--id-token-claims",
            "minimal",
            "--require-pkce",
            "false",
            "--jwks-file",
            &jwks_file,
            "--userinfo-signing-alg",
            "ES256",
            "--default-max-age",
            "600",
            "--require-auth-time",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = oxid(&dir, &["client", "list"]);
    let clients: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let client = &clients[0];
    assert_eq!(client["application_type"], "native");
    assert_eq!(client["id_token_claims"], "minimal");
    assert_eq!(client["require_pkce"], false);
    assert_eq!(client["jwks"], serde_json::json!({"keys": []}));
    assert_eq!(client["userinfo_signed_response_alg"], "ES256");
    assert_eq!(client["default_max_age"], 600);
    assert_eq!(client["require_auth_time"], true);

    // RFC 9700 §2.1.1: a public client cannot turn PKCE off.
    let public = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "spa",
            "--public",
            "--redirect-uri",
            "https://spa.example/cb",
            "--require-pkce",
            "false",
        ],
    );
    assert!(!public.status.success());
    assert!(stderr(&public).contains("PKCE"), "{}", stderr(&public));
}

#[test]
fn client_add_and_update_take_the_request_object_members() {
    // OIDC Registration §2 request_object_signing_alg and request_uris, RFC 9101 §10.5.
    let dir = temp_dir("cli-request-objects");
    let added = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "rp",
            "--redirect-uri",
            "https://rp.example/cb",
            "--request-object-signing-alg",
            "none",
            "--request-uri",
            "https://rp.example/ro/1",
            "--request-uri",
            "https://rp.example/ro/2#v2",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = oxid(&dir, &["client", "list"]);
    let clients: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(clients[0]["request_object_signing_alg"], "none");
    assert_eq!(
        clients[0]["request_uris"],
        serde_json::json!(["https://rp.example/ro/1", "https://rp.example/ro/2#v2"])
    );
    // none and require_signed_request_object contradict each other.
    let refused = oxid(
        &dir,
        &["client", "update", "rp", "--require-signed-request-object"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("require_signed_request_object"),
        "{}",
        stderr(&refused)
    );
    // A key pair's algorithm needs the client's keys.
    let refused = oxid(
        &dir,
        &[
            "client",
            "update",
            "rp",
            "--request-object-signing-alg",
            "ES256",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("request_object_signing_alg"),
        "{}",
        stderr(&refused)
    );
    let updated = oxid(
        &dir,
        &[
            "client",
            "update",
            "rp",
            "--request-object-signing-alg",
            "HS256",
            "--require-signed-request-object",
        ],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    let client: serde_json::Value = serde_json::from_slice(&updated.stdout).unwrap();
    assert_eq!(client["request_object_signing_alg"], "HS256");
    assert_eq!(client["require_signed_request_object"], true);
}

#[test]
fn client_update_changes_only_the_given_members_through_the_same_rules() {
    let dir = temp_dir("cli-update");
    let added = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "app",
            "--name",
            "Shop",
            "--redirect-uri",
            "https://app.example/cb",
            "--skip-consent",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let updated = oxid(
        &dir,
        &[
            "client",
            "update",
            "app",
            "--name",
            "Boutique",
            "--skip-consent",
            "false",
            "--grant-type",
            "authorization_code",
        ],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    let client: serde_json::Value = serde_json::from_slice(&updated.stdout).unwrap();
    assert_eq!(client["client_name"], "Boutique");
    assert_eq!(
        client["redirect_uris"],
        serde_json::json!(["https://app.example/cb"])
    );
    assert_eq!(
        client["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(client["skip_consent"], false);
    assert!(client.get("client_secret").is_none(), "the secret is kept");
    // OIDC Registration §2: a web client's redirect URI is https; the error names the member.
    let refused = oxid(
        &dir,
        &[
            "client",
            "update",
            "app",
            "--redirect-uri",
            "http://app.example/cb",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("redirect_uris"),
        "{}",
        stderr(&refused)
    );
    let unknown = oxid(&dir, &["client", "update", "nobody", "--name", "x"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no client"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn serve_refuses_token_registration_without_a_token() {
    let dir = temp_dir("cli-registration");
    let output = oxid(
        &dir,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--registration",
            "token",
        ],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("registration_token"),
        "{}",
        stderr(&output)
    );
    let bad = oxid(&dir, &["serve", "--registration", "sometimes"]);
    assert!(!bad.status.success());
}

/// Issue 15: `--id-token-encrypted-response-alg/-enc` and the UserInfo pair, with the
/// client's `use: enc` key from `--jwks-file`; without a key to encrypt to, refused.
#[test]
fn client_add_takes_the_encryption_members() {
    let dir = temp_dir("cli-encryption");
    let jwks = r#"{"keys": [{"kty": "EC", "crv": "P-256", "use": "enc", "kid": "e1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
    std::fs::write(dir.join("jwks.json"), jwks).unwrap();
    let jwks_file = dir.join("jwks.json").display().to_string();
    let add = |id: &str, extra: &[&str]| {
        let mut args = vec!["client", "add", "--client-id", id];
        args.extend(["--redirect-uri", "https://app.example/cb"]);
        args.extend(extra);
        oxid(&dir, &args)
    };
    let added = add(
        "enc",
        &[
            "--jwks-file",
            &jwks_file,
            "--id-token-encrypted-response-alg",
            "ECDH-ES+A256KW",
            "--id-token-encrypted-response-enc",
            "A256GCM",
            "--userinfo-encrypted-response-alg",
            "ECDH-ES",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = oxid(&dir, &["client", "list"]);
    let clients: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let client = &clients[0];
    assert_eq!(client["id_token_encrypted_response_alg"], "ECDH-ES+A256KW");
    assert_eq!(client["id_token_encrypted_response_enc"], "A256GCM");
    // OIDC Registration §2: the default enc.
    assert_eq!(client["userinfo_encrypted_response_enc"], "A128CBC-HS256");
    let refused = add(
        "no-key",
        &["--id-token-encrypted-response-alg", "RSA-OAEP-256"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("id_token_encrypted_response_alg"),
        "{}",
        stderr(&refused)
    );
}
