//! `veritydb.verify`: the independent verifier library (`verifier/`, crate `veritydb-verify`),
//! not core. Bytes in, verdict out: this file supplies the file reading the library leaves to
//! its hosts, with the GIL released.
//!
//! Every function returns a `Report` built from `Report::to_json()`, the very JSON the CLI
//! prints with `--json`, so the fields and reason codes cannot drift between front ends. A
//! rejected input is a report with `ok == False`, never an exception; exceptions are for
//! "could not check": an unusable trusted key (`TrustedKeyError`), an unreadable file
//! (`StorageError`), an argument of the wrong type (`ParameterTypeError`).

use std::io::Read;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};
use veritydb_verify::limits::{NOTE_BYTES_MAX, RECEIPT_BYTES_MAX};
use veritydb_verify::{ExportVerifier, TrustedKeys};

use crate::convert::type_name;
use crate::errors::{BindingError, Family};
use crate::io::{self, CHUNK_BYTES};
use crate::results::{PyCheckpoint, PyReceipt};

/// The outcome of one verification (`docs/spec/verdicts.md` §5): the same fields, with the
/// same values, as the CLI's `--json` report.
#[pyclass(frozen, module = "veritydb.verify", name = "Report")]
pub(crate) struct PyReport {
    json: String,
    fields: Py<PyDict>,
}

impl PyReport {
    fn new(py: Python<'_>, report: &veritydb_verify::Report) -> PyResult<PyReport> {
        let json = report.to_json();
        let fields = py
            .import("json")?
            .call_method1("loads", (&json,))?
            .cast_into::<PyDict>()?;
        Ok(PyReport {
            json,
            fields: fields.unbind(),
        })
    }

    fn field<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.fields.bind(py).get_item(name)? {
            Some(value) => Ok(value),
            None => Err(BindingError::new(
                Family::Internal,
                format!("the verifier's report has no field {name:?}"),
            )
            .into()),
        }
    }
}

macro_rules! report_fields {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        #[pymethods]
        impl PyReport {
            $(
                $(#[doc = $doc])*
                #[getter]
                fn $name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.field(py, stringify!($name))
                }
            )*

            /// The report as a dict: exactly the CLI's `--json` object.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                py.import("json")?.call_method1("loads", (&self.json,))
            }

            /// The report as JSON text: exactly what the CLI prints with `--json`.
            fn to_json(&self) -> String {
                self.json.clone()
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!(
                    "Report(ok={}, reason={}, position={}, kind={})",
                    self.field(py, "ok")?.repr()?,
                    self.field(py, "reason")?.repr()?,
                    self.field(py, "position")?.repr()?,
                    self.field(py, "kind")?.repr()?,
                ))
            }
        }
    };
}

report_fields! {
    /// Verified.
    ok,
    /// `ok` or the reason name of the first failure (verdicts.md §1).
    reason,
    /// The reason's fixed numeric code.
    reason_code,
    /// The log position where the first failure was found, or None.
    position,
    /// One human sentence about the result (not stable; do not parse).
    message,
    /// What was verified: export, receipt, checkpoint, note, inclusion, consistency.
    kind,
    /// Entries verified.
    entries,
    /// Checkpoints verified.
    checkpoints,
    /// Distinct tenants seen.
    tenants,
    /// Input bytes consumed.
    bytes,
    /// `{"from": ..., "to": ...}`: positions the export covers (or the receipt's entry), or None.
    range,
    /// The log's origin, or None.
    origin,
    /// The size of the largest verified checkpoint, or None.
    tree_size,
    /// Its root (base64), or None.
    root,
    /// Names of the trusted keys that verified, in first-use order.
    keys,
    /// For a verified receipt, what it proves (origin, tenant, position, timestamp_us,
    /// disclosed fields, ...); otherwise None.
    receipt,
}

