//! The one Ed25519 rule of `docs/spec/checkpoint.md` §6, shared by every build of the verifier.
//!
//! Strict verification: `S < L`, canonical encodings of `A` and `R`, neither of small order,
//! and the cofactorless equation `[S]B = R + [k]A`. ed25519-dalek's `verify_strict` checks all
//! of this except that `A` is canonically encoded, which is checked here first.

use ed25519_dalek::{Signature, VerifyingKey};

/// Verifies an Ed25519 signature with the strict semantics of checkpoint.md §6.
///
/// Returns `true` only if `sig` is a valid signature of `msg` by `public_key` under every rule:
/// canonical `S`, canonical and not small-order `A` and `R`, and `[S]B = R + [k]A`.
///
/// ```
/// use veritydb_verify::ed25519_verify;
/// assert!(!ed25519_verify(&[0; 32], b"message", &[0; 64]));
/// ```
pub fn ed25519_verify(public_key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    // Decompression reduces y modulo p and accepts an x sign bit on x = 0, so a non-canonical
    // encoding decompresses; re-encoding tells it apart.
    if key.to_edwards().compress().as_bytes() != public_key {
        return false;
    }
    key.verify_strict(msg, &Signature::from_bytes(sig)).is_ok()
}
