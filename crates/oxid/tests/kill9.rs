//! Issue 9, "acknowledged means kept", for the real binary: `oxid serve` on a SQLite file (and
//! on a PostgreSQL schema) is killed with SIGKILL in the middle of a client_credentials burst
//! (RFC 6749 §4.4). Started again on the same database, it calls every token it had answered
//! 200 active at `/introspect` (RFC 7662 §2.2).

mod common;

use common::{stdout_lines, temp_dir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections asking for tokens at the same time.
const CLIENTS: usize = 4;
/// Tokens answered before the kill (the kill lands while requests are in flight).
const KILL_AFTER: usize = 150;

const POSTGRES_VAR: &str = "OXID_TEST_POSTGRES_URL";

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("oxid.db").display())
}

/// Runs one SQL statement on the test PostgreSQL database with `psql`.
fn psql(admin_url: &str, sql: &str) {
    let done = Command::new("psql")
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// `oxid serve` on 127.0.0.1:0 over `database`, in `dir` (its encryption key), and the
/// address it listens on.
fn serve(dir: &Path, database: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("OXID_DATABASE", database)
        .env_remove("OXID_ISSUER")
        .env("OXID_LOG", "info")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines_rx = stdout_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let Ok(line) = lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        else {
            break None;
        };
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().map(str::to_string);
        }
    };
    match address {
        Some(address) => (child, address),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start");
        }
    }
}

/// POSTs a form over a fresh connection: the status and the JSON body, or `None` when the
/// connection failed or the answer was cut short.
fn post(address: &str, path: &str, form: &str) -> Option<(u16, serde_json::Value)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    // A body cut short by the kill does not parse: not an answer.
    Some((status, serde_json::from_str(body).ok()?))
}

#[test]
fn tokens_answered_before_a_kill_9_are_active_after_a_restart_on_sqlite() {
    let dir = temp_dir("kill9-sqlite");
    kill_9_mid_burst_keeps_every_answered_token(&dir, &sqlite(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tokens_answered_before_a_kill_9_are_active_after_a_restart_on_postgres() {
    let Some(admin_url) = std::env::var(POSTGRES_VAR).ok().filter(|u| !u.is_empty()) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {POSTGRES_VAR} not set");
        return;
    };
    let schema = format!("oxid_kill9_{}", std::process::id());
    psql(&admin_url, &format!("CREATE SCHEMA {schema}"));
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
    let dir = temp_dir("kill9-postgres");
    kill_9_mid_burst_keeps_every_answered_token(&dir, &url);
    psql(&admin_url, &format!("DROP SCHEMA {schema} CASCADE"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn kill_9_mid_burst_keeps_every_answered_token(dir: &Path, database: &str) {
    let added = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args([
            "client",
            "add",
            "--client-id",
            "app",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "client_secret_post",
        ])
        .env("OXID_DATABASE", database)
        .env_remove("OXID_ISSUER")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let client: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    let secret = client["client_secret"].as_str().unwrap().to_string();
    let credentials = format!("client_id=app&client_secret={secret}");

    let (mut server, address) = serve(dir, database);
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let burst: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (address, answered, killed) = (address.clone(), answered.clone(), killed.clone());
            let form = format!("grant_type=client_credentials&{credentials}");
            std::thread::spawn(move || {
                // Until the server is gone: every answer read in full before then counts.
                while let Some((status, body)) = post(&address, "/token", &form) {
                    assert_eq!(status, 200, "{body}");
                    let token = body["access_token"].as_str().unwrap().to_string();
                    answered.lock().unwrap().push(token);
                }
                assert!(
                    killed.load(Ordering::SeqCst),
                    "the burst failed before the kill"
                );
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < KILL_AFTER {
        assert!(Instant::now() < deadline, "the burst is too slow");
        std::thread::sleep(Duration::from_millis(1));
    }
    killed.store(true, Ordering::SeqCst);
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();
    for thread in burst {
        thread.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();

    let (mut server, address) = serve(dir, database);
    let inactive: Vec<&String> = answered
        .iter()
        .filter(|token| {
            let form = format!("token={token}&{credentials}");
            let (status, body) = post(&address, "/introspect", &form).expect("an answer");
            assert_eq!(status, 200, "{body}");
            body["active"] != true
        })
        .collect();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        inactive.is_empty(),
        "{} of {} tokens answered 200 before the kill are not active after the restart",
        inactive.len(),
        answered.len()
    );
}
