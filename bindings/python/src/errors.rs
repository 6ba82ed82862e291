//! Every Rust error the binding can meet, mapped to one Python exception family, here and
//! nowhere else (STYLE §9).
//!
//! A [`Family`] is what a Python caller catches: `veritydb.ConstraintError`,
//! `veritydb.StorageError`, ... The classes live in `veritydb/_errors.py`, which gives them
//! their PEP 249 bases (so `veritydb.dbapi` raises the very same classes) and their
//! `ValueError` / `TypeError` / `OSError` mix-ins: bad input is a `ValueError`, I/O an `OSError`.
//! Embedded and remote databases raise the same families: core's errors map by who is at
//! fault, the server's by the error class it sends.
//!
//! Every message keeps the Rust error's text. Work done with the GIL released returns
//! [`BindingError`] (plain Rust, `Send`); it becomes a `PyErr` only when the GIL is held again.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use veritydb::client::ClientError;
use veritydb::error::{
    CheckpointError, Corruption, ExportError, InvalidInput, OpenError, ProofError, ReadError,
    ReceiptError, WriteError,
};
use veritydb::protocol::{ErrorClass as WireClass, codes};
use veritydb::sql::{ErrorClass, ExecuteError, PrepareError, QueryError};

/// The exception families of `veritydb/_errors.py`, one per kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    /// An argument is invalid: a tenant or stream name, event JSON, a range, a field name.
    InvalidInput,
    /// A Python value of a type the binding cannot convert (a parameter that is a `list`).
    ParameterType,
    /// An object used after `close()` (or a batch after it was committed or discarded).
    Closed,
    /// Not valid SQL.
    Syntax,
    /// Valid SQL outside the supported subset.
    Unsupported,
    /// SQL that does not fit this database: unknown name, type mismatch, parameter count.
    Invalid,
    /// A primary key, unique index, NOT NULL or length rule refused a change.
    Constraint,
    /// An expected row version did not match: nothing was written.
    Conflict,
    /// A position or time beyond the log.
    OutOfRange,
    /// A named limit was exceeded.
    Limit,
    /// Reading or writing storage or a file failed.
    Storage,
    /// Another process holds the database open.
    InUse,
    /// An earlier write failure stopped the database: reopen it.
    Stopped,
    /// Stored data is damaged (or a safety check refused to sign an inconsistent checkpoint).
    Corruption,
    /// A trusted key given to the verifier cannot be used.
    TrustedKey,
    /// The server could not be reached, or the connection failed.
    Network,
    /// The server refused the token.
    Authentication,
    /// The token may not do this.
    Forbidden,
    /// No such tenant, prepared statement or token on the server.
    NotFound,
    /// The server is overloaded or shutting down.
    Busy,
    /// The server sent something that is not the protocol.
    Protocol,
    /// A bug in VerityDB (server or binding); please report it.
    Internal,
}

impl Family {
    /// Every family, so module import can check that each has its Python class.
    pub(crate) const ALL: [Family; 22] = [
        Family::InvalidInput,
        Family::ParameterType,
        Family::Closed,
        Family::Syntax,
        Family::Unsupported,
        Family::Invalid,
        Family::Constraint,
        Family::Conflict,
        Family::OutOfRange,
        Family::Limit,
        Family::Storage,
        Family::InUse,
        Family::Stopped,
        Family::Corruption,
        Family::TrustedKey,
        Family::Network,
        Family::Authentication,
        Family::Forbidden,
        Family::NotFound,
        Family::Busy,
        Family::Protocol,
        Family::Internal,
    ];

