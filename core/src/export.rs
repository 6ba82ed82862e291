//! Exports (`docs/spec/export.md`): a tenant's entries `[from, to)` as a streamable file with
//! the checkpoints that cover them, the compact range of `[0, from)` for slices, and a trailer.
//! Written in one pass in bounded memory: entries are read and written in steps.

use std::io::{self, Write};

use crate::checkpoint::Checkpoint;
use crate::db::{Tenant, corrupt_proof};
use crate::entry::{self, Hash};
use crate::error::ExportError;
use crate::limits;
use crate::merkle::{self, NodeReader};
use crate::receipt::disclose_where;

/// The export file magic.
pub const EXPORT_MAGIC: [u8; 8] = *b"\x89VDBEXP\n";
/// The export format version this crate writes.
pub const EXPORT_VERSION: u16 = 1;

const FRAME_HEADER: u8 = 1;
const FRAME_ENTRY: u8 = 2;
const FRAME_CHECKPOINT: u8 = 3;
const FRAME_TRAILER: u8 = 4;

/// Entries read and written per step.
const EXPORT_STEP_ENTRIES: u64 = 4096;

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// First position (default 0).
    pub from: u64,
    /// End position, exclusive (default: the durable size when the export starts).
    pub to: Option<u64>,
    /// Field names whose values are withheld: only their commitments are exported.
    pub withhold: Vec<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// First position.
    pub from: u64,
    /// End position (exclusive).
    pub to: u64,
    /// Entries written.
    pub entries: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl Tenant {
    /// Writes an export to `out`; `progress(entries_written, entries_total)` is called after
    /// each step so long exports can report progress.
    pub fn export(
        &self,
        out: impl Write,
        options: &ExportOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ExportSummary, ExportError> {
        let view = self.view();
        let to = options.to.unwrap_or(view.size);
        let from = options.from;
        if from > to || to > view.size || (from == to && view.size > 0) {
            return Err(ExportError::Range {
                from,
                to,
                size: view.size,
            });
        }
        let checkpoints = self.export_checkpoints(from, to)?;
        let mut w = ExportWriter::new(out);
        w.start().map_err(ExportError::Output)?;
        let chain_prev = if from == 0 {
            entry::CHAIN_GENESIS
        } else {
            self.entries(from - 1, from)?[0].chain
        };
        let left = left_range(&view.files, from)?;
        w.header(&self.origin(), self.name(), from, to, &chain_prev, &left)
            .map_err(ExportError::Output)?;
        let mut pending = checkpoints.iter().peekable();
        let mut chain = chain_prev;
        let mut at = from;
        loop {
            while let Some(cp) = pending.next_if(|cp| cp.size == at) {
                w.checkpoint(&cp.note, &[]).map_err(ExportError::Output)?;
            }
            if at == to {
                break;
            }
            let step_end = to
                .min(at + EXPORT_STEP_ENTRIES)
                .min(pending.peek().map_or(to, |cp| cp.size.max(at + 1)));
            for e in self.entries(at, step_end)? {
                let withheld = |name: &str| options.withhold.iter().any(|w| w == name);
                let disclosed = match &e.payload {
                    Some((salt, fields)) => disclose_where(salt, fields, |name| !withheld(name)),
                    None => Vec::new(),
                };
                w.entry(
                    &e.header_bytes,
                    &e.field_commitments,
                    &disclosed,
                    &e.leaf(),
                    &e.chain,
                )
                .map_err(ExportError::Output)?;
                chain = e.chain;
            }
            at = step_end;
            progress(at - from, to - from);
        }
        for cp in pending {
            // The covering checkpoint beyond `to`, with a consistency proof from `to`.
            let proof = self.consistency_proof(to, cp.size)?;
            if !merkle::verify_consistency(to, cp.size, &self.root(to)?, &cp.root, &proof) {
                return Err(corrupt_proof(
                    self.name(),
                    "stored tree nodes are inconsistent with a signed checkpoint",
                )
                .into());
            }
            w.checkpoint(&cp.note, &proof)
                .map_err(ExportError::Output)?;
        }
        w.trailer(to - from, &chain).map_err(ExportError::Output)?;
        let bytes = w.finish().map_err(ExportError::Output)?;
        Ok(ExportSummary {
            from,
            to,
            entries: to - from,
            checkpoints: checkpoints.len() as u64,
            bytes,
        })
    }

    /// The checkpoints an export of `[from, to)` includes (`docs/spec/export.md` §2).
    fn export_checkpoints(&self, from: u64, to: u64) -> Result<Vec<Checkpoint>, ExportError> {
        let mut view = self.view();
        let mut first_covering = self.log().first_checkpoint_at_least(&view, to)?;
        if first_covering == view.checkpoints {
            self.checkpoint()?;
            view = self.view();
            first_covering = self.log().first_checkpoint_at_least(&view, to)?;
        }
        let first = self.log().first_checkpoint_at_least(&view, from)?;
        let mut checkpoints = self.log().read_checkpoints(&view, first, first_covering)?;
        let covering = self.log().read_checkpoint(&view.files, first_covering)?;
        checkpoints.push(covering);
        Ok(checkpoints)
    }
}

/// The compact range of `[0, from)`: one stored subtree root per set bit, largest first.
fn left_range(
    files: &impl NodeReader<Error = io::Error>,
    from: u64,
) -> Result<Vec<Hash>, ExportError> {
    let mut hashes = Vec::new();
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if from & (1 << level) != 0 {
            hashes.push(
                files
                    .node(level, start >> level)
                    .map_err(crate::error::ReadError::Io)?,
            );
            start += 1 << level;
        }
    }
    Ok(hashes)
}