/// Trusted keys: one vkey string, a string of vkeys one per line (blank lines and `#`
/// comments ignored), or an iterable of vkey strings. At least one is required.
fn trusted_keys(value: &Bound<'_, PyAny>) -> PyResult<TrustedKeys> {
    let keys = if let Ok(text) = value.cast::<PyString>() {
        TrustedKeys::parse_lines(&text.extract::<String>()?).map_err(BindingError::from)?
    } else {
        let iterator = value.try_iter().map_err(|_| {
            BindingError::new(
                Family::ParameterType,
                format!(
                    "trusted_keys must be a vkey string or a list of them, not {}",
                    type_name(value)
                ),
            )
        })?;
        let mut vkeys = Vec::new();
        // One item past the limit is enough for `TrustedKeys::parse` to refuse the list, so
        // an endless iterable ends here too.
        for item in iterator.take(veritydb_verify::limits::TRUSTED_KEYS_MAX + 1) {
            let item = item?;
            let vkey: String = item.extract().map_err(|_| {
                BindingError::new(
                    Family::ParameterType,
                    format!(
                        "trusted_keys must hold vkey strings, not {}",
                        type_name(&item)
                    ),
                )
            })?;
            vkeys.push(vkey.trim().to_owned());
        }
        TrustedKeys::parse(&vkeys).map_err(BindingError::from)?
    };
    if keys.is_empty() {
        return Err(BindingError::new(
            Family::TrustedKey,
            "no trusted key: give at least one verifier key (vkey)",
        )
        .into());
    }
    Ok(keys)
}

/// A text input read up to `limit + 1` bytes (as the CLI reads files): `str` or `Receipt` /
/// `Checkpoint` text, `bytes`-like content, or an `os.PathLike` path (not a `str`: a `str` is
/// the text itself).
fn text_input(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    what: &str,
    limit: usize,
) -> PyResult<Vec<u8>> {
    let read_max = limit.saturating_add(1);
    let mut bytes = if let Ok(text) = value.cast::<PyString>() {
        text.extract::<String>()?.into_bytes()
    } else if let Ok(bytes) = value.cast::<PyBytes>() {
        bytes.as_bytes()[..bytes.as_bytes().len().min(read_max)].to_vec()
    } else if let Ok(bytes) = value.cast::<PyByteArray>() {
        bytes.to_vec()
    } else if let Ok(receipt) = value.cast::<PyReceipt>() {
        receipt.getattr("text")?.extract::<String>()?.into_bytes()
    } else if let Ok(checkpoint) = value.cast::<PyCheckpoint>() {
        checkpoint
            .getattr("note")?
            .extract::<String>()?
            .into_bytes()
    } else if value.hasattr("__fspath__")? {
        let path: PathBuf = value.extract()?;
        py.detach(|| {
            let file = std::fs::File::open(&path).map_err(|e| io::path_error(&e, "read", &path))?;
            let mut bytes = Vec::new();
            file.take(read_max as u64)
                .read_to_end(&mut bytes)
                .map_err(|e| io::path_error(&e, "read", &path))?;
            Ok::<_, BindingError>(bytes)
        })?
    } else {
        return Err(BindingError::new(
            Family::ParameterType,
            format!(
                "{what} must be str, bytes or an os.PathLike path, not {}",
                type_name(value)
            ),
        )
        .into());
    };
    bytes.truncate(read_max);
    Ok(bytes)
}

/// A hash: bytes, or standard base64 text.
fn hash(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(text) = value.cast::<PyString>() {
        use base64::Engine as _;
        let text: String = text.extract()?;
        return base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| {
                BindingError::new(
                    Family::InvalidInput,
                    format!(
                        "{what} is not valid base64: {:?}",
                        text.chars().take(100).collect::<String>()
                    ),
                )
                .into()
            });
    }
    Err(BindingError::new(
        Family::ParameterType,
        format!(
            "{what} must be bytes or base64 str, not {}",
            type_name(value)
        ),
    )
    .into())
}

