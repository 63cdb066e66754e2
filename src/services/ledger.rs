//! The ledger at run time: the signing key, the Merkle tree over committed leaves (stored
//! as tiles in the database, so no instance holds the tree and several share it; each
//! keeps only the right edge, caught up from the database), leaf appends inside write
//! transactions, and signed checkpoints after them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::db::repo::ledger::{self as repo, CheckpointRow};
use crate::db::{self, DbConnection};
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
use crate::ledger::note::{LedgerKey, VerifierKey};
use crate::ledger::tiles::{
    FullTile, MAX_LEVELS, TILE_WIDTH, TileError, TileLog, TilePath, TileReader, full_tiles, join, split, tile_root,
};
use crate::ledger::tree::leaf_hash;
use crate::storage::s3::S3BlobStore;
use diesel::QueryResult;
use diesel::connection::Connection;

pub struct Ledger {
    key: LedgerKey,
    verifier: String,
    /// The right edge of the tiled tree over committed leaves (read back from the database
    /// after commit); unset until first read from the stored tiles.
    edge: Mutex<Option<TileLog>>,
    /// Every checkpoint this instance signed or saw, kept outside the database, so that a
    /// database rolled back to an earlier state cannot pass `verify`.
    witness: WitnessLog,
    /// The largest tree size written to the witness file by this process.
    witnessed: Mutex<i64>,
}

/// The signing key's file in the data directory, unless given elsewhere.
pub const KEY_FILE: &str = "ledger.key";
/// One JSON line per checkpoint: `{"note": "<signed note>"}`. Append-only, fsynced.
pub const WITNESS_FILE: &str = "checkpoints.witness";
/// Below an evidence bucket's prefix: one object per witnessed checkpoint.
const WITNESS_OBJECTS: &str = "witness";

/// A witnessed record: where it is, in words, and its signed note (or why it is none).
pub type WitnessedNote = (String, Result<String, String>);

/// Where checkpoints are witnessed outside the database: a file in the data directory, or,
/// where evidence is in a bucket (instances keep no local state), objects in the bucket. Each
/// object is named by the checkpoint's size counted down from the largest `u64`, so that a
/// listing, in name order, gives the largest first.
pub enum WitnessLog {
    File(PathBuf),
    Bucket(S3BlobStore),
}

impl WitnessLog {
    fn object_name(size: i64) -> String {
        format!("{:020}.json", u64::MAX - u64::try_from(size).unwrap_or(0))
    }

    fn append(&self, size: i64, line: &str) -> Result<(), String> {
        match self {
            WitnessLog::File(path) => {
                crate::storage::append_durably(path, line).map_err(|e| format!("writing {}: {e}", path.display()))
            }
            WitnessLog::Bucket(bucket) => bucket
                .put_small(&[WITNESS_OBJECTS, &Self::object_name(size)], format!("{line}\n").into_bytes())
                .map_err(|e| format!("witnessing a checkpoint in {}: {e}", bucket.address())),
        }
    }

