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

fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let rest = &html[start..];
    let at = rest.find("action=\"")? + "action=\"".len();
    let end = rest[at..].find('"')?;
    Some(rest[at..at + end].replace("&amp;", "&"))
}

/// Plays the browser: follows redirects, fills the login and consent forms of
/// oidc-provider's development interactions, and stops at the redirect URI.
async fn browse_to_callback(start: &str, redirect_uri: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut url = url::Url::parse(start).unwrap();
    let mut response = browser.get(url.clone()).send().await.unwrap();
    for _ in 0..20 {
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            if location.starts_with(redirect_uri) {
                return location
                    .split_once('?')
                    .map(|(_, q)| q.to_owned())
                    .unwrap_or_default();
            }
            url = url.join(&location).unwrap();
            response = browser.get(url.clone()).send().await.unwrap();
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "oidc-provider answered {status}: {html}"
        );
        let action = url.join(&form_action(&html).expect("a form")).unwrap();
        let fields: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", "alice"), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        response = browser
            .post(action.clone())
            .form(&fields)
            .send()
            .await
            .unwrap();
        url = action;
    }
    panic!("no redirect to {redirect_uri} after 20 steps");
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
    let query = browse_to_callback(&start.url, redirect_uri).await;
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
