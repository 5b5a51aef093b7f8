//! Interop with a real third-party provider: panva's `oidc-provider` (npm), started from
//! tests/oidc-provider/server.mjs on 127.0.0.1. Discovery, the code flow with PKCE (its
//! development login and consent forms filled over HTTP with a cookie jar), refresh and
//! UserInfo. Skips loudly when `node` or the installed package is missing; install with
//! `npm ci --prefix crates/oxid-client/tests/oidc-provider`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use oxid_client::{ClientAuth, DiscoveryOptions, HttpClient, OidcClient, Provider, SystemClock};
use oxid_protocol::scope::Scope;
use serde_json::Value;

#[path = "common/browser.rs"]
mod browser;

use browser::{browse_to_callback, first_form};

/// Ends the provider when the test ends, however it ends.
struct ProviderProcess(Child);

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// Starts the provider, or says loudly why not.
fn start_provider() -> Option<(ProviderProcess, Value)> {
    let dir = provider_dir();
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED: oidc-provider interop: `node` is not installed");
        return None;
    }
    if !dir.join("node_modules/oidc-provider/package.json").exists() {
        eprintln!(
            "SKIPPED: oidc-provider interop: the npm package is not installed \
             (run `npm ci --prefix {}`)",
            dir.display()
        );
        return None;
    }
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let process = ProviderProcess(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = tx.send(first);
        // Keep draining: a closed pipe would kill the provider on its next write.
        for _ in lines {}
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("oidc-provider printed its issuer within 30 s");
    let info: Value = serde_json::from_str(&line).expect("the first line is JSON");
    Some((process, info))
}

#[tokio::test]
async fn code_flow_refresh_and_userinfo_against_panva_oidc_provider() {
    let Some((_process, info)) = start_provider() else {
        return;
    };
    let issuer = info["issuer"].as_str().unwrap();
    let client_id = info["client_id"].as_str().unwrap();
    let secret = info["client_secret"].as_str().unwrap();
    let redirect_uri = info["redirect_uri"].as_str().unwrap();

    let http = HttpClient::new().unwrap();
    let provider = Provider::discover(&http, issuer, DiscoveryOptions::default())
        .await
        .unwrap();
    assert_eq!(provider.issuer, issuer);
    assert!(
        provider.iss_in_authorization_response(),
        "oidc-provider advertises RFC 9207"
    );
    let client = OidcClient::new(
        http,
        Arc::new(SystemClock),
        provider,
        client_id,
        ClientAuth::ClientSecretBasic(secret.to_owned()),
    );

    let scope = Scope::parse("openid email offline_access").unwrap();
    let start = client
        .authorization_url(redirect_uri, &scope, &[("prompt".into(), "consent".into())])
        .unwrap();
    let query = browse_to_callback(&start.url, redirect_uri, "alice", "any").await;
    let response = client.handle_callback(&start.session, &query).unwrap();
    let tokens = client
        .exchange_code(&start.session, response.code.as_deref().unwrap())
        .await
        .unwrap();
    let claims = tokens.id_token.expect("an ID token");
    assert_eq!(claims.sub, "alice");
    let refresh_token = tokens.response.refresh_token.expect("a refresh token");

    let refreshed = client
        .refresh(&refresh_token, None, Some("alice"))
        .await
        .unwrap();
    assert_ne!(
        refreshed.response.access_token,
        tokens.response.access_token
    );

    let info = client
        .userinfo(&refreshed.response.access_token, Some("alice"))
        .await
        .unwrap();
    assert_eq!(info.get_str("email"), Some("alice@example.com"));
}

/// The form reader the interop tests rely on.
#[test]
fn forms_are_read_with_their_hidden_fields() {
    let html = r#"<form method="post" action="http:&#x2f;&#x2f;op&#x2f;login?a=1&amp;b=2">
<input type="hidden" name="csrf_token" value="t&#x2f;1"><input name="username" type="text" value="">
<input name="password" type="password"><button type="submit" name="decision" value="allow">OK</button></form>"#;
    let (action, fields) = first_form(html, "alice", "pw").unwrap();
    assert_eq!(action, "http://op/login?a=1&b=2");
    let expect: Vec<(String, String)> = [
        ("csrf_token", "t/1"),
        ("username", "alice"),
        ("password", "pw"),
        ("decision", "allow"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(fields, expect);
}