    /// Every witnessed line, oldest first, each with where it is, in words.
    fn all(&self) -> Result<Vec<(String, String)>, String> {
        match self {
            WitnessLog::File(path) => {
                let text = match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
                };
                Ok(text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(n, line)| (format!("line {} of the witness file", n + 1), line.to_owned()))
                    .collect())
            }
            WitnessLog::Bucket(bucket) => {
                let cannot =
                    |e: std::io::Error| format!("cannot read the witnessed checkpoints in {}: {e}", bucket.address());
                let mut names = bucket.names(&[WITNESS_OBJECTS]).map_err(cannot)?;
                names.reverse();
                let lines = bucket.get_many(WITNESS_OBJECTS, &names).map_err(cannot)?;
                Ok(names
                    .into_iter()
                    .zip(lines)
                    .map(|(name, bytes)| {
                        (
                            format!("{WITNESS_OBJECTS}/{name} in {}", bucket.address()),
                            String::from_utf8_lossy(&bytes).trim().to_owned(),
                        )
                    })
                    .collect())
            }
        }
    }

    /// The last witnessed line, read without reading the rest.
    fn last(&self) -> Result<Option<(String, String)>, String> {
        match self {
            WitnessLog::File(path) => {
                use std::io::{Read, Seek, SeekFrom};
                let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
                let mut file = match std::fs::File::open(path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(cannot(e)),
                };
                // A line is one signed note (a few hundred bytes); the tail holds several.
                let len = file.metadata().map_err(cannot)?.len();
                file.seek(SeekFrom::Start(len.saturating_sub(WITNESS_TAIL))).map_err(cannot)?;
                let mut tail = Vec::new();
                file.read_to_end(&mut tail).map_err(cannot)?;
                let text = String::from_utf8_lossy(&tail);
                Ok(text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|line| ("the last line of the witness file".to_owned(), line.to_owned())))
            }
            WitnessLog::Bucket(bucket) => {
                let cannot =
                    |e: std::io::Error| format!("cannot read the witnessed checkpoints in {}: {e}", bucket.address());
                let Some(name) = bucket.first_name(&[WITNESS_OBJECTS]).map_err(cannot)? else { return Ok(None) };
                let bytes = bucket.get_small(&[WITNESS_OBJECTS, &name]).map_err(cannot)?;
                Ok(Some((
                    format!("{WITNESS_OBJECTS}/{name} in {}", bucket.address()),
                    String::from_utf8_lossy(&bytes).trim().to_owned(),
                )))
            }
        }
    }
}

/// Copies the witness file's checkpoints into a bucket's witness, each checked against the
/// ledger's key first (a line that is no checkpoint signed by `verifier` is not copied, and
/// is named); returns how many were copied.
pub fn migrate_witness(
    file: &Path,
    bucket: &S3BlobStore,
    verifier: &VerifierKey,
) -> Result<(usize, Vec<String>), String> {
    let (from, to) = (WitnessLog::File(file.to_path_buf()), WitnessLog::Bucket(bucket.clone()));
    let (mut copied, mut refused) = (0, Vec::new());
    for (place, line) in from.all()? {
        match witnessed_note(&line).map(|note| verifier.open_checkpoint(&note)) {
            Some(Ok(checkpoint)) => {
                let size = i64::try_from(checkpoint.size).map_err(|e| e.to_string())?;
                to.append(size, &line)?;
                copied += 1;
            }
            _ => refused.push(format!("{place} is not a checkpoint signed by this ledger's key; not copied")),
        }
    }
    Ok((copied, refused))
}

impl Ledger {
    /// A ledger signing with `key`, witnessing its checkpoints in `witness`.
    pub fn new(key: LedgerKey, witness: WitnessLog) -> Ledger {
        Ledger { verifier: key.verifier_key(), key, edge: Mutex::new(None), witness, witnessed: Mutex::new(0) }
    }

    /// `<name>+<key id>+<public key>`: give it to anyone who must check the ledger.
    pub fn verifier_key(&self) -> &str {
        &self.verifier
    }

    pub fn origin(&self) -> &str {
        self.key.name()
    }

    pub fn verifier(&self) -> Result<VerifierKey, AppError> {
        VerifierKey::parse(&self.verifier).map_err(AppError::internal)
    }

