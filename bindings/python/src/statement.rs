//! `Statement`: SQL parsed once (and for queries planned once per schema), run many times.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::backend::StatementHandle;
use crate::convert;
use crate::errors::BindingError;
use crate::handle::{DATABASE_CLOSED, Session, Slot};
use crate::results::{self, PyExecResult, PyRows};

/// A prepared statement. Safe to share between threads.
#[pyclass(frozen, module = "veritydb", name = "Statement")]
pub(crate) struct PyStatement {
    inner: Arc<Slot<StatementHandle>>,
    sql: String,
}

impl PyStatement {
    pub(crate) fn new(
        session: &Session,
        statement: StatementHandle,
        sql: String,
    ) -> PyResult<PyStatement> {
        Ok(PyStatement {
            inner: session.adopt(statement, DATABASE_CLOSED)?,
            sql,
        })
    }

    pub(crate) fn handle(&self) -> Result<StatementHandle, BindingError> {
        self.inner.get()
    }
}

#[pymethods]
impl PyStatement {
    /// The SQL text.
    #[getter]
    fn sql(&self) -> String {
        self.sql.clone()
    }

    /// The number of parameters (`?`) the statement takes.
    #[getter]
    fn param_count(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.param_count())
    }

    /// Whether the statement is a query (SELECT).
    #[getter]
    fn is_query(&self) -> PyResult<bool> {
        Ok(self.inner.get()?.is_query())
    }

    /// Runs the prepared SELECT with `params`.
    #[pyo3(signature = (params=None, *, as_dicts=false))]
    fn query(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyAny>>,
        as_dicts: bool,
    ) -> PyResult<PyRows> {
        let s = self.inner.get()?;
        let params = convert::to_params(params)?;
        let found = py.detach(|| s.query(&params))?;
        results::rows(py, found, as_dicts)
    }

    /// Runs the prepared SELECT as of a past position or time.
    #[pyo3(signature = (params=None, *, position=None, timestamp=None, as_dicts=false))]
    fn query_at(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyAny>>,
        position: Option<u64>,
        timestamp: Option<&Bound<'_, PyAny>>,
        as_dicts: bool,
    ) -> PyResult<PyRows> {
        let s = self.inner.get()?;
        let params = convert::to_params(params)?;
        let at = convert::at(position, timestamp)?;
        let found = py.detach(|| s.query_at(&params, at))?;
        results::rows(py, found, as_dicts)
    }

    /// Runs the prepared write with `params` as one atomic batch.
    #[pyo3(signature = (params=None))]
    fn execute(&self, py: Python<'_>, params: Option<&Bound<'_, PyAny>>) -> PyResult<PyExecResult> {
        let s = self.inner.get()?;
        let params = convert::to_params(params)?;
        Ok(py.detach(|| s.execute(&params))?.into())
    }

    fn __repr__(&self) -> String {
        format!("<veritydb.Statement {:?}>", self.sql)
    }
}
