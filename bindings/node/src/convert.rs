//! Every conversion between JS values and the Rust types of core and the verifier, in one
//! place.
//!
//! Arguments arrive as [`Unknown`] and are checked here, so a value of the wrong type becomes
//! a `VERITYDB_INVALID_ARGUMENT` error that the method turns into a rejected Promise (napi's
//! own typed arguments would throw synchronously with napi's codes). Results go out as plain JS
//! values: SQL integers and log positions as `bigint`, reals as `number`, bytes as `Buffer`,
//! timestamps as `Date`.
//!
//! Reading a value of a checked type needs `Unknown::cast`, which napi marks `unsafe` because
//! the caller must have checked the type first. Each cast below follows that check, in this
//! module only.
#![allow(unsafe_code)]

use napi::bindgen_prelude::{
    Array, ArrayBuffer, BigInt, Buffer, ClassInstance, FromNapiValue, JsObjectValue, Null, Object,
    ToNapiValue, Uint8ArraySlice, Unknown,
};
use napi::{Env, JsValue, ValueType};
use veritydb::sql::{At, Rows, Value};

use crate::errors::BindingError;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const JS_SAFE_INTEGER_MAX: f64 = 9_007_199_254_740_991.0;

type Result<T> = std::result::Result<T, BindingError>;

fn invalid(what: &str, expected: &str) -> BindingError {
    BindingError::invalid_argument(format!("{what} must be {expected}"))
}

/// Reads `value` as `T` once its JS type is `expected`.
fn cast<T: FromNapiValue>(value: &Unknown<'_>, expected: ValueType) -> Option<T> {
    if value.get_type().ok()? != expected {
        return None;
    }
    // SAFETY: the JS type was checked just above, as `Unknown::cast` requires.
    unsafe { value.cast::<T>() }.ok()
}

/// Whether `value` is `undefined` or `null` (an omitted optional argument).
pub(crate) fn is_absent(value: &Unknown<'_>) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

/// A string argument.
pub(crate) fn string(value: &Unknown<'_>, what: &str) -> Result<String> {
    cast::<String>(value, ValueType::String).ok_or_else(|| invalid(what, "a string"))
}

/// An optional string: `undefined` and `null` are none.
pub(crate) fn optional_string(value: &Unknown<'_>, what: &str) -> Result<Option<String>> {
    match is_absent(value) {
        true => Ok(None),
        false => string(value, what).map(Some),
    }
}

/// An array argument.
fn array<'env>(value: &Unknown<'env>, what: &str) -> Result<Array<'env>> {
    if !value.is_array().unwrap_or(false) {
        return Err(invalid(what, "an array"));
    }
    // SAFETY: `is_array` was checked just above.
    unsafe { value.cast::<Array<'env>>() }.map_err(|_| invalid(what, "an array"))
}

/// The items of an array argument of at most `max` items (a named limit: longer arrays are
/// refused before their items are read).
fn items<'env>(value: &Unknown<'env>, what: &str, max: usize) -> Result<Vec<Unknown<'env>>> {
    let array = array(value, what)?;
    if array.len() as usize > max {
        return Err(BindingError::new(
            crate::errors::ErrorCode::Limit,
            format!(
                "{what} holds {} items, more than the limit of {max}",
                array.len()
            ),
        ));
    }
    (0..array.len())
        .map(|index| {
            array
                .get::<Unknown<'env>>(index)?
                .ok_or_else(|| invalid(what, "an array without holes"))
        })
        .collect()
}

/// An array of field names (at most `entry_fields_max`); `undefined` and `null` are the
/// empty list.
pub(crate) fn string_list(value: &Unknown<'_>, what: &str) -> Result<Vec<String>> {
    if is_absent(value) {
        return Ok(Vec::new());
    }
    items(value, what, veritydb::limits::ENTRY_FIELDS_MAX)?
        .iter()
        .enumerate()
        .map(|(index, item)| string(item, &format!("{what}[{index}]")))
        .collect()
}

/// The `Statement` behind a JS value (the cast checks the class: another object fails).
pub(crate) fn statement<'env>(
    value: &Unknown<'env>,
    what: &str,
) -> Result<ClassInstance<'env, crate::statement::Statement>> {
    if value.get_type()? != ValueType::Object {
        return Err(invalid(what, "a Statement"));
    }
    // SAFETY: the value is an object; the cast checks that it wraps a `Statement`.
    unsafe { value.cast::<ClassInstance<'env, crate::statement::Statement>>() }
        .map_err(|_| invalid(what, "a Statement"))
}

