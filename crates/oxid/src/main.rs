//! `oxid`: the one binary. It parses the command line and wires the library crates together;
//! every rule lives in the libraries.

// Doc comments here are `--help` text, where URLs stay plain.
#![allow(rustdoc::bare_urls)]
// No unwrap or expect outside tests: errors are reported, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod admin;
mod allocator;
mod consent;
mod discover;
mod log_queue;
mod log_text;
mod logging;
mod login;
mod session;
mod users;

use clap::{Parser, Subcommand};
use oxid_provider::config::{LogFormat, RegistrationMode, Settings};
use std::path::PathBuf;
use std::process::ExitCode;

/// Oxid: an OpenID Connect provider and OAuth 2.0 authorization server.
#[derive(Parser)]
#[command(name = "oxid", version, about)]
struct Cli {
    /// A TOML configuration file; its keys are those of docs/configuration.md.
    #[arg(long, global = true, env = "OXID_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: sqlite://PATH (default sqlite://oxid.db) or postgres://...
    #[arg(long, global = true, env = "OXID_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// Milliseconds a request waits for the database before answering 503 (default 2000).
    #[arg(
        long,
        global = true,
        env = "OXID_DATABASE_TIMEOUT_MS",
        value_name = "MS"
    )]
    database_timeout_ms: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the provider.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage clients.
    #[command(subcommand)]
    Client(admin::ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(admin::KeysCommand),
    /// List and revoke login sessions.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// List and revoke the consents users gave clients.
    #[command(subcommand)]
    Consent(consent::ConsentCommand),
    /// Discover any OpenID provider and print its summary.
    Discover(discover::DiscoverArgs),
    /// Log in at a provider as a native app (RFC 8252) and print the tokens.
    Login(login::LoginArgs),
}

/// Flags of `oxid serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// The issuer identifier, e.g. https://login.example.com (default http://localhost:8080).
    #[arg(long, env = "OXID_ISSUER", value_name = "URL")]
    issuer: Option<String>,
    /// The address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "OXID_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    /// A second address serving the admin API (/admin/v1), /metrics, /healthz and /readyz
    /// (default: none).
    #[arg(long, env = "OXID_ADMIN_LISTEN", value_name = "ADDR")]
    admin_listen: Option<String>,
    /// Log lines as text (default) or json, one object per line.
    #[arg(long, env = "OXID_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<LogFormatArg>,
    /// Dynamic client registration: closed (default: no registration endpoint), token
    /// (needs --registration-token) or open.
    #[arg(long, env = "OXID_REGISTRATION", value_name = "MODE")]
    registration: Option<RegistrationMode>,
    /// The initial access token clients present as a Bearer token to register (RFC 7591 §3);
    /// implies --registration token.
    #[arg(long, env = "OXID_REGISTRATION_TOKEN", value_name = "TOKEN")]
    registration_token: Option<String>,
    /// A static bearer token for the admin API on --admin-listen (bootstrapping; prefer
    /// access tokens with the oxid:admin scope). Prefer the environment variable: a flag is
    /// visible in the process list.
    #[arg(
        long,
        env = "OXID_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
}

/// The values of `--log-format`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(arg: LogFormatArg) -> Self {
        match arg {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

/// mimalloc for Rust's allocations (malloc and free were ~20 % of the token row's
/// instructions), large blocks aside (`allocator`).
#[global_allocator]
static ALLOCATOR: allocator::SplitAllocator = allocator::SplitAllocator;

/// glibc's malloc serves the C libraries (SQLite, libxml2) and Rust's blocks of
/// [`allocator::LARGE`] or more. It serves large blocks with
/// mmap until the first is freed, then raises its mmap threshold and keeps later ones in
/// per-thread arenas that are never given back (argon2id's blocks did this, before mimalloc:
/// ~150 MB after a burst of logins, bench/README.md). A fixed threshold keeps blocks over
/// 1 MiB mmapped, so they go back to the OS when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_os() {
    // SAFETY: mallopt only sets an allocator parameter, here before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, allocator::LARGE as libc::c_int);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_os() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_os();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // The SQLite writer commits a busy runtime's writes together once it runs out of work.
    let idle = oxid_store::RuntimeIdle::new();
    let parked = idle.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(move || parked.parked())
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run(cli, idle))
}

async fn run(cli: Cli, idle: oxid_store::RuntimeIdle) -> ExitCode {
    let mut settings = match load_settings(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(message) => return fail(message),
    };
    settings.runtime_idle = Some(idle);
    if let Some(database) = cli.database {
        settings.database = database;
    }
    if let Some(timeout) = cli.database_timeout_ms {
        settings.database_timeout_ms = timeout;
    }
    match cli.command {
        Command::Serve(args) => {
            if let Some(issuer) = args.issuer {
                settings.issuer = issuer;
            }
            if let Some(listen) = args.listen {
                settings.listen = listen;
            }
            if let Some(admin_listen) = args.admin_listen {
                settings.admin_listen = Some(admin_listen);
            }
            if let Some(format) = args.log_format {
                settings.log_format = format.into();
            }
            if let Some(mode) = args.registration {
                settings.registration = mode;
            }
            if let Some(token) = args.registration_token {
                settings.registration_token = Some(token);
            }
            if let Some(token) = args.admin_token {
                settings.admin_token = Some(token);
            }
            // Held to the end of serve: dropping it writes the lines still queued.
            let _flush = logging::init(settings.log_format);
            match oxid_provider::server::serve(settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e.to_string()),
            }
        }
        Command::User(command) => users::run_user(command, &settings).await,
        Command::Client(command) => admin::run_client(command, &settings).await,
        Command::Keys(command) => admin::run_keys(command, &settings).await,
        Command::Session(command) => session::run_session(command, &settings).await,
        Command::Consent(command) => consent::run_consent(command, &settings).await,
        Command::Discover(args) => discover::run(args).await,
        Command::Login(args) => login::run(args).await,
    }
}

/// Defaults, then the TOML file when given (environment and flags are applied by the caller).
fn load_settings(path: Option<&std::path::Path>) -> Result<Settings, String> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
}

/// Help and version go out whole; a usage error is one line and a failing exit.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "oxid: {} (see oxid --help)",
                first.trim_start_matches("error: ")
            );
            ExitCode::from(2)
        }
    }
}

/// Prints one clear line and returns a failing exit code.
pub(crate) fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("oxid: {message}");
    ExitCode::FAILURE
}