    /// The class name in `veritydb` (and `veritydb._errors`).
    pub(crate) fn class_name(self) -> &'static str {
        match self {
            Family::InvalidInput => "InvalidInputError",
            Family::ParameterType => "ParameterTypeError",
            Family::Closed => "ClosedError",
            Family::Syntax => "SqlSyntaxError",
            Family::Unsupported => "UnsupportedSqlError",
            Family::Invalid => "InvalidStatementError",
            Family::Constraint => "ConstraintError",
            Family::Conflict => "ConflictError",
            Family::OutOfRange => "OutOfRangeError",
            Family::Limit => "LimitError",
            Family::Storage => "StorageError",
            Family::InUse => "DatabaseInUseError",
            Family::Stopped => "StoppedError",
            Family::Corruption => "CorruptionError",
            Family::TrustedKey => "TrustedKeyError",
            Family::Network => "NetworkError",
            Family::Authentication => "AuthenticationError",
            Family::Forbidden => "PermissionDeniedError",
            Family::NotFound => "NotFoundError",
            Family::Busy => "BusyError",
            Family::Protocol => "ProtocolError",
            Family::Internal => "InternalError",
        }
    }

    fn index(self) -> usize {
        Family::ALL
            .iter()
            .position(|f| *f == self)
            .expect("Family::ALL lists every family")
    }
}

/// An error on its way to Python: the family and the Rust error's message; for I/O, the OS
/// error number when there is one (it becomes the `OSError`'s `errno`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BindingError {
    pub(crate) family: Family,
    pub(crate) message: String,
    pub(crate) errno: Option<i32>,
}

impl BindingError {
    pub(crate) fn new(family: Family, message: impl Into<String>) -> BindingError {
        BindingError {
            family,
            message: message.into(),
            errno: None,
        }
    }

    /// An I/O failure of `family`, keeping the OS error number.
    pub(crate) fn io(family: Family, message: impl Into<String>, e: &std::io::Error) -> Self {
        BindingError {
            family,
            message: message.into(),
            errno: e.raw_os_error(),
        }
    }
}

/// The Python classes, looked up once from `veritydb._errors`.
static CLASSES: [PyOnceLock<Py<PyType>>; 22] = [const { PyOnceLock::new() }; 22];

