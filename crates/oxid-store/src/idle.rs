//! When the async runtime has run out of work: the moment the SQLite writer's batch is
//! complete (issue 14, the token rows).
//!
//! The writer commits what has queued when it wakes, and it woke at the first write of each
//! batch: while the runtime's thread was still serving requests that would write next. While
//! a runtime thread still has tasks to run, more writes are on their way; once it parks, none
//! is. So the binary reports its runtime's parks here (`tokio::runtime::Builder::
//! on_thread_park`), and the writer, woken by a write sent before the last park, commits at
//! once, and otherwise waits for the next park, at most [`MAX_WAIT`]. A lone request's
//! write is committed as soon as its thread parks, so a quiet server adds no latency.
//! Measured on the client_credentials row: 26 -> 21 µs of CPU a token, +24 % tokens a
//! second (bench/README.md, "The writer waits for the runtime to park").

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// The longest a write waits for the runtime to park before it is committed anyway: a
/// runtime thread that never runs out of work (another core's share of a saturating load)
/// must not hold writes back. At 250 µs per RS256 token, 8 writes gather meanwhile.
pub const MAX_WAIT: Duration = Duration::from_millis(2);

/// Counts the parks of an async runtime's threads and wakes the store threads waiting for
/// one. Clones share the count.
#[derive(Clone)]
pub struct RuntimeIdle {
    inner: Arc<Inner>,
}

struct Inner {
    /// How long a write waits for a park at most ([`MAX_WAIT`]; longer in tests).
    max_wait: Duration,
    parks: AtomicU64,
    /// How many threads are in `waiters`: the park hook takes the lock only when some are.
    waiting: AtomicUsize,
    waiters: Mutex<Vec<Thread>>,
}

impl std::fmt::Debug for RuntimeIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeIdle")
            .field("parks", &self.inner.parks.load(SeqCst))
            .finish()
    }
}

impl Default for RuntimeIdle {
    fn default() -> Self {
        Self::with_max_wait(MAX_WAIT)
    }
}

impl RuntimeIdle {
    /// A count of no parks yet.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn with_max_wait(max_wait: Duration) -> Self {
        RuntimeIdle {
            inner: Arc::new(Inner {
                max_wait,
                parks: AtomicU64::new(0),
                waiting: AtomicUsize::new(0),
                waiters: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Call when a runtime thread is about to park (`on_thread_park`): it has nothing to run.
    pub fn parked(&self) {
        self.inner.parks.fetch_add(1, SeqCst);
        // SeqCst with `wait_after`'s order (announce, then read the count): either that
        // thread sees this park or this sees it waiting.
        if self.inner.waiting.load(SeqCst) > 0
            && let Ok(waiters) = self.inner.waiters.lock()
        {
            waiters.iter().for_each(Thread::unpark);
        }
    }

    /// The parks so far; a write notes it when it is sent.
    pub(crate) fn mark(&self) -> u64 {
        self.inner.parks.load(SeqCst)
    }

    /// Threads waiting for a park now.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.inner.waiting.load(SeqCst)
    }

    /// Returns once a runtime thread has parked since `mark` was taken (at once when one
    /// already has), or after [`MAX_WAIT`].
    pub(crate) fn wait_after(&self, mark: u64) {
        if self.inner.parks.load(SeqCst) != mark {
            return;
        }
        let deadline = Instant::now() + self.inner.max_wait;
        let me = std::thread::current();
        let id = me.id();
        match self.inner.waiters.lock() {
            Ok(mut waiters) => waiters.push(me),
            // A poisoned list (a panic while it was held): wait out the deadline alone.
            Err(_) => return sleep_until(deadline),
        }
        self.inner.waiting.fetch_add(1, SeqCst);
        loop {
            let now = Instant::now();
            if self.inner.parks.load(SeqCst) != mark || now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
        self.inner.waiting.fetch_sub(1, SeqCst);
        if let Ok(mut waiters) = self.inner.waiters.lock() {
            waiters.retain(|t| t.id() != id);
        }
    }
}

fn sleep_until(deadline: Instant) {
    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(30);

    #[test]
    fn a_write_sent_before_a_park_is_not_held() {
        let idle = RuntimeIdle::with_max_wait(LONG);
        let mark = idle.mark();
        idle.parked();
        let start = Instant::now();
        idle.wait_after(mark);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_waiting_writer_goes_on_at_the_next_park() {
        let idle = RuntimeIdle::with_max_wait(LONG);
        let mark = idle.mark();
        let writer = {
            let idle = idle.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                idle.wait_after(mark);
                start.elapsed()
            })
        };
        while idle.waiting() == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        idle.parked();
        let waited = writer.join().expect("the writer thread ran");
        assert!(waited < Duration::from_secs(10), "waited {waited:?}");
        assert_eq!(idle.waiting(), 0);
        assert!(idle.inner.waiters.lock().expect("not poisoned").is_empty());
    }

    #[test]
    fn without_a_park_the_wait_ends_at_its_deadline() {
        let idle = RuntimeIdle::with_max_wait(Duration::from_millis(30));
        let start = Instant::now();
        idle.wait_after(idle.mark());
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(30), "waited {waited:?}");
    }
}
