//! The RFC 6962 Merkle tree over ledger leaves, through `ct-merkle`: leaf hash
//! SHA-256(0x00 || bytes), interior SHA-256(0x01 || left || right).

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::Sha256;

#[derive(Debug, Clone, Default)]
pub struct LedgerTree {
    tree: MemoryBackedTree<Sha256, Vec<u8>>,
}

fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[..32]);
    out
}

fn split_hashes(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes.chunks_exact(32).map(to_array).collect()
}

fn join_hashes(hashes: &[[u8; 32]]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.iter().copied()).collect()
}

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
