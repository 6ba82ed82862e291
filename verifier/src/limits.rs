//! Every bound the verifier enforces, with the values of `docs/spec/limits.md`.
//!
//! Input beyond a limit is refused before any work proportional to it is done. Every loop over
//! untrusted input is bounded by one of these names. Relations between limits that the code
//! relies on are checked at compile time at the bottom of this file.

/// Tenant names fit in a `str8`; long enough for a UUID or a slug; keeps origins short.
pub const TENANT_NAME_BYTES_MAX: usize = 64;
/// A host name plus a path; origins stay under 256 bytes.
pub const NODE_NAME_BYTES_MAX: usize = 128;
/// `node_name + "/" + tenant` is at most 193 bytes; the rest is slack for other logs' origins.
pub const ORIGIN_BYTES_MAX: usize = 256;
/// An actor is a token id or a service name, not a document.
pub const ACTOR_BYTES_MAX: usize = 128;
/// Derived: the canonical header with the longest tenant and actor.
pub const HEADER_BYTES_MAX: usize = 213;
/// A wide table row; bounds the commitment list of one entry to 32 KiB.
pub const ENTRY_FIELDS_MAX: usize = 1024;
/// Column and field names.
pub const FIELD_NAME_BYTES_MAX: usize = 128;
/// Sum of field name and value bytes of one entry: documents go in object storage.
pub const ENTRY_PAYLOAD_BYTES_MAX: usize = 1_048_576;
/// Application stream names (kind `event`); informative here, since kinds are opaque.
pub const STREAM_NAME_BYTES_MAX: usize = 128;
/// 281 trillion entries per tenant; bounds proofs to 49 hashes.
pub const TREE_SIZE_MAX: u64 = 1 << 48;
/// Above any valid proof for `TREE_SIZE_MAX`; refuses hostile proofs before hashing.
pub const PROOF_HASHES_MAX: usize = 64;
/// A checkpoint with `NOTE_SIGNATURES_MAX` Ed25519 signatures is under 4 KiB.
pub const NOTE_BYTES_MAX: usize = 16_384;
/// C2SP requires accepting at least 16 signatures; room for rotation and witnesses.
pub const NOTE_SIGNATURES_MAX: usize = 32;
/// Larger than the largest entry frame (`ENTRY_RECORD_BYTES_MAX` plus a chain hash).
pub const EXPORT_FRAME_BODY_BYTES_MAX: usize = 2_097_152;
/// Base64 of the largest entry record, a full proof and a note.
pub const RECEIPT_BYTES_MAX: usize = 4_194_304;
/// Per verification; an auditor pins a few keys per log.
pub const TRUSTED_KEYS_MAX: usize = 256;

/// Derived: the compact range of `[0, m)` has `popcount(m)` hashes, at most 48 below 2^48.
pub const COMPACT_RANGE_HASHES_MAX: usize = 48;
/// Derived: the largest entry record (entry.md §7, limits.md), all fields disclosed.
pub const ENTRY_RECORD_BYTES_MAX: usize = 2
    + HEADER_BYTES_MAX
    + 2
    + ENTRY_FIELDS_MAX * 32
    + 2
    + ENTRY_FIELDS_MAX * (2 + 32 + 2 + 4)
    + ENTRY_PAYLOAD_BYTES_MAX
    + 32;
/// Derived: decimal digits of the largest tree size (2^48 = 281474976710656), so a size or
/// index is refused by its length before it is converted.
pub const TREE_SIZE_DECIMAL_DIGITS_MAX: usize = 15;
/// Derived: decimal digits of `u64::MAX`; a receipt's index longer than this cannot be a u64.
pub const U64_DECIMAL_DIGITS_MAX: usize = 20;

// The header is exactly its fields with the longest tenant and actor (entry.md §1).
const _: () =
    assert!(HEADER_BYTES_MAX == 1 + 1 + TENANT_NAME_BYTES_MAX + 8 + 8 + 2 + 1 + ACTOR_BYTES_MAX);
// Every origin VerityDB writes fits the origin bound.
const _: () = assert!(NODE_NAME_BYTES_MAX + 1 + TENANT_NAME_BYTES_MAX <= ORIGIN_BYTES_MAX);
// Length prefixes: str8 tenant and actor, str16 header, origin and names.
const _: () = assert!(TENANT_NAME_BYTES_MAX <= u8::MAX as usize);
const _: () = assert!(ACTOR_BYTES_MAX <= u8::MAX as usize);
const _: () = assert!(ORIGIN_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(HEADER_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(FIELD_NAME_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(ENTRY_FIELDS_MAX <= u16::MAX as usize);
// A proof count travels in a u8 in checkpoint frames.
const _: () = assert!(PROOF_HASHES_MAX <= u8::MAX as usize);
// A valid proof has at most 49 hashes (48 levels plus a seed), always below the refusal bound.
const _: () = assert!(COMPACT_RANGE_HASHES_MAX + 1 < PROOF_HASHES_MAX);
// The compact range and the proofs are sized by the tree bound.
const _: () = assert!(TREE_SIZE_MAX == 1 << COMPACT_RANGE_HASHES_MAX);
const _: () =
    assert!(TREE_SIZE_MAX < 1_000_000_000_000_000 && TREE_SIZE_MAX >= 100_000_000_000_000);
// C2SP signed-note: verifiers MUST accept at least 16 signatures.
const _: () = assert!(NOTE_SIGNATURES_MAX >= 16);
// Every frame a producer writes fits the frame bound: an entry (record + chain), a checkpoint
// (u32 length, note, u8 count, proof) and a header (origin, tenant, sizes, chain, compact range).
const _: () = assert!(ENTRY_RECORD_BYTES_MAX + 32 <= EXPORT_FRAME_BODY_BYTES_MAX);
const _: () =
    assert!(4 + NOTE_BYTES_MAX + 1 + PROOF_HASHES_MAX * 32 <= EXPORT_FRAME_BODY_BYTES_MAX);
const _: () = assert!(
    2 + ORIGIN_BYTES_MAX
        + 1
        + TENANT_NAME_BYTES_MAX
        + 8
        + 8
        + 32
        + 1
        + COMPACT_RANGE_HASHES_MAX * 32
        <= EXPORT_FRAME_BODY_BYTES_MAX
);
// A receipt holds base64 of "VDBR", a version byte and the largest record, a full proof in
// base64 lines and a note; base64 grows by 4/3.
const _: () = assert!(
    (5 + ENTRY_RECORD_BYTES_MAX).div_ceil(3) * 4 + PROOF_HASHES_MAX * 45 + NOTE_BYTES_MAX + 64
        <= RECEIPT_BYTES_MAX
);
// Frame lengths are u32 and must fit a wasm32 usize.
const _: () = assert!(EXPORT_FRAME_BODY_BYTES_MAX <= u32::MAX as usize);
const _: () = assert!(RECEIPT_BYTES_MAX <= u32::MAX as usize);
