//! Errors, one enum per operation, separated by who is at fault: the caller's input
//! (`Invalid*`, `OutOfRange`), the environment (`Io`, `Corrupt`), or VerityDB itself
//! (`Inconsistent`: a bug or tampering that a safety check caught). All converge on [`Error`].

use std::io;

use thiserror::Error;

pub use crate::entry::InvalidInput;

/// Damaged stored data: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("corrupt data in {location}: {detail}")]
pub struct Corruption {
    /// A file and offset, or a tenant and position.
    pub location: String,
    /// What is wrong there.
    pub detail: String,
}

impl Corruption {
    pub(crate) fn new(location: impl Into<String>, detail: impl Into<String>) -> Corruption {
        Corruption {
            location: location.into(),
            detail: detail.into(),
        }
    }
}

/// Opening a database failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The directory could not be read or written.
    #[error("cannot open the database: {0}")]
    Io(#[from] io::Error),
    /// Another process, or another open `Db` of this process, holds the database open.
    #[error("the database is in use: {0}")]
    InUse(String),
    /// Stored data is damaged beyond a torn tail; nothing was changed.
    #[error("refusing to open: {0}")]
    Corrupt(#[from] Corruption),
    /// An option is invalid.
    #[error("invalid option: {0}")]
    Invalid(#[from] InvalidInput),
    /// The options name a different node than the one stored in the directory.
    #[error("the directory belongs to node {stored:?}, not {requested:?}")]
    NodeMismatch {
        /// The node stored in the directory.
        stored: String,
        /// The node the options asked for.
        requested: String,
    },
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Appending entries failed; nothing of the failed call was acknowledged.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The input is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A batch exceeds a limit.
    #[error("batch too large: {0}")]
    TooLarge(String),
    /// The tenant's log reached `tree_size_max` entries.
    #[error("the log of tenant {0} is full")]
    LogFull(String),
    /// Writing or syncing failed; the database stops accepting writes until it is reopened.
    #[error("write failed, the database must be reopened: {0}")]
    Io(#[source] io::Error),
    /// An earlier write failure stopped the database; reopen it.
    #[error("the database stopped after an earlier write failure ({0}); reopen it")]
    Stopped(String),
    /// A tenant could not be created because the node holds the maximum number of tenants.
    #[error("too many tenants (at most {0})")]
    TooManyTenants(usize),
}

/// Reading entries failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The input is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A position beyond the durable log.
    #[error("position {requested} is beyond the log's size {size}")]
    OutOfRange {
        /// What was asked.
        requested: u64,
        /// The log's durable size.
        size: u64,
    },
    /// More entries than one read returns.
    #[error("{requested} entries asked for in one read (at most {max}: read in steps)")]
    TooMany {
        /// How many were asked for.
        requested: u64,
        /// `limits::READ_EVENTS_MAX`.
        max: usize,
    },
    /// Reading failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// Stored data is damaged.
    #[error(transparent)]
    Corrupt(#[from] Corruption),
}

/// Computing a proof failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Sizes or indices that do not describe a proof of the durable log.
    #[error("no such proof: {0}")]
    OutOfRange(String),
    /// Reading the tree failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// Stored tree nodes do not match what was signed.
    #[error(transparent)]
    Corrupt(#[from] Corruption),
}

/// Taking a checkpoint failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Storing the checkpoint failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Reading the tree failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// Signing would contradict an earlier checkpoint; the node refused. This is a bug or
    /// tampering with stored data, never a normal condition.
    #[error("refusing to sign an inconsistent checkpoint: {0}")]
    Inconsistent(String),
}

/// Building a receipt failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The entry does not exist.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A field to disclose is not in the entry, or was erased.
    #[error("entry {position} has no field {field:?} to disclose")]
    UnknownField {
        /// The entry.
        position: u64,
        /// The field asked for.
        field: String,
    },
    /// No checkpoint could be taken.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The proof could not be computed.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// Writing an export failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The range is not part of the durable log.
    #[error("cannot export [{from}, {to}) of a log of size {size}")]
    Range {
        /// First position.
        from: u64,
        /// End position (exclusive).
        to: u64,
        /// The log's durable size.
        size: u64,
    },
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No checkpoint could be taken.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A proof could not be computed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Writing to the destination failed.
    #[error("writing the export failed: {0}")]
    Output(#[source] io::Error),
}

/// Any VerityDB error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`OpenError`].
    #[error(transparent)]
    Open(#[from] OpenError),
    /// See [`WriteError`].
    #[error(transparent)]
    Write(#[from] WriteError),
    /// See [`ReadError`].
    #[error(transparent)]
    Read(#[from] ReadError),
    /// See [`ProofError`].
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// See [`CheckpointError`].
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// See [`ReceiptError`].
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// See [`ExportError`].
    #[error(transparent)]
    Export(#[from] ExportError),
    /// See [`crate::sql::PrepareError`].
    #[error(transparent)]
    Prepare(#[from] crate::sql::PrepareError),
    /// See [`crate::sql::QueryError`].
    #[error(transparent)]
    Query(#[from] crate::sql::QueryError),
    /// See [`crate::sql::ExecuteError`].
    #[error(transparent)]
    Execute(#[from] crate::sql::ExecuteError),
}