/// Writes export frames one by one (`docs/spec/export.md`), counting bytes. It checks
/// nothing: [`Tenant::export`] uses it to write valid exports, and test tools use it to write
/// invalid ones on purpose.
pub struct ExportWriter<W: Write> {
    out: io::BufWriter<W>,
    bytes: u64,
    body: Vec<u8>,
}

impl<W: Write> ExportWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> ExportWriter<W> {
        ExportWriter {
            out: io::BufWriter::with_capacity(1 << 20, out),
            bytes: 0,
            body: Vec::new(),
        }
    }

    /// Writes the magic and the format version.
    pub fn start(&mut self) -> io::Result<()> {
        self.raw(&EXPORT_MAGIC)?;
        self.raw(&EXPORT_VERSION.to_be_bytes())
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.bytes += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    fn frame(&mut self, kind: u8) -> io::Result<()> {
        let body = std::mem::take(&mut self.body);
        assert!(
            body.len() <= limits::EXPORT_FRAME_BODY_BYTES_MAX,
            "export frame of {} bytes",
            body.len()
        );
        let len = u32::try_from(body.len()).expect("frames are at most 2 MiB");
        self.raw(&[kind])?;
        self.raw(&len.to_be_bytes())?;
        self.raw(&body)?;
        self.body = body;
        self.body.clear();
        Ok(())
    }

    /// Writes the header frame.
    pub fn header(
        &mut self,
        origin: &str,
        tenant: &str,
        from: u64,
        to: u64,
        chain: &Hash,
        left: &[Hash],
    ) -> io::Result<()> {
        let b = &mut self.body;
        b.extend_from_slice(
            &u16::try_from(origin.len())
                .expect("origins are at most 256 bytes")
                .to_be_bytes(),
        );
        b.extend_from_slice(origin.as_bytes());
        b.push(u8::try_from(tenant.len()).expect("tenant names are at most 64 bytes"));
        b.extend_from_slice(tenant.as_bytes());
        b.extend_from_slice(&from.to_be_bytes());
        b.extend_from_slice(&to.to_be_bytes());
        b.extend_from_slice(chain);
        b.push(u8::try_from(left.len()).expect("at most 64 subtrees"));
        for hash in left {
            b.extend_from_slice(hash);
        }
        self.frame(FRAME_HEADER)
    }

    /// Writes an entry frame: the entry record and its chain value.
    pub fn entry(
        &mut self,
        header: &[u8],
        commitments: &[Hash],
        disclosed: &[entry::Disclosure],
        leaf: &Hash,
        chain: &Hash,
    ) -> io::Result<()> {
        entry::encode_entry_record(&mut self.body, header, commitments, disclosed, leaf);
        self.body.extend_from_slice(chain);
        self.frame(FRAME_ENTRY)
    }

    /// Writes a checkpoint frame with an optional consistency proof.
    pub fn checkpoint(&mut self, note: &str, proof: &[Hash]) -> io::Result<()> {
        let b = &mut self.body;
        b.extend_from_slice(
            &u32::try_from(note.len())
                .expect("notes are at most 16 KiB")
                .to_be_bytes(),
        );
        b.extend_from_slice(note.as_bytes());
        b.push(u8::try_from(proof.len()).expect("proofs are at most 64 hashes"));
        for hash in proof {
            b.extend_from_slice(hash);
        }
        self.frame(FRAME_CHECKPOINT)
    }

    /// Writes the trailer frame.
    pub fn trailer(&mut self, entries: u64, chain: &Hash) -> io::Result<()> {
        self.body.extend_from_slice(&entries.to_be_bytes());
        self.body.extend_from_slice(chain);
        self.frame(FRAME_TRAILER)
    }

    /// Flushes and returns the number of bytes written.
    pub fn finish(mut self) -> io::Result<u64> {
        self.out.flush()?;
        Ok(self.bytes)
    }
}
