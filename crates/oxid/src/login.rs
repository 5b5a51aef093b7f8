//! `oxid login`: the native-app flow of RFC 8252 against any provider, printing the tokens
//! and the validated ID token claims.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use oxid_client::loopback::login;
use oxid_client::{ClientAuth, DiscoveryOptions, HttpClient, OidcClient, Provider, SystemClock};
use oxid_protocol::scope::Scope;
use serde_json::json;

/// Flags of `oxid login`.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// The provider's issuer identifier (or its full discovery URL).
    #[arg(value_name = "ISSUER")]
    pub issuer: String,
    /// The client identifier; its redirect URIs must allow http://127.0.0.1 on any port.
    #[arg(long, env = "OXID_CLIENT_ID", value_name = "ID")]
    pub client_id: String,
    /// The client secret, for a confidential client.
    #[arg(
        long,
        env = "OXID_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Scopes to ask for (repeatable or space-separated); `openid` is always included.
    #[arg(long, value_name = "SCOPE", default_value = "openid")]
    pub scope: Vec<String>,
    /// The loopback port of the redirect URI (default: any free port, RFC 8252 §7.3); for
    /// providers that match redirect URIs exactly, register http://127.0.0.1:PORT/callback.
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub port: u16,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
}

/// Runs `oxid login`.
pub async fn run(args: LoginArgs) -> ExitCode {
    match login_flow(args).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("oxid login: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn login_flow(args: LoginArgs) -> Result<String, String> {
    let mut scope = Scope::parse(&args.scope.join(" ")).map_err(|e| e.to_string())?;
    scope.insert("openid").map_err(|e| e.to_string())?;
    let http = HttpClient::new().map_err(|e| e.to_string())?;
    let provider = Provider::discover(&http, &args.issuer, DiscoveryOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    for warning in provider.warnings() {
        eprintln!("warning: {warning}");
    }
    let supported = provider
        .metadata
        .token_endpoint_auth_methods_supported
        .clone();
    let auth = ClientAuth::for_secret(args.client_secret, supported.as_deref());
    let client = OidcClient::new(http, Arc::new(SystemClock), provider, args.client_id, auth);
    let no_browser = args.no_browser;
    let tokens = login(
        &client,
        &scope,
        &[],
        args.port,
        Duration::from_secs(args.timeout),
        |url| {
            eprintln!("Open this URL to sign in:\n\n  {url}\n");
            if !no_browser {
                open_browser(url);
            }
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let output = json!({
        "tokens": tokens.response,
        "id_token_claims": tokens.id_token,
    });
    serde_json::to_string_pretty(&output).map_err(|e| e.to_string())
}

/// Opens the system browser when there is one; silence when there is none.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let has_display = cfg!(target_os = "macos")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        let _ = std::process::Command::new(opener)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}
