//! Ending a session with its consequences, as one store transaction (acknowledged means
//! kept): the session goes, a back-channel logout delivery is queued for each of its clients
//! that registered a `backchannel_logout_uri` (OIDC Back-Channel Logout 1.0 §2.7), and the
//! tokens of clients that asked for it (`backchannel_logout_revoke_tokens`) are revoked. The
//! instance that took the logout then wakes its sender, so the tokens leave at once.

use oxid_store::{SessionKey, SessionRecord, StoreError};

use crate::state::Provider;

/// Ends the session named by `key` (whoever ends it first queues its deliveries, once) and
/// returns it; `None` when there was no such session.
pub async fn end_session(
    provider: &Provider,
    key: &SessionKey,
) -> Result<Option<SessionRecord>, StoreError> {
    let now = provider.now();
    let give_up_at = now.saturating_add(provider.config().backchannel.give_up_after_secs);
    let ended = provider.store().end_session(key, now, give_up_at).await?;
    if ended.is_some() {
        provider.wake_backchannel_sender();
    }
    Ok(ended)
}
