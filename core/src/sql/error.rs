//! SQL errors, one enum per operation family, each variant in a stable [`ErrorClass`]
//! (documented in `docs/reference/sql.md`):
//! - [`PrepareError`]: the SQL text was refused before touching data;
//! - [`QueryError`]: `query`, `query_at`, `read_at_least`, a prepared query;
//! - [`ExecuteError`]: `execute`, a batch commit, a prepared write.

use std::io;

use thiserror::Error;

use super::store::StoreError;
use crate::error::{Corruption, ReadError, WriteError};

/// The stable class of a SQL error: what kind of fault it is, independent of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Not valid SQL.
    Syntax,
    /// Valid SQL outside the supported subset; the message names the construct.
    Unsupported,
    /// Inside the subset but wrong for this database: unknown table or column, type
    /// mismatch, missing parameter, bad literal.
    Invalid,
    /// A primary key, unique index, NOT NULL or length rule refused the change.
    Constraint,
    /// An expected row version did not match (optimistic concurrency): nothing was written.
    Conflict,
    /// A position or time beyond the log.
    OutOfRange,
    /// A named limit (`veritydb::limits`) was exceeded.
    Limit,
    /// Reading or writing storage failed.
    Io,
    /// Stored data is damaged.
    Corrupt,
}

impl ErrorClass {
    /// The class as a stable lower-case code (`syntax`, `unsupported`, ...).
    pub fn code(self) -> &'static str {
        match self {
            ErrorClass::Syntax => "syntax",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Invalid => "invalid",
            ErrorClass::Constraint => "constraint",
            ErrorClass::Conflict => "conflict",
            ErrorClass::OutOfRange => "out_of_range",
            ErrorClass::Limit => "limit",
            ErrorClass::Io => "io",
            ErrorClass::Corrupt => "corrupt",
        }
    }
}

/// SQL text was refused before it reached any data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// Not valid SQL.
    #[error("SQL syntax error: {0}")]
    Syntax(String),
    /// Outside the supported subset.
    #[error("unsupported SQL: {0}")]
    Unsupported(String),
    /// Inside the subset but invalid (a bad literal or name).
    #[error("invalid SQL: {0}")]
    Invalid(String),
    /// Over a named limit (statement size, nesting, parameters, list lengths).
    #[error("SQL limit exceeded: {0}")]
    Limit(String),
}

impl PrepareError {
    /// The error's stable class.
    pub fn class(&self) -> ErrorClass {
        match self {
            PrepareError::Syntax(_) => ErrorClass::Syntax,
            PrepareError::Unsupported(_) => ErrorClass::Unsupported,
            PrepareError::Invalid(_) => ErrorClass::Invalid,
            PrepareError::Limit(_) => ErrorClass::Limit,
        }
    }
}

/// A query failed; nothing was changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The SQL text was refused.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Valid SQL that does not fit this database (unknown name, type mismatch, ...).
    #[error("invalid query: {0}")]
    Invalid(String),
    /// The statement uses a supported construct in an unsupported way.
    #[error("unsupported SQL: {0}")]
    Unsupported(String),
    /// A position or time beyond the log.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// A limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Reading the projection or the log failed.
    #[error("read failed: {0}")]
    Io(#[source] io::Error),
    /// The projection or the log is damaged.
    #[error(transparent)]
    Corrupt(Corruption),
}

impl QueryError {
    /// The error's stable class.
    pub fn class(&self) -> ErrorClass {
        match self {
            QueryError::Prepare(e) => e.class(),
            QueryError::Invalid(_) => ErrorClass::Invalid,
            QueryError::Unsupported(_) => ErrorClass::Unsupported,
            QueryError::OutOfRange(_) => ErrorClass::OutOfRange,
            QueryError::Limit(_) => ErrorClass::Limit,
            QueryError::Io(_) => ErrorClass::Io,
            QueryError::Corrupt(_) => ErrorClass::Corrupt,
        }
    }
}

/// A write failed; unless the variant says otherwise, nothing was appended.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecuteError {
    /// The SQL text was refused.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Valid SQL that does not fit this database (unknown name, type mismatch, ...).
    #[error("invalid statement: {0}")]
    Invalid(String),
    /// The statement uses a supported construct in an unsupported way.
    #[error("unsupported SQL: {0}")]
    Unsupported(String),
    /// A key, unique index, NOT NULL or length rule refused the change.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A row changed since the version the caller read: the whole batch was refused.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Appending to the log failed (see [`WriteError`]).
    #[error(transparent)]
    Write(WriteError),
    /// The projection could not be read or written. The entries of the write may be durable
    /// in the log; the next call brings the projection up to date.
    #[error("projection I/O failed: {0}")]
    Io(#[source] io::Error),
    /// The projection or the log is damaged.
    #[error(transparent)]
    Corrupt(Corruption),
}

impl ExecuteError {
    /// The error's stable class.
    pub fn class(&self) -> ErrorClass {
        match self {
            ExecuteError::Prepare(e) => e.class(),
            ExecuteError::Invalid(_) => ErrorClass::Invalid,
            ExecuteError::Unsupported(_) => ErrorClass::Unsupported,
            ExecuteError::Constraint(_) => ErrorClass::Constraint,
            ExecuteError::Conflict(_) => ErrorClass::Conflict,
            ExecuteError::Limit(_) => ErrorClass::Limit,
            ExecuteError::Write(WriteError::Invalid(_)) => ErrorClass::Invalid,
            ExecuteError::Write(WriteError::TooLarge(_) | WriteError::LogFull(_)) => {
                ErrorClass::Limit
            }
            ExecuteError::Write(_) | ExecuteError::Io(_) => ErrorClass::Io,
            ExecuteError::Corrupt(_) => ErrorClass::Corrupt,
        }
    }
}

