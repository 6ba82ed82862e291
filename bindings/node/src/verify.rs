//! `veritydb/verify`: the independent verifier library (`verifier/`, crate `veritydb-verify`,
//! which shares no code with the database), with the API of the `veritydb-verify` WASM
//! package: the same functions, arguments, report objects and error codes. Nothing here calls
//! core.
//!
//! Reports are `JSON.parse(Report::to_json())`, the object `veritydb-verify ... --json`
//! prints, so fields and reason codes cannot drift between the CLI, WASM and Node. A rejected
//! input is a report with `ok: false`; only "could not check" throws (an invalid trusted key,
//! an argument of the wrong type). Everything works on bytes in memory and returns at once,
//! except `verifyExportFile`, which reads a file of any size off the JS thread.

use std::io::Read;

use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use veritydb_verify::limits::{NOTE_BYTES_MAX, RECEIPT_BYTES_MAX};
use veritydb_verify::{ExportVerifier as Verifier, Report, TrustedKeys};

use crate::convert;
use crate::errors::{BindingError, ErrorCode};
use crate::job::Job;

/// Exports are read from files in pieces of this size (as the CLI reads them).
const READ_CHUNK_BYTES: usize = 1 << 20;

/// Runs `check` on the JS thread; its error becomes the thrown JS `Error` with a `code`.
fn sync<'env>(
    env: &'env Env,
    check: impl FnOnce() -> Result<Report, BindingError>,
) -> napi::Result<Unknown<'env>> {
    check()
        .and_then(|report| convert::report(env, &report))
        .map_err(|e| e.into_napi(env))
}

/// Verifies a receipt (a `.tlog-proof` text, as a string or bytes) against the trusted keys.
///
/// Returns the report of `docs/spec/verdicts.md` §5, the object `veritydb-verify receipt
/// --json` prints; for a verified receipt, `report.receipt` says what it proves (the entry's
/// position, kind, actor, timestamp and disclosed fields, in the log of `origin`, under a
/// checkpoint of `tree_size` signed by `keys`). A rejected receipt is a report with `ok:
/// false`, a `reason` and a `reason_code`. Throws (with `error.code`) only when nothing could be
/// checked: `VERITYDB_INVALID_KEY`, `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY`,
/// `VERITYDB_INVALID_ARGUMENT`.
#[napi(
    js_name = "verifyReceipt",
    ts_args_type = "text: TextInput, trustedKeys: TrustedKeysInput",
    ts_return_type = "Report"
)]
pub fn verify_receipt<'env>(
    env: &'env Env,
    text: Unknown<'_>,
    trusted_keys: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let bytes = convert::text_bytes(&text, "text", RECEIPT_BYTES_MAX.saturating_add(1))?;
        Ok(veritydb_verify::verify_receipt(&bytes, &keys))
    })
}

/// Verifies a whole export file held in memory (a `Buffer`, `Uint8Array` or `ArrayBuffer`)
/// against the trusted keys: the report of `veritydb-verify export --json` (`range`,
/// `entries`, `checkpoints`, `origin`, the covering `tree_size` and `root`, the signing `keys`;
/// or the first failure's `reason`, `reason_code` and `position`). For a file on disk, use
/// `verifyExportFile`, which does not block the event loop. Throws like `verifyReceipt`.
#[napi(
    js_name = "verifyExport",
    ts_args_type = "bytes: BytesInput, trustedKeys: TrustedKeysInput",
    ts_return_type = "Report"
)]
pub fn verify_export<'env>(
    env: &'env Env,
    bytes: Unknown<'_>,
    trusted_keys: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let mut verifier = Verifier::new(&keys);
        convert::with_bytes(&bytes, "bytes", "a Uint8Array or ArrayBuffer", |bytes| {
            verifier.update(bytes);
        })?;
        Ok(verifier.finish())
    })
}

