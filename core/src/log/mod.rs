//! The node's log: every tenant's entries in shared, segmented, append-only files, with group
//! commit, per-tenant hash chains and Merkle trees, and signed checkpoints.
//!
//! Write path: a caller hashes its entries' payloads outside any lock, then, under the log
//! lock, assigns positions and timestamps, extends the tenant's chain and tree, encodes frames
//! into the pending buffer and takes a ticket. Whoever finds no flush running becomes the
//! leader: it writes every pending frame of every tenant, fsyncs once, writes the derived tree
//! and index bytes, and marks all tickets up to its own durable. Writers wait for their ticket.
//!
//! Invariants:
//! - only durable entries are visible (`durable_size`) and only durable sizes are signed;
//! - an atomic batch is one contiguous run of frames inside one segment; recovery drops an
//!   incomplete trailing batch as a whole;
//! - a new segment is created only after the previous one is synced, so a torn tail can only
//!   be in the last segment;
//! - after a failed write or fsync the log stops accepting writes (what reached the disk is
//!   unknown) until it is reopened and recovered.

mod cursor;
mod encode;
mod flusher;
mod frame;
mod prepare;
mod read;
mod recovery;
mod state;
mod tenant;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

pub use read::StoredEntry;

use crate::checkpoint::{Checkpoint, NodeKey};
use crate::entry::{self, Field, FieldParts, Hash, InvalidInput, Kind, TenantName};
use crate::env::{Clock, SaltSource};
use crate::error::{CheckpointError, WriteError};
use crate::limits;
use crate::merkle;
use crate::storage::{Storage, StorageFile};
use encode::{BatchContext, EncodedBatch};
use frame::SEGMENT_HEADER_BYTES;
use state::RecoveryState;
use tenant::{DerivedWrites, SealedTail, TenantFiles, TenantLog};

/// An entry to append: its kind, who caused it, and its payload fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// What it records.
    pub kind: Kind,
    /// Who caused it (`docs/spec/entry.md` §1).
    pub actor: String,
    /// The payload.
    pub fields: Vec<Field>,
}

/// Something the log can append: validated and hashed in parallel before it is positioned.
pub(crate) trait AppendItem: Sync {
    type Field: FieldParts;
    fn kind(&self) -> Kind;
    fn actor(&self) -> &str;
    fn fields(&self) -> &[Self::Field];
    /// Checks beyond the generic ones (for example that an event is JSON).
    fn validate(&self) -> Result<(), InvalidInput> {
        Ok(())
    }
}

impl AppendItem for NewEntry {
    type Field = Field;
    fn kind(&self) -> Kind {
        self.kind
    }
    fn actor(&self) -> &str {
        &self.actor
    }
    fn fields(&self) -> &[Field] {
        &self.fields
    }
}

pub(crate) struct LogConfig {
    pub(crate) segment_bytes_max: u64,
    pub(crate) preallocate_segments: bool,
    pub(crate) state_interval_bytes: u64,
    pub(crate) node_name: String,
    pub(crate) key: NodeKey,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) salts: Arc<dyn SaltSource>,
}

pub(crate) struct Log {
    storage: Arc<dyn Storage>,
    batch_bytes_max: usize,
    node_name: String,
    key: NodeKey,
    clock: Arc<dyn Clock>,
    salts: Arc<dyn SaltSource>,
    shared: Mutex<Shared>,
    committed: Condvar,
    segments: Mutex<BTreeMap<u64, Arc<dyn StorageFile>>>,
    state_writer: Mutex<()>,
    /// Batch buffers returned by flushes, reused so large batches do not fault fresh pages.
    buffers: Mutex<Vec<Vec<u8>>>,
    /// Zero-fills the next segment ahead of time, if enabled.
    preparer: Option<prepare::Preparer>,
    /// Flushes submitted batches; started by the first `submit`.
    flusher: Mutex<Option<flusher::Flusher>>,
}

/// A batch queued for a flush: the ticket that becomes durable with it, and its positions.
pub(crate) struct Queued {
    ticket: u64,
    positions: Range<u64>,
}

/// Buffers kept for reuse, and the smallest worth keeping.
const BUFFERS_KEPT_MAX: usize = 8;
const BUFFER_KEPT_BYTES_MIN: usize = 64 * 1024;
/// Derived bytes of a flush from which they are written on another core during the fsync.
const PARALLEL_DERIVED_BYTES_MIN: usize = 16 * 1024;

