//! Opening the log: load the recovery state, replay the segments after it, and cut a torn
//! tail.
//!
//! Pass 1 walks the frames after the recovery point checking only lengths, CRCs and batch
//! boundaries, and finds where the valid log ends. Bytes that do not form a frame are a torn
//! tail only if they are in the last segment and no valid frame follows them (writes to a
//! file persist in order up to the last fsync, the model `MemoryStorage` simulates); the tail
//! is cut back to the end of the last complete batch. Anything else is corruption: the open
//! fails and nothing is changed. Pass 2 replays the valid frames into tenant state, rebuilding
//! tree, index and checkpoint files, and checks every chain value and checkpoint root on the
//! way. Everything replayed is fsynced before the log accepts writes, so nothing recovered
//! from the page cache alone is ever signed.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::{Arc, Condvar, Mutex};

use super::cursor::{self, FrameCursor, Step};
use super::frame::{self, Frame, SEGMENT_HEADER_BYTES};
use super::state::RecoveryState;
use super::tenant::{self, TenantFiles, TenantInit, TenantLog};
use super::{Log, LogConfig, Shared, segment_path};
use crate::entry::{self, Header, TenantName};
use crate::error::{Corruption, OpenError};
use crate::merkle::{self, CompactRange};
use crate::storage::{Storage, StorageFile};

/// Pending derived bytes kept in memory during replay before they are written out.
const REPLAY_DERIVED_BYTES_MAX: usize = 8 * 1024 * 1024;

impl Log {
    pub(crate) fn open(storage: Arc<dyn Storage>, config: LogConfig) -> Result<Log, OpenError> {
        let segment_ids = list_segments(storage.as_ref())?;
        let (state, mut tenants) = load_state(storage.as_ref(), &config, &segment_ids)?;
        let mut replay = Replay {
            tenants: &mut tenants,
            node_name: &config.node_name,
            storage: storage.as_ref(),
        };
        let mut segments = BTreeMap::new();
        let mut current = (1u64, SEGMENT_HEADER_BYTES);
        for (i, &id) in segment_ids.iter().enumerate() {
            let file = storage.open(&segment_path(id))?;
            let is_last = i + 1 == segment_ids.len();
            let start = match &state {
                Some(s) if s.segment == id => s.offset,
                Some(s) if s.segment > id => {
                    check_segment_header(file.as_ref(), id)?;
                    segments.insert(id, file);
                    continue;
                }
                _ => SEGMENT_HEADER_BYTES,
            };
            let end = replay.segment(file.as_ref(), id, start, is_last)?;
            file.sync()?;
            segments.insert(id, file);
            current = (id, end);
        }
        if segment_ids.is_empty() {
            let file = storage.open(&segment_path(1))?;
            file.set_len(0)?;
            file.write_all_at(&frame::segment_header(1), 0)?;
            file.sync()?;
            storage.sync_dir("segments")?;
            storage.sync_dir("")?;
            segments.insert(1, file);
        }
        replay.flush_derived()?;
        let log = Log::assemble(storage, config, tenants, segments, current);
        log.load_latest_checkpoints()?;
        log.save_state()?;
        if let Some(preparer) = &log.preparer {
            preparer.start(current.0 + 1);
        }
        Ok(log)
    }

    fn assemble(
        storage: Arc<dyn Storage>,
        config: LogConfig,
        tenants: Vec<TenantLog>,
        segments: BTreeMap<u64, Arc<dyn StorageFile>>,
        (segment, segment_end): (u64, u64),
    ) -> Log {
        let mut tenants = tenants;
        for t in &mut tenants {
            // Everything replayed was synced before this point.
            t.durable_size = t.size;
            t.durable_checkpoint_count = t.checkpoint_count;
        }
        let by_name = tenants
            .iter()
            .map(|t| (t.name.as_str().to_owned(), t.id))
            .collect();
        let shared = Shared {
            segment_bytes_max: config.segment_bytes_max,
            state_interval_bytes: config.state_interval_bytes,
            tenants,
            by_name,
            chunks: Vec::new(),
            segment,
            segment_end,
            next_ticket: 1,
            durable_ticket: 0,
            flushing: false,
            stopped: None,
            bytes_since_state: 0,
            touched: Default::default(),
        };
        // A batch never spans segments, so it must fit well inside one.
        let batch_bytes_max =
            crate::limits::BATCH_BYTES_MAX.min((config.segment_bytes_max / 2) as usize);
        let preparer = config
            .preallocate_segments
            .then(|| super::prepare::Preparer::new(Arc::clone(&storage), config.segment_bytes_max));
        Log {
            storage,
            batch_bytes_max,
            node_name: config.node_name,
            key: config.key,
            clock: config.clock,
            salts: config.salts,
            shared: Mutex::new(shared),
            committed: Condvar::new(),
            segments: Mutex::new(segments),
            state_writer: Mutex::new(()),
            buffers: Mutex::new(Vec::new()),
            preparer,
            flusher: Mutex::new(None),
        }
    }

