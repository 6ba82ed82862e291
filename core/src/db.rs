//! The embedded API: [`Db`] holds a node's tenants; a [`Tenant`] handle appends, reads,
//! proves, checkpoints and exports one tenant's log.
//!
//! Both are cheap to clone, thread-safe, take `&self` and return owned values, so language
//! bindings wrap them one-to-one. The last `Db` clone to drop stops background checkpoints and
//! saves the recovery state so the next open is fast.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::checkpoint::{Checkpoint, NodeKey};
use crate::entry::{Hash, InvalidInput, Kind, TenantName};
use crate::env::{Clock, OsSalts, SaltSource, SystemClock};
use crate::error::{CheckpointError, Corruption, OpenError, ProofError, ReadError, WriteError};
use crate::limits;
use crate::log::{AppendItem, Log, LogConfig, NewEntry, StoredEntry};
use crate::merkle;
use crate::storage::{FileStorage, MemoryStorage, Storage};

/// How a database is opened. `Options::default()` suits most uses.
#[derive(Debug, Clone)]
pub struct Options {
    node_name: Option<String>,
    node_key: Option<NodeKey>,
    clock: Option<Arc<dyn Clock>>,
    salts: Option<Arc<dyn SaltSource>>,
    checkpoint_every_entries: u64,
    checkpoint_interval_ms: u64,
    background_checkpoints: bool,
    segment_bytes_max: u64,
    state_interval_bytes: u64,
    preallocate_segments: bool,
    direct_io: bool,
    /// SQL projections in memory instead of files in the storage (`open_in_memory`).
    projections_in_memory: bool,
    projection_sync_entries: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            node_name: None,
            node_key: None,
            clock: None,
            salts: None,
            checkpoint_every_entries: 10_000,
            checkpoint_interval_ms: 1_000,
            background_checkpoints: true,
            segment_bytes_max: limits::SEGMENT_BYTES_MAX,
            state_interval_bytes: limits::STATE_INTERVAL_BYTES,
            preallocate_segments: false,
            direct_io: true,
            projections_in_memory: false,
            projection_sync_entries: limits::SQL_PROJECTION_SYNC_ENTRIES,
        }
    }
}

impl Options {
    /// The node name, used in every tenant's origin (`docs/spec/checkpoint.md` §2). Fixed when
    /// the database is created; defaults to `veritydb.local/<key fingerprint>`.
    pub fn node_name(mut self, name: impl Into<String>) -> Options {
        self.node_name = Some(name.into());
        self
    }

    /// The signing key for a new database (a fresh random key by default).
    pub fn node_key(mut self, key: NodeKey) -> Options {
        self.node_key = Some(key);
        self
    }

    /// The clock that timestamps entries.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Options {
        self.clock = Some(clock);
        self
    }

    /// The source of record salts (the operating system's CSPRNG by default).
    pub fn salts(mut self, salts: Arc<dyn SaltSource>) -> Options {
        self.salts = Some(salts);
        self
    }

    /// Take a checkpoint once a tenant's log grew by this many entries (default 10,000).
    pub fn checkpoint_every_entries(mut self, entries: u64) -> Options {
        self.checkpoint_every_entries = entries.max(1);
        self
    }

    /// Take a checkpoint of a grown log at least this often (default 1,000 ms).
    pub fn checkpoint_interval_ms(mut self, interval_ms: u64) -> Options {
        self.checkpoint_interval_ms = interval_ms.max(1);
        self
    }

    /// Segment files are closed at this size (default 256 MiB, at least 64 KiB). A batch must
    /// fit in half a segment.
    pub fn segment_bytes_max(mut self, bytes: u64) -> Options {
        self.segment_bytes_max = bytes.clamp(64 * 1024, limits::SEGMENT_BYTES_MAX);
        self
    }

    /// Save the recovery state after this many bytes of log (default 64 MiB): the most an
    /// open after a crash replays. Smaller means faster recovery and more background I/O.
    pub fn state_interval_bytes(mut self, bytes: u64) -> Options {
        self.state_interval_bytes = bytes.max(1);
        self
    }

    /// Whether a background thread writes the next segment full of zeros ahead of time
    /// (default false), so that commits overwrite synced space instead of growing the file:
    /// about half the fsync cost on ext4. The zeroing costs CPU and one segment of disk: it
    /// pays only when CPU is spare (many small commits); with large batches on a busy CPU it
    /// measured no gain (`veritydb bench append --no-preallocate` compares).
    pub fn preallocate_segments(mut self, enabled: bool) -> Options {
        self.preallocate_segments = enabled;
        self
    }

    /// Whether a database opened from a path appends its log with direct I/O where the file
    /// system allows it (default true): log bytes skip the page cache, which keeps the kernel's
    /// cost per entry flat as the log grows. Off, every write is buffered
    /// (`veritydb bench append --buffered-io` compares).
    pub fn direct_io(mut self, enabled: bool) -> Options {
        self.direct_io = enabled;
        self
    }

    /// Make a tenant's SQL projection durable after this many applied entries (default
    /// `SQL_PROJECTION_SYNC_ENTRIES`): the most an open after a crash replays from the log.
    /// Smaller means faster recovery and more fsyncs.
    pub fn projection_sync_entries(mut self, entries: u64) -> Options {
        self.projection_sync_entries = entries.max(1);
        self
    }

    /// Whether a background thread takes checkpoints (default true). Without it,
    /// checkpoints are taken only on demand.
    pub fn background_checkpoints(mut self, enabled: bool) -> Options {
        self.background_checkpoints = enabled;
        self
    }
}