struct Shared {
    segment_bytes_max: u64,
    state_interval_bytes: u64,
    /// Tenant `id` is at index `id - 1`.
    tenants: Vec<TenantLog>,
    by_name: HashMap<String, u32>,
    chunks: Vec<Chunk>,
    segment: u64,
    segment_end: u64,
    next_ticket: u64,
    durable_ticket: u64,
    flushing: bool,
    stopped: Option<String>,
    bytes_since_state: u64,
    touched: BTreeSet<u32>,
}

/// Frames to write at `offset` of `segment`.
struct Chunk {
    segment: u64,
    offset: u64,
    bytes: Vec<u8>,
    /// For the first chunk of a new segment: where the previous segment ends.
    creates_segment: Option<u64>,
}

/// Everything one flush writes and what becomes durable when it succeeds.
struct Flush {
    chunks: Vec<Chunk>,
    derived: DerivedWrites,
    sizes: Vec<(u32, u64, u64)>,
    target: u64,
    state: Option<(RecoveryState, Vec<TenantFiles>)>,
}

pub(crate) fn segment_path(id: u64) -> String {
    format!("segments/{id:020}.seg")
}

impl Shared {
    fn tenant(&mut self, id: u32) -> &mut TenantLog {
        &mut self.tenants[id as usize - 1]
    }

    /// Makes room for `bytes` of frames that must stay in one segment; returns where they go.
    fn reserve(&mut self, bytes: usize) -> (u64, u64) {
        if self.segment_end + bytes as u64 > self.segment_bytes_max
            && self.segment_end > SEGMENT_HEADER_BYTES
        {
            self.segment += 1;
            self.chunks.push(Chunk {
                segment: self.segment,
                offset: 0,
                bytes: frame::segment_header(self.segment).to_vec(),
                creates_segment: Some(self.segment_end),
            });
            self.segment_end = SEGMENT_HEADER_BYTES;
        }
        (self.segment, self.segment_end)
    }

    /// Appends small encoded frames (reserved before) to the pending chunk.
    fn push_frames(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> usize) -> u64 {
        let contiguous = self.chunks.last().is_some_and(|c| {
            c.segment == self.segment && c.offset + c.bytes.len() as u64 == self.segment_end
        });
        if !contiguous {
            self.chunks.push(Chunk {
                segment: self.segment,
                offset: self.segment_end,
                bytes: Vec::new(),
                creates_segment: None,
            });
        }
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        let written = encode(&mut chunk.bytes) as u64;
        self.segment_end += written;
        self.next_ticket += 1;
        self.next_ticket - 1
    }

    /// Appends a buffer of encoded frames (reserved before) without copying it.
    fn push_owned(&mut self, bytes: Vec<u8>) -> u64 {
        let len = bytes.len() as u64;
        self.chunks.push(Chunk {
            segment: self.segment,
            offset: self.segment_end,
            bytes,
            creates_segment: None,
        });
        self.segment_end += len;
        self.next_ticket += 1;
        self.next_ticket - 1
    }

    fn take_flush(&mut self) -> Flush {
        let chunks = std::mem::take(&mut self.chunks);
        let mut derived = DerivedWrites::default();
        let mut sizes = Vec::new();
        for id in std::mem::take(&mut self.touched) {
            let t = self.tenant(id);
            t.take_derived(&mut derived);
            sizes.push((id, t.size, t.checkpoint_count));
        }
        self.bytes_since_state += chunks.iter().map(|c| c.bytes.len() as u64).sum::<u64>();
        let state = (self.bytes_since_state >= self.state_interval_bytes).then(|| {
            self.bytes_since_state = 0;
            self.recovery_state()
        });
        Flush {
            chunks,
            derived,
            sizes,
            target: self.next_ticket - 1,
            state,
        }
    }

    fn recovery_state(&self) -> (RecoveryState, Vec<TenantFiles>) {
        let state = RecoveryState {
            segment: self.segment,
            offset: self.segment_end,
            tenants: self.tenants.iter().map(TenantLog::snapshot).collect(),
        };
        (
            state,
            self.tenants.iter().map(|t| t.files.clone()).collect(),
        )
    }
}

