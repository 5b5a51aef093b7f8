//! Failure counters in Redis (`[throttle] redis_url`), an option beside the database's own
//! `failure_counters` table, never a requirement: every instance pointed at one Redis sees
//! the same counters. One Lua script applies [`Counter::after_failure`]'s rule and sets the
//! key's expiry, atomically on the Redis server (a script runs alone), so concurrent failures
//! from any instance all count and an idle key disappears on its own (no sweep needed).
//!
//! [`Counter::after_failure`]: crate::throttle::Counter::after_failure

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use std::time::Duration;

use crate::{FailureCount, StoreError, StoreResult, ThrottlePolicy, ThrottleStore};

/// One failure for `KEYS[1]` at `ARGV[1]` (window `ARGV[2]`, lock after `ARGV[3]` failures,
/// for `ARGV[4]` s): the rule of `throttle::Counter::after_failure`, then the key expires
/// when its window and its lock are both over. Returns `{failures, locked_until}`.
const RECORD_FAILURE: &str = r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local lock_after, lock_for = tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'failures', 'window_started', 'locked_until')
local failures, started, locked = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
if failures == nil or (started + window <= now and locked <= now) then
  failures, started, locked = 1, now, 0
else
  failures = failures + 1
end
if failures >= lock_after then locked = now + lock_for end
redis.call('HSET', KEYS[1], 'failures', failures, 'window_started', started,
  'locked_until', locked)
redis.call('EXPIRE', KEYS[1], math.max(math.max(started + window, locked) - now, 1))
return {failures, locked}
";

/// The longest one Redis call (or connecting) may take before the request fails with
/// `Unavailable` (503), as a database outage does.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Failure counters kept in Redis under `prefix`.
#[derive(Clone)]
pub struct RedisThrottle {
    connection: ConnectionManager,
    prefix: String,
    script: Script,
}

impl std::fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

impl RedisThrottle {
    /// Connects to `url` (`redis://host:port[/db]`); keys are `prefix` + the counter's key.
    /// Fails when Redis cannot be reached now; later outages fail each call (and the
    /// connection is made again on its own).
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<RedisThrottle> {
        let client =
            Client::open(url).map_err(|e| StoreError::UnsupportedUrl(format!("{url}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(client, config);
        let connection = tokio::time::timeout(TIMEOUT, connect)
            .await
            .map_err(|_| StoreError::Unavailable("redis: connecting timed out".into()))?
            .map_err(unavailable)?;
        Ok(RedisThrottle {
            connection,
            prefix: prefix.to_string(),
            script: Script::new(RECORD_FAILURE),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Redis integers are signed; times and counts here are far below `i64::MAX`.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl ThrottleStore for RedisThrottle {
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount> {
        let mut connection = self.connection.clone();
        let (failures, locked_until): (i64, i64) = self
            .script
            .key(self.key(key))
            .arg(signed(now))
            .arg(signed(policy.window))
            .arg(signed(policy.lock_after))
            .arg(signed(policy.lock_for))
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let locked_until = unsigned(locked_until);
        Ok(FailureCount {
            failures: unsigned(failures),
            locked_until: (locked_until > now).then_some(locked_until),
        })
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)
    }

    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>> {
        let mut connection = self.connection.clone();
        let until: Option<i64> = redis::cmd("HGET")
            .arg(self.key(key))
            .arg("locked_until")
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(until.map(unsigned).filter(|until| *until > now))
    }
}
