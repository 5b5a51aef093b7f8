//! `oxid discover`: what a provider offers, as the provider summary in JSON.

use std::process::ExitCode;

use oxid_client::report::{DiscoverReport, parse_auth_params};
use oxid_client::{DiscoveryOptions, HttpClient, WellKnown};

/// Flags of `oxid discover`.
#[derive(clap::Args, Debug)]
pub struct DiscoverArgs {
    /// An issuer (its /.well-known/openid-configuration is read) or a full discovery URL.
    #[arg(value_name = "ISSUER_OR_URL")]
    pub issuer: String,
    /// The client identifier to put in the summary.
    #[arg(long, env = "OXID_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// The client secret, for the summary's authentication_header.
    #[arg(
        long,
        env = "OXID_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// K=V adds V to K's values; a bare K gives K an empty list. Repeatable.
    #[arg(long = "auth-param", value_name = "K[=V]")]
    pub auth_params: Vec<String>,
    /// Read the RFC 8414 document (/.well-known/oauth-authorization-server) instead.
    #[arg(long)]
    pub oauth: bool,
    /// Exit with status 1 when the metadata breaks a rule (a document naming another issuer
    /// than the one asked for included).
    #[arg(long)]
    pub strict: bool,
}

/// Runs `oxid discover`: prints the summary, `authorization_url` and `warnings` as JSON.
pub async fn run(args: DiscoverArgs) -> ExitCode {
    let params = match parse_auth_params(&args.auth_params) {
        Ok(params) => params,
        Err(e) => return fail(&e),
    };
    let http = match HttpClient::new() {
        Ok(http) => http,
        Err(e) => return fail(&e.to_string()),
    };
    let options = DiscoveryOptions {
        well_known: if args.oauth {
            WellKnown::OAuthAuthorizationServer
        } else {
            WellKnown::OpenIdConfiguration
        },
        ..DiscoveryOptions::default()
    };
    let report = DiscoverReport::build(
        &http,
        &args.issuer,
        options,
        args.client_id.as_deref(),
        args.client_secret.as_deref(),
        params,
    )
    .await;
    match report {
        Ok(report) => {
            match serde_json::to_string_pretty(&report.to_json()) {
                Ok(text) => println!("{text}"),
                Err(e) => return fail(&e.to_string()),
            }
            if args.strict && !report.warnings.is_empty() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("oxid discover: {message}");
    ExitCode::FAILURE
}
