//! One tenant's log state and its derived files.
//!
//! Three append-only files per tenant, all derived from the segments and rebuilt from them on
//! recovery, so none is fsynced on the commit path:
//! - `tenants/<id>.tree`: every complete Merkle node, 32 bytes each, in post-order
//!   (`merkle::node_position`), so any proof needs O(log n) reads and no rehashing;
//! - `tenants/<id>.index`: for each position, a u64 `segment << 32 | offset` of its frame;
//! - `tenants/<id>.checkpoints`: for each signed checkpoint, `u64 size || root || u64 location`.
//!
//! Invariants: `size`, `chain`, `range` describe every entry enqueued (durable or not);
//! `durable_size <= size`; the files hold at least the records for `durable_size` entries,
//! and the `pending_*` buffers hold exactly the records between what was written and `size`.

use std::io;
use std::sync::Arc;

use crate::checkpoint::Checkpoint;
use crate::entry::{Hash, TenantName};
use crate::merkle::{self, CompactRange, NodeReader};
use crate::storage::{Storage, StorageFile};

pub(crate) const INDEX_RECORD_BYTES: u64 = 8;
pub(crate) const CHECKPOINT_RECORD_BYTES: u64 = 8 + 32 + 8;
const NODE_BYTES: u64 = 32;

/// Where a frame is: `segment << 32 | offset`.
pub(crate) fn location(segment: u64, offset: u64) -> u64 {
    assert!(
        segment <= u64::from(u32::MAX) && offset <= u64::from(u32::MAX),
        "location overflow"
    );
    segment << 32 | offset
}

pub(crate) fn split_location(location: u64) -> (u64, u64) {
    (location >> 32, location & u64::from(u32::MAX))
}

/// The tenant's derived files; cheap to clone for readers.
#[derive(Debug, Clone)]
pub(crate) struct TenantFiles {
    pub(crate) tree: Arc<dyn StorageFile>,
    pub(crate) index: Arc<dyn StorageFile>,
    pub(crate) checkpoints: Arc<dyn StorageFile>,
}

impl TenantFiles {
    pub(crate) fn paths(id: u32) -> [String; 3] {
        ["tree", "index", "checkpoints"].map(|ext| format!("tenants/{id:08}.{ext}"))
    }

    pub(crate) fn open(storage: &dyn Storage, id: u32) -> io::Result<TenantFiles> {
        let [tree, index, checkpoints] = TenantFiles::paths(id);
        Ok(TenantFiles {
            tree: storage.open(&tree)?,
            index: storage.open(&index)?,
            checkpoints: storage.open(&checkpoints)?,
        })
    }

    /// Cuts the files to the records of `size` entries and `checkpoints` checkpoints; an
    /// error if any is shorter than that (the recovery state promised them).
    pub(crate) fn truncate_to(&self, size: u64, checkpoints: u64) -> io::Result<bool> {
        let wanted = [
            (&self.tree, merkle::node_count(size) * NODE_BYTES),
            (&self.index, size * INDEX_RECORD_BYTES),
            (&self.checkpoints, checkpoints * CHECKPOINT_RECORD_BYTES),
        ];
        for (file, len) in wanted {
            if file.size_bytes()? < len {
                return Ok(false);
            }
        }
        for (file, len) in wanted {
            file.set_len(len)?;
        }
        Ok(true)
    }

    pub(crate) fn sync(&self) -> io::Result<()> {
        self.tree.sync()?;
        self.index.sync()?;
        self.checkpoints.sync()
    }

    /// Frame locations of entries `start..start + out.len()`.
    pub(crate) fn entry_locations(&self, start: u64, out: &mut [u64]) -> io::Result<()> {
        let mut buf = vec![0u8; out.len() * 8];
        self.index
            .read_exact_at(&mut buf, start * INDEX_RECORD_BYTES)?;
        for (slot, bytes) in out.iter_mut().zip(buf.chunks_exact(8)) {
            *slot = u64::from_be_bytes(bytes.try_into().expect("chunks_exact(8)"));
        }
        Ok(())
    }

