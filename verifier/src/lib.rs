//! `veritydb-verify`: an independent implementation of the VerityDB formats of `docs/spec/`.
//! Bytes in, verdict out.
//!
//! This crate shares no code with the database (`core/`, crate `veritydb`) and does not depend
//! on it: it is written from the specification alone, so that a bug in the producer is not
//! repeated in the checker. The library does no I/O and uses no clock, thread or randomness; it
//! builds for `wasm32-unknown-unknown` without `cfg` gates. The CLI lives behind the `cli`
//! feature.
//!
//! Every verification returns a [`Report`]: either verified, or rejected with the first
//! failure in input order as a stable [`Reason`] code (verdicts.md §1) and, where it has one,
//! the log position. Only an unusable configuration (an invalid trusted key) is an error
//! ([`KeyError`]): then nothing could be checked.
//!
//! Signatures are checked only against keys the auditor passes in [`TrustedKeys`], never
//! against keys that arrive with the data.
//!
//! ```
//! use veritydb_verify::{Reason, TrustedKeys, verify_export, verify_inclusion};
//!
//! // Keys come from the auditor, one C2SP vkey per item.
//! let keys = TrustedKeys::parse(["example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"])
//!     .expect("a valid vkey");
//!
//! // An export that stops inside its first frame is rejected as truncated.
//! let report = verify_export(b"\x89VDBEXP\n\x00\x01", &keys);
//! assert!(!report.ok);
//! assert_eq!(report.reason, Reason::Truncated);
//! assert_eq!(report.reason.code(), 2);
//!
//! // A one-leaf tree's root is its leaf.
//! let leaf = [7u8; 32];
//! let report = verify_inclusion(&leaf, 0, 1, &[] as &[[u8; 32]], &leaf);
//! assert!(report.ok);
//! println!("{}", report.to_json());
//! ```

#![warn(missing_docs)]

mod bytes;
mod checker;
mod ed25519;
mod entry;
mod export;
mod hash;
mod keys;
pub mod limits;
mod merkle;
mod note;
mod reason;
mod receipt;
mod report;
mod standalone;
mod text;

pub use checker::{EntryCheck, EntryChecker, SequentialChecker, check_entry_frame};
pub use ed25519::ed25519_verify;
pub use export::{ExportVerifier, verify_export};
pub use hash::Hash;
pub use keys::{KeyError, TrustedKey, TrustedKeys};
pub use reason::{Reason, UnknownReason};
pub use receipt::verify_receipt;
pub use report::{DisclosedField, Kind, Progress, Range, ReceiptDetails, Report, entry_kind_name};
pub use standalone::{
    verify_checkpoint, verify_checkpoint_consistency, verify_consistency, verify_inclusion,
    verify_note,
};

// The README's Rust examples run as doctests (the only `cfg` here; it is not a platform gate).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