    /// Reads each tenant's last stored checkpoint back into memory.
    fn load_latest_checkpoints(&self) -> Result<(), OpenError> {
        let views: Vec<(u32, super::TenantView)> = self
            .tenants()
            .into_iter()
            .map(|(id, _)| (id, self.view(id)))
            .collect();
        for (id, view) in views {
            if view.checkpoints == 0 {
                continue;
            }
            let cp = self
                .read_checkpoint(&view.files, view.checkpoints - 1)
                .map_err(|e| match e {
                    crate::error::ReadError::Io(e) => OpenError::Io(e),
                    crate::error::ReadError::Corrupt(c) => OpenError::Corrupt(c),
                    other => OpenError::Corrupt(Corruption::new(
                        view.name.to_string(),
                        other.to_string(),
                    )),
                })?;
            let mut g = self.lock();
            let t = g.tenant(id);
            t.latest_durable = Some(cp.clone());
            t.last_signed = Some((cp, 0));
        }
        Ok(())
    }
}

fn list_segments(storage: &dyn Storage) -> Result<Vec<u64>, OpenError> {
    let mut ids = Vec::new();
    for name in storage.list("segments")? {
        if name.ends_with(".seg.prep") {
            // A segment prepared ahead of time and never used holds nothing.
            storage.remove(&format!("segments/{name}"))?;
            continue;
        }
        let id = name
            .strip_suffix(".seg")
            .filter(|digits| digits.len() == 20)
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or_else(|| {
                Corruption::new(format!("segments/{name}"), "unexpected file among segments")
            })?;
        ids.push(id);
    }
    ids.sort_unstable();
    for (expected, &id) in (1u64..).zip(&ids) {
        if id != expected {
            return Err(Corruption::new(segment_path(expected), "segment missing").into());
        }
    }
    Ok(ids)
}

/// The recovery state and the tenants it describes, or none (replay everything) if there is
/// no usable state.
fn load_state(
    storage: &dyn Storage,
    config: &LogConfig,
    segment_ids: &[u64],
) -> Result<(Option<RecoveryState>, Vec<TenantLog>), OpenError> {
    if !storage.exists("state")? {
        return Ok((None, Vec::new()));
    }
    let file = storage.open("state")?;
    let len = usize::try_from(file.size_bytes()?).unwrap_or(usize::MAX);
    // Bounded by TENANTS_PER_NODE_MAX tenants of at most a few KiB each.
    if len > 64 * 1024 * 1024 {
        return Ok((None, Vec::new()));
    }
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, 0)?;
    let Some(state) = RecoveryState::decode(&bytes) else {
        // A damaged state is only a lost shortcut: replay from the start.
        return Ok((None, Vec::new()));
    };
    if !segment_ids.contains(&state.segment) {
        return Err(Corruption::new(
            segment_path(state.segment),
            "the recovery state names a missing segment",
        )
        .into());
    }
    let mut tenants = Vec::with_capacity(state.tenants.len());
    for (i, t) in state.tenants.iter().enumerate() {
        let name = TenantName::new(&t.name)
            .map_err(|_| Corruption::new("state", "invalid tenant name"))?;
        let range = CompactRange::from_parts(t.size, t.range.clone())
            .ok_or_else(|| Corruption::new("state", "invalid compact range"))?;
        if t.id as usize != i + 1 {
            return Err(Corruption::new("state", "tenant ids out of order").into());
        }
        let files = TenantFiles::open(storage, t.id)?;
        if !files.truncate_to(t.size, t.checkpoints)? {
            // Derived files shorter than promised: rebuild everything from the segments.
            return Ok((None, Vec::new()));
        }
        tenants.push(TenantLog::new(TenantInit {
            id: t.id,
            origin: format!("{}/{}", config.node_name, name),
            name,
            files,
            size: t.size,
            chain: t.chain,
            last_timestamp_us: t.last_timestamp_us,
            range,
            checkpoint_count: t.checkpoints,
        }));
    }
    Ok((Some(state), tenants))
}

