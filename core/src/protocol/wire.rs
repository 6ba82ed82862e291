//! Primitive encodings of the protocol (`docs/spec/protocol.md` §2): big-endian integers,
//! length-prefixed text and bytes, SQL values.
//!
//! Invariant: a [`Reader`] never reads past its slice, never allocates more than the bytes it
//! still holds, and checks every length against a named limit before using it.

use super::DecodeError;
use crate::sql::{ColumnType, Value};

/// Reads primitives from one frame body.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated(what));
        }
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N, what)?;
        Ok(slice.try_into().expect("take returned exactly N bytes"))
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn bool(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Invalid(
                what,
                "a boolean must be 0 or 1".into(),
            )),
        }
    }

    /// A count of items that each take at least `item_bytes_min` bytes, at most `max`.
    pub(crate) fn count(
        &mut self,
        len: usize,
        max: usize,
        item_bytes_min: usize,
        what: &'static str,
    ) -> Result<usize, DecodeError> {
        if len > max {
            return Err(DecodeError::TooMany {
                what,
                count: len,
                max,
            });
        }
        if len.saturating_mul(item_bytes_min.max(1)) > self.remaining() {
            return Err(DecodeError::Truncated(what));
        }
        Ok(len)
    }

    pub(crate) fn count16(
        &mut self,
        max: usize,
        item_bytes_min: usize,
        what: &'static str,
    ) -> Result<usize, DecodeError> {
        let n = usize::from(self.u16(what)?);
        self.count(n, max, item_bytes_min, what)
    }

    pub(crate) fn count32(
        &mut self,
        max: usize,
        item_bytes_min: usize,
        what: &'static str,
    ) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        self.count(n, max, item_bytes_min, what)
    }

    fn text(&mut self, len: usize, max: usize, what: &'static str) -> Result<String, DecodeError> {
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        let bytes = self.take(len, what)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError::Invalid(what, "not UTF-8".into()))
    }

    pub(crate) fn str8(&mut self, max: usize, what: &'static str) -> Result<String, DecodeError> {
        let len = usize::from(self.u8(what)?);
        self.text(len, max, what)
    }

    pub(crate) fn str16(&mut self, max: usize, what: &'static str) -> Result<String, DecodeError> {
        let len = usize::from(self.u16(what)?);
        self.text(len, max, what)
    }

    pub(crate) fn str32(&mut self, max: usize, what: &'static str) -> Result<String, DecodeError> {
        let len = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        self.text(len, max, what)
    }

    pub(crate) fn bytes32(
        &mut self,
        max: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, DecodeError> {
        let len = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        Ok(self.take(len, what)?.to_vec())
    }

    /// One SQL value (§2.2).
    pub(crate) fn value(&mut self) -> Result<Value, DecodeError> {
        const WHAT: &str = "value";
        Ok(match self.u8(WHAT)? {
            0 => Value::Null,
            1 => Value::Integer(self.u64(WHAT)? as i64),
            2 => {
                let real = f64::from_bits(self.u64(WHAT)?);
                if real.is_nan() {
                    return Err(DecodeError::Invalid(WHAT, "a real must not be NaN".into()));
                }
                Value::Real(real)
            }
            3 => Value::Text(self.str32(crate::limits::ENTRY_PAYLOAD_BYTES_MAX, WHAT)?),
            4 => Value::Boolean(self.bool(WHAT)?),
            5 => Value::Bytes(self.bytes32(crate::limits::ENTRY_PAYLOAD_BYTES_MAX, WHAT)?),
            6 => Value::Timestamp(self.u64(WHAT)? as i64),
            tag => {
                return Err(DecodeError::Invalid(
                    WHAT,
                    format!("unknown value tag {tag}"),
                ));
            }
        })
    }

    /// `u16 n` then `n` values.
    pub(crate) fn values(&mut self, max: usize) -> Result<Vec<Value>, DecodeError> {
        let n = self.count16(max, 1, "values")?;
        (0..n).map(|_| self.value()).collect()
    }

    /// A column type (§2.2): `u8 code, u32 max_chars` (0 = none).
    pub(crate) fn column_type(&mut self) -> Result<Option<ColumnType>, DecodeError> {
        const WHAT: &str = "column type";
        let code = self.u8(WHAT)?;
        let max_chars = self.u32(WHAT)?;
        Ok(match code {
            0 => None,
            1 => Some(ColumnType::Integer),
            2 => Some(ColumnType::Real),
            3 => Some(ColumnType::Text {
                max_chars: (max_chars > 0).then_some(max_chars),
            }),
            4 => Some(ColumnType::Boolean),
            5 => Some(ColumnType::Bytes),
            6 => Some(ColumnType::Timestamp),
            _ => {
                return Err(DecodeError::Invalid(
                    WHAT,
                    format!("unknown column type {code}"),
                ));
            }
        })
    }
}