/// The Python class of `family`.
pub(crate) fn class(py: Python<'_>, family: Family) -> PyResult<&Bound<'_, PyType>> {
    CLASSES[family.index()].import(py, "veritydb._errors", family.class_name())
}

impl From<BindingError> for PyErr {
    fn from(error: BindingError) -> PyErr {
        Python::attach(|py| {
            let class = match class(py, error.family) {
                Ok(class) => class.clone(),
                // Only a broken installation gets here: say which class is missing.
                Err(e) => return PyRuntimeError::new_err(format!("{e}: {}", error.message)),
            };
            match error.errno {
                Some(errno) => PyErr::from_type(class, (errno, error.message)),
                None => PyErr::from_type(class, (error.message,)),
            }
        })
    }
}

fn io_family(e: &std::io::Error) -> Family {
    match e.kind() {
        std::io::ErrorKind::InvalidInput => Family::InvalidInput,
        _ => Family::Storage,
    }
}

fn io_error(e: &std::io::Error, message: String) -> BindingError {
    BindingError::io(io_family(e), message, e)
}

impl From<InvalidInput> for BindingError {
    fn from(e: InvalidInput) -> BindingError {
        BindingError::new(Family::InvalidInput, e.to_string())
    }
}

impl From<Corruption> for BindingError {
    fn from(e: Corruption) -> BindingError {
        BindingError::new(Family::Corruption, e.to_string())
    }
}

impl From<OpenError> for BindingError {
    fn from(e: OpenError) -> BindingError {
        let message = e.to_string();
        let family = match &e {
            OpenError::Io(io) => return io_error(io, message),
            OpenError::InUse(_) => Family::InUse,
            OpenError::Corrupt(_) => Family::Corruption,
            OpenError::Invalid(_) | OpenError::NodeMismatch { .. } => Family::InvalidInput,
            OpenError::Random(_) => Family::Storage,
            _ => Family::Internal,
        };
        BindingError::new(family, message)
    }
}

impl From<WriteError> for BindingError {
    fn from(e: WriteError) -> BindingError {
        let message = e.to_string();
        let family = match &e {
            WriteError::Invalid(_) => Family::InvalidInput,
            WriteError::TooLarge(_) | WriteError::LogFull(_) | WriteError::TooManyTenants(_) => {
                Family::Limit
            }
            WriteError::Io(io) => return BindingError::io(Family::Stopped, message, io),
            WriteError::Stopped(_) => Family::Stopped,
            _ => Family::Internal,
        };
        BindingError::new(family, message)
    }
}

impl From<ReadError> for BindingError {
    fn from(e: ReadError) -> BindingError {
        let message = e.to_string();
        let family = match &e {
            ReadError::Invalid(_) => Family::InvalidInput,
            ReadError::TooMany { .. } => Family::Limit,
            ReadError::OutOfRange { .. } => Family::OutOfRange,
            ReadError::Io(io) => return io_error(io, message),
            ReadError::Corrupt(_) => Family::Corruption,
            _ => Family::Internal,
        };
        BindingError::new(family, message)
    }
}

impl From<ProofError> for BindingError {
    fn from(e: ProofError) -> BindingError {
        let message = e.to_string();
        let family = match &e {
            ProofError::OutOfRange(_) => Family::OutOfRange,
            ProofError::Io(io) => return io_error(io, message),
            ProofError::Corrupt(_) => Family::Corruption,
            _ => Family::Internal,
        };
        BindingError::new(family, message)
    }
}

impl From<CheckpointError> for BindingError {
    fn from(e: CheckpointError) -> BindingError {
        match e {
            CheckpointError::Write(w) => w.into(),
            CheckpointError::Io(io) => io_error(&io, format!("read failed: {io}")),
            CheckpointError::Inconsistent(_) => {
                BindingError::new(Family::Corruption, e.to_string())
            }
            _ => BindingError::new(Family::Internal, e.to_string()),
        }
    }
}

impl From<ReceiptError> for BindingError {
    fn from(e: ReceiptError) -> BindingError {
        match e {
            ReceiptError::Read(r) => r.into(),
            ReceiptError::UnknownField { .. } => {
                BindingError::new(Family::InvalidInput, e.to_string())
            }
            ReceiptError::Checkpoint(c) => c.into(),
            ReceiptError::Proof(p) => p.into(),
            _ => BindingError::new(Family::Internal, e.to_string()),
        }
    }
}

impl From<ExportError> for BindingError {
    fn from(e: ExportError) -> BindingError {
        match e {
            ExportError::Range { .. } => BindingError::new(Family::OutOfRange, e.to_string()),
            ExportError::Read(r) => r.into(),
            ExportError::Checkpoint(c) => c.into(),
            ExportError::Proof(p) => p.into(),
            ExportError::Output(ref io) => BindingError::io(Family::Storage, e.to_string(), io),
            _ => BindingError::new(Family::Internal, e.to_string()),
        }
    }
}

/// The family of a SQL error class (`docs/reference/sql.md`): SQL errors map by their stable
/// class, so embedded and remote SQL errors raise the same exceptions.
fn sql_family(class: ErrorClass) -> Family {
    match class {
        ErrorClass::Syntax => Family::Syntax,
        ErrorClass::Unsupported => Family::Unsupported,
        ErrorClass::Invalid => Family::Invalid,
        ErrorClass::Constraint => Family::Constraint,
        ErrorClass::Conflict => Family::Conflict,
        ErrorClass::OutOfRange => Family::OutOfRange,
        ErrorClass::Limit => Family::Limit,
        ErrorClass::Io => Family::Storage,
        ErrorClass::Corrupt => Family::Corruption,
        _ => Family::Internal,
    }
}

impl From<PrepareError> for BindingError {
    fn from(e: PrepareError) -> BindingError {
        BindingError::new(sql_family(e.class()), e.to_string())
    }
}

impl From<QueryError> for BindingError {
    fn from(e: QueryError) -> BindingError {
        match &e {
            QueryError::Io(io) => BindingError::io(Family::Storage, e.to_string(), io),
            _ => BindingError::new(sql_family(e.class()), e.to_string()),
        }
    }
}

impl From<ExecuteError> for BindingError {
    fn from(e: ExecuteError) -> BindingError {
        match e {
            // Appending failed: the log's own mapping says more (stopped, limit, input).
            ExecuteError::Write(w) => w.into(),
            ExecuteError::Io(ref io) => BindingError::io(Family::Storage, e.to_string(), io),
            _ => BindingError::new(sql_family(e.class()), e.to_string()),
        }
    }
}

impl From<veritydb_verify::KeyError> for BindingError {
    fn from(e: veritydb_verify::KeyError) -> BindingError {
        BindingError::new(Family::TrustedKey, e.to_string())
    }
}

impl From<ClientError> for BindingError {
    fn from(e: ClientError) -> BindingError {
        let message = e.to_string();
        let family = match &e {
            ClientError::Url(_) | ClientError::Invalid(_) => Family::InvalidInput,
            ClientError::Connect(io) | ClientError::Io(io) => {
                return BindingError::io(Family::Network, message, io);
            }
            ClientError::Tls(_) | ClientError::Closed => Family::Network,
            ClientError::Protocol(_) => Family::Protocol,
            ClientError::Server(wire) if wire.code == codes::STOPPED => Family::Stopped,
            ClientError::Server(wire) => wire_family(wire.class),
            ClientError::Output(io) => return BindingError::io(Family::Storage, message, io),
            _ => Family::Internal,
        };
        BindingError::new(family, message)
    }
}

/// A server's error for a request that is not SQL (append, read, receipt, export, ...): its
/// `invalid` class is bad input, as the embedded database reports it (`InvalidInputError`),
/// not an invalid statement.
pub(crate) fn outside_sql(e: ClientError) -> BindingError {
    let mut error = BindingError::from(e);
    if error.family == Family::Invalid {
        error.family = Family::InvalidInput;
    }
    error
}

/// The family of an error class a server sends (`docs/spec/protocol.md`): the same families
/// the embedded database raises for the same faults.
fn wire_family(class: WireClass) -> Family {
    match class {
        WireClass::Protocol => Family::Protocol,
        WireClass::Unauthenticated => Family::Authentication,
        WireClass::Forbidden => Family::Forbidden,
        WireClass::NotFound => Family::NotFound,
        WireClass::Syntax => Family::Syntax,
        WireClass::Unsupported => Family::Unsupported,
        WireClass::Invalid => Family::Invalid,
        WireClass::Constraint => Family::Constraint,
        WireClass::Conflict => Family::Conflict,
        WireClass::OutOfRange => Family::OutOfRange,
        WireClass::Limit => Family::Limit,
        WireClass::Busy => Family::Busy,
        WireClass::Io => Family::Storage,
        WireClass::Corrupt => Family::Corruption,
        // `Unknown` is a class from a newer server; `Internal` a server bug.
        _ => Family::Internal,
    }
}

#[cfg(test)]
mod tests {
    //! Every variant of every Rust error the binding meets maps to its intended family, and
    //! the list below names every variant core and the verifier define today: the test reads
    //! their sources, so a new variant fails here until it is mapped on purpose.

    use std::io;

    use veritydb::protocol::WireError;

    use super::*;

    fn io_error() -> io::Error {
        io::Error::from_raw_os_error(5)
    }

    fn corruption() -> Corruption {
        Corruption {
            location: "segment 0".into(),
            detail: "bad".into(),
        }
    }

    fn invalid() -> InvalidInput {
        InvalidInput::StreamName(String::new())
    }

    #[test]
    fn a_stopped_log_raises_the_same_family_embedded_and_remote() {
        let stopped = |e: BindingError| e.family;
        assert_eq!(stopped(WriteError::Io(io_error()).into()), Family::Stopped);
        assert_eq!(
            stopped(WriteError::Stopped("x".into()).into()),
            Family::Stopped
        );
        let remote = ClientError::Server(WireError::new(WireClass::Io, codes::STOPPED, "x"));
        assert_eq!(stopped(remote.into()), Family::Stopped);
        let remote_io = ClientError::Server(WireError::new(WireClass::Io, codes::IO, "x"));
        assert_eq!(stopped(remote_io.into()), Family::Storage);
    }

    /// (enum, variant, family it must map to).
    fn cases() -> Vec<(&'static str, &'static str, BindingError)> {
        let b = |e: BindingError| e;
        vec![
            ("OpenError", "Io", b(OpenError::Io(io_error()).into())),
            (
                "OpenError",
                "InUse",
                b(OpenError::InUse("pid 1".into()).into()),
            ),
            (
                "OpenError",
                "Corrupt",
                b(OpenError::Corrupt(corruption()).into()),
            ),
            (
                "OpenError",
                "Invalid",
                b(OpenError::Invalid(invalid()).into()),
            ),
            (
                "OpenError",
                "NodeMismatch",
                b(OpenError::NodeMismatch {
                    stored: "a".into(),
                    requested: "b".into(),
                }
                .into()),
            ),
            (
                "OpenError",
                "Random",
                b(OpenError::Random("none".into()).into()),
            ),
            (
                "WriteError",
                "Invalid",
                b(WriteError::Invalid(invalid()).into()),
            ),
            (
                "WriteError",
                "TooLarge",
                b(WriteError::TooLarge("x".into()).into()),
            ),
            (
                "WriteError",
                "LogFull",
                b(WriteError::LogFull("t".into()).into()),
            ),
            ("WriteError", "Io", b(WriteError::Io(io_error()).into())),
            (
                "WriteError",
                "Stopped",
                b(WriteError::Stopped("x".into()).into()),
            ),
            (
                "WriteError",
                "TooManyTenants",
                b(WriteError::TooManyTenants(9).into()),
            ),
            (
                "ReadError",
                "Invalid",
                b(ReadError::Invalid(invalid()).into()),
            ),
            (
                "ReadError",
                "OutOfRange",
                b(ReadError::OutOfRange {
                    requested: 9,
                    size: 1,
                }
                .into()),
            ),
            (
                "ReadError",
                "TooMany",
                b(ReadError::TooMany {
                    requested: 9,
                    max: 1,
                }
                .into()),
            ),
            ("ReadError", "Io", b(ReadError::Io(io_error()).into())),
            (
                "ReadError",
                "Corrupt",
                b(ReadError::Corrupt(corruption()).into()),
            ),
            (
                "ProofError",
                "OutOfRange",
                b(ProofError::OutOfRange("x".into()).into()),
            ),
            ("ProofError", "Io", b(ProofError::Io(io_error()).into())),
            (
                "ProofError",
                "Corrupt",
                b(ProofError::Corrupt(corruption()).into()),
            ),
            (
                "CheckpointError",
                "Write",
                b(CheckpointError::Write(WriteError::Stopped("x".into())).into()),
            ),
            (
                "CheckpointError",
                "Io",
                b(CheckpointError::Io(io_error()).into()),
            ),
            (
                "CheckpointError",
                "Inconsistent",
                b(CheckpointError::Inconsistent("x".into()).into()),
            ),
            (
                "ReceiptError",
                "Read",
                b(ReceiptError::Read(ReadError::OutOfRange {
                    requested: 9,
                    size: 1,
                })
                .into()),
            ),
            (
                "ReceiptError",
                "UnknownField",
                b(ReceiptError::UnknownField {
                    position: 1,
                    field: "f".into(),
                }
                .into()),
            ),
            (
                "ReceiptError",
                "Checkpoint",
                b(ReceiptError::Checkpoint(CheckpointError::Inconsistent("x".into())).into()),
            ),
            (
                "ReceiptError",
                "Proof",
                b(ReceiptError::Proof(ProofError::OutOfRange("x".into())).into()),
            ),
            (
                "ExportError",
                "Range",
                b(ExportError::Range {
                    from: 2,
                    to: 1,
                    size: 0,
                }
                .into()),
            ),
            (
                "ExportError",
                "Read",
                b(ExportError::Read(ReadError::Io(io_error())).into()),
            ),
            (
                "ExportError",
                "Checkpoint",
                b(ExportError::Checkpoint(CheckpointError::Io(io_error())).into()),
            ),
            (
                "ExportError",
                "Proof",
                b(ExportError::Proof(ProofError::Corrupt(corruption())).into()),
            ),
            (
                "ExportError",
                "Output",
                b(ExportError::Output(io_error()).into()),
            ),
            (
                "PrepareError",
                "Syntax",
                b(PrepareError::Syntax("x".into()).into()),
            ),
            (
                "PrepareError",
                "Unsupported",
                b(PrepareError::Unsupported("x".into()).into()),
            ),
            (
                "PrepareError",
                "Invalid",
                b(PrepareError::Invalid("x".into()).into()),
            ),
            (
                "PrepareError",
                "Limit",
                b(PrepareError::Limit("x".into()).into()),
            ),
            (
                "QueryError",
                "Prepare",
                b(QueryError::Prepare(PrepareError::Syntax("x".into())).into()),
            ),
            (
                "QueryError",
                "Invalid",
                b(QueryError::Invalid("x".into()).into()),
            ),
            (
                "QueryError",
                "Unsupported",
                b(QueryError::Unsupported("x".into()).into()),
            ),
            (
                "QueryError",
                "OutOfRange",
                b(QueryError::OutOfRange("x".into()).into()),
            ),
            (
                "QueryError",
                "Limit",
                b(QueryError::Limit("x".into()).into()),
            ),
            ("QueryError", "Io", b(QueryError::Io(io_error()).into())),
            (
                "QueryError",
                "Corrupt",
                b(QueryError::Corrupt(corruption()).into()),
            ),
            (
                "ExecuteError",
                "Prepare",
                b(ExecuteError::Prepare(PrepareError::Unsupported("x".into())).into()),
            ),
            (
                "ExecuteError",
                "Invalid",
                b(ExecuteError::Invalid("x".into()).into()),
            ),
            (
                "ExecuteError",
                "Unsupported",
                b(ExecuteError::Unsupported("x".into()).into()),
            ),
            (
                "ExecuteError",
                "Constraint",
                b(ExecuteError::Constraint("x".into()).into()),
            ),
            (
                "ExecuteError",
                "Conflict",
                b(ExecuteError::Conflict("x".into()).into()),
            ),
            (
                "ExecuteError",
                "Limit",
                b(ExecuteError::Limit("x".into()).into()),
            ),
            (
                "ExecuteError",
                "Write",
                b(ExecuteError::Write(WriteError::LogFull("t".into())).into()),
            ),
            ("ExecuteError", "Io", b(ExecuteError::Io(io_error()).into())),
            (
                "ExecuteError",
                "Corrupt",
                b(ExecuteError::Corrupt(corruption()).into()),
            ),
            (
                "KeyError",
                "Invalid",
                b(veritydb_verify::TrustedKeys::parse(["not a vkey"])
                    .expect_err("refused")
                    .into()),
            ),
            (
                "KeyError",
                "TooMany",
                b(veritydb_verify::TrustedKeys::parse(vec![
                    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
                    veritydb_verify::limits::TRUSTED_KEYS_MAX
                        + 1
                ])
                .expect_err("refused")
                .into()),
            ),
            ("ClientError", "Url", b(ClientError::Url("x".into()).into())),
            (
                "ClientError",
                "Connect",
                b(ClientError::Connect(io_error()).into()),
            ),
            ("ClientError", "Tls", b(ClientError::Tls("x".into()).into())),
            ("ClientError", "Io", b(ClientError::Io(io_error()).into())),
            ("ClientError", "Closed", b(ClientError::Closed.into())),
            (
                "ClientError",
                "Protocol",
                b(ClientError::Protocol("x".into()).into()),
            ),
            (
                "ClientError",
                "Server",
                b(ClientError::Server(WireError::new(
                    WireClass::Conflict,
                    veritydb::protocol::codes::CONFLICT,
                    "x",
                ))
                .into()),
            ),
            (
                "ClientError",
                "Output",
                b(ClientError::Output(io_error()).into()),
            ),
            (
                "ClientError",
                "Invalid",
                b(ClientError::Invalid("x".into()).into()),
            ),
            (
                "KeyError",
                "Ambiguous",
                b(veritydb_verify::KeyError::Ambiguous {
                    name: "n".into(),
                    id: 1,
                }
                .into()),
            ),
        ]
    }

    /// The family each case must map to: who is at fault decides it.
    fn expected(enum_name: &str, variant: &str) -> Family {
        match (enum_name, variant) {
            ("ClientError", "Url" | "Invalid") => Family::InvalidInput,
            ("ClientError", "Connect" | "Tls" | "Io" | "Closed") => Family::Network,
            ("ClientError", "Protocol") => Family::Protocol,
            ("ClientError", "Server") => Family::Conflict,
            ("ClientError", "Output") => Family::Storage,
            ("WriteError", "Io") | ("CheckpointError", "Write") => Family::Stopped,
            (_, "Io" | "Output" | "Random") => Family::Storage,
            ("OpenError", "InUse") => Family::InUse,
            ("WriteError", "Stopped") => Family::Stopped,
            (_, "Corrupt" | "Inconsistent") => Family::Corruption,
            ("ReceiptError", "Checkpoint") => Family::Corruption,
            ("ExportError", "Proof") => Family::Corruption,
            ("ExportError", "Read" | "Checkpoint") => Family::Storage,
            (_, "TooLarge" | "LogFull" | "TooManyTenants" | "Limit") => Family::Limit,
            ("ReadError", "TooMany") => Family::Limit,
            ("ExecuteError", "Write") => Family::Limit,
            (_, "OutOfRange" | "Range") => Family::OutOfRange,
            ("ReceiptError", "Read" | "Proof") => Family::OutOfRange,
            ("PrepareError" | "QueryError" | "ExecuteError", "Invalid") => Family::Invalid,
            (_, "Syntax") => Family::Syntax,
            ("QueryError", "Prepare") => Family::Syntax,
            (_, "Unsupported") => Family::Unsupported,
            ("ExecuteError", "Prepare") => Family::Unsupported,
            (_, "Constraint") => Family::Constraint,
            (_, "Conflict") => Family::Conflict,
            ("KeyError", _) => Family::TrustedKey,
            (_, "Invalid" | "NodeMismatch" | "UnknownField") => Family::InvalidInput,
            other => panic!("no expected family for {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_family() {
        for (enum_name, variant, error) in cases() {
            assert_eq!(
                error.family,
                expected(enum_name, variant),
                "{enum_name}::{variant} ({})",
                error.message
            );
            assert!(
                !error.message.is_empty(),
                "{enum_name}::{variant} has no message"
            );
        }
        let io = OpenError::Io(io_error()).into_binding();
        assert_eq!(io.errno, Some(5), "I/O errors keep their OS error number");
    }

    trait IntoBinding {
        fn into_binding(self) -> BindingError;
    }
    impl<E: Into<BindingError>> IntoBinding for E {
        fn into_binding(self) -> BindingError {
            self.into()
        }
    }

    /// The variant names of `pub enum NAME` in a Rust source file.
    fn variants(source: &str, enum_name: &str) -> Vec<String> {
        let start = source
            .find(&format!("pub enum {enum_name} {{"))
            .unwrap_or_else(|| panic!("enum {enum_name} not found"));
        let body = &source[start..];
        let end = body.find("\n}").expect("the enum ends");
        body[..end]
            .lines()
            .skip(1)
            .filter(|line| line.starts_with("    ") && !line.starts_with("     "))
            .map(str::trim)
            .filter(|line| !line.starts_with("//") && !line.starts_with("#["))
            .filter_map(|line| {
                let name: String = line
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                (!name.is_empty() && name.chars().next().is_some_and(char::is_uppercase))
                    .then_some(name)
            })
            .collect()
    }

    #[test]
    fn the_cases_name_every_variant_core_and_the_verifier_define() {
        let core_errors = include_str!("../../../core/src/error.rs");
        let sql_errors = include_str!("../../../core/src/sql/error.rs");
        let key_errors = include_str!("../../../verifier/src/keys.rs");
        let sources = [
            ("OpenError", core_errors),
            ("WriteError", core_errors),
            ("ReadError", core_errors),
            ("ProofError", core_errors),
            ("CheckpointError", core_errors),
            ("ReceiptError", core_errors),
            ("ExportError", core_errors),
            ("PrepareError", sql_errors),
            ("QueryError", sql_errors),
            ("ExecuteError", sql_errors),
            ("KeyError", key_errors),
            (
                "ClientError",
                include_str!("../../../core/src/client/mod.rs"),
            ),
        ];
        let cases = cases();
        for (enum_name, source) in sources {
            let found = variants(source, enum_name);
            assert!(!found.is_empty(), "no variants read for {enum_name}");
            for variant in found {
                assert!(
                    cases
                        .iter()
                        .any(|(e, v, _)| *e == enum_name && *v == variant),
                    "{enum_name}::{variant} has no case in errors.rs: map it and add it"
                );
            }
        }
    }

    #[test]
    fn every_sql_class_has_a_family() {
        let classes = [
            (ErrorClass::Syntax, Family::Syntax),
            (ErrorClass::Unsupported, Family::Unsupported),
            (ErrorClass::Invalid, Family::Invalid),
            (ErrorClass::Constraint, Family::Constraint),
            (ErrorClass::Conflict, Family::Conflict),
            (ErrorClass::OutOfRange, Family::OutOfRange),
            (ErrorClass::Limit, Family::Limit),
            (ErrorClass::Io, Family::Storage),
            (ErrorClass::Corrupt, Family::Corruption),
        ];
        for (class, family) in classes {
            assert_eq!(sql_family(class), family, "{class:?}");
        }
        let source = include_str!("../../../core/src/sql/error.rs");
        assert_eq!(variants(source, "ErrorClass").len(), classes.len());
    }

    #[test]
    fn every_wire_class_has_a_family() {
        let classes = [
            (WireClass::Unknown, Family::Internal),
            (WireClass::Protocol, Family::Protocol),
            (WireClass::Unauthenticated, Family::Authentication),
            (WireClass::Forbidden, Family::Forbidden),
            (WireClass::NotFound, Family::NotFound),
            (WireClass::Syntax, Family::Syntax),
            (WireClass::Unsupported, Family::Unsupported),
            (WireClass::Invalid, Family::Invalid),
            (WireClass::Constraint, Family::Constraint),
            (WireClass::Conflict, Family::Conflict),
            (WireClass::OutOfRange, Family::OutOfRange),
            (WireClass::Limit, Family::Limit),
            (WireClass::Busy, Family::Busy),
            (WireClass::Io, Family::Storage),
            (WireClass::Corrupt, Family::Corruption),
            (WireClass::Internal, Family::Internal),
        ];
        for (class, family) in classes {
            assert_eq!(wire_family(class), family, "{class:?}");
        }
        let source = include_str!("../../../core/src/protocol/error.rs");
        assert_eq!(variants(source, "ErrorClass").len(), classes.len());
    }

    #[test]
    fn every_family_has_a_distinct_class_name() {
        for (i, family) in Family::ALL.iter().enumerate() {
            assert_eq!(family.index(), i);
            assert!(family.class_name().ends_with("Error"));
            for other in &Family::ALL[i + 1..] {
                assert_ne!(family.class_name(), other.class_name());
            }
        }
    }
}
