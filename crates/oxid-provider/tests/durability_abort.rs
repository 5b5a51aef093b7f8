//! Issue 9, "acknowledged means kept": 1,000 refresh requests whose clients close the socket
//! at a random moment, among concurrent client_credentials and code-flow traffic. Every
//! token answered 200 is then active at `/introspect` (RFC 7662 §2.2), the store's writer
//! is free, and a restarted provider on the same database still knows every one of them.
//! On a SQLite file and on PostgreSQL (a schema of its own; skipped loudly without
//! `OXID_TEST_POSTGRES_URL`).

mod common;
mod durability;

use base64::Engine;
use common::*;
use durability::{Database, Random, inactive_tokens};
use oxid_provider::clock::TestClock;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Refresh requests aborted by their client.
const ABORTED_REFRESHES: usize = 1_000;
/// Connections aborting refreshes at the same time.
const ABORTERS: usize = 3;
/// Browsers running the code flow at the same time.
const BROWSERS: usize = 2;
/// The most client_credentials tokens asked for (keeps the final checks short).
const CLIENT_CREDENTIALS_TOKENS: usize = 1_500;
const SCOPE: &str = "openid offline_access";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aborted_refreshes_lose_no_answered_token_on_sqlite() {
    aborted_refreshes_lose_no_answered_token(Database::sqlite("oxid_abort")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aborted_refreshes_lose_no_answered_token_on_postgres() {
    let Some(database) = Database::postgres("oxid_abort", None).await else {
        return;
    };
    aborted_refreshes_lose_no_answered_token(database).await;
}

/// What the traffic leaves behind: tokens answered 200, and answers that were not 200.
#[derive(Default)]
struct Record {
    answered: Mutex<Vec<String>>,
    failures: Mutex<Vec<String>>,
    aborted: AtomicUsize,
}

impl Record {
    fn keep(&self, token: &Value) {
        let token = token.as_str().expect("a token string").to_string();
        self.answered.lock().unwrap().push(token);
    }
    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }
    fn done(&self) -> bool {
        self.aborted.load(Ordering::SeqCst) >= ABORTED_REFRESHES
    }
}

async fn aborted_refreshes_lose_no_answered_token(database: Database) {
    let started = Instant::now();
    // This test is about aborts, not outages: a generous limit keeps a loaded machine's
    // slow answers from turning into 503s (durability_outage tests the short limit).
    let generous = |s: &mut oxid_provider::config::Settings| s.database_timeout_ms = 10_000;
    let server =
        Arc::new(TestServer::launch(generous, &database.url, TestClock::new(T0), true).await);
    let grants = ["authorization_code", "refresh_token", "client_credentials"];
    let secret = server
        .add_client("app", |c| c.grant_types = grants.map(String::from).to_vec())
        .await;
    let record = Arc::new(Record::default());
    let (refresh_tx, refresh_rx) = mpsc::channel::<String>(64);
    let refresh_rx = Arc::new(tokio::sync::Mutex::new(refresh_rx));

    let mut traffic = tokio::task::JoinSet::new();
    for _ in 0..BROWSERS {
        let (server, secret, record, tx) = (
            server.clone(),
            secret.clone(),
            record.clone(),
            refresh_tx.clone(),
        );
        traffic.spawn(async move { code_flows(&server, &secret, &record, tx).await });
    }
    drop(refresh_tx);
    {
        let (server, secret, record) = (server.clone(), secret.clone(), record.clone());
        traffic.spawn(async move { client_credentials(&server, &secret, &record).await });
    }
    for _ in 0..ABORTERS {
        let (server, secret, record, rx) = (
            server.clone(),
            secret.clone(),
            record.clone(),
            refresh_rx.clone(),
        );
        traffic.spawn(async move { abort_refreshes(&server, &secret, &record, rx).await });
    }
    while let Some(done) = traffic.join_next().await {
        done.unwrap();
    }
    let answered = record.answered.lock().unwrap().clone();
    let failures = record.failures.lock().unwrap().clone();
    eprintln!(
        "{} refreshes aborted, {} tokens answered 200 in {:?}",
        record.aborted.load(Ordering::SeqCst),
        answered.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} answers other than 200, the first: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );

    // The writer is free: another store on the same database writes at once.
    let other = oxid_store::open(&database.url).await.unwrap();
    let user = oxid_store::UserRecord {
        id: "after-the-aborts".into(),
        username: "after-the-aborts".into(),
        password_hash: "x".into(),
        claims: serde_json::json!({}),
        created_at: T0,
        updated_at: T0,
    };
    tokio::time::timeout(Duration::from_secs(1), other.insert_user(&user))
        .await
        .expect("a second store writes within a second")
        .unwrap();
    assert_no_session_left_in_a_transaction(&database).await;

    let inactive = inactive_tokens(&server, "app", &secret, &answered).await;
    assert!(
        inactive.is_empty(),
        "{} of {} tokens answered 200 are not active",
        inactive.len(),
        answered.len()
    );
    // A fresh instance on the same database: what was answered was committed.
    let restarted = TestServer::start_sibling(&server, &database.url).await;
    let inactive = inactive_tokens(&restarted, "app", &secret, &answered).await;
    assert!(
        inactive.is_empty(),
        "after a restart {} of {} tokens answered 200 are not active",
        inactive.len(),
        answered.len()
    );
    database.remove().await;
}

