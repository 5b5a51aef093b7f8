//! Brute-force throttling (issue 13), in the manner of Keycloak's brute force detection:
//! failed logins per account and per client address, and failed client secrets per client,
//! are counted in the store (so every instance on one database sees them), or in Redis when
//! `[throttle] redis_url` is set (every instance on one Redis sees them). From
//! `max_failures_before_delay` failures within the window on, each failure is answered after
//! a growing delay; the failure that reaches `max_failures_before_lock` locks the key for
//! `lock_seconds`, during which every attempt is refused (429) without being checked, right
//! or wrong, so the lock cannot be probed. An address gets [`ADDRESS_FACTOR`] times the
//! account's numbers: many users may share one address (NAT, proxy).

use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Extensions;
use oxid_store::ThrottlePolicy;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use unicode_normalization::UnicodeNormalization;

use crate::client_address::ClientAddress;
use crate::config::ConfigError;
use crate::error::OAuthError;
use crate::state::Provider;

/// How many times the per-account (and per-client) numbers a client address gets.
pub const ADDRESS_FACTOR: u64 = 5;
/// How many times the per-account numbers all wrong user codes together get (RFC 8628 §5.1:
/// 1000 guesses per window by default, against 20^8 codes).
pub const USER_CODES_FACTOR: u64 = 50;
/// The longest delay a failure is answered after.
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// The `[throttle]` settings (docs/configuration.md).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleSettings {
    /// Failures within the window after which each failure is answered with a delay.
    pub max_failures_before_delay: u64,
    /// The failure within the window that locks the account (or client).
    pub max_failures_before_lock: u64,
    /// Seconds failures are counted over, from the first one.
    pub window_seconds: u64,
    /// Seconds a lock lasts.
    pub lock_seconds: u64,
    /// Milliseconds of the first delay; each further failure doubles it (at most 10 s).
    pub delay_ms: u64,
    /// `redis://host:port[/db]`: keep the failure counters in this Redis instead of the
    /// database (an option, never a requirement; every instance must use the same one).
    pub redis_url: Option<String>,
    /// What the keys in Redis begin with (deployments sharing one Redis keep apart by it).
    pub redis_key_prefix: String,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_before_delay: 5,
            max_failures_before_lock: 20,
            window_seconds: 900,
            lock_seconds: 900,
            delay_ms: 500,
            redis_url: None,
            redis_key_prefix: REDIS_PREFIX.into(),
        }
    }
}

impl ThrottleSettings {
    /// Checks the numbers; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let error = |key, message: &str| ConfigError {
            key,
            message: message.into(),
        };
        if self.max_failures_before_lock == 0 {
            return Err(error(
                "throttle.max_failures_before_lock",
                "must be positive",
            ));
        }
        if self.max_failures_before_delay > self.max_failures_before_lock {
            return Err(error(
                "throttle.max_failures_before_delay",
                "must not exceed throttle.max_failures_before_lock",
            ));
        }
        if self.window_seconds == 0 || self.lock_seconds == 0 {
            let key = if self.window_seconds == 0 {
                "throttle.window_seconds"
            } else {
                "throttle.lock_seconds"
            };
            return Err(error(key, "must be positive"));
        }
        if self.delay_ms > MAX_DELAY.as_millis() as u64 {
            return Err(error("throttle.delay_ms", "must be at most 10000"));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(error(
                "throttle.redis_url",
                "must be a redis:// or rediss:// URL",
            ));
        }
        Ok(())
    }

    /// The store's policy for a key whose numbers are `factor` times the account's.
    fn policy(&self, factor: u64) -> ThrottlePolicy {
        ThrottlePolicy {
            window: self.window_seconds,
            lock_after: self.max_failures_before_lock.saturating_mul(factor),
            lock_for: self.lock_seconds,
        }
    }

    /// The delay before answering the `failures`-th failure of such a key: none before
    /// `max_failures_before_delay`, then `delay_ms` doubling per failure, at most
    /// [`MAX_DELAY`].
    pub fn delay(&self, failures: u64, factor: u64) -> Duration {
        let start = self.max_failures_before_delay.saturating_mul(factor);
        if failures < start.max(1) {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - start).unwrap_or(u32::MAX).min(20);
        Duration::from_millis(self.delay_ms.saturating_mul(1 << doublings)).min(MAX_DELAY)
    }
}

/// The default key prefix of the counters in Redis.
pub const REDIS_PREFIX: &str = "oxid:throttle:";