struct Replay<'a> {
    tenants: &'a mut Vec<TenantLog>,
    node_name: &'a str,
    storage: &'a dyn Storage,
}

impl Replay<'_> {
    /// Validates and replays one segment from `start`; returns where the valid log ends.
    fn segment(
        &mut self,
        file: &dyn StorageFile,
        id: u64,
        start: u64,
        is_last: bool,
    ) -> Result<u64, OpenError> {
        let path = segment_path(id);
        let len = file.size_bytes()?;
        let mut header = [0u8; SEGMENT_HEADER_BYTES as usize];
        let header_ok = len >= SEGMENT_HEADER_BYTES
            && file.read_exact_at(&mut header, 0).is_ok()
            && frame::parse_segment_header(&header) == Some(id);
        if !header_ok {
            if is_last && start == SEGMENT_HEADER_BYTES && never_written(file, len)? {
                // A segment created just before a crash, before its header reached the disk.
                file.set_len(0)?;
                file.write_all_at(&frame::segment_header(id), 0)?;
                return Ok(SEGMENT_HEADER_BYTES);
            }
            return Err(Corruption::new(path, "invalid segment header").into());
        }
        if start > len {
            return Err(Corruption::new(
                path,
                format!("shorter ({len} bytes) than the recovery state records ({start})"),
            )
            .into());
        }
        let end = valid_end(file, &path, start, len, is_last)?;
        if end < len {
            file.set_len(end)?;
        }
        let mut cursor = FrameCursor::new(file, start, end);
        loop {
            match cursor.next()? {
                Step::Frame { offset, .. } => {
                    let at = format!("{path} offset {offset}");
                    let frame = frame::decode(cursor.body())
                        .ok_or_else(|| Corruption::new(at.as_str(), "undecodable frame"))?;
                    self.apply(frame, tenant::location(id, offset), &at)?;
                }
                Step::End => return Ok(end),
                Step::Damaged { offset } => {
                    return Err(Corruption::new(
                        format!("{path} offset {offset}"),
                        "frame changed during recovery",
                    )
                    .into());
                }
            }
        }
    }

    fn apply(&mut self, frame: Frame<'_>, location: u64, at: &str) -> Result<(), OpenError> {
        match frame {
            Frame::Tenant { tenant_id, name } => {
                let name = TenantName::new(name)
                    .map_err(|_| Corruption::new(at, "invalid tenant name"))?;
                if tenant_id as usize != self.tenants.len() + 1 {
                    return Err(Corruption::new(
                        at,
                        format!("tenant id {tenant_id} out of sequence"),
                    )
                    .into());
                }
                let files = TenantFiles::open(self.storage, tenant_id)?;
                files.truncate_to(0, 0)?;
                self.tenants.push(TenantLog::new(TenantInit {
                    id: tenant_id,
                    origin: format!("{}/{}", self.node_name, name),
                    name,
                    files,
                    size: 0,
                    chain: entry::CHAIN_GENESIS,
                    last_timestamp_us: 0,
                    range: CompactRange::new(),
                    checkpoint_count: 0,
                }));
            }
            Frame::Entry(e) => {
                let t = self.tenant(e.tenant_id, at)?;
                let header = Header::decode(e.header)
                    .ok_or_else(|| Corruption::new(at, "invalid entry header"))?;
                if header.tenant != t.name
                    || header.position != t.size
                    || header.timestamp_us < t.last_timestamp_us
                {
                    return Err(Corruption::new(
                        at,
                        format!(
                            "entry {}#{} does not continue {}#{}",
                            header.tenant, header.position, t.name, t.size
                        ),
                    )
                    .into());
                }
                let leaf =
                    entry::leaf_hash(e.header, &entry::record_commitment(&e.field_commitments()));
                if entry::chain_hash(&t.chain, &leaf) != e.chain {
                    return Err(Corruption::new(at, "hash chain broken").into());
                }
                t.push_entry(leaf, e.chain, header.timestamp_us, location);
            }
            Frame::Checkpoint {
                tenant_id,
                size,
                root,
                note,
            } => {
                let t = self.tenant(tenant_id, at)?;
                let expected = if size == t.size {
                    Some(t.range.root())
                } else {
                    None
                };
                if size > t.size
                    || crate::checkpoint::Checkpoint::from_note(note)
                        .is_none_or(|cp| cp.size != size || cp.root != root)
                {
                    return Err(
                        Corruption::new(at, "checkpoint beyond the log or unreadable").into(),
                    );
                }
                if let Some(expected) = expected
                    && expected != root
                {
                    return Err(
                        Corruption::new(at, "checkpoint root does not match the log").into(),
                    );
                }
                t.push_checkpoint(size, &root, location);
                if expected.is_none() {
                    // An older size: check against the rebuilt tree on disk.
                    self.flush_derived()?;
                    let t = self.tenant(tenant_id, at)?;
                    if merkle::root_at(&t.files, size)? != root {
                        return Err(
                            Corruption::new(at, "checkpoint root does not match the log").into(),
                        );
                    }
                }
            }
        }
        if self
            .tenants
            .iter()
            .map(TenantLog::pending_derived_bytes)
            .sum::<usize>()
            > REPLAY_DERIVED_BYTES_MAX
        {
            self.flush_derived()?;
        }
        Ok(())
    }

    fn tenant(&mut self, id: u32, at: &str) -> Result<&mut TenantLog, OpenError> {
        let count = self.tenants.len();
        id.checked_sub(1)
            .and_then(|i| self.tenants.get_mut(i as usize))
            .ok_or_else(|| {
                Corruption::new(at, format!("unknown tenant id {id} (have {count})")).into()
            })
    }

    fn flush_derived(&mut self) -> io::Result<()> {
        let mut writes = tenant::DerivedWrites::default();
        for t in self.tenants.iter_mut() {
            t.take_derived(&mut writes);
        }
        writes.apply()
    }
}