/// An options object: `undefined` and `null` are no options.
pub(crate) fn options<'env>(value: &Unknown<'env>, what: &str) -> Result<Option<Object<'env>>> {
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ValueType::Object if !value.is_array().unwrap_or(false) => {
            Ok(Some(value.coerce_to_object()?))
        }
        _ => Err(invalid(what, "an object")),
    }
}

/// The property `name` of an options object (`undefined` when there are no options).
pub(crate) fn property<'env>(
    options: Option<&Object<'env>>,
    name: &str,
) -> Result<Option<Unknown<'env>>> {
    match options {
        None => Ok(None),
        Some(object) => Ok(object.get::<Unknown<'env>>(name)?),
    }
}

/// A non-negative integer: a number up to 2^53 - 1 or a `bigint` below 2^64.
pub(crate) fn unsigned(value: &Unknown<'_>, what: &str) -> Result<u64> {
    let expected = "a non-negative integer (a number up to 2^53 - 1, or a bigint below 2^64)";
    match value.get_type()? {
        ValueType::Number => {
            let number =
                cast::<f64>(value, ValueType::Number).ok_or_else(|| invalid(what, expected))?;
            let exact = number.fract() == 0.0 && (0.0..=JS_SAFE_INTEGER_MAX).contains(&number);
            // Exact by the check above: a whole number in [0, 2^53) converts without loss.
            exact
                .then_some(number as u64)
                .ok_or_else(|| invalid(what, expected))
        }
        ValueType::BigInt => {
            let bigint =
                cast::<BigInt>(value, ValueType::BigInt).ok_or_else(|| invalid(what, expected))?;
            match bigint.get_u64() {
                (false, n, true) => Ok(n),
                _ => Err(invalid(what, expected)),
            }
        }
        _ => Err(invalid(what, expected)),
    }
}

/// An optional non-negative integer.
pub(crate) fn optional_unsigned(value: Option<&Unknown<'_>>, what: &str) -> Result<Option<u64>> {
    match value {
        Some(value) if !is_absent(value) => unsigned(value, what).map(Some),
        _ => Ok(None),
    }
}

/// SQL parameters: an array of at most `sql_params_max` values; `undefined` and `null` are
/// none.
pub(crate) fn params(value: &Unknown<'_>) -> Result<Vec<Value>> {
    if is_absent(value) {
        return Ok(Vec::new());
    }
    items(value, "params", veritydb::limits::SQL_PARAMS_MAX)?
        .iter()
        .enumerate()
        .map(|(index, item)| sql_value(item, &format!("params[{index}]")))
        .collect()
}

/// One SQL value from JS: `null`/`undefined`, a number (an integer when it is a whole number
/// up to 2^53 - 1, else a real), a `bigint` (64-bit integer), a string, a boolean, a `Buffer` or
/// `Uint8Array` (bytes), or a `Date` (a timestamp, millisecond precision).
pub(crate) fn sql_value(value: &Unknown<'_>, what: &str) -> Result<Value> {
    let expected =
        "null, a number, a bigint, a string, a boolean, a Buffer or Uint8Array, or a Date";
    let refused = || invalid(what, expected);
    Ok(match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Value::Null,
        ValueType::Boolean => {
            Value::Boolean(cast::<bool>(value, ValueType::Boolean).ok_or_else(refused)?)
        }
        ValueType::String => Value::Text(string(value, what)?),
        ValueType::Number => number_value(
            cast::<f64>(value, ValueType::Number).ok_or_else(refused)?,
            what,
        )?,
        ValueType::BigInt => {
            let bigint = cast::<BigInt>(value, ValueType::BigInt).ok_or_else(refused)?;
            match bigint.get_i64() {
                (n, true) => Value::Integer(n),
                _ => return Err(invalid(what, "a bigint in the 64-bit signed range")),
            }
        }
        ValueType::Object if value.is_date()? => {
            let ms = value.coerce_to_number()?.get_double()?;
            Value::Timestamp(date_us(ms, what)?)
        }
        ValueType::Object => Value::Bytes(bytes(value).ok_or_else(refused)?),
        _ => return Err(refused()),
    })
}

