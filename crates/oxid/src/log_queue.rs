//! Log lines go to stdout through one writer thread: a line is appended to a queue and the
//! thread writes everything queued with one write(2), instead of one write per line on the
//! request's thread (bench/README.md, "The per-request cost"). The thread looks at the queue
//! every [`LINGER`] and sleeps until woken only after ~20 ms without a line, so that under
//! load loggers find it awake and never pay a wake-up (a futex call and a context switch
//! each, which cost more than the write they save). Lines reach the OS within about
//! [`LINGER`]; only the lines still queued are lost if the process is killed (`kill -9`),
//! and [`Flush`] writes the rest at a normal exit. The queue is bounded: when stdout cannot
//! keep up, loggers wait, as they did on a blocking write.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// Bytes queued at most before loggers wait for the writer.
const MAX_QUEUED: usize = 1 << 20;

/// The writer's pause after a write or an empty look, to gather the next batch. Each look
/// takes the core from the request threads twice (a switch there and back): at 1 ms that was
/// 4,400 switches a second under load, a few per cent of the token row (bench/README.md).
const LINGER: Duration = Duration::from_millis(10);

/// Empty looks before the writer sleeps until woken: about 20 ms without a line.
const AWAKE_ROUNDS: u32 = 2;

/// Longest wait of [`Flush`] for the writer at exit (stdout may be stuck).
const FLUSH_WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    queued: Vec<u8>,
    /// The writer waits for lines (so a logger must wake it).
    idle: bool,
    /// The writer is writing a batch taken from the queue.
    writing: bool,
    /// Loggers or a flush wait for the queue to drain.
    draining_waiters: usize,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    lines: Condvar,
    drained: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The [`MakeWriter`] of the subscriber: every line into the queue (or, when the thread
/// could not start, straight to stdout).
#[derive(Clone)]
pub struct StdoutQueue(Option<Arc<Shared>>);

/// Writes what is left in the queue when dropped (the end of `oxid serve`).
pub struct Flush(Option<Arc<Shared>>);

/// Starts the writer thread; its queue, and the guard that flushes it.
pub fn start() -> (StdoutQueue, Flush) {
    let shared = Arc::new(Shared::default());
    let for_thread = shared.clone();
    let started = std::thread::Builder::new()
        .name("oxid-log".into())
        .spawn(move || write_lines(&for_thread, &mut std::io::stdout()));
    match started {
        Ok(_) => (StdoutQueue(Some(shared.clone())), Flush(Some(shared))),
        Err(_) => (StdoutQueue(None), Flush(None)),
    }
}

/// The writer thread: writes all that is queued, lingers, again; after [`AWAKE_ROUNDS`]
/// lingers without a line it sleeps until a logger wakes it.
fn write_lines(shared: &Shared, out: &mut impl Write) {
    let mut batch = Vec::new();
    let mut empty_rounds = 0;
    loop {
        let mut state = shared.lock();
        if state.queued.is_empty() {
            if empty_rounds < AWAKE_ROUNDS {
                drop(state);
                empty_rounds += 1;
                std::thread::sleep(LINGER);
                continue;
            }
            while state.queued.is_empty() {
                state.idle = true;
                state = shared.lines.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        }
        empty_rounds = 0;
        std::mem::swap(&mut batch, &mut state.queued);
        state.writing = true;
        drop(state);
        // As the fmt subscriber does: a log line that cannot be written is dropped.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        let mut state = shared.lock();
        state.writing = false;
        if state.draining_waiters > 0 {
            shared.drained.notify_all();
        }
        drop(state);
        std::thread::sleep(LINGER);
    }
}

impl std::io::Write for &StdoutQueue {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let Some(shared) = &self.0 else {
            return std::io::stdout().write_all(line).map(|()| line.len());
        };
        let mut state = shared.lock();
        while state.queued.len() >= MAX_QUEUED {
            state.draining_waiters += 1;
            state = shared
                .drained
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
            state.draining_waiters -= 1;
        }
        state.queued.extend_from_slice(line);
        // Waking costs a system call: only when the writer sleeps.
        if std::mem::take(&mut state.idle) {
            shared.lines.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for StdoutQueue {
    type Writer = &'a StdoutQueue;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        let Some(shared) = &self.0 else {
            return;
        };
        let mut state = shared.lock();
        // Drained: nothing queued and no batch being written.
        while !state.queued.is_empty() || state.writing {
            state.draining_waiters += 1;
            let (next, timeout) = shared
                .drained
                .wait_timeout(state, FLUSH_WAIT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            state.draining_waiters -= 1;
            if timeout.timed_out() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_from_many_threads_arrive_whole_and_a_flush_waits_for_them() {
        let shared = Arc::new(Shared::default());
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let (for_thread, sink) = (shared.clone(), out.clone());
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        std::thread::spawn(move || write_lines(&for_thread, &mut Sink(sink)));
        let queue = StdoutQueue(Some(shared.clone()));
        std::thread::scope(|s| {
            for t in 0..4 {
                let queue = queue.clone();
                s.spawn(move || {
                    for i in 0..1000 {
                        let line = format!("thread {t} line {i}\n");
                        (&queue).write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
        drop(Flush(Some(shared)));
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 4000);
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            assert_eq!(mine.len(), 1000);
            assert_eq!(mine[999], format!("thread {t} line 999"), "in order");
        }
    }
}
