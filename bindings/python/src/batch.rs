//! `Batch`: writes that commit atomically, as a context manager.
//!
//! Core's batch is built up by `&mut` calls and consumed by `commit`, so the Python object
//! keeps it in its slot until commit or discard takes it out; after that every call raises
//! `ClosedError`.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::backend::BatchHandle;
use crate::convert;
use crate::handle::{Session, Slot};
use crate::results::PyExecResult;
use crate::statement::PyStatement;

const BATCH_CLOSED: &str =
    "the batch is closed: it was committed or discarded, or its database was closed";

/// Writes that commit atomically: all or nothing.
#[pyclass(frozen, module = "veritydb", name = "Batch")]
pub(crate) struct PyBatch {
    inner: Arc<Slot<BatchHandle>>,
    /// How the batch ended by its own `commit` (with its result) or `discard` (None).
    outcome: OnceLock<Option<veritydb::ExecResult>>,
}

impl PyBatch {
    pub(crate) fn new(session: &Session, batch: BatchHandle) -> PyResult<PyBatch> {
        Ok(PyBatch {
            inner: session.adopt(batch, BATCH_CLOSED)?,
            outcome: OnceLock::new(),
        })
    }
}

#[pymethods]
impl PyBatch {
    /// Adds a write statement; it sees the effects of the statements added before it.
    /// (Adding only checks and queues, in memory: the GIL is kept; `commit` releases it.)
    #[pyo3(signature = (sql, params=None))]
    fn execute<'py>(
        slf: Bound<'py, Self>,
        sql: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let params = convert::to_params(params)?;
        slf.get().inner.with_mut(|b| b.execute(&sql, &params))??;
        Ok(slf)
    }

    /// Adds a prepared write statement.
    #[pyo3(signature = (statement, params=None))]
    fn execute_prepared<'py>(
        slf: Bound<'py, Self>,
        statement: PyRef<'py, PyStatement>,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let params = convert::to_params(params)?;
        let statement = statement.handle()?;
        slf.get()
            .inner
            .with_mut(|b| b.execute_prepared(&statement, &params))??;
        Ok(slf)
    }

    /// Requires that the row of `table` with primary key `key` (a value, or a tuple of
    /// values for a composite key) was last written at `version` (from `Rows.versions`), or,
    /// with None, that it does not exist; otherwise the commit raises `ConflictError` and
    /// writes nothing.
    fn expect_version<'py>(
        slf: Bound<'py, Self>,
        table: String,
        key: &Bound<'py, PyAny>,
        version: Option<u64>,
    ) -> PyResult<Bound<'py, Self>> {
        let key = if key.is_instance_of::<PyTuple>() || key.is_instance_of::<PyList>() {
            convert::to_params(Some(key))?
        } else {
            vec![convert::to_value(key, &|| "key".to_owned())?]
        };
        slf.get()
            .inner
            .with_mut(|b| b.expect_version(&table, &key, version))?;
        Ok(slf)
    }

    /// Commits every statement as one atomic batch.
    fn commit(&self, py: Python<'_>) -> PyResult<PyExecResult> {
        let batch = self.inner.take()?;
        let result = py.detach(|| batch.commit())?;
        // `take` above succeeds once, so this is the only commit.
        let _ = self.outcome.set(Some(result));
        Ok(result.into())
    }

    /// Drops the batch without writing anything.
    fn discard(&self) {
        if self.inner.take().is_ok() {
            let _ = self.outcome.set(None);
        }
    }

    /// The commit's outcome, or None before a commit.
    #[getter]
    fn result(&self) -> Option<PyExecResult> {
        self.outcome
            .get()
            .copied()
            .flatten()
            .map(PyExecResult::from)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Commits if the block ended normally; discards otherwise (and lets the exception go on).
    /// A batch the block already committed or discarded is left as it is.
    #[pyo3(signature = (exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if self.outcome.get().is_some() {
            return Ok(false);
        }
        match exc_type {
            Some(t) if !t.is_none() => self.discard(),
            _ => {
                self.commit(py)?;
            }
        }
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = match (self.outcome.get(), self.inner.is_closed()) {
            (Some(Some(_)), _) => "committed",
            (Some(None), _) => "discarded",
            (None, true) => "closed",
            (None, false) => "open",
        };
        format!("<veritydb.Batch {state}>")
    }
}
