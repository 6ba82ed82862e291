//! RFC 6962 Merkle proofs (verified as in RFC 9162 §2.1.3.2 and §2.1.4.2) and compact ranges
//! (`docs/spec/checkpoint.md` §1).
//!
//! Proof checks first compare the number of hashes with the one the sizes dictate (a wrong
//! shape is `ProofError::Shape`), and only then hash (a wrong root is `ProofError::Mismatch`).
//! Callers bound proofs by `PROOF_HASHES_MAX` before they get here; every loop here runs at most
//! 64 times (one per bit of a `u64`).

use crate::hash::{self, Hash};
use crate::limits::{COMPACT_RANGE_HASHES_MAX, TREE_SIZE_MAX};

/// Why a proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProofError {
    /// The proof has the wrong shape for its sizes: `bad_proof`.
    Shape,
    /// The recomputed root differs: `root_mismatch`.
    Mismatch,
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with `root`.
pub(crate) fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Shape);
    }
    let (inner, border) = inclusion_shape(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::Shape);
    }
    let (inner_proof, border_proof) = proof.split_at(inner);
    let computed = chain_border_right(chain_inner(*leaf, inner_proof, index), border_proof);
    if computed == *root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The number of hashes of a valid inclusion proof for `(index, size)`, `index < size`.
pub(crate) fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = inclusion_shape(index, size);
    inner + border
}

/// Verifies that the tree of `old_size` leaves with `old_root` is a prefix of the tree of
/// `new_size` leaves with `new_root`.
///
/// `old_size == 0` has nothing to prove and is a shape error (verdicts.md §4).
pub(crate) fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size || old_size == 0 {
        return Err(ProofError::Shape);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::Shape);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let (inner_full, border) = inclusion_shape(old_size - 1, new_size);
    let shift = old_size.trailing_zeros() as usize;
    // `old_size - 1` ends in `shift` one bits and `new_size - 1` is larger, so they differ at a
    // bit at or above `shift`: `inner_full >= shift`.
    let inner = inner_full - shift;
    // When the old tree is a perfect subtree, its root is the first node of the path and the
    // proof omits it.
    let old_is_perfect = old_size.is_power_of_two();
    let start = usize::from(!old_is_perfect);
    if proof.len() != start + inner + border {
        return Err(ProofError::Shape);
    }
    let seed = if old_is_perfect { *old_root } else { proof[0] };
    let (inner_proof, border_proof) = proof[start..].split_at(inner);
    let mask = (old_size - 1) >> shift;

    let old_computed = chain_border_right(chain_inner_right(seed, inner_proof, mask), border_proof);
    if old_computed != *old_root {
        return Err(ProofError::Mismatch);
    }
    let new_computed = chain_border_right(chain_inner(seed, inner_proof, mask), border_proof);
    if new_computed != *new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// The compact range of `[0, size)`: roots of the perfect subtrees covering it, largest first.
///
/// Holds at most `COMPACT_RANGE_HASHES_MAX` hashes inline: constant memory for any tree.
#[derive(Clone, Debug)]
pub(crate) struct CompactRange {
    hashes: [Hash; COMPACT_RANGE_HASHES_MAX],
    len: usize,
    size: u64,
}

impl CompactRange {
    /// The compact range of `[0, size)` given by its hashes, or `None` if their number is not
    /// `popcount(size)` or `size > TREE_SIZE_MAX`.
    pub(crate) fn from_hashes(size: u64, hashes: &[Hash]) -> Option<Self> {
        if size > TREE_SIZE_MAX || hashes.len() != size.count_ones() as usize {
            return None;
        }
        let mut range = CompactRange {
            hashes: [[0; 32]; COMPACT_RANGE_HASHES_MAX],
            len: 0,
            size,
        };
        range
            .hashes
            .get_mut(..hashes.len())?
            .copy_from_slice(hashes);
        range.len = hashes.len();
        Some(range)
    }

    /// The number of leaves covered.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf (the carry of checkpoint.md §1).
    ///
    /// The caller keeps the size below `TREE_SIZE_MAX` (an export's `to` is bounded by it).
    pub(crate) fn append(&mut self, leaf: &Hash) {
        assert!(
            self.size < TREE_SIZE_MAX,
            "compact range appended beyond tree_size_max"
        );
        let mut carry = *leaf;
        for _ in 0..self.size.trailing_ones() {
            self.len -= 1;
            carry = hash::node(&self.hashes[self.len], &carry);
        }
        self.hashes[self.len] = carry;
        self.len += 1;
        self.size += 1;
        debug_assert_eq!(self.len, self.size.count_ones() as usize);
    }

    /// `MTH(D[0:size])`: the fold from the right, `H("")` for the empty range.
    pub(crate) fn root(&self) -> Hash {
        let Some((last, rest)) = self.hashes[..self.len].split_last() else {
            return hash::empty_root();
        };
        rest.iter()
            .rev()
            .fold(*last, |right, left| hash::node(left, &right))
    }
}

/// `(inner, border)`: the proof of leaf `index` in a tree of `size` leaves has `inner` hashes
/// below the point where its path leaves the perfect part, and `border` above it.
fn inclusion_shape(index: u64, size: u64) -> (usize, usize) {
    debug_assert!(index < size);
    let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof
        .iter()
        .enumerate()
        .fold(seed, |acc, (level, sibling)| {
            if (index >> level) & 1 == 0 {
                hash::node(&acc, sibling)
            } else {
                hash::node(sibling, &acc)
            }
        })
}

fn chain_inner_right(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof
        .iter()
        .enumerate()
        .fold(seed, |acc, (level, sibling)| {
            if (index >> level) & 1 == 1 {
                hash::node(sibling, &acc)
            } else {
                acc
            }
        })
}

fn chain_border_right(seed: Hash, proof: &[Hash]) -> Hash {
    proof
        .iter()
        .fold(seed, |acc, sibling| hash::node(sibling, &acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| hash::sha256(&i.to_be_bytes())).collect()
    }

    /// MTH by the recursive definition of checkpoint.md §1.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => hash::empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n);
                hash::node(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn largest_power_of_two_below(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    #[test]
    fn compact_range_root_matches_recursive_definition() {
        let all = leaves(70);
        let mut range = CompactRange::from_hashes(0, &[]).unwrap();
        assert_eq!(range.root(), hash::empty_root());
        for (i, leaf) in all.iter().enumerate() {
            range.append(leaf);
            assert_eq!(range.size(), i as u64 + 1);
            assert_eq!(range.root(), reference_root(&all[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn compact_range_needs_popcount_hashes() {
        assert!(CompactRange::from_hashes(3, &[[0; 32]]).is_none());
        assert!(CompactRange::from_hashes(3, &[[0; 32], [1; 32]]).is_some());
        assert!(CompactRange::from_hashes(TREE_SIZE_MAX + 1, &[[0; 32], [1; 32]]).is_none());
    }

    #[test]
    fn proof_shapes() {
        assert_eq!(inclusion_proof_len(0, 1), 0);
        assert_eq!(inclusion_proof_len(0, 8), 3);
        assert_eq!(inclusion_proof_len(6, 7), 2);
        assert_eq!(inclusion_proof_len(TREE_SIZE_MAX - 1, TREE_SIZE_MAX), 48);
    }
}
