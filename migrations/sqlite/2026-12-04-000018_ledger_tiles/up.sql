-- The ledger's Merkle tree as C2SP tlog-tiles: every full tile of 256 hashes, level 0 holding
-- leaf hashes and level L the roots of level L-1's full tiles. Derived from ledger_leaves,
-- written once when full and never changed, so no instance keeps the tree in memory and
-- proofs read O(log n) tiles. Partial tiles at the right edge are not stored.
CREATE TABLE ledger_tiles (
    level INTEGER NOT NULL CHECK (level >= 0 AND level < 8),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hashes BLOB NOT NULL CHECK (length(hashes) = 8192),
    PRIMARY KEY (level, idx)
);

CREATE TRIGGER ledger_tiles_no_update BEFORE UPDATE ON ledger_tiles
BEGIN
    SELECT RAISE(ABORT, 'ledger_tiles is append-only');
END;
CREATE TRIGGER ledger_tiles_no_delete BEFORE DELETE ON ledger_tiles
BEGIN
    SELECT RAISE(ABORT, 'ledger_tiles is append-only');
END;
