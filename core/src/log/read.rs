//! Reading entries and checkpoints back: index lookup, frame read with CRC check, decode.
//! Every frame read is checked again (CRC, tenant, position): a damaged frame is reported as
//! corruption with its location, never returned.

use std::io;

use super::frame::{self, FRAME_PREFIX_BYTES, Frame};
use super::tenant::{self, TenantFiles};
use super::{Log, TenantView};
use crate::checkpoint::Checkpoint;
use crate::entry::{self, Field, Hash, Header};
use crate::error::{Corruption, ReadError};

/// Bytes read at once when fetching a run of frames from one segment.
const READ_WINDOW_BYTES: u64 = 1024 * 1024;

/// An entry as stored: header, commitments, payload (unless erased) and chain value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The decoded header.
    pub header: Header,
    /// The canonical header bytes.
    pub header_bytes: Vec<u8>,
    /// One commitment per field.
    pub field_commitments: Vec<Hash>,
    /// The record salt and fields.
    pub payload: Option<(Hash, Vec<Field>)>,
    /// `chain[position]`.
    pub chain: Hash,
}

impl StoredEntry {
    /// The record commitment.
    pub fn commitment(&self) -> Hash {
        entry::record_commitment(&self.field_commitments)
    }

    /// The RFC 6962 leaf hash.
    pub fn leaf(&self) -> Hash {
        entry::leaf_hash(&self.header_bytes, &self.commitment())
    }

    /// The payload fields, if not erased.
    pub fn fields(&self) -> Option<&[Field]> {
        self.payload.as_ref().map(|(_, fields)| fields.as_slice())
    }

    /// The value of a field, if present.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields()?
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_slice())
    }
}

impl Log {
    /// Entries `start..end` of a tenant's durable log.
    pub(crate) fn read_entries(
        &self,
        view: &TenantView,
        start: u64,
        end: u64,
    ) -> Result<Vec<StoredEntry>, ReadError> {
        if start > end || end > view.size {
            return Err(ReadError::OutOfRange {
                requested: end.max(start),
                size: view.size,
            });
        }
        let count = usize::try_from(end - start).expect("ranges are bounded by callers");
        let mut locations = vec![0u64; count];
        view.files.entry_locations(start, &mut locations)?;
        let mut entries = Vec::with_capacity(count);
        let mut i = 0;
        while i < count {
            // A run of frames in one segment, read with as few reads as possible.
            let (segment, first) = tenant::split_location(locations[i]);
            let mut j = i + 1;
            while j < count {
                let (s, o) = tenant::split_location(locations[j]);
                if s != segment || o < first || o - first > READ_WINDOW_BYTES {
                    break;
                }
                j += 1;
            }
            let offsets: Vec<u64> = locations[i..j]
                .iter()
                .map(|&l| tenant::split_location(l).1)
                .collect();
            let bodies = self.read_frames(segment, &offsets)?;
            for (k, body) in bodies.iter().enumerate() {
                let position = start + (i + k) as u64;
                let location = format!("{} offset {}", super::segment_path(segment), offsets[k]);
                entries.push(decode_entry(body, view, position, &location)?);
            }
            i = j;
        }
        Ok(entries)
    }

