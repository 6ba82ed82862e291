//! Every conversion between JS values and the verifier library's types, in one place.
//!
//! Inputs are checked here, so the exported functions receive well-typed Rust values or throw
//! `VERITYDB_INVALID_ARGUMENT` (wrong type), `VERITYDB_INVALID_BASE64`, or a key error. Reports
//! go out as `JSON.parse(Report::to_json())`: the CLI's `--json` object, field for field.
//!
//! Bounds: text inputs are read up to `limit + 1` bytes, as the CLI reads files, so an
//! oversized input gets the library's `limit_exceeded` verdict without being copied whole;
//! byte arrays for exports are copied into WebAssembly memory one `COPY_CHUNK_BYTES` piece at a
//! time, so memory stays constant for any export size.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use veritydb_verify::limits::TRUSTED_KEYS_MAX;
use veritydb_verify::{ExportVerifier, Report, TrustedKeys};
use wasm_bindgen::{JsCast as _, JsValue};

use crate::errors::{BindingError, ErrorCode};

/// Exports are copied into WebAssembly memory in pieces of this size (as the CLI reads files
/// in 1 MiB chunks).
pub(crate) const COPY_CHUNK_BYTES: u32 = 1 << 20;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const JS_SAFE_INTEGER_MAX: f64 = 9_007_199_254_740_991.0;

/// Trusted keys from an array of vkey strings, or from one string with one vkey per line
/// (blank lines and `#` comments ignored, as in the CLI's `--trust-keys` file). At least one
/// key is required, as the CLI requires one.
pub(crate) fn trusted_keys(value: &JsValue) -> Result<TrustedKeys, BindingError> {
    let keys = if let Some(text) = value.as_string() {
        TrustedKeys::parse_lines(&text)?
    } else if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        // One item more than the limit is enough for the library to refuse too many keys.
        let count = array.length().min(TRUSTED_KEYS_MAX as u32 + 1);
        let mut vkeys = Vec::with_capacity(count as usize);
        for index in 0..count {
            let item = array.get(index).as_string().ok_or_else(|| {
                BindingError::invalid_argument(format!(
                    "trustedKeys[{index}] is not a string: give C2SP vkey strings"
                ))
            })?;
            vkeys.push(item.trim().to_owned());
        }
        TrustedKeys::parse(&vkeys)?
    } else {
        return Err(BindingError::invalid_argument(
            "trustedKeys must be an array of vkey strings or one string with a vkey per line",
        ));
    };
    if keys.is_empty() {
        return Err(BindingError::new(
            ErrorCode::NoTrustedKey,
            "no trusted key: give at least one verifier key (vkey)",
        ));
    }
    Ok(keys)
}

/// A text input (a string, or its bytes as a `Uint8Array` or `ArrayBuffer`), read up to
/// `limit + 1` bytes.
pub(crate) fn text_bytes(
    value: &JsValue,
    what: &str,
    limit: usize,
) -> Result<Vec<u8>, BindingError> {
    let read_max = limit.saturating_add(1);
    if let Some(text) = value.as_string() {
        let mut bytes = text.into_bytes();
        bytes.truncate(read_max);
        return Ok(bytes);
    }
    let array = byte_array(value, what, "a string, Uint8Array or ArrayBuffer")?;
    let end = u32::try_from(read_max)
        .unwrap_or(u32::MAX)
        .min(array.length());
    Ok(array.subarray(0, end).to_vec())
}

/// A binary input: a `Uint8Array` (a Node `Buffer` is one) or an `ArrayBuffer`.
pub(crate) fn byte_array(
    value: &JsValue,
    what: &str,
    expected: &str,
) -> Result<Uint8Array, BindingError> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        Ok(array.clone())
    } else if value.is_instance_of::<ArrayBuffer>() {
        Ok(Uint8Array::new(value))
    } else {
        Err(BindingError::invalid_argument(format!(
            "{what} must be {expected}"
        )))
    }
}

/// Feeds a byte array to an export verifier in `COPY_CHUNK_BYTES` pieces through `buffer`,
/// stopping at the first failure (after which input cannot change the report).
pub(crate) fn feed_export(verifier: &mut ExportVerifier, array: &Uint8Array, buffer: &mut Vec<u8>) {
    let len = array.length();
    let mut start = 0;
    while start < len && !verifier.has_failed() {
        let end = start.saturating_add(COPY_CHUNK_BYTES).min(len);
        let piece = array.subarray(start, end);
        buffer.resize(piece.length() as usize, 0);
        piece.copy_to(buffer);
        verifier.update(buffer);
        start = end;
    }
}

