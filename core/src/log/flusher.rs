//! A thread that flushes the batches queued by [`Log::submit`](super::Log::submit).
//!
//! A writer that waits for its own batch leads the flush itself, and while it is in the fsync
//! it encodes nothing. A writer that submits batches instead hands the write and the fsync to
//! this thread and encodes its next batch meanwhile. Nothing changes for durability: a batch
//! is acknowledged (its `wait` returns) only once a flush that carries it has synced.
//!
//! The thread holds the log weakly, and strongly only during a flush, so a closing database
//! stops it and joins it before the log (and the directory lock) goes away.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::JoinHandle;

use super::Log;

pub(super) struct Flusher {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Signal {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Batches were queued since the thread last looked.
    kicked: bool,
    /// The log is closing.
    stop: bool,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Flusher {
    pub(super) fn start(log: Weak<Log>) -> io::Result<Flusher> {
        let signal = Arc::new(Signal::default());
        let theirs = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("veritydb-flush".into())
            .spawn(move || {
                loop {
                    let mut state = theirs.lock();
                    while !state.kicked && !state.stop {
                        state = theirs
                            .wake
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                    let stopping = state.stop;
                    state.kicked = false;
                    drop(state);
                    // Batches queued before the stop are still flushed, kicked or not.
                    let Some(log) = log.upgrade() else { return };
                    log.flush_queued();
                    if stopping {
                        return;
                    }
                }
            })?;
        Ok(Flusher {
            signal,
            thread: Some(thread),
        })
    }

    /// A handle that asks the thread to flush what is queued, usable without the lock that
    /// guards the flusher.
    pub(super) fn kicker(&self) -> Kicker {
        Kicker(Arc::clone(&self.signal))
    }

    /// Flushes what is queued, stops the thread and waits for it.
    pub(super) fn stop(mut self) {
        self.signal.lock().stop = true;
        self.signal.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Wakes the flusher thread; see [`Flusher::kicker`].
pub(super) struct Kicker(Arc<Signal>);

impl Kicker {
    /// Asks the thread to flush what is queued now.
    pub(super) fn kick(&self) {
        self.0.lock().kicked = true;
        self.0.wake.notify_one();
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        // Without `stop` (a log dropped outside a database): let the thread end on its own.
        self.signal.lock().stop = true;
        self.signal.wake.notify_one();
    }
}
