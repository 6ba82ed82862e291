//! VerityDB core: an immutable, ordered log per tenant, with RFC 6962 Merkle trees, C2SP signed
//! checkpoints, receipts and exports. See `docs/spec/` for the formats.
#![warn(missing_docs)]