/// A VerityDB node, embedded in this process.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("node_name", &self.node_name())
            .finish()
    }
}

struct DbInner {
    log: Arc<Log>,
    checkpointer: Mutex<Option<Checkpointer>>,
    /// SQL projections of the tenants (`crate::sql`).
    sql: crate::sql::Registry,
}

impl Db {
    /// Opens (creating if needed) the database in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Db, OpenError> {
        Db::open_with(path, Options::default())
    }

    /// Opens the database in `path` with options.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Db, OpenError> {
        let storage = FileStorage::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => OpenError::InUse(e.to_string()),
            _ => OpenError::Io(e),
        })?;
        let storage = storage.direct_io(options.direct_io);
        Db::open_storage(Arc::new(storage), options)
    }

    /// A database that lives in memory and disappears when the last handle drops.
    pub fn open_in_memory() -> Result<Db, OpenError> {
        let options = Options {
            projections_in_memory: true,
            ..Options::default()
        };
        Db::open_storage(Arc::new(MemoryStorage::new()), options)
    }

    /// Opens a database on any storage (the fault-injecting one in tests).
    pub fn open_storage(storage: Arc<dyn Storage>, options: Options) -> Result<Db, OpenError> {
        let Options {
            node_name,
            node_key,
            clock,
            salts,
            checkpoint_every_entries,
            checkpoint_interval_ms,
            background_checkpoints,
            segment_bytes_max,
            state_interval_bytes,
            preallocate_segments,
            direct_io: _,
            projections_in_memory,
            projection_sync_entries,
        } = options;
        let sql = crate::sql::Registry::new(
            (!projections_in_memory).then(|| Arc::clone(&storage)),
            projection_sync_entries,
        );
        let (node_name, key) =
            crate::node::load_or_create(storage.as_ref(), node_name.as_deref(), node_key.as_ref())?;
        let salts: Arc<dyn SaltSource> = match salts {
            Some(salts) => salts,
            None => Arc::new(OsSalts::new().map_err(|e| OpenError::Random(e.to_string()))?),
        };
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let config = LogConfig {
            segment_bytes_max,
            preallocate_segments,
            state_interval_bytes,
            node_name,
            key,
            clock,
            salts,
        };
        let log = Arc::new(Log::open(storage, config)?);
        let checkpointer = match background_checkpoints {
            true => Some(Checkpointer::start(
                &log,
                checkpoint_every_entries,
                checkpoint_interval_ms,
            )?),
            false => None,
        };
        Ok(Db {
            inner: Arc::new(DbInner {
                log,
                checkpointer: Mutex::new(checkpointer),
                sql,
            }),
        })
    }

    /// A handle on tenant `name`, creating its log if it does not exist.
    pub fn tenant(&self, name: &str) -> Result<Tenant, WriteError> {
        let name = TenantName::new(name)?;
        let id = self.inner.log.tenant_id(&name)?;
        Ok(Tenant {
            db: self.clone(),
            id,
            name,
            actor: Arc::from(DEFAULT_ACTOR),
        })
    }

    /// A handle on an existing tenant, without creating it.
    pub fn existing_tenant(&self, name: &str) -> Option<Tenant> {
        let id = self.inner.log.tenant_by_name(name)?;
        let name = TenantName::new(name).ok()?;
        Some(Tenant {
            db: self.clone(),
            id,
            name,
            actor: Arc::from(DEFAULT_ACTOR),
        })
    }

    /// The names of all tenants, in creation order.
    pub fn tenants(&self) -> Vec<String> {
        self.inner
            .log
            .tenants()
            .into_iter()
            .map(|(_, name)| name.as_str().to_owned())
            .collect()
    }

    /// The node's name.
    pub fn node_name(&self) -> &str {
        self.inner.log.node_name()
    }

    /// The node's Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.log.key().public_key()
    }

    /// Why writes stopped, if an I/O failure stopped them (reopen to recover).
    pub fn stopped(&self) -> Option<String> {
        self.inner.log.stopped()
    }
}

