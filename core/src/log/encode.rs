//! Encoding a batch of entries into segment frames outside the log lock, on every core.
//!
//! A batch is encoded against a provisional start position and timestamp read from the
//! tenant. Everything but the chain value and the CRC is written here — headers, leaves, field
//! commitments, payloads — into one contiguous buffer, each frame in its own disjoint slice.
//! Under the lock the writer checks that the tenant is still at that position (otherwise it
//! encodes again) and only then fills in chain and CRC, which must be sequential.

use super::AppendItem;
use super::frame::{self, FRAME_PREFIX_BYTES, SealScheme};
use super::tenant::SealedTail;
use crate::entry::{self, FieldParts, Hash, Header, InvalidInput, TenantName};
use crate::error::WriteError;
use crate::limits;
use crate::merkle::CompactRange;
use crate::par;

/// Batches at least this large are encoded on every core.
const PARALLEL_ENCODE_ENTRIES_MIN: usize = 64;
/// Entries per job when a batch is encoded on every core: small enough that the threads
/// finish together, large enough that taking a job costs nothing next to it.
const ENCODE_CHUNK_ENTRIES: usize = 32;

/// A batch encoded for positions `start..start + entries.len()` at `timestamp_us`.
pub(crate) struct EncodedBatch {
    pub(crate) start: u64,
    pub(crate) timestamp_us: u64,
    pub(crate) bytes: Vec<u8>,
    pub(crate) entries: Vec<EncodedEntry>,
}

/// Where one frame is in the batch buffer, and its leaf.
pub(crate) struct EncodedEntry {
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) leaf: Hash,
}

/// The context every frame of a batch shares.
pub(crate) struct BatchContext<'a> {
    pub(crate) tenant_id: u32,
    pub(crate) tenant: &'a TenantName,
    pub(crate) start: u64,
    pub(crate) timestamp_us: u64,
}

impl EncodedBatch {
    /// Chains the batch after `chain` and extends `range` with its leaves: fills in every
    /// frame's chain value and CRC, and collects the tree nodes the leaves complete. The
    /// chain and the tree are two independent sequential computations, run side by side for
    /// large batches (for a few entries, handing one to another thread costs more than it saves).
    pub(crate) fn seal(&mut self, chain: Hash, range: &CompactRange) -> SealedTail {
        let EncodedBatch { bytes, entries, .. } = self;
        let mut chain_part = || {
            let mut chain = chain;
            for e in entries.iter() {
                chain = entry::chain_hash(&chain, &e.leaf);
                let frame = &mut bytes[e.offset..e.offset + e.len];
                frame[e.len - 32..].copy_from_slice(&chain);
                let body_len =
                    u32::try_from(e.len - FRAME_PREFIX_BYTES).expect("frames are bounded");
                let crc = frame::frame_crc(body_len, &frame[FRAME_PREFIX_BYTES..]);
                frame[4..8].copy_from_slice(&crc.to_be_bytes());
            }
            chain
        };
        let tree_part = || {
            let mut range = range.clone();
            let mut nodes = Vec::with_capacity(entries.len() * 64);
            for e in entries.iter() {
                range.append(e.leaf, |node| nodes.extend_from_slice(node));
            }
            (range, nodes)
        };
        let (chain, (range, nodes)) = if entries.len() >= PARALLEL_ENCODE_ENTRIES_MIN {
            par::join_here(chain_part, tree_part)
        } else {
            (chain_part(), tree_part())
        };
        SealedTail {
            entries: entries.len() as u64,
            range,
            chain,
            nodes,
        }
    }
}

/// Validates and encodes `items` as one batch of at most `bytes_max` bytes.
pub(crate) fn encode_batch<T: AppendItem>(
    ctx: &BatchContext<'_>,
    items: &[T],
    salts: &[Hash],
    bytes_max: usize,
    mut bytes: Vec<u8>,
) -> Result<EncodedBatch, WriteError> {
    let lens: Vec<usize> = items
        .iter()
        .map(|item| entry_frame_len(ctx.tenant, item))
        .collect();
    let total = lens
        .iter()
        .fold(0usize, |sum, &len| sum.saturating_add(len));
    if total > bytes_max {
        return Err(WriteError::TooLarge(format!(
            "{total} bytes encoded (at most {bytes_max})"
        )));
    }
    bytes.clear();
    bytes.resize(total, 0);
    let mut slices: Vec<&mut [u8]> = Vec::with_capacity(items.len());
    let mut rest = bytes.as_mut_slice();
    for &len in &lens {
        let (head, tail) = rest.split_at_mut(len);
        slices.push(head);
        rest = tail;
    }
    let count = items.len();
    let encode = |i: usize, slice: &mut [u8], item: &T, salt: &Hash| {
        encode_entry(ctx, i as u64, (count - 1 - i) as u32, item, salt, slice)
    };
    let mut leaves = vec![[0u8; 32]; count];
    if count >= PARALLEL_ENCODE_ENTRIES_MIN {
        // One error slot per job: a job stops at its first bad entry, so the first filled
        // slot in job order holds the batch's first bad entry, whichever thread found it.
        let mut errors: Vec<Option<InvalidInput>> = (0..count.div_ceil(ENCODE_CHUNK_ENTRIES))
            .map(|_| None)
            .collect();
        let jobs: Vec<_> = slices
            .chunks_mut(ENCODE_CHUNK_ENTRIES)
            .zip(leaves.chunks_mut(ENCODE_CHUNK_ENTRIES))
            .zip(&mut errors)
            .enumerate()
            .collect();
        par::run_shared(jobs, |(c, ((slices, leaves), error))| {
            let first = c * ENCODE_CHUNK_ENTRIES;
            for (j, (slice, leaf)) in slices.iter_mut().zip(leaves).enumerate() {
                let i = first + j;
                match encode(i, slice, &items[i], &salts[i]) {
                    Ok(hash) => *leaf = hash,
                    Err(e) => {
                        *error = Some(e);
                        return;
                    }
                }
            }
        });
        if let Some(e) = errors.into_iter().flatten().next() {
            return Err(e.into());
        }
    } else {
        for (i, (slice, leaf)) in slices.iter_mut().zip(&mut leaves).enumerate() {
            *leaf = encode(i, slice, &items[i], &salts[i])?;
        }
    }
    let mut offset = 0;
    let entries = leaves
        .into_iter()
        .zip(&lens)
        .map(|(leaf, &len)| {
            let e = EncodedEntry { offset, len, leaf };
            offset += len;
            e
        })
        .collect();
    Ok(EncodedBatch {
        start: ctx.start,
        timestamp_us: ctx.timestamp_us,
        bytes,
        entries,
    })
}