/// PostgreSQL: no session of this schema stays `idle in transaction` (a transaction that
/// began and will never end). One may be between two statements right now, so wait a bit.
async fn assert_no_session_left_in_a_transaction(database: &Database) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let stuck = database.sessions_idle_in_transaction().await;
        if stuck == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{stuck} sessions left idle in transaction"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs in (login and consent pages), then runs authorize + code exchange until the aborts
/// are done, keeping each access token; a tenth of the refresh tokens are refreshed for
/// real (both new tokens kept), the rest are handed to the aborters. Every 100 grants a
/// new browser logs in again.
async fn code_flows(
    server: &TestServer,
    secret: &str,
    record: &Record,
    refresh_tokens: mpsc::Sender<String>,
) {
    let mut browser = server.browser();
    let mut code = obtain_code(server, &browser, "app", SCOPE).await;
    for grant in 1.. {
        let (status, tokens) = exchange_code(server, "app", secret, &code).await;
        if status != 200 {
            record.fail(format!("code exchange {status}: {tokens}"));
        } else {
            record.keep(&tokens["access_token"]);
            let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
            if grant % 10 == 0 {
                refresh(server, secret, record, &refresh_token).await;
            } else if refresh_tokens.send(refresh_token).await.is_err() {
                return; // the aborters are done
            }
        }
        if record.done() {
            return;
        }
        let again = if grant % 100 == 0 {
            None
        } else {
            authorize_again(server, &browser, record).await
        };
        code = match again {
            Some(code) => code,
            None => {
                browser = server.browser();
                obtain_code(server, &browser, "app", SCOPE).await
            }
        };
    }
}

/// A browser already logged in, with consent given: `/authorize` redirects with a code.
/// Anything else (a login page: the session was lost) is recorded as a failure.
async fn authorize_again(
    server: &TestServer,
    browser: &reqwest::Client,
    record: &Record,
) -> Option<String> {
    let query = auth_query("app", SCOPE, &[]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    if response.status() != 303 {
        let status = response.status();
        let page = response.text().await.unwrap();
        let title = page
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split('<').next());
        record.fail(format!("authorize {status}: {title:?}"));
        return None;
    }
    let (_, params) = location_params(&response);
    Some(params.get("code").expect("a code").to_string())
}

/// A refresh whose answer is read: both new tokens are kept.
async fn refresh(server: &TestServer, secret: &str, record: &Record, refresh_token: &str) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    if status == 200 {
        record.keep(&body["access_token"]);
        record.keep(&body["refresh_token"]);
    } else {
        record.fail(format!("refresh {status}: {body}"));
    }
}

/// RFC 6749 §4.4 traffic until the aborts are done, keeping each access token.
async fn client_credentials(server: &TestServer, secret: &str, record: &Record) {
    let http = reqwest::Client::new();
    for _ in 0..CLIENT_CREDENTIALS_TOKENS {
        if record.done() {
            return;
        }
        let response = http
            .post(server.url("/token"))
            .basic_auth("app", Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            record.keep(&body["access_token"]);
        } else {
            record.fail(format!("client_credentials {status}: {body}"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Sends refresh requests over raw connections and closes each at a random moment: after
/// part of the request (one in five), or 0 to 3 ms after all of it.
async fn abort_refreshes(
    server: &TestServer,
    secret: &str,
    record: &Record,
    refresh_tokens: Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>,
) {
    let url = url::Url::parse(&server.url("/token")).unwrap();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("app:{secret}"));
    let mut random = Random::new();
    loop {
        let Some(refresh_token) = refresh_tokens.lock().await.recv().await else {
            return;
        };
        if record.aborted.fetch_add(1, Ordering::SeqCst) >= ABORTED_REFRESHES {
            return;
        }
        let body = format!("grant_type=refresh_token&refresh_token={refresh_token}");
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {credentials}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            url.path(),
            body.len()
        );
        let sent = if random.below(5) == 0 {
            random.below(request.len() as u64) as usize
        } else {
            request.len()
        };
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        // The server may already have closed its side: what matters is that we close ours.
        let _ = stream.write_all(&request.as_bytes()[..sent]).await;
        let pause = Duration::from_micros(random.below(3_000));
        // Microsecond precision (tokio timers tick in milliseconds).
        tokio::task::spawn_blocking(move || std::thread::sleep(pause))
            .await
            .unwrap();
        drop(stream);
    }
}