impl Drop for DbInner {
    fn drop(&mut self) {
        let checkpointer = self
            .checkpointer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(checkpointer) = checkpointer {
            checkpointer.stop();
        }
        self.sql.flush();
        self.log.shut_down();
        // Best effort: without a saved state the next open replays more, nothing is lost.
        let _ = self.log.save_state();
    }
}

/// An application event read back from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the tenant's log.
    pub position: u64,
    /// When it was appended, in microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// The stream it was appended to.
    pub stream: String,
    /// The event, as JSON text.
    pub data: String,
}

/// A batch queued by [`Tenant::submit_batch`], not yet acknowledged.
#[must_use = "a submitted batch is acknowledged only when `wait` returns"]
pub struct PendingBatch {
    /// The database, held like a [`Tenant`] holds it: it closes when the last handle goes.
    db: Db,
    queued: crate::log::Queued,
}

impl PendingBatch {
    /// Waits until the batch is durable; returns its positions. An error means the batch was
    /// not acknowledged: the write or sync failed and the log stopped (as for `append_batch`).
    pub fn wait(self) -> Result<Range<u64>, WriteError> {
        self.db.inner.log.wait(self.queued)
    }
}

impl std::fmt::Debug for PendingBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingBatch").finish_non_exhaustive()
    }
}

/// One tenant's log.
#[derive(Clone)]
pub struct Tenant {
    db: Db,
    id: u32,
    name: TenantName,
    /// Recorded in the header of every entry written through this handle.
    actor: Arc<str>,
}

/// The actor of entries written through a handle that was not given one.
pub(crate) const DEFAULT_ACTOR: &str = "embedded";

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("name", &self.name.as_str())
            .finish()
    }
}

/// Entries read per step when scanning a range.
const SCAN_STEP_ENTRIES: u64 = 1024;

impl Tenant {
    pub(crate) fn log(&self) -> &Log {
        &self.db.inner.log
    }

    /// The same tenant, writing entries whose header names `actor` (who asked for the write,
    /// e.g. `token:<id>` in the server); at most 128 bytes of UTF-8 without control
    /// characters. Handles from [`Db::tenant`] write as `embedded`.
    pub fn with_actor(self, actor: impl Into<Arc<str>>) -> Result<Tenant, InvalidInput> {
        let actor = actor.into();
        crate::entry::validate_actor(&actor)?;
        Ok(Tenant { actor, ..self })
    }

