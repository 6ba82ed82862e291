//! One tenant's projection: the redb store, the writer that keeps it in step with the log, and
//! the read snapshot queries use (`docs/internals/projections.md`).
//!
//! Write path, under the writer lock: catch up with the log; plan the statements in a redb
//! transaction (applying each change provisionally) and abort it; append the changes as one
//! atomic batch; apply them for real at their positions and commit, with the new `applied`
//! end in the same transaction; publish a new read snapshot. Projection commits are not
//! synced (the log is the source of truth): every `SQL_PROJECTION_SYNC_ENTRIES` entries and on
//! close a commit is made durable, and an open replays the log from the last durable one.
//!
//! Invariants: `applied` never exceeds the durable log; the snapshot always shows a prefix
//! `0..applied` of the log applied in order; only the writer lock holder writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use redb::{Database, Durability, ReadOnlyTable, ReadableDatabase, WriteTransaction};

use super::Failure;
use super::apply::{self, WriteState};
use super::backend::FileBackend;
use super::change::Change;
use super::group::{Queue, Request, Slot};
use super::kernel::{self, Planned};
use super::schema::Schema;
use super::store::{self, Bytes, StoreResult, Tables};
use super::value::Value;
use crate::db::Tenant;
use crate::entry::{Hash, Kind};
use crate::limits;
use crate::storage::Storage;

/// What the embedded API keeps per database: where projections live and the open ones.
#[derive(Debug)]
pub(crate) struct Registry {
    /// `None`: projections in memory (for `Db::open_in_memory`).
    storage: Option<Arc<dyn Storage>>,
    sync_entries: u64,
    open: Mutex<HashMap<u32, Arc<Projection>>>,
}

/// The directory of projection files in the database's storage.
const DIRECTORY: &str = "projections";

impl Registry {
    pub(crate) fn new(storage: Option<Arc<dyn Storage>>, sync_entries: u64) -> Registry {
        Registry {
            storage,
            sync_entries,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The projection of `tenant`, opened (and brought up to date) on first use.
    pub(crate) fn projection(&self, tenant: &Tenant) -> Result<Arc<Projection>, Failure> {
        let mut open = lock(&self.open);
        if let Some(p) = open.get(&tenant.id()) {
            return Ok(Arc::clone(p));
        }
        let projection = Arc::new(Projection::open(
            self.storage.as_deref(),
            tenant,
            self.sync_entries,
        )?);
        open.insert(tenant.id(), Arc::clone(&projection));
        Ok(projection)
    }

    /// Makes every open projection durable (on close).
    pub(crate) fn flush(&self) {
        for p in lock(&self.open).values() {
            // Best effort: a projection that is not durable is replayed from the log.
            let _ = p.flush();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent across a panic (each update is one assignment).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The read view of a projection at one applied end.
pub(crate) struct Snapshot {
    pub(crate) tables: Tables<ReadOnlyTable<Bytes, Bytes>>,
    pub(crate) schema: Arc<Schema>,
    /// Exclusive end of the log prefix applied.
    pub(crate) applied: u64,
}

struct Writer {
    applied: u64,
    chain: Hash,
    ignored: u64,
    /// Entries applied since the last durable commit.
    unsynced: u64,
    schema: Arc<Schema>,
}

/// A tenant's projection.
pub(crate) struct Projection {
    db: Database,
    /// Entries applied between durable commits.
    sync_entries: u64,
    /// Log entries the open had to replay (the tail after the durable projection).
    replayed_at_open: u64,
    writer: Mutex<Writer>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Writes waiting for the group commit.
    queue: Queue,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection").finish_non_exhaustive()
    }
}

/// A row-version precondition of a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expectation {
    pub(crate) table: String,
    pub(crate) key: Vec<Value>,
    /// The position that last wrote the row, or `None` if it must not exist.
    pub(crate) version: Option<u64>,
}

/// The result of a write: the position of its last entry and the rows it changed.
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) position: u64,
    pub(crate) rows_affected: u64,
}

impl Projection {
    fn open(
        storage: Option<&dyn Storage>,
        tenant: &Tenant,
        sync_entries: u64,
    ) -> Result<Projection, Failure> {
        let db = match storage {
            None => create_db(redb::backends::InMemoryBackend::new())?,
            Some(storage) => open_file(storage, tenant.name())?,
        };
        let (applied, chain, ignored, schema) = match read_meta(&db, tenant)? {
            Some(meta) => meta,
            None => {
                reset(&db)?;
                (0, [0; 32], 0, Schema::default())
            }
        };
        let writer = Writer {
            applied,
            chain,
            ignored,
            unsynced: 0,
            schema: Arc::new(schema),
        };
        let snapshot = RwLock::new(Arc::new(snapshot(&db, &writer)?));
        let mut projection = Projection {
            db,
            sync_entries,
            replayed_at_open: 0,
            writer: Mutex::new(writer),
            snapshot,
            queue: Queue::default(),
        };
        projection.catch_up(tenant, tenant.size())?;
        projection.replayed_at_open = lock(&projection.writer).applied - applied;
        Ok(projection)
    }

