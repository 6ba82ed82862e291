//! `Tenant`: one tenant's log, its SQL tables, receipts, checkpoints and exports. Each method
//! converts its arguments, releases the GIL for one backend call, and converts the result.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyString;
use veritydb::ExportOptions;

use crate::backend::TenantHandle;
use crate::batch::PyBatch;
use crate::convert;
use crate::errors::{BindingError, Family};
use crate::handle::{DATABASE_CLOSED, Session, Slot};
use crate::io::{self, FileWriter, Target};
use crate::results::{
    self, PyCheckpoint, PyEvent, PyExecResult, PyExportSummary, PyReceipt, PyRows,
};
use crate::statement::PyStatement;

/// One tenant's log: SQL tables derived from it, application events, checkpoints, receipts
/// and exports. Safe to share between threads.
#[pyclass(frozen, module = "veritydb", name = "Tenant")]
pub(crate) struct PyTenant {
    session: Arc<Session>,
    inner: Arc<Slot<TenantHandle>>,
    name: String,
}

impl PyTenant {
    pub(crate) fn new(session: &Arc<Session>, tenant: TenantHandle) -> PyResult<PyTenant> {
        let name = tenant.name();
        Ok(PyTenant {
            session: Arc::clone(session),
            inner: session.adopt(tenant, DATABASE_CLOSED)?,
            name,
        })
    }
}

/// JSON text for an event: a `str` is taken as JSON text, anything else is serialized with
/// `json.dumps`.
fn event_json(event: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = event.cast::<PyString>() {
        return text.extract();
    }
    let dumped = event
        .py()
        .import("json")?
        .call_method1("dumps", (event,))
        .map_err(|e| {
            BindingError::new(
                Family::InvalidInput,
                format!("the event cannot be serialized to JSON: {e}"),
            )
        })?;
    dumped.extract()
}

#[pymethods]
impl PyTenant {
    /// The tenant's name.
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// The origin of the tenant's log: `node_name/tenant`.
    fn origin(&self, py: Python<'_>) -> PyResult<String> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.origin())?)
    }

    /// The C2SP verifier key an auditor pins to check this tenant's checkpoints, receipts
    /// and exports (`veritydb.verify`).
    fn verifier_key(&self, py: Python<'_>) -> PyResult<String> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.verifier_key())?)
    }

    /// The number of durable entries in the log.
    fn size(&self, py: Python<'_>) -> PyResult<u64> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.size())?)
    }

