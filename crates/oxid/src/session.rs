//! `oxid session`: list and revoke login sessions, through `oxid_provider::admin::sessions`,
//! the code path of the admin API's `/admin/v1/sessions`.

use clap::Subcommand;
use oxid_provider::Provider;
use oxid_provider::admin::sessions;
use oxid_provider::config::Settings;
use serde_json::json;
use std::process::ExitCode;

use crate::admin::{backend, print_json};
use crate::fail;

/// `oxid session ...`
#[derive(Subcommand)]
pub enum SessionCommand {
    /// List live sessions as a JSON array, each with its `id` and `sid`.
    List {
        /// Only this user's sessions.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// End a session, or every session of a user, as logout does: the clients that
    /// registered a back-channel logout URI are sent logout tokens.
    Revoke {
        /// The session's id (as `oxid session list` prints it).
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<String>,
        /// End every session of this user.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
}

/// Runs `oxid session ...`.
pub async fn run_session(command: SessionCommand, settings: &Settings) -> ExitCode {
    let backend = match backend(settings).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    match command {
        SessionCommand::List { user } => {
            let now = backend.now();
            match sessions::list_sessions(backend.store.as_ref(), user.as_deref(), now).await {
                Ok(found) => {
                    print_json(&json!(found));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        SessionCommand::Revoke { id, user } => {
            // Logout tokens are signed: the provider (its key ring) is needed, not the store only.
            let provider = match Provider::start(backend).await {
                Ok(provider) => provider,
                Err(e) => return fail(e),
            };
            let revoked = match (id, user) {
                (Some(id), _) => sessions::revoke_session(&provider, &id)
                    .await
                    .map(|()| vec![id]),
                (None, Some(user)) => sessions::revoke_user_sessions(&provider, &user).await,
                (None, None) => return fail("give a session id or --user NAME"),
            };
            match revoked {
                Ok(revoked) => {
                    print_json(&json!({ "revoked": revoked }));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}