    /// The current read snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(
            &self
                .snapshot
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Applies the log up to `end` (at most the durable size) if not applied yet.
    pub(crate) fn catch_up(&self, tenant: &Tenant, end: u64) -> Result<(), Failure> {
        let mut w = lock(&self.writer);
        self.catch_up_locked(&mut w, tenant, end.min(tenant.size()))
    }

    fn catch_up_locked(&self, w: &mut Writer, tenant: &Tenant, end: u64) -> Result<(), Failure> {
        if w.applied >= end {
            return Ok(());
        }
        while w.applied < end {
            let step_end = end.min(w.applied + limits::SQL_REPLAY_STEP_ENTRIES);
            let entries = tenant.entries(w.applied, step_end).map_err(Failure::Read)?;
            let mut txn = self.db.begin_write()?;
            let mut state = open_state(&txn, (*w.schema).clone())?;
            for e in &entries {
                let change = match (e.header.kind, e.fields()) {
                    (Kind::Schema | Kind::Row, Some(fields)) => {
                        Change::from_entry(e.header.kind, fields, &state.schema)
                    }
                    _ => continue,
                };
                let end = (e.header.position + 1).to_be_bytes();
                state.tables.timeline.insert(
                    e.header.timestamp_us.to_be_bytes().as_slice(),
                    end.as_slice(),
                )?;
                let applied = match change {
                    Some(change) => apply::apply(&mut state, &change, e.header.position)?.is_ok(),
                    None => false,
                };
                w.ignored += u64::from(!applied);
            }
            let schema = std::mem::take(&mut state.schema);
            drop(state);
            let last = entries.last().map_or(w.chain, |e| e.chain);
            self.finish(&mut txn, w, step_end, last, step_end - w.applied)?;
            txn.commit()?;
            w.applied = step_end;
            w.chain = last;
            keep_schema(w, schema);
        }
        self.publish(w)
    }

    /// Records the new applied end in `txn` and chooses its durability.
    fn finish(
        &self,
        txn: &mut WriteTransaction,
        w: &mut Writer,
        end: u64,
        chain: Hash,
        entries: u64,
    ) -> StoreResult<()> {
        {
            let mut meta = txn.open_table(store::META)?;
            meta.insert(b"applied".as_slice(), end.to_be_bytes().as_slice())?;
            meta.insert(b"chain".as_slice(), chain.as_slice())?;
            meta.insert(b"ignored".as_slice(), w.ignored.to_be_bytes().as_slice())?;
        }
        w.unsynced += entries;
        if w.unsynced >= self.sync_entries {
            txn.set_durability(Durability::Immediate)?;
            txn.set_quick_repair(true);
            w.unsynced = 0;
        } else {
            txn.set_durability(Durability::None)?;
        }
        Ok(())
    }

    fn publish(&self, w: &Writer) -> Result<(), Failure> {
        let next = Arc::new(snapshot(&self.db, w)?);
        *self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        Ok(())
    }

    /// Commits a write through the tenant's group commit (`group.rs`): it is planned on top
    /// of the writes queued before it and appended with them as one atomic batch.
    pub(crate) fn write(&self, tenant: &Tenant, request: Request) -> Result<Written, Failure> {
        self.queue.submit(request, |group| self.lead(tenant, group))
    }

    /// Commits a group of queued writes, in as few log batches as the limits allow; finishes
    /// every slot.
    fn lead(&self, tenant: &Tenant, group: &[Arc<Slot>]) {
        let mut w = lock(&self.writer);
        let mut rest = group;
        while !rest.is_empty() {
            let taken = self.commit_prefix(&mut w, tenant, rest);
            rest = &rest[taken..];
        }
    }

