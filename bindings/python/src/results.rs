//! What calls return: immutable Python objects built from core's owned results.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::convert;

/// The outcome of a write.
#[pyclass(frozen, module = "veritydb", name = "ExecResult")]
pub(crate) struct PyExecResult {
    /// The position of the last log entry the write appended (what a receipt proves).
    #[pyo3(get)]
    position: u64,
    /// Rows inserted, updated or deleted.
    #[pyo3(get)]
    rows_affected: u64,
}

impl From<veritydb::ExecResult> for PyExecResult {
    fn from(r: veritydb::ExecResult) -> PyExecResult {
        PyExecResult {
            position: r.position,
            rows_affected: r.rows_affected,
        }
    }
}

#[pymethods]
impl PyExecResult {
    fn __repr__(&self) -> String {
        format!(
            "ExecResult(position={}, rows_affected={})",
            self.position, self.rows_affected
        )
    }
}

/// The rows of a query: a read-only sequence of tuples (or dicts, with `as_dicts=True`),
/// with the result's column names, types and each row's version.
#[pyclass(frozen, sequence, module = "veritydb", name = "Rows")]
pub(crate) struct PyRows {
    rows: Py<PyList>,
    columns: Py<PyTuple>,
    types: Py<PyTuple>,
    versions: Vec<u64>,
}

/// Builds a `Rows` from core's result.
pub(crate) fn rows(py: Python<'_>, found: veritydb::Rows, as_dicts: bool) -> PyResult<PyRows> {
    let names: Vec<&str> = found.columns.iter().map(|c| c.name.as_str()).collect();
    let columns = PyTuple::new(py, &names)?;
    let types = PyTuple::new(
        py,
        found
            .columns
            .iter()
            .map(|c| c.column_type.map(|t| t.name())),
    )?;
    let list = PyList::empty(py);
    for row in &found.rows {
        let values = row
            .iter()
            .map(|v| convert::from_value(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        if as_dicts {
            let dict = PyDict::new(py);
            for (name, value) in columns.iter().zip(values) {
                dict.set_item(name, value)?;
            }
            list.append(dict)?;
        } else {
            list.append(PyTuple::new(py, values)?)?;
        }
    }
    Ok(PyRows {
        rows: list.unbind(),
        columns: columns.unbind(),
        types: types.unbind(),
        versions: found.versions,
    })
}

#[pymethods]
impl PyRows {
    /// The result's column names, in order.
    #[getter]
    fn columns(&self, py: Python<'_>) -> Py<PyTuple> {
        self.columns.clone_ref(py)
    }

    /// Each column's SQL type (`integer`, `varchar(20)`, ...), or None where it has none
    /// (an expression that is NULL).
    #[getter]
    fn types(&self, py: Python<'_>) -> Py<PyTuple> {
        self.types.clone_ref(py)
    }

    /// For each row, the position of the entry that last wrote it (for
    /// `Batch.expect_version`); 0 for `COUNT(*)` and queries without `FROM`.
    #[getter]
    fn versions(&self) -> Vec<u64> {
        self.versions.clone()
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.rows.bind(py).len()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.rows.bind(py).as_any().get_item(index)
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.rows.bind(py).as_any().try_iter()?.into_any())
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<PyRows>() {
            Ok(other) => self.rows.bind(py).eq(other.get().rows.bind(py)),
            Err(_) => self.rows.bind(py).eq(other),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Rows(columns={}, rows={})",
            self.columns.bind(py).repr()?,
            self.rows.bind(py).repr()?
        ))
    }
}

/// An application event read back from a stream.
#[pyclass(frozen, module = "veritydb", name = "Event")]
pub(crate) struct PyEvent {
    /// Its position in the tenant's log.
    #[pyo3(get)]
    position: u64,
    /// When it was appended, in microseconds since the Unix epoch.
    #[pyo3(get)]
    timestamp_us: u64,
    /// The stream it was appended to.
    #[pyo3(get)]
    stream: String,
    /// The event, as JSON text.
    #[pyo3(get)]
    data: String,
}

