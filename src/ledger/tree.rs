//! RFC 6962 Merkle tree hashing over ledger leaves: leaf hash SHA-256(0x00 || bytes),
//! interior SHA-256(0x01 || left || right); proofs checked through `ct-merkle`, roots of a
//! stream of leaves in O(log n) memory. The stored tree itself is in `tiles`.

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::Sha256;

/// ct-merkle's tree held in memory: the reference the tiled tree (`tiles`) is tested against.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct LedgerTree {
    tree: ct_merkle::mem_backed_tree::MemoryBackedTree<Sha256, Vec<u8>>,
}

#[cfg(test)]
fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[..32]);
    out
}

#[cfg(test)]
fn split_hashes(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes.chunks_exact(32).map(to_array).collect()
}

fn join_hashes(hashes: &[[u8; 32]]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.iter().copied()).collect()
}

#[cfg(test)]
impl LedgerTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, leaf: Vec<u8>) {
        self.tree.push(leaf);
    }

    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    pub fn root(&self) -> [u8; 32] {
        to_array(self.tree.root().as_bytes())
    }

    /// The audit path of leaf `index` in the tree as it is now.
    pub fn inclusion_proof(&self, index: u64) -> Option<Vec<[u8; 32]>> {
        let index = usize::try_from(index).ok().filter(|i| (*i as u64) < self.len())?;
        Some(split_hashes(self.tree.prove_inclusion(index).as_bytes()))
    }

    /// Proof that the tree's first `old_size` leaves are a prefix of the tree as it is now.
    pub fn consistency_proof(&self, old_size: u64) -> Option<Vec<[u8; 32]>> {
        if old_size == 0 || old_size > self.len() {
            return None;
        }
        let additions = usize::try_from(self.len() - old_size).ok()?;
        Some(split_hashes(self.tree.prove_consistency(additions).as_bytes()))
    }
}

/// The root of an empty log: SHA-256 of nothing.
pub fn empty_root() -> [u8; 32] {
    use sha2::Digest;
    Sha256::digest([]).into()
}

/// RFC 6962 leaf hash: SHA-256(0x00 || bytes).
pub fn leaf_hash(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of a log read once, leaf by leaf, in O(log n) memory: the roots of its complete
/// subtrees, largest first (the "frontier"). `verify` streams the whole ledger through one,
/// where a `LedgerTree` would hold every leaf.
#[derive(Debug, Clone, Default)]
pub struct StreamingRoot {
    /// (leaves under it, its root), sizes strictly decreasing powers of two.
    frontier: Vec<(u64, [u8; 32])>,
    len: u64,
}

impl StreamingRoot {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds the next leaf, by its leaf hash.
    pub fn push_hash(&mut self, leaf: [u8; 32]) {
        let mut node = (1u64, leaf);
        while let Some(&(size, left)) = self.frontier.last() {
            if size != node.0 {
                break;
            }
            self.frontier.pop();
            node = (size * 2, node_hash(&left, &node.1));
        }
        self.frontier.push(node);
        self.len += 1;
    }

    /// The root of the leaves added so far (RFC 6962; SHA-256 of nothing for an empty log).
    pub fn root(&self) -> [u8; 32] {
        let mut nodes = self.frontier.iter().rev();
        let Some(&(_, mut acc)) = nodes.next() else { return empty_root() };
        for (_, left) in nodes {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

fn root_hash(root: &[u8; 32], size: u64) -> RootHash<Sha256> {
    RootHash::new((*root).into(), size)
}

pub fn verify_inclusion(root: &[u8; 32], size: u64, index: u64, leaf: &[u8], proof: &[[u8; 32]]) -> bool {
    let proof = InclusionProof::<Sha256>::from_bytes(join_hashes(proof));
    root_hash(root, size).verify_inclusion(&leaf, index, &proof).is_ok()
}

pub fn verify_consistency(
    old_root: &[u8; 32],
    old_size: u64,
    new_root: &[u8; 32],
    new_size: u64,
    proof: &[[u8; 32]],
) -> bool {
    match ConsistencyProof::<Sha256>::try_from_bytes(join_hashes(proof)) {
        Ok(proof) => root_hash(new_root, new_size).verify_consistency(&root_hash(old_root, old_size), &proof).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn one_leaf_root_is_the_rfc6962_leaf_hash() {
        let mut tree = LedgerTree::new();
        tree.push(b"hello".to_vec());
        let mut expected = Sha256::new();
        expected.update([0u8]);
        expected.update(b"hello");
        assert_eq!(tree.root().to_vec(), expected.finalize().to_vec());
    }

    #[test]
    fn the_streaming_root_equals_the_tree_root_at_every_size() {
        let mut tree = LedgerTree::new();
        let mut streaming = StreamingRoot::new();
        assert_eq!(streaming.root(), tree.root(), "empty");
        for i in 0..70u8 {
            let leaf = vec![i; usize::from(i % 7)];
            tree.push(leaf.clone());
            streaming.push_hash(leaf_hash(&leaf));
            assert_eq!(streaming.root(), tree.root(), "size {}", i + 1);
        }
        assert_eq!(streaming.len(), 70);
        assert!(streaming.frontier.len() <= 7, "only the complete subtrees are kept");
    }

    #[test]
    fn proofs_verify_and_tampering_fails() {
        let mut tree = LedgerTree::new();
        for i in 0..7u8 {
            tree.push(vec![i; 10]);
        }
        let old_root = {
            let mut old = LedgerTree::new();
            for i in 0..3u8 {
                old.push(vec![i; 10]);
            }
            old.root()
        };
        let root = tree.root();
        let proof = tree.inclusion_proof(4).unwrap();
        assert!(verify_inclusion(&root, 7, 4, &[4u8; 10], &proof));
        assert!(!verify_inclusion(&root, 7, 4, &[5u8; 10], &proof));
        let consistency = tree.consistency_proof(3).unwrap();
        assert!(verify_consistency(&old_root, 3, &root, 7, &consistency));
        assert!(!verify_consistency(&[0u8; 32], 3, &root, 7, &consistency));
        assert!(tree.inclusion_proof(7).is_none());
    }
}