    /// The right edge of the tiled log, first caught up with every committed leaf: full
    /// tiles that filled on the way are stored (once; another instance may have stored the
    /// same tile first). Costs nothing beyond one query when no leaf was added. It writes, so
    /// it is called before a read-only snapshot, never inside one.
    pub fn sync(&self, conn: &mut DbConnection) -> Result<TileLog, AppError> {
        let mut edge = self.edge.lock().map_err(|_| AppError::internal("ledger edge poisoned"))?;
        let log = match edge.take() {
            Some(log) => catch_up(conn, log)?,
            None => {
                let resumed = resume(conn)?;
                let log = catch_up(conn, resumed)?;
                if gives_signed_root(conn, &log)? {
                    log
                } else {
                    // A damaged tile must not lead this instance to sign a wrong root.
                    tracing::error!(
                        "the stored ledger tiles do not give the latest checkpoint's root; making the tree's edge \
                         from the leaves (custos verify names the tile)"
                    );
                    catch_up(conn, TileLog::new())?
                }
            }
        };
        *edge = Some(log.clone());
        Ok(log)
    }

    /// Signs a checkpoint for the log as it now stands, unless one exists for this size.
    pub fn checkpoint(&self, conn: &mut DbConnection) -> Result<Option<CheckpointRow>, AppError> {
        let edge = self.sync(conn)?;
        let (size, root) = (edge.size(), tiles(conn, &edge, |reader| reader.root(edge.size()))?);
        if size == 0 {
            return Ok(None);
        }
        let size = i64::try_from(size).map_err(AppError::internal)?;
        let row = match repo::checkpoint(conn, size)? {
            Some(existing) => existing,
            None => {
                let row = CheckpointRow {
                    tree_size: size,
                    root_hash: hex::encode(root),
                    signed_note: self.key.sign_checkpoint(size as u64, &root),
                    created_at: now_utc(),
                };
                match repo::insert_checkpoint(conn, &row) {
                    Ok(_) => row,
                    // Another instance signed the same size first: the same tree, the same root.
                    Err(e) if db::is_unique_violation(&e) => {
                        repo::checkpoint(conn, size)?.ok_or_else(|| AppError::internal("checkpoint vanished"))?
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        self.witness(&row)?;
        Ok(Some(row))
    }

    /// Writes a checkpoint to the witness file, once, if it is larger than any written so far.
    fn witness(&self, row: &CheckpointRow) -> Result<(), AppError> {
        let mut witnessed = self.witnessed.lock().map_err(|_| AppError::internal("witness lock poisoned"))?;
        if row.tree_size <= *witnessed {
            return Ok(());
        }
        let line = serde_json::json!({ "note": row.signed_note }).to_string();
        self.witness.append(row.tree_size, &line).map_err(AppError::internal)?;
        *witnessed = row.tree_size;
        Ok(())
    }

    /// The witnessed signed notes, oldest first (none if none yet), each with where it is; a
    /// record that cannot be read (cut short by a crash, or edited) is an `Err` naming it.
    pub fn witnessed_checkpoints(&self) -> Result<Vec<WitnessedNote>, String> {
        Ok(self.witness.all()?.into_iter().map(read_witnessed).collect())
    }

    /// The last witnessed checkpoint (none if none yet), read alone: one exhibit's check needs
    /// only the largest witnessed size, and the witness grows every time the ledger does.
    pub fn last_witnessed(&self) -> Result<Option<WitnessedNote>, String> {
        Ok(self.witness.last()?.map(read_witnessed))
    }

    /// The first `width` hashes of a tile, as C2SP `tlog-tiles` serves them (`NotFound` past
    /// the log's right edge).
    pub fn tile(&self, conn: &mut DbConnection, path: TilePath) -> Result<Vec<u8>, AppError> {
        let edge = self.sync(conn)?;
        match tiles(conn, &edge, |reader| reader.tile(path.level, path.index, path.width)) {
            Ok(hashes) => Ok(join(&hashes)),
            Err(AppError::NotFound(_)) => Err(AppError::NotFound("ledger tile")),
            Err(e) => Err(e),
        }
    }
}

/// A witnessed record read: where it is, and its signed note or why it holds none.
fn read_witnessed((place, line): (String, String)) -> WitnessedNote {
    let note = witnessed_note(&line).ok_or_else(|| format!("{place} is not a checkpoint record"));
    (place, note)
}

/// The signed note a line of the witness file holds (`{"note": "..."}`), if it holds one.
fn witnessed_note(line: &str) -> Option<String> {
    serde_json::from_str::<Value>(line).ok().and_then(|v| v["note"].as_str().map(str::to_owned))
}

/// Bytes read from the end of the witness file for its last checkpoint.
const WITNESS_TAIL: u64 = 16 * 1024;

/// Leaves read per query while the tiles catch up.
const LEAF_BATCH: i64 = 10_000;

/// `log` with every committed leaf added; the tiles that fill on the way are stored. On an
/// error the caller's edge stays unset, so the next call resumes from what is stored.
fn catch_up(conn: &mut DbConnection, mut log: TileLog) -> Result<TileLog, AppError> {
    loop {
        let from = i64::try_from(log.size()).map_err(AppError::internal)?;
        let batch = repo::leaves_batch(conn, from, LEAF_BATCH)?;
        if batch.is_empty() {
            return Ok(log);
        }
        let mut filled = Vec::new();
        for (idx, leaf) in batch {
            if idx != i64::try_from(log.size()).map_err(AppError::internal)? {
                // A gap: the stored log is damaged; `verify` names it.
                return Err(AppError::internal(format!("ledger leaf {} is missing", log.size())));
            }
            filled.extend(log.push(leaf_hash(leaf.as_bytes())));
        }
        store_tiles(conn, &filled)?;
    }
}

/// Whether a log resumed from stored tiles gives the latest stored checkpoint's root (read
/// from O(log n) tiles); a log shorter than that checkpoint is `verify`'s to report.
fn gives_signed_root(conn: &mut DbConnection, log: &TileLog) -> Result<bool, AppError> {
    let Some(latest) = repo::latest_checkpoint(conn)? else { return Ok(true) };
    let size = u64::try_from(latest.tree_size).map_err(AppError::internal)?;
    if size > log.size() {
        return Ok(true);
    }
    match tiles(conn, log, |reader| reader.root(size)) {
        Ok(root) => Ok(hex::encode(root) == latest.root_hash),
        Err(AppError::Internal(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs `f` with a reader of the log whose right edge is `edge`, its full tiles read from
/// the database (each at most once).
fn tiles<T>(
    conn: &mut DbConnection,
    edge: &TileLog,
    f: impl FnOnce(
        &mut TileReader<'_, diesel::result::Error, &mut dyn FnMut(u8, u64) -> QueryResult<Option<Vec<u8>>>>,
    ) -> Result<T, TileError<diesel::result::Error>>,
) -> Result<T, AppError> {
    let mut fetch = |level: u8, index: u64| match i64::try_from(index) {
        Ok(index) => repo::tile(conn, i32::from(level), index),
        Err(_) => Ok(None),
    };
    let mut reader = TileReader::new(edge, &mut fetch as &mut dyn FnMut(u8, u64) -> QueryResult<Option<Vec<u8>>>);
    f(&mut reader).map_err(|e| match e {
        TileError::Store(e) => AppError::from(e),
        TileError::OutOfRange { .. } => AppError::NotFound("ledger size"),
        other => AppError::internal(other.to_string()),
    })
}

/// The right edge of the log as its stored tiles leave it: every level-0 tile stored means
/// the first 256 x that many leaves are tiled, and each higher level's partial tile is the
/// roots of the full tiles below it (at most 255 reads a level). If the tiles stored do not
/// fit together (a crash between writes, or tiles not yet written for an older ledger), the
/// tiles are made again from the first leaf, keeping those already stored.
fn resume(conn: &mut DbConnection) -> Result<TileLog, AppError> {
    let size = u64::try_from(repo::tiles_end(conn, 0)?).map_err(AppError::internal)? * TILE_WIDTH as u64;
    let mut partial = vec![Vec::new()];
    for level in 1..MAX_LEVELS as u8 {
        let (below, here) = (full_tiles(size, level - 1), full_tiles(size, level));
        let stored_here = repo::tile_count(conn, i32::from(level))?;
        if u64::try_from(stored_here).ok() != Some(here)
            || u64::try_from(repo::tile_count(conn, i32::from(level - 1))?).ok() != Some(below)
        {
            tracing::warn!(level, "the stored ledger tiles are incomplete; making them again from the leaves");
            return Ok(TileLog::new());
        }
        let from = here * TILE_WIDTH as u64;
        let wanted = below - from;
        let rows = repo::tiles_batch(
            conn,
            i32::from(level - 1),
            i64::try_from(from).map_err(AppError::internal)?,
            i64::try_from(wanted).map_err(AppError::internal)?,
        )?;
        let mut entries = Vec::new();
        for (idx, bytes) in rows {
            let hashes = split(&bytes).filter(|h| h.len() == TILE_WIDTH);
            match hashes {
                Some(hashes) if u64::try_from(idx).ok() == Some(from + entries.len() as u64) => {
                    entries.push(tile_root(&hashes));
                }
                _ => {
                    tracing::error!(
                        level = level - 1,
                        idx,
                        "a stored ledger tile is damaged; making the edge from the leaves"
                    );
                    return Ok(TileLog::new());
                }
            }
        }
        partial.push(entries);
    }
    TileLog::resume(size, partial).map_err(AppError::internal)
}

/// Stores tiles that just filled, in one transaction; where another instance stored one
/// first, the stored one should be the same (tiles are derived from leaves that never change).
fn store_tiles(conn: &mut DbConnection, filled: &[FullTile]) -> Result<(), AppError> {
    if filled.is_empty() {
        return Ok(());
    }
    let all_at_once = conn.transaction(|conn| {
        for tile in filled {
            insert(conn, tile)?;
        }
        QueryResult::Ok(())
    });
    match all_at_once {
        Ok(()) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => {
            for tile in filled {
                let index = i64::try_from(tile.index).map_err(AppError::internal)?;
                match repo::tile(conn, i32::from(tile.level), index)? {
                    Some(stored) if stored == tile.to_bytes() => {}
                    // Tiles are append-only, so the damaged one stays; the edge in memory is
                    // made from the leaves, so checkpoints stay right, and `verify` names it.
                    Some(_) => tracing::error!(
                        level = tile.level,
                        index = tile.index,
                        "a stored ledger tile differs from the leaves it is made of"
                    ),
                    None => {
                        insert(conn, tile)?;
                    }
                }
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn insert(conn: &mut DbConnection, tile: &FullTile) -> QueryResult<usize> {
    let index = i64::try_from(tile.index).unwrap_or(i64::MAX);
    repo::insert_tile(conn, i32::from(tile.level), index, &tile.to_bytes())
}

/// Appends a leaf (inside the caller's write transaction) and returns its index.
pub fn append(conn: &mut DbConnection, kind: &str, record: &Value) -> Result<(i64, String), AppError> {
    let canonical = to_canonical(record).map_err(AppError::internal)?;
    let idx = repo::append_leaf(conn, kind, &canonical, now_utc())?;
    Ok((idx, canonical))
}

/// A hash as standard base64, the form C2SP proofs use.
pub fn b64(hash: &[u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hash)
}

/// A C2SP `tlog-proof`: the leaf's index, its audit path and the checkpoint it is proved
/// against, in one self-contained text an outside verifier can check offline.
pub fn tlog_proof(index: u64, proof: &[[u8; 32]], checkpoint: &str) -> String {
    let mut text = format!("c2sp.org/tlog-proof@v1\nindex {index}\n");
    for hash in proof {
        text.push_str(&b64(hash));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(checkpoint);
    text
}

/// The sibling hashes from a leaf up to the root.
pub type AuditPath = Vec<[u8; 32]>;

/// Inclusion proofs, against the latest checkpoint, for the given leaves: one pass over the
/// tiles they need, each read once however many leaves share it.
pub fn inclusion_proofs(
    conn: &mut DbConnection,
    ledger: &Ledger,
    indexes: &[i64],
) -> Result<(CheckpointRow, Vec<AuditPath>), AppError> {
    let checkpoint = ledger.checkpoint(conn)?.ok_or(AppError::NotFound("checkpoint"))?;
    let size = u64::try_from(checkpoint.tree_size).map_err(AppError::internal)?;
    let edge = ledger.sync(conn)?;
    let proofs = tiles(conn, &edge, |reader| {
        indexes
            .iter()
            .map(|i| reader.inclusion_proof(u64::try_from(*i).unwrap_or(u64::MAX), size))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok((checkpoint, proofs))
}

/// Whether each leaf (index, stored bytes) is in the log whose root at `size` leaves is
/// `root`: an inclusion proof made from the stored tiles (each read once, O(log n) per leaf)
/// and checked against that root. A leaf that was altered, or a tile on its path, fails its
/// proof (`false`); so does a tile that is missing or damaged.
pub fn prove_leaves(
    conn: &mut DbConnection,
    edge: &TileLog,
    size: u64,
    root: &[u8; 32],
    leaves: &[(u64, &[u8])],
) -> Result<Vec<bool>, AppError> {
    tiles(conn, edge, |reader| {
        let mut proved = Vec::with_capacity(leaves.len());
        for (index, leaf) in leaves {
            proved.push(match reader.inclusion_proof(*index, size) {
                Ok(path) => crate::ledger::tree::verify_inclusion(root, size, *index, leaf, &path),
                Err(TileError::Store(e)) => return Err(TileError::Store(e)),
                Err(_) => false,
            });
        }
        Ok(proved)
    })
}

/// Whether the log at `old` (size, root) is a prefix of the log at `new`: a consistency
/// proof made from the stored tiles and checked against both roots.
pub fn prove_consistent(
    conn: &mut DbConnection,
    edge: &TileLog,
    old: (u64, [u8; 32]),
    new: (u64, [u8; 32]),
) -> Result<bool, AppError> {
    if old.0 == new.0 {
        return Ok(old.1 == new.1);
    }
    if old.0 == 0 || old.0 > new.0 {
        return Ok(false);
    }
    tiles(conn, edge, |reader| match reader.consistency_proof(old.0, new.0) {
        Ok(proof) => Ok(crate::ledger::tree::verify_consistency(&old.1, old.0, &new.1, new.0, &proof)),
        Err(TileError::Store(e)) => Err(TileError::Store(e)),
        Err(_) => Ok(false),
    })
}

/// Proof that the log at checkpoint `from` is a prefix of the log at checkpoint `to`; both
/// must be signed checkpoints.
pub fn consistency_proof(conn: &mut DbConnection, ledger: &Ledger, from: i64, to: i64) -> Result<Value, AppError> {
    if from < 1 || from > to {
        return Err(ValidationErrors::single("from", "must be at least 1 and at most 'to'").into());
    }
    let old = repo::checkpoint(conn, from)?.ok_or(AppError::NotFound("checkpoint"))?;
    let new = repo::checkpoint(conn, to)?.ok_or(AppError::NotFound("checkpoint"))?;
    let edge = ledger.sync(conn)?;
    let (from_size, to_size) =
        (u64::try_from(from).map_err(AppError::internal)?, u64::try_from(to).map_err(AppError::internal)?);
    let proof = tiles(conn, &edge, |reader| reader.consistency_proof(from_size, to_size))?;
    Ok(serde_json::json!({
        "from": from,
        "to": to,
        "old_checkpoint": old.signed_note,
        "new_checkpoint": new.signed_note,
        "proof": proof.iter().map(b64).collect::<Vec<_>>(),
        "verifier_key": ledger.verifier_key(),
    }))
}
