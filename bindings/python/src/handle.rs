//! Closing: `Database.close()` must release every core handle made from it, so that the
//! database's files are unlocked (or its connections closed) at once, even while Python still
//! holds `Tenant` or `Statement` objects.
//!
//! Core handles are cheap clones that keep the database open while any exists (STYLE §3), so
//! each Python object keeps its handle in a [`Slot`] that its [`Session`] can empty. A call
//! clones the handle out of the slot (an `Arc` increment) and runs without holding any lock:
//! a call in flight when `close()` runs finishes normally, and every later call raises
//! `veritydb.ClosedError`. This is the only shared state the binding adds to core's handles.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::errors::{BindingError, Family};

/// Something a session empties when it closes.
pub(crate) trait Release: Send + Sync {
    fn release(&self);
}

/// A core handle that can be taken away.
pub(crate) struct Slot<T> {
    value: Mutex<Option<T>>,
    /// The message of the `ClosedError` raised once the slot is empty.
    closed_message: &'static str,
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, Option<T>> {
        // A panic while holding this lock cannot leave the Option half-written.
        self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the handle out, leaving the slot closed.
    pub(crate) fn take(&self) -> Result<T, BindingError> {
        self.lock()
            .take()
            .ok_or_else(|| BindingError::new(Family::Closed, self.closed_message))
    }

    /// Runs `f` on the handle in place (for handles that are not clones, such as a batch).
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<R, BindingError> {
        match self.lock().as_mut() {
            Some(value) => Ok(f(value)),
            None => Err(BindingError::new(Family::Closed, self.closed_message)),
        }
    }

    /// Whether the slot was emptied.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().is_none()
    }
}

impl<T: Clone> Slot<T> {
    /// A clone of the handle, or `ClosedError`.
    pub(crate) fn get(&self) -> Result<T, BindingError> {
        self.lock()
            .clone()
            .ok_or_else(|| BindingError::new(Family::Closed, self.closed_message))
    }
}

impl<T: Send> Release for Slot<T> {
    fn release(&self) {
        drop(self.lock().take());
    }
}

/// Everything made from one `Database`.
#[derive(Default)]
pub(crate) struct Session {
    closed: AtomicBool,
    children: Mutex<Children>,
}

#[derive(Default)]
struct Children {
    slots: Vec<Weak<dyn Release>>,
    /// Prune dead entries when the list reaches this length, so it stays proportional to the
    /// objects alive.
    prune_at: usize,
}

/// The message of every call on a closed database or an object made from it.
pub(crate) const DATABASE_CLOSED: &str = "the database is closed";

/// The smallest pruning threshold.
const PRUNE_AT_MIN: usize = 64;

impl Session {
    /// A slot holding `value`, emptied when the session closes; `ClosedError` if it has.
    pub(crate) fn adopt<T: Send + 'static>(
        &self,
        value: T,
        closed_message: &'static str,
    ) -> Result<Arc<Slot<T>>, BindingError> {
        let slot = Arc::new(Slot {
            value: Mutex::new(Some(value)),
            closed_message,
        });
        let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock that `close` takes, so no slot escapes a close.
        if self.closed.load(Ordering::Acquire) {
            return Err(BindingError::new(Family::Closed, DATABASE_CLOSED));
        }
        if children.slots.len() >= children.prune_at.max(PRUNE_AT_MIN) {
            children.slots.retain(|weak| weak.strong_count() > 0);
            children.prune_at = children.slots.len() * 2;
        }
        let weak: Weak<dyn Release> = Arc::downgrade(&slot) as Weak<dyn Release>;
        children.slots.push(weak);
        Ok(slot)
    }

    /// Empties every slot made from this session; later calls raise `ClosedError`.
    pub(crate) fn close(&self) {
        let slots = {
            let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
            self.closed.store(true, Ordering::Release);
            std::mem::take(&mut children.slots)
        };
        for slot in slots.iter().filter_map(Weak::upgrade) {
            slot.release();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