/// Appends primitives to a frame body. Callers keep lengths within the limits the matching
/// [`Reader`] enforces; text longer than its prefix allows is a bug and panics.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_bool(&mut self, v: bool);
    fn put_str8(&mut self, s: &str);
    fn put_str16(&mut self, s: &str);
    fn put_str32(&mut self, s: &str);
    fn put_bytes32(&mut self, b: &[u8]);
    fn put_value(&mut self, v: &Value);
    fn put_values(&mut self, values: &[Value]);
    fn put_column_type(&mut self, t: Option<ColumnType>);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_bool(&mut self, v: bool) {
        self.push(u8::from(v));
    }
    fn put_str8(&mut self, s: &str) {
        self.push(u8::try_from(s.len()).expect("str8 text is validated to 255 bytes"));
        self.extend_from_slice(s.as_bytes());
    }
    fn put_str16(&mut self, s: &str) {
        self.put_u16(u16::try_from(s.len()).expect("str16 text is validated to 65535 bytes"));
        self.extend_from_slice(s.as_bytes());
    }
    fn put_str32(&mut self, s: &str) {
        self.put_bytes32(s.as_bytes());
    }
    fn put_bytes32(&mut self, b: &[u8]) {
        self.put_u32(u32::try_from(b.len()).expect("frames are far below 4 GiB"));
        self.extend_from_slice(b);
    }
    fn put_value(&mut self, v: &Value) {
        match v {
            Value::Null => self.push(0),
            Value::Integer(i) => {
                self.push(1);
                self.put_u64(*i as u64);
            }
            Value::Real(r) => {
                self.push(2);
                self.put_u64(r.to_bits());
            }
            Value::Text(s) => {
                self.push(3);
                self.put_str32(s);
            }
            Value::Boolean(b) => {
                self.push(4);
                self.put_bool(*b);
            }
            Value::Bytes(b) => {
                self.push(5);
                self.put_bytes32(b);
            }
            Value::Timestamp(t) => {
                self.push(6);
                self.put_u64(*t as u64);
            }
        }
    }
    fn put_values(&mut self, values: &[Value]) {
        self.put_u16(u16::try_from(values.len()).expect("parameter lists are validated"));
        for v in values {
            self.put_value(v);
        }
    }
    fn put_column_type(&mut self, t: Option<ColumnType>) {
        let (code, max_chars) = match t {
            None => (0, 0),
            Some(ColumnType::Integer) => (1, 0),
            Some(ColumnType::Real) => (2, 0),
            Some(ColumnType::Text { max_chars }) => (3, max_chars.unwrap_or(0)),
            Some(ColumnType::Boolean) => (4, 0),
            Some(ColumnType::Bytes) => (5, 0),
            Some(ColumnType::Timestamp) => (6, 0),
        };
        self.push(code);
        self.put_u32(max_chars);
    }
}

/// The encoded size of a value, for cutting results into frames.
pub(crate) fn value_bytes(v: &Value) -> usize {
    1 + match v {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) | Value::Timestamp(_) => 8,
        Value::Boolean(_) => 1,
        Value::Text(s) => 4 + s.len(),
        Value::Bytes(b) => 4 + b.len(),
    }
}