    /// Frame bodies at `offsets` (ascending) of one segment, CRC-checked.
    fn read_frames(&self, segment: u64, offsets: &[u64]) -> Result<Vec<Vec<u8>>, ReadError> {
        let file = self.segment_file(segment)?;
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return Ok(Vec::new());
        };
        // One read covering every frame but the last one's body, which is read on its own.
        let mut window = vec![0u8; (last - first) as usize + FRAME_PREFIX_BYTES];
        file.read_exact_at(&mut window, first)
            .map_err(|e| short_read(segment, first, e))?;
        let mut bodies = Vec::with_capacity(offsets.len());
        for &offset in offsets {
            let at = (offset - first) as usize;
            let corrupt = |detail: &str| {
                Corruption::new(
                    format!("{} offset {offset}", super::segment_path(segment)),
                    detail,
                )
            };
            let prefix: &[u8; FRAME_PREFIX_BYTES] = window
                .get(at..at + FRAME_PREFIX_BYTES)
                .and_then(|p| p.try_into().ok())
                .ok_or_else(|| corrupt("frame prefix outside the read window"))?;
            let (len, crc) =
                frame::parse_prefix(prefix).ok_or_else(|| corrupt("impossible frame length"))?;
            let body_start = at + FRAME_PREFIX_BYTES;
            let body = match window.get(body_start..body_start + len) {
                Some(body) => body.to_vec(),
                None => {
                    let mut body = vec![0u8; len];
                    file.read_exact_at(&mut body, offset + FRAME_PREFIX_BYTES as u64)
                        .map_err(|e| short_read(segment, offset, e))?;
                    body
                }
            };
            let body_len = u32::try_from(len).expect("bounded by STORAGE_FRAME_BYTES_MAX");
            if frame::frame_crc(body_len, &body) != crc {
                return Err(corrupt("frame checksum mismatch").into());
            }
            bodies.push(body);
        }
        Ok(bodies)
    }

    /// The tenant's durable checkpoints `start..end`, oldest first.
    pub(crate) fn read_checkpoints(
        &self,
        view: &TenantView,
        start: u64,
        end: u64,
    ) -> Result<Vec<Checkpoint>, ReadError> {
        let end = end.min(view.checkpoints);
        let mut out = Vec::new();
        for i in start..end {
            out.push(self.read_checkpoint(&view.files, i)?);
        }
        Ok(out)
    }

    pub(crate) fn read_checkpoint(
        &self,
        files: &TenantFiles,
        i: u64,
    ) -> Result<Checkpoint, ReadError> {
        let (size, root, location) = files.checkpoint_record(i)?;
        let (segment, offset) = tenant::split_location(location);
        let body = self.read_frames(segment, &[offset])?.remove(0);
        let at = format!("{} offset {offset}", super::segment_path(segment));
        match frame::decode(&body) {
            Some(Frame::Checkpoint {
                size: s,
                root: r,
                note,
                ..
            }) if s == size && r == root => Checkpoint::from_note(note)
                .ok_or_else(|| Corruption::new(at, "unreadable checkpoint note").into()),
            _ => Err(Corruption::new(at, "checkpoint record does not match its frame").into()),
        }
    }

    /// The index of the first durable checkpoint with size `>= size`, by binary search.
    pub(crate) fn first_checkpoint_at_least(
        &self,
        view: &TenantView,
        size: u64,
    ) -> Result<u64, ReadError> {
        let (mut lo, mut hi) = (0u64, view.checkpoints);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if view.files.checkpoint_record(mid)?.0 < size {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

fn short_read(segment: u64, offset: u64, error: io::Error) -> ReadError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        Corruption::new(
            format!("{} offset {offset}", super::segment_path(segment)),
            "frame extends past the end of the segment",
        )
        .into()
    } else {
        ReadError::Io(error)
    }
}

fn decode_entry(
    body: &[u8],
    view: &TenantView,
    position: u64,
    location: &str,
) -> Result<StoredEntry, ReadError> {
    let corrupt = |detail: &str| ReadError::Corrupt(Corruption::new(location, detail));
    let Some(Frame::Entry(e)) = frame::decode(body) else {
        return Err(corrupt("the index points at a frame that is not an entry"));
    };
    let header = Header::decode(e.header).ok_or_else(|| corrupt("invalid entry header"))?;
    if header.tenant != view.name || header.position != position {
        return Err(corrupt(&format!(
            "expected {}#{position}, found {}#{}",
            view.name, header.tenant, header.position
        )));
    }
    let field_commitments = e.field_commitments();
    let payload = match e.seal {
        frame::SealScheme::Plaintext => {
            let (salt, fields) = frame::decode_plain_payload(e.sealed)
                .ok_or_else(|| corrupt("undecodable payload"))?;
            if fields.len() != field_commitments.len()
                || entry::field_commitments(&salt, &fields) != field_commitments
            {
                return Err(corrupt("payload does not match its commitments"));
            }
            Some((salt, fields))
        }
    };
    Ok(StoredEntry {
        header,
        header_bytes: e.header.to_vec(),
        field_commitments,
        payload,
        chain: e.chain,
    })
}