    /// The actor recorded on the entries this handle writes.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub(crate) fn actor_arc(&self) -> Arc<str> {
        Arc::clone(&self.actor)
    }

    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    pub(crate) fn sql_registry(&self) -> &crate::sql::Registry {
        &self.db.inner.sql
    }

    pub(crate) fn view(&self) -> crate::log::TenantView {
        self.log().view(self.id)
    }

    /// The tenant's name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The origin of the tenant's log: `node_name/tenant`.
    pub fn origin(&self) -> String {
        format!("{}/{}", self.log().node_name(), self.name)
    }

    /// The C2SP verifier key an auditor pins to check this tenant's checkpoints.
    pub fn verifier_key(&self) -> String {
        self.log().key().verifier_key(&self.origin())
    }

    /// The number of durable entries.
    pub fn size(&self) -> u64 {
        self.log().durable_size(self.id)
    }

    /// Appends a JSON event to a named stream; returns its position once durable.
    pub fn append(&self, stream: &str, event_json: &str) -> Result<u64, WriteError> {
        Ok(self.append_batch(&[(stream, event_json)])?.start)
    }

    /// Appends events atomically: all are durable, or none is.
    pub fn append_batch(&self, events: &[(&str, &str)]) -> Result<Range<u64>, WriteError> {
        self.log().append(self.id, &self.event_items(events))
    }

    /// Queues events as one atomic batch, like [`Tenant::append_batch`], and returns as soon
    /// as they are encoded and positioned, without waiting for the disk. A background thread
    /// writes and syncs the batch while the caller prepares its next one;
    /// [`PendingBatch::wait`] returns once it is durable. Until then nothing is acknowledged:
    /// after a crash the batch is present whole or not at all. Batches submitted in order get
    /// positions in that order.
    ///
    /// ```
    /// let db = veritydb::Db::open_in_memory()?;
    /// let tenant = db.tenant("acme")?;
    /// let first = tenant.submit_batch(&[("orders", r#"{"id":1}"#)])?;
    /// let second = tenant.submit_batch(&[("orders", r#"{"id":2}"#)])?;
    /// assert_eq!(first.wait()?, 0..1);
    /// assert_eq!(second.wait()?, 1..2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_batch(&self, events: &[(&str, &str)]) -> Result<PendingBatch, WriteError> {
        let queued = self
            .db
            .inner
            .log
            .submit(self.id, &self.event_items(events))?;
        Ok(PendingBatch {
            db: self.db.clone(),
            queued,
        })
    }

    fn event_items<'a>(&'a self, events: &[(&'a str, &'a str)]) -> Vec<EventItem<'a>> {
        events
            .iter()
            .map(|(stream, json)| EventItem {
                actor: &self.actor,
                fields: [("stream", stream.as_bytes()), ("event", json.as_bytes())],
            })
            .collect()
    }

    /// Appends entries of any kind atomically (for layers above the log, such as SQL).
    pub fn append_entries(&self, entries: &[NewEntry]) -> Result<Range<u64>, WriteError> {
        self.log().append(self.id, entries)
    }

    /// Entries `start..end` of the durable log.
    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, ReadError> {
        let view = self.view();
        if end.saturating_sub(start) > limits::READ_EVENTS_MAX as u64 {
            return Err(ReadError::TooMany {
                requested: end - start,
                max: limits::READ_EVENTS_MAX,
            });
        }
        self.log().read_entries(&view, start, end)
    }

    /// The events of `stream` at positions in `start..end` (clamped to the durable log), at
    /// most `READ_EVENTS_MAX` of them; continue from the last position + 1 for more.
    pub fn read(&self, stream: &str, start: u64, end: u64) -> Result<Vec<Event>, ReadError> {
        validate_stream(stream)?;
        let view = self.view();
        let end = end.min(view.size);
        let mut events = Vec::new();
        let mut at = start;
        while at < end && events.len() < limits::READ_EVENTS_MAX {
            let step_end = end.min(at + SCAN_STEP_ENTRIES);
            for e in self.log().read_entries(&view, at, step_end)? {
                if events.len() == limits::READ_EVENTS_MAX {
                    break;
                }
                if let Some(event) = as_event(&e, stream) {
                    events.push(event);
                }
            }
            at = step_end;
        }
        Ok(events)
    }

    /// Signs a checkpoint of the durable log now (or returns the one of this size).
    pub fn checkpoint(&self) -> Result<Checkpoint, CheckpointError> {
        self.log().checkpoint(self.id)
    }

    /// The latest durable checkpoint, if any.
    pub fn latest_checkpoint(&self) -> Option<Checkpoint> {
        self.view().latest
    }

    /// Durable checkpoints number `start..end`, oldest first.
    pub fn checkpoints(&self, start: u64, end: u64) -> Result<Vec<Checkpoint>, ReadError> {
        let end = end.min(start.saturating_add(limits::READ_EVENTS_MAX as u64));
        self.log().read_checkpoints(&self.view(), start, end)
    }

    /// The number of durable checkpoints.
    pub fn checkpoint_count(&self) -> u64 {
        self.view().checkpoints
    }

    /// The tree root at `size` (at most the durable size).
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        let view = self.view();
        check_size(size, view.size)?;
        Ok(merkle::root_at(&view.files, size)?)
    }

    /// The RFC 6962 inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        let view = self.view();
        check_size(size, view.size)?;
        if index >= size {
            return Err(ProofError::OutOfRange(format!(
                "index {index} is not below size {size}"
            )));
        }
        Ok(merkle::inclusion_proof(&view.files, index, size)?)
    }

    /// The RFC 6962 consistency proof from `old_size` to `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        let view = self.view();
        check_size(new_size, view.size)?;
        if old_size == 0 || old_size > new_size {
            return Err(ProofError::OutOfRange(format!(
                "no consistency proof from {old_size} to {new_size}"
            )));
        }
        Ok(merkle::consistency_proof(&view.files, old_size, new_size)?)
    }

    /// The latest durable checkpoint covering `position`, taking one if none does.
    pub(crate) fn covering_checkpoint(&self, position: u64) -> Result<Checkpoint, CheckpointError> {
        match self.latest_checkpoint() {
            Some(cp) if cp.size > position => Ok(cp),
            _ => self.checkpoint(),
        }
    }
}

