//! Every core error mapped to the protocol's structured error (class, code, message), in one
//! place, so the wire sees the same class for the same fault whatever the request.

use veritydb::error::{
    CheckpointError, ExportError, ProofError, ReadError, ReceiptError, WriteError,
};
use veritydb::protocol::{ErrorClass, WireError, codes};
use veritydb::sql::{ErrorClass as SqlClass, ExecuteError, PrepareError, QueryError};

pub(crate) fn wire(class: ErrorClass, code: u16, message: impl Into<String>) -> WireError {
    WireError::new(class, code, message)
}

pub(crate) fn invalid(message: impl Into<String>) -> WireError {
    wire(ErrorClass::Invalid, codes::INVALID_INPUT, message)
}

pub(crate) fn forbidden(code: u16, message: impl Into<String>) -> WireError {
    wire(ErrorClass::Forbidden, code, message)
}

pub(crate) fn internal(message: impl Into<String>) -> WireError {
    wire(ErrorClass::Internal, codes::INTERNAL, message)
}

pub(crate) fn from_write(e: &WriteError) -> WireError {
    let (class, code) = match e {
        WriteError::Invalid(_) => (ErrorClass::Invalid, codes::INVALID_INPUT),
        WriteError::TooLarge(_) | WriteError::LogFull(_) | WriteError::TooManyTenants(_) => {
            (ErrorClass::Limit, codes::LIMIT)
        }
        // A failed write stops the log (`docs/internals/storage.md`): the failure itself and
        // every later write answer STOPPED, as the embedded API and both SDKs report them.
        WriteError::Io(_) | WriteError::Stopped(_) => (ErrorClass::Io, codes::STOPPED),
        _ => (ErrorClass::Internal, codes::INTERNAL),
    };
    wire(class, code, e.to_string())
}

pub(crate) fn from_read(e: &ReadError) -> WireError {
    let (class, code) = match e {
        ReadError::Invalid(_) => (ErrorClass::Invalid, codes::INVALID_INPUT),
        ReadError::TooMany { .. } => (ErrorClass::Limit, codes::LIMIT),
        ReadError::OutOfRange { .. } => (ErrorClass::OutOfRange, codes::OUT_OF_RANGE),
        ReadError::Io(_) => (ErrorClass::Io, codes::IO),
        ReadError::Corrupt(_) => (ErrorClass::Corrupt, codes::CORRUPT),
        _ => (ErrorClass::Internal, codes::INTERNAL),
    };
    wire(class, code, e.to_string())
}

pub(crate) fn from_proof(e: &ProofError) -> WireError {
    let (class, code) = match e {
        ProofError::OutOfRange(_) => (ErrorClass::OutOfRange, codes::OUT_OF_RANGE),
        ProofError::Io(_) => (ErrorClass::Io, codes::IO),
        ProofError::Corrupt(_) => (ErrorClass::Corrupt, codes::CORRUPT),
        _ => (ErrorClass::Internal, codes::INTERNAL),
    };
    wire(class, code, e.to_string())
}

pub(crate) fn from_checkpoint(e: &CheckpointError) -> WireError {
    match e {
        CheckpointError::Write(w) => from_write(w),
        CheckpointError::Io(_) => wire(ErrorClass::Io, codes::IO, e.to_string()),
        CheckpointError::Inconsistent(_) => {
            wire(ErrorClass::Corrupt, codes::CORRUPT, e.to_string())
        }
        _ => internal(e.to_string()),
    }
}

pub(crate) fn from_receipt(e: &ReceiptError) -> WireError {
    match e {
        ReceiptError::Read(r) => from_read(r),
        ReceiptError::UnknownField { .. } => invalid(e.to_string()),
        ReceiptError::Checkpoint(c) => from_checkpoint(c),
        ReceiptError::Proof(p) => from_proof(p),
        _ => internal(e.to_string()),
    }
}

pub(crate) fn from_export(e: &ExportError) -> WireError {
    match e {
        ExportError::Range { .. } => {
            wire(ErrorClass::OutOfRange, codes::OUT_OF_RANGE, e.to_string())
        }
        ExportError::Read(r) => from_read(r),
        ExportError::Checkpoint(c) => from_checkpoint(c),
        ExportError::Proof(p) => from_proof(p),
        ExportError::Output(_) => wire(ErrorClass::Io, codes::IO, e.to_string()),
        _ => internal(e.to_string()),
    }
}

fn from_sql_class(class: SqlClass, message: String) -> WireError {
    let (class, code) = match class {
        SqlClass::Syntax => (ErrorClass::Syntax, codes::SQL_SYNTAX),
        SqlClass::Unsupported => (ErrorClass::Unsupported, codes::SQL_UNSUPPORTED),
        SqlClass::Invalid => (ErrorClass::Invalid, codes::INVALID_INPUT),
        SqlClass::Constraint => (ErrorClass::Constraint, codes::CONSTRAINT),
        SqlClass::Conflict => (ErrorClass::Conflict, codes::CONFLICT),
        SqlClass::OutOfRange => (ErrorClass::OutOfRange, codes::OUT_OF_RANGE),
        SqlClass::Limit => (ErrorClass::Limit, codes::LIMIT),
        SqlClass::Io => (ErrorClass::Io, codes::IO),
        SqlClass::Corrupt => (ErrorClass::Corrupt, codes::CORRUPT),
        _ => (ErrorClass::Internal, codes::INTERNAL),
    };
    wire(class, code, message)
}

pub(crate) fn from_prepare(e: &PrepareError) -> WireError {
    from_sql_class(e.class(), e.to_string())
}

pub(crate) fn from_query(e: &QueryError) -> WireError {
    from_sql_class(e.class(), e.to_string())
}

pub(crate) fn from_execute(e: &ExecuteError) -> WireError {
    match e {
        ExecuteError::Write(w) => from_write(w),
        _ => from_sql_class(e.class(), e.to_string()),
    }
}
