//! RFC 6962 Merkle trees (`docs/spec/checkpoint.md` §1): the compact range a log appends to,
//! the post-order layout in which complete nodes are stored, and inclusion and consistency
//! proofs computed from stored nodes in O(log n) reads.
//!
//! Invariants: a `CompactRange` over `n` leaves holds exactly `popcount(n)` subtree roots of
//! strictly decreasing height; node `(level, index)` is stored at `node_position(level,
//! index)`, and appending leaf `n` stores exactly the nodes it completes, in that order.

use sha2::{Digest, Sha256};

use crate::entry::Hash;
use crate::limits;

/// `MTH({})`: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `H(0x01 || left || right)`.
pub fn hash_children(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Where complete node `(level, index)` (covering leaves `index·2^level ..
/// (index+1)·2^level`) sits in the post-order sequence of all complete nodes.
pub fn node_position(level: u32, index: u64) -> u64 {
    let first_leaf = index << level;
    2 * first_leaf - u64::from(first_leaf.count_ones()) + (1u64 << (level + 1)) - 2
}

/// How many complete nodes a tree of `size` leaves has.
pub fn node_count(size: u64) -> u64 {
    2 * size - u64::from(size.count_ones())
}

/// The roots of the perfect subtrees covering `[0, size)`, largest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The range of an empty tree.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// A range from stored subtree roots; `None` unless there is one per set bit of `size`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<CompactRange> {
        (hashes.len() == size.count_ones() as usize).then_some(CompactRange { size, hashes })
    }

    /// The number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf; calls `stored(node)` for the leaf and each node it completes, in
    /// post-order, which is the order `node_position` numbers them.
    pub fn append(&mut self, leaf: Hash, mut stored: impl FnMut(&Hash)) {
        stored(&leaf);
        let mut node = leaf;
        // The number of carries is the number of trailing ones of the old size.
        for _ in 0..self.size.trailing_ones() {
            let left = self
                .hashes
                .pop()
                .expect("a trailing one bit has a subtree root");
            node = hash_children(&left, &node);
            stored(&node);
        }
        self.hashes.push(node);
        self.size += 1;
        debug_assert_eq!(self.hashes.len(), self.size.count_ones() as usize);
    }

    /// `MTH(D[0:size])`.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        let Some(last) = hashes.next() else {
            return empty_root();
        };
        hashes.fold(*last, |right, left| hash_children(left, &right))
    }
}

