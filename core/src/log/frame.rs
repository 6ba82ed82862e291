//! Frames in segment files (`docs/internals/storage.md`). A segment starts with a 16-byte
//! header; then frames follow back to back:
//!
//! ```text
//! u32 body_len | u32 crc32(body_len || body) | body
//! ```
//!
//! Every frame's length and body are covered by the CRC, so a torn or flipped frame is
//! detected before its body is decoded. Bodies are decoded with bounds checks only: a frame
//! that passed its CRC but does not decode is reported as corruption, never a panic.

use crate::entry::{Hash, Reader};
use crate::limits;

/// `VDBSEG` + format version 1 + reserved byte, then the segment id.
const SEGMENT_MAGIC: [u8; 8] = *b"VDBSEG\x01\x00";
/// Bytes before the first frame of a segment.
pub(crate) const SEGMENT_HEADER_BYTES: u64 = 16;
/// Bytes before a frame's body.
pub(crate) const FRAME_PREFIX_BYTES: usize = 8;

const TYPE_TENANT: u8 = 1;
pub(crate) const TYPE_ENTRY: u8 = 2;
const TYPE_CHECKPOINT: u8 = 3;

/// The payload of an entry at rest (`docs/spec/entry.md` §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SealScheme {
    Plaintext = 0,
}

/// A decoded frame body, borrowing from the buffer it was read into.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    Tenant {
        tenant_id: u32,
        name: &'a str,
    },
    Entry(EntryFrame<'a>),
    Checkpoint {
        tenant_id: u32,
        size: u64,
        root: Hash,
        note: &'a str,
    },
}

/// An entry as stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EntryFrame<'a> {
    pub(crate) tenant_id: u32,
    /// Entries of the same atomic batch that follow this one.
    pub(crate) batch_remaining: u32,
    pub(crate) header: &'a [u8],
    /// `n × 32` bytes of field commitments.
    pub(crate) field_commitments: &'a [u8],
    pub(crate) seal: SealScheme,
    pub(crate) key_id: u32,
    pub(crate) sealed: &'a [u8],
    pub(crate) chain: Hash,
}

impl EntryFrame<'_> {
    pub(crate) fn field_commitments(&self) -> Vec<Hash> {
        self.field_commitments
            .chunks_exact(32)
            .map(|c| c.try_into().expect("chunks_exact(32) yields 32 bytes"))
            .collect()
    }
}

pub(crate) fn segment_header(segment_id: u64) -> [u8; SEGMENT_HEADER_BYTES as usize] {
    let mut out = [0u8; SEGMENT_HEADER_BYTES as usize];
    out[..8].copy_from_slice(&SEGMENT_MAGIC);
    out[8..].copy_from_slice(&segment_id.to_be_bytes());
    out
}

/// The segment id in a header, if the header is valid.
pub(crate) fn parse_segment_header(bytes: &[u8]) -> Option<u64> {
    let mut r = Reader::new(bytes);
    (r.array::<8>()? == SEGMENT_MAGIC).then_some(())?;
    r.u64()
}

/// Appends the frame prefix and body built by `body` to `out`; returns the frame's length.
fn frame(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_PREFIX_BYTES]);
    body(out);
    let body_len = out.len() - start - FRAME_PREFIX_BYTES;
    let len = u32::try_from(body_len).expect("frames are bounded by STORAGE_FRAME_BYTES_MAX");
    assert!(
        body_len <= limits::STORAGE_FRAME_BYTES_MAX,
        "frame of {body_len} bytes"
    );
    let crc = frame_crc(len, &out[start + FRAME_PREFIX_BYTES..]);
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_be_bytes());
    out.len() - start
}

pub(crate) fn frame_crc(body_len: u32, body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&body_len.to_be_bytes());
    hasher.update(body);
    hasher.finalize()
}

pub(crate) fn encode_tenant(out: &mut Vec<u8>, tenant_id: u32, name: &str) -> usize {
    frame(out, |b| {
        b.push(TYPE_TENANT);
        b.extend_from_slice(&tenant_id.to_be_bytes());
        b.push(u8::try_from(name.len()).expect("tenant names are at most 64 bytes"));
        b.extend_from_slice(name.as_bytes());
    })
}

#[cfg(test)]
pub(crate) fn encode_entry(out: &mut Vec<u8>, entry: &EntryFrame<'_>) -> usize {
    frame(out, |b| {
        b.push(TYPE_ENTRY);
        b.extend_from_slice(&entry.tenant_id.to_be_bytes());
        b.extend_from_slice(&entry.batch_remaining.to_be_bytes());
        let header_len = u16::try_from(entry.header.len()).expect("headers are at most 213 bytes");
        b.extend_from_slice(&header_len.to_be_bytes());
        b.extend_from_slice(entry.header);
        let count = u16::try_from(entry.field_commitments.len() / 32).expect("<= 1024 fields");
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(entry.field_commitments);
        b.push(entry.seal as u8);
        b.extend_from_slice(&entry.key_id.to_be_bytes());
        let sealed_len = u32::try_from(entry.sealed.len()).expect("payloads are at most 1 MiB");
        b.extend_from_slice(&sealed_len.to_be_bytes());
        b.extend_from_slice(entry.sealed);
        b.extend_from_slice(&entry.chain);
    })
}