/// The frame length of `item` in a log of `tenant` (its validity is checked when encoding).
fn entry_frame_len<T: AppendItem>(tenant: &TenantName, item: &T) -> usize {
    let header = 1 + 1 + tenant.as_str().len() + 8 + 8 + 2 + 1 + item.actor().len();
    let fields = item.fields();
    let payload = fields.iter().fold(32 + 2, |sum: usize, f| {
        sum.saturating_add(2 + f.name().len() + 4)
            .saturating_add(f.value().len())
    });
    (FRAME_PREFIX_BYTES + 1 + 4 + 4 + 2 + header + 2 + 1 + 4 + 4 + 32)
        .saturating_add(fields.len().saturating_mul(32))
        .saturating_add(payload)
}

/// Writes one entry frame into `out` (its exact length), leaving chain and CRC zero; returns
/// the leaf.
fn encode_entry<T: AppendItem>(
    ctx: &BatchContext<'_>,
    index: u64,
    batch_remaining: u32,
    item: &T,
    salt: &Hash,
    out: &mut [u8],
) -> Result<Hash, InvalidInput> {
    item.validate()?;
    entry::validate_actor(item.actor())?;
    let fields = item.fields();
    entry::validate_fields(fields)?;
    let mut w = SliceWriter { out, at: 0 };
    let body_len =
        u32::try_from(w.out.len() - FRAME_PREFIX_BYTES).expect("entries are bounded by 1 MiB");
    assert!(
        body_len as usize <= limits::STORAGE_FRAME_BYTES_MAX,
        "entry frame of {body_len} bytes"
    );
    w.put(&body_len.to_be_bytes());
    w.put(&[0; 4]); // CRC, sealed under the lock
    w.put(&[frame::TYPE_ENTRY]);
    w.put(&ctx.tenant_id.to_be_bytes());
    w.put(&batch_remaining.to_be_bytes());
    let header_len = 1 + 1 + ctx.tenant.as_str().len() + 8 + 8 + 2 + 1 + item.actor().len();
    w.put(
        &u16::try_from(header_len)
            .expect("headers are at most 213 bytes")
            .to_be_bytes(),
    );
    let header_start = w.at;
    let mut header = Vec::with_capacity(header_len);
    Header::encode_parts_into(
        &mut header,
        ctx.tenant,
        ctx.start + index,
        ctx.timestamp_us,
        item.kind(),
        item.actor(),
    );
    w.put(&header);
    debug_assert_eq!(w.at - header_start, header_len);
    w.put(
        &u16::try_from(fields.len())
            .expect("entries hold at most 1024 fields")
            .to_be_bytes(),
    );
    let commitments_start = w.at;
    for (field, i) in fields.iter().zip(0u32..) {
        let fc = entry::field_commitment(
            &entry::field_salt(salt, i),
            field.name().as_bytes(),
            field.value(),
        );
        w.put(&fc);
    }
    let commitment = entry::record_commitment_bytes(&w.out[commitments_start..w.at]);
    w.put(&[SealScheme::Plaintext as u8]);
    w.put(&0u32.to_be_bytes());
    let payload_len = 32
        + 2
        + fields
            .iter()
            .map(|f| 2 + f.name().len() + 4 + f.value().len())
            .sum::<usize>();
    w.put(
        &u32::try_from(payload_len)
            .expect("payloads are at most 1 MiB")
            .to_be_bytes(),
    );
    w.put(salt);
    w.put(
        &u16::try_from(fields.len())
            .expect("<= 1024 fields")
            .to_be_bytes(),
    );
    for field in fields {
        let (name, value) = (field.name(), field.value());
        w.put(
            &u16::try_from(name.len())
                .expect("names are at most 128 bytes")
                .to_be_bytes(),
        );
        w.put(name.as_bytes());
        w.put(
            &u32::try_from(value.len())
                .expect("values are at most 1 MiB")
                .to_be_bytes(),
        );
        w.put(value);
    }
    assert_eq!(w.at + 32, w.out.len(), "entry frame length mismatch");
    Ok(entry::leaf_hash(&header, &commitment))
}

struct SliceWriter<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }
}
