//! SHA-256 with the domain separation of `docs/spec/README.md` and `entry.md` §3–4.
//!
//! Every hash an outside party checks is built here, so the tags live in one place.

use sha2::{Digest, Sha256};

/// A SHA-256 output.
pub type Hash = [u8; 32];

const FIELD_TAG: &[u8] = b"veritydb-field-v1\0";
const RECORD_TAG: &[u8] = b"veritydb-record-v1\0";
const CHAIN_TAG: &[u8] = b"veritydb-chain-v1\0";

/// `H(x)`.
pub(crate) fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// `MTH({}) = H("")`, the root of the empty tree.
pub(crate) fn empty_root() -> Hash {
    sha256(b"")
}

/// RFC 6962 leaf hash of an entry: `H(0x00 || header || commitment)`.
pub(crate) fn leaf(header: &[u8], commitment: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(header);
    hasher.update(commitment);
    hasher.finalize().into()
}

/// RFC 6962 interior node: `H(0x01 || left || right)`.
pub(crate) fn node(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// `chain[p] = H("veritydb-chain-v1\0" || chain[p-1] || leaf[p])`.
pub(crate) fn chain(previous: &Hash, leaf: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(CHAIN_TAG);
    hasher.update(previous);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// `H("veritydb-field-v1\0" || salt || str16(name) || bytes32(value))`.
///
/// The caller has checked `name.len() <= u16::MAX` and `value.len() <= u32::MAX` (the record
/// parser bounds both far lower).
pub(crate) fn field_commitment(salt: &Hash, name: &[u8], value: &[u8]) -> Hash {
    let name_len = u16::try_from(name.len()).expect("field names are bounded by the parser");
    let value_len = u32::try_from(value.len()).expect("field values are bounded by the parser");
    let mut hasher = Sha256::new();
    hasher.update(FIELD_TAG);
    hasher.update(salt);
    hasher.update(name_len.to_be_bytes());
    hasher.update(name);
    hasher.update(value_len.to_be_bytes());
    hasher.update(value);
    hasher.finalize().into()
}

/// `H("veritydb-record-v1\0" || u16 n || field_commitment[0..n])`, with the field commitments
/// given as their concatenation (`n * 32` bytes).
pub(crate) fn record_commitment(field_count: u16, field_commitments: &[u8]) -> Hash {
    debug_assert_eq!(field_commitments.len(), usize::from(field_count) * 32);
    let mut hasher = Sha256::new();
    hasher.update(RECORD_TAG);
    hasher.update(field_count.to_be_bytes());
    hasher.update(field_commitments);
    hasher.finalize().into()
}
