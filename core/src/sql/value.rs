//! SQL values and column types, with the three encodings the SQL layer needs:
//! - the canonical field encoding of a value inside a row entry (`docs/spec/entry.md` §5.2):
//!   a type tag then a fixed payload, one value per field, so a receipt can disclose one column;
//! - the row encoding of the projection store (all columns, length-prefixed);
//! - the order-preserving key encoding of primary keys and index keys: comparing encoded bytes
//!   compares values in SQL order (NULL first), per column, and every encoded value is
//!   self-delimiting so concatenations compare column by column.
//!
//! Invariants: a stored `Real` is never NaN and never `-0.0` (normalized to `0.0`), so equal
//! values have one encoding; decoders accept only canonical bytes.

use std::cmp::Ordering;
use std::fmt;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// 64-bit signed integer.
    Integer,
    /// 64-bit IEEE 754 float (never NaN).
    Real,
    /// UTF-8 text, optionally limited to `max_chars` characters (`VARCHAR(n)`).
    Text {
        /// The `n` of `VARCHAR(n)`.
        max_chars: Option<u32>,
    },
    /// `TRUE` or `FALSE`.
    Boolean,
    /// Raw bytes (`BYTES`, `BLOB`).
    Bytes,
    /// Microseconds since the Unix epoch, UTC.
    Timestamp,
}

impl ColumnType {
    /// The canonical name used in schema entries and docs (`integer`, `varchar(20)`, ...).
    pub fn name(self) -> String {
        match self {
            ColumnType::Integer => "integer".into(),
            ColumnType::Real => "real".into(),
            ColumnType::Text { max_chars: None } => "text".into(),
            ColumnType::Text { max_chars: Some(n) } => format!("varchar({n})"),
            ColumnType::Boolean => "boolean".into(),
            ColumnType::Bytes => "bytes".into(),
            ColumnType::Timestamp => "timestamp".into(),
        }
    }

    /// Parses a canonical name written by [`ColumnType::name`].
    pub(crate) fn from_name(name: &str) -> Option<ColumnType> {
        Some(match name {
            "integer" => ColumnType::Integer,
            "real" => ColumnType::Real,
            "text" => ColumnType::Text { max_chars: None },
            "boolean" => ColumnType::Boolean,
            "bytes" => ColumnType::Bytes,
            "timestamp" => ColumnType::Timestamp,
            other => {
                let n = other.strip_prefix("varchar(")?.strip_suffix(')')?;
                let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
                if n.to_string() != other[8..other.len() - 1] {
                    return None;
                }
                ColumnType::Text { max_chars: Some(n) }
            }
        })
    }

    /// Whether values of the two types can be compared.
    pub(crate) fn comparable(self, other: ColumnType) -> bool {
        self.family() == other.family()
    }

    fn family(self) -> u8 {
        match self {
            ColumnType::Integer | ColumnType::Real => 0,
            ColumnType::Text { .. } => 1,
            ColumnType::Boolean => 2,
            ColumnType::Bytes => 3,
            ColumnType::Timestamp => 4,
        }
    }
}

/// A SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Integer(i64),
    /// A real number.
    Real(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Boolean(bool),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A timestamp in microseconds since the Unix epoch, UTC.
    Timestamp(i64),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Integer(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Boolean(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Integer(v) => write!(f, "{v}"),
            Value::Real(v) => write!(f, "{v:?}"),
            Value::Text(v) => f.write_str(v),
            Value::Boolean(v) => f.write_str(if *v { "true" } else { "false" }),
            Value::Bytes(v) => {
                f.write_str("x'")?;
                v.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
                f.write_str("'")
            }
            Value::Timestamp(us) => f.write_str(&format_timestamp(*us)),
        }
    }
}

/// Two values of types that cannot be compared or combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeMismatch {
    pub(crate) left: &'static str,
    pub(crate) right: &'static str,
}

