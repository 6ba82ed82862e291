//! Streaming verification of export files (`docs/spec/export.md`, verdicts.md §2).
//!
//! Input arrives in chunks of any size; the verifier buffers at most one unit (the 10-byte
//! start, a 5-byte frame prefix, or one frame body of at most `EXPORT_FRAME_BODY_BYTES_MAX`,
//! refused from the prefix alone when longer)
//! and keeps only scalar state and a compact range of at most 48 hashes. A unit is processed
//! when it is complete, so the report (including `bytes` and `position`) is the same for every
//! way of cutting the input into chunks. A frame that a chunk holds whole is checked in place,
//! without copying.

use std::sync::Arc;

use crate::bytes::{Reader, hash_from_slice};
use crate::checker::{EntryChecker, EntrySummary, precheck};
use crate::entry;
use crate::hash::{self, Hash};
use crate::keys::TrustedKeys;
use crate::limits::{EXPORT_FRAME_BODY_BYTES_MAX, NOTE_BYTES_MAX, PROOF_HASHES_MAX, TREE_SIZE_MAX};
use crate::merkle::{self, CompactRange, ProofError};
use crate::note;
use crate::reason::Reason;
use crate::report::{Failure, Kind, Progress, Range, Report};

/// `0x89 'V' 'D' 'B' 'E' 'X' 'P' 0x0A`.
const MAGIC: [u8; 8] = [0x89, b'V', b'D', b'B', b'E', b'X', b'P', b'\n'];
/// The only export `format_version` this verifier knows.
const EXPORT_FORMAT_VERSION: u16 = 1;
const START_BYTES: usize = 10;
const FRAME_PREFIX_BYTES: usize = 5;
const TRAILER_BODY_BYTES: usize = 40;

const FRAME_HEADER: u8 = 1;
const FRAME_ENTRY: u8 = 2;
const FRAME_CHECKPOINT: u8 = 3;
const FRAME_TRAILER: u8 = 4;

/// Entry frames collected before a batch goes to the checker (with `with_entry_checker`):
/// bounds the memory of the batching path.
const CHECK_BATCH_BYTES_MAX: usize = 4 * 1024 * 1024;
const _: () = assert!(CHECK_BATCH_BYTES_MAX >= EXPORT_FRAME_BODY_BYTES_MAX);

/// Verifies a whole export held in memory. Same result as feeding it to an `ExportVerifier`.
pub fn verify_export(bytes: &[u8], keys: &TrustedKeys) -> Report {
    let mut verifier = ExportVerifier::new(keys);
    verifier.update(bytes);
    verifier.finish()
}

/// A one-pass, constant-memory export verifier: feed chunks with `update`, then `finish`.
///
/// ```
/// use veritydb_verify::{ExportVerifier, Reason, TrustedKeys};
/// let keys = TrustedKeys::default();
/// let mut verifier = ExportVerifier::new(&keys);
/// verifier.update(b"\x89VDBEXP\n");
/// assert_eq!(verifier.finish().reason, Reason::Truncated);
/// ```
#[derive(Clone, Debug)]
pub struct ExportVerifier {
    keys: TrustedKeys,
    report: Report,
    stage: Stage,
    /// The part of the current unit received so far, when a chunk ended inside it.
    buffer: Vec<u8>,
    /// Set by the header frame.
    log: Option<LogState>,
    /// Scratch space for entry parsing, reused for every entry.
    names: Vec<(usize, usize)>,
    /// With a checker: entry frames waiting to be checked as a batch.
    checker: Option<Arc<dyn EntryChecker>>,
    pending: Vec<u8>,
    /// Each pending frame's body in `pending`, and `bytes` just past it.
    pending_frames: Vec<(core::ops::Range<usize>, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the magic and the format version.
    Start,
    /// Waiting for a frame's type and length.
    FramePrefix,
    /// Waiting for a frame body of this type and length.
    FrameBody { frame_type: u8, len: usize },
    /// The trailer verified; any further byte is trailing data.
    AfterTrailer,
    /// A failure is recorded; further input is ignored.
    Failed,
}

/// The state of verdicts.md §2 after the header frame.
#[derive(Clone, Debug)]
struct LogState {
    origin: String,
    tenant: String,
    from: u64,
    to: u64,
    /// `s`: the next expected position; the compact range covers `[0, s)`.
    range: CompactRange,
    chain: Hash,
    previous_timestamp_us: Option<u64>,
    previous_checkpoint: Option<(u64, Hash)>,
    covered: bool,
}

impl LogState {
    fn next_position(&self) -> u64 {
        self.range.size()
    }
}

impl ExportVerifier {
    /// A verifier that trusts `keys` (copied, so the verifier owns its state).
    pub fn new(keys: &TrustedKeys) -> ExportVerifier {
        ExportVerifier {
            keys: keys.clone(),
            report: Report::new(Kind::Export),
            stage: Stage::Start,
            buffer: Vec::new(),
            log: None,
            names: Vec::new(),
            checker: None,
            pending: Vec::new(),
            pending_frames: Vec::new(),
        }
    }

