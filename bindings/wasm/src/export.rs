//! Export files (`docs/spec/export.md`): whole buffers, and a streaming verifier for files too
//! large to hold in memory (feed a `File` stream chunk by chunk).

use veritydb_verify::ExportVerifier;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::errors::{BindingError, ErrorCode};

const BYTES_EXPECTED: &str = "a Uint8Array or ArrayBuffer";

/// Verifies a whole export file held in memory against the trusted keys.
///
/// Returns the report of `docs/spec/verdicts.md` §5, the same object as
/// `veritydb-verify export --json`: `range` ({from, to}), `entries` and `checkpoints` verified,
/// `origin`, the covering `tree_size` and `root`, the signing `keys`; or `ok: false` with the
/// first failure's `reason`, `reason_code` and `position`. The bytes are copied into
/// WebAssembly memory 1 MiB at a time. For files larger than memory, use `ExportVerifier`.
///
/// Throws (with `error.code`) only when nothing could be checked: `VERITYDB_INVALID_KEY`,
/// `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY`, `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyExport, unchecked_return_type = "Report")]
pub fn verify_export(
    #[wasm_bindgen(unchecked_param_type = "BytesInput")] bytes: &JsValue,
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    let array = convert::byte_array(bytes, "bytes", BYTES_EXPECTED)?;
    let mut verifier = ExportVerifier::new(&keys);
    convert::feed_export(&mut verifier, &array, &mut Vec::new());
    Ok(convert::report(&verifier.finish())?)
}

/// A streaming export verifier: one pass, constant memory, any chunk boundaries.
///
/// ```js
/// const verifier = new ExportVerifier(trustedKeys);
/// for await (const chunk of file.stream()) verifier.update(chunk);
/// const report = verifier.finish();
/// ```
///
/// Any way of cutting the file into chunks gives the same report as `verifyExport` on the
/// whole file. After `finish()` the verifier is spent: every method then throws
/// `VERITYDB_VERIFIER_FINISHED`.
#[wasm_bindgen(js_name = ExportVerifier)]
pub struct ExportVerifierHandle {
    /// `None` once `finish` has returned the report.
    inner: Option<ExportVerifier>,
    /// Reused for copying chunks into WebAssembly memory.
    buffer: Vec<u8>,
}

#[wasm_bindgen(js_class = ExportVerifier)]
impl ExportVerifierHandle {
    /// A verifier that trusts `trustedKeys` (an array of vkey strings, or one string with one
    /// vkey per line). Throws `VERITYDB_INVALID_KEY`, `VERITYDB_TOO_MANY_KEYS`,
    /// `VERITYDB_NO_TRUSTED_KEY` or `VERITYDB_INVALID_ARGUMENT`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
    ) -> Result<ExportVerifierHandle, JsValue> {
        let keys = convert::trusted_keys(trusted_keys)?;
        Ok(ExportVerifierHandle {
            inner: Some(ExportVerifier::new(&keys)),
            buffer: Vec::new(),
        })
    }

    /// Feeds the next bytes of the export (a `Uint8Array` or `ArrayBuffer` of any length).
    /// Input after the first failure is ignored: it cannot change the report. Throws
    /// `VERITYDB_INVALID_ARGUMENT` for another type, `VERITYDB_VERIFIER_FINISHED` after
    /// `finish()`.
    pub fn update(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "BytesInput")] chunk: &JsValue,
    ) -> Result<(), JsValue> {
        let verifier = self.inner.as_mut().ok_or_else(finished)?;
        let array = convert::byte_array(chunk, "chunk", BYTES_EXPECTED)?;
        convert::feed_export(verifier, &array, &mut self.buffer);
        Ok(())
    }

    /// How far verification has got: `{ bytes, entries }`, input bytes consumed and entries
    /// verified. Throws `VERITYDB_VERIFIER_FINISHED` after `finish()`.
    #[wasm_bindgen(unchecked_return_type = "Progress")]
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        let verifier = self.inner.as_ref().ok_or_else(finished)?;
        Ok(convert::progress(verifier.progress()))
    }

    /// Whether a failure has been found already: further input cannot change the report, so
    /// a caller may stop reading and call `finish()`. Throws `VERITYDB_VERIFIER_FINISHED`
    /// after `finish()`.
    #[wasm_bindgen(js_name = hasFailed)]
    pub fn has_failed(&self) -> Result<bool, JsValue> {
        let verifier = self.inner.as_ref().ok_or_else(finished)?;
        Ok(verifier.has_failed())
    }

    /// Ends the input and returns the report (the same object as `veritydb-verify export
    /// --json`). An export that stops before its trailer is `truncated`. Throws
    /// `VERITYDB_VERIFIER_FINISHED` when called twice.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let verifier = self.inner.take().ok_or_else(finished)?;
        self.buffer = Vec::new();
        Ok(convert::report(&verifier.finish())?)
    }
}

fn finished() -> BindingError {
    BindingError::new(
        ErrorCode::VerifierFinished,
        "this ExportVerifier has finished: create a new one for another export",
    )
}
