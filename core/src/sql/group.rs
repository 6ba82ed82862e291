//! Group commit of SQL writes to one tenant: writers queue their requests; the first writer to
//! find no leader becomes the leader and commits everything queued as one atomic log batch
//! (one fsync), each request planned in queue order on top of the ones before it, then hands
//! every writer its own result. Without it, SQL writes to one tenant would pay one fsync each.
//!
//! Invariants: every queued request gets exactly one outcome; a leader keeps leading until the
//! queue is empty, so no request waits without a leader; at most `SQL_GROUP_WRITES_MAX`
//! requests share one batch.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::Failure;
use super::parse::Parsed;
use super::projection::{Expectation, Written};
use super::value::Value;
use crate::limits;

/// One write: statements with their parameters, and row-version preconditions.
#[derive(Debug)]
pub(crate) struct Request {
    /// The actor recorded on the entries the request appends.
    pub(crate) actor: Arc<str>,
    pub(crate) statements: Vec<(Arc<Parsed>, Vec<Value>)>,
    pub(crate) expectations: Vec<Expectation>,
}

/// A queued request and, once committed or refused, its outcome.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) request: Request,
    outcome: Mutex<Option<Result<Written, Failure>>>,
}

impl Slot {
    /// Records the outcome (the first one wins).
    pub(crate) fn finish(&self, outcome: Result<Written, Failure>) {
        let mut slot = relock(&self.outcome);
        if slot.is_none() {
            *slot = Some(outcome);
        }
    }

    /// Whether an outcome was recorded.
    pub(crate) fn is_finished(&self) -> bool {
        relock(&self.outcome).is_some()
    }

    fn take(&self) -> Option<Result<Written, Failure>> {
        relock(&self.outcome).take()
    }
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each guarded value is replaced in one assignment; a panic cannot leave it half-written.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Waiting {
    queue: VecDeque<Arc<Slot>>,
    leading: bool,
}

/// The queue of writes to one tenant's projection.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    waiting: Mutex<Waiting>,
    done: Condvar,
}

impl Queue {
    /// Queues `request` and returns its outcome; `lead` commits a group of requests and must
    /// finish every slot it is given.
    pub(crate) fn submit(
        &self,
        request: Request,
        mut lead: impl FnMut(&[Arc<Slot>]),
    ) -> Result<Written, Failure> {
        let slot = Arc::new(Slot {
            request,
            outcome: Mutex::new(None),
        });
        let mut waiting = relock(&self.waiting);
        waiting.queue.push_back(Arc::clone(&slot));
        loop {
            if let Some(outcome) = slot.take() {
                return outcome;
            }
            if waiting.leading {
                waiting = self
                    .done
                    .wait(waiting)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            waiting.leading = true;
            loop {
                let take = waiting.queue.len().min(limits::SQL_GROUP_WRITES_MAX);
                if take == 0 {
                    break;
                }
                let group: Vec<Arc<Slot>> = waiting.queue.drain(..take).collect();
                drop(waiting);
                let guard = Leading {
                    queue: self,
                    group: &group,
                };
                lead(&group);
                drop(guard);
                waiting = relock(&self.waiting);
            }
            waiting.leading = false;
        }
    }
}

/// Ends a leader's turn on a group, also when `lead` unwinds: every slot of the group gets an
/// outcome and the waiting writers are woken (one of them leads next if the leader is gone).
struct Leading<'a> {
    queue: &'a Queue,
    group: &'a [Arc<Slot>],
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        for slot in self.group {
            slot.finish(Err(Failure::Invalid(
                "the write was not committed (internal error)".into(),
            )));
        }
        if std::thread::panicking() {
            relock(&self.queue.waiting).leading = false;
        }
        self.queue.done.notify_all();
    }
}