/// A proof: a list of hashes; None is the empty proof.
fn proof(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<Vec<u8>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(BindingError::new(
            Family::ParameterType,
            format!("{what} must be a list of hashes, not one hash"),
        )
        .into());
    }
    value
        .try_iter()?
        .enumerate()
        .map(|(i, item)| hash(&item?, &format!("{what}[{i}]")))
        .collect()
}

/// Verifies an export: a path (`str` or `os.PathLike`), its whole content as `bytes`, or a
/// binary file object; read in 1 MiB chunks in constant memory, with the GIL released.
#[pyfunction]
pub(crate) fn verify_export(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    trusted_keys: &Bound<'_, PyAny>,
) -> PyResult<PyReport> {
    let keys = self::trusted_keys(trusted_keys)?;
    let mut verifier = ExportVerifier::new(&keys);
    if let Ok(bytes) = source.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        py.detach(|| verifier.update(bytes));
    } else if let Ok(bytes) = source.cast::<PyByteArray>() {
        let bytes = bytes.to_vec();
        py.detach(|| verifier.update(&bytes));
    } else {
        match io::target(source, "read", "source")? {
            io::Target::Path(path) => py.detach(|| {
                let mut file =
                    std::fs::File::open(&path).map_err(|e| io::path_error(&e, "read", &path))?;
                let mut buffer = vec![0u8; CHUNK_BYTES];
                while !verifier.has_failed() {
                    let n = file
                        .read(&mut buffer)
                        .map_err(|e| io::path_error(&e, "read", &path))?;
                    if n == 0 {
                        break;
                    }
                    verifier.update(&buffer[..n]);
                }
                Ok::<_, BindingError>(())
            })?,
            io::Target::File(file) => {
                let file = file.bind(py);
                while !verifier.has_failed() {
                    let chunk = io::read_chunk(file)?;
                    if chunk.is_empty() {
                        break;
                    }
                    py.detach(|| verifier.update(&chunk));
                }
            }
        }
    }
    let report = py.detach(|| verifier.finish());
    PyReport::new(py, &report)
}

/// Verifies a receipt (`.tlog-proof` text as `str`, `bytes`, a `veritydb.Receipt`, or an
/// `os.PathLike` path to the file).
#[pyfunction]
pub(crate) fn verify_receipt(
    py: Python<'_>,
    receipt: &Bound<'_, PyAny>,
    trusted_keys: &Bound<'_, PyAny>,
) -> PyResult<PyReport> {
    let keys = self::trusted_keys(trusted_keys)?;
    let bytes = text_input(py, receipt, "receipt", RECEIPT_BYTES_MAX)?;
    let report = py.detach(|| veritydb_verify::verify_receipt(&bytes, &keys));
    PyReport::new(py, &report)
}

/// Verifies a signed checkpoint (`str`, `bytes`, a `veritydb.Checkpoint`, or a path); with
/// `origin`, it must be of that log.
#[pyfunction]
#[pyo3(signature = (checkpoint, trusted_keys, origin=None))]
pub(crate) fn verify_checkpoint(
    py: Python<'_>,
    checkpoint: &Bound<'_, PyAny>,
    trusted_keys: &Bound<'_, PyAny>,
    origin: Option<String>,
) -> PyResult<PyReport> {
    let keys = self::trusted_keys(trusted_keys)?;
    let bytes = text_input(py, checkpoint, "checkpoint", NOTE_BYTES_MAX)?;
    let report = py.detach(|| veritydb_verify::verify_checkpoint(&bytes, &keys, origin.as_deref()));
    PyReport::new(py, &report)
}

/// Verifies a C2SP signed note.
#[pyfunction]
pub(crate) fn verify_note(
    py: Python<'_>,
    note: &Bound<'_, PyAny>,
    trusted_keys: &Bound<'_, PyAny>,
) -> PyResult<PyReport> {
    let keys = self::trusted_keys(trusted_keys)?;
    let bytes = text_input(py, note, "note", NOTE_BYTES_MAX)?;
    let report = py.detach(|| veritydb_verify::verify_note(&bytes, &keys));
    PyReport::new(py, &report)
}