    /// Checkpoint record `i`: `(size, root, location of its frame)`.
    pub(crate) fn checkpoint_record(&self, i: u64) -> io::Result<(u64, Hash, u64)> {
        let mut buf = [0u8; CHECKPOINT_RECORD_BYTES as usize];
        self.checkpoints
            .read_exact_at(&mut buf, i * CHECKPOINT_RECORD_BYTES)?;
        Ok(decode_checkpoint_record(&buf))
    }
}

fn decode_checkpoint_record(buf: &[u8; CHECKPOINT_RECORD_BYTES as usize]) -> (u64, Hash, u64) {
    let size = u64::from_be_bytes(buf[..8].try_into().expect("8 bytes"));
    let root = buf[8..40].try_into().expect("32 bytes");
    let location = u64::from_be_bytes(buf[40..].try_into().expect("8 bytes"));
    (size, root, location)
}

impl NodeReader for TenantFiles {
    type Error = io::Error;
    fn node(&self, level: u32, index: u64) -> io::Result<Hash> {
        let mut hash = [0u8; 32];
        self.tree
            .read_exact_at(&mut hash, merkle::node_position(level, index) * NODE_BYTES)?;
        Ok(hash)
    }
}

/// A tenant as the writer sees it.
#[derive(Debug)]
pub(crate) struct TenantLog {
    pub(crate) id: u32,
    pub(crate) name: TenantName,
    pub(crate) origin: String,
    pub(crate) files: TenantFiles,
    pub(crate) size: u64,
    pub(crate) chain: Hash,
    pub(crate) last_timestamp_us: u64,
    pub(crate) range: CompactRange,
    pub(crate) checkpoint_count: u64,
    pub(crate) durable_size: u64,
    pub(crate) durable_checkpoint_count: u64,
    /// The last checkpoint signed (durable or not), with the ticket that makes it durable.
    pub(crate) last_signed: Option<(Checkpoint, u64)>,
    /// The last checkpoint known durable.
    pub(crate) latest_durable: Option<Checkpoint>,
    pending_tree: Vec<u8>,
    pending_index: Vec<u8>,
    pending_checkpoints: Vec<u8>,
    tree_written: u64,
    index_written: u64,
    checkpoints_written: u64,
}

/// The tenant's end after a batch: what `push_sealed` applies.
#[derive(Debug)]
pub(crate) struct SealedTail {
    pub(crate) entries: u64,
    pub(crate) range: CompactRange,
    pub(crate) chain: Hash,
    /// Tree nodes completed by the batch's leaves, 32 bytes each, post-order.
    pub(crate) nodes: Vec<u8>,
}

/// Derived bytes to write at known offsets.
#[derive(Debug, Default)]
pub(crate) struct DerivedWrites {
    pub(crate) writes: Vec<(Arc<dyn StorageFile>, u64, Vec<u8>)>,
}

impl DerivedWrites {
    /// Bytes to write.
    pub(crate) fn len(&self) -> usize {
        self.writes.iter().map(|(_, _, bytes)| bytes.len()).sum()
    }

    pub(crate) fn apply(&self) -> io::Result<()> {
        for (file, offset, bytes) in &self.writes {
            file.write_all_at(bytes, *offset)?;
        }
        Ok(())
    }
}

pub(crate) struct TenantInit {
    pub(crate) id: u32,
    pub(crate) name: TenantName,
    pub(crate) origin: String,
    pub(crate) files: TenantFiles,
    pub(crate) size: u64,
    pub(crate) chain: Hash,
    pub(crate) last_timestamp_us: u64,
    pub(crate) range: CompactRange,
    pub(crate) checkpoint_count: u64,
}

