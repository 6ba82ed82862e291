//! What is verified on its own (`docs/spec/verdicts.md` §4): signed notes, checkpoints, two
//! checkpoints and the consistency proof between them, raw RFC 6962 proofs, and the Ed25519
//! rule of `docs/spec/checkpoint.md` §6.

use veritydb_verify::limits::NOTE_BYTES_MAX;
use wasm_bindgen::prelude::*;

use crate::convert;

/// Verifies a C2SP signed note: at least one trusted key signed it, and no signature by a
/// trusted key fails (`malformed_note`, `bad_signature`, `untrusted_key`).
///
/// `note` is a string or bytes (`Uint8Array`, `ArrayBuffer`); input beyond `note_bytes_max`
/// is not read. Returns the same report as `veritydb-verify note --json`. Throws (with
/// `error.code`) `VERITYDB_INVALID_KEY`, `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY`
/// or `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyNote, unchecked_return_type = "Report")]
pub fn verify_note(
    #[wasm_bindgen(unchecked_param_type = "TextInput")] note: &JsValue,
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    let bytes = convert::text_bytes(note, "note", NOTE_BYTES_MAX)?;
    Ok(convert::report(&veritydb_verify::verify_note(
        &bytes, &keys,
    ))?)
}

/// Verifies a signed checkpoint: a verifying trusted key named like its origin, and its text
/// (origin, tree size, root). With `origin`, the checkpoint must be of that log
/// (`origin_mismatch` otherwise).
///
/// Returns the same report as `veritydb-verify checkpoint --json [--origin ORIGIN]`, with
/// `origin`, `tree_size` and `root`. Throws (with `error.code`) `VERITYDB_INVALID_KEY`,
/// `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY` or `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyCheckpoint, unchecked_return_type = "Report")]
pub fn verify_checkpoint(
    #[wasm_bindgen(unchecked_param_type = "TextInput")] note: &JsValue,
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] origin: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    let origin = convert::optional_string(origin, "origin")?;
    let bytes = convert::text_bytes(note, "note", NOTE_BYTES_MAX)?;
    let report = veritydb_verify::verify_checkpoint(&bytes, &keys, origin.as_deref());
    Ok(convert::report(&report)?)
}

/// Verifies two signed checkpoints of one log and the RFC 6962 consistency proof from the
/// older (smaller) to the newer: the log only grew between them. Different origins are
/// `origin_mismatch`; two checkpoints that cannot both be true are `inconsistent_checkpoints`.
///
/// `proof` is an array of hashes (base64 strings or `Uint8Array`s); `null` is the empty
/// proof. Returns the same report as `veritydb-verify checkpoints OLD NEW --proof ... --json`.
/// Throws (with `error.code`) `VERITYDB_INVALID_KEY`, `VERITYDB_TOO_MANY_KEYS`,
/// `VERITYDB_NO_TRUSTED_KEY`, `VERITYDB_INVALID_BASE64` or `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyCheckpointConsistency, unchecked_return_type = "Report")]
pub fn verify_checkpoint_consistency(
    #[wasm_bindgen(js_name = oldNote, unchecked_param_type = "TextInput")] old_note: &JsValue,
    #[wasm_bindgen(js_name = newNote, unchecked_param_type = "TextInput")] new_note: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HashInput[] | null")] proof: &JsValue,
    #[wasm_bindgen(js_name = trustedKeys, unchecked_param_type = "TrustedKeysInput")]
        trusted_keys: &JsValue,
) -> Result<JsValue, JsValue> {
    let keys = convert::trusted_keys(trusted_keys)?;
    let proof = convert::proof(proof, "proof")?;
    let old_note = convert::text_bytes(old_note, "oldNote", NOTE_BYTES_MAX)?;
    let new_note = convert::text_bytes(new_note, "newNote", NOTE_BYTES_MAX)?;
    let report =
        veritydb_verify::verify_checkpoint_consistency(&old_note, &new_note, &proof, &keys);
    Ok(convert::report(&report)?)
}