    /// A verifier that hands consecutive entry frames, in batches of up to 4 MiB, to
    /// `checker` (which may check them on several threads) and applies the results in order.
    /// The report is identical to the one of [`ExportVerifier::new`]; `progress` may lag by
    /// one batch.
    pub fn with_entry_checker(
        keys: &TrustedKeys,
        checker: Arc<dyn EntryChecker>,
    ) -> ExportVerifier {
        ExportVerifier {
            checker: Some(checker),
            ..ExportVerifier::new(keys)
        }
    }

    /// Feeds the next bytes of the export. Any chunking gives the same report.
    pub fn update(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            let need = match self.stage {
                Stage::Failed => return,
                Stage::AfterTrailer => {
                    self.report.bytes += 1;
                    let failure = Failure::new(Reason::TrailingData, "bytes follow the trailer");
                    self.fail(failure);
                    return;
                }
                Stage::Start => START_BYTES,
                Stage::FramePrefix => FRAME_PREFIX_BYTES,
                Stage::FrameBody { len, .. } => len,
            };
            if self.buffer.is_empty() && input.len() >= need {
                let (unit, rest) = input.split_at(need);
                input = rest;
                self.report.bytes += need as u64;
                self.process(unit);
            } else {
                let take = (need - self.buffer.len()).min(input.len());
                let (part, rest) = input.split_at(take);
                input = rest;
                self.report.bytes += take as u64;
                self.buffer.extend_from_slice(part);
                if self.buffer.len() == need {
                    let unit = core::mem::take(&mut self.buffer);
                    self.process(&unit);
                    self.buffer = unit;
                    self.buffer.clear();
                }
            }
        }
    }