/// A JS number as a SQL value: whole numbers that a JS number holds exactly are integers.
fn number_value(number: f64, what: &str) -> Result<Value> {
    if !number.is_finite() {
        return Err(invalid(
            what,
            "a finite number (NaN and Infinity are not SQL values)",
        ));
    }
    if number.fract() == 0.0 && number.abs() <= JS_SAFE_INTEGER_MAX {
        // Exact by the check above.
        return Ok(Value::Integer(number as i64));
    }
    Ok(Value::Real(number))
}

/// Microseconds since the Unix epoch from a `Date`'s milliseconds.
fn date_us(ms: f64, what: &str) -> Result<i64> {
    if !ms.is_finite() {
        return Err(invalid(what, "a valid Date"));
    }
    // A valid Date is within ±8.64e15 ms, so microseconds fit an i64 exactly.
    Ok((ms * 1000.0) as i64)
}

/// The bytes of a `Uint8Array` (a `Buffer` is one), or `None` for other objects.
fn bytes(value: &Unknown<'_>) -> Option<Vec<u8>> {
    if !value.is_typedarray().unwrap_or(false) {
        return None;
    }
    // SAFETY: `is_typedarray` was checked just above; the cast itself refuses typed arrays
    // of other element types.
    let slice = unsafe { value.cast::<Uint8ArraySlice<'_>>() }.ok()?;
    Some(slice.to_vec())
}

/// Binary input: a `Uint8Array` (a `Buffer` is one) or an `ArrayBuffer`, read by `read`.
pub(crate) fn with_bytes<T>(
    value: &Unknown<'_>,
    what: &str,
    expected: &str,
    read: impl FnOnce(&[u8]) -> T,
) -> Result<T> {
    if value.is_typedarray().unwrap_or(false) {
        // SAFETY: `is_typedarray` was checked just above; the cast refuses other typed arrays.
        let slice =
            unsafe { value.cast::<Uint8ArraySlice<'_>>() }.map_err(|_| invalid(what, expected))?;
        return Ok(read(&slice));
    }
    if value.is_arraybuffer().unwrap_or(false) {
        // SAFETY: `is_arraybuffer` was checked just above.
        let buffer =
            unsafe { value.cast::<ArrayBuffer<'_>>() }.map_err(|_| invalid(what, expected))?;
        return Ok(read(&buffer));
    }
    Err(invalid(what, expected))
}

/// Text input: a string, or its bytes (`Uint8Array`, `ArrayBuffer`), read up to `limit` bytes.
pub(crate) fn text_bytes(value: &Unknown<'_>, what: &str, limit: usize) -> Result<Vec<u8>> {
    let expected = "a string, Uint8Array or ArrayBuffer";
    if value.get_type()? == ValueType::String {
        let mut bytes = string(value, what)?.into_bytes();
        bytes.truncate(limit);
        return Ok(bytes);
    }
    with_bytes(value, what, expected, |bytes| {
        bytes[..bytes.len().min(limit)].to_vec()
    })
}

/// `{ position }` or `{ timestamp }` for time travel: a position (number or bigint), or a
/// time (a `Date`, or a `bigint` of microseconds since the Unix epoch).
pub(crate) fn at(value: &Unknown<'_>) -> Result<At> {
    let expected = "{ position } or { timestamp }";
    let object = options(value, "at")?.ok_or_else(|| invalid("at", expected))?;
    let position = property(Some(&object), "position")?;
    let timestamp = property(Some(&object), "timestamp")?;
    match (position, timestamp) {
        (Some(position), None) => Ok(At::Position(unsigned(&position, "at.position")?)),
        (None, Some(timestamp)) => {
            let what = "at.timestamp";
            let us = match sql_value(&timestamp, what)? {
                Value::Timestamp(us) => u64::try_from(us).ok(),
                Value::Integer(us) if timestamp.get_type()? == ValueType::BigInt => {
                    u64::try_from(us).ok()
                }
                _ => None,
            };
            let us = us.ok_or_else(|| {
                invalid(
                    what,
                    "a Date after 1970, or a bigint of microseconds since 1970",
                )
            })?;
            Ok(At::Timestamp(us))
        }
        _ => Err(invalid("at", expected)),
    }
}

/// How query rows come out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowMode {
    /// One object per row, keyed by column name.
    Object,
    /// One array per row, in column order.
    Array,
}

/// `{ rowMode: 'object' | 'array' }`.
pub(crate) fn row_mode(value: &Unknown<'_>) -> Result<RowMode> {
    let options = options(value, "options")?;
    match property(options.as_ref(), "rowMode")? {
        None => Ok(RowMode::Object),
        Some(mode) => match optional_string(&mode, "options.rowMode")?.as_deref() {
            None | Some("object") => Ok(RowMode::Object),
            Some("array") => Ok(RowMode::Array),
            Some(_) => Err(invalid("options.rowMode", "'object' or 'array'")),
        },
    }
}

/// JSON text of a JS value, by the global `JSON.stringify`.
pub(crate) fn json_text(env: &Env, value: Unknown<'_>, what: &str) -> Result<String> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let stringify: napi::bindgen_prelude::Function<'_, Unknown<'_>, Unknown<'_>> =
        json.get_named_property("stringify")?;
    let text = stringify.call(value).map_err(|e| {
        BindingError::invalid_argument(format!("{what} cannot be written as JSON: {}", e.reason))
    })?;
    cast::<String>(&text, ValueType::String).ok_or_else(|| {
        invalid(
            what,
            "a value JSON can represent (not undefined, a function or a symbol)",
        )
    })
}

/// A JS value from JSON text, by the global `JSON.parse`.
pub(crate) fn json_value<'env>(env: &'env Env, text: String) -> Result<Unknown<'env>> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let parse: napi::bindgen_prelude::Function<'_, String, Unknown<'env>> =
        json.get_named_property("parse")?;
    Ok(parse.call(text)?)
}

