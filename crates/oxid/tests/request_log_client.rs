//! `oxid serve` behind a proxy (issue 13): each request's log line names the client by the
//! socket's address, or, with `[http] trusted_proxies` naming the peer, by the rightmost
//! untrusted `X-Forwarded-For` hop; the caller's `X-Request-Id` is on the same line.

mod common;

use common::{stdout_lines, temp_dir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Starts `oxid serve` with JSON logs and the configuration `toml`; the child, its log
/// lines and its address.
fn serve(name: &str, toml: &str) -> (Child, Receiver<String>, String) {
    let dir = temp_dir(name);
    std::fs::write(dir.join("oxid.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("OXID_CONFIG", dir.join("oxid.toml"))
        .env(
            "OXID_DATABASE",
            format!("sqlite://{}", dir.join("oxid.db").display()),
        )
        .env_remove("OXID_ISSUER")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = stdout_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server starts");
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        if object["message"] == "oxid is serving" {
            let addr = object["listen"].as_str().unwrap().to_string();
            return (child, lines, addr);
        }
    }
}

/// `GET /jwks` with `X-Request-Id: id` and `X-Forwarded-For: forwarded`, answered.
fn get_jwks(addr: &str, id: &str, forwarded: &str) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "GET /jwks HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Request-Id: {id}\r\n\
         X-Forwarded-For: {forwarded}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// The `request` log line of request `id`.
fn request_line(lines: &Receiver<String>, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no log line for {id}"));
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        if object["message"] == "request" && object["request_id"] == id {
            return object;
        }
    }
}

#[test]
fn the_log_names_the_forwarded_client_only_behind_a_trusted_proxy() {
    let trusted = "[http]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n";
    let (mut child, lines, addr) = serve("log-proxy-trusted", trusted);
    // The client forged the first hop; a proxy of ours (10.0.0.7) sits between.
    get_jwks(&addr, "req-forwarded", "6.6.6.6, 203.0.113.9, 10.0.0.7");
    let line = request_line(&lines, "req-forwarded");
    assert_eq!(line["client"], "203.0.113.9", "{line}");
    assert!(line["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, lines, addr) = serve("log-proxy-untrusted", "");
    get_jwks(&addr, "req-direct", "203.0.113.9");
    let line = request_line(&lines, "req-direct");
    assert_eq!(
        line["client"], "127.0.0.1",
        "the header is not believed: {line}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
