//! `veritydb.open(path)` and `veritydb.connect(url, ...)`: both return a `Database`, the same
//! interface over an embedded database or a server.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use veritydb::client::{Client, ClientOptions};

use crate::backend::Backend;
use crate::errors::{BindingError, Family};
use crate::handle::{DATABASE_CLOSED, Session, Slot};
use crate::io;
use crate::tenant::PyTenant;

/// A VerityDB database: embedded (`veritydb.open`) or remote (`veritydb.connect`).
/// Use it as a context manager, or call `close()`: either releases the database at once, and
/// every object made from it raises `ClosedError` afterwards.
#[pyclass(frozen, module = "veritydb", name = "Database")]
pub(crate) struct PyDatabase {
    session: Arc<Session>,
    backend: Arc<Slot<Backend>>,
    /// Where it is: a path, `:memory:` or a URL.
    location: String,
}

impl PyDatabase {
    fn new(backend: Backend, location: String) -> PyResult<PyDatabase> {
        let session = Arc::new(Session::default());
        let backend = session.adopt(backend, DATABASE_CLOSED)?;
        Ok(PyDatabase {
            session,
            backend,
            location,
        })
    }
}

/// Opens (creating if needed) the embedded database in directory `path`, or a fresh one in
/// memory for `":memory:"`.
#[pyfunction]
pub(crate) fn open(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<PyDatabase> {
    let memory = path
        .cast::<PyString>()
        .is_ok_and(|s| s.to_cow().is_ok_and(|s| s == ":memory:"));
    if memory {
        let db = py
            .detach(veritydb::Db::open_in_memory)
            .map_err(BindingError::from)?;
        return PyDatabase::new(Backend::Embedded(db), ":memory:".into());
    }
    let path: PathBuf = path.extract()?;
    let db = py
        .detach(|| veritydb::Db::open(&path))
        .map_err(BindingError::from)?;
    PyDatabase::new(Backend::Embedded(db), path.display().to_string())
}

/// Connects to a VerityDB server at `vdb://host:port` (or `vdbs://host:port` for TLS) with a
/// bearer token (default: `$VERITYDB_TOKEN`). `tls` is None (as the URL says), True (require
/// TLS), or the path of a PEM file of CA certificates to trust instead of the system's.
#[pyfunction]
#[pyo3(signature = (url, token=None, *, tls=None))]
pub(crate) fn connect(
    py: Python<'_>,
    url: String,
    token: Option<String>,
    tls: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyDatabase> {
    let token = match token.or_else(|| std::env::var("VERITYDB_TOKEN").ok()) {
        Some(token) => token,
        None => {
            return Err(BindingError::new(
                Family::InvalidInput,
                "no token: pass token= or set $VERITYDB_TOKEN",
            )
            .into());
        }
    };
    let secure = url.starts_with("vdbs://");
    let ca_path: Option<PathBuf> = match tls {
        None => None,
        Some(flag) if flag.is_instance_of::<PyBool>() => {
            if flag.is_truthy()? != secure {
                return Err(BindingError::new(
                    Family::InvalidInput,
                    format!(
                        "tls={} does not match the URL {url:?} (vdbs:// is TLS)",
                        flag.is_truthy()?
                    ),
                )
                .into());
            }
            None
        }
        Some(path) => Some(path.extract()?),
    };
    if ca_path.is_some() && !secure {
        return Err(BindingError::new(
            Family::InvalidInput,
            format!("a CA certificate needs a vdbs:// URL, not {url:?}"),
        )
        .into());
    }
    let client = py.detach(|| {
        let mut options = ClientOptions::new(token)
            .client_name(format!("veritydb-python/{}", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &ca_path {
            let pem = std::fs::read(path).map_err(|e| io::path_error(&e, "read", path))?;
            options = options.ca_certificates_pem(pem);
        }
        Client::connect(&url, options).map_err(BindingError::from)
    })?;
    PyDatabase::new(Backend::Remote(client), url)
}

#[pymethods]
impl PyDatabase {
    /// A handle on tenant `name`. Embedded, its log is created if it does not exist; on a
    /// server the tenant must exist (see `create_tenant`).
    fn tenant(&self, py: Python<'_>, name: String) -> PyResult<PyTenant> {
        let backend = self.backend.get()?;
        let tenant = py.detach(|| backend.tenant(&name))?;
        PyTenant::new(&self.session, tenant)
    }

    /// Creates tenant `name` and returns it. Embedded, `tenant()` creates too; on a server,
    /// creating a tenant is for node administrators and `tenant()` only names one.
    fn create_tenant(&self, py: Python<'_>, name: String) -> PyResult<PyTenant> {
        let backend = self.backend.get()?;
        let tenant = py.detach(|| backend.create_tenant(&name))?;
        PyTenant::new(&self.session, tenant)
    }

    /// The names of all tenants (that this token may see, for a server), in creation order.
    fn tenants(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let backend = self.backend.get()?;
        Ok(py.detach(|| backend.tenants())?)
    }

    /// The node's name (part of every tenant's origin).
    #[getter]
    fn node_name(&self) -> PyResult<String> {
        Ok(self.backend.get()?.node_name())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.session.is_closed()
    }

    /// Releases the database (and every tenant, statement and batch made from it); calling it
    /// again does nothing. Calls in flight on other threads finish first.
    fn close(&self, py: Python<'_>) {
        // Dropping the last core handle stops background work and saves state: no GIL needed.
        py.detach(|| self.session.close());
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        let state = if self.backend.is_closed() {
            " closed"
        } else {
            ""
        };
        format!("<veritydb.Database {:?}{state}>", self.location)
    }
}
