//! `oxid user`: thin wrappers over `oxid_provider::admin` and `oxid_provider::users`.

use clap::Subcommand;
use oxid_provider::admin::{self, NewUser};
use oxid_provider::config::Settings;
use oxid_provider::users::{self, UserChanges};
use serde_json::{Map, Value, json};
use std::io::Read;
use std::process::ExitCode;

use crate::admin::{backend, print_json};
use crate::fail;

/// `oxid user ...`
#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add(UserAddArgs),
    /// Change a user's claims or password.
    Update(UserUpdateArgs),
    /// List users.
    List,
    /// Remove a user, their sessions and tokens.
    Remove {
        /// The username.
        username: String,
    },
}

/// Flags of `oxid user add`.
#[derive(clap::Args)]
pub struct UserAddArgs {
    /// Login name.
    #[arg(long)]
    username: String,
    /// Read the password from standard input (one line).
    #[arg(long, conflicts_with = "password")]
    password_stdin: bool,
    /// The password (visible in the process list: prefer --password-stdin).
    #[arg(long, required_unless_present = "password_stdin")]
    password: Option<String>,
    /// `email` claim.
    #[arg(long)]
    email: Option<String>,
    /// Mark the email as verified (`email_verified`).
    #[arg(long)]
    email_verified: bool,
    /// `name` claim.
    #[arg(long)]
    name: Option<String>,
    /// `given_name` claim.
    #[arg(long)]
    given_name: Option<String>,
    /// `family_name` claim.
    #[arg(long)]
    family_name: Option<String>,
    /// `locale` claim (BCP 47, e.g. en-US).
    #[arg(long)]
    locale: Option<String>,
    /// `phone_number` claim (E.164).
    #[arg(long)]
    phone_number: Option<String>,
    /// Any claim, NAME=VALUE (repeatable); VALUE is JSON when it parses as JSON, else a
    /// string: `--claim 'groups=["staff"]' --claim 'address={"country":"FR"}'`.
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    claims: Vec<String>,
}

/// Flags of `oxid user update`.
#[derive(clap::Args)]
pub struct UserUpdateArgs {
    /// The username.
    username: String,
    /// A claim to set, NAME=VALUE (repeatable; VALUE is JSON when it parses, else a
    /// string); NAME=null removes the claim.
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    claims: Vec<String>,
    /// Read a new password from standard input (one line).
    #[arg(long)]
    password_stdin: bool,
}

/// `--claim` pairs as one map, the first malformed pair as an error.
fn claim_pairs(pairs: &[String]) -> Result<Map<String, Value>, String> {
    let mut claims = Map::new();
    for pair in pairs {
        let (name, value) = users::parse_claim(pair).map_err(|e| e.to_string())?;
        claims.insert(name, value);
    }
    Ok(claims)
}

/// The first line of standard input.
fn read_password() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(text.lines().next().unwrap_or("").to_string())
}

/// Runs `oxid user ...`.
pub async fn run_user(command: UserCommand, settings: &Settings) -> ExitCode {
    let backend = match backend(settings).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let now = backend.now();
    match command {
        UserCommand::Add(args) => {
            let password = match args.password.map_or_else(read_password, Ok) {
                Ok(password) => password,
                Err(e) => return fail(e),
            };
            let mut claims = match claim_pairs(&args.claims) {
                Ok(claims) => claims,
                Err(e) => return fail(e),
            };
            let strings = [
                ("email", args.email),
                ("name", args.name),
                ("given_name", args.given_name),
                ("family_name", args.family_name),
                ("locale", args.locale),
                ("phone_number", args.phone_number),
            ];
            for (key, value) in strings {
                if let Some(value) = value {
                    claims.insert(key.into(), Value::String(value));
                }
            }
            if claims.contains_key("email") && !claims.contains_key("email_verified") {
                claims.insert("email_verified".into(), Value::Bool(args.email_verified));
            }
            let new = NewUser {
                username: args.username,
                password,
                claims,
            };
            match admin::add_user(backend.store.as_ref(), new, now).await {
                Ok(user) => {
                    print_json(&json!({"sub": user.id, "username": user.username}));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        UserCommand::Update(args) => {
            let password = match args.password_stdin.then(read_password).transpose() {
                Ok(password) => password,
                Err(e) => return fail(e),
            };
            let claims = match claim_pairs(&args.claims) {
                Ok(claims) => claims,
                Err(e) => return fail(e),
            };
            if password.is_none() && claims.is_empty() {
                return fail("nothing to change: give --claim or --password-stdin");
            }
            let changes = UserChanges { password, claims };
            match users::update_user(backend.store.as_ref(), &args.username, changes, now).await {
                Ok(user) => {
                    print_json(&json!({"sub": user.id, "username": user.username,
                        "claims": user.claims}));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        UserCommand::List => match backend.store.list_users().await {
            Ok(users) => {
                let rows: Vec<Value> = users
                    .iter()
                    .map(|u| json!({"sub": u.id, "username": u.username, "claims": u.claims}))
                    .collect();
                print_json(&Value::Array(rows));
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        // As the admin API does: the user's sessions end as logout does (the serving
        // instances deliver the queued logout tokens), then the user goes.
        UserCommand::Remove { username } => {
            // The provider (its key ring, made here on a database that has none yet) is what
            // the admin code path runs on.
            if let Err(e) = backend.ensure_keys().await {
                return fail(e);
            }
            let provider = match oxid_provider::Provider::start(backend).await {
                Ok(provider) => provider,
                Err(e) => return fail(e),
            };
            match oxid_provider::admin::sessions::remove_user(&provider, &username).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}
