//! `veritydb-verify` for JavaScript: the independent verifier library (`verifier/`, crate
//! `veritydb-verify`) compiled to WebAssembly with wasm-bindgen, for browsers and Node.
//!
//! Every function is one call into the verifier library. Verdicts are plain JS objects parsed
//! from `Report::to_json()`, the same JSON the CLI prints with `--json`, so the fields and
//! reason codes cannot drift between front ends. "Could not check" (an invalid trusted key, an
//! argument of the wrong type, a streaming verifier used after `finish`) throws a JS `Error`
//! with a stable `code` property (`errors.rs`); a rejected input is a verdict, never a throw.
//!
//! Layout, as in every binding: `errors.rs` maps errors, `convert.rs` holds every JS ↔ Rust
//! conversion, and one file per verifier concept (`receipt.rs`, `export.rs`, `standalone.rs`,
//! `keys.rs`) holds the exported functions. Nothing here panics on input: conversions check
//! types and the library never panics.

// No `#![allow(unsafe_code)]`: the workspace's `unsafe_code = "deny"` holds here. The unsafe ABI
// glue wasm-bindgen's macros expand to comes from an external macro, which the lint does not
// look into, and this crate has no unsafe code of its own.

mod convert;
mod errors;
mod export;
mod keys;
mod receipt;
mod standalone;
mod types;

pub use errors::ErrorCode;
pub use export::{ExportVerifierHandle, verify_export};
pub use keys::parse_trusted_keys;
pub use receipt::verify_receipt;
pub use standalone::{
    ed25519_verify, verify_checkpoint, verify_checkpoint_consistency, verify_consistency,
    verify_inclusion, verify_note,
};