/// Reads complete nodes by `(level, index)`.
pub trait NodeReader {
    /// The error of a failed read.
    type Error;
    /// The hash of complete node `(level, index)`.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// `MTH(D[begin:end])` for a range the RFC 6962 recursion reaches: `begin` is a multiple of
/// the largest power of two not above `end - begin`. O(log n) node reads.
pub fn subtree_hash<R: NodeReader>(reader: &R, begin: u64, end: u64) -> Result<Hash, R::Error> {
    debug_assert!(begin < end);
    let width = end - begin;
    if width.is_power_of_two() && begin.is_multiple_of(width) {
        return reader.node(width.trailing_zeros(), begin / width);
    }
    let split = largest_power_of_two_below(width);
    let left = subtree_hash(reader, begin, begin + split)?;
    let right = subtree_hash(reader, begin + split, end)?;
    Ok(hash_children(&left, &right))
}

/// The root of the tree of `size` leaves (`size >= 1`).
pub fn root_at<R: NodeReader>(reader: &R, size: u64) -> Result<Hash, R::Error> {
    if size == 0 {
        Ok(empty_root())
    } else {
        subtree_hash(reader, 0, size)
    }
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn largest_power_of_two_below(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The RFC 6962 inclusion proof of leaf `index` in the tree of `size` leaves, sibling first.
pub fn inclusion_proof<R: NodeReader>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, R::Error> {
    assert!(
        index < size,
        "inclusion proof of leaf {index} in a tree of {size}"
    );
    let mut proof = Vec::new();
    let (mut begin, mut end) = (0u64, size);
    // PATH(m, D[begin:end]) from the root down, collecting siblings; reversed at the end.
    while end - begin > 1 {
        let split = largest_power_of_two_below(end - begin);
        if index < begin + split {
            proof.push(subtree_hash(reader, begin + split, end)?);
            end = begin + split;
        } else {
            proof.push(subtree_hash(reader, begin, begin + split)?);
            begin += split;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The RFC 6962 consistency proof from `old_size` to `new_size` (`0 < old_size <= new_size`).
pub fn consistency_proof<R: NodeReader>(
    reader: &R,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, R::Error> {
    assert!(
        0 < old_size && old_size <= new_size,
        "consistency {old_size} -> {new_size}"
    );
    let mut proof = Vec::new();
    // SUBPROOF(m, D[begin:end], complete) from RFC 6962 §2.1.2, iteratively.
    let (mut begin, mut end, mut complete) = (0u64, new_size, true);
    let m = old_size;
    loop {
        if m - begin == end - begin {
            if !complete {
                proof.push(subtree_hash(reader, begin, end)?);
            }
            break;
        }
        let split = largest_power_of_two_below(end - begin);
        if m - begin <= split {
            proof.push(subtree_hash(reader, begin + split, end)?);
            end = begin + split;
        } else {
            proof.push(subtree_hash(reader, begin, begin + split)?);
            begin += split;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2). Core checks the proofs it hands out.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size || proof.len() > limits::PROOF_HASHES_MAX {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = hash_children(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = hash_children(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size == 0 || old_size > new_size || proof.len() > limits::PROOF_HASHES_MAX {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old_size.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = hash_children(c, &fr);
            sr = hash_children(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = hash_children(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && fr == *old_root && sr == *new_root
}

/// All complete nodes of a tree, in memory, in post-order: for tests and small trees.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    range: CompactRange,
    nodes: Vec<Hash>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Appends a leaf.
    pub fn append(&mut self, leaf: Hash) {
        let nodes = &mut self.nodes;
        self.range.append(leaf, |node| nodes.push(*node));
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// The compact range of the whole tree.
    pub fn compact_range(&self) -> &CompactRange {
        &self.range
    }
}

impl NodeReader for MemoryTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        let position = usize::try_from(node_position(level, index)).expect("in-memory tree");
        Ok(self.nodes[position])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf(i: u64) -> Hash {
        crate::entry::leaf_hash(&i.to_be_bytes(), &[0; 32])
    }

    /// MTH straight from the RFC's recursive definition.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                hash_children(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn tree(size: u64) -> (MemoryTree, Vec<Hash>) {
        let mut t = MemoryTree::new();
        let leaves: Vec<Hash> = (0..size).map(leaf).collect();
        leaves.iter().for_each(|l| t.append(*l));
        (t, leaves)
    }

    #[test]
    fn node_positions_are_post_order() {
        let expected = [
            (0, 0, 0),
            (0, 1, 1),
            (1, 0, 2),
            (0, 2, 3),
            (0, 3, 4),
            (1, 1, 5),
            (2, 0, 6),
        ];
        for (level, index, position) in expected {
            assert_eq!(node_position(level, index), position);
        }
        assert_eq!(node_count(4), 7);
        assert_eq!(node_count(5), 8);
    }

    #[test]
    fn roots_match_the_rfc_definition() {
        for size in 0..70 {
            let (t, leaves) = tree(size);
            assert_eq!(t.root(), reference_root(&leaves), "size {size}");
            assert_eq!(t.nodes.len() as u64, node_count(size));
            for s in 1..=size {
                assert_eq!(
                    root_at(&t, s).unwrap(),
                    reference_root(&leaves[..s as usize])
                );
            }
        }
    }

    proptest! {
        #[test]
        fn inclusion_proofs_verify_and_mutations_fail(size in 1u64..600, seed: u64, bit in 0usize..256) {
            let (t, leaves) = tree(size);
            let index = seed % size;
            let root = t.root();
            let proof = inclusion_proof(&t, index, size).unwrap();
            prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &root));
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let which = (seed as usize / 7) % bad.len();
                bad[which][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!verify_inclusion(&leaves[index as usize], index, size, &bad, &root));
                let mut short = proof.clone();
                short.pop();
                prop_assert!(!verify_inclusion(&leaves[index as usize], index, size, &short, &root));
            }
            let mut wrong_leaf = leaves[index as usize];
            wrong_leaf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_inclusion(&wrong_leaf, index, size, &proof, &root));
            if size > 1 {
                let other = (index + 1) % size;
                prop_assert!(!verify_inclusion(&leaves[index as usize], other, size, &proof, &root));
            }
        }

        #[test]
        fn consistency_proofs_verify_and_mutations_fail(new_size in 1u64..600, seed: u64, bit in 0usize..256) {
            let (t, _) = tree(new_size);
            let old_size = 1 + seed % new_size;
            let old_root = root_at(&t, old_size).unwrap();
            let new_root = t.root();
            let proof = consistency_proof(&t, old_size, new_size).unwrap();
            prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &proof));
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let which = (seed as usize / 7) % bad.len();
                bad[which][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!verify_consistency(old_size, new_size, &old_root, &new_root, &bad));
            }
            let mut wrong = old_root;
            wrong[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_consistency(old_size, new_size, &wrong, &new_root, &proof));
        }
    }
}
