//! The one rule both backends apply to a failure counter; each backend reads the row and
//! writes the result inside one transaction (row-locked on PostgreSQL, the single writer on
//! SQLite), so concurrent failures all count.

use crate::{FailureCount, ThrottlePolicy};

/// A `failure_counters` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counter {
    /// Failures within the window.
    pub failures: u64,
    /// When the window's first failure happened.
    pub window_started: u64,
    /// When the lock ends (0 or past: not locked).
    pub locked_until: u64,
}

impl Counter {
    /// The counter after one more failure at `now`. A window that ended, with no lock still
    /// running, starts over.
    pub fn after_failure(previous: Option<Counter>, now: u64, policy: &ThrottlePolicy) -> Counter {
        let fresh = previous.is_none_or(|c| {
            c.window_started.saturating_add(policy.window) <= now && c.locked_until <= now
        });
        let (failures, window_started, locked_until) = match previous {
            Some(c) if !fresh => (
                c.failures.saturating_add(1),
                c.window_started,
                c.locked_until,
            ),
            _ => (1, now, 0),
        };
        let locked_until = if failures >= policy.lock_after {
            now.saturating_add(policy.lock_for)
        } else {
            locked_until
        };
        Counter {
            failures,
            window_started,
            locked_until,
        }
    }

    /// When the row may be purged: its window and its lock are both over.
    pub fn expires_at(&self, policy: &ThrottlePolicy) -> u64 {
        self.window_started
            .saturating_add(policy.window)
            .max(self.locked_until)
    }

    /// What the caller learns, at `now`.
    pub fn count(&self, now: u64) -> FailureCount {
        FailureCount {
            failures: self.failures,
            locked_until: (self.locked_until > now).then_some(self.locked_until),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        window: 100,
        lock_after: 3,
        lock_for: 50,
    };

    #[test]
    fn failures_count_up_then_lock_and_a_new_window_starts_over() {
        let c1 = Counter::after_failure(None, 10, &POLICY);
        assert_eq!(c1.count(10).failures, 1);
        let c2 = Counter::after_failure(Some(c1), 20, &POLICY);
        assert_eq!(c2.count(20).locked_until, None);
        let c3 = Counter::after_failure(Some(c2), 30, &POLICY);
        assert_eq!(c3.count(30).locked_until, Some(80));
        assert_eq!(c3.expires_at(&POLICY), 110);
        // Within the window, after the lock: locked again at once.
        let c4 = Counter::after_failure(Some(c3), 90, &POLICY);
        assert_eq!(
            c4.count(90),
            FailureCount {
                failures: 4,
                locked_until: Some(140)
            }
        );
        // The window and the lock over: a fresh start.
        let c5 = Counter::after_failure(Some(c4), 140, &POLICY);
        assert_eq!(
            c5.count(140),
            FailureCount {
                failures: 1,
                locked_until: None
            }
        );
    }
}