/// Verifies two signed checkpoints of one log and the consistency proof between them.
#[pyfunction]
#[pyo3(signature = (old, new, proof, trusted_keys))]
pub(crate) fn verify_checkpoint_consistency(
    py: Python<'_>,
    old: &Bound<'_, PyAny>,
    new: &Bound<'_, PyAny>,
    proof: Option<&Bound<'_, PyAny>>,
    trusted_keys: &Bound<'_, PyAny>,
) -> PyResult<PyReport> {
    let keys = self::trusted_keys(trusted_keys)?;
    let proof = self::proof(proof, "proof")?;
    let old = text_input(py, old, "old", NOTE_BYTES_MAX)?;
    let new = text_input(py, new, "new", NOTE_BYTES_MAX)?;
    let report =
        py.detach(|| veritydb_verify::verify_checkpoint_consistency(&old, &new, &proof, &keys));
    PyReport::new(py, &report)
}

/// Verifies a raw RFC 6962 inclusion proof (hashes as bytes or base64 str).
#[pyfunction]
pub(crate) fn verify_inclusion(
    py: Python<'_>,
    leaf_hash: &Bound<'_, PyAny>,
    index: u64,
    size: u64,
    proof: Option<&Bound<'_, PyAny>>,
    root: &Bound<'_, PyAny>,
) -> PyResult<PyReport> {
    let leaf_hash = hash(leaf_hash, "leaf_hash")?;
    let proof = self::proof(proof, "proof")?;
    let root = hash(root, "root")?;
    let report = veritydb_verify::verify_inclusion(&leaf_hash, index, size, &proof, &root);
    PyReport::new(py, &report)
}

/// Verifies a raw RFC 6962 consistency proof (hashes as bytes or base64 str).
#[pyfunction]
pub(crate) fn verify_consistency(
    py: Python<'_>,
    old_size: u64,
    new_size: u64,
    old_root: &Bound<'_, PyAny>,
    new_root: &Bound<'_, PyAny>,
    proof: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyReport> {
    let old_root = hash(old_root, "old_root")?;
    let new_root = hash(new_root, "new_root")?;
    let proof = self::proof(proof, "proof")?;
    let report =
        veritydb_verify::verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
    PyReport::new(py, &report)
}

/// The SQL value of a disclosed column field of a row entry (`c.<column>`), decoded by core
/// (`docs/spec/entry.md` §5.2); `InvalidInputError` unless the bytes are one canonical value.
#[pyfunction]
pub(crate) fn sql_value<'py>(
    py: Python<'py>,
    field: &Bound<'py, PyBytes>,
) -> PyResult<Bound<'py, PyAny>> {
    let field = field.as_bytes();
    let value = veritydb::sql::decode_field(field).ok_or_else(|| {
        BindingError::new(
            Family::InvalidInput,
            format!(
                "not a canonical SQL value ({} bytes; docs/spec/entry.md §5.2)",
                field.len()
            ),
        )
    })?;
    crate::convert::from_value(py, &value)
}

/// The Ed25519 rule of every VerityDB verifier (`docs/spec/checkpoint.md` §6): whether
/// `signature` by `public_key` verifies over `message`. A key that is not 32 bytes or a
/// signature that is not 64 bytes cannot verify (False).
#[pyfunction]
pub(crate) fn ed25519_verify(
    public_key: &Bound<'_, PyBytes>,
    message: &Bound<'_, PyBytes>,
    signature: &Bound<'_, PyBytes>,
) -> bool {
    let key = <[u8; 32]>::try_from(public_key.as_bytes());
    let signature = <[u8; 64]>::try_from(signature.as_bytes());
    match (key, signature) {
        (Ok(key), Ok(signature)) => {
            veritydb_verify::ed25519_verify(&key, message.as_bytes(), &signature)
        }
        _ => false,
    }
}
