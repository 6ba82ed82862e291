//! Trusted keys: checking the vkeys an auditor pins before using them.

use wasm_bindgen::prelude::*;

use crate::convert;

/// Parses trusted verifier keys and returns their names and key ids, or throws.
///
/// `trustedKeys` is an array of C2SP vkey strings (`<name>+<8 hex key id>+<base64 key>`), or
/// one string with one vkey per line (blank lines and `#` comments ignored). Use it to check a
/// key before pinning it. Throws an `Error` whose `code` is `VERITYDB_INVALID_KEY`,
/// `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY` or `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = parseTrustedKeys, unchecked_return_type = "TrustedKeyInfo[]")]
pub fn parse_trusted_keys(
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    Ok(convert::key_infos(&keys))
}
