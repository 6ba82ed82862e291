//! Preparing the next segment in the background.
//!
//! Appending to a file makes every fsync commit metadata (its size, newly allocated blocks);
//! overwriting bytes that already exist and were synced does not, and costs about half as much
//! here (`docs/internals/storage.md`). So while the current segment fills, a background thread
//! writes the next one full of zeros under a temporary name and syncs it. At rollover the
//! committer renames it into place and overwrites it from the start.
//!
//! No writer can touch a segment before rollover, so the zeroing never races a write. If the
//! next segment is not ready at rollover, the committer creates it the ordinary way (nothing
//! waits for the zeroing). Prepared files that were never used are removed on open.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::storage::{Storage, StorageFile};

/// Zeros written per call while preparing.
const ZERO_CHUNK_BYTES: usize = 1 << 20;
/// No segment is being prepared.
const NONE: u64 = 0;

pub(crate) fn prepared_path(id: u64) -> String {
    format!("segments/{id:020}.seg.prep")
}

/// A prepared segment: its id and its file, zero-filled and synced.
type Ready = Option<(u64, Arc<dyn StorageFile>)>;

/// Prepares at most one future segment at a time.
pub(crate) struct Preparer {
    storage: Arc<dyn Storage>,
    segment_bytes: u64,
    /// The segment the current job prepares; a job stops when this changes.
    wanted: Arc<AtomicU64>,
    ready: Arc<Mutex<Ready>>,
    job: Mutex<Option<JoinHandle<()>>>,
}

impl Preparer {
    pub(crate) fn new(storage: Arc<dyn Storage>, segment_bytes: u64) -> Preparer {
        Preparer {
            storage,
            segment_bytes,
            wanted: Arc::new(AtomicU64::new(NONE)),
            ready: Arc::new(Mutex::new(None)),
            job: Mutex::new(None),
        }
    }

    /// Starts preparing segment `id` in the background (replacing any other job).
    pub(crate) fn start(&self, id: u64) {
        self.wanted.store(id, Ordering::SeqCst);
        let previous = self.job_lock().take();
        if let Some(previous) = previous {
            // It sees `wanted` change and stops within one chunk.
            let _ = previous.join();
        }
        let (storage, wanted, ready, bytes) = (
            Arc::clone(&self.storage),
            Arc::clone(&self.wanted),
            Arc::clone(&self.ready),
            self.segment_bytes,
        );
        let spawned = std::thread::Builder::new()
            .name("veritydb-prepare-segment".into())
            .spawn(move || {
                // A failed preparation only means the segment is created the ordinary way.
                if let Ok(Some(file)) = zero_fill(storage.as_ref(), id, bytes, &wanted) {
                    *ready
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((id, file));
                }
            });
        *self.job_lock() = spawned.ok();
    }

    /// The prepared file of segment `id`, renamed into place, if it is ready now.
    pub(crate) fn take(
        &self,
        id: u64,
        final_path: &str,
    ) -> io::Result<Option<Arc<dyn StorageFile>>> {
        let mut ready = self
            .ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match ready.take() {
            Some((ready_id, file)) if ready_id == id => {
                self.storage.rename(&prepared_path(id), final_path)?;
                Ok(Some(file))
            }
            _ => Ok(None),
        }
    }

    /// Stops the background job, if any.
    pub(crate) fn stop(&self) {
        self.wanted.store(NONE, Ordering::SeqCst);
        if let Some(job) = self.job_lock().take() {
            let _ = job.join();
        }
    }

    fn job_lock(&self) -> MutexGuard<'_, Option<JoinHandle<()>>> {
        self.job
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Writes `bytes` zeros into the prepared file of segment `id` and syncs it; `None` if the job
/// was called off.
fn zero_fill(
    storage: &dyn Storage,
    id: u64,
    bytes: u64,
    wanted: &AtomicU64,
) -> io::Result<Option<Arc<dyn StorageFile>>> {
    let path = prepared_path(id);
    let file = storage.open(&path)?;
    file.set_len(0)?;
    let zeros = vec![0u8; ZERO_CHUNK_BYTES];
    let mut offset = 0u64;
    while offset < bytes {
        if wanted.load(Ordering::SeqCst) != id {
            return Ok(None);
        }
        let n = (bytes - offset).min(ZERO_CHUNK_BYTES as u64) as usize;
        file.write_all_at(&zeros[..n], offset)?;
        offset += n as u64;
    }
    file.sync()?;
    storage.sync_dir("segments")?;
    Ok(Some(file))
}