/// Verifies the export file at `path`, reading it in 1 MiB pieces off the JS thread (constant
/// memory for any size); resolves to the same report as `verifyExport`. Rejects (with
/// `error.code`) with `VERITYDB_IO` when the file cannot be read, or like `verifyReceipt`.
#[napi(
    js_name = "verifyExportFile",
    ts_args_type = "path: string, trustedKeys: TrustedKeysInput",
    ts_return_type = "Promise<Report>"
)]
pub fn verify_export_file(path: Unknown<'_>, trusted_keys: Unknown<'_>) -> AsyncTask<Job<String>> {
    let arguments = (|| {
        Ok((
            convert::string(&path, "path")?,
            convert::trusted_keys(&trusted_keys)?,
        ))
    })();
    Job::after(
        arguments,
        |(path, keys): (String, TrustedKeys)| {
            let unreadable = |e: std::io::Error| {
                BindingError::new(
                    ErrorCode::Io,
                    format!("cannot read the export file {path}: {e}"),
                )
            };
            let mut file = std::fs::File::open(&path).map_err(unreadable)?;
            let mut verifier = Verifier::new(&keys);
            let mut buffer = vec![0; READ_CHUNK_BYTES];
            while !verifier.has_failed() {
                let read = file.read(&mut buffer).map_err(unreadable)?;
                if read == 0 {
                    break;
                }
                verifier.update(&buffer[..read]);
            }
            Ok(verifier.finish().to_json())
        },
        convert::json_value,
    )
}

/// A streaming export verifier: one pass, constant memory, any chunk boundaries. Any way of
/// cutting an export into chunks gives the report `verifyExport` gives for the whole.
///
/// ```js
/// const verifier = new ExportVerifier(trustedKeys);
/// for await (const chunk of fs.createReadStream(path)) verifier.update(chunk);
/// const report = verifier.finish();
/// ```
///
/// After `finish()` the verifier is spent: every method then throws
/// `VERITYDB_VERIFIER_FINISHED`.
#[napi]
pub struct ExportVerifier {
    /// `None` once `finish` has returned the report.
    inner: Option<Verifier>,
}

fn finished() -> BindingError {
    BindingError::new(
        ErrorCode::VerifierFinished,
        "this ExportVerifier has finished: create a new one for another export",
    )
}

#[napi]
impl ExportVerifier {
    /// A verifier that trusts `trustedKeys`. Throws `VERITYDB_INVALID_KEY`,
    /// `VERITYDB_TOO_MANY_KEYS`, `VERITYDB_NO_TRUSTED_KEY` or `VERITYDB_INVALID_ARGUMENT`.
    #[napi(constructor, ts_args_type = "trustedKeys: TrustedKeysInput")]
    pub fn new(env: &Env, trusted_keys: Unknown<'_>) -> napi::Result<Self> {
        let keys = convert::trusted_keys(&trusted_keys).map_err(|e| e.into_napi(env))?;
        Ok(ExportVerifier {
            inner: Some(Verifier::new(&keys)),
        })
    }

    /// Feeds the next bytes of the export (a `Buffer`, `Uint8Array` or `ArrayBuffer` of any
    /// length). Input after the first failure is ignored: it cannot change the report.
    #[napi(ts_args_type = "chunk: BytesInput")]
    pub fn update(&mut self, env: &Env, chunk: Unknown<'_>) -> napi::Result<()> {
        let mut run = || -> Result<(), BindingError> {
            let verifier = self.inner.as_mut().ok_or_else(finished)?;
            if !verifier.has_failed() {
                convert::with_bytes(&chunk, "chunk", "a Uint8Array or ArrayBuffer", |bytes| {
                    verifier.update(bytes);
                })?;
            }
            Ok(())
        };
        run().map_err(|e| e.into_napi(env))
    }

    /// How far verification has got: `{ bytes, entries }`, input bytes consumed and entries
    /// verified.
    #[napi(ts_return_type = "Progress")]
    pub fn progress<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let run = || -> Result<Unknown<'env>, BindingError> {
            let progress = self.inner.as_ref().ok_or_else(finished)?.progress();
            let mut object = napi::bindgen_prelude::Object::new(env)?;
            // Byte and entry counts stay far below 2^53: JS numbers hold them exactly.
            object.set("bytes", progress.bytes as f64)?;
            object.set("entries", progress.entries as f64)?;
            Ok(object.to_unknown())
        };
        run().map_err(|e| e.into_napi(env))
    }

    /// Whether a failure has been found already: further input cannot change the report, so a
    /// caller may stop reading and call `finish()`.
    #[napi]
    pub fn has_failed(&self, env: &Env) -> napi::Result<bool> {
        match &self.inner {
            Some(verifier) => Ok(verifier.has_failed()),
            None => Err(finished().into_napi(env)),
        }
    }

    /// Ends the input and returns the report (an export that stops before its trailer is
    /// `truncated`). Throws `VERITYDB_VERIFIER_FINISHED` when called twice.
    #[napi(ts_return_type = "Report")]
    pub fn finish<'env>(&mut self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let verifier = self.inner.take();
        sync(env, || Ok(verifier.ok_or_else(finished)?.finish()))
    }
}

