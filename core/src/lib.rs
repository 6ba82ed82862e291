//! VerityDB core: an immutable, ordered log per tenant, with RFC 6962 Merkle trees, C2SP signed
//! checkpoints, receipts and exports. The formats are specified in `docs/spec/`.
//!
//! ```
//! let db = veritydb::Db::open_in_memory()?;
//! let clinic = db.tenant("clinic")?;
//! let position = clinic.append("visits", r#"{"patient": 17, "reason": "checkup"}"#)?;
//! let receipt = clinic.receipt(position, &["stream"])?;
//! assert!(receipt.text.starts_with("c2sp.org/tlog-proof@v1\n"));
//! # Ok::<(), veritydb::Error>(())
//! ```
#![warn(missing_docs)]

pub mod checkpoint;
pub mod client;
mod db;
pub mod entry;
pub mod env;
pub mod error;
mod export;
pub mod limits;
mod log;
pub mod merkle;
mod node;
mod par;
pub mod protocol;
mod receipt;
pub mod sql;
pub mod storage;

pub use checkpoint::{Checkpoint, NodeKey};
pub use db::{Db, Event, Options, PendingBatch, Tenant};
pub use entry::{Field, Hash, Kind};
pub use error::Error;
pub use export::{EXPORT_MAGIC, EXPORT_VERSION, ExportOptions, ExportSummary, ExportWriter};
pub use log::{NewEntry, StoredEntry};
pub use receipt::Receipt;
pub use sql::{At, Batch, ExecResult, Rows, Statement, Value};

// The README's Rust example runs as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
