//! SQL on top of the log: tables, a SQL subset, projections and time travel
//! (`docs/reference/sql.md`, `docs/internals/projections.md`).
//!
//! ```text
//! SQL text -> parse -> kernel: (projection state, statement) -> changes
//!          -> one atomic batch of schema/row entries in the log -> apply -> projection (redb)
//! queries  -> plan (primary key, indexes, scan) -> rows, current or as of a past position
//! ```
//!
//! Invariants:
//! - the log is the only source of truth: a projection is derived from it and can be deleted
//!   and rebuilt at any time ([`crate::Tenant::rebuild_projection`]); live writes and replay
//!   go through the same deterministic `apply`, so both give the same projection;
//! - the kernel is pure: it reads the state it is given and returns changes; time comes from
//!   the log (entry timestamps), never from a clock inside;
//! - SQL outside the subset is refused with an `Unsupported` error naming the construct,
//!   never answered approximately.

mod api;
mod apply;
mod ast;
mod backend;
mod change;
mod error;
mod exec;
mod expr;
mod group;
mod kernel;
mod parse;
mod plan;
mod projection;
mod schema;
mod shape;
mod store;
mod value;

pub use api::{At, Batch, ExecResult, Rows, Statement};
pub use error::{ErrorClass, ExecuteError, PrepareError, QueryError};
pub use exec::ResultColumn;
pub use shape::{Shape, StatementKind, shape};
pub use value::{ColumnType, Value, decode_field, format_timestamp, parse_timestamp};

/// Every key and value of a projection store, as (redb table, key, value), in order.
pub type ProjectionDump = Vec<(&'static str, Vec<u8>, Vec<u8>)>;

pub(crate) use error::Failure;
pub(crate) use projection::Registry;

// The SQL reference's Rust example runs as a doctest.
#[doc = include_str!("../../../docs/reference/sql.md")]
#[cfg(doctest)]
pub struct SqlReferenceDoctests;