    /// Plans a prefix of `slots` (each write on top of the ones before it; a refused write is
    /// finished with its error and left out), appends the prefix's changes as one batch, applies
    /// them and finishes the prefix's slots; returns the prefix length.
    fn commit_prefix(&self, w: &mut Writer, tenant: &Tenant, slots: &[Arc<Slot>]) -> usize {
        if let Err(f) = self.catch_up_locked(w, tenant, tenant.size()) {
            slots.iter().for_each(|s| s.finish(Err(f.duplicate())));
            return slots.len();
        }
        let mut take = slots.len();
        loop {
            match self.plan_group(w, &slots[..take]) {
                Err(f) => {
                    slots[..take]
                        .iter()
                        .for_each(|s| s.finish(Err(f.duplicate())));
                    return take;
                }
                Ok(Planning::Refused) => {}
                Ok(Planning::Split(at)) => take = at,
                Ok(Planning::Ready(txn, plans, schema)) => {
                    self.commit_planned(w, tenant, *txn, &plans, schema, slots);
                    return take;
                }
            }
        }
    }

    /// Plans the unfinished writes of `slots` in one transaction, at the positions they will
    /// get if nobody else appends to the tenant first.
    fn plan_group(&self, w: &Writer, slots: &[Arc<Slot>]) -> Result<Planning, Failure> {
        let txn = self.db.begin_write()?;
        let mut plans = Vec::new();
        let mut state = open_state(&txn, (*w.schema).clone())?;
        let mut next_position = w.applied;
        let mut total = 0;
        for (i, slot) in slots.iter().enumerate() {
            if slot.is_finished() {
                continue;
            }
            let mut planned = Planned {
                actor: Arc::clone(&slot.request.actor),
                ..Planned::default()
            };
            if let Err(f) =
                plan_request(&mut state, &slot.request, &mut next_position, &mut planned)
            {
                slot.finish(Err(f));
                drop(state);
                txn.abort()?;
                return Ok(Planning::Refused);
            }
            if total + planned.changes.len() > limits::SQL_ROWS_PER_WRITE_MAX && !plans.is_empty() {
                drop(state);
                txn.abort()?;
                return Ok(Planning::Split(i));
            }
            total += planned.changes.len();
            plans.push((i, planned));
        }
        let schema = std::mem::take(&mut state.schema);
        drop(state);
        Ok(Planning::Ready(Box::new(txn), plans, schema))
    }

    /// Appends and applies planned writes and finishes their slots.
    fn commit_planned(
        &self,
        w: &mut Writer,
        tenant: &Tenant,
        txn: WriteTransaction,
        plans: &[(usize, Planned)],
        schema: Schema,
        slots: &[Arc<Slot>],
    ) {
        let changes: Vec<&Planned> = plans.iter().map(|(_, p)| p).collect();
        let before = w.applied.saturating_sub(1);
        let outcome = match changes.iter().all(|p| p.changes.is_empty()) {
            true => txn.abort().map(|()| before..before).map_err(Failure::from),
            false => self.append_and_apply(w, tenant, txn, &changes, schema),
        };
        let range = match outcome {
            Ok(range) => range,
            Err(f) => {
                plans
                    .iter()
                    .for_each(|(i, _)| slots[*i].finish(Err(f.duplicate())));
                return;
            }
        };
        let (mut next, mut last) = (range.start, before);
        for (i, planned) in plans {
            let n = planned.changes.len() as u64;
            if n > 0 {
                last = next + n - 1;
                next += n;
            }
            slots[*i].finish(Ok(Written {
                position: last,
                rows_affected: planned.rows_affected,
            }));
        }
    }

    /// Appends the planned changes as one batch; commits the planning transaction if the batch
    /// got the predicted positions, else applies the changes again at the real ones.
    fn append_and_apply(
        &self,
        w: &mut Writer,
        tenant: &Tenant,
        mut txn: WriteTransaction,
        plans: &[&Planned],
        schema: Schema,
    ) -> Result<std::ops::Range<u64>, Failure> {
        let predicted = w.applied;
        let changes: Vec<_> = plans.iter().flat_map(|p| p.changes.iter()).collect();
        let entries: Vec<_> = plans
            .iter()
            .flat_map(|p| {
                p.changes
                    .iter()
                    .map(|(change, table)| change.to_entry(table.as_deref(), &p.actor))
            })
            .collect();
        let range = tenant.append_entries(&entries).map_err(Failure::Write)?;
        let (timestamp_us, chain) = last_entry(tenant, range.end)?;
        let schema = if range.start == predicted {
            schema
        } else {
            // Entries appended by another writer of this tenant came first.
            txn.abort()?;
            self.catch_up_locked(w, tenant, range.start)?;
            txn = self.db.begin_write()?;
            let mut state = open_state(&txn, (*w.schema).clone())?;
            for ((change, _), position) in changes.iter().copied().zip(range.clone()) {
                let applied = apply::apply(&mut state, change, position)?;
                w.ignored += u64::from(applied.is_err());
            }
            std::mem::take(&mut state.schema)
        };
        txn.open_table(store::TIMELINE)?.insert(
            timestamp_us.to_be_bytes().as_slice(),
            range.end.to_be_bytes().as_slice(),
        )?;
        self.finish(&mut txn, w, range.end, chain, range.end - range.start)?;
        txn.commit()?;
        w.applied = range.end;
        w.chain = chain;
        keep_schema(w, schema);
        self.publish(w)?;
        Ok(range)
    }

