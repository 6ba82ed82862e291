//! Files: paths (`str` or `os.PathLike`) are opened in Rust with the GIL released; binary file
//! objects are written or read through their Python methods, taking the GIL only for each
//! 1 MiB chunk. An exception a file object raises is re-raised as it was.

use std::io::{self, Write};
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::convert::type_name;
use crate::errors::{BindingError, Family};

/// Chunk size for file objects: one GIL acquisition per chunk.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Where to write or read: a path, or a Python file object.
pub(crate) enum Target {
    Path(PathBuf),
    File(Py<PyAny>),
}

/// A path (`str`, `os.PathLike`) or a binary file object (with `write` or `read`, per `method`).
pub(crate) fn target(value: &Bound<'_, PyAny>, method: &str, what: &str) -> PyResult<Target> {
    let path_like = value.is_instance_of::<PyString>() || value.hasattr("__fspath__")?;
    if path_like {
        return Ok(Target::Path(value.extract::<PathBuf>()?));
    }
    if value.hasattr(method)? {
        return Ok(Target::File(value.clone().unbind()));
    }
    Err(BindingError::new(
        Family::ParameterType,
        format!(
            "{what} must be a path (str or os.PathLike) or a binary file object with .{method}(), not {}",
            type_name(value)
        ),
    )
    .into())
}

/// An I/O error on `path` as a `StorageError` (an `OSError` with the OS error number).
pub(crate) fn path_error(e: &io::Error, doing: &str, path: &std::path::Path) -> BindingError {
    BindingError::io(
        Family::Storage,
        format!("cannot {doing} {}: {e}", path.display()),
        e,
    )
}

/// `io::Write` over a Python binary file object.
pub(crate) struct FileWriter {
    file: Py<PyAny>,
    /// The first exception the file object raised, re-raised after the call.
    pub(crate) error: Option<PyErr>,
}

impl FileWriter {
    pub(crate) fn new(file: Py<PyAny>) -> FileWriter {
        FileWriter { file, error: None }
    }

    fn call(
        &mut self,
        f: impl FnOnce(Python<'_>, &Bound<'_, PyAny>) -> PyResult<()>,
    ) -> io::Result<()> {
        if self.error.is_some() {
            return Err(io::Error::other("the file object failed earlier"));
        }
        let result = Python::attach(|py| f(py, self.file.bind(py)));
        result.map_err(|e| {
            let message = e.to_string();
            self.error = Some(e);
            io::Error::other(message)
        })
    }
}

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.call(|py, file| {
            let written = file.call_method1("write", (PyBytes::new(py, buf),))?;
            // Raw files may write less; buffered ones (what `open(..., "wb")` gives) never do.
            match written.extract::<Option<usize>>()? {
                Some(n) if n != buf.len() => Err(BindingError::new(
                    Family::Storage,
                    format!("the file object wrote {n} of {} bytes", buf.len()),
                )
                .into()),
                _ => Ok(()),
            }
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.call(|_, file| match file.hasattr("flush")? {
            true => file.call_method0("flush").map(drop),
            false => Ok(()),
        })
    }
}

/// Reads the next chunk (at most `CHUNK_BYTES`) from a Python binary file object; empty at
/// the end.
pub(crate) fn read_chunk(file: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let chunk = file.call_method1("read", (CHUNK_BYTES,))?;
    if let Ok(bytes) = chunk.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(bytes) = chunk.cast::<PyByteArray>() {
        return Ok(bytes.to_vec());
    }
    Err(BindingError::new(
        Family::ParameterType,
        format!(
            "the file object's read() returned {}: open the file in binary mode ('rb')",
            type_name(&chunk)
        ),
    )
    .into())
}