impl From<veritydb::Event> for PyEvent {
    fn from(e: veritydb::Event) -> PyEvent {
        PyEvent {
            position: e.position,
            timestamp_us: e.timestamp_us,
            stream: e.stream,
            data: e.data,
        }
    }
}

#[pymethods]
impl PyEvent {
    /// When it was appended, as an aware UTC datetime.
    #[getter]
    fn timestamp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Entry timestamps are at most u64 microseconds; the log's clock keeps them far below
        // i64::MAX, and saturating keeps a bogus one from panicking.
        convert::micros_to_datetime(py, i64::try_from(self.timestamp_us).unwrap_or(i64::MAX))
    }

    /// The event parsed from JSON (`json.loads(event.data)`).
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (&self.data,))
    }

    fn __repr__(&self) -> String {
        format!(
            "Event(position={}, stream={:?}, data={:?})",
            self.position, self.stream, self.data
        )
    }
}

/// A signed checkpoint of a tenant's log.
#[pyclass(frozen, module = "veritydb", name = "Checkpoint")]
#[derive(Clone)]
pub(crate) struct PyCheckpoint {
    /// The log's origin, `node_name/tenant`.
    #[pyo3(get)]
    origin: String,
    /// The tree size (entries covered).
    #[pyo3(get)]
    size: u64,
    root: [u8; 32],
    /// The whole signed note (C2SP), as handed to verifiers.
    #[pyo3(get)]
    note: String,
}

impl From<veritydb::Checkpoint> for PyCheckpoint {
    fn from(c: veritydb::Checkpoint) -> PyCheckpoint {
        PyCheckpoint {
            origin: c.origin,
            size: c.size,
            root: c.root,
            note: c.note,
        }
    }
}

#[pymethods]
impl PyCheckpoint {
    /// The tree root at `size` (32 bytes).
    #[getter]
    fn root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.root)
    }

    fn __str__(&self) -> String {
        self.note.clone()
    }

    fn __repr__(&self) -> String {
        format!("Checkpoint(origin={:?}, size={})", self.origin, self.size)
    }
}

/// A receipt: the proof that one entry is in the log, under a signed checkpoint.
#[pyclass(frozen, module = "veritydb", name = "Receipt")]
pub(crate) struct PyReceipt {
    /// The entry's position.
    #[pyo3(get)]
    position: u64,
    /// The checkpoint the proof leads to.
    #[pyo3(get)]
    checkpoint: PyCheckpoint,
    /// The receipt text (`.tlog-proof`), for `veritydb.verify.verify_receipt`.
    #[pyo3(get)]
    text: String,
}

impl From<veritydb::Receipt> for PyReceipt {
    fn from(r: veritydb::Receipt) -> PyReceipt {
        PyReceipt {
            position: r.position,
            checkpoint: r.checkpoint.into(),
            text: r.text,
        }
    }
}

#[pymethods]
impl PyReceipt {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Receipt(position={}, tree_size={})",
            self.position, self.checkpoint.size
        )
    }
}

/// What an export wrote.
#[pyclass(frozen, module = "veritydb", name = "ExportSummary")]
pub(crate) struct PyExportSummary {
    /// First position exported.
    #[pyo3(get)]
    start: u64,
    /// End position (exclusive).
    #[pyo3(get)]
    end: u64,
    /// Entries written.
    #[pyo3(get)]
    entries: u64,
    /// Checkpoints written.
    #[pyo3(get)]
    checkpoints: u64,
    /// Bytes written.
    #[pyo3(get)]
    bytes: u64,
}

impl From<veritydb::ExportSummary> for PyExportSummary {
    fn from(s: veritydb::ExportSummary) -> PyExportSummary {
        PyExportSummary {
            start: s.from,
            end: s.to,
            entries: s.entries,
            checkpoints: s.checkpoints,
            bytes: s.bytes,
        }
    }
}

#[pymethods]
impl PyExportSummary {
    fn __repr__(&self) -> String {
        format!(
            "ExportSummary(start={}, end={}, entries={}, checkpoints={}, bytes={})",
            self.start, self.end, self.entries, self.checkpoints, self.bytes
        )
    }
}