    /// Empties the store and replays the whole log.
    pub(crate) fn rebuild(&self, tenant: &Tenant) -> Result<(), Failure> {
        let mut w = lock(&self.writer);
        reset(&self.db)?;
        *w = Writer {
            applied: 0,
            chain: [0; 32],
            ignored: 0,
            unsynced: 0,
            schema: Arc::new(Schema::default()),
        };
        self.catch_up_locked(&mut w, tenant, tenant.size())?;
        self.publish(&w)
    }

    /// Makes the projection durable.
    pub(crate) fn flush(&self) -> Result<(), Failure> {
        let mut w = lock(&self.writer);
        if w.unsynced == 0 {
            return Ok(());
        }
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.set_quick_repair(true);
        txn.commit()?;
        w.unsynced = 0;
        Ok(())
    }

    /// Every key and value of the store except bookkeeping, in order.
    pub(crate) fn dump(&self) -> Result<super::ProjectionDump, Failure> {
        let _w = lock(&self.writer);
        let txn = self.db.begin_read()?;
        let mut out = Vec::new();
        for (name, def) in [
            ("tables", store::TABLES),
            ("rows", store::ROWS),
            ("index", store::INDEX),
            ("history", store::HISTORY),
            ("timeline", store::TIMELINE),
        ] {
            apply::dump(name, &txn.open_table(def)?, &mut out)?;
        }
        Ok(out)
    }

    /// Log entries replayed when the projection was opened.
    pub(crate) fn replayed_at_open(&self) -> u64 {
        self.replayed_at_open
    }