/// One SQL value as JS.
pub(crate) fn value_to_js<'env>(env: &'env Env, value: Value) -> Result<Unknown<'env>> {
    Ok(match value {
        Value::Null => Null.into_unknown(env)?,
        Value::Integer(n) => BigInt::from(n).into_unknown(env)?,
        Value::Real(x) => x.into_unknown(env)?,
        Value::Text(s) => s.into_unknown(env)?,
        Value::Boolean(b) => b.into_unknown(env)?,
        Value::Bytes(b) => Buffer::from(b).into_unknown(env)?,
        Value::Timestamp(us) => date(env, us)?,
    })
}

/// A `Date` for microseconds since the Unix epoch (JS dates keep whole milliseconds).
pub(crate) fn date<'env>(env: &'env Env, us: i64) -> Result<Unknown<'env>> {
    Ok(env.create_date(us.div_euclid(1000) as f64)?.to_unknown())
}

/// `{ columns, rows, versions }` of a query. Indices fit a `u32`: a result holds at most
/// `sql_result_rows_max` rows of at most `sql_columns_max` columns.
pub(crate) fn rows_to_js<'env>(env: &'env Env, rows: Rows, mode: RowMode) -> Result<Unknown<'env>> {
    let Rows {
        columns,
        rows,
        versions,
    } = rows;
    let mut column_list = env.create_array(u32::try_from(columns.len()).unwrap_or(u32::MAX))?;
    for (index, column) in columns.iter().enumerate() {
        let mut object = Object::new(env)?;
        object.set("name", column.name.as_str())?;
        match column.column_type {
            Some(column_type) => object.set("type", column_type.name())?,
            None => object.set("type", Null)?,
        }
        column_list.set(index as u32, object)?;
    }
    let mut row_list = env.create_array(u32::try_from(rows.len()).unwrap_or(u32::MAX))?;
    for (index, row) in rows.into_iter().enumerate() {
        let js_row = match mode {
            RowMode::Object => {
                let mut object = Object::new(env)?;
                for (column, value) in columns.iter().zip(row) {
                    object.set(&column.name, value_to_js(env, value)?)?;
                }
                object.to_unknown()
            }
            RowMode::Array => {
                let mut array = env.create_array(u32::try_from(row.len()).unwrap_or(u32::MAX))?;
                for (at, value) in row.into_iter().enumerate() {
                    array.set(at as u32, value_to_js(env, value)?)?;
                }
                array.into_unknown(env)?
            }
        };
        row_list.set(index as u32, js_row)?;
    }
    let mut result = Object::new(env)?;
    result.set("columns", column_list)?;
    result.set("rows", row_list)?;
    result.set("versions", versions)?;
    Ok(result.to_unknown())
}

