//! `oxid consent`: list and revoke the consents users gave clients, through
//! `oxid_provider::admin::consents`, the code path of the admin API's
//! `/admin/v1/users/{sub}/consents`. Revoking also revokes the client's tokens for the user.

use clap::Subcommand;
use oxid_provider::admin::{consents, sessions};
use oxid_provider::config::Settings;
use serde_json::json;
use std::process::ExitCode;

use crate::admin::{backend, print_json};
use crate::fail;

/// `oxid consent ...`
#[derive(Subcommand)]
pub enum ConsentCommand {
    /// List consents as a JSON array (`user_id`, `client_id`, `scopes`, `granted_at`).
    List {
        /// Only this user's consents (a username).
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Only the consents given to this client.
        #[arg(long, value_name = "ID")]
        client: Option<String>,
    },
    /// Revoke the consent a user gave a client, and every access and refresh token the
    /// client holds for the user: its next authorization request asks the user again.
    Revoke {
        /// The user (a username).
        #[arg(long, value_name = "NAME")]
        user: String,
        /// The client's id.
        #[arg(long, value_name = "ID")]
        client: String,
    },
}

/// Runs `oxid consent ...`.
pub async fn run_consent(command: ConsentCommand, settings: &Settings) -> ExitCode {
    let backend = match backend(settings).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let store = backend.store.as_ref();
    match command {
        ConsentCommand::List { user, client } => {
            let sub = match user {
                Some(name) => match sessions::user_by_username(store, &name).await {
                    Ok(user) => Some(user.id),
                    Err(e) => return fail(e),
                },
                None => None,
            };
            match consents::list_consents(store, sub.as_deref(), client.as_deref()).await {
                Ok(found) => {
                    print_json(&json!(found));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        ConsentCommand::Revoke { user, client } => {
            let found = match sessions::user_by_username(store, &user).await {
                Ok(user) => user,
                Err(e) => return fail(e),
            };
            let now = backend.now();
            match consents::revoke_consent(store, &found.id, &client, now).await {
                Ok(tokens) => {
                    print_json(&json!({ "revoked_tokens": tokens }));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}
