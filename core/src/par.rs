//! Work shared between the calling thread and rayon's pool.
//!
//! The threads that append (a writer, the SQL leader) are not pool workers. Handing a whole
//! batch to the pool with `par_iter` or `join` parks the caller and leaves the work to
//! workers that are usually asleep after the previous fsync: each must be woken in turn, and
//! on a small virtual machine that takes long enough that two workers encoded a batch of
//! 1,000 SQL rows only 1.35 × faster than one. Here the caller works from the first
//! microsecond, and workers join in as soon as they wake.

use std::sync::{Mutex, PoisonError};

/// Runs `work` on every job, on this thread and on up to one pool worker per further job;
/// returns when all are done. Jobs are taken in order, one at a time, by whoever is free.
pub(crate) fn run_shared<J: Send>(jobs: Vec<J>, work: impl Fn(J) + Sync) {
    let helpers = rayon::current_num_threads().min(jobs.len().saturating_sub(1));
    if helpers == 0 {
        jobs.into_iter().for_each(work);
        return;
    }
    let queue = Mutex::new(jobs.into_iter());
    let next = || queue.lock().unwrap_or_else(PoisonError::into_inner).next();
    let drain = || {
        while let Some(job) = next() {
            work(job);
        }
    };
    rayon::in_place_scope(|s| {
        for _ in 0..helpers {
            s.spawn(|_| drain());
        }
        drain();
    });
}

/// Runs `a` on this thread and `b` on the pool; returns both results.
pub(crate) fn join_here<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let mut rb = None;
    let ra = rayon::in_place_scope(|s| {
        s.spawn(|_| rb = Some(b()));
        a()
    });
    (ra, rb.expect("the scope waits for its spawned work"))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_job_runs_once() {
        for n in [0, 1, 2, 3, 17, 1000] {
            let seen: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            run_shared((0..n).collect(), |i: usize| {
                seen[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                seen.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "n = {n}"
            );
        }
    }

    #[test]
    fn jobs_write_disjoint_slices() {
        let mut out = vec![0u32; 1000];
        let jobs: Vec<(usize, &mut [u32])> = out.chunks_mut(64).enumerate().collect();
        run_shared(jobs, |(c, chunk)| {
            for (j, slot) in chunk.iter_mut().enumerate() {
                *slot = (c * 64 + j) as u32;
            }
        });
        assert!(out.iter().enumerate().all(|(i, &v)| v == i as u32));
    }

    #[test]
    fn join_here_returns_both() {
        let (a, b) = join_here(|| 1 + 1, || "b".repeat(3));
        assert_eq!((a, b.as_str()), (2, "bbb"));
    }
}