    /// Bytes consumed and entries verified so far.
    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.report.bytes,
            entries: self.report.entries,
        }
    }

    /// Whether a failure has been found: further input cannot change the report.
    pub fn has_failed(&self) -> bool {
        self.stage == Stage::Failed
    }

    /// Ends the input and returns the report.
    pub fn finish(mut self) -> Report {
        if self.stage != Stage::Failed && !self.flush_pending() {
            return self.report;
        }
        match self.stage {
            Stage::Failed => {}
            Stage::AfterTrailer => {
                if let Some(log) = &self.log {
                    self.report.message = format!(
                        "verified entries {}..{} of {}, covered by {} signed checkpoint(s)",
                        log.from, log.to, log.origin, self.report.checkpoints
                    );
                }
            }
            Stage::Start => {
                let failure = start_failure(&self.buffer);
                self.fail(failure);
            }
            Stage::FramePrefix | Stage::FrameBody { .. } => {
                let failure = Failure::new(Reason::Truncated, "the export ends before its trailer");
                self.fail(failure);
            }
        }
        self.report
    }

    /// Checks one complete unit of the current stage.
    fn process(&mut self, unit: &[u8]) {
        let entry_body = matches!(
            self.stage,
            Stage::FrameBody {
                frame_type: FRAME_ENTRY,
                ..
            }
        );
        if entry_body && self.checker.is_some() && self.log.is_some() {
            self.stage = Stage::FramePrefix;
            self.pend(unit);
            return;
        }
        // Every unit but a frame prefix depends on the entries before it.
        if self.stage != Stage::FramePrefix && !self.flush_pending() {
            return;
        }
        let result = match self.stage {
            Stage::Start => self.process_start(unit),
            Stage::FramePrefix => self.process_prefix(unit),
            Stage::FrameBody { frame_type, .. } => {
                self.stage = Stage::FramePrefix;
                self.check_frame_type(frame_type)
                    .and_then(|()| match frame_type {
                        FRAME_HEADER => self.process_header(unit),
                        FRAME_ENTRY => self.process_entry(unit),
                        FRAME_CHECKPOINT => self.process_checkpoint(unit),
                        _ => self.process_trailer(unit),
                    })
            }
            Stage::AfterTrailer | Stage::Failed => Ok(()),
        };
        // A failure of an earlier, still pending entry comes first.
        if let Err(failure) = result
            && self.flush_pending()
        {
            self.fail(failure);
        }
    }

    /// Queues an entry frame body for the checker, checking the batch once it is full.
    fn pend(&mut self, body: &[u8]) {
        let start = self.pending.len();
        self.pending.extend_from_slice(body);
        self.pending_frames
            .push((start..self.pending.len(), self.report.bytes));
        if self.pending.len() >= CHECK_BATCH_BYTES_MAX - EXPORT_FRAME_BODY_BYTES_MAX {
            self.flush_pending();
        }
    }

    /// Checks the pending entry frames and applies them in order; false if one failed (the
    /// report then holds that failure, with `bytes` just past its frame).
    fn flush_pending(&mut self) -> bool {
        let Some(checker) = self.checker.clone() else {
            return true;
        };
        if self.pending_frames.is_empty() {
            return true;
        }
        let frames: Vec<&[u8]> = self
            .pending_frames
            .iter()
            .map(|(range, _)| &self.pending[range.clone()])
            .collect();
        let checks = checker.check_batch(&frames);
        assert_eq!(
            checks.len(),
            frames.len(),
            "an EntryChecker must return one result per frame"
        );
        let pending_frames = core::mem::take(&mut self.pending_frames);
        self.pending.clear();
        for (check, (_, bytes_after)) in checks.into_iter().zip(pending_frames) {
            if let Err(failure) = check.0.and_then(|summary| self.apply_entry(summary)) {
                self.report.bytes = bytes_after;
                self.fail(failure);
                return false;
            }
        }
        true
    }

    fn fail(&mut self, failure: Failure) {
        let position = self.log.as_ref().map(LogState::next_position);
        self.report.fail(failure, position);
        self.stage = Stage::Failed;
    }

    fn process_start(&mut self, start: &[u8]) -> Result<(), Failure> {
        if start[..8] != MAGIC {
            return Err(Failure::new(
                Reason::MalformedFrame,
                "not an export: wrong magic bytes",
            ));
        }
        let version = u16::from_be_bytes([start[8], start[9]]);
        if version != EXPORT_FORMAT_VERSION {
            return Err(Failure::new(
                Reason::UnsupportedVersion,
                format!("export format_version {version} is not supported (only 1)"),
            ));
        }
        self.stage = Stage::FramePrefix;
        Ok(())
    }

    fn process_prefix(&mut self, prefix: &[u8]) -> Result<(), Failure> {
        let frame_type = prefix[0];
        let len = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > EXPORT_FRAME_BODY_BYTES_MAX {
            return Err(Failure::new(
                Reason::LimitExceeded,
                format!("a frame body of {len} bytes exceeds export_frame_body_bytes_max"),
            ));
        }
        self.stage = Stage::FrameBody { frame_type, len };
        if len == 0 {
            // An empty body is complete now; it must not wait for input that may never come.
            self.process(&[]);
        }
        Ok(())
    }

    /// Known type and in place (verdicts.md §2.2), checked once the whole body has arrived:
    /// a body cut off by the end of input is `truncated` whatever its type.
    fn check_frame_type(&self, frame_type: u8) -> Result<(), Failure> {
        let frame_error = |why: String| Err(Failure::new(Reason::MalformedFrame, why));
        if !(FRAME_HEADER..=FRAME_TRAILER).contains(&frame_type) {
            return frame_error(format!("unknown frame type {frame_type}"));
        }
        match (self.log.is_some(), frame_type) {
            (false, FRAME_HEADER) | (true, FRAME_ENTRY | FRAME_CHECKPOINT | FRAME_TRAILER) => {
                Ok(())
            }
            (false, _) => frame_error("the first frame is not a header".to_owned()),
            (true, _) => frame_error("a second header frame".to_owned()),
        }
    }

    fn process_header(&mut self, body: &[u8]) -> Result<(), Failure> {
        let malformed = |why: &str| {
            Failure::new(
                Reason::MalformedFrame,
                format!("malformed header frame: {why}"),
            )
        };
        let mut reader = Reader::new(body);
        let cut = || malformed("cut short");
        let origin = reader.str16().ok_or_else(cut)?;
        let origin = core::str::from_utf8(origin)
            .ok()
            .filter(|origin| (1..=crate::limits::ORIGIN_BYTES_MAX).contains(&origin.len()))
            .ok_or_else(|| malformed("the origin is not 1..=256 bytes of UTF-8"))?;
        let tenant = reader.str8().ok_or_else(cut)?;
        let from = reader.u64().ok_or_else(cut)?;
        let to = reader.u64().ok_or_else(cut)?;
        if from > to || to > TREE_SIZE_MAX {
            return Err(malformed("not from <= to <= tree_size_max"));
        }
        let chain_prev = reader.hash().ok_or_else(cut)?;
        let left_count = reader.u8().ok_or_else(cut)?;
        if u32::from(left_count) != from.count_ones() {
            return Err(malformed("left_count is not popcount(from)"));
        }
        let left = reader.take(usize::from(left_count) * 32).ok_or_else(cut)?;
        if !reader.is_empty() {
            return Err(malformed("bytes after the compact range"));
        }
        let mut hashes = [[0u8; 32]; crate::limits::COMPACT_RANGE_HASHES_MAX];
        for (slot, chunk) in hashes.iter_mut().zip(left.chunks_exact(32)) {
            *slot = hash_from_slice(chunk).expect("chunks_exact yields 32-byte chunks");
        }
        let range = CompactRange::from_hashes(from, &hashes[..usize::from(left_count)])
            .expect("left_count = popcount(from) and from <= tree_size_max were checked");
        let tenant = entry::parse_tenant(tenant).ok_or_else(|| {
            Failure::new(
                Reason::MalformedEntry,
                "the header's tenant name is invalid",
            )
        })?;
        if !names_tenant(origin, tenant) {
            return Err(Failure::new(
                Reason::TenantMismatch,
                format!("the origin {origin:?} does not end with \"/{tenant}\""),
            ));
        }
        if from == 0 && chain_prev != [0; 32] {
            return Err(Failure::new(
                Reason::ChainBreak,
                "from = 0 but chain_prev is not zero",
            ));
        }
        self.report.range = Some(Range { from, to });
        self.report.origin = Some(origin.to_owned());
        self.report.tenants = 1;
        self.log = Some(LogState {
            origin: origin.to_owned(),
            tenant: tenant.to_owned(),
            from,
            to,
            range,
            chain: chain_prev,
            previous_timestamp_us: None,
            previous_checkpoint: None,
            covered: false,
        });
        Ok(())
    }

    fn process_entry(&mut self, body: &[u8]) -> Result<(), Failure> {
        let summary = precheck(body, &mut self.names)?;
        self.apply_entry(summary)
    }

    /// The in-order part of an entry's checks (verdicts.md §2.4): context, then the hashes
    /// checked beforehand, then the chain.
    fn apply_entry(&mut self, summary: EntrySummary) -> Result<(), Failure> {
        let log = self
            .log
            .as_mut()
            .expect("entry frames are refused before the header");
        check_entry_context(log, &summary, &mut self.report)?;
        summary.hashed?;
        if hash::chain(&log.chain, &summary.leaf) != summary.stated_chain {
            return Err(Failure::new(
                Reason::ChainBreak,
                format!(
                    "the chain hash of position {} differs from the recomputed one",
                    log.next_position()
                ),
            ));
        }
        log.range.append(&summary.leaf);
        log.chain = summary.stated_chain;
        log.previous_timestamp_us = Some(summary.timestamp_us);
        self.report.entries += 1;
        Ok(())
    }

    fn process_checkpoint(&mut self, body: &[u8]) -> Result<(), Failure> {
        let log = self
            .log
            .as_mut()
            .expect("checkpoint frames are refused before the header");
        let malformed = |why: &str| {
            Failure::new(
                Reason::MalformedFrame,
                format!("malformed checkpoint frame: {why}"),
            )
        };
        let mut reader = Reader::new(body);
        let note = reader.bytes32().ok_or_else(|| malformed("cut short"))?;
        let proof_count = usize::from(reader.u8().ok_or_else(|| malformed("cut short"))?);
        let proof_bytes = reader
            .take(proof_count * 32)
            .ok_or_else(|| malformed("cut short"))?;
        if !reader.is_empty() {
            return Err(malformed("bytes after the proof"));
        }
        if note.len() > NOTE_BYTES_MAX {
            return Err(Failure::new(
                Reason::LimitExceeded,
                "a checkpoint note exceeds note_bytes_max",
            ));
        }
        if proof_count > PROOF_HASHES_MAX {
            return Err(Failure::new(
                Reason::LimitExceeded,
                "a consistency proof exceeds proof_hashes_max",
            ));
        }
        let checkpoint = note::verify_checkpoint(note, &self.keys, None)?;
        if checkpoint.origin != log.origin {
            return Err(Failure::new(
                Reason::OriginMismatch,
                format!(
                    "a checkpoint of {:?} in an export of {:?}",
                    checkpoint.origin, log.origin
                ),
            ));
        }
        let (size, root) = (checkpoint.size, checkpoint.root);
        check_checkpoint_place(log, size, &root, proof_bytes)?;
        log.previous_checkpoint = Some((size, root));
        log.covered |= size >= log.to;
        self.report.checkpoints += 1;
        self.report.tree_size = Some(size);
        self.report.root = Some(root);
        self.report.add_keys(&checkpoint.keys);
        Ok(())
    }

    fn process_trailer(&mut self, body: &[u8]) -> Result<(), Failure> {
        let log = self
            .log
            .as_ref()
            .expect("trailer frames are refused before the header");
        let mut reader = Reader::new(body);
        let (Some(entry_count), Some(final_chain), true) = (
            reader.u64(),
            reader.hash(),
            body.len() == TRAILER_BODY_BYTES,
        ) else {
            return Err(Failure::new(
                Reason::MalformedFrame,
                "the trailer body is not 40 bytes",
            ));
        };
        if log.next_position() < log.to {
            return Err(Failure::new(
                Reason::MissingEntries,
                format!(
                    "the trailer came after position {} of {}",
                    log.next_position(),
                    log.to
                ),
            ));
        }
        if entry_count != log.to - log.from {
            return Err(Failure::new(
                Reason::MalformedFrame,
                "the trailer's entry_count is not to - from",
            ));
        }
        if final_chain != log.chain {
            return Err(Failure::new(
                Reason::ChainBreak,
                "the trailer's final chain differs",
            ));
        }
        if !log.covered {
            return Err(Failure::new(
                Reason::Uncovered,
                "no checkpoint of size >= to covers the export",
            ));
        }
        self.stage = Stage::AfterTrailer;
        Ok(())
    }
}

