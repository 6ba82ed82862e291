//! Reports for the things verified on their own: signed notes, checkpoints, two checkpoints and
//! the consistency proof between them, and raw RFC 6962 proofs (verdicts.md §4).

use crate::hash::{self, Hash};
use crate::keys::TrustedKeys;
use crate::limits::{PROOF_HASHES_MAX, TREE_SIZE_MAX};
use crate::merkle::{self, ProofError};
use crate::note::{self, Checkpoint};
use crate::reason::Reason;
use crate::report::{Failure, Kind, Report};
use crate::text::encode_base64;

/// Verifies a signed note: `malformed_note`, `bad_signature`, `untrusted_key`.
pub fn verify_note(bytes: &[u8], keys: &TrustedKeys) -> Report {
    let mut report = Report::new(Kind::Note);
    report.bytes = bytes.len() as u64;
    match note::verify_note(bytes, keys) {
        Ok(verified) => {
            report.message = format!("the note is signed by {}", verified.keys.join(", "));
            report.add_keys(&verified.keys);
        }
        Err(failure) => report.fail(failure, None),
    }
    report
}

/// Verifies a signed checkpoint; with `required_origin`, its origin must be that one.
pub fn verify_checkpoint(
    bytes: &[u8],
    keys: &TrustedKeys,
    required_origin: Option<&str>,
) -> Report {
    let mut report = Report::new(Kind::Checkpoint);
    report.bytes = bytes.len() as u64;
    match note::verify_checkpoint(bytes, keys, required_origin) {
        Ok(checkpoint) => {
            report.message = format!(
                "{} has {} entries with root {}, signed by {}",
                checkpoint.origin,
                checkpoint.size,
                encode_base64(&checkpoint.root),
                checkpoint.keys.join(", ")
            );
            record_checkpoint(&mut report, &checkpoint);
        }
        Err(failure) => report.fail(failure, None),
    }
    report
}

/// Verifies two signed checkpoints of one log and the consistency proof from the older
/// (smaller) to the newer one.
///
/// Both must verify as checkpoints (with a trusted key named like their origin) first. Then:
/// different origins → `origin_mismatch`; more than `proof_hashes_max` hashes →
/// `limit_exceeded`; a hash that is not 32 bytes, or a proof of the wrong shape (including an
/// old size above the new one) → `bad_proof`; the same size with different roots, or a proof that does
/// not hold → `inconsistent_checkpoints`. An old checkpoint of size 0 needs an empty proof and
/// the empty tree's root.
pub fn verify_checkpoint_consistency<P: AsRef<[u8]>>(
    old_note: &[u8],
    new_note: &[u8],
    proof: &[P],
    keys: &TrustedKeys,
) -> Report {
    let mut report = Report::new(Kind::Consistency);
    report.bytes = (old_note.len() + new_note.len()) as u64;
    if let Err(failure) = check_checkpoint_consistency(old_note, new_note, proof, keys, &mut report)
    {
        report.fail(failure, None);
    }
    report
}

/// Verifies a raw RFC 6962 inclusion proof: `leaf_hash` is at `index` in the tree of `size`
/// leaves with `root`. Hashes that are not 32 bytes are `bad_proof`.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    leaf_hash: &[u8],
    index: u64,
    size: u64,
    proof: &[P],
    root: &[u8],
) -> Report {
    let mut report = Report::new(Kind::Inclusion);
    let result = raw_proof(size, proof, [leaf_hash, root]).and_then(|(proof, [leaf, root])| {
        merkle::verify_inclusion(&leaf, index, size, &proof.hashes[..proof.len], &root).map_err(
            |error| proof_failure(error, &format!("index {index} in a tree of size {size}")),
        )
    });
    match result {
        Ok(()) => report.message = format!("leaf {index} is included in the tree of size {size}"),
        Err(failure) => report.fail(failure, None),
    }
    report
}

/// Verifies a raw RFC 6962 consistency proof from `(old_size, old_root)` to
/// `(new_size, new_root)`. Hashes that are not 32 bytes are `bad_proof`, except that equal
/// sizes with an empty proof only compare the two roots as given (verdicts.md §4).
pub fn verify_consistency<P: AsRef<[u8]>>(
    old_size: u64,
    new_size: u64,
    old_root: &[u8],
    new_root: &[u8],
    proof: &[P],
) -> Report {
    let mut report = Report::new(Kind::Consistency);
    if old_size == new_size && old_size > 0 && proof.is_empty() {
        // Identical trees: the proof is the equality of the roots, compared as given
        // (verdicts.md §4), before any length check.
        if old_root == new_root {
            report.message = format!("the trees of size {old_size} have the same root");
        } else {
            report.fail(
                Failure::new(Reason::RootMismatch, "equal sizes with different roots"),
                None,
            );
        }
        return report;
    }
    let result = raw_proof(new_size.max(old_size), proof, [old_root, new_root]).and_then(
        |(proof, [old_root, new_root])| {
            merkle::verify_consistency(
                old_size,
                new_size,
                &old_root,
                &new_root,
                &proof.hashes[..proof.len],
            )
            .map_err(|error| proof_failure(error, &format!("sizes {old_size} to {new_size}")))
        },
    );
    match result {
        Ok(()) => {
            report.message =
                format!("the tree of size {old_size} is a prefix of the tree of size {new_size}");
        }
        Err(failure) => report.fail(failure, None),
    }
    report
}

