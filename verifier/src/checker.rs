//! Checking entry frames in batches, so a caller with threads can use several cores.
//!
//! Most of the work of verifying an export is per entry and depends on no other frame:
//! parsing the record, checking disclosed fields against their commitments, recomputing the
//! leaf. Only the rest — tenant, position and timestamp against the log so far, the chain, the
//! Merkle tree, checkpoints — must run in order. An `ExportVerifier` built with
//! [`ExportVerifier::with_entry_checker`](crate::ExportVerifier::with_entry_checker) collects
//! consecutive entry frames and hands each batch to an [`EntryChecker`]; it then applies the
//! results in order, so the report is exactly the one of the plain verifier (same reason,
//! position and byte count), whatever the checker's parallelism. The library itself starts no
//! thread: a checker that uses threads belongs to the caller (the CLI has one).

use crate::bytes::{Reader, hash_from_slice};
use crate::entry;
use crate::hash::Hash;
use crate::limits::TENANT_NAME_BYTES_MAX;
use crate::reason::Reason;
use crate::report::Failure;

/// Checks the order-independent part of entry frames.
pub trait EntryChecker: Send + Sync + core::fmt::Debug {
    /// Returns one result per frame body, in order. Implementations call
    /// [`check_entry_frame`] on each, on whatever threads they like.
    fn check_batch(&self, frames: &[&[u8]]) -> Vec<EntryCheck>;
}

/// Checks every frame on the calling thread: the batching path without parallelism.
#[derive(Clone, Copy, Debug, Default)]
pub struct SequentialChecker;

impl EntryChecker for SequentialChecker {
    fn check_batch(&self, frames: &[&[u8]]) -> Vec<EntryCheck> {
        let mut names = Vec::new();
        frames
            .iter()
            .map(|frame| EntryCheck(precheck(frame, &mut names)))
            .collect()
    }
}

/// The order-independent verdict on one entry frame (opaque: only an `ExportVerifier` reads it).
#[derive(Clone, Debug)]
pub struct EntryCheck(pub(crate) Result<EntrySummary, Failure>);

/// Checks one entry frame body on its own: structure and header, then disclosed fields and the
/// leaf (entry.md §7). Thread-safe and pure.
pub fn check_entry_frame(body: &[u8]) -> EntryCheck {
    EntryCheck(precheck(body, &mut Vec::new()))
}

/// What the in-order checks need of an entry frame.
#[derive(Clone, Debug)]
pub(crate) struct EntrySummary {
    tenant: [u8; TENANT_NAME_BYTES_MAX],
    tenant_len: u8,
    pub(crate) position: u64,
    pub(crate) timestamp_us: u64,
    pub(crate) leaf: Hash,
    pub(crate) stated_chain: Hash,
    /// Steps 3–4 of entry.md §7, reported only after the in-order context checks pass.
    pub(crate) hashed: Result<(), Failure>,
}

impl EntrySummary {
    pub(crate) fn tenant(&self) -> &str {
        // Built from a validated tenant name (ASCII), so this cannot fail.
        core::str::from_utf8(&self.tenant[..usize::from(self.tenant_len)]).unwrap_or_default()
    }
}

/// Steps 1–2 fail at once (`Err`); steps 3–4 are kept in `hashed` for later.
pub(crate) fn precheck(
    body: &[u8],
    names: &mut Vec<(usize, usize)>,
) -> Result<EntrySummary, Failure> {
    let mut reader = Reader::new(body);
    let record = entry::parse_record(&mut reader, names)?;
    let stated_chain = hash_from_slice(reader.rest()).ok_or_else(|| {
        Failure::new(
            Reason::MalformedEntry,
            "an entry frame is not exactly a record and a 32-byte chain",
        )
    })?;
    let hashed = entry::check_disclosed(&record).and_then(|()| entry::check_leaf(&record));
    let name = record.header.tenant.as_bytes();
    let mut tenant = [0u8; TENANT_NAME_BYTES_MAX];
    tenant[..name.len()].copy_from_slice(name);
    Ok(EntrySummary {
        tenant,
        tenant_len: u8::try_from(name.len()).expect("tenant names are at most 64 bytes"),
        position: record.header.position,
        timestamp_us: record.header.timestamp_us,
        leaf: record.leaf,
        stated_chain,
        hashed,
    })
}