/// Position, tenant and timestamp of an entry against the log state (verdicts.md §2.4).
fn check_entry_context(
    log: &LogState,
    header: &EntrySummary,
    report: &mut Report,
) -> Result<(), Failure> {
    let next = log.next_position();
    if next == log.to {
        return Err(Failure::new(
            Reason::PositionGap,
            format!(
                "an entry at position {} after the last position {} of the export",
                header.position, log.to
            ),
        ));
    }
    if header.tenant() != log.tenant {
        report.tenants = 2;
        return Err(Failure::new(
            Reason::TenantMismatch,
            format!(
                "an entry of tenant {:?} in the log of {:?}",
                header.tenant(),
                log.tenant
            ),
        ));
    }
    if header.position != next {
        return Err(Failure::new(
            Reason::PositionGap,
            format!("expected position {next}, found {}", header.position),
        ));
    }
    if log
        .previous_timestamp_us
        .is_some_and(|previous| header.timestamp_us < previous)
    {
        return Err(Failure::new(
            Reason::TimestampRegression,
            format!("the timestamp of position {next} is earlier than the previous entry's"),
        ));
    }
    Ok(())
}

/// Where a checkpoint of `size` and `root` may stand (verdicts.md §2.5, after the signature and
/// origin checks).
fn check_checkpoint_place(
    log: &LogState,
    size: u64,
    root: &Hash,
    proof_bytes: &[u8],
) -> Result<(), Failure> {
    let next = log.next_position();
    if let Some((previous_size, previous_root)) = log.previous_checkpoint {
        if previous_size == size && previous_root != *root {
            return Err(Failure::new(
                Reason::InconsistentCheckpoints,
                format!("two signed checkpoints of size {size} with different roots"),
            ));
        }
        if size <= previous_size {
            return Err(Failure::new(
                Reason::MisplacedCheckpoint,
                format!("a checkpoint of size {size} after one of size {previous_size}"),
            ));
        }
    }
    let root_mismatch = || {
        Failure::new(
            Reason::RootMismatch,
            format!("the root of the checkpoint of size {size} does not match the entries"),
        )
    };
    if size == next {
        if !proof_bytes.is_empty() {
            return Err(Failure::new(
                Reason::MalformedFrame,
                "a checkpoint at its own size carries a proof",
            ));
        }
        return if log.range.root() == *root {
            Ok(())
        } else {
            Err(root_mismatch())
        };
    }
    if size > next && next == log.to && log.to > 0 {
        let mut proof = [[0u8; 32]; PROOF_HASHES_MAX];
        let count = proof_bytes.len() / 32;
        for (slot, chunk) in proof.iter_mut().zip(proof_bytes.chunks_exact(32)) {
            *slot = hash_from_slice(chunk).expect("chunks_exact yields 32-byte chunks");
        }
        return match merkle::verify_consistency(
            log.to,
            size,
            &log.range.root(),
            root,
            &proof[..count],
        ) {
            Ok(()) => Ok(()),
            Err(ProofError::Shape) => Err(Failure::new(
                Reason::BadProof,
                format!(
                    "the consistency proof from {} to {size} has the wrong number of hashes",
                    log.to
                ),
            )),
            Err(ProofError::Mismatch) => Err(root_mismatch()),
        };
    }
    Err(Failure::new(
        Reason::MisplacedCheckpoint,
        format!("a checkpoint of size {size} where the export is at position {next}"),
    ))
}

/// The origin ends with `"/" || tenant`.
pub(crate) fn names_tenant(origin: &str, tenant: &str) -> bool {
    origin
        .strip_suffix(tenant)
        .is_some_and(|node| node.ends_with('/'))
}

/// The verdict on an input shorter than the 10-byte start (verdicts.md §2.1).
fn start_failure(start: &[u8]) -> Failure {
    let mut valid_start = [0u8; START_BYTES];
    valid_start[..8].copy_from_slice(&MAGIC);
    valid_start[8..].copy_from_slice(&EXPORT_FORMAT_VERSION.to_be_bytes());
    let magic_len = start.len().min(MAGIC.len());
    if start[..magic_len] != MAGIC[..magic_len] {
        Failure::new(Reason::MalformedFrame, "not an export: wrong magic bytes")
    } else if start != &valid_start[..start.len()] {
        Failure::new(
            Reason::UnsupportedVersion,
            "the export format_version is not supported (only 1)",
        )
    } else {
        Failure::new(
            Reason::Truncated,
            "the export ends inside its first 10 bytes",
        )
    }
}