/// The Redis throttle state `settings` name, connected; `None` when none is configured (the
/// store keeps the counters). Redis must answer at start: instances that silently fell back
/// to their database would each count apart.
pub async fn redis_store(
    settings: &ThrottleSettings,
) -> Result<Option<std::sync::Arc<dyn oxid_store::ThrottleStore>>, crate::backend::StartError> {
    let Some(url) = &settings.redis_url else {
        return Ok(None);
    };
    let redis = oxid_store::RedisThrottle::connect(url, &settings.redis_key_prefix)
        .await
        .map_err(crate::backend::StartError::ThrottleStore)?;
    tracing::info!("throttle state in Redis");
    Ok(Some(std::sync::Arc::new(redis)))
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A login name, normalized (see [`normalize_username`]); counted whether or not such an
    /// account exists, so a lock says nothing about existence.
    Account(&'a str),
    /// The address a login came from.
    Address(IpAddr),
    /// A client authenticating with a secret.
    Client(&'a str),
    /// The address user codes are typed from, on the device verification page.
    UserCodeAddress(IpAddr),
    /// Every user code typed, from any address (RFC 8628 §5.1: guessing is bounded overall).
    UserCodes,
}

impl Subject<'_> {
    /// The store key.
    pub fn key(&self) -> String {
        match self {
            Subject::Account(name) => format!("login:user:{name}"),
            // IPv4-mapped IPv6 addresses count as the IPv4 address they are.
            Subject::Address(ip) => format!("login:ip:{}", ip.to_canonical()),
            Subject::Client(id) => format!("client:{id}"),
            Subject::UserCodeAddress(ip) => format!("device:ip:{}", ip.to_canonical()),
            Subject::UserCodes => "device:all".into(),
        }
    }

    fn factor(&self) -> u64 {
        match self {
            Subject::Address(_) => ADDRESS_FACTOR,
            Subject::UserCodes => USER_CODES_FACTOR,
            Subject::Account(_) | Subject::Client(_) | Subject::UserCodeAddress(_) => 1,
        }
    }
}

/// A lock in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// When it ends (seconds since the epoch).
    pub until: u64,
    /// Seconds from now until then (at least 1), for `Retry-After` (RFC 9110 §10.2.3).
    pub retry_after: u64,
}

impl Locked {
    fn at(until: u64, now: u64) -> Locked {
        Locked {
            until,
            retry_after: until.saturating_sub(now).max(1),
        }
    }
}

/// The lock that ends last among `subjects`, if any is locked now.
pub async fn current_lock(
    provider: &Provider,
    subjects: &[Subject<'_>],
) -> Result<Option<Locked>, OAuthError> {
    let now = provider.now();
    let mut latest = None;
    for subject in subjects {
        let until = provider
            .throttle_store()
            .locked_until(&subject.key(), now)
            .await?;
        latest = latest.max(until);
    }
    Ok(latest.map(|until| Locked::at(until, now)))
}

/// Counts a failure for each of `subjects`, then waits the delay the worst of them earned;
/// returns the lock a subject reached, if one did. The failures are stored before the wait,
/// so a client that gives up waiting has been counted all the same.
pub async fn record_failure(
    provider: &Provider,
    subjects: &[Subject<'_>],
) -> Result<Option<Locked>, OAuthError> {
    let settings = &provider.config().throttle;
    let now = provider.now();
    let (mut delay, mut latest) = (Duration::ZERO, None);
    for subject in subjects {
        let policy = settings.policy(subject.factor());
        let count = provider
            .throttle_store()
            .record_failure(&subject.key(), now, &policy)
            .await?;
        delay = delay.max(settings.delay(count.failures, subject.factor()));
        latest = latest.max(count.locked_until);
        if let Subject::Client(_) = subject {
            provider
                .recent_client_locks()
                .remember(subject.key(), count.locked_until);
        }
    }
    if latest.is_some() {
        tracing::warn!(subjects = ?subjects, "too many failures: locked");
    }
    tokio::time::sleep(delay).await;
    Ok(latest.map(|until| Locked::at(until, now)))
}

/// How long this process trusts a client's lock state read from the store, so that a token
/// request does not read the store every time. A lock this process takes is seen at once
/// ([`record_failure`] writes it here); one another instance takes, within this time.
pub const CLIENT_LOCK_FRESHNESS: Duration = Duration::from_secs(1);

/// Client lock states recently read from the store: key → (read at, locked until).
#[derive(Debug, Default)]
pub struct RecentClientLocks(Mutex<HashMap<String, (Instant, Option<u64>)>>);

impl RecentClientLocks {
    fn fresh(&self, key: &str) -> Option<Option<u64>> {
        let entries = self.0.lock().ok()?;
        let (read_at, until) = entries.get(key)?;
        (read_at.elapsed() < CLIENT_LOCK_FRESHNESS).then_some(*until)
    }

    fn remember(&self, key: String, until: Option<u64>) {
        if let Ok(mut entries) = self.0.lock() {
            entries.insert(key, (Instant::now(), until));
        }
    }
}

/// The lock on client `client_id`, if it is locked now: read from the store at most once per
/// [`CLIENT_LOCK_FRESHNESS`] per client (the set of keys is bounded by the registered clients:
/// the caller looked the client up first).
pub async fn current_client_lock(
    provider: &Provider,
    client_id: &str,
) -> Result<Option<Locked>, OAuthError> {
    let key = Subject::Client(client_id).key();
    let now = provider.now();
    let until = match provider.recent_client_locks().fresh(&key) {
        Some(until) => until,
        None => {
            let until = provider.throttle_store().locked_until(&key, now).await?;
            provider.recent_client_locks().remember(key, until);
            until
        }
    };
    Ok(until
        .filter(|until| *until > now)
        .map(|until| Locked::at(until, now)))
}

/// Forgets the failures of `subject` (after a success).
pub async fn clear_failures(provider: &Provider, subject: Subject<'_>) -> Result<(), OAuthError> {
    Ok(provider
        .throttle_store()
        .clear_failures(&subject.key())
        .await?)
}

/// The client's address: the one the request log layer found (the socket peer, or a
/// trusted proxy's `X-Forwarded-For`, see `client_address`); else the socket peer, when the
/// server was started with connect info (or a test set one with `MockConnectInfo`).
pub fn peer_address(extensions: &Extensions) -> Option<IpAddr> {
    if let Some(ClientAddress(client)) = extensions.get::<ClientAddress>() {
        return Some(*client);
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|MockConnectInfo(addr)| addr.ip())
        })
}

