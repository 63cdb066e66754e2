//! The ledger's Merkle tree as C2SP `tlog-tiles` (<https://c2sp.org/tlog-tiles>): the tree is
//! cut into tiles of height 8; a level-0 tile holds up to 256 leaf hashes, a level-L tile the
//! roots of 256 full level-(L-1) tiles. Full tiles never change, so they are stored once and
//! read back as needed; only the right edge (one partial tile per level, at most 255 hashes
//! each) is kept in memory. Every node of the tree, and so every root and every RFC 9162
//! proof, is computed from O(log n) tiles.
//!
//! This module knows nothing of where full tiles are kept: it emits them as they fill, and
//! reads them back through the `fetch` function a [`TileReader`] is given.

use std::collections::HashMap;

use super::tree::{empty_root, node_hash};

pub type Hash = [u8; 32];

/// Levels of the tree inside one tile.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: usize = 1 << TILE_HEIGHT;
/// Bytes of a full tile: its hashes, one after another.
pub const TILE_BYTES: usize = TILE_WIDTH * 32;
/// Tile levels: enough for 2^64 leaves.
pub const MAX_LEVELS: usize = 8;

/// A tile that became full as leaves were added: it is stored once and never changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullTile {
    pub level: u8,
    pub index: u64,
    pub hashes: Vec<Hash>,
}

impl FullTile {
    /// The tile's bytes as C2SP serves them: its hashes, one after another.
    pub fn to_bytes(&self) -> Vec<u8> {
        join(&self.hashes)
    }
}

/// The hashes of a tile's bytes, or `None` if they are not a whole number of hashes.
pub fn split(bytes: &[u8]) -> Option<Vec<Hash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    Some(bytes.chunks_exact(32).map(|c| c.try_into().unwrap_or([0u8; 32])).collect())
}

pub fn join(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flatten().copied().collect()
}

/// The root of the subtree a full tile spans: the entry it becomes one level up.
pub fn tile_root(hashes: &[Hash]) -> Hash {
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| if p.len() == 2 { node_hash(&p[0], &p[1]) } else { p[0] }).collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// The right edge of a tiled log: its size and, per level, the entries of its partial tile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileLog {
    size: u64,
    partial: Vec<Vec<Hash>>,
}

/// How many full tiles level `level` has in a log of `size` leaves.
pub fn full_tiles(size: u64, level: u8) -> u64 {
    let shift = TILE_HEIGHT * (u32::from(level) + 1);
    if shift >= 64 { 0 } else { size >> shift }
}

/// How many entries the partial tile of level `level` holds in a log of `size` leaves.
pub fn partial_width(size: u64, level: u8) -> usize {
    let shift = TILE_HEIGHT * u32::from(level);
    if shift >= 64 { 0 } else { ((size >> shift) % TILE_WIDTH as u64) as usize }
}

impl TileLog {
    pub fn new() -> TileLog {
        TileLog::default()
    }

    /// A log resumed at `size` leaves, whose partial tiles hold `partial` (level 0 first).
    /// Refused unless each level holds exactly as many entries as `size` implies.
    pub fn resume(size: u64, mut partial: Vec<Vec<Hash>>) -> Result<TileLog, String> {
        partial.resize(MAX_LEVELS, Vec::new());
        for (level, entries) in partial.iter().enumerate() {
            let want = partial_width(size, level as u8);
            if entries.len() != want {
                return Err(format!(
                    "a log of {size} leaves has {want} entries in its level-{level} partial tile, not {}",
                    entries.len()
                ));
            }
        }
        Ok(TileLog { size, partial })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The entries of level `level`'s partial tile (empty where that level has none).
    pub fn partial(&self, level: u8) -> &[Hash] {
        self.partial.get(usize::from(level)).map_or(&[], Vec::as_slice)
    }

    /// Adds the next leaf, by its leaf hash, and returns the tiles it filled (lowest first).
    pub fn push(&mut self, leaf: Hash) -> Vec<FullTile> {
        if self.partial.len() < MAX_LEVELS {
            self.partial.resize(MAX_LEVELS, Vec::new());
        }
        let mut filled = Vec::new();
        let mut entry = leaf;
        for level in 0..MAX_LEVELS {
            let tiles_before = full_tiles(self.size, level as u8);
            let entries = &mut self.partial[level];
            entries.push(entry);
            if entries.len() < TILE_WIDTH {
                break;
            }
            let hashes = std::mem::take(entries);
            entry = tile_root(&hashes);
            filled.push(FullTile { level: level as u8, index: tiles_before, hashes });
        }
        self.size += 1;
        filled
    }
}

/// Why a node could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TileError<E> {
    #[error("{0}")]
    Store(E),
    #[error("ledger tile {level}/{index} is not stored")]
    Missing { level: u8, index: u64 },
    #[error("ledger tile {level}/{index} is damaged: it does not hold 256 hashes")]
    Damaged { level: u8, index: u64 },
    #[error("the ledger has {size} leaves; {asked} is out of range")]
    OutOfRange { size: u64, asked: u64 },
}

