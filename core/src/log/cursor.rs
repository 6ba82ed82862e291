//! Sequential reading of frames from a segment file with a bounded buffer, and the torn-tail
//! test used by recovery.

use std::io;

use super::frame::{self, FRAME_PREFIX_BYTES};
use crate::limits;
use crate::storage::StorageFile;

/// Bytes read from a segment at a time during scans.
const SCAN_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// What the cursor found at its position.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A frame whose length and CRC check out; the body is `cursor.body()`.
    Frame { offset: u64, len: u64 },
    /// The clean end of the file.
    End,
    /// Bytes at `offset` that are not a complete, checksummed frame.
    Damaged { offset: u64 },
}

/// Reads frames one after another from `start` to `end`, buffering at most one chunk plus one
/// frame.
pub(crate) struct FrameCursor<'a> {
    file: &'a dyn StorageFile,
    end: u64,
    /// File offset of `buf[0]`.
    buf_start: u64,
    buf: Vec<u8>,
    /// Offset in `buf` of the next frame.
    pos: usize,
    body: std::ops::Range<usize>,
}

impl<'a> FrameCursor<'a> {
    pub(crate) fn new(file: &'a dyn StorageFile, start: u64, end: u64) -> FrameCursor<'a> {
        FrameCursor {
            file,
            end,
            buf_start: start,
            buf: Vec::new(),
            pos: 0,
            body: 0..0,
        }
    }

    /// The body of the frame the last `next` returned.
    pub(crate) fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    pub(crate) fn next(&mut self) -> io::Result<Step> {
        let offset = self.buf_start + self.pos as u64;
        if offset == self.end {
            return Ok(Step::End);
        }
        if !self.fill(FRAME_PREFIX_BYTES)? {
            return Ok(Step::Damaged { offset });
        }
        let prefix: &[u8; FRAME_PREFIX_BYTES] = self.buf[self.pos..self.pos + FRAME_PREFIX_BYTES]
            .try_into()
            .expect("filled");
        let Some((len, crc)) = frame::parse_prefix(prefix) else {
            return Ok(Step::Damaged { offset });
        };
        if !self.fill(FRAME_PREFIX_BYTES + len)? {
            return Ok(Step::Damaged { offset });
        }
        let body = self.pos + FRAME_PREFIX_BYTES..self.pos + FRAME_PREFIX_BYTES + len;
        let body_len = u32::try_from(len).expect("bounded by STORAGE_FRAME_BYTES_MAX");
        if frame::frame_crc(body_len, &self.buf[body.clone()]) != crc {
            return Ok(Step::Damaged { offset });
        }
        self.body = body.clone();
        self.pos = body.end;
        Ok(Step::Frame {
            offset,
            len: (FRAME_PREFIX_BYTES + len) as u64,
        })
    }

    /// Makes `want` bytes available from `pos`; false if the range ends first.
    fn fill(&mut self, want: usize) -> io::Result<bool> {
        if self.buf.len() - self.pos >= want {
            return Ok(true);
        }
        let available = self.end - self.buf_start - self.pos as u64;
        if available < want as u64 {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.buf_start += self.pos as u64;
        self.pos = 0;
        let have = self.buf.len();
        let read = (want.max(SCAN_CHUNK_BYTES) as u64).min(self.end - self.buf_start) as usize;
        self.buf.resize(read, 0);
        self.file
            .read_exact_at(&mut self.buf[have..], self.buf_start + have as u64)?;
        Ok(true)
    }
}

/// Whether any complete, checksummed frame starts after `damaged` (before `end`). If one does,
/// the damage is not a torn tail but corruption in the middle of the log.
pub(crate) fn frame_follows(file: &dyn StorageFile, damaged: u64, end: u64) -> io::Result<bool> {
    let mut window_start = damaged + 1;
    while window_start + FRAME_PREFIX_BYTES as u64 <= end {
        let window_len = (SCAN_CHUNK_BYTES as u64).min(end - window_start) as usize;
        let mut window = vec![0u8; window_len];
        file.read_exact_at(&mut window, window_start)?;
        if window.iter().all(|&b| b == 0) {
            // Prepared, unused space: no frame can start in zeros (a length is never 0).
            window_start += window_len.saturating_sub(FRAME_PREFIX_BYTES - 1).max(1) as u64;
            continue;
        }
        for i in 0..window_len.saturating_sub(FRAME_PREFIX_BYTES - 1) {
            let prefix: &[u8; FRAME_PREFIX_BYTES] = window[i..i + FRAME_PREFIX_BYTES]
                .try_into()
                .expect("in bounds");
            let Some((len, crc)) = frame::parse_prefix(prefix) else {
                continue;
            };
            let body_start = window_start + (i + FRAME_PREFIX_BYTES) as u64;
            if body_start + len as u64 > end {
                continue;
            }
            let mut body = vec![0u8; len];
            file.read_exact_at(&mut body, body_start)?;
            let body_len = u32::try_from(len).expect("bounded");
            if frame::frame_crc(body_len, &body) == crc && frame::decode(&body).is_some() {
                return Ok(true);
            }
        }
        window_start += window_len.saturating_sub(FRAME_PREFIX_BYTES - 1).max(1) as u64;
    }
    Ok(false)
}

const _: () =
    assert!(SCAN_CHUNK_BYTES >= FRAME_PREFIX_BYTES && limits::STORAGE_FRAME_BYTES_MAX > 0);