fn check_segment_header(file: &dyn StorageFile, id: u64) -> Result<(), OpenError> {
    let mut header = [0u8; SEGMENT_HEADER_BYTES as usize];
    let valid = file.read_exact_at(&mut header, 0).is_ok()
        && frame::parse_segment_header(&header) == Some(id);
    if valid {
        Ok(())
    } else {
        Err(Corruption::new(segment_path(id), "invalid segment header").into())
    }
}

/// Whether a segment file holds nothing but what a crash right after its creation leaves:
/// fewer bytes than a header, or only zeros.
fn never_written(file: &dyn StorageFile, len: u64) -> io::Result<bool> {
    if len < SEGMENT_HEADER_BYTES {
        return Ok(true);
    }
    let mut offset = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while offset < len {
        let n = (len - offset).min(buf.len() as u64) as usize;
        file.read_exact_at(&mut buf[..n], offset)?;
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        offset += n as u64;
    }
    Ok(true)
}

/// Where the valid frames after `start` end: the end of the last complete batch before any
/// damage. Damage that is not a torn tail of the last segment is an error.
fn valid_end(
    file: &dyn StorageFile,
    path: &str,
    start: u64,
    len: u64,
    is_last: bool,
) -> Result<u64, OpenError> {
    let mut cursor = FrameCursor::new(file, start, len);
    let mut complete_end = start;
    // The batch in progress: frames still expected after the last one read.
    let mut batch_remaining: HashMap<u32, u32> = HashMap::new();
    loop {
        match cursor.next()? {
            Step::Frame {
                offset,
                len: frame_len,
            } => {
                let at = format!("{path} offset {offset}");
                let frame = frame::decode(cursor.body()).ok_or_else(|| {
                    Corruption::new(at.as_str(), "frame passes its checksum but does not decode")
                })?;
                let open_batch = batch_remaining.values().any(|&r| r > 0);
                match frame {
                    Frame::Entry(e) => {
                        if open_batch && batch_remaining.get(&e.tenant_id).is_none_or(|&r| r == 0) {
                            return Err(
                                Corruption::new(at, "frames of two batches interleave").into()
                            );
                        }
                        batch_remaining.insert(e.tenant_id, e.batch_remaining);
                    }
                    _ if open_batch => {
                        return Err(Corruption::new(at, "a frame interrupts a batch").into());
                    }
                    _ => {}
                }
                if batch_remaining.values().all(|&r| r == 0) {
                    complete_end = offset + frame_len;
                }
            }
            Step::End => {
                if batch_remaining.values().any(|&r| r > 0) && !is_last {
                    return Err(Corruption::new(path, "segment ends inside a batch").into());
                }
                return Ok(complete_end);
            }
            Step::Damaged { offset } => {
                if !is_last || cursor::frame_follows(file, offset, len)? {
                    return Err(Corruption::new(
                        format!("{path} offset {offset}"),
                        "damaged frame in the middle of the log",
                    )
                    .into());
                }
                return Ok(complete_end);
            }
        }
    }
}