impl Value {
    /// The value's type name (for messages).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Boolean(_) => "boolean",
            Value::Bytes(_) => "bytes",
            Value::Timestamp(_) => "timestamp",
        }
    }

    /// Whether this is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// SQL comparison: `None` if either side is NULL; integers and reals compare exactly by
    /// numeric value; other types compare only with their own type.
    pub(crate) fn sql_cmp(&self, other: &Value) -> Result<Option<Ordering>, TypeMismatch> {
        use Value::*;
        Ok(Some(match (self, other) {
            (Null, _) | (_, Null) => return Ok(None),
            (Integer(a), Integer(b)) => a.cmp(b),
            (Real(a), Real(b)) => a.total_cmp(b),
            (Integer(a), Real(b)) => cmp_int_real(*a, *b),
            (Real(a), Integer(b)) => cmp_int_real(*b, *a).reverse(),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            // A timestamp compared with text reads the text as a timestamp (parameters).
            (Timestamp(a), Text(t)) if parse_timestamp(t).is_some() => {
                a.cmp(&parse_timestamp(t).unwrap_or_default())
            }
            (Text(t), Timestamp(b)) if parse_timestamp(t).is_some() => {
                parse_timestamp(t).unwrap_or_default().cmp(b)
            }
            (a, b) => {
                return Err(TypeMismatch {
                    left: a.type_name(),
                    right: b.type_name(),
                });
            }
        }))
    }

    /// A total order for sorting: NULL first, then SQL order; values of different families
    /// (only possible with untyped parameters) order by family.
    pub(crate) fn sort_cmp(&self, other: &Value) -> Ordering {
        match self.sql_cmp(other) {
            Ok(Some(ordering)) => ordering,
            Ok(None) => self.is_null().cmp(&other.is_null()).reverse(),
            Err(_) => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 1,
            Value::Text(_) => 2,
            Value::Boolean(_) => 3,
            Value::Bytes(_) => 4,
            Value::Timestamp(_) => 5,
        }
    }
}

/// Compares an integer with a float exactly (no rounding of the integer).
fn cmp_int_real(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // |whole| < 2^63, so the conversion is exact.
    let t = whole as i64;
    match i.cmp(&t) {
        Ordering::Equal => 0.0f64.total_cmp(&(f - whole)).then(Ordering::Equal),
        other => other,
    }
}

/// Normalizes a float for storage: `-0.0` becomes `0.0`; NaN is refused.
pub(crate) fn canonical_real(v: f64) -> Option<f64> {
    if v.is_nan() {
        None
    } else if v == 0.0 {
        Some(0.0)
    } else {
        Some(v)
    }
}

// ---- canonical field encoding (docs/spec/entry.md §5.2) ----

const TAG_NULL: u8 = 0;
const TAG_INTEGER: u8 = 1;
const TAG_REAL: u8 = 2;
const TAG_TEXT: u8 = 3;
const TAG_BOOLEAN: u8 = 4;
const TAG_BYTES: u8 = 5;
const TAG_TIMESTAMP: u8 = 6;

