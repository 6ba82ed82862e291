//! Frames (`docs/spec/protocol.md` §1): `u32 length, u8 type, u8 flags, u64 request_id,
//! body`, where `length` counts every byte after itself.
//!
//! Invariants: [`FrameDecoder`] rejects a length outside `FRAME_LENGTH_MIN..=FRAME_BYTES_MAX`
//! as soon as the 4 length bytes arrive, before buffering the body, so a peer can never make
//! it hold more than one maximal frame plus what was read past it; frames come out in the
//! order their bytes arrived.

use super::DecodeError;
use super::limits::{FRAME_BYTES_MAX, FRAME_HEADER_BYTES, FRAME_LENGTH_MIN};

/// Set on every frame of a multi-frame response except the last.
pub const FLAG_MORE: u8 = 0x01;
/// Flags this version defines; a frame with any other bit set is malformed.
pub const FLAGS_KNOWN: u8 = FLAG_MORE;

/// One decoded frame; the body is not yet interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// What the body holds (§3, §4).
    pub frame_type: u8,
    /// [`FLAG_MORE`] or 0.
    pub flags: u8,
    /// Chosen by the client; a response carries the id of its request.
    pub request_id: u64,
    /// The message.
    pub body: Vec<u8>,
}

impl Frame {
    /// Whether more frames of the same response follow.
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }
}

/// Appends one frame to `out`: the body is written by `body`, and the length is filled in.
/// Panics if the body exceeds `FRAME_BYTES_MAX` (encoders cut results to stay far below).
pub fn write_frame(
    out: &mut Vec<u8>,
    frame_type: u8,
    flags: u8,
    request_id: u64,
    body: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(frame_type);
    out.push(flags);
    out.extend_from_slice(&request_id.to_be_bytes());
    body(out);
    let length = out.len() - start - 4;
    assert!(
        length <= FRAME_BYTES_MAX,
        "an encoder produced a frame of {length} bytes, above FRAME_BYTES_MAX"
    );
    let length = u32::try_from(length).expect("FRAME_BYTES_MAX fits in u32");
    out[start..start + 4].copy_from_slice(&length.to_be_bytes());
}

/// Splits a byte stream into frames, keeping at most one incomplete frame buffered.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> FrameDecoder {
        FrameDecoder::default()
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, `None` if more bytes are needed. After an error the stream
    /// is unusable (framing is lost): close the connection.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        let pending = &self.buf[self.start..];
        let Some(length) = pending.get(..4) else {
            return Ok(None);
        };
        let length = u32::from_be_bytes(length.try_into().expect("4 bytes")) as usize;
        if length > FRAME_BYTES_MAX {
            return Err(DecodeError::FrameTooLarge {
                len: length,
                max: FRAME_BYTES_MAX,
            });
        }
        if length < FRAME_LENGTH_MIN {
            return Err(DecodeError::FrameTooShort(length));
        }
        if pending.len() < 4 + length {
            return Ok(None);
        }
        let frame = decode_frame(&pending[..4 + length])?;
        self.start += 4 + length;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(frame))
    }
}

/// Decodes exactly one whole frame (length field included).
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, DecodeError> {
    if bytes.len() < FRAME_HEADER_BYTES {
        return Err(DecodeError::Truncated("frame header"));
    }
    let length = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes")) as usize;
    if length > FRAME_BYTES_MAX {
        return Err(DecodeError::FrameTooLarge {
            len: length,
            max: FRAME_BYTES_MAX,
        });
    }
    if length != bytes.len() - 4 {
        return Err(DecodeError::Invalid(
            "frame length",
            format!("says {length}, frame has {}", bytes.len() - 4),
        ));
    }
    let flags = bytes[5];
    if flags & !FLAGS_KNOWN != 0 {
        return Err(DecodeError::UnknownFlags(flags));
    }
    Ok(Frame {
        frame_type: bytes[4],
        flags,
        request_id: u64::from_be_bytes(bytes[6..14].try_into().expect("8 bytes")),
        body: bytes[FRAME_HEADER_BYTES..].to_vec(),
    })
}