pub(crate) fn encode_checkpoint(
    out: &mut Vec<u8>,
    tenant_id: u32,
    size: u64,
    root: &Hash,
    note: &str,
) -> usize {
    frame(out, |b| {
        b.push(TYPE_CHECKPOINT);
        b.extend_from_slice(&tenant_id.to_be_bytes());
        b.extend_from_slice(&size.to_be_bytes());
        b.extend_from_slice(root);
        let note_len = u16::try_from(note.len()).expect("notes are at most 16 KiB");
        b.extend_from_slice(&note_len.to_be_bytes());
        b.extend_from_slice(note.as_bytes());
    })
}

/// Decodes a frame body that passed its CRC.
pub(crate) fn decode(body: &[u8]) -> Option<Frame<'_>> {
    let mut r = Reader::new(body);
    let frame = match r.u8()? {
        TYPE_TENANT => {
            let tenant_id = r.u32()?;
            let len = usize::from(r.u8()?);
            let name = std::str::from_utf8(r.take(len)?).ok()?;
            Frame::Tenant { tenant_id, name }
        }
        TYPE_ENTRY => {
            let tenant_id = r.u32()?;
            let batch_remaining = r.u32()?;
            let header_len = usize::from(r.u16()?);
            let header = r.take(header_len)?;
            let count = usize::from(r.u16()?);
            if count > limits::ENTRY_FIELDS_MAX {
                return None;
            }
            let field_commitments = r.take(count * 32)?;
            let seal = match r.u8()? {
                0 => SealScheme::Plaintext,
                _ => return None,
            };
            let key_id = r.u32()?;
            let sealed_len = usize::try_from(r.u32()?).ok()?;
            let sealed = r.take(sealed_len)?;
            let chain = r.array()?;
            Frame::Entry(EntryFrame {
                tenant_id,
                batch_remaining,
                header,
                field_commitments,
                seal,
                key_id,
                sealed,
                chain,
            })
        }
        TYPE_CHECKPOINT => {
            let tenant_id = r.u32()?;
            let size = r.u64()?;
            let root = r.array()?;
            let len = usize::from(r.u16()?);
            let note = std::str::from_utf8(r.take(len)?).ok()?;
            Frame::Checkpoint {
                tenant_id,
                size,
                root,
                note,
            }
        }
        _ => return None,
    };
    r.is_empty().then_some(frame)
}

/// Reads the frame prefix: `(body_len, crc)`, or `None` for an impossible length.
pub(crate) fn parse_prefix(prefix: &[u8; FRAME_PREFIX_BYTES]) -> Option<(usize, u32)> {
    let len = u32::from_be_bytes(prefix[..4].try_into().expect("4 of 8 bytes"));
    let crc = u32::from_be_bytes(prefix[4..].try_into().expect("4 of 8 bytes"));
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l > 0 && l <= limits::STORAGE_FRAME_BYTES_MAX)?;
    Some((len, crc))
}

/// Decodes a scheme-0 payload (`record_salt || u16 n || n × (str16 name || bytes32 value)`,
/// written by `encode`) into its record salt and fields.
pub(crate) fn decode_plain_payload(bytes: &[u8]) -> Option<(Hash, Vec<crate::entry::Field>)> {
    let mut r = Reader::new(bytes);
    let salt = r.array()?;
    let count = usize::from(r.u16()?);
    if count > limits::ENTRY_FIELDS_MAX {
        return None;
    }
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let name_len = usize::from(r.u16()?);
        let name = std::str::from_utf8(r.take(name_len)?).ok()?.to_owned();
        let value_len = usize::try_from(r.u32()?).ok()?;
        let value = r.take(value_len)?.to_vec();
        fields.push(crate::entry::Field { name, value });
    }
    r.is_empty().then_some((salt, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut out = Vec::new();
        let entry = EntryFrame {
            tenant_id: 3,
            batch_remaining: 1,
            header: b"hdr",
            field_commitments: &[5; 64],
            seal: SealScheme::Plaintext,
            key_id: 0,
            sealed: b"payload",
            chain: [9; 32],
        };
        let len = encode_entry(&mut out, &entry);
        assert_eq!(len, out.len());
        let (body_len, crc) = parse_prefix(out[..8].try_into().unwrap()).unwrap();
        assert_eq!(body_len, out.len() - 8);
        assert_eq!(crc, frame_crc(body_len as u32, &out[8..]));
        assert_eq!(decode(&out[8..]), Some(Frame::Entry(entry)));

        let mut out = Vec::new();
        encode_checkpoint(&mut out, 1, 10, &[2; 32], "note\n");
        assert_eq!(
            decode(&out[8..]),
            Some(Frame::Checkpoint {
                tenant_id: 1,
                size: 10,
                root: [2; 32],
                note: "note\n"
            })
        );
        let mut out = Vec::new();
        encode_tenant(&mut out, 7, "acme");
        assert_eq!(
            decode(&out[8..]),
            Some(Frame::Tenant {
                tenant_id: 7,
                name: "acme"
            })
        );
    }

    #[test]
    fn bodies_with_extra_or_missing_bytes_do_not_decode() {
        let mut out = Vec::new();
        encode_tenant(&mut out, 7, "acme");
        let mut body = out[8..].to_vec();
        body.push(0);
        assert_eq!(decode(&body), None);
        assert_eq!(decode(&out[8..out.len() - 1]), None);
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[99]), None);
    }
}
