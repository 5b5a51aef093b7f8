//! `oxid discover` as operators run it, against documents served on 127.0.0.1: the
//! Oracle-style document (relative endpoint URLs), seed 001 verbatim (its issuer is not the
//! server's) and the RFC 8414 example.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

const ORACLE: &str = include_str!("../../oxid-protocol/tests/data/oracle-identity-cloud.json");
const RFC8414: &str = include_str!("../../oxid-protocol/tests/data/rfc8414-3.2-example.json");

/// Serves `document`, with its issuer replaced by the server's own address, to every request.
fn serve(document: &'static str, issuer_in_document: &'static str) -> String {
    serve_body(|base| document.replace(issuer_in_document, base))
}

/// Serves the body `make` builds from the server's address to every request.
fn serve_body(make: impl FnOnce(&str) -> String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let body = make(&base);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn discover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxid"))
        .arg("discover")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn oracle_document_gives_warnings_for_its_relative_urls() {
    let base = serve(ORACLE, "https://identity.oraclecloud.com/");
    let output = discover(&[
        &base,
        "--client-id",
        "my:client",
        "--client-secret",
        "sécret",
        "--auth-param",
        "prompt=login",
        "--auth-param",
        "prompt=consent",
        "--auth-param",
        "debug",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("/oauth2/v1/token"),
        "relative URLs reported: {warnings}"
    );
    assert_eq!(report["client_id"], "my:client");
    assert_eq!(report["token_endpoint"], format!("{base}/oauth2/v1/token"));
    assert_eq!(
        report["logout_endpoint"],
        format!("{base}/oauth2/v1/userlogout")
    );
    assert!(
        report["authentication_header"]
            .as_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(
        report["authorization_url"],
        format!("{base}/oauth2/v1/authorize?prompt=login&prompt=consent&debug")
    );
    // --strict: the same document is an error.
    let strict = discover(&[&base, "--client-id", "c", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn rfc8414_example_by_its_oauth_well_known() {
    let base = serve(RFC8414, "https://server.example.com");
    let output = discover(&[&base, "--oauth", "--client-id", "c", "--strict"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["discovery_endpoint"],
        format!("{base}/.well-known/oauth-authorization-server")
    );
    assert_eq!(report["auth_endpoint"], format!("{base}/authorize"));
}

/// Issue 11, "Consuming the seeds": seed 001 as published, served at another URL than its
/// `issuer`, gives the summary and a warning for the mismatch (OIDC Discovery §4.3), plus
/// one for the non-standard `introspect_endpoint`; `--strict` makes it exit 1.
#[test]
fn seed001_served_elsewhere_warns_of_the_issuer_mismatch() {
    let base = serve_body(|_| ORACLE.to_string());
    let output = discover(&[&base, "--client-id", "c"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let warnings: Vec<String> = serde_json::from_value(report["warnings"].clone()).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("issuer mismatch")
            && w.contains("https://identity.oraclecloud.com/")
            && w.contains(&base)),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("'introspect_endpoint' is not standard")),
        "{warnings:#?}"
    );
    assert_eq!(
        report["auth_endpoint"],
        format!("{base}/oauth2/v1/authorize")
    );
    assert_eq!(report["token_endpoint"], format!("{base}/oauth2/v1/token"));

    let strict = discover(&[&base, "--client-id", "c", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&strict.stdout).unwrap();
    assert!(report["warnings"].to_string().contains("issuer mismatch"));
}