/// Verifies a signed checkpoint: a trusted key named like its origin signed it, and its text
/// (origin, tree size, root) is well formed. With `origin`, the checkpoint must be that log's
/// (`origin_mismatch` otherwise). The report of `veritydb-verify checkpoint --json`.
#[napi(
    js_name = "verifyCheckpoint",
    ts_args_type = "note: TextInput, trustedKeys: TrustedKeysInput, origin?: string | null",
    ts_return_type = "Report"
)]
pub fn verify_checkpoint<'env>(
    env: &'env Env,
    note: Unknown<'_>,
    trusted_keys: Unknown<'_>,
    origin: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let origin = convert::optional_string(&origin, "origin")?;
        let bytes = convert::text_bytes(&note, "note", NOTE_BYTES_MAX.saturating_add(1))?;
        Ok(veritydb_verify::verify_checkpoint(
            &bytes,
            &keys,
            origin.as_deref(),
        ))
    })
}

/// Verifies a C2SP signed note: at least one trusted key signed it, and no signature by a
/// trusted key fails. The report of `veritydb-verify note --json`.
#[napi(
    js_name = "verifyNote",
    ts_args_type = "note: TextInput, trustedKeys: TrustedKeysInput",
    ts_return_type = "Report"
)]
pub fn verify_note<'env>(
    env: &'env Env,
    note: Unknown<'_>,
    trusted_keys: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let bytes = convert::text_bytes(&note, "note", NOTE_BYTES_MAX.saturating_add(1))?;
        Ok(veritydb_verify::verify_note(&bytes, &keys))
    })
}

/// Verifies two signed checkpoints of one log and the RFC 6962 consistency proof from the
/// older to the newer: the log only grew between them. The report of `veritydb-verify
/// checkpoints OLD NEW --proof ... --json`.
#[napi(
    js_name = "verifyCheckpointConsistency",
    ts_args_type = "oldNote: TextInput, newNote: TextInput, proof: HashInput[] | null, trustedKeys: TrustedKeysInput",
    ts_return_type = "Report"
)]
pub fn verify_checkpoint_consistency<'env>(
    env: &'env Env,
    old_note: Unknown<'_>,
    new_note: Unknown<'_>,
    proof: Unknown<'_>,
    trusted_keys: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let proof = convert::proof(&proof, "proof")?;
        let old_note = convert::text_bytes(&old_note, "oldNote", NOTE_BYTES_MAX.saturating_add(1))?;
        let new_note = convert::text_bytes(&new_note, "newNote", NOTE_BYTES_MAX.saturating_add(1))?;
        Ok(veritydb_verify::verify_checkpoint_consistency(
            &old_note, &new_note, &proof, &keys,
        ))
    })
}

/// Verifies a raw RFC 6962 inclusion proof: `leafHash` is leaf `index` of the tree of `size`
/// leaves with `root`. Hashes are base64 strings or `Uint8Array`s; sizes are numbers, bigints
/// or decimal strings. The report of `veritydb-verify inclusion --json`.
#[napi(
    js_name = "verifyInclusion",
    ts_args_type = "leafHash: HashInput, index: SizeInput, size: SizeInput, proof: HashInput[] | null, root: HashInput",
    ts_return_type = "Report"
)]
pub fn verify_inclusion<'env>(
    env: &'env Env,
    leaf_hash: Unknown<'_>,
    index: Unknown<'_>,
    size: Unknown<'_>,
    proof: Unknown<'_>,
    root: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let leaf_hash = convert::hash(&leaf_hash, "leafHash")?;
        let index = convert::size(&index, "index")?;
        let size = convert::size(&size, "size")?;
        let proof = convert::proof(&proof, "proof")?;
        let root = convert::hash(&root, "root")?;
        Ok(veritydb_verify::verify_inclusion(
            &leaf_hash, index, size, &proof, &root,
        ))
    })
}