/// Trusted keys for the verifier: an array of C2SP vkey strings, or one string with one vkey
/// per line (blank lines and `#` comments ignored, as in the CLI's `--trust-keys` file). At
/// least one key is required, as the CLI requires one.
pub(crate) fn trusted_keys(value: &Unknown<'_>) -> Result<veritydb_verify::TrustedKeys> {
    use veritydb_verify::TrustedKeys;
    use veritydb_verify::limits::TRUSTED_KEYS_MAX;
    let keys = if value.get_type()? == ValueType::String {
        TrustedKeys::parse_lines(&string(value, "trustedKeys")?)?
    } else if value.is_array().unwrap_or(false) {
        let array = array(value, "trustedKeys")?;
        // One item more than the limit is enough for the library to refuse too many keys.
        let count = array.len().min(TRUSTED_KEYS_MAX as u32 + 1);
        let mut vkeys = Vec::with_capacity(count as usize);
        for index in 0..count {
            let what = format!("trustedKeys[{index}]");
            let item = array
                .get::<Unknown<'_>>(index)?
                .ok_or_else(|| invalid(&what, "a string: give C2SP vkey strings"))?;
            let key = cast::<String>(&item, ValueType::String)
                .ok_or_else(|| invalid(&what, "a string: give C2SP vkey strings"))?;
            vkeys.push(key.trim().to_owned());
        }
        TrustedKeys::parse(&vkeys)?
    } else {
        return Err(invalid(
            "trustedKeys",
            "an array of vkey strings or one string with a vkey per line",
        ));
    };
    if keys.is_empty() {
        return Err(BindingError::new(
            crate::errors::ErrorCode::NoTrustedKey,
            "no trusted key: give at least one verifier key (vkey)",
        ));
    }
    Ok(keys)
}

/// A hash: standard base64 (padded, surrounding spaces ignored) or raw bytes. Its length is
/// the verifier's to judge (`bad_proof`).
pub(crate) fn hash(value: &Unknown<'_>, what: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    if value.get_type()? == ValueType::String {
        let text = string(value, what)?;
        return base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| {
                let shown: String = text.chars().take(100).collect();
                BindingError::new(
                    crate::errors::ErrorCode::InvalidBase64,
                    format!("{what} is not valid base64: {shown:?}"),
                )
            });
    }
    bytes(value).ok_or_else(|| invalid(what, "a base64 string or a Uint8Array"))
}

/// A proof: an array of hashes; `null` or `undefined` is the empty proof.
pub(crate) fn proof(value: &Unknown<'_>, what: &str) -> Result<Vec<Vec<u8>>> {
    if is_absent(value) {
        return Ok(Vec::new());
    }
    if !value.is_array().unwrap_or(false) {
        return Err(invalid(
            what,
            "an array of hashes (base64 strings or Uint8Arrays)",
        ));
    }
    // As long as given: the verifier judges a proof's length (as the CLI does).
    items(value, what, usize::MAX)?
        .iter()
        .enumerate()
        .map(|(index, item)| hash(item, &format!("{what}[{index}]")))
        .collect()
}

/// A tree size or index: a non-negative integer as a number (exact up to 2^53 - 1), a
/// `bigint`, or a decimal string.
pub(crate) fn size(value: &Unknown<'_>, what: &str) -> Result<u64> {
    if value.get_type()? == ValueType::String {
        let digits = string(value, what)?;
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return digits
                .parse::<u64>()
                .map_err(|_| invalid(what, "below 2^64"));
        }
        return Err(invalid(
            what,
            "a non-negative integer (a number, a bigint, or a decimal string)",
        ));
    }
    unsigned(value, what)
}

/// A byte string of exactly `N` bytes from a `Uint8Array`, or `None` for another length.
pub(crate) fn fixed_bytes<const N: usize>(
    value: &Unknown<'_>,
    what: &str,
) -> Result<Option<[u8; N]>> {
    let bytes = bytes(value).ok_or_else(|| invalid(what, "a Uint8Array"))?;
    Ok(<[u8; N]>::try_from(bytes).ok())
}

/// Bytes from a `Uint8Array`.
pub(crate) fn byte_string(value: &Unknown<'_>, what: &str) -> Result<Vec<u8>> {
    bytes(value).ok_or_else(|| invalid(what, "a Uint8Array"))
}

/// A verification report as the plain object the CLI prints with `--json`.
pub(crate) fn report<'env>(
    env: &'env Env,
    report: &veritydb_verify::Report,
) -> Result<Unknown<'env>> {
    json_value(env, report.to_json())
}
