//! `oxid serve --log-format json`: every line is one JSON object; each request's line carries
//! the `X-Request-Id` it came with (echoed back), and no line holds a password, client
//! secret, code or token, after a failed and a successful login, a code exchange and a
//! client credentials grant.

mod common;

use common::{oxid_with_input, stdout_lines, temp_dir};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const PASSWORD: &str = "Pw-horse-battery-9f3k2";
const WRONG_PASSWORD: &str = "Pw-wrong-staple-7q1x8";
const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn oxid(dir: &Path, args: &[&str], stdin: &str) -> String {
    let output = oxid_with_input(dir, args, stdin.as_bytes());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// One HTTP/1.1 exchange: status, headers (lowercase names, repeated ones joined by `\n`)
/// and body.
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

fn http(addr: &str, request_line: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{request_line} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let mut headers = BTreeMap::<String, String>::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        let entry = headers.entry(name.to_ascii_lowercase()).or_default();
        if !entry.is_empty() {
            entry.push('\n');
        }
        entry.push_str(value.trim());
    }
    Answer {
        status: status.parse().unwrap(),
        headers,
        body: body.to_string(),
    }
}

/// The `name=value` pairs of an answer's `Set-Cookie`s, as a `Cookie` header.
fn cookies(answer: &Answer) -> String {
    answer
        .headers
        .get("set-cookie")
        .map(|all| {
            all.lines()
                .filter_map(|c| c.split(';').next())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// `application/x-www-form-urlencoded` (RFC 3986 unreserved characters kept).
fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Waits for the JSON line announcing the listener and returns its address.
fn listen_address(lines: &Receiver<String>, log: &mut Vec<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server starts");
        log.push(line.clone());
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        if object["message"] == "oxid is serving" {
            return object["listen"].as_str().unwrap().to_string();
        }
    }
}

#[test]
fn json_logs_carry_request_ids_and_no_secret() {
    let dir = temp_dir("logs-json");
    oxid(
        &dir,
        &["user", "add", "--username", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let client = oxid(
        &dir,
        &[
            "client",
            "add",
            "--client-id",
            "app",
            "--redirect-uri",
            REDIRECT,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "client_secret_post",
        ],
        "",
    );
    let client: serde_json::Value = serde_json::from_str(&client).unwrap();
    let secret = client["client_secret"].as_str().unwrap().to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env(
            "OXID_DATABASE",
            format!("sqlite://{}", dir.join("oxid.db").display()),
        )
        .env_remove("OXID_ISSUER")
        .env("OXID_LOG", "debug")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines_rx = stdout_lines(&mut child);
    let mut log = Vec::new();
    let addr = listen_address(&lines_rx, &mut log);

    // Authorization request, a wrong password, the right one, consent, the code exchange.
    let query = form(&[
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let page = http(
        &addr,
        &format!("GET /authorize?{query}"),
        &[("X-Request-Id", "req-authorize")],
        "",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.headers["x-request-id"], "req-authorize", "echoed");
    let cookie = cookies(&page);
    let login = |password: &str, id: &str, html: &str, cookie: &str| {
        let body = form(&[
            ("csrf_token", &hidden_field(html, "csrf_token")),
            ("interaction", &hidden_field(html, "interaction")),
            ("username", "alice"),
            ("password", password),
        ]);
        http(
            &addr,
            "POST /login",
            &[("X-Request-Id", id), ("Cookie", cookie)],
            &body,
        )
    };
    let rejected = login(WRONG_PASSWORD, "req-login-wrong", &page.body, &cookie);
    assert_eq!(rejected.status, 200, "the login page again");
    let consent = login(PASSWORD, "req-login", &rejected.body, &cookie);
    assert_eq!(consent.status, 200, "{}", consent.body);
    let session = [cookie.as_str(), &cookies(&consent)].join("; ");
    let body = form(&[
        ("csrf_token", &hidden_field(&consent.body, "csrf_token")),
        ("interaction", &hidden_field(&consent.body, "interaction")),
        ("decision", "allow"),
    ]);
    let redirect = http(
        &addr,
        "POST /consent",
        &[("X-Request-Id", "req-consent"), ("Cookie", &session)],
        &body,
    );
    assert_eq!(redirect.status, 303, "{}", redirect.body);
    let location = &redirect.headers["location"];
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("a code")
        .to_string();
    let exchange = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "app"),
        ("client_secret", &secret),
    ]);
    let tokens = http(
        &addr,
        "POST /token",
        &[("X-Request-Id", "req-token-code")],
        &exchange,
    );
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens: serde_json::Value = serde_json::from_str(&tokens.body).unwrap();
    let credentials = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "app"),
        ("client_secret", &secret),
    ]);
    let machine = http(
        &addr,
        "POST /token",
        &[("X-Request-Id", "req-token-cc")],
        &credentials,
    );
    assert_eq!(machine.status, 200, "{}", machine.body);
    let machine: serde_json::Value = serde_json::from_str(&machine.body).unwrap();
    // Ids that are not sane are replaced, and the one made is echoed.
    let replaced = http(
        &addr,
        "GET /jwks",
        &[("X-Request-Id", "has spaces\"and quotes")],
        "",
    );
    let made = replaced.headers["x-request-id"].clone();
    assert!(!made.is_empty() && !made.contains(' '), "{made}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        log.push(line);
    }

    let objects: Vec<serde_json::Value> = log
        .iter()
        .map(|line| {
            let object: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(object.is_object(), "{line}");
            object
        })
        .collect();
    let requests: BTreeMap<&str, &serde_json::Value> = objects
        .iter()
        .filter(|o| o["message"] == "request")
        .map(|o| (o["request_id"].as_str().unwrap(), o))
        .collect();
    for (id, route, status) in [
        ("req-authorize", "/authorize", 200),
        ("req-login-wrong", "/login", 200),
        ("req-login", "/login", 200),
        ("req-consent", "/consent", 303),
        ("req-token-code", "/token", 200),
        ("req-token-cc", "/token", 200),
    ] {
        let line = requests
            .get(id)
            .unwrap_or_else(|| panic!("no line for {id}"));
        assert_eq!(line["route"], route);
        assert_eq!(line["status"], status);
        assert!(line["method"].is_string() && line["duration_ms"].is_number());
        assert_eq!(
            line["client"], "127.0.0.1",
            "no trusted proxy: the socket peer"
        );
        assert!(line["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    }
    assert_eq!(requests[made.as_str()]["route"], "/jwks");

    let text = log.join("\n");
    let secrets = [
        ("password", PASSWORD.to_string()),
        ("wrong password", WRONG_PASSWORD.to_string()),
        ("client secret", secret),
        ("code", code),
        ("code verifier", VERIFIER.to_string()),
        (
            "access token",
            tokens["access_token"].as_str().unwrap().into(),
        ),
        ("id token", tokens["id_token"].as_str().unwrap().into()),
        (
            "machine token",
            machine["access_token"].as_str().unwrap().into(),
        ),
        ("state", "st-1".into()),
    ];
    for (what, value) in secrets {
        assert!(!text.contains(&value), "the log holds the {what}: {text}");
    }
    assert!(!text.contains("code_challenge"), "no query is logged");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `log_format = "text"` from the configuration file, on a pipe: plain lines, no ANSI colour
/// codes, one per request.
#[test]
fn text_logs_on_a_pipe_have_no_colour() {
    let dir = temp_dir("logs-text");
    let config = dir.join("oxid.toml");
    std::fs::write(&config, "log_format = \"text\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--config")
        .arg(&config)
        .env(
            "OXID_DATABASE",
            format!("sqlite://{}", dir.join("oxid.db").display()),
        )
        .env_remove("OXID_ISSUER")
        .env_remove("OXID_LOG_FORMAT")
        .env_remove("NO_COLOR")
        .env("OXID_LOG", "info")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines_rx = stdout_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log = Vec::new();
    let addr = loop {
        let line = lines_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server starts");
        log.push(line.clone());
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let answer = http(&addr, "GET /jwks?x=1", &[("X-Request-Id", "req-text")], "");
    assert_eq!(answer.status, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    log.extend(lines_rx.try_iter());
    let text = log.join("\n");
    assert!(!text.contains('\u{1b}'), "no colour on a pipe: {text:?}");
    let line = log
        .iter()
        .find(|l| l.contains("request_id=req-text"))
        .unwrap_or_else(|| panic!("no request line: {text}"));
    assert!(
        line.contains("route=/jwks") && line.contains("status=200"),
        "{line}"
    );
    assert!(!text.contains("x=1"), "no query is logged");
    let _ = std::fs::remove_dir_all(&dir);
}