    /// Entries that did not apply (written by something other than this SQL layer).
    pub(crate) fn ignored(&self) -> u64 {
        lock(&self.writer).ignored
    }
}

impl Drop for Projection {
    fn drop(&mut self) {
        // Best effort: without it the next open replays more of the log.
        let _ = self.flush();
    }
}

/// Replaces the writer's schema only if it changed, so plans cached against it stay valid.
fn keep_schema(w: &mut Writer, schema: Schema) {
    if schema.version != w.schema.version {
        w.schema = Arc::new(schema);
    }
}

/// How planning a group ended.
enum Planning {
    /// A write was refused (its slot is finished): plan the others again.
    Refused,
    /// The writes from this index on do not fit in one batch: plan the ones before.
    Split(usize),
    /// Planned: the transaction, each write's changes (by slot index), the schema after them.
    Ready(Box<WriteTransaction>, Vec<(usize, Planned)>, Schema),
}

/// Plans one write: its preconditions, then its statements in order.
fn plan_request(
    state: &mut WriteState<'_>,
    request: &Request,
    next_position: &mut u64,
    planned: &mut Planned,
) -> Result<(), Failure> {
    check_expectations(state, &request.expectations)?;
    for (parsed, params) in &request.statements {
        kernel::plan_write(state, &parsed.statement, params, next_position, planned)?;
    }
    Ok(())
}

/// The timestamp and chain hash of the entry before `end` (the last of a batch just written).
fn last_entry(tenant: &Tenant, end: u64) -> Result<(u64, Hash), Failure> {
    let last = tenant.entries(end - 1, end).map_err(Failure::Read)?;
    match last.first() {
        Some(e) => Ok((e.header.timestamp_us, e.chain)),
        None => Err(Failure::Read(crate::error::ReadError::OutOfRange {
            requested: end,
            size: tenant.size(),
        })),
    }
}

fn check_expectations(state: &WriteState<'_>, expectations: &[Expectation]) -> Result<(), Failure> {
    for e in expectations {
        let table = state
            .schema
            .table(&e.table)
            .ok_or_else(|| Failure::Invalid(format!("no table {}", e.table)))?;
        // Checked before pairing values with key columns, so no value is dropped unseen.
        if e.key.len() != table.primary_key.len() || table.primary_key.is_empty() {
            return Err(Failure::Invalid(format!(
                "the key of {} has {} columns",
                e.table,
                table.primary_key.len()
            )));
        }
        let mut key = Vec::with_capacity(e.key.len());
        for (value, &column) in e.key.iter().zip(&table.primary_key) {
            key.push(kernel::coerce(value.clone(), &table.columns[column])?);
        }
        let current = state
            .tables
            .row(table, &store::row_key(table.id, &key))?
            .map(|(v, _)| v);
        if current != e.version {
            let show = |v: Option<u64>| v.map_or("absent".to_owned(), |v| format!("version {v}"));
            return Err(Failure::Conflict(format!(
                "row {key:?} of {} is {}, expected {}",
                e.table,
                show(current),
                show(e.version)
            )));
        }
    }
    Ok(())
}

fn create_db(backend: impl redb::StorageBackend) -> Result<Database, Failure> {
    Ok(Database::builder().create_with_backend(backend)?)
}

/// Opens the tenant's projection file; a file redb cannot open is replaced (the log rebuilds
/// it).
fn open_file(storage: &dyn Storage, tenant: &str) -> Result<Database, Failure> {
    let path = format!("{DIRECTORY}/{tenant}.redb");
    let io = |e: std::io::Error| Failure::Store(store::StoreError::Io(e));
    let existed = storage.exists(&path).map_err(io)?;
    let file = storage.open(&path).map_err(io)?;
    if !existed {
        storage.sync_dir(DIRECTORY).map_err(io)?;
        storage.sync_dir("").map_err(io)?;
    }
    match create_db(FileBackend::new(Arc::clone(&file))) {
        Ok(db) => Ok(db),
        Err(_) => {
            file.set_len(0).map_err(io)?;
            create_db(FileBackend::new(file))
        }
    }
}

type Meta = (u64, Hash, u64, Schema);

/// The stored applied end, chain, ignored count and schema, if the store holds a valid
/// projection of this tenant's log.
fn read_meta(db: &Database, tenant: &Tenant) -> Result<Option<Meta>, Failure> {
    let txn = db.begin_read()?;
    let Ok(meta) = txn.open_table(store::META) else {
        return Ok(None);
    };
    let format = store::meta_u64(&meta, "format")?;
    let applied = store::meta_u64(&meta, "applied")?.unwrap_or(0);
    let ignored = store::meta_u64(&meta, "ignored")?.unwrap_or(0);
    let chain: Option<Hash> = meta
        .get(b"chain".as_slice())?
        .and_then(|v| v.value().try_into().ok());
    if format != Some(store::FORMAT) || applied > tenant.size() {
        return Ok(None);
    }
    let chain = match (applied, chain) {
        (0, _) => [0; 32],
        (_, None) => return Ok(None),
        (_, Some(chain)) => {
            let entry = tenant
                .entries(applied - 1, applied)
                .map_err(Failure::Read)?;
            if entry.first().map(|e| e.chain) != Some(chain) {
                return Ok(None);
            }
            chain
        }
    };
    let schema = store::load_schema(&txn.open_table(store::TABLES)?)?;
    Ok(Some((applied, chain, ignored, schema)))
}

/// Empties the store and marks it as an empty projection of the current format.
fn reset(db: &Database) -> Result<(), Failure> {
    let mut txn = db.begin_write()?;
    for def in [
        store::META,
        store::TABLES,
        store::ROWS,
        store::INDEX,
        store::HISTORY,
        store::TIMELINE,
    ] {
        txn.delete_table(def)?;
        txn.open_table(def)?;
    }
    {
        let mut meta = txn.open_table(store::META)?;
        meta.insert(b"format".as_slice(), store::FORMAT.to_be_bytes().as_slice())?;
        meta.insert(b"applied".as_slice(), 0u64.to_be_bytes().as_slice())?;
    }
    txn.set_durability(Durability::Immediate)?;
    txn.commit()?;
    Ok(())
}

fn open_state(txn: &WriteTransaction, schema: Schema) -> StoreResult<WriteState<'_>> {
    Ok(WriteState {
        tables: Tables {
            rows: txn.open_table(store::ROWS)?,
            index: txn.open_table(store::INDEX)?,
            history: txn.open_table(store::HISTORY)?,
            timeline: txn.open_table(store::TIMELINE)?,
        },
        defs: txn.open_table(store::TABLES)?,
        schema,
    })
}

fn snapshot(db: &Database, w: &Writer) -> StoreResult<Snapshot> {
    let txn = db.begin_read()?;
    Ok(Snapshot {
        tables: Tables {
            rows: txn.open_table(store::ROWS)?,
            index: txn.open_table(store::INDEX)?,
            history: txn.open_table(store::HISTORY)?,
            timeline: txn.open_table(store::TIMELINE)?,
        },
        schema: Arc::clone(&w.schema),
        applied: w.applied,
    })
}
