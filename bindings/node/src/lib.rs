//! `veritydb` for Node: the embedded database and the Rust client of core (crate `veritydb`)
//! behind one Promise API, and the independent verifier (crate `veritydb-verify`) as
//! `veritydb/verify`, built with napi-rs into a Node addon.
//!
//! Every call that touches disk or network returns a Promise and runs on libuv's thread pool
//! (`job.rs`), so the event loop never waits on I/O. A `Database` is embedded (`open`) or remote
//! (`connect`) behind one interface (`backend.rs`); `session.rs` holds the core handles so that
//! `close()` releases them at once.
//!
//! Layout, as in every binding: `errors.rs` maps every Rust error to one stable `code`,
//! `convert.rs` holds every JS ↔ Rust conversion, and one file per concept (`database.rs`,
//! `tenant.rs`, `statement.rs`, `batch.rs`, `export.rs`, `verify.rs`) holds the exported API;
//! `types.rs` declares the objects calls resolve to. A few conveniences that need JS itself
//! (`tenant.batch(async tx => ...)`, exporting to a writable stream, `Symbol.asyncDispose`)
//! live in the package's `index.js`. Nothing here panics on input.
//!
//! `convert.rs` alone holds `unsafe` code: reading an argument whose JS type it checked.

mod backend;
pub mod batch;
mod convert;
pub mod database;
pub mod errors;
pub mod export;
pub mod job;
mod session;
pub mod statement;
pub mod tenant;
pub mod types;
pub mod verify;

pub use errors::{BindingError, ErrorCode};