fn check_size(size: u64, durable: u64) -> Result<(), ProofError> {
    if size > durable {
        return Err(ProofError::OutOfRange(format!(
            "size {size} is beyond the durable log ({durable})"
        )));
    }
    Ok(())
}

pub(crate) fn corrupt_proof(tenant: &str, detail: &str) -> ProofError {
    ProofError::Corrupt(Corruption::new(tenant, detail))
}

fn validate_stream(stream: &str) -> Result<(), InvalidInput> {
    let valid = !stream.is_empty()
        && stream.len() <= limits::STREAM_NAME_BYTES_MAX
        && !stream.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(InvalidInput::StreamName(stream.to_owned()))
    }
}

/// An application event, borrowed from the caller: `stream` and `event` fields.
struct EventItem<'a> {
    actor: &'a str,
    fields: [(&'a str, &'a [u8]); 2],
}

impl<'a> AppendItem for EventItem<'a> {
    type Field = (&'a str, &'a [u8]);
    fn kind(&self) -> Kind {
        Kind::Event
    }
    fn actor(&self) -> &str {
        self.actor
    }
    fn fields(&self) -> &[Self::Field] {
        &self.fields
    }
    fn validate(&self) -> Result<(), InvalidInput> {
        let [(_, stream), (_, event)] = self.fields;
        let stream = std::str::from_utf8(stream)
            .map_err(|_| InvalidInput::StreamName(String::from_utf8_lossy(stream).into_owned()))?;
        validate_stream(stream)?;
        serde_json::from_slice::<serde::de::IgnoredAny>(event)
            .map_err(|e| InvalidInput::EventJson(e.to_string()))?;
        Ok(())
    }
}

fn as_event(entry: &StoredEntry, stream: &str) -> Option<Event> {
    if entry.header.kind != Kind::Event || entry.field("stream")? != stream.as_bytes() {
        return None;
    }
    let data = String::from_utf8(entry.field("event")?.to_vec()).ok()?;
    Some(Event {
        position: entry.header.position,
        timestamp_us: entry.header.timestamp_us,
        stream: stream.to_owned(),
        data,
    })
}

/// The background thread that takes checkpoints every N entries or T milliseconds.
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: JoinHandle<()>,
}

impl Checkpointer {
    fn start(log: &Arc<Log>, every: u64, interval_ms: u64) -> std::io::Result<Checkpointer> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let log: Weak<Log> = Arc::downgrade(log);
        // Poll often enough to notice "every N entries" promptly without spinning.
        let poll = Duration::from_millis(interval_ms.clamp(1, 100));
        let signal = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("veritydb-checkpoints".into())
            .spawn(move || {
                let mut last_us: HashMap<u32, u64> = HashMap::new();
                loop {
                    let (lock, cvar) = &*signal;
                    let stopped = lock
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let (stopped, _) = cvar
                        .wait_timeout(stopped, poll)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if *stopped {
                        return;
                    }
                    drop(stopped);
                    let Some(log) = log.upgrade() else { return };
                    let now_us = log.clock().now_us();
                    for id in log.tenants_due(every, interval_ms * 1000, now_us, &last_us) {
                        if log.checkpoint(id).is_ok() {
                            last_us.insert(id, now_us);
                        }
                    }
                }
            })?;
        Ok(Checkpointer { stop, handle })
    }

    fn stop(self) {
        let (lock, cvar) = &*self.stop;
        *lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        cvar.notify_all();
        if self.handle.thread().id() != std::thread::current().id() {
            let _ = self.handle.join();
        }
    }
}