fn check_checkpoint_consistency<P: AsRef<[u8]>>(
    old_note: &[u8],
    new_note: &[u8],
    proof: &[P],
    keys: &TrustedKeys,
    report: &mut Report,
) -> Result<(), Failure> {
    let old =
        note::verify_checkpoint(old_note, keys, None).map_err(|failure| in_note("old", failure))?;
    report.checkpoints = 1;
    report.add_keys(&old.keys);
    let new =
        note::verify_checkpoint(new_note, keys, None).map_err(|failure| in_note("new", failure))?;
    record_checkpoint(report, &new);
    report.checkpoints = 2;
    if old.origin != new.origin {
        return Err(Failure::new(
            Reason::OriginMismatch,
            format!(
                "the checkpoints are of {:?} and {:?}",
                old.origin, new.origin
            ),
        ));
    }
    let (proof, _) = raw_proof(new.size, proof, [&old.root, &new.root])?;
    let proof = &proof.hashes[..proof.len];
    let inconsistent = || {
        Failure::new(
            Reason::InconsistentCheckpoints,
            format!(
                "the checkpoints of sizes {} and {} cannot both be true",
                old.size, new.size
            ),
        )
    };
    if old.size > new.size {
        return Err(Failure::new(
            Reason::BadProof,
            "the old checkpoint is larger than the new one",
        ));
    }
    if old.size == 0 {
        // Nothing to prove beyond the empty tree's root.
        if !proof.is_empty() {
            return Err(Failure::new(
                Reason::BadProof,
                "a proof from size 0 must be empty",
            ));
        }
        let empty = hash::empty_root();
        let roots_hold = old.root == empty && (new.size > 0 || new.root == empty);
        return if roots_hold {
            Ok(())
        } else {
            Err(inconsistent())
        };
    }
    match merkle::verify_consistency(old.size, new.size, &old.root, &new.root, proof) {
        Ok(()) => {
            report.message = format!(
                "{}: the checkpoint of size {} is a prefix of the one of size {}",
                new.origin, old.size, new.size
            );
            Ok(())
        }
        Err(ProofError::Shape) => Err(Failure::new(
            Reason::BadProof,
            format!(
                "the proof has the wrong number of hashes for sizes {} to {}",
                old.size, new.size
            ),
        )),
        Err(ProofError::Mismatch) => Err(inconsistent()),
    }
}

/// Says which of the two checkpoints a failure is about.
fn in_note(which: &str, mut failure: Failure) -> Failure {
    failure.message = format!("{which} checkpoint: {}", failure.message);
    failure
}

fn record_checkpoint(report: &mut Report, checkpoint: &Checkpoint) {
    report.checkpoints = 1;
    report.origin = Some(checkpoint.origin.clone());
    report.tree_size = Some(checkpoint.size);
    report.root = Some(checkpoint.root);
    report.add_keys(&checkpoint.keys);
}

/// A proof copied onto the stack after its length was checked.
struct ProofHashes {
    hashes: [Hash; PROOF_HASHES_MAX],
    len: usize,
}

/// Checks the limits and hash lengths of a raw proof, in this order: more than
/// `proof_hashes_max` hashes or a size above `tree_size_max` → `limit_exceeded`; any hash that
/// is not 32 bytes → `bad_proof`.
fn raw_proof<P: AsRef<[u8]>>(
    size: u64,
    proof: &[P],
    roots: [&[u8]; 2],
) -> Result<(ProofHashes, [Hash; 2]), Failure> {
    if proof.len() > PROOF_HASHES_MAX {
        return Err(Failure::new(
            Reason::LimitExceeded,
            "the proof exceeds proof_hashes_max",
        ));
    }
    if size > TREE_SIZE_MAX {
        return Err(Failure::new(
            Reason::LimitExceeded,
            "the tree size exceeds tree_size_max",
        ));
    }
    let not_a_hash = || Failure::new(Reason::BadProof, "a hash is not 32 bytes");
    let mut hashes = ProofHashes {
        hashes: [[0; 32]; PROOF_HASHES_MAX],
        len: proof.len(),
    };
    for (slot, hash) in hashes.hashes.iter_mut().zip(proof) {
        *slot = hash.as_ref().try_into().map_err(|_| not_a_hash())?;
    }
    let [first, second] = roots;
    let first: Hash = first.try_into().map_err(|_| not_a_hash())?;
    let second: Hash = second.try_into().map_err(|_| not_a_hash())?;
    Ok((hashes, [first, second]))
}

fn proof_failure(error: ProofError, what: &str) -> Failure {
    match error {
        ProofError::Shape => Failure::new(
            Reason::BadProof,
            format!("the proof has the wrong shape for {what}"),
        ),
        ProofError::Mismatch => Failure::new(
            Reason::RootMismatch,
            format!("the recomputed root differs for {what}"),
        ),
    }
}