/// A hash: standard base64 (padded, as the CLI takes it; surrounding spaces ignored) or raw
/// bytes. Its length is the library's to judge (`bad_proof`).
pub(crate) fn hash(value: &JsValue, what: &str) -> Result<Vec<u8>, BindingError> {
    if let Some(text) = value.as_string() {
        return BASE64.decode(text.trim()).map_err(|_| {
            BindingError::new(
                ErrorCode::InvalidBase64,
                format!("{what} is not valid base64: {:?}", shorten(&text)),
            )
        });
    }
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    Err(BindingError::invalid_argument(format!(
        "{what} must be a base64 string or a Uint8Array"
    )))
}

/// A proof: an array of hashes; `null` or `undefined` is the empty proof.
pub(crate) fn proof(value: &JsValue, what: &str) -> Result<Vec<Vec<u8>>, BindingError> {
    if value.is_null() || value.is_undefined() {
        return Ok(Vec::new());
    }
    if !Array::is_array(value) {
        return Err(BindingError::invalid_argument(format!(
            "{what} must be an array of hashes (base64 strings or Uint8Arrays)"
        )));
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length())
        .map(|index| hash(&array.get(index), &format!("{what}[{index}]")))
        .collect()
}

/// A tree size or index: a non-negative integer as a number (exact up to 2^53 - 1), a
/// `bigint`, or a decimal string.
pub(crate) fn unsigned(value: &JsValue, what: &str) -> Result<u64, BindingError> {
    let invalid = || {
        BindingError::invalid_argument(format!(
            "{what} must be a non-negative integer (a number up to 2^53 - 1, a bigint, or a decimal string) below 2^64"
        ))
    };
    if let Some(number) = value.as_f64() {
        let exact = number.fract() == 0.0 && (0.0..=JS_SAFE_INTEGER_MAX).contains(&number);
        // Exact by the check above: a whole number in [0, 2^53) converts without loss.
        return if exact {
            Ok(number as u64)
        } else {
            Err(invalid())
        };
    }
    let digits = if value.is_bigint() {
        let bigint: &js_sys::BigInt = value.unchecked_ref();
        bigint
            .to_string(10)
            .map(String::from)
            .map_err(|_| invalid())?
    } else if let Some(text) = value.as_string() {
        text
    } else {
        return Err(invalid());
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits.parse::<u64>().map_err(|_| invalid())
}

/// An optional string: `undefined` and `null` are none.
pub(crate) fn optional_string(value: &JsValue, what: &str) -> Result<Option<String>, BindingError> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| BindingError::invalid_argument(format!("{what} must be a string")))
}

/// A fixed-size byte array from a `Uint8Array`, or `None` when it has another length.
pub(crate) fn fixed_bytes<const N: usize>(
    value: &JsValue,
    what: &str,
) -> Result<Option<[u8; N]>, BindingError> {
    let array = value
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| BindingError::invalid_argument(format!("{what} must be a Uint8Array")))?;
    Ok(<[u8; N]>::try_from(array.to_vec()).ok())
}

/// A byte string from a `Uint8Array`.
pub(crate) fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, BindingError> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or_else(|| BindingError::invalid_argument(format!("{what} must be a Uint8Array")))
}

/// The report as a plain JS object: `JSON.parse(report.to_json())`, the CLI's `--json` output.
pub(crate) fn report(report: &Report) -> Result<JsValue, BindingError> {
    js_sys::JSON::parse(&report.to_json()).map_err(|_| {
        BindingError::new(
            ErrorCode::Internal,
            "the verifier's report is not valid JSON (a bug in veritydb-verify)",
        )
    })
}

fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

/// `{ bytes, entries }` of a streaming export verification.
pub(crate) fn progress(progress: veritydb_verify::Progress) -> JsValue {
    // Byte and entry counts stay far below 2^53, so JS numbers hold them exactly.
    plain_object(&[
        ("bytes", JsValue::from_f64(progress.bytes as f64)),
        ("entries", JsValue::from_f64(progress.entries as f64)),
    ])
}

/// `[{ name, keyId }]` for trusted keys, in the order given (duplicates removed).
pub(crate) fn key_infos(keys: &TrustedKeys) -> JsValue {
    let out = Array::new();
    for key in keys.keys() {
        out.push(&plain_object(&[
            ("name", JsValue::from_str(key.name())),
            ("keyId", JsValue::from_str(&format!("{:08x}", key.id()))),
        ]));
    }
    out.into()
}

fn plain_object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        // Defining a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}
