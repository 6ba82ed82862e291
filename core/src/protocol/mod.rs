//! The VerityDB wire protocol (`docs/spec/protocol.md`): binary, length-prefixed frames with a
//! version handshake and request ids, typed requests and responses for every embedded
//! operation, and structured errors. Shared by the server, the Rust client and the language
//! bindings, so every peer parses bytes the same way.
//!
//! ```text
//! client                                   server
//!   Hello{versions, token} ───────────────►  checks the token
//!   ◄──────────────────────── Welcome{version, tenant, role} | Error + close
//!   Request(id=1) ─┐
//!   Request(id=2) ─┼─ pipelined ─────────►  executes in order per connection
//!   ◄── Response(id=1) ◄── Rows(id=2, MORE) ◄── Rows(id=2) ...
//! ```
//!
//! Invariants: nothing here does I/O; decoding is total (every byte string yields a message
//! or a [`DecodeError`], never a panic) and bounded by [`limits`]; encoding produces only what
//! decoding accepts.

mod error;
mod frame;
pub mod limits;
mod message;
mod wire;

pub use error::{DecodeError, ErrorClass, WireError, codes};
pub use frame::{FLAG_MORE, FLAGS_KNOWN, Frame, FrameDecoder, decode_frame, write_frame};
pub use message::{
    ALL_TENANTS, BatchStatement, EventRecord, Expectation, ExportDone, HELLO_MAGIC, Hello, Request,
    Response, Role, RowsPart, TenantInfo, TokenInfo, Welcome, encode_rows, type_name, types,
};

#[cfg(test)]
mod tests;
