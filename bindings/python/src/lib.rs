//! The native part of the Python package `veritydb` (module `veritydb._native`): a thin layer
//! over core (`veritydb`) and the independent verifier (`veritydb-verify`). The Python files in
//! `python/veritydb/` re-export it, define the exception classes, and build DB-API 2.0 on it.
//!
//! Layout, as in every binding (STYLE §4): `errors.rs` maps every Rust error to a Python
//! exception family, `convert.rs` holds every Python ↔ Rust value conversion, and one file per
//! concept holds its class (`database.rs`, `tenant.rs`, `statement.rs`, `batch.rs`,
//! `results.rs`, `verify.rs`). `backend.rs` puts embedded and remote databases behind one
//! interface; `handle.rs` makes `close()` release every core handle.
//!
//! Threads: every class is frozen (immutable from Python) and `Send + Sync`; every call that
//! touches storage, the network or does long work releases the GIL.

// pyo3's `#[pyclass]`, `#[pymethods]` and `#[pymodule]` expand to unsafe FFI glue (CPython's C
// API). The workspace denies unsafe code; this crate allows it only for that generated code and
// writes none of its own.
#![allow(unsafe_code)]
// pyo3 passes extracted arguments by value: `String` parameters cannot be `&str`, which the
// stable ABI for Python 3.9 cannot borrow from a Python `str`.
#![allow(clippy::needless_pass_by_value)]

mod backend;
mod batch;
mod convert;
mod database;
mod errors;
mod handle;
mod io;
mod results;
mod statement;
mod tenant;
mod verify;

use pyo3::prelude::*;

/// The names of the exception classes the native code raises (for the package's own tests).
#[pyfunction]
fn _error_class_names() -> Vec<&'static str> {
    errors::Family::ALL.iter().map(|f| f.class_name()).collect()
}

/// VerityDB: a compliance-first database. See the `veritydb` package for the documentation.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(database::open, m)?)?;
    m.add_function(wrap_pyfunction!(database::connect, m)?)?;
    m.add_function(wrap_pyfunction!(_error_class_names, m)?)?;
    m.add_class::<database::PyDatabase>()?;
    m.add_class::<tenant::PyTenant>()?;
    m.add_class::<statement::PyStatement>()?;
    m.add_class::<batch::PyBatch>()?;
    m.add_class::<results::PyExecResult>()?;
    m.add_class::<results::PyRows>()?;
    m.add_class::<results::PyEvent>()?;
    m.add_class::<results::PyCheckpoint>()?;
    m.add_class::<results::PyReceipt>()?;
    m.add_class::<results::PyExportSummary>()?;
    m.add_class::<verify::PyReport>()?;
    m.add_function(wrap_pyfunction!(verify::verify_export, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_receipt, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_note, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_checkpoint_consistency, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_inclusion, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_consistency, m)?)?;
    m.add_function(wrap_pyfunction!(verify::ed25519_verify, m)?)?;
    m.add_function(wrap_pyfunction!(verify::sql_value, m)?)?;
    Ok(())
}