/// Reads nodes of a tiled log: the right edge from the log, full tiles through `fetch`
/// (`Ok(None)` for a tile that is not stored), each tile at most once per reader, so one
/// reader makes many proofs in one pass over the tiles they share.
pub struct TileReader<'a, E, F: FnMut(u8, u64) -> Result<Option<Vec<u8>>, E>> {
    log: &'a TileLog,
    fetch: F,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

impl<'a, E, F: FnMut(u8, u64) -> Result<Option<Vec<u8>>, E>> TileReader<'a, E, F> {
    pub fn new(log: &'a TileLog, fetch: F) -> Self {
        TileReader { log, fetch, tiles: HashMap::new() }
    }

    /// How many tiles this reader has read through `fetch`.
    pub fn tiles_read(&self) -> usize {
        self.tiles.len()
    }

    /// The first `width` hashes of tile `level`/`index`, as the log now stands: a full tile
    /// (width 256) or a prefix of one, or of the partial tile at the right edge.
    pub fn tile(&mut self, level: u8, index: u64, width: usize) -> Result<Vec<Hash>, TileError<E>> {
        let out_of_range = TileError::OutOfRange { size: self.log.size, asked: index };
        if width == 0 || width > TILE_WIDTH || usize::from(level) >= MAX_LEVELS {
            return Err(out_of_range);
        }
        let full = full_tiles(self.log.size, level);
        if index < full {
            return Ok(self.full_tile(level, index)?[..width].to_vec());
        }
        let partial = self.log.partial(level);
        if index == full && width <= partial.len() {
            return Ok(partial[..width].to_vec());
        }
        Err(out_of_range)
    }

    fn full_tile(&mut self, level: u8, index: u64) -> Result<&[Hash], TileError<E>> {
        if !self.tiles.contains_key(&(level, index)) {
            let bytes =
                (self.fetch)(level, index).map_err(TileError::Store)?.ok_or(TileError::Missing { level, index })?;
            let hashes = split(&bytes).filter(|h| h.len() == TILE_WIDTH).ok_or(TileError::Damaged { level, index })?;
            self.tiles.insert((level, index), hashes);
        }
        Ok(self.tiles.get(&(level, index)).map_or(&[], Vec::as_slice))
    }

    /// The root of the complete subtree of height `height` whose leftmost leaf is
    /// `k << height`: from the tile of level `height / 8` that holds its entries.
    fn node(&mut self, height: u32, k: u64) -> Result<Hash, TileError<E>> {
        let level = (height / TILE_HEIGHT) as u8;
        let span = height % TILE_HEIGHT;
        let first = k << span; // the node's first entry at tile level `level`
        let index = first / TILE_WIDTH as u64;
        let offset = (first % TILE_WIDTH as u64) as usize;
        let count = 1usize << span;
        let full = full_tiles(self.log.size, level);
        let entries: Vec<Hash> = if index < full {
            self.full_tile(level, index)?[offset..offset + count].to_vec()
        } else {
            let partial = self.log.partial(level);
            if index != full || offset + count > partial.len() {
                return Err(TileError::OutOfRange { size: self.log.size, asked: (k + 1) << height });
            }
            partial[offset..offset + count].to_vec()
        };
        Ok(tile_root(&entries))
    }