    /// Runs a write statement (CREATE, DROP, INSERT, UPDATE, DELETE) as one atomic batch;
    /// returns once it is durable and visible to queries.
    #[pyo3(signature = (sql, params=None))]
    fn execute(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyExecResult> {
        let t = self.inner.get()?;
        let params = convert::to_params(params)?;
        Ok(py.detach(|| t.execute(&sql, &params))?.into())
    }

    /// Runs a SELECT on the current state: a `Rows` of tuples, or of dicts with
    /// `as_dicts=True`.
    #[pyo3(signature = (sql, params=None, *, as_dicts=false))]
    fn query(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
        as_dicts: bool,
    ) -> PyResult<PyRows> {
        let t = self.inner.get()?;
        let params = convert::to_params(params)?;
        let found = py.detach(|| t.query(&sql, &params))?;
        results::rows(py, found, as_dicts)
    }

    /// Runs a SELECT on the state as of a past log position (`position=`, the position a
    /// write returned) or time (`timestamp=`, an aware datetime or microseconds).
    #[pyo3(signature = (sql, params=None, *, position=None, timestamp=None, as_dicts=false))]
    fn query_at(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
        position: Option<u64>,
        timestamp: Option<&Bound<'_, PyAny>>,
        as_dicts: bool,
    ) -> PyResult<PyRows> {
        let t = self.inner.get()?;
        let params = convert::to_params(params)?;
        let at = convert::at(position, timestamp)?;
        let found = py.detach(|| t.query_at(&sql, &params, at))?;
        results::rows(py, found, as_dicts)
    }

    /// Parses a statement once, to run it many times with different parameters.
    fn prepare(&self, py: Python<'_>, sql: String) -> PyResult<PyStatement> {
        let t = self.inner.get()?;
        let statement = py.detach(|| t.prepare(&sql))?;
        PyStatement::new(&self.session, statement, sql)
    }

    /// A batch of writes that commit atomically, with optional row-version preconditions.
    /// As a context manager it commits when the block ends without an exception and writes
    /// nothing otherwise.
    fn batch(&self) -> PyResult<PyBatch> {
        let t = self.inner.get()?;
        PyBatch::new(&self.session, t.batch())
    }

    /// Appends an application event (a dict, list, ... serialized as JSON, or a `str` of
    /// JSON text) to `stream`; returns its log position once it is durable.
    fn append(&self, py: Python<'_>, stream: String, event: &Bound<'_, PyAny>) -> PyResult<u64> {
        let t = self.inner.get()?;
        let json = event_json(event)?;
        Ok(py.detach(|| t.append(&stream, &json))?)
    }

    /// Appends `(stream, event)` pairs atomically; returns the positions written as a
    /// `range`.
    fn append_batch<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.get()?;
        let mut owned = Vec::new();
        for item in events.try_iter()? {
            let (stream, event): (String, Bound<'py, PyAny>) = item?.extract()?;
            owned.push((stream, event_json(&event)?));
        }
        let pairs: Vec<(&str, &str)> = owned
            .iter()
            .map(|(s, e)| (s.as_str(), e.as_str()))
            .collect();
        let range = py.detach(|| t.append_batch(&pairs))?;
        py.import("builtins")?
            .getattr("range")?
            .call1((range.start, range.end))
    }

    /// The events of `stream` at positions in `[start, end)` (clamped to the log), at most
    /// `READ_EVENTS_MAX` of them: continue from the last position + 1 for more.
    #[pyo3(signature = (stream, start=0, end=None))]
    fn read(
        &self,
        py: Python<'_>,
        stream: String,
        start: u64,
        end: Option<u64>,
    ) -> PyResult<Vec<PyEvent>> {
        let t = self.inner.get()?;
        let events = py.detach(|| t.read(&stream, start, end.unwrap_or(u64::MAX)))?;
        Ok(events.into_iter().map(PyEvent::from).collect())
    }

    /// Signs a checkpoint of the durable log now (or returns the one of this size).
    fn checkpoint(&self, py: Python<'_>) -> PyResult<PyCheckpoint> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.checkpoint())?.into())
    }

    /// The latest durable checkpoint, or None.
    fn latest_checkpoint(&self, py: Python<'_>) -> PyResult<Option<PyCheckpoint>> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.latest_checkpoint())?.map(PyCheckpoint::from))
    }

    /// A receipt proving the entry at `position`, disclosing the named fields (the columns
    /// of a row entry, `stream` and `event` of an event) and withholding the others.
    #[pyo3(signature = (position, disclose=None))]
    fn receipt(
        &self,
        py: Python<'_>,
        position: u64,
        disclose: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyReceipt> {
        let t = self.inner.get()?;
        let names = convert::strings(disclose, "disclose")?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(py.detach(|| t.receipt(position, &names))?.into())
    }

    /// Writes an export of entries `[start, end)` (default: the whole durable log) to a path
    /// or a binary file object; fields named in `withhold` are exported as commitments only.
    #[pyo3(signature = (destination, start=0, end=None, withhold=None))]
    fn export(
        &self,
        py: Python<'_>,
        destination: &Bound<'_, PyAny>,
        start: u64,
        end: Option<u64>,
        withhold: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyExportSummary> {
        let t = self.inner.get()?;
        let options = ExportOptions {
            from: start,
            to: end,
            withhold: convert::strings(withhold, "withhold")?,
        };
        let summary = match io::target(destination, "write", "destination")? {
            Target::Path(path) => py.detach(|| {
                let file = std::fs::File::create(&path)
                    .map_err(|e| io::path_error(&e, "create", &path))?;
                let mut out = std::io::BufWriter::with_capacity(io::CHUNK_BYTES, file);
                let summary = t.export(&mut out, &options)?;
                std::io::Write::flush(&mut out).map_err(|e| io::path_error(&e, "write", &path))?;
                Ok::<_, BindingError>(summary)
            })?,
            Target::File(file) => {
                let mut writer = FileWriter::new(file);
                let result = py.detach(|| {
                    let mut out = std::io::BufWriter::with_capacity(io::CHUNK_BYTES, &mut writer);
                    let summary = t.export(&mut out, &options);
                    let flushed = std::io::Write::flush(&mut out);
                    drop(out);
                    (summary, flushed)
                });
                if let Some(error) = writer.error.take() {
                    return Err(error);
                }
                let (summary, flushed) = result;
                let summary = summary?;
                flushed.map_err(|e| BindingError::io(Family::Storage, e.to_string(), &e))?;
                summary
            }
        };
        Ok(summary.into())
    }

    /// Makes sure queries see every entry up to and including `position`.
    fn read_at_least(&self, py: Python<'_>, position: u64) -> PyResult<()> {
        let t = self.inner.get()?;
        Ok(py.detach(|| t.read_at_least(position))?)
    }

    fn __repr__(&self) -> String {
        format!("<veritydb.Tenant {:?}>", self.name)
    }
}
