//! Checking entry frames on several threads: the CLI's `EntryChecker`. The library starts no
//! thread itself; here each batch is split into one contiguous part per thread, checked with
//! the library's `SequentialChecker`, and the results are joined in order.

use veritydb_verify::{EntryCheck, EntryChecker, SequentialChecker};

/// Batches smaller than this are checked on the calling thread.
const PARALLEL_FRAMES_MIN: usize = 64;

#[derive(Debug)]
pub(crate) struct ThreadedChecker {
    pub(crate) threads: usize,
}

impl EntryChecker for ThreadedChecker {
    fn check_batch(&self, frames: &[&[u8]]) -> Vec<EntryCheck> {
        if self.threads <= 1 || frames.len() < PARALLEL_FRAMES_MIN {
            return SequentialChecker.check_batch(frames);
        }
        let per_thread = frames.len().div_ceil(self.threads);
        let mut parts = frames.chunks(per_thread);
        let first = parts.next().unwrap_or_default();
        std::thread::scope(|scope| {
            let others: Vec<_> = parts
                .map(|part| scope.spawn(move || SequentialChecker.check_batch(part)))
                .collect();
            let mut checks = SequentialChecker.check_batch(first);
            for other in others {
                // The checks never panic on any input (the library's invariant); a panic here
                // is a bug, and propagating it is the right outcome.
                checks.extend(
                    other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            checks
        })
    }
}
