//! Receipts (`docs/spec/receipt.md`): one entry, its position and its inclusion under a signed
//! checkpoint.

use veritydb_verify::limits::RECEIPT_BYTES_MAX;
use wasm_bindgen::prelude::*;

use crate::convert;

/// Verifies a receipt (a `.tlog-proof` text) against the trusted keys.
///
/// Returns the report of `docs/spec/verdicts.md` §5, the same object as
/// `veritydb-verify receipt --json`; for a verified receipt, `report.receipt` says what it
/// proves: the entry (kind, actor, timestamp, disclosed fields) at `position` in the log of
/// `origin`, included in the tree of `tree_size` with `root`, signed by `keys`. A rejected
/// receipt is a report with `ok: false` and a `reason_code`, not an exception.
///
/// `text` is the receipt as a string or as bytes (`Uint8Array`, `ArrayBuffer`); input beyond
/// `receipt_bytes_max` is not read. Throws (with `error.code`) only when nothing could be
/// checked: `VERITYDB_INVALID_KEY`, `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY`,
/// `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyReceipt, unchecked_return_type = "Report")]
pub fn verify_receipt(
    #[wasm_bindgen(unchecked_param_type = "TextInput")] text: &JsValue,
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    let bytes = convert::text_bytes(text, "text", RECEIPT_BYTES_MAX)?;
    Ok(convert::report(&veritydb_verify::verify_receipt(
        &bytes, &keys,
    ))?)
}