/// A login name as compared and stored: surrounding spaces removed, then case-mapped and
/// NFC-normalized (RFC 8265 §3.3.3 UsernameCaseMapped, its width mapping left out), so
/// `Élodie`, `élodie` and `e\u{301}lodie` are one account.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_lowercase().nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_lock_is_seen_here_at_once_and_from_another_instance_within_freshness() {
        let provider = crate::test_support::provider_with_keys(|s| {
            s.throttle.max_failures_before_delay = 3;
            s.throttle.delay_ms = 1;
            s.throttle.max_failures_before_lock = 3;
        })
        .await;
        assert!(current_client_lock(&provider, "a").await.unwrap().is_none());
        // Another instance locks "a" in the shared store: read again after the freshness.
        let policy = provider.config().throttle.policy(1);
        for _ in 0..3 {
            provider
                .store()
                .record_failure("client:a", provider.now(), &policy)
                .await
                .unwrap();
        }
        assert!(current_client_lock(&provider, "a").await.unwrap().is_none());
        tokio::time::sleep(CLIENT_LOCK_FRESHNESS).await;
        assert!(current_client_lock(&provider, "a").await.unwrap().is_some());
        // A lock taken here is seen at once, though "b" was just read as unlocked.
        assert!(current_client_lock(&provider, "b").await.unwrap().is_none());
        for _ in 0..3 {
            record_failure(&provider, &[Subject::Client("b")])
                .await
                .unwrap();
        }
        assert!(current_client_lock(&provider, "b").await.unwrap().is_some());
    }

    #[test]
    fn delays_start_at_the_threshold_double_and_are_capped() {
        let s = ThrottleSettings::default();
        assert_eq!(s.delay(4, 1), Duration::ZERO);
        assert_eq!(s.delay(5, 1), Duration::from_millis(500));
        assert_eq!(s.delay(6, 1), Duration::from_millis(1000));
        assert_eq!(s.delay(19, 1), MAX_DELAY);
        assert_eq!(s.delay(24, ADDRESS_FACTOR), Duration::ZERO);
        assert_eq!(s.delay(u64::MAX, 1), MAX_DELAY);
    }

    #[test]
    fn usernames_are_case_mapped_and_nfc_normalized_rfc8265() {
        assert_eq!(normalize_username(" \u{c9}lodie "), "\u{e9}lodie");
        assert_eq!(normalize_username("e\u{301}lodie"), "\u{e9}lodie");
        assert_eq!(normalize_username("ALICE"), "alice");
    }

    #[test]
    fn keys_name_their_kind_and_mapped_addresses_are_ipv4() {
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(Subject::Address(mapped).key(), "login:ip:192.0.2.1");
        assert_eq!(Subject::Account("bob").key(), "login:user:bob");
        assert_eq!(Subject::Client("c").key(), "client:c");
    }

    #[test]
    fn bad_settings_name_their_key() {
        let bad = ThrottleSettings {
            max_failures_before_delay: 30,
            ..ThrottleSettings::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().key,
            "throttle.max_failures_before_delay"
        );
        let bad = ThrottleSettings {
            lock_seconds: 0,
            ..ThrottleSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "throttle.lock_seconds");
        let bad = ThrottleSettings {
            redis_url: Some("http://127.0.0.1:6379".into()),
            ..ThrottleSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "throttle.redis_url");
        ThrottleSettings::default().validate().unwrap();
    }
}
