//! OIDC Back-Channel Logout 1.0: when a session ends, every client that received tokens in it
//! and registered a `backchannel_logout_uri` is sent a logout token (§2.5), server to server.
//! Delivery runs beside the user's request, never blocking it, over `Provider::http` (no
//! redirects, §2.5: the RP's answer is final; bounded time); failures are logged.

use oxid_store::{ClientRecord, SessionRecord};

use crate::issuer::logout_token;
use crate::state::Provider;

/// The registrations of the clients that received tokens within `session` (for both
/// logout fan-outs); store failures are logged and skip the client.
pub async fn session_clients(provider: &Provider, session: &SessionRecord) -> Vec<ClientRecord> {
    let client_ids = match provider.store().session_clients(&session.sid).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "logout: reading the session's clients failed");
            return Vec::new();
        }
    };
    let mut clients = Vec::new();
    for client_id in client_ids {
        match provider.store().get_client(&client_id).await {
            Ok(Some(client)) => clients.push(client),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "logout: reading a client failed"),
        }
    }
    clients
}

/// Sends logout tokens for the ended `session` to the clients that registered for them.
pub async fn notify(provider: &Provider, session: &SessionRecord) {
    for client in session_clients(provider, session).await {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let token = match logout_token(provider, &client, &session.user_id, &session.sid) {
            Ok(token) => token,
            Err(e) => {
                tracing::error!(client_id = %client.client_id, error = %e, "back-channel logout: signing failed");
                continue;
            }
        };
        let http = provider.http().clone();
        tokio::spawn(async move {
            // §2.5: POST, form-encoded, one `logout_token`.
            let sent = http
                .post(&uri)
                .form(&[("logout_token", token)])
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(client_id = %client.client_id, "back-channel logout delivered");
                }
                Ok(response) => tracing::warn!(
                    client_id = %client.client_id,
                    status = response.status().as_u16(),
                    "back-channel logout refused by the client"
                ),
                Err(e) => tracing::warn!(
                    client_id = %client.client_id,
                    error = %e,
                    "back-channel logout could not be delivered"
                ),
            }
        });
    }
}