/// The canonical encoding of one value as a field value of a row entry.
pub(crate) fn encode_field(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(TAG_NULL),
        Value::Integer(v) => {
            out.push(TAG_INTEGER);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Value::Real(v) => {
            out.push(TAG_REAL);
            out.extend_from_slice(&v.to_bits().to_be_bytes());
        }
        Value::Text(v) => {
            out.push(TAG_TEXT);
            out.extend_from_slice(v.as_bytes());
        }
        Value::Boolean(v) => out.extend_from_slice(&[TAG_BOOLEAN, u8::from(*v)]),
        Value::Bytes(v) => {
            out.push(TAG_BYTES);
            out.extend_from_slice(v);
        }
        Value::Timestamp(v) => {
            out.push(TAG_TIMESTAMP);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// Decodes the value of a column field of a row entry (`docs/spec/entry.md` §5.2, e.g. a
/// field disclosed in a receipt); `None` unless the bytes are exactly one canonical value.
pub fn decode_field(bytes: &[u8]) -> Option<Value> {
    let (&tag, rest) = bytes.split_first()?;
    let fixed8 = |rest: &[u8]| -> Option<[u8; 8]> { rest.try_into().ok() };
    Some(match tag {
        TAG_NULL if rest.is_empty() => Value::Null,
        TAG_INTEGER => Value::Integer(i64::from_be_bytes(fixed8(rest)?)),
        TAG_REAL => {
            let v = f64::from_bits(u64::from_be_bytes(fixed8(rest)?));
            if canonical_real(v)?.to_bits() != v.to_bits() {
                return None;
            }
            Value::Real(v)
        }
        TAG_TEXT => Value::Text(std::str::from_utf8(rest).ok()?.to_owned()),
        TAG_BOOLEAN => match rest {
            [0] => Value::Boolean(false),
            [1] => Value::Boolean(true),
            _ => return None,
        },
        TAG_BYTES => Value::Bytes(rest.to_vec()),
        TAG_TIMESTAMP => Value::Timestamp(i64::from_be_bytes(fixed8(rest)?)),
        _ => return None,
    })
}

// ---- row encoding (projection store) ----

/// Appends the store encoding of a row: each value as its field encoding, length-prefixed.
pub(crate) fn encode_row(values: &[Value], out: &mut Vec<u8>) {
    let mut field = Vec::new();
    for value in values {
        field.clear();
        encode_field(value, &mut field);
        let len = u32::try_from(field.len()).expect("values are bounded by the payload limit");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&field);
    }
}

/// Decodes a row of exactly `columns` values.
pub(crate) fn decode_row(mut bytes: &[u8], columns: usize) -> Option<Vec<Value>> {
    let mut values = Vec::with_capacity(columns);
    for _ in 0..columns {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (field, rest) = rest.split_at(len);
        values.push(decode_field(field)?);
        bytes = rest;
    }
    bytes.is_empty().then_some(values)
}

// ---- order-preserving key encoding ----

const KEY_NULL: u8 = 0x01;
const KEY_FIXED: u8 = 0x02;
const KEY_VARIABLE: u8 = 0x03;

/// Appends the order-preserving encoding of `value`; `descending` inverts the bytes so the
/// component sorts in reverse. Values of one column have one type, so the tags never compare
/// integers with reals.
pub(crate) fn encode_key(value: &Value, descending: bool, out: &mut Vec<u8>) {
    let start = out.len();
    match value {
        Value::Null => out.push(KEY_NULL),
        Value::Integer(v) | Value::Timestamp(v) => {
            out.push(KEY_FIXED);
            out.extend_from_slice(&((*v as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Real(v) => {
            let bits = v.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            out.push(KEY_FIXED);
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::Boolean(v) => out.extend_from_slice(&[KEY_FIXED, u8::from(*v)]),
        Value::Text(v) => escape_into(v.as_bytes(), out),
        Value::Bytes(v) => escape_into(v, out),
    }
    if descending {
        out[start..].iter_mut().for_each(|b| *b = !*b);
    }
}

/// Variable-length bytes: `0x00` is escaped as `0x00 0xFF`, the end is `0x00 0x00`, so the
/// encoding is prefix-free and orders like the raw bytes.
fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(KEY_VARIABLE);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

// ---- timestamps ----

/// Parses `YYYY-MM-DD`, or `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|±HH:MM]` (no zone means UTC),
/// into microseconds since the Unix epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = digits(parts.next()?, 4)?;
    let month: i64 = digits(parts.next()?, 2)?;
    let day: i64 = digits(parts.next()?, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let (seconds, micros, offset) = match time {
        Some(time) => parse_time(time)?,
        None => (0, 0, 0),
    };
    let total = (days * 86_400 + seconds - offset).checked_mul(1_000_000)?;
    total.checked_add(micros)
}

/// `HH:MM:SS[.fraction][Z|±HH:MM]` into (seconds of day, microseconds, zone offset seconds).
fn parse_time(time: &str) -> Option<(i64, i64, i64)> {
    let (clock, offset) = if let Some(rest) = time.strip_suffix(['Z', 'z']) {
        (rest, 0)
    } else if let Some(i) = time.rfind(['+', '-']).filter(|&i| i >= 8) {
        let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
        let (h, m) = time[i + 1..].split_once(':')?;
        let (h, m): (i64, i64) = (digits(h, 2)?, digits(m, 2)?);
        if h > 23 || m > 59 {
            return None;
        }
        (&time[..i], sign * (h * 3600 + m * 60))
    } else {
        (time, 0)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            (hms, f)
        }
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut parts = hms.splitn(3, ':');
    let h: i64 = digits(parts.next()?, 2)?;
    let m: i64 = digits(parts.next()?, 2)?;
    let s: i64 = digits(parts.next()?, 2)?;
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let mut micros = 0i64;
    for (i, b) in fraction.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    Some((h * 3600 + m * 60 + s, micros, offset))
}

fn digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats microseconds since the epoch as RFC 3339 UTC (`2026-01-02T03:04:05.000006Z`; the
/// fraction only when non-zero).
pub fn format_timestamp(us: i64) -> String {
    let seconds = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let clock = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if micros == 0 {
        format!("{clock}Z")
    } else {
        format!("{clock}.{micros:06}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-02-28T23:59:59.000001Z",
            "2000-02-29T12:00:00Z",
            "1969-12-31T23:59:59.5Z",
        ] {
            let us = parse_timestamp(text).unwrap();
            assert_eq!(parse_timestamp(&format_timestamp(us)), Some(us), "{text}");
        }
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400_000_000));
        assert_eq!(
            parse_timestamp("1970-01-01 01:00:00+01:00"),
            Some(0),
            "offsets"
        );
        for bad in ["2026-02-30", "2026-13-01", "x", "2026-01-01T25:00:00", ""] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_order_like_values() {
        let values = [
            Value::Integer(i64::MIN),
            Value::Integer(-1),
            Value::Integer(0),
            Value::Integer(7),
            Value::Integer(i64::MAX),
        ];
        let reals = [-1e300, -2.5, -0.5, 0.0, 0.25, 3.0, 1e300].map(Value::Real);
        let texts = ["", "\0", "\0a", "a", "a\0", "ab", "b"].map(Value::from);
        for group in [&values[..], &reals[..], &texts[..]] {
            for pair in group.windows(2) {
                for desc in [false, true] {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    encode_key(&pair[0], desc, &mut a);
                    encode_key(&pair[1], desc, &mut b);
                    assert_eq!(a < b, !desc, "{pair:?} desc={desc}");
                }
            }
        }
    }

    #[test]
    fn fields_round_trip_and_are_canonical() {
        for v in [
            Value::Null,
            Value::Integer(-5),
            Value::Real(2.5),
            Value::from("héllo"),
            Value::Boolean(true),
            Value::Bytes(vec![0, 1]),
            Value::Timestamp(17),
        ] {
            let mut out = Vec::new();
            encode_field(&v, &mut out);
            assert_eq!(decode_field(&out), Some(v));
        }
        let mut neg_zero = vec![TAG_REAL];
        neg_zero.extend_from_slice(&(-0.0f64).to_bits().to_be_bytes());
        assert_eq!(decode_field(&neg_zero), None);
        assert_eq!(decode_field(&[TAG_BOOLEAN, 2]), None);
    }

    #[test]
    fn integers_and_reals_compare_exactly() {
        let cmp = |a: Value, b: Value| a.sql_cmp(&b).unwrap().unwrap();
        assert_eq!(cmp(Value::Integer(3), Value::Real(3.5)), Ordering::Less);
        assert_eq!(cmp(Value::Integer(3), Value::Real(3.0)), Ordering::Equal);
        assert_eq!(
            cmp(Value::Integer(-3), Value::Real(-3.5)),
            Ordering::Greater
        );
        assert_eq!(
            cmp(Value::Integer(i64::MAX), Value::Real(9.3e18)),
            Ordering::Less
        );
        assert!(Value::Integer(1).sql_cmp(&Value::from("1")).is_err());
        assert_eq!(Value::Null.sql_cmp(&Value::Integer(1)), Ok(None));
    }
}
