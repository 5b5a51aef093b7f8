//! OIDC Back-Channel Logout 1.0: when a session ends, every client that received tokens in it
//! and registered a `backchannel_logout_uri` is sent a logout token (§2.5), server to server.
//!
//! Durable: the deliveries are written to the store in the transaction that ends the session
//! (`outbox`), so a logout that was answered is never lost; the sender task of whichever
//! instance claims them first (`backchannel_sender`) posts them, retries with exponential
//! backoff while the client answers an error or nothing (§2.8), and gives up after
//! `[backchannel] give_up_after_secs`. Nobody's logout waits for a client.

use oxid_store::{ClientRecord, SessionRecord};
use serde::Deserialize;
use std::time::Duration;

use crate::config::{ConfigError, config_error};
use crate::state::Provider;

/// The `[backchannel]` settings (docs/configuration.md).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BackchannelSettings {
    /// Milliseconds one delivery may take (connecting and the client's answer).
    pub timeout_ms: u64,
    /// Deliveries in flight at once, per instance.
    pub concurrency: usize,
    /// Seconds before the first retry; each later wait doubles.
    pub first_retry_secs: u64,
    /// The longest wait between two attempts, in seconds.
    pub max_retry_interval_secs: u64,
    /// Seconds after the logout when a delivery that never succeeded is given up.
    pub give_up_after_secs: u64,
    /// Milliseconds between two looks at the outbox for due deliveries (a logout taken by
    /// this instance is sent at once, without waiting for it).
    pub poll_interval_ms: u64,
    /// Seconds a finished delivery (delivered or given up) is kept for operators to see
    /// before the sweep removes it.
    pub retention_secs: u64,
}

impl Default for BackchannelSettings {
    fn default() -> Self {
        BackchannelSettings {
            timeout_ms: 5_000,
            concurrency: 16,
            first_retry_secs: 2,
            max_retry_interval_secs: 300,
            give_up_after_secs: 86_400,
            poll_interval_ms: 1_000,
            retention_secs: 7 * 86_400,
        }
    }
}

impl BackchannelSettings {
    /// Checks the numbers; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("backchannel.timeout_ms", self.timeout_ms),
            ("backchannel.concurrency", self.concurrency as u64),
            ("backchannel.first_retry_secs", self.first_retry_secs),
            ("backchannel.give_up_after_secs", self.give_up_after_secs),
            ("backchannel.poll_interval_ms", self.poll_interval_ms),
            ("backchannel.retention_secs", self.retention_secs),
        ] {
            if value == 0 {
                return Err(config_error(key, "must be positive"));
            }
        }
        if self.max_retry_interval_secs < self.first_retry_secs {
            return Err(config_error(
                "backchannel.max_retry_interval_secs",
                "must be at least backchannel.first_retry_secs",
            ));
        }
        Ok(())
    }

    /// The time limit of one delivery.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Seconds a claimed delivery stays leased to its sender: the whole attempt (its time
    /// limit, then recording the outcome) fits in it, so only a sender that died loses it.
    pub fn lease_secs(&self) -> u64 {
        self.timeout_ms.div_ceil(1000) + 30
    }

    /// When to try again after attempt number `attempts` (1 for the first) failed at `now`:
    /// `first_retry_secs`, doubled for each attempt since, at most `max_retry_interval_secs`;
    /// `None` when that is past `give_up_at`.
    pub fn retry_at(&self, attempts: u32, now: u64, give_up_at: u64) -> Option<u64> {
        let doublings = attempts.saturating_sub(1).min(32);
        let wait = self
            .first_retry_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_retry_interval_secs);
        let at = now.saturating_add(wait);
        (at < give_up_at).then_some(at)
    }
}

/// The registrations of the clients that received tokens within `session` (for the
/// front-channel fan-out); store failures are logged and skip the client.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_first_wait_up_to_the_cap_then_give_up() {
        let s = BackchannelSettings {
            first_retry_secs: 2,
            max_retry_interval_secs: 30,
            ..BackchannelSettings::default()
        };
        let waits: Vec<u64> = (1..=6)
            .map(|attempt| s.retry_at(attempt, 1000, 10_000).unwrap() - 1000)
            .collect();
        // A client back within a minute of the logout is reached within seconds of it.
        assert_eq!(waits, [2, 4, 8, 16, 30, 30]);
        assert_eq!(
            s.retry_at(u32::MAX, 1000, 10_000),
            Some(1030),
            "no overflow"
        );
        assert_eq!(s.retry_at(1, 1000, 1002), None, "past the give-up time");
        assert_eq!(s.retry_at(1, 1000, 1003), Some(1002));
    }

    #[test]
    fn settings_are_checked_by_key() {
        let zero = BackchannelSettings {
            concurrency: 0,
            ..BackchannelSettings::default()
        };
        assert_eq!(zero.validate().unwrap_err().key, "backchannel.concurrency");
        let inverted = BackchannelSettings {
            max_retry_interval_secs: 1,
            ..BackchannelSettings::default()
        };
        let key = inverted.validate().unwrap_err().key;
        assert_eq!(key, "backchannel.max_retry_interval_secs");
        assert!(BackchannelSettings::default().validate().is_ok());
    }
}