impl TenantLog {
    pub(crate) fn new(init: TenantInit) -> TenantLog {
        let TenantInit {
            id,
            name,
            origin,
            files,
            size,
            chain,
            last_timestamp_us,
            range,
            checkpoint_count,
        } = init;
        assert_eq!(range.size(), size, "compact range and size disagree");
        TenantLog {
            id,
            name,
            origin,
            files,
            size,
            chain,
            last_timestamp_us,
            range,
            checkpoint_count,
            durable_size: size,
            durable_checkpoint_count: checkpoint_count,
            last_signed: None,
            latest_durable: None,
            pending_tree: Vec::new(),
            pending_index: Vec::new(),
            pending_checkpoints: Vec::new(),
            tree_written: merkle::node_count(size) * NODE_BYTES,
            index_written: size * INDEX_RECORD_BYTES,
            checkpoints_written: checkpoint_count * CHECKPOINT_RECORD_BYTES,
        }
    }

    /// Records entry `self.size` with `leaf` and `chain`, stored at `location`.
    pub(crate) fn push_entry(&mut self, leaf: Hash, chain: Hash, timestamp_us: u64, location: u64) {
        let tree = &mut self.pending_tree;
        self.range.append(leaf, |node| tree.extend_from_slice(node));
        self.pending_index
            .extend_from_slice(&location.to_be_bytes());
        self.size += 1;
        self.chain = chain;
        self.last_timestamp_us = timestamp_us;
    }

    /// Records a batch sealed against this tenant's current end: `nodes` are the tree nodes
    /// its leaves complete, in post-order; `offsets` the frame offsets in `segment`.
    pub(crate) fn push_sealed(
        &mut self,
        sealed: &SealedTail,
        timestamp_us: u64,
        segment: u64,
        offsets: impl Iterator<Item = u64>,
    ) {
        assert_eq!(
            sealed.range.size(),
            self.size + sealed.entries,
            "a sealed batch must continue the tenant"
        );
        self.pending_tree.extend_from_slice(&sealed.nodes);
        for offset in offsets {
            self.pending_index
                .extend_from_slice(&location(segment, offset).to_be_bytes());
        }
        self.size = sealed.range.size();
        self.range = sealed.range.clone();
        self.chain = sealed.chain;
        self.last_timestamp_us = timestamp_us;
    }

    pub(crate) fn push_checkpoint(&mut self, size: u64, root: &Hash, location: u64) {
        self.pending_checkpoints
            .extend_from_slice(&size.to_be_bytes());
        self.pending_checkpoints.extend_from_slice(root);
        self.pending_checkpoints
            .extend_from_slice(&location.to_be_bytes());
        self.checkpoint_count += 1;
    }

    /// Moves the pending derived bytes into `out`, to be written by the committer.
    pub(crate) fn take_derived(&mut self, out: &mut DerivedWrites) {
        let parts = [
            (
                &self.files.tree,
                &mut self.pending_tree,
                &mut self.tree_written,
            ),
            (
                &self.files.index,
                &mut self.pending_index,
                &mut self.index_written,
            ),
            (
                &self.files.checkpoints,
                &mut self.pending_checkpoints,
                &mut self.checkpoints_written,
            ),
        ];
        for (file, pending, written) in parts {
            if !pending.is_empty() {
                let bytes = std::mem::take(pending);
                let offset = *written;
                *written += bytes.len() as u64;
                out.writes.push((Arc::clone(file), offset, bytes));
            }
        }
    }

    pub(crate) fn pending_derived_bytes(&self) -> usize {
        self.pending_tree.len() + self.pending_index.len() + self.pending_checkpoints.len()
    }

    pub(crate) fn snapshot(&self) -> super::state::TenantSnapshot {
        super::state::TenantSnapshot {
            id: self.id,
            name: self.name.as_str().to_owned(),
            size: self.size,
            chain: self.chain,
            last_timestamp_us: self.last_timestamp_us,
            range: self.range.hashes().to_vec(),
            checkpoints: self.checkpoint_count,
        }
    }
}