/// Verifies a raw RFC 6962 consistency proof: the tree of `oldSize` leaves with `oldRoot` is a
/// prefix of the tree of `newSize` leaves with `newRoot`. The report of `veritydb-verify
/// consistency --json`.
#[napi(
    js_name = "verifyConsistency",
    ts_args_type = "oldSize: SizeInput, newSize: SizeInput, oldRoot: HashInput, newRoot: HashInput, proof: HashInput[] | null",
    ts_return_type = "Report"
)]
pub fn verify_consistency<'env>(
    env: &'env Env,
    old_size: Unknown<'_>,
    new_size: Unknown<'_>,
    old_root: Unknown<'_>,
    new_root: Unknown<'_>,
    proof: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    sync(env, || {
        let old_size = convert::size(&old_size, "oldSize")?;
        let new_size = convert::size(&new_size, "newSize")?;
        let old_root = convert::hash(&old_root, "oldRoot")?;
        let new_root = convert::hash(&new_root, "newRoot")?;
        let proof = convert::proof(&proof, "proof")?;
        Ok(veritydb_verify::verify_consistency(
            old_size, new_size, &old_root, &new_root, &proof,
        ))
    })
}

/// The Ed25519 rule of every VerityDB verifier (`docs/spec/checkpoint.md` §6): whether
/// `signature` by `publicKey` verifies over `message`. A key that is not 32 bytes or a
/// signature that is not 64 bytes cannot verify (`false`). Throws `VERITYDB_INVALID_ARGUMENT`
/// when an argument is not a `Uint8Array`.
#[napi(
    js_name = "ed25519Verify",
    ts_args_type = "publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array"
)]
pub fn ed25519_verify(
    env: &Env,
    public_key: Unknown<'_>,
    message: Unknown<'_>,
    signature: Unknown<'_>,
) -> napi::Result<bool> {
    let run = || -> Result<bool, BindingError> {
        let public_key = convert::fixed_bytes::<32>(&public_key, "publicKey")?;
        let message = convert::byte_string(&message, "message")?;
        let signature = convert::fixed_bytes::<64>(&signature, "signature")?;
        Ok(match (public_key, signature) {
            (Some(public_key), Some(signature)) => {
                veritydb_verify::ed25519_verify(&public_key, &message, &signature)
            }
            _ => false,
        })
    };
    run().map_err(|e| e.into_napi(env))
}

/// Parses trusted verifier keys and returns their names and key ids, or throws: use it to check
/// a key before pinning it.
#[napi(
    js_name = "parseTrustedKeys",
    ts_args_type = "trustedKeys: TrustedKeysInput",
    ts_return_type = "TrustedKeyInfo[]"
)]
pub fn parse_trusted_keys<'env>(
    env: &'env Env,
    trusted_keys: Unknown<'_>,
) -> napi::Result<Unknown<'env>> {
    let run = || -> Result<Unknown<'env>, BindingError> {
        let keys = convert::trusted_keys(&trusted_keys)?;
        let mut list = env.create_array(u32::try_from(keys.len()).unwrap_or(u32::MAX))?;
        // At most `trusted_keys_max` keys: indices fit a `u32`.
        for (index, key) in keys.keys().iter().enumerate() {
            let mut object = napi::bindgen_prelude::Object::new(env)?;
            object.set("name", key.name())?;
            object.set("keyId", format!("{:08x}", key.id()))?;
            list.set(index as u32, object)?;
        }
        Ok(list.to_unknown())
    };
    run().map_err(|e| e.into_napi(env))
}

/// The SQL value of a disclosed column field of a row entry (`c.<column>`, whose
/// `value_base64` a verified receipt reports): a type tag and a payload, as
/// `docs/spec/entry.md` §5.2 defines. `bytes` is the field's raw value (a `Uint8Array`, or its
/// base64). Throws `VERITYDB_INVALID` for bytes that are not a canonical value.
#[napi(
    js_name = "sqlValue",
    ts_args_type = "field: HashInput",
    ts_return_type = "Value"
)]
pub fn sql_value<'env>(env: &'env Env, field: Unknown<'_>) -> napi::Result<Unknown<'env>> {
    let run = || -> Result<Unknown<'env>, BindingError> {
        let field = convert::hash(&field, "field")?;
        convert::value_to_js(env, decode_sql_value(&field)?)
    };
    run().map_err(|e| e.into_napi(env))
}

/// Decodes one canonical SQL value (`docs/spec/entry.md` §5.2) with core's decoder.
fn decode_sql_value(field: &[u8]) -> Result<veritydb::sql::Value, BindingError> {
    veritydb::sql::decode_field(field).ok_or_else(|| {
        BindingError::new(
            ErrorCode::Invalid,
            format!(
                "not a canonical SQL value ({} bytes; docs/spec/entry.md §5.2)",
                field.len()
            ),
        )
    })
}