/// Verifies a raw RFC 6962 inclusion proof: `leafHash` is leaf `index` of the tree of `size`
/// leaves with `root` (`bad_proof` for a proof of the wrong shape, `root_mismatch` otherwise).
///
/// Hashes are base64 strings or `Uint8Array`s (their length is judged by the verifier);
/// `index` and `size` are numbers, bigints or decimal strings; `proof` is an array of hashes,
/// from the leaf's sibling up (`null` for none). Returns the same report as
/// `veritydb-verify inclusion --json`. Throws `VERITYDB_INVALID_BASE64` or
/// `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyInclusion, unchecked_return_type = "Report")]
pub fn verify_inclusion(
    #[wasm_bindgen(js_name = leafHash, unchecked_param_type = "HashInput")] leaf_hash: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "SizeInput")] index: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "SizeInput")] size: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HashInput[] | null")] proof: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HashInput")] root: &JsValue,
) -> Result<JsValue, JsValue> {
    let leaf_hash = convert::hash(leaf_hash, "leafHash")?;
    let index = convert::unsigned(index, "index")?;
    let size = convert::unsigned(size, "size")?;
    let proof = convert::proof(proof, "proof")?;
    let root = convert::hash(root, "root")?;
    let report = veritydb_verify::verify_inclusion(&leaf_hash, index, size, &proof, &root);
    Ok(convert::report(&report)?)
}

/// Verifies a raw RFC 6962 consistency proof: the tree of `oldSize` leaves with `oldRoot` is
/// a prefix of the tree of `newSize` leaves with `newRoot` (`bad_proof` for a proof of the
/// wrong shape, `root_mismatch` otherwise).
///
/// Types as for `verifyInclusion`. Returns the same report as
/// `veritydb-verify consistency --json`. Throws `VERITYDB_INVALID_BASE64` or
/// `VERITYDB_INVALID_ARGUMENT`.
#[wasm_bindgen(js_name = verifyConsistency, unchecked_return_type = "Report")]
pub fn verify_consistency(
    #[wasm_bindgen(js_name = oldSize, unchecked_param_type = "SizeInput")] old_size: &JsValue,
    #[wasm_bindgen(js_name = newSize, unchecked_param_type = "SizeInput")] new_size: &JsValue,
    #[wasm_bindgen(js_name = oldRoot, unchecked_param_type = "HashInput")] old_root: &JsValue,
    #[wasm_bindgen(js_name = newRoot, unchecked_param_type = "HashInput")] new_root: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HashInput[] | null")] proof: &JsValue,
) -> Result<JsValue, JsValue> {
    let old_size = convert::unsigned(old_size, "oldSize")?;
    let new_size = convert::unsigned(new_size, "newSize")?;
    let old_root = convert::hash(old_root, "oldRoot")?;
    let new_root = convert::hash(new_root, "newRoot")?;
    let proof = convert::proof(proof, "proof")?;
    let report =
        veritydb_verify::verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
    Ok(convert::report(&report)?)
}

/// The Ed25519 rule of every VerityDB verifier (`docs/spec/checkpoint.md` §6, ed25519-dalek's
/// `verify_strict` plus a canonical-key check): whether `signature` by `publicKey` verifies
/// over `message`. A key that is not 32 bytes or a signature that is not 64 bytes cannot
/// verify (`false`). Throws `VERITYDB_INVALID_ARGUMENT` when an argument is not a
/// `Uint8Array`.
#[wasm_bindgen(js_name = ed25519Verify)]
pub fn ed25519_verify(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] message: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] signature: &JsValue,
) -> Result<bool, JsValue> {
    let public_key = convert::fixed_bytes::<32>(public_key, "publicKey")?;
    let message = convert::bytes(message, "message")?;
    let signature = convert::fixed_bytes::<64>(signature, "signature")?;
    Ok(match (public_key, signature) {
        (Some(public_key), Some(signature)) => {
            veritydb_verify::ed25519_verify(&public_key, &message, &signature)
        }
        _ => false,
    })
}
