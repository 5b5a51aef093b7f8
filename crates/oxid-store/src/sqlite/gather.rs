//! When the writer waits for company before it commits (issue 14: the token rows at half rate).
//!
//! A commit costs about the same for one job as for several: its WAL frames (each page it
//! dirtied, written whole), `BEGIN`/`COMMIT`, and the hops between the request's thread and
//! the writer. Under a saturating load the queue hands the writer full batches by itself (9.8
//! µs of writer CPU per client_credentials token), but a steady stream of requests that come
//! one at a time, as at half the maximum rate, made a commit per token (32.9 µs each): the
//! server was then nearly as busy at half the rate as at the full one, and its p99 was the
//! queue's. So while jobs come in a stream, a short batch waits [`GATHER`] for the jobs behind
//! it before it is cut. The wait pays only when something comes during it; after a wait that
//! brought nothing (a client writing one thing at a time), the writer stops waiting for
//! [`RETRY_AFTER`] batches.

use std::time::Duration;

/// How long a short batch waits for more jobs: a few arrivals at 10,000 writes a second,
/// and a small part of a request's latency.
pub(super) const GATHER: Duration = Duration::from_micros(250);
/// A batch with this many jobs or more is cut at once: the queue is filling by itself.
const SHORT_BELOW: usize = 4;
/// A job that came within this time of the last commit is taken for part of a stream dense
/// enough that a wait of [`GATHER`] brings another; after a longer gap it is committed at
/// once. At one job every 300 µs (the RS256 row: each request waits for its signature) a wait
/// mostly brought nothing and cost the writer a timer's wake-up per batch: 3 % of that row.
const STREAM_GAP: Duration = GATHER;
/// Batches committed without waiting after a wait that brought nothing.
const RETRY_AFTER: u32 = 64;

/// The writer's choice, batch after batch.
#[derive(Debug, Default)]
pub(super) struct Gathering {
    /// Batches still to commit without waiting.
    skip: u32,
}

impl Gathering {
    /// Whether a batch of `jobs` jobs, whose first came `since_commit` after the last commit
    /// ended, waits [`GATHER`] for more before it is cut.
    pub(super) fn waits(&mut self, jobs: usize, since_commit: Duration) -> bool {
        if jobs >= SHORT_BELOW {
            // A full queue: waiting pays again as soon as the load dips.
            self.skip = 0;
            return false;
        }
        if since_commit > STREAM_GAP {
            return false;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        true
    }

    /// What a wait brought: `more` jobs.
    pub(super) fn waited(&mut self, more: usize) {
        if more == 0 {
            self.skip = RETRY_AFTER;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOON: Duration = Duration::from_micros(90);

    #[test]
    fn a_stream_of_single_jobs_waits_and_keeps_waiting_while_it_pays() {
        let mut g = Gathering::default();
        for _ in 0..10 {
            assert!(g.waits(1, SOON));
            g.waited(2);
        }
    }

    #[test]
    fn a_full_queue_and_a_job_after_a_quiet_spell_are_committed_at_once() {
        let mut g = Gathering::default();
        assert!(!g.waits(SHORT_BELOW, SOON));
        assert!(!g.waits(1, STREAM_GAP + Duration::from_micros(1)));
        assert!(g.waits(1, SOON));
    }

    #[test]
    fn a_wait_that_brings_nothing_stops_the_waits_for_a_while() {
        let mut g = Gathering::default();
        assert!(g.waits(1, SOON));
        g.waited(0);
        for _ in 0..RETRY_AFTER {
            assert!(!g.waits(1, SOON));
        }
        assert!(g.waits(1, SOON));
        // A full batch meanwhile means load: waiting may pay again at once.
        g.waited(0);
        assert!(!g.waits(1, SOON));
        assert!(!g.waits(SHORT_BELOW + 1, SOON));
        assert!(g.waits(1, SOON));
    }
}