impl Log {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Panics under this lock would be bugs in this module; the writer state is only
        // changed by code that cannot panic halfway, so continuing is sound.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn node_name(&self) -> &str {
        &self.node_name
    }

    pub(crate) fn key(&self) -> &NodeKey {
        &self.key
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The id of a tenant, creating it durably if it does not exist.
    pub(crate) fn tenant_id(&self, name: &TenantName) -> Result<u32, WriteError> {
        let mut g = self.lock();
        if let Some(&id) = g.by_name.get(name.as_str()) {
            return Ok(id);
        }
        if let Some(reason) = &g.stopped {
            return Err(WriteError::Stopped(reason.clone()));
        }
        if g.tenants.len() >= limits::TENANTS_PER_NODE_MAX {
            return Err(WriteError::TooManyTenants(limits::TENANTS_PER_NODE_MAX));
        }
        let id = u32::try_from(g.tenants.len() + 1).expect("tenants are bounded by 4096");
        let files = self
            .create_tenant_files(id)
            .map_err(|e| self.stop(&mut g, e))?;
        let origin = format!("{}/{}", self.node_name, name);
        g.tenants.push(TenantLog::new(tenant::TenantInit {
            id,
            name: name.clone(),
            origin,
            files,
            size: 0,
            chain: entry::CHAIN_GENESIS,
            last_timestamp_us: 0,
            range: merkle::CompactRange::new(),
            checkpoint_count: 0,
        }));
        g.by_name.insert(name.as_str().to_owned(), id);
        g.reserve(64 + name.as_str().len());
        let ticket = g.push_frames(|out| frame::encode_tenant(out, id, name.as_str()));
        drop(g);
        self.wait_durable(ticket)?;
        Ok(id)
    }

    fn create_tenant_files(&self, id: u32) -> io::Result<TenantFiles> {
        let files = TenantFiles::open(self.storage.as_ref(), id)?;
        // Leftovers of a creation that never became durable.
        files.truncate_to(0, 0)?;
        self.storage.sync_dir("tenants")?;
        self.storage.sync_dir("")?;
        Ok(files)
    }

    /// The names and ids of all tenants.
    pub(crate) fn tenants(&self) -> Vec<(u32, TenantName)> {
        self.lock()
            .tenants
            .iter()
            .map(|t| (t.id, t.name.clone()))
            .collect()
    }

    pub(crate) fn tenant_by_name(&self, name: &str) -> Option<u32> {
        self.lock().by_name.get(name).copied()
    }

    /// Appends entries as one atomic batch; returns their positions once durable.
    pub(crate) fn append<T: AppendItem>(
        &self,
        id: u32,
        items: &[T],
    ) -> Result<Range<u64>, WriteError> {
        let queued = self.enqueue(id, items)?;
        self.wait(queued)
    }

    /// Queues entries as one atomic batch and has the flusher thread write and sync it, so
    /// the caller can encode its next batch meanwhile; [`Log::wait`] returns once it is
    /// durable. A queued batch is flushed whether or not anyone waits for it.
    pub(crate) fn submit<T: AppendItem>(
        self: &Arc<Self>,
        id: u32,
        items: &[T],
    ) -> Result<Queued, WriteError> {
        if items.is_empty() {
            // Positioned after the batches this writer submitted before it, durable or not.
            let size = self.lock().tenant(id).size;
            return Ok(Queued {
                ticket: NO_TICKET,
                positions: size..size,
            });
        }
        // The lock is held only to start the thread, so submitters of different tenants
        // encode in parallel. A batch queued while the database closes is flushed by the
        // stopping thread (it flushes whatever is queued) or by its waiter.
        let kick = {
            let mut flusher = self.flusher.lock().unwrap_or_else(PoisonError::into_inner);
            match flusher.as_ref() {
                Some(running) => running.kicker(),
                None => {
                    let started =
                        flusher::Flusher::start(Arc::downgrade(self)).map_err(WriteError::Io)?;
                    flusher.insert(started).kicker()
                }
            }
        };
        let queued = self.enqueue(id, items)?;
        kick.kick();
        Ok(queued)
    }

    /// Waits until a queued batch is durable; returns its positions.
    pub(crate) fn wait(&self, queued: Queued) -> Result<Range<u64>, WriteError> {
        self.wait_durable(queued.ticket)?;
        Ok(queued.positions)
    }

    /// Validates, encodes and seals `items` and queues them for the next flush.
    fn enqueue<T: AppendItem>(&self, id: u32, items: &[T]) -> Result<Queued, WriteError> {
        if items.len() > limits::BATCH_ENTRIES_MAX {
            return Err(WriteError::TooLarge(format!(
                "{} entries (at most {})",
                items.len(),
                limits::BATCH_ENTRIES_MAX
            )));
        }
        if items.is_empty() {
            // Nothing to write: an empty batch is trivially durable at the current end.
            let size = self.lock().tenant(id).durable_size;
            return Ok(Queued {
                ticket: NO_TICKET,
                positions: size..size,
            });
        }
        let mut salts = vec![[0u8; 32]; items.len()];
        self.salts.fill(&mut salts);
        let queued = |end: &TenantEnd, ticket| Queued {
            ticket,
            positions: end.size..end.size + items.len() as u64,
        };
        for _ in 0..OPTIMISTIC_ENCODE_ATTEMPTS {
            let end = self.tenant_end(id)?;
            let (mut batch, sealed) = self.encode_and_seal(id, &end, items, &salts)?;
            let mut g = self.lock();
            if let Some(ticket) = self.try_enqueue(&mut g, id, &mut batch, &sealed)? {
                return Ok(queued(&end, ticket));
            }
        }
        // Other writers of this tenant kept moving its end: encode under the lock.
        let mut g = self.lock();
        let end = tenant_end(&mut g, id, self.clock.now_us())?;
        let (mut batch, sealed) = self.encode_and_seal(id, &end, items, &salts)?;
        let ticket = self
            .try_enqueue(&mut g, id, &mut batch, &sealed)?
            .expect("the lock was held while encoding");
        Ok(queued(&end, ticket))
    }

    fn encode_and_seal<T: AppendItem>(
        &self,
        id: u32,
        end: &TenantEnd,
        items: &[T],
        salts: &[Hash],
    ) -> Result<(EncodedBatch, SealedTail), WriteError> {
        let ctx = BatchContext {
            tenant_id: id,
            tenant: &end.name,
            start: end.size,
            timestamp_us: end.timestamp_us,
        };
        let buffer = self.lock_buffers().pop().unwrap_or_default();
        let mut batch = encode::encode_batch(&ctx, items, salts, self.batch_bytes_max, buffer)?;
        if end.size + items.len() as u64 > limits::TREE_SIZE_MAX {
            return Err(WriteError::LogFull(end.name.to_string()));
        }
        let sealed = batch.seal(end.chain, &end.range);
        Ok((batch, sealed))
    }

    /// A snapshot of where tenant `id` ends, to encode the next batch against.
    fn tenant_end(&self, id: u32) -> Result<TenantEnd, WriteError> {
        let now_us = self.clock.now_us();
        tenant_end(&mut self.lock(), id, now_us)
    }

    /// Enqueues a sealed batch if the tenant still ends where it was sealed against; returns
    /// the ticket to wait for, or `None` if another writer got there first.
    fn try_enqueue(
        &self,
        g: &mut Shared,
        id: u32,
        batch: &mut EncodedBatch,
        sealed: &SealedTail,
    ) -> Result<Option<u64>, WriteError> {
        if let Some(reason) = &g.stopped {
            return Err(WriteError::Stopped(reason.clone()));
        }
        let t = g.tenant(id);
        if t.size != batch.start || t.last_timestamp_us > batch.timestamp_us {
            return Ok(None);
        }
        let (segment, offset) = g.reserve(batch.bytes.len());
        let offsets = batch.entries.iter().map(|e| offset + e.offset as u64);
        g.tenant(id)
            .push_sealed(sealed, batch.timestamp_us, segment, offsets);
        g.touched.insert(id);
        Ok(Some(g.push_owned(std::mem::take(&mut batch.bytes))))
    }

    /// Waits until `ticket` is durable, leading a flush when none is running.
    fn wait_durable(&self, ticket: u64) -> Result<(), WriteError> {
        let mut g = self.lock();
        loop {
            if g.durable_ticket >= ticket {
                return Ok(());
            }
            if let Some(reason) = &g.stopped {
                return Err(WriteError::Stopped(reason.clone()));
            }
            if g.flushing {
                g = self.wait_for_flush(g);
                continue;
            }
            g = match self.lead_flush(g) {
                Ok(g) => g,
                // The flush synced the batch and then failed to save the recovery state:
                // the batch is durable (later writes are refused).
                Err(_) if self.lock().durable_ticket >= ticket => return Ok(()),
                Err(e) => return Err(e),
            };
        }
    }

    /// Flushes until nothing is queued (the flusher thread's work). A failure stops the log,
    /// and every waiter sees it.
    fn flush_queued(&self) {
        let mut g = self.lock();
        while !g.chunks.is_empty() && g.stopped.is_none() {
            g = match g.flushing {
                true => self.wait_for_flush(g),
                false => match self.lead_flush(g) {
                    Ok(g) => g,
                    Err(_) => return,
                },
            };
        }
    }

    fn wait_for_flush<'a>(&'a self, g: MutexGuard<'a, Shared>) -> MutexGuard<'a, Shared> {
        self.committed
            .wait(g)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes and syncs everything queued, then marks it durable and wakes the waiters.
    fn lead_flush<'a>(
        &'a self,
        mut g: MutexGuard<'a, Shared>,
    ) -> Result<MutexGuard<'a, Shared>, WriteError> {
        let flush = g.take_flush();
        g.flushing = true;
        drop(g);
        let result = self.write_flush(&flush);
        g = self.lock();
        g.flushing = false;
        match result {
            Ok(()) => mark_durable(&mut g, &flush),
            Err(e) => {
                self.committed.notify_all();
                return Err(self.stop(&mut g, e));
            }
        }
        self.committed.notify_all();
        self.recycle(flush.chunks);
        if let Some((state, files)) = flush.state {
            drop(g);
            if let Err(e) = self.write_state(&state, &files) {
                g = self.lock();
                return Err(self.stop(&mut g, e));
            }
            g = self.lock();
        }
        Ok(g)
    }

    fn stop(&self, g: &mut Shared, error: io::Error) -> WriteError {
        if g.stopped.is_none() {
            g.stopped = Some(error.to_string());
        }
        WriteError::Io(error)
    }

    fn write_flush(&self, flush: &Flush) -> io::Result<()> {
        let mut unsynced: Option<Arc<dyn StorageFile>> = None;
        // Chunks that continue one another in one segment are written with one call: with
        // direct I/O each call is a trip to the disk, and a flush can carry a batch from each
        // of many writers.
        let mut run: Vec<&[u8]> = Vec::new();
        let mut chunks = flush.chunks.iter().peekable();
        while let Some(chunk) = chunks.next() {
            if let Some(previous_end) = chunk.creates_segment {
                let file = self.roll_over(chunk.segment, previous_end)?;
                file.append_at(&[&chunk.bytes], chunk.offset)?;
                file.sync()?;
                self.storage.sync_dir("segments")?;
                self.segments_lock()
                    .insert(chunk.segment, Arc::clone(&file));
                if let Some(preparer) = &self.preparer {
                    preparer.start(chunk.segment + 1);
                }
                continue;
            }
            run.push(&chunk.bytes);
            let end = chunk.offset + chunk.bytes.len() as u64;
            let continued = chunks.peek().is_some_and(|next| {
                next.creates_segment.is_none()
                    && next.segment == chunk.segment
                    && next.offset == end
            });
            if continued {
                continue;
            }
            let start = end - run.iter().map(|bytes| bytes.len() as u64).sum::<u64>();
            let file = self.segment_file(chunk.segment)?;
            file.append_at(&run, start)?;
            run.clear();
            unsynced = Some(file);
        }
        // The derived tree and index bytes need no fsync: when there are many, write them on
        // another core while the segment's fsync is in flight. A few are written first: handing
        // them to another thread would cost more than writing them.
        let sync = || unsynced.map_or(Ok(()), |file| file.sync());
        if flush.derived.len() >= PARALLEL_DERIVED_BYTES_MIN {
            let (synced, derived) = crate::par::join_here(sync, || flush.derived.apply());
            synced.and(derived)
        } else {
            flush.derived.apply().and_then(|()| sync())
        }
    }

    /// Closes the current segment at `previous_end` and opens segment `id`: the prepared one
    /// if it is ready, else a new file. The previous segment is cut to its end and synced
    /// first, so only the last segment can ever have a torn tail or unused space.
    fn roll_over(&self, id: u64, previous_end: u64) -> io::Result<Arc<dyn StorageFile>> {
        let previous = self.segment_file(id - 1)?;
        if previous.size_bytes()? > previous_end {
            previous.set_len(previous_end)?;
        }
        previous.sync()?;
        let path = segment_path(id);
        if let Some(preparer) = &self.preparer
            && let Some(file) = preparer.take(id, &path)?
        {
            return Ok(file);
        }
        self.storage.open(&path)
    }

    /// Stops background work: called when the database closes.
    pub(crate) fn shut_down(&self) {
        let flusher = self
            .flusher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(flusher) = flusher {
            flusher.stop();
        }
        if let Some(preparer) = &self.preparer {
            preparer.stop();
        }
    }

    fn lock_buffers(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        self.buffers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn recycle(&self, chunks: Vec<Chunk>) {
        let mut buffers = self.lock_buffers();
        for chunk in chunks {
            if buffers.len() < BUFFERS_KEPT_MAX && chunk.bytes.capacity() >= BUFFER_KEPT_BYTES_MIN {
                buffers.push(chunk.bytes);
            }
        }
    }

    fn segments_lock(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<dyn StorageFile>>> {
        self.segments.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn segment_file(&self, id: u64) -> io::Result<Arc<dyn StorageFile>> {
        let mut segments = self.segments_lock();
        if let Some(file) = segments.get(&id) {
            return Ok(Arc::clone(file));
        }
        let file = self.storage.open(&segment_path(id))?;
        segments.insert(id, Arc::clone(&file));
        Ok(file)
    }

    /// Writes the recovery state: derived files synced first, then the state replaced.
    fn write_state(&self, state: &RecoveryState, files: &[TenantFiles]) -> io::Result<()> {
        let _one_at_a_time = self
            .state_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for f in files {
            f.sync()?;
        }
        let bytes = state.encode();
        let tmp = self.storage.open("state.tmp")?;
        tmp.set_len(0)?;
        tmp.write_all_at(&bytes, 0)?;
        tmp.sync()?;
        self.storage.rename("state.tmp", "state")?;
        self.storage.sync_dir("")
    }

    /// Writes a recovery state for the current durable log (at close).
    pub(crate) fn save_state(&self) -> io::Result<()> {
        let mut g = self.lock();
        while g.flushing {
            g = self
                .committed
                .wait(g)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if g.stopped.is_some() || !g.chunks.is_empty() {
            return Ok(());
        }
        let (state, files) = g.recovery_state();
        drop(g);
        // Unused prepared space after the end would only make the next open scan zeros.
        let current = self.segment_file(state.segment)?;
        if current.size_bytes()? > state.offset {
            current.set_len(state.offset)?;
            current.sync()?;
        }
        self.write_state(&state, &files)
    }

    /// The tenant's durable size, without copying anything else.
    pub(crate) fn durable_size(&self, id: u32) -> u64 {
        self.lock().tenant(id).durable_size
    }

    /// A reader's view of a tenant: its files and durable size.
    pub(crate) fn view(&self, id: u32) -> TenantView {
        let mut g = self.lock();
        let t = g.tenant(id);
        TenantView {
            files: t.files.clone(),
            size: t.durable_size,
            checkpoints: t.durable_checkpoint_count,
            latest: t.latest_durable.clone(),
            name: t.name.clone(),
        }
    }

    /// Signs a checkpoint of the tenant's durable log (or returns the one already signed for
    /// that size), stores it durably and returns it.
    pub(crate) fn checkpoint(&self, id: u32) -> Result<Checkpoint, CheckpointError> {
        let mut g = self.lock();
        if let Some(reason) = &g.stopped {
            return Err(WriteError::Stopped(reason.clone()).into());
        }
        let t = g.tenant(id);
        let size = t.durable_size;
        if let Some((cp, ticket)) = &t.last_signed
            && cp.size == size
        {
            let (cp, ticket) = (cp.clone(), *ticket);
            drop(g);
            self.wait_durable(ticket)?;
            return Ok(cp);
        }
        let root = merkle::root_at(&t.files, size)?;
        if let Some((last, _)) = &t.last_signed {
            check_consistent(&t.files, last, size)?;
        }
        let cp = Checkpoint::sign(&t.origin, size, root, &[&self.key]);
        let note_bytes = cp.note.len() + 64;
        let (segment, offset) = g.reserve(note_bytes);
        let ticket = g.push_frames(|out| frame::encode_checkpoint(out, id, size, &root, &cp.note));
        let t = g.tenant(id);
        t.push_checkpoint(size, &root, tenant::location(segment, offset));
        t.last_signed = Some((cp.clone(), ticket));
        g.touched.insert(id);
        drop(g);
        self.wait_durable(ticket)?;
        Ok(cp)
    }

    /// Tenants whose durable log grew by at least `entries` since their last checkpoint, or
    /// grew at all and whose last checkpoint is older than `age_us`.
    pub(crate) fn tenants_due(
        &self,
        entries: u64,
        age_us: u64,
        now_us: u64,
        last_us: &HashMap<u32, u64>,
    ) -> Vec<u32> {
        let g = self.lock();
        g.tenants
            .iter()
            .filter(|t| {
                let signed = t.last_signed.as_ref().map_or(0, |(cp, _)| cp.size);
                let grown = t.durable_size.saturating_sub(signed);
                let last = last_us.get(&t.id).copied().unwrap_or(0);
                grown > 0 && (grown >= entries || now_us.saturating_sub(last) >= age_us)
            })
            .map(|t| t.id)
            .collect()
    }

    /// Whether writes stopped after a failure.
    pub(crate) fn stopped(&self) -> Option<String> {
        self.lock().stopped.clone()
    }
}

/// The consistency guard: before signing `size`, the tree must still hold the root signed
/// for the last checkpoint, and sizes never shrink.
fn check_consistent(
    files: &TenantFiles,
    last: &Checkpoint,
    size: u64,
) -> Result<(), CheckpointError> {
    if size < last.size {
        return Err(CheckpointError::Inconsistent(format!(
            "size {size} is below the last signed size {}",
            last.size
        )));
    }
    let old_root = merkle::root_at(files, last.size)?;
    if old_root != last.root {
        return Err(CheckpointError::Inconsistent(format!(
            "the tree no longer has the root signed at size {}",
            last.size
        )));
    }
    Ok(())
}

fn mark_durable(g: &mut Shared, flush: &Flush) {
    g.durable_ticket = flush.target;
    for &(id, size, checkpoints) in &flush.sizes {
        let t = g.tenant(id);
        assert!(
            size >= t.durable_size,
            "durable size went back for tenant {id}"
        );
        t.durable_size = size;
        t.durable_checkpoint_count = checkpoints;
        if let Some((cp, ticket)) = &t.last_signed
            && *ticket <= flush.target
        {
            t.latest_durable = Some(cp.clone());
        }
    }
}

/// The ticket of an empty batch: durable from the start.
const NO_TICKET: u64 = 0;

/// How often a writer encodes outside the lock before encoding under it.
const OPTIMISTIC_ENCODE_ATTEMPTS: usize = 3;

/// Where a tenant's log ends: what a batch is encoded and sealed against.
struct TenantEnd {
    name: TenantName,
    size: u64,
    timestamp_us: u64,
    chain: Hash,
    range: merkle::CompactRange,
}

fn tenant_end(g: &mut Shared, id: u32, now_us: u64) -> Result<TenantEnd, WriteError> {
    if let Some(reason) = &g.stopped {
        return Err(WriteError::Stopped(reason.clone()));
    }
    let t = g.tenant(id);
    Ok(TenantEnd {
        name: t.name.clone(),
        size: t.size,
        timestamp_us: now_us.max(t.last_timestamp_us),
        chain: t.chain,
        range: t.range.clone(),
    })
}

/// What readers need of a tenant, copied out of the lock.
#[derive(Debug, Clone)]
pub(crate) struct TenantView {
    pub(crate) files: TenantFiles,
    pub(crate) size: u64,
    pub(crate) checkpoints: u64,
    pub(crate) latest: Option<Checkpoint>,
    pub(crate) name: TenantName,
}