/// Every way a SQL operation fails inside core, before it is told apart by operation.
#[derive(Debug)]
pub(crate) enum Failure {
    Syntax(String),
    Unsupported(String),
    Invalid(String),
    Constraint(String),
    Conflict(String),
    Limit(String),
    OutOfRange(String),
    Store(StoreError),
    Write(WriteError),
    Read(ReadError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

impl From<PrepareError> for Failure {
    fn from(e: PrepareError) -> Failure {
        match e {
            PrepareError::Syntax(m) => Failure::Syntax(m),
            PrepareError::Unsupported(m) => Failure::Unsupported(m),
            PrepareError::Invalid(m) => Failure::Invalid(m),
            PrepareError::Limit(m) => Failure::Limit(m),
        }
    }
}

fn corruption(detail: String) -> Corruption {
    Corruption::new("SQL projection", detail)
}

fn duplicate_io(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

impl Failure {
    /// The same failure for another writer of a group (I/O errors are not `Clone`).
    pub(crate) fn duplicate(&self) -> Failure {
        match self {
            Failure::Syntax(m) => Failure::Syntax(m.clone()),
            Failure::Unsupported(m) => Failure::Unsupported(m.clone()),
            Failure::Invalid(m) => Failure::Invalid(m.clone()),
            Failure::Constraint(m) => Failure::Constraint(m.clone()),
            Failure::Conflict(m) => Failure::Conflict(m.clone()),
            Failure::Limit(m) => Failure::Limit(m.clone()),
            Failure::OutOfRange(m) => Failure::OutOfRange(m.clone()),
            Failure::Store(StoreError::Io(e)) => Failure::Store(StoreError::Io(duplicate_io(e))),
            Failure::Store(StoreError::Corrupt(m)) => {
                Failure::Store(StoreError::Corrupt(m.clone()))
            }
            Failure::Write(e) => Failure::Write(match e {
                WriteError::Invalid(i) => WriteError::Invalid(i.clone()),
                WriteError::TooLarge(m) => WriteError::TooLarge(m.clone()),
                WriteError::LogFull(m) => WriteError::LogFull(m.clone()),
                WriteError::Io(e) => WriteError::Io(duplicate_io(e)),
                WriteError::Stopped(m) => WriteError::Stopped(m.clone()),
                WriteError::TooManyTenants(n) => WriteError::TooManyTenants(*n),
            }),
            Failure::Read(e) => Failure::Read(match e {
                ReadError::Invalid(i) => ReadError::Invalid(i.clone()),
                ReadError::OutOfRange { requested, size } => ReadError::OutOfRange {
                    requested: *requested,
                    size: *size,
                },
                ReadError::TooMany { requested, max } => ReadError::TooMany {
                    requested: *requested,
                    max: *max,
                },
                ReadError::Io(e) => ReadError::Io(duplicate_io(e)),
                ReadError::Corrupt(c) => ReadError::Corrupt(c.clone()),
            }),
        }
    }

    pub(crate) fn into_query(self) -> QueryError {
        match self {
            Failure::Syntax(m) => QueryError::Prepare(PrepareError::Syntax(m)),
            Failure::Unsupported(m) => QueryError::Unsupported(m),
            Failure::Invalid(m) | Failure::Constraint(m) | Failure::Conflict(m) => {
                QueryError::Invalid(m)
            }
            Failure::Limit(m) => QueryError::Limit(m),
            Failure::OutOfRange(m) => QueryError::OutOfRange(m),
            Failure::Store(StoreError::Io(e)) => QueryError::Io(e),
            Failure::Store(StoreError::Corrupt(m)) => QueryError::Corrupt(corruption(m)),
            Failure::Write(e) => QueryError::Io(io::Error::other(e.to_string())),
            Failure::Read(ReadError::Io(e)) => QueryError::Io(e),
            Failure::Read(ReadError::Corrupt(c)) => QueryError::Corrupt(c),
            Failure::Read(e @ ReadError::TooMany { .. }) => QueryError::Limit(e.to_string()),
            Failure::Read(e) => QueryError::OutOfRange(e.to_string()),
        }
    }

    pub(crate) fn into_execute(self) -> ExecuteError {
        match self {
            Failure::Syntax(m) => ExecuteError::Prepare(PrepareError::Syntax(m)),
            Failure::Unsupported(m) => ExecuteError::Unsupported(m),
            Failure::Invalid(m) | Failure::OutOfRange(m) => ExecuteError::Invalid(m),
            Failure::Constraint(m) => ExecuteError::Constraint(m),
            Failure::Conflict(m) => ExecuteError::Conflict(m),
            Failure::Limit(m) => ExecuteError::Limit(m),
            Failure::Store(StoreError::Io(e)) => ExecuteError::Io(e),
            Failure::Store(StoreError::Corrupt(m)) => ExecuteError::Corrupt(corruption(m)),
            Failure::Write(e) => ExecuteError::Write(e),
            Failure::Read(ReadError::Corrupt(c)) => ExecuteError::Corrupt(c),
            Failure::Read(ReadError::Io(e)) => ExecuteError::Io(e),
            Failure::Read(e @ ReadError::TooMany { .. }) => ExecuteError::Limit(e.to_string()),
            Failure::Read(e) => ExecuteError::Io(io::Error::other(e.to_string())),
        }
    }
}
