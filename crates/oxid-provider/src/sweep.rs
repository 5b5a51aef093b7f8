//! The expired-row sweep (Issue 13), run by the instance holding the `sweep` lease: expired
//! sessions end as a logout ends them (their back-channel clients are told, OIDC Back-Channel
//! Logout 1.0 §2.7, and the tokens of clients that ask are revoked), finished logout
//! deliveries go after `[backchannel] retention_secs`, then the other expired rows. Each job
//! works in chunks, so no statement holds a table for long and one sweep stays bounded.

use crate::state::Provider;

/// Rows one statement of the sweep handles.
pub const CHUNK: u32 = 500;
/// Chunks one job takes per sweep; what is left waits for the next sweep.
const MAX_CHUNKS: u32 = 200;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Expired sessions ended (their logouts queued).
    pub sessions_ended: u64,
    /// Finished deliveries removed after their retention.
    pub deliveries_purged: u64,
    /// Other expired rows removed.
    pub expired_rows: u64,
}

/// Runs the sweep at `now`; store failures are logged and end that job for this round.
pub async fn sweep(provider: &Provider, now: u64) -> Swept {
    let mut swept = Swept {
        sessions_ended: end_expired_sessions(provider, now).await,
        ..Swept::default()
    };
    if swept.sessions_ended > 0 {
        provider.wake_backchannel_sender();
    }
    let retention = provider.config().backchannel.retention_secs;
    let before = now.saturating_sub(retention);
    for _ in 0..MAX_CHUNKS {
        match provider
            .store()
            .purge_finished_deliveries(before, CHUNK)
            .await
        {
            Ok(n) => {
                swept.deliveries_purged += n;
                if n < u64::from(CHUNK) {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "purging finished logout deliveries failed");
                break;
            }
        }
    }
    match provider.store().purge_expired(now).await {
        Ok(n) => swept.expired_rows = n,
        Err(e) => tracing::error!(error = %e, "purging expired records failed"),
    }
    swept
}

/// Ends the sessions expired at `now`, chunk by chunk; returns how many.
async fn end_expired_sessions(provider: &Provider, now: u64) -> u64 {
    let give_up_at = now.saturating_add(provider.config().backchannel.give_up_after_secs);
    let mut ended = 0;
    for _ in 0..MAX_CHUNKS {
        let chunk = match provider
            .store()
            .end_expired_sessions(now, give_up_at, CHUNK)
            .await
        {
            Ok(chunk) => chunk,
            Err(e) => {
                tracing::error!(error = %e, "ending expired sessions failed");
                break;
            }
        };
        for session in &chunk {
            tracing::info!(sid = %session.sid, "session expired: ended");
        }
        ended += chunk.len() as u64;
        if chunk.len() < CHUNK as usize {
            break;
        }
    }
    ended
}