    /// RFC 9162 MTH of leaves `lo..hi`, where `lo` is a multiple of the largest power of two
    /// below `hi - lo` (as in every range the proof algorithms visit).
    fn range_root(&mut self, lo: u64, hi: u64) -> Result<Hash, TileError<E>> {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), lo >> n.trailing_zeros());
        }
        let k = split_point(n);
        let left = self.range_root(lo, lo + k)?;
        let right = self.range_root(lo + k, hi)?;
        Ok(node_hash(&left, &right))
    }

    fn check_size(&self, size: u64) -> Result<(), TileError<E>> {
        if size > self.log.size {
            return Err(TileError::OutOfRange { size: self.log.size, asked: size });
        }
        Ok(())
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root(&mut self, size: u64) -> Result<Hash, TileError<E>> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        self.range_root(0, size)
    }

    /// RFC 9162 inclusion proof (audit path, leaf to root) of leaf `index` in the tree of
    /// the first `size` leaves.
    pub fn inclusion_proof(&mut self, index: u64, size: u64) -> Result<Vec<Hash>, TileError<E>> {
        self.check_size(size)?;
        if index >= size {
            return Err(TileError::OutOfRange { size, asked: index });
        }
        let (mut lo, mut hi) = (0, size);
        let mut path = Vec::new();
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if index < lo + k {
                path.push(self.range_root(lo + k, hi)?);
                hi = lo + k;
            } else {
                path.push(self.range_root(lo, lo + k)?);
                lo += k;
            }
        }
        path.reverse();
        Ok(path)
    }

    /// RFC 9162 consistency proof that the tree of the first `old` leaves is a prefix of the
    /// tree of the first `new` (empty when they are the same size).
    pub fn consistency_proof(&mut self, old: u64, new: u64) -> Result<Vec<Hash>, TileError<E>> {
        self.check_size(new)?;
        if old == 0 || old > new {
            return Err(TileError::OutOfRange { size: new, asked: old });
        }
        // SUBPROOF(m, D[lo..hi], whole), unrolled: each step keeps one side, proves the other.
        let (mut lo, mut hi, mut m, mut whole) = (0, new, old, true);
        let mut proof = Vec::new();
        loop {
            let n = hi - lo;
            if m == n {
                if !whole {
                    proof.push(self.range_root(lo, hi)?);
                }
                break;
            }
            let k = split_point(n);
            if m <= k {
                proof.push(self.range_root(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.range_root(lo, lo + k)?);
                lo += k;
                m -= k;
                whole = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

/// The largest power of two smaller than `n` (n >= 2): where RFC 9162 splits a tree.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// A tile's address in the C2SP layout: `tile/<L>/<N>[.p/<W>]`, the index written in groups
/// of three digits, all but the last prefixed with `x` (`x001/x234/067`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    pub level: u8,
    pub index: u64,
    /// 256 for a full tile, 1..=255 for a partial one.
    pub width: usize,
}

impl TilePath {
    /// Parses the part after `tile/`: `<L>/<N>[.p/<W>]`. Anything else (entry bundles,
    /// leading zeros in the level, a width of 256 written as partial) is refused.
    pub fn parse(path: &str) -> Option<TilePath> {
        let (level, rest) = path.split_once('/')?;
        if level.is_empty() || level.len() > 1 || !level.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let level: u8 = level.parse().ok()?;
        if usize::from(level) >= MAX_LEVELS {
            return None;
        }
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                if width.is_empty() || width.starts_with('0') || !width.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let width: usize = width.parse().ok()?;
                if width == 0 || width >= TILE_WIDTH {
                    return None;
                }
                (index, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() { group.strip_prefix('x')? } else { group };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
        }
        // One spelling per index: no leading all-zero groups.
        if groups.len() > 1 && groups[0] == "x000" {
            return None;
        }
        Some(TilePath { level, index, width })
    }

    /// The path after `tile/`, as parsed by [`TilePath::parse`].
    pub fn to_path(&self) -> String {
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let last = groups.len() - 1;
        let index: Vec<String> = groups
            .iter()
            .rev()
            .enumerate()
            .map(|(i, g)| if i < last { format!("x{g:03}") } else { format!("{g:03}") })
            .collect();
        let mut out = format!("{}/{}", self.level, index.join("/"));
        if self.width < TILE_WIDTH {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tree::{LedgerTree, leaf_hash};
    use std::collections::HashMap;

    /// A log of `n` leaves with its full tiles kept in a map, beside ct-merkle's tree.
    fn logs(n: u64) -> (TileLog, HashMap<(u8, u64), Vec<u8>>, LedgerTree) {
        let mut log = TileLog::new();
        let mut stored = HashMap::new();
        let mut tree = LedgerTree::new();
        for i in 0..n {
            let leaf = i.to_be_bytes().to_vec();
            for tile in log.push(leaf_hash(&leaf)) {
                assert!(stored.insert((tile.level, tile.index), tile.to_bytes()).is_none(), "each tile fills once");
            }
            tree.push(leaf);
        }
        (log, stored, tree)
    }

    type MapFetch<'a> = Box<dyn FnMut(u8, u64) -> Result<Option<Vec<u8>>, String> + 'a>;

    fn reader<'a>(log: &'a TileLog, stored: &'a HashMap<(u8, u64), Vec<u8>>) -> TileReader<'a, String, MapFetch<'a>> {
        TileReader::new(log, Box::new(move |level, index| Ok(stored.get(&(level, index)).cloned())))
    }

    #[test]
    fn roots_and_proofs_equal_ct_merkle_at_every_size_across_a_tile_edge() {
        let (log, stored, _) = logs(600);
        let mut tree = LedgerTree::new();
        for size in 1..=600u64 {
            tree.push((size - 1).to_be_bytes().to_vec());
            let mut reader = reader(&log, &stored);
            assert_eq!(reader.root(size).unwrap(), tree.root(), "root at size {size}");
            for index in [0, size / 3, size / 2, size - 1] {
                assert_eq!(
                    reader.inclusion_proof(index, size).unwrap(),
                    tree.inclusion_proof(index).unwrap(),
                    "inclusion of {index} at size {size}"
                );
            }
            for old in [1, size / 2, size - 1].into_iter().filter(|o| *o >= 1) {
                if old == size {
                    continue;
                }
                assert_eq!(
                    reader.consistency_proof(old, size).unwrap(),
                    tree.consistency_proof(old).unwrap(),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    #[test]
    fn a_log_past_the_second_tile_level_reads_only_a_few_tiles_per_proof() {
        let n = 65_536 + 256 * 3 + 17; // a full level-1 tile, some level-0 tiles, a partial one
        let (log, stored, tree) = logs(n);
        assert!(stored.contains_key(&(1, 0)), "level 1's first tile is full and stored");
        assert_eq!(log.partial(0).len(), 17);
        assert_eq!(log.partial(1).len(), 3, "the level-0 tiles past the first 256");
        assert_eq!(log.partial(2).len(), 1, "the full level-1 tile's root");
        let mut reader = reader(&log, &stored);
        assert_eq!(reader.root(n).unwrap(), tree.root());
        for index in [0, 300, 65_535, 65_536, n - 1] {
            let mut one = self::reader(&log, &stored);
            assert_eq!(one.inclusion_proof(index, n).unwrap(), tree.inclusion_proof(index).unwrap());
            assert!(one.tiles_read() <= 2 * MAX_LEVELS, "{} tiles for one proof", one.tiles_read());
        }
        for old in [1, 256, 65_536, 65_537, n - 1] {
            assert_eq!(reader.consistency_proof(old, n).unwrap(), tree.consistency_proof(old).unwrap());
        }
    }

    #[test]
    fn a_resumed_log_goes_on_as_the_original() {
        let (log, stored, _) = logs(70_000);
        let partial: Vec<Vec<Hash>> = (0..MAX_LEVELS as u8).map(|l| log.partial(l).to_vec()).collect();
        let mut resumed = TileLog::resume(70_000, partial).unwrap();
        let mut original = log.clone();
        for i in 70_000..70_300u64 {
            let hash = leaf_hash(&i.to_be_bytes());
            assert_eq!(resumed.push(hash), original.push(hash));
        }
        assert_eq!(resumed, original);
        assert!(TileLog::resume(70_001, (0..MAX_LEVELS as u8).map(|l| log.partial(l).to_vec()).collect()).is_err());
        assert!(!stored.is_empty());
    }

    #[test]
    fn a_missing_or_damaged_tile_is_named() {
        let (log, mut stored, _) = logs(1_000);
        stored.remove(&(0, 1));
        let err = reader(&log, &stored).inclusion_proof(300, 1_000).unwrap_err();
        assert_eq!(err.to_string(), "ledger tile 0/1 is not stored");
        stored.insert((0, 1), vec![0u8; 100]);
        let err = reader(&log, &stored).inclusion_proof(300, 1_000).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
        assert!(reader(&log, &stored).inclusion_proof(1_000, 1_000).is_err());
        assert!(reader(&log, &stored).root(1_001).is_err());
    }

    #[test]
    fn served_tiles_are_full_or_prefixes_of_the_edge() {
        let (log, stored, _) = logs(600);
        let mut reader = reader(&log, &stored);
        assert_eq!(reader.tile(0, 1, 256).unwrap().len(), 256);
        assert_eq!(reader.tile(0, 1, 10).unwrap(), reader.tile(0, 1, 256).unwrap()[..10].to_vec());
        assert_eq!(reader.tile(0, 2, 88).unwrap().len(), 88);
        assert!(reader.tile(0, 2, 89).is_err(), "wider than the edge");
        assert!(reader.tile(0, 2, 256).is_err(), "not full yet");
        assert!(reader.tile(0, 3, 1).is_err());
        assert_eq!(
            reader.tile(1, 0, 2).unwrap(),
            vec![tile_root(&reader.tile(0, 0, 256).unwrap()), tile_root(&reader.tile(0, 1, 256).unwrap())]
        );
    }

    #[test]
    fn tile_paths_follow_the_c2sp_layout() {
        for (path, level, index, width) in [
            ("0/000", 0, 0, 256),
            ("0/067", 0, 67, 256),
            ("1/x001/x234/067", 1, 1_234_067, 256),
            ("2/x001/000.p/5", 2, 1_000, 5),
            ("0/255.p/255", 0, 255, 255),
        ] {
            let parsed = TilePath::parse(path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(parsed, TilePath { level, index, width }, "{path}");
            assert_eq!(parsed.to_path(), path);
        }
        for bad in [
            "",
            "0",
            "0/67",
            "0/x067",
            "0/000/001",
            "x0/000",
            "00/000",
            "9/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/05",
            "entries/000",
            "0/x000/001",
            "0/000.p/",
        ] {
            assert!(TilePath::parse(bad).is_none(), "{bad:?} parsed");
        }
    }
}
