//! What the abuse tests (`abuse.rs`) share: the `oxid` binary run and served, and HTTP
//! clients from chosen loopback addresses.

use crate::common::stdout_lines;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
pub const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
pub const REDIRECT: &str = "https://app.example/cb";
/// RFC 7636 Appendix B.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn oxid(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(args)
        .env("OXID_DATABASE", database(dir))
        .env("OXID_CONFIG", dir.join("oxid.toml"))
        .env_remove("OXID_ISSUER")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "oxid {args:?}: {stderr}");
    output
}

pub fn database(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("oxid.db").display())
}

/// Users alice and bob, the browser client `app` and the client_credentials clients `svc`
/// and `other`; the secrets of `svc` and `other`.
pub fn populate(dir: &Path) -> (String, String) {
    for (name, password) in [("alice", "alice's password"), ("bob", "bob's password")] {
        oxid(
            dir,
            &["user", "add", "--username", name, "--password", password],
        );
    }
    oxid(
        dir,
        &[
            "client",
            "add",
            "--client-id",
            "app",
            "--redirect-uri",
            REDIRECT,
        ],
    );
    let mut secrets = Vec::new();
    for id in ["svc", "other"] {
        let added = oxid(
            dir,
            &[
                "client",
                "add",
                "--client-id",
                id,
                "--grant-type",
                "client_credentials",
            ],
        );
        let client: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
        secrets.push(client["client_secret"].as_str().unwrap().to_string());
    }
    (secrets.remove(0), secrets.remove(0))
}

/// `oxid serve` on 127.0.0.1:0 (under `prlimit --nofile=N:N` when given), its base URL and
/// its log lines.
pub fn serve(dir: &Path, open_files: Option<u64>) -> (Child, String, Receiver<String>) {
    let binary = env!("CARGO_BIN_EXE_oxid");
    let mut command = match open_files {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg("--").arg(binary);
            c
        }
        None => Command::new(binary),
    };
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("OXID_DATABASE", database(dir))
        .env("OXID_CONFIG", dir.join("oxid.toml"))
        .env_remove("OXID_ISSUER")
        .env("OXID_LOG", "info")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("oxid serve (and prlimit) start");
    let lines = stdout_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listen=").nth(1) {
            let address = rest.split_whitespace().next().unwrap().to_string();
            return (child, format!("http://{address}"), lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

/// A browser-like client from `from`: cookies kept, redirects not followed.
pub fn browser(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The value of a hidden input in a page.
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// One login from a fresh login page: status, `Retry-After`, body, and how long the login
/// post took to be answered.
pub async fn login(
    base: &str,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, Option<u64>, String, Duration) {
    let query = format!(
        "response_type=code&client_id=app&redirect_uri={REDIRECT}&scope=openid&state=s\
         &code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    let page = browser
        .get(format!("{base}/authorize?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let form = [
        ("csrf_token", hidden_field(&html, "csrf_token")),
        ("interaction", hidden_field(&html, "interaction")),
        ("username", username.to_string()),
        ("password", password.to_string()),
    ];
    let started = Instant::now();
    let response = browser
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = retry_after(&response);
    let body = response.text().await.unwrap();
    (status, retry_after, body, started.elapsed())
}

pub fn retry_after(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get("retry-after")?;
    Some(
        value
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After in seconds"),
    )
}

/// A client_credentials token request (client_secret_basic): status, `Retry-After`, JSON.
pub async fn token(
    base: &str,
    http: &reqwest::Client,
    client_id: &str,
    secret: &str,
) -> (u16, Option<u64>, serde_json::Value) {
    let response = http
        .post(format!("{base}/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = retry_after(&response);
    (status, retry_after, response.json().await.unwrap())
}

/// Where the first 429 came among `statuses`; every later one must be 429 too.
pub fn locked_from(statuses: &[u16], what: &str) -> usize {
    let first = statuses
        .iter()
        .position(|s| *s == 429)
        .unwrap_or_else(|| panic!("{what}: never locked: {statuses:?}"));
    assert!(
        statuses[first..].iter().all(|s| *s == 429),
        "{what}: once locked, always refused: {statuses:?}"
    );
    first
}

/// Opens a connection from `from` to `address` within 5 s.
pub async fn connect(address: &str, from: IpAddr) -> Option<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind((from, 0).into()).ok()?;
    let target = address.parse().ok()?;
    tokio::time::timeout(Duration::from_secs(5), socket.connect(target))
        .await
        .ok()?
        .ok()
}

/// How long until the server closes `stream` (reads end or fail), if within `limit`; what
/// it sent before (a 408 page, say) is read and dropped.
pub async fn closed_within(
    stream: &mut TcpStream,
    started: Instant,
    limit: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// What became of an idle connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idle {
    /// The server closed it (the header timeout).
    Closed,
    /// Still open past the timeouts: the server answers a request on it (a failure).
    Kept,
    /// Reset when used: the server's kernel never handed it over (its backlog was full).
    NeverAccepted,
}

/// Sends a request on a connection that stayed open, to tell a connection the server kept
/// (it answers) from one it never had (reset).
pub async fn probe(stream: &mut TcpStream) -> Idle {
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return Idle::NeverAccepted;
    }
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Idle::Kept,
        _ => Idle::NeverAccepted,
    }
}

/// Writes `chunks` one every 300 ms until the server closes the connection; how long it
/// took from the first byte, if within `limit`.
pub async fn trickle(address: &str, head: &str, chunk: &[u8], limit: Duration) -> Option<Duration> {
    let mut stream = connect(address, ATTACKER).await?;
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.ok()?;
    while started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if stream.write_all(chunk).await.is_err() {
            return Some(started.elapsed());
        }
        let mut buf = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return Some(started.elapsed());
        }
    }
    None
}

/// The median of `n` client_credentials requests to `/token`, in milliseconds.
pub async fn token_median_ms(base: &str, http: &reqwest::Client, secret: &str, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let (status, _, body) = token(base, http, "svc", secret).await;
        assert_eq!(status, 200, "{body}");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[n / 2]
}
