//! Verification: re-hash every blob, re-check every custody chain and the Merkle log against
//! the latest signed checkpoint, and name exactly what is wrong.

use serde::Serialize;
use std::collections::HashSet;

use crate::db::repo::audit::{self as audit_repo, NewAuditEventRow};
use crate::db::repo::ledger::CheckpointRow;
use crate::db::repo::{evidence as repo, ledger as ledger_repo};
use crate::db::{self, DbConnection};
use crate::domain::custody::{CustodyEvent, open_discrepancies};
use crate::domain::evidence::{Exhibit, ExhibitNumber};
use crate::domain::ids::ExhibitId;
use crate::domain::verification::{Finding, check_chain, finding};
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
use crate::ledger::note::{Checkpoint, VerifierKey};
use crate::ledger::tiles::{FullTile, MAX_LEVELS, TileLog};
use crate::ledger::tree::{StreamingRoot, leaf_hash};
use crate::services::audit::{StoredAudit, audit_leaf_as_stored, audit_record};
use crate::services::ledger::Ledger;
use crate::storage::{BlobStore, sha256_of};

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerificationReport {
    pub exhibits_checked: usize,
    pub events_checked: usize,
    pub blobs_checked: usize,
    pub bytes_hashed: u64,
    pub leaves_checked: u64,
    /// A scoped check (one exhibit's, one incident's): how many of its leaves an inclusion
    /// proof put in the signed checkpoint.
    pub leaves_proved: u64,
    pub checkpoint_size: Option<i64>,
    pub checkpoint_root: Option<String>,
    pub findings: Vec<Finding>,
}

impl VerificationReport {
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checkpoints the log must agree with: those the database stores, those written to the
/// witness file outside it, and any handed to `verify` (e.g. printed in a memo or a bundle).
/// There is one for nearly every write, so each is kept small and named only if it differs.
struct ExpectedRoot {
    size: u64,
    root: [u8; 32],
    /// None: the stored checkpoint of this size; Some(i): the i-th outside checkpoint.
    outside: Option<usize>,
}

/// Stored checkpoints read and opened at a time: their signatures are checked on every core.
const CHECKPOINT_BATCH: i64 = 10_000;

/// A stored checkpoint opened: its signed size and root, and what is wrong with it (`open_stored`).
type Opened = (Option<Checkpoint>, Option<Finding>);

/// Opens a batch of stored checkpoints on every core, one result a row, in the batch's order.
fn open_stored_batch(verifier: &VerifierKey, ledger: &Ledger, rows: &[CheckpointRow]) -> Result<Vec<Opened>, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|row| open_stored(verifier, ledger, row)).collect::<Vec<_>>())
            })
            .collect();
        let mut opened = Vec::with_capacity(rows.len());
        for handle in handles {
            // A thread that stopped leaves its rows unchecked: the check cannot run, rather than
            // pair the rest with the wrong rows.
            opened.extend(handle.join().map_err(|_| AppError::internal("a checkpoint-checking thread stopped"))?);
        }
        Ok(opened)
    })
}

/// A signed note's SHA-256, to know a byte-for-byte copy of a note already checked.
fn note_digest(note: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(note.as_bytes()).into()
}

/// The size a signed note states (its second line), read without checking the signature:
/// only to find the stored checkpoint it may be a copy of.
fn note_size(note: &str) -> Option<u64> {
    note.lines().nth(1)?.parse().ok()
}

/// Leaves `verify` reads from the database at a time.
const LEAF_BATCH: i64 = 10_000;

/// The ledger as `verify` holds it while it checks the records: each leaf's RFC 6962 hash by
/// index (32 bytes a leaf, where the leaves themselves run to hundreds), and which indexes no
/// stored leaf fills.
pub struct LeafHashes {
    hashes: Vec<[u8; 32]>,
    missing: Vec<bool>,
    /// Leaves found, in the same pass, to be exactly an audit record as stored.
    audited: Vec<bool>,
}

/// Where a check finds the ledger leaf an event was recorded as.
trait Leaves: Sync {
    /// Whether leaf `index` is stored and holds exactly `canonical`; None where it is missing.
    fn holds(&self, index: i64, canonical: &str) -> Option<bool>;
}

impl Leaves for LeafHashes {
    fn holds(&self, index: i64, canonical: &str) -> Option<bool> {
        let i = usize::try_from(index).ok()?;
        if *self.missing.get(i)? {
            return None;
        }
        Some(self.hashes.get(i) == Some(&leaf_hash(canonical.as_bytes())))
    }
}

/// Checks the ledger as a whole, from the snapshot: leaves contiguous; every stored
/// checkpoint signed by our key and equal to its stored size and root; every checkpoint
/// witnessed outside the database still in it; and the Merkle root of the stored leaves
/// equal to each of those checkpoints at its size (a log rolled back or rewritten below any
/// of them is found). The leaves are read a batch at a time and only their hashes kept, for
/// the per-event checks; the roots come from a streaming frontier, in O(log n) memory.
fn check_ledger(
    conn: &mut DbConnection,
    ledger: &Ledger,
    outside: &[OutsideCheckpoint],
    audit: bool,
    report: &mut VerificationReport,
) -> Result<LeafHashes, AppError> {
    let stored = u64::try_from(ledger_repo::count(conn)?).unwrap_or(0);
    report.leaves_checked = stored;
    let verifier = ledger.verifier()?;
    let mut expected: Vec<ExpectedRoot> = Vec::new();
    // Each stored checkpoint's root, and the digest of its note where the note verified and
    // agrees with its row: a witnessed copy of that same note needs no second signature check.
    let mut stored_sizes: std::collections::HashMap<u64, ([u8; 32], Option<[u8; 32]>)> =
        std::collections::HashMap::new();
    let mut checkpoint_findings = Vec::new();
    let mut after = -1;
    loop {
        let rows = ledger_repo::checkpoints_after(conn, after, CHECKPOINT_BATCH)?;
        let Some(last) = rows.last() else { break };
        after = last.tree_size;
        for (row, (signed, problem)) in rows.iter().zip(open_stored_batch(&verifier, ledger, &rows)?) {
            let Some(signed) = signed else {
                checkpoint_findings.extend(problem);
                continue;
            };
            let digest = problem.is_none().then(|| note_digest(&row.signed_note));
            checkpoint_findings.extend(problem);
            stored_sizes.insert(signed.size, (signed.root, digest));
            report.checkpoint_size = Some(row.tree_size);
            report.checkpoint_root = Some(hex::encode(signed.root));
            expected.push(ExpectedRoot { size: signed.size, root: signed.root, outside: None });
        }
    }
    for (i, outside) in outside.iter().enumerate() {
        // A witnessed copy of a stored note that verified is that checkpoint: no second check.
        let copy = outside.note.as_ref().ok().and_then(|note| {
            let size = note_size(note)?;
            let (root, digest) = stored_sizes.get(&size)?;
            (*digest == Some(note_digest(note))).then_some((size, *root))
        });
        let (size, root) = match copy {
            Some(known) => known,
            None => match open_outside(&verifier, ledger, outside) {
                Ok(signed) => {
                    if stored_sizes.get(&signed.size).map(|(root, _)| root) != Some(&signed.root) {
                        checkpoint_findings.push(not_stored(outside, &signed));
                    }
                    (signed.size, signed.root)
                }
                Err(problem) => {
                    checkpoint_findings.push(*problem);
                    continue;
                }
            },
        };
        if size > stored {
            checkpoint_findings.push(rolled_back(outside, size, stored));
        }
        expected.push(ExpectedRoot { size, root, outside: Some(i) });
    }
    // One streaming pass over the leaves: contiguity, each leaf's hash, and the root at each
    // checkpoint's size (a missing leaf counts as an empty one, so later roots still differ).
    expected.sort_by_key(|e| e.size);
    expected.retain(|e| e.size <= stored); // larger ones are reported above as a rollback
    let mut next = expected.iter().peekable();
    let mut roots = StreamingRoot::new();
    // Sized once from the count read in the same snapshot, rather than grown (and copied) leaf
    // by leaf.
    let capacity = usize::try_from(stored).unwrap_or(0);
    let mut leaves = LeafHashes {
        hashes: Vec::with_capacity(capacity),
        missing: Vec::with_capacity(capacity),
        audited: Vec::with_capacity(capacity),
    };
    let mut root_findings = Vec::new();
    let mut tiles = TileCheck::new();
    let mut check_roots = |roots: &StreamingRoot, findings: &mut Vec<Finding>| {
        while let Some(e) = next.next_if(|e| e.size == roots.len()) {
            if roots.root() != e.root {
                findings.push(finding(
                    None,
                    None,
                    None,
                    &format!(
                        "the ledger's Merkle root differs from {}: a leaf was altered or removed",
                        match e.outside.and_then(|i| outside.get(i)) {
                            Some(o) => o.source.clone(),
                            None => format!("the stored checkpoint of size {}", e.size),
                        }
                    ),
                    format!("root {} at size {}", hex::encode(e.root), e.size),
                    format!("root {}", hex::encode(roots.root())),
                ));
            }
        }
    };
    check_roots(&roots, &mut root_findings);
    // Every leaf, stored or missing (an empty one in its place), goes into each structure the
    // same way.
    let mut add = |conn: &mut DbConnection, leaves: &mut LeafHashes, hash: [u8; 32], missing: bool, audited: bool| {
        leaves.hashes.push(hash);
        leaves.missing.push(missing);
        leaves.audited.push(audited);
        roots.push_hash(hash);
        tiles.push(conn, hash)?;
        check_roots(&roots, &mut root_findings);
        Result::<(), AppError>::Ok(())
    };
    // Two threads: this one reads leaves (and the audit records beside them) from the
    // database, the other hashes each leaf and matches it with its record, one batch behind,
    // so that reading and hashing overlap. The roots and tiles are made here, in index order.
    std::thread::scope(|scope| -> Result<(), AppError> {
        let (to_hasher, work) = std::sync::mpsc::sync_channel::<LeafWork>(2);
        let (to_reader, hashed) = std::sync::mpsc::sync_channel::<HashedBatch>(2);
        scope.spawn(move || hash_leaves(&work, &to_reader));
        let gone = || AppError::internal("the leaf hashing thread stopped");
        let mut audit_feed = AuditFeed { next_id: i64::MIN, sent: 0, done: !audit };
        // Records the hasher has taken (matched or passed over), as of its last batch back.
        let (mut from, mut taken, mut in_flight) = (0, 0usize, 0usize);
        loop {
            let batch = ledger_repo::leaves_batch(conn, from, LEAF_BATCH)?;
            let last_batch = batch.is_empty();
            if let Some(&(last, _)) = batch.last() {
                from = last + 1;
                // Records go ahead of the leaves they may match, as many as the two batches of
                // leaves in flight could take (in an intact ledger each audit leaf takes exactly
                // one), and no more: the records waiting stay bounded however long the ledger.
                while !audit_feed.done && audit_feed.sent < taken + RECORDS_AHEAD {
                    let rows = audit_feed.next(conn)?;
                    to_hasher.send(LeafWork::Records(PackedRecords::pack(&rows))).map_err(|_| gone())?;
                }
                to_hasher.send(LeafWork::Leaves(PackedLeaves::pack(&batch))).map_err(|_| gone())?;
                in_flight += 1;
            }
            // One batch stays with the hasher while the next is read.
            while in_flight > usize::from(!last_batch) {
                let batch = hashed.recv().map_err(|_| gone())?;
                in_flight -= 1;
                taken = batch.records_taken;
                for HashedLeaf { idx, hash, audited } in batch.leaves {
                    let expected_idx = i64::try_from(leaves.hashes.len()).unwrap_or(i64::MAX);
                    if idx != expected_idx {
                        report.findings.push(finding(
                            None,
                            None,
                            Some(expected_idx),
                            "a ledger leaf is missing",
                            format!("leaf {expected_idx}"),
                            format!("next stored leaf is {idx}"),
                        ));
                        // Keep positions aligned with indexes so later checks name the right leaves.
                        while i64::try_from(leaves.hashes.len()).unwrap_or(i64::MAX) < idx {
                            add(conn, &mut leaves, leaf_hash(b""), true, false)?;
                        }
                    }
                    add(conn, &mut leaves, hash, false, audited)?;
                }
            }
            if last_batch {
                break;
            }
        }
        Ok(())
    })?;
    report.findings.extend(checkpoint_findings);
    report.findings.extend(root_findings);
    report.findings.extend(tiles.findings);
    Ok(leaves)
}

/// What the reading thread hands the hashing thread, in order. Both kinds come packed into
/// one buffer each: handing over thousands of separately allocated strings for the other
/// thread to free makes the two contend on the allocator's lock (measured: slower than one
/// thread).
enum LeafWork {
    /// The next audit records in id order, as stored.
    Records(PackedRecords),
    /// The next leaves in index order.
    Leaves(PackedLeaves),
}

/// Leaves, their texts end to end.
struct PackedLeaves {
    idx: Vec<i64>,
    ends: Vec<usize>,
    text: String,
}

impl PackedLeaves {
    fn pack(batch: &[(i64, String)]) -> PackedLeaves {
        let mut packed = PackedLeaves {
            idx: Vec::with_capacity(batch.len()),
            ends: Vec::with_capacity(batch.len()),
            text: String::with_capacity(batch.iter().map(|(_, leaf)| leaf.len()).sum()),
        };
        for (idx, leaf) in batch {
            packed.text.push_str(leaf);
            packed.idx.push(*idx);
            packed.ends.push(packed.text.len());
        }
        packed
    }

    fn iter(&self) -> impl Iterator<Item = (i64, &str)> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.idx.iter().zip(starts.zip(self.ends.iter())).map(|(idx, (start, end))| (*idx, &self.text[start..*end]))
    }
}

/// Audit records as stored, their text columns end to end.
struct PackedRecords {
    text: String,
    rows: Vec<PackedRecord>,
}

/// Where one record's columns lie in its batch's text.
struct PackedRecord {
    id: i64,
    at: time::PrimitiveDateTime,
    action: std::ops::Range<usize>,
    actor_id: Option<std::ops::Range<usize>>,
    incident_id: Option<std::ops::Range<usize>>,
    detail: std::ops::Range<usize>,
}

impl PackedRecords {
    fn pack(rows: &[(i64, NewAuditEventRow)]) -> PackedRecords {
        let mut text = String::new();
        let mut put = |column: &str| {
            let start = text.len();
            text.push_str(column);
            start..text.len()
        };
        let rows = rows
            .iter()
            .map(|(id, row)| PackedRecord {
                id: *id,
                at: row.at,
                action: put(&row.action),
                actor_id: row.actor_id.as_deref().map(&mut put),
                incident_id: row.incident_id.as_deref().map(&mut put),
                detail: put(&row.detail),
            })
            .collect();
        PackedRecords { text, rows }
    }

    /// Each record as the leaf it should be.
    fn leaves(&self) -> impl Iterator<Item = String> + '_ {
        self.rows.iter().map(|row| {
            let column = |range: &std::ops::Range<usize>| &self.text[range.clone()];
            let stored = StoredAudit {
                at: row.at,
                actor_id: row.actor_id.as_ref().map(column),
                action: column(&row.action),
                incident_id: row.incident_id.as_ref().map(column),
                detail: column(&row.detail),
            };
            audit_leaf_as_stored(&stored, row.id)
        })
    }
}

/// A leaf as the hashing thread hands it back: its index, its RFC 6962 hash, and whether it is
/// exactly the audit record waiting for it.
struct HashedLeaf {
    idx: i64,
    hash: [u8; 32],
    audited: bool,
}

/// A batch of leaves hashed, and how many audit records the hasher has taken so far.
struct HashedBatch {
    leaves: Vec<HashedLeaf>,
    records_taken: usize,
}

/// Audit records the reader keeps sent ahead of those the hasher has taken: what the two
/// batches of leaves it may hold could take, and the lookahead.
const RECORDS_AHEAD: usize = 2 * LEAF_BATCH as usize + AUDIT_LOOKAHEAD;

/// The hashing thread: each leaf hashed and matched against the audit records waiting, a
/// batch at a time, until the reader hangs up.
fn hash_leaves(work: &std::sync::mpsc::Receiver<LeafWork>, out: &std::sync::mpsc::SyncSender<HashedBatch>) {
    let mut audit = AuditRecords::default();
    for item in work {
        match item {
            LeafWork::Records(records) => audit.ahead.extend(records.leaves()),
            LeafWork::Leaves(batch) => {
                let leaves = batch
                    .iter()
                    .map(|(idx, leaf)| HashedLeaf {
                        idx,
                        hash: leaf_hash(leaf.as_bytes()),
                        audited: audit.claims(leaf),
                    })
                    .collect();
                if out.send(HashedBatch { leaves, records_taken: audit.taken }).is_err() {
                    return;
                }
            }
        }
    }
}

/// The reading side of the audit records: the next id to read from, and how many were sent.
struct AuditFeed {
    next_id: i64,
    sent: usize,
    done: bool,
}

impl AuditFeed {
    /// The next batch of records; none once they run out or a record no longer reads (the
    /// leaves left unmatched are then checked one by one, which names it).
    fn next(&mut self, conn: &mut DbConnection) -> Result<Vec<(i64, NewAuditEventRow)>, AppError> {
        match audit_repo::batch_from(conn, self.next_id, LEAF_BATCH) {
            Ok(rows) => {
                self.done = rows.is_empty();
                if let Some((id, _)) = rows.last() {
                    self.next_id = id.saturating_add(1);
                }
                self.sent += rows.len();
                Ok(rows)
            }
            Err(e) if repo::is_damage(&e) => {
                self.done = true;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Audit records read in id order beside the leaves, each written as the leaf it should be
/// (`audit_leaf_as_stored`), so that a leaf equal to one of the next few is known to have its
/// record without being parsed or read again. Records are appended with their leaves in one
/// write transaction, in the same order, so in an intact ledger each audit leaf matches the
/// first record waiting. Anything else (a custody leaf, a record edited or deleted, a detail
/// stored in another form) matches none and is left to `check_unclaimed_leaves`.
#[derive(Default)]
struct AuditRecords {
    /// The next records, each as the leaf it should be.
    ahead: std::collections::VecDeque<String>,
    /// Records taken from `ahead` so far.
    taken: usize,
}

/// How many waiting records a leaf is compared with: a record whose leaf is missing or
/// differs is passed over once a later leaf matches one behind it.
const AUDIT_LOOKAHEAD: usize = 8;

impl AuditRecords {
    /// Whether `leaf` is exactly one of the next records waiting; that record and any before
    /// it stop waiting.
    fn claims(&mut self, leaf: &str) -> bool {
        match self.ahead.iter().take(AUDIT_LOOKAHEAD).position(|stored| stored == leaf) {
            Some(n) => {
                self.ahead.drain(..=n);
                self.taken += n + 1;
                true
            }
            None => false,
        }
    }
}

/// Stored tiles read per level and query while they are compared.
const TILE_BATCH: i64 = 256;

/// The stored Merkle tiles (from which proofs and tile clients read the tree) compared with
/// the tiles the leaves make, in the same pass as the leaves, a batch of stored tiles per
/// level at a time. A tile the leaves fill but the database lacks is a finding only when a
/// later tile of its level is stored (the trailing ones are written at the server's next
/// write); stored tiles past the leaves read are left alone, since a running server may
/// have added both since.
struct TileCheck {
    log: TileLog,
    /// Per level: stored tiles read ahead, and the index the next read starts from.
    stored: Vec<StoredLevel>,
    findings: Vec<Finding>,
}

#[derive(Clone, Default)]
struct StoredLevel {
    ahead: std::collections::VecDeque<(u64, Vec<u8>)>,
    from: i64,
}

impl TileCheck {
    fn new() -> TileCheck {
        TileCheck { log: TileLog::new(), stored: vec![StoredLevel::default(); MAX_LEVELS], findings: Vec::new() }
    }

    fn push(&mut self, conn: &mut DbConnection, leaf: [u8; 32]) -> Result<(), AppError> {
        for tile in self.log.push(leaf) {
            self.compare(conn, &tile)?;
        }
        Ok(())
    }

    /// The next stored tile of a level, read ahead a batch at a time.
    fn next_stored(&mut self, conn: &mut DbConnection, level: u8) -> Result<Option<&(u64, Vec<u8>)>, AppError> {
        let StoredLevel { ahead, from } = &mut self.stored[usize::from(level)];
        if ahead.is_empty() {
            for (idx, bytes) in ledger_repo::tiles_batch(conn, i32::from(level), *from, TILE_BATCH)? {
                *from = idx + 1;
                ahead.push_back((u64::try_from(idx).map_err(AppError::internal)?, bytes));
            }
        }
        Ok(self.stored[usize::from(level)].ahead.front())
    }

    fn compare(&mut self, conn: &mut DbConnection, tile: &FullTile) -> Result<(), AppError> {
        let name = format!("{}/{}", tile.level, tile.index);
        let leaves = 256u64.pow(u32::from(tile.level) + 1);
        let first_leaf = i64::try_from(tile.index.saturating_mul(leaves)).unwrap_or(i64::MAX);
        let made = tile.to_bytes();
        let finding = match self.next_stored(conn, tile.level)? {
            None => None,
            Some((idx, _)) if *idx > tile.index => Some(finding(
                None,
                None,
                Some(first_leaf),
                &format!("ledger tile {name} is not stored, though a later tile of its level is"),
                format!("tile {name}"),
                format!("next stored tile is {}/{idx}", tile.level),
            )),
            Some((_, bytes)) => {
                // Name the first hash that differs, and the leaves it covers.
                let first_bad = (0..tile.hashes.len())
                    .find(|&i| bytes.get(i * 32..i * 32 + 32) != Some(&made[i * 32..i * 32 + 32]));
                let stored_len = bytes.len();
                let found = first_bad.map(|i| match bytes.get(i * 32..i * 32 + 32) {
                    Some(hash) => format!("hash {i}: {}", hex::encode(hash)),
                    None => format!("{} bytes, not 8192", stored_len),
                });
                let extra = first_bad.is_none() && stored_len != made.len();
                self.stored[usize::from(tile.level)].ahead.pop_front();
                match (first_bad, found) {
                    (Some(i), Some(found)) => Some(finding(
                        None,
                        None,
                        Some(first_leaf + i64::try_from(i as u64 * leaves / 256).unwrap_or(0)),
                        &format!(
                            "stored ledger tile {name} differs from the leaf hashes under it: proofs and tile \
                             clients reading it get wrong hashes"
                        ),
                        format!("hash {i}: {}", hex::encode(tile.hashes[i])),
                        found,
                    )),
                    _ if extra => Some(finding(
                        None,
                        None,
                        Some(first_leaf),
                        &format!("stored ledger tile {name} holds more than 256 hashes"),
                        "8192 bytes",
                        format!("{stored_len} bytes"),
                    )),
                    _ => None,
                }
            }
        };
        self.findings.extend(finding);
        Ok(())
    }
}

/// A checkpoint from outside the database, as read (or the reason it could not be read).
pub struct OutsideCheckpoint {
    /// Where it came from, in words: "the witness file, line 3".
    pub source: String,
    pub note: Result<String, String>,
}

/// Which of the witness file's checkpoints a check holds the ledger to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Witnessed {
    /// Every line: the whole check, which reads the whole ledger anyway.
    All,
    /// The last line only (the largest; each before it is a prefix of it, which the whole
    /// check proves): a scoped check, whose cost must not grow with the file, a line a write.
    Last,
}

/// The witness file's checkpoints and any given to `verify`, for `check_records`.
pub fn outside_checkpoints(
    ledger: &Ledger,
    witnessed: Witnessed,
    given: Option<(&str, String)>,
) -> Result<Vec<OutsideCheckpoint>, AppError> {
    let mut out: Vec<OutsideCheckpoint> = match witnessed {
        Witnessed::All => ledger
            .witnessed_checkpoints()
            .map_err(AppError::internal)?
            .into_iter()
            .map(|(place, note)| OutsideCheckpoint { source: format!("the witnessed checkpoint at {place}"), note })
            .collect(),
        Witnessed::Last => ledger
            .last_witnessed()
            .map_err(AppError::internal)?
            .map(|(place, note)| OutsideCheckpoint {
                source: format!("the last witnessed checkpoint, at {place}"),
                note,
            })
            .into_iter()
            .collect(),
    };
    if let Some((source, note)) = given {
        out.push(OutsideCheckpoint { source: format!("the checkpoint given in {source}"), note: Ok(note) });
    }
    Ok(out)
}

/// An exhibit's custody events as read for verification: those that read, in order, and the
/// rows that no longer do (row id, problem).
#[derive(Default)]
struct StoredEvents {
    events: Vec<CustodyEvent>,
    unreadable: Vec<(String, String)>,
}

impl StoredEvents {
    fn from_checked(checked: crate::db::repo::Checked<CustodyEvent>) -> StoredEvents {
        let mut stored = StoredEvents::default();
        for (row, event) in checked {
            match event {
                Ok(event) => stored.events.push(event),
                Err(problem) => stored.unreadable.push((row, problem)),
            }
        }
        stored
    }
}

/// What checking one exhibit's records found, without the database, so that it can be done
/// on another thread: the findings in order, and which of them must show the text of a leaf
/// that differs from its event (only the leaves' hashes are held; the text is read after).
struct ExhibitCheck {
    findings: Vec<Finding>,
    events: usize,
    /// (position in `findings`, ledger index)
    differing_leaves: Vec<(usize, i64)>,
}

/// Checks one exhibit's records: its chain link by link, and each event against its ledger
/// leaf. The file is hashed later, with no database connection held.
fn check_exhibit(
    exhibit: &Exhibit,
    stored: &StoredEvents,
    leaves: &dyn Leaves,
    seen_leaves: &mut [bool],
) -> Result<ExhibitCheck, AppError> {
    let mut findings: Vec<Finding> = stored
        .unreadable
        .iter()
        .map(|(row, problem)| {
            finding(
                Some(exhibit),
                None,
                None,
                &format!("a custody event (row {row}) no longer reads"),
                "a readable custody event",
                problem,
            )
        })
        .collect();
    let events = &stored.events;
    let (chain_findings, canonical) = check_chain(exhibit, events).map_err(AppError::internal)?;
    findings.extend(chain_findings);
    // Not tampering, but as serious: problems the custody record itself states.
    for open in open_discrepancies(events) {
        let mut recorded = finding(
            Some(exhibit),
            open.event,
            None,
            &format!("custody problem recorded and not resolved: {}", open.reason),
            "no open custody problem",
            "open",
        );
        recorded.recorded = true;
        findings.push(recorded);
    }
    let mut differing_leaves = Vec::new();
    for (event, canonical) in events.iter().zip(canonical) {
        if let Some(seen) = usize::try_from(event.ledger_index).ok().and_then(|i| seen_leaves.get_mut(i)) {
            *seen = true;
        }
        match leaves.holds(event.ledger_index, &canonical) {
            Some(true) => {}
            Some(false) => {
                differing_leaves.push((findings.len(), event.ledger_index));
                findings.push(finding(
                    Some(exhibit),
                    Some(event.seq),
                    Some(event.ledger_index),
                    "the event differs from its ledger leaf",
                    String::new(),
                    canonical,
                ));
            }
            None => findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the event's ledger leaf is missing",
                "a leaf",
                "none",
            )),
        }
    }
    Ok(ExhibitCheck { findings, events: events.len(), differing_leaves })
}

/// Adds an exhibit's check to the report, with the text of each leaf that differs.
fn merge_check(conn: &mut DbConnection, check: ExhibitCheck, report: &mut VerificationReport) -> Result<(), AppError> {
    let ExhibitCheck { mut findings, events, differing_leaves } = check;
    for (position, index) in differing_leaves {
        if let Some(finding) = findings.get_mut(position) {
            finding.expected = ledger_repo::leaf(conn, index)?.unwrap_or_default();
        }
    }
    report.exhibits_checked += 1;
    report.events_checked += events;
    report.findings.extend(findings);
    Ok(())
}

/// A verification between its phases: the records checked, the files not yet hashed.
pub struct PendingVerification {
    exhibits: Vec<PendingExhibit>,
    report: VerificationReport,
    /// When the records were read, and what was covered: the run as it will be recorded.
    started_at: time::PrimitiveDateTime,
    covered: Covered,
}

/// What a verification run covered.
enum Covered {
    Everything,
    Incident(String),
    Exhibit(ExhibitId),
}

/// What a verification keeps of an exhibit once its records are checked: enough to re-hash
/// its file and record the result, so that memory grows by about a hundred bytes an exhibit
/// rather than by its whole record.
struct PendingExhibit {
    id: ExhibitId,
    number: ExhibitNumber,
    /// The recorded SHA-256 and size of its file, if it has one.
    file: Option<(Box<str>, u64)>,
}

impl PendingExhibit {
    fn of(exhibit: Exhibit) -> PendingExhibit {
        PendingExhibit {
            id: exhibit.id,
            number: exhibit.number,
            file: exhibit.file.map(|f| (f.sha256.into_boxed_str(), u64::try_from(f.size).unwrap_or(0))),
        }
    }
}

/// The exhibits a verification covers.
pub enum Scope {
    /// Every exhibit, or every exhibit of one incident (by id): walked in number order, a
    /// chunk of records at a time.
    Walk(Option<String>),
    /// One exhibit, already read (and its reader's access checked).
    One(Box<Exhibit>),
}

/// First phase: the ledger and the records of the exhibits in `scope`, all read from one
/// consistent snapshot of the database, so that writes going on at the same time are either
/// wholly seen or not at all and never look like damage. Writes nothing.
pub fn check_records(
    conn: &mut DbConnection,
    ledger: &Ledger,
    scope: impl FnOnce(&mut DbConnection) -> Result<Scope, AppError>,
    whole_ledger: bool,
    outside: &[OutsideCheckpoint],
) -> Result<PendingVerification, AppError> {
    let started_at = crate::domain::now_utc();
    // A scoped check proves its leaves from the stored tiles, whose right edge is caught up
    // (and any tile that filled stored) before the read-only snapshot begins.
    let edge = if whole_ledger { None } else { Some(ledger.sync(conn)?) };
    db::read_snapshot(conn, |conn| {
        let mut report = VerificationReport::default();
        let scope = scope(conn)?;
        let covered = match &scope {
            Scope::Walk(None) => Covered::Everything,
            Scope::Walk(Some(incident)) => Covered::Incident(incident.clone()),
            Scope::One(exhibit) => Covered::Exhibit(exhibit.id),
        };
        let mut pending = Vec::new();
        match (scope, &edge) {
            (Scope::One(exhibit), Some(edge)) => {
                let checkpoint = proving_checkpoint(conn, ledger, edge, outside, &mut report)?;
                check_scoped(conn, edge, checkpoint.as_ref(), vec![*exhibit], &mut report, &mut pending)?;
            }
            (Scope::Walk(Some(incident)), Some(edge)) => {
                let checkpoint = proving_checkpoint(conn, ledger, edge, outside, &mut report)?;
                let keys = repo::keys_in_number_order(conn, Some(&incident))?;
                for keys in keys.chunks(crate::db::repo::IN_LIST_CHUNK) {
                    let exhibits = read_chunk(conn, keys, &mut report)?;
                    check_scoped(conn, edge, checkpoint.as_ref(), exhibits, &mut report, &mut pending)?;
                }
            }
            (scope, _) => {
                let leaves = check_ledger(conn, ledger, outside, whole_ledger, &mut report)?;
                let mut seen = vec![false; leaves.hashes.len()];
                let keys = match scope {
                    Scope::Walk(incident) => repo::keys_in_number_order(conn, incident.as_deref())?,
                    Scope::One(exhibit) => vec![Ok((exhibit.id, exhibit.number))],
                };
                walk(conn, &keys, &leaves, &mut seen, &mut report, &mut pending)?;
                if whole_ledger {
                    check_unclaimed_leaves(conn, &leaves, &seen, &mut report)?;
                    check_analyses(conn, &mut report)?;
                }
            }
        }
        Ok(PendingVerification { exhibits: pending, report, started_at, covered })
    })
}

/// Checks some exhibits' records, each leaf proved into `checkpoint` (a scoped check).
fn check_scoped(
    conn: &mut DbConnection,
    edge: &TileLog,
    checkpoint: Option<&ProvingCheckpoint>,
    exhibits: Vec<Exhibit>,
    report: &mut VerificationReport,
    pending: &mut Vec<PendingExhibit>,
) -> Result<(), AppError> {
    let events = read_events(conn, &exhibits)?;
    let (leaves, proof_findings) = prove_leaves_of(conn, edge, checkpoint, &exhibits, &events, report)?;
    for ((exhibit, stored), proof_findings) in exhibits.iter().zip(&events).zip(proof_findings) {
        report.findings.extend(proof_findings);
        let check = check_exhibit(exhibit, stored, &leaves, &mut [])?;
        merge_check(conn, check, report)?;
    }
    pending.extend(exhibits.into_iter().map(PendingExhibit::of));
    Ok(())
}

/// The leaves of the exhibits a scoped check reads, as stored, by ledger index.
struct ScopedLeaves {
    hashes: std::collections::HashMap<i64, [u8; 32]>,
}

impl Leaves for ScopedLeaves {
    fn holds(&self, index: i64, canonical: &str) -> Option<bool> {
        self.hashes.get(&index).map(|hash| *hash == leaf_hash(canonical.as_bytes()))
    }
}

/// How findings name a stored checkpoint.
fn stored_name(row: &CheckpointRow) -> String {
    format!("the stored checkpoint of size {}", row.tree_size)
}

/// A stored checkpoint opened with the ledger's key: its signed size and root (none where the
/// signature fails), and the finding where the signature fails or the row differs from its note.
fn open_stored(verifier: &VerifierKey, ledger: &Ledger, row: &CheckpointRow) -> Opened {
    // Named only in a finding: the whole check opens one checkpoint for nearly every write.
    let what = || stored_name(row);
    match verifier.open_checkpoint(&row.signed_note) {
        Ok(signed) => {
            let differs =
                i64::try_from(signed.size).ok() != Some(row.tree_size) || hex::encode(signed.root) != row.root_hash;
            let problem = differs.then(|| {
                finding(
                    None,
                    None,
                    None,
                    &format!("{} differs from its own signed note", what()),
                    format!("size {} root {}", signed.size, hex::encode(signed.root)),
                    format!("size {} root {}", row.tree_size, row.root_hash),
                )
            });
            (Some(signed), problem)
        }
        Err(e) => (
            None,
            Some(finding(
                None,
                None,
                None,
                &format!("{}: its signature does not verify", what()),
                ledger.verifier_key(),
                e.to_string(),
            )),
        ),
    }
}

/// A checkpoint held outside the database, opened with the ledger's key, or the finding that
/// says why it cannot be (unreadable, or not signed by this ledger's key).
fn open_outside(
    verifier: &VerifierKey,
    ledger: &Ledger,
    outside: &OutsideCheckpoint,
) -> Result<Checkpoint, Box<Finding>> {
    let note = outside
        .note
        .as_ref()
        .map_err(|problem| Box::new(finding(None, None, None, &outside.source, "a signed checkpoint", problem)))?;
    verifier.open_checkpoint(note).map_err(|e| {
        Box::new(finding(
            None,
            None,
            None,
            &format!("{}: its signature does not verify", outside.source),
            ledger.verifier_key(),
            e.to_string(),
        ))
    })
}

/// The finding for an outside checkpoint the database holds no checkpoint for.
fn not_stored(outside: &OutsideCheckpoint, signed: &Checkpoint) -> Finding {
    finding(
        None,
        None,
        None,
        &format!(
            "{}: the database has no checkpoint of size {} with this root (deleted, altered, or the database was rolled back)",
            outside.source, signed.size
        ),
        format!("size {} root {}", signed.size, hex::encode(signed.root)),
        "none".to_owned(),
    )
}

/// The finding for a ledger shorter than an outside checkpoint of `size` leaves.
fn rolled_back(outside: &OutsideCheckpoint, size: u64, stored: u64) -> Finding {
    finding(
        None,
        None,
        None,
        &format!("the ledger holds fewer leaves than {}: it was rolled back", outside.source),
        size.to_string(),
        stored.to_string(),
    )
}

/// The signed checkpoint a scoped check proves leaves into.
struct ProvingCheckpoint {
    size: u64,
    root: [u8; 32],
    /// How findings name it.
    what: String,
}

/// The ledger as a scoped check (one exhibit's, one incident's) needs it, at a cost that does
/// not grow with the ledger: the latest signed checkpoint the tiles reach, its signature, and
/// a consistency proof from each checkpoint held outside the database (the witness file's
/// last, and any given) to it, so that a log rewritten or rolled back below them is found.
/// Each record's leaves are then proved into it (`prove_exhibit_leaves`). The rest of the
/// ledger is the whole check's (`custos verify`). None where there is no checkpoint to prove
/// into, or the one there fails its signature (a finding).
fn proving_checkpoint(
    conn: &mut DbConnection,
    ledger: &Ledger,
    edge: &TileLog,
    outside: &[OutsideCheckpoint],
    report: &mut VerificationReport,
) -> Result<Option<ProvingCheckpoint>, AppError> {
    let verifier = ledger.verifier()?;
    let edge_size = i64::try_from(edge.size()).map_err(AppError::internal)?;
    let Some(row) = ledger_repo::latest_checkpoint_at_most(conn, edge_size)? else { return Ok(None) };
    let what = stored_name(&row);
    let signed = match open_stored(&verifier, ledger, &row) {
        (Some(signed), None) => signed,
        (_, problem) => {
            report.findings.extend(problem);
            return Ok(None);
        }
    };
    report.checkpoint_size = Some(row.tree_size);
    report.checkpoint_root = Some(hex::encode(signed.root));
    let stored_size = u64::try_from(ledger_repo::size(conn)?).unwrap_or(0);
    for outside in outside {
        let witnessed = match open_outside(&verifier, ledger, outside) {
            Ok(witnessed) => witnessed,
            Err(problem) => {
                report.findings.push(*problem);
                continue;
            }
        };
        let stored = ledger_repo::checkpoint(conn, i64::try_from(witnessed.size).unwrap_or(i64::MAX))?;
        if stored.is_none_or(|row| row.root_hash != hex::encode(witnessed.root)) {
            report.findings.push(not_stored(outside, &witnessed));
        }
        if witnessed.size > stored_size {
            report.findings.push(rolled_back(outside, witnessed.size, stored_size));
        } else if witnessed.size <= signed.size
            && !crate::services::ledger::prove_consistent(
                conn,
                edge,
                (witnessed.size, witnessed.root),
                (signed.size, signed.root),
            )?
        {
            report.findings.push(finding(
                None,
                None,
                None,
                &format!("{what} does not extend {}: the ledger was rewritten below it", outside.source),
                format!("size {} root {}", witnessed.size, hex::encode(witnessed.root)),
                format!("no consistency proof to root {}", hex::encode(signed.root)),
            ));
        }
    }
    Ok(Some(ProvingCheckpoint { size: signed.size, root: signed.root, what }))
}

/// The leaves of some exhibits' events: read by index, a chunk of indexes a query, and, where
/// the checkpoint covers them, proved into it with one reader of the stored tiles (each tile
/// read once however many proofs share it). A leaf rewritten together with its record (which
/// the chain and the leaf alone cannot show) fails its proof. Events recorded after the
/// checkpoint are compared with their leaves only, as the whole check does; the next write's
/// checkpoint covers them. The proofs' findings come back an exhibit at a time, in order.
fn prove_leaves_of(
    conn: &mut DbConnection,
    edge: &TileLog,
    checkpoint: Option<&ProvingCheckpoint>,
    exhibits: &[Exhibit],
    events: &[StoredEvents],
    report: &mut VerificationReport,
) -> Result<(ScopedLeaves, Vec<Vec<Finding>>), AppError> {
    let indexes: Vec<i64> = events.iter().flat_map(|stored| stored.events.iter().map(|e| e.ledger_index)).collect();
    let mut texts = std::collections::HashMap::new();
    for chunk in indexes.chunks(crate::db::repo::IN_LIST_CHUNK) {
        texts.extend(ledger_repo::leaves_at(conn, chunk)?);
    }
    let leaves = ScopedLeaves { hashes: texts.iter().map(|(i, leaf)| (*i, leaf_hash(leaf.as_bytes()))).collect() };
    report.leaves_checked += u64::try_from(leaves.hashes.len()).unwrap_or(0);
    let mut findings = vec![Vec::new(); exhibits.len()];
    let Some(checkpoint) = checkpoint else { return Ok((leaves, findings)) };
    // (position of the exhibit, its event, the leaf's index and bytes) for every covered leaf.
    let covered: Vec<(usize, &CustodyEvent, u64, &[u8])> = events
        .iter()
        .enumerate()
        .flat_map(|(x, stored)| stored.events.iter().map(move |e| (x, e)))
        .filter_map(|(x, e)| {
            let leaf = texts.get(&e.ledger_index)?;
            u64::try_from(e.ledger_index).ok().filter(|i| *i < checkpoint.size).map(|i| (x, e, i, leaf.as_bytes()))
        })
        .collect();
    let to_prove: Vec<(u64, &[u8])> = covered.iter().map(|(_, _, i, leaf)| (*i, *leaf)).collect();
    let proved = crate::services::ledger::prove_leaves(conn, edge, checkpoint.size, &checkpoint.root, &to_prove)?;
    for ((x, event, _, _), proved) in covered.iter().zip(proved) {
        if proved {
            report.leaves_proved += 1;
        } else if let (Some(exhibit), Some(found)) = (exhibits.get(*x), findings.get_mut(*x)) {
            found.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                &format!(
                    "the event's ledger leaf is not the one signed in {}: the leaf, or a stored tile on its proof, was altered",
                    checkpoint.what
                ),
                format!("an inclusion proof to root {}", hex::encode(checkpoint.root)),
                "a proof that fails",
            ));
        }
    }
    Ok((leaves, findings))
}

/// The exhibits of a chunk of keys, in the keys' order, in one query; a chunk holding a
/// damaged record is read again exhibit by exhibit, so that the damaged one names itself.
fn read_chunk(
    conn: &mut DbConnection,
    keys: &[Result<(ExhibitId, ExhibitNumber), String>],
    report: &mut VerificationReport,
) -> Result<Vec<Exhibit>, AppError> {
    let unreadable = |number: String, problem: String| {
        Finding::new(
            Some(number),
            None,
            None,
            "the exhibit's stored record no longer reads",
            "a readable exhibit record",
            problem,
        )
    };
    let ids: Vec<ExhibitId> = keys.iter().filter_map(|k| k.as_ref().ok().map(|(id, _)| *id)).collect();
    let mut found = match repo::by_ids(conn, &ids) {
        Ok(found) => Some(found),
        Err(e) if repo::is_damage(&e) => None,
        Err(e) => return Err(e.into()),
    };
    let mut chunk = Vec::with_capacity(keys.len());
    for key in keys {
        let (id, number) = match key {
            Ok(key) => *key,
            Err(number) => {
                report.findings.push(unreadable(number.clone(), "its id or number no longer reads".into()));
                continue;
            }
        };
        let exhibit = match found.as_mut() {
            Some(found) => found.remove(&id),
            None => match repo::by_ids(conn, &[id]) {
                Ok(mut one) => one.remove(&id),
                Err(e) if repo::is_damage(&e) => {
                    report.findings.push(unreadable(number.to_string(), e.to_string()));
                    continue;
                }
                Err(e) => return Err(e.into()),
            },
        };
        // Read in the same snapshot as its key, so it cannot have gone meanwhile.
        chunk.extend(exhibit);
    }
    Ok(chunk)
}

/// The custody events of a chunk of exhibits, in the chunk's order, in one query; a chunk
/// holding a damaged row is read again exhibit by exhibit, so the damaged row names itself.
fn read_events(conn: &mut DbConnection, chunk: &[Exhibit]) -> Result<Vec<StoredEvents>, AppError> {
    let ids: Vec<_> = chunk.iter().map(|x| x.id).collect();
    let mut by_exhibit = match repo::events_of_many(conn, &ids) {
        Ok(events) => Some(events),
        Err(e) if repo::is_damage(&e) => None,
        Err(e) => return Err(e.into()),
    };
    chunk
        .iter()
        .map(|exhibit| match by_exhibit.as_mut() {
            Some(events) => Ok(StoredEvents {
                events: events.remove(&exhibit.id.to_string()).unwrap_or_default(),
                unreadable: Vec::new(),
            }),
            None => Ok(StoredEvents::from_checked(repo::events_checked(conn, exhibit.id)?)),
        })
        .collect()
}

/// A chunk of exhibits on its way through the walk: what was read, and what reading it found.
struct WalkChunk {
    exhibits: Vec<Exhibit>,
    events: Vec<StoredEvents>,
    read_findings: Vec<Finding>,
}

/// Walks the exhibits a chunk at a time: this thread reads each chunk's records, another
/// checks the chunk before (chains, canonical encodings, leaf hashes), and the chunk comes
/// back here to be added to the report in order (and freed by the thread that allocated it).
fn walk(
    conn: &mut DbConnection,
    keys: &[Result<(ExhibitId, ExhibitNumber), String>],
    leaves: &LeafHashes,
    seen: &mut [bool],
    report: &mut VerificationReport,
    pending: &mut Vec<PendingExhibit>,
) -> Result<(), AppError> {
    type CheckedChunk = (WalkChunk, Result<Vec<ExhibitCheck>, AppError>);
    std::thread::scope(|scope| {
        let (to_checker, work) = std::sync::mpsc::sync_channel::<WalkChunk>(1);
        let (to_reader, checked) = std::sync::mpsc::sync_channel::<CheckedChunk>(1);
        scope.spawn(move || {
            for chunk in work {
                let checks = chunk
                    .exhibits
                    .iter()
                    .zip(&chunk.events)
                    .map(|(exhibit, stored)| check_exhibit(exhibit, stored, leaves, seen))
                    .collect();
                if to_reader.send((chunk, checks)).is_err() {
                    return;
                }
            }
        });
        let gone = || AppError::internal("the exhibit checking thread stopped");
        let mut add = |conn: &mut DbConnection, (chunk, checks): CheckedChunk| -> Result<(), AppError> {
            report.findings.extend(chunk.read_findings);
            for check in checks? {
                merge_check(conn, check, report)?;
            }
            pending.extend(chunk.exhibits.into_iter().map(PendingExhibit::of));
            Ok(())
        };
        let mut in_flight = 0usize;
        for keys in keys.chunks(crate::db::repo::IN_LIST_CHUNK) {
            let mut read = VerificationReport::default();
            let exhibits = read_chunk(conn, keys, &mut read)?;
            let events = read_events(conn, &exhibits)?;
            to_checker.send(WalkChunk { exhibits, events, read_findings: read.findings }).map_err(|_| gone())?;
            in_flight += 1;
            // One chunk is checked while the next is read.
            if in_flight > 1 {
                add(conn, checked.recv().map_err(|_| gone())?)?;
                in_flight -= 1;
            }
        }
        drop(to_checker);
        for _ in 0..in_flight {
            add(conn, checked.recv().map_err(|_| gone())?)?;
        }
        Ok(())
    })
}

/// Total bytes of the files a pending verification will re-hash, for a progress bar.
pub fn pending_bytes(pending: &PendingVerification) -> u64 {
    pending.exhibits.iter().filter_map(|x| x.file.as_ref()).map(|(_, size)| size).sum()
}

/// Second phase: re-hash every file in scope, on every core (one file per thread at a time,
/// four threads a core; the progress callback runs on the calling thread). Needs no database
/// connection, so that hashing up to 64 GiB never holds one of the pool's.
pub fn hash_files(pending: &mut PendingVerification, store: &dyn BlobStore, progress: &mut dyn FnMut(u64)) {
    enum Hashed {
        Progress(u64),
        Done(usize, std::io::Result<(String, u64)>),
    }
    // In exhibit order, which is the order the files were written in (measured: faster from a
    // cold cache than digest order, which is the store's directory order).
    let files: Vec<(usize, &str)> = pending
        .exhibits
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.file.as_ref().map(|(sha256, _)| (i, &**sha256)))
        .collect();
    // Four threads a core: from a cold cache most of the time per small file is waiting on the
    // disk (its directories, its inode, its data), so more reads in flight at once go faster
    // (measured on 92,000 files of 4 KiB: 8.6 s with a thread a core, 3.0-3.1 s with four);
    // for large files the extra threads only share the cores.
    let workers = (std::thread::available_parallelism().map_or(1, |n| n.get()) * 4).clamp(1, files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<std::io::Result<(String, u64)>>> = Vec::new();
    results.resize_with(pending.exhibits.len(), || None);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<Hashed>();
        for _ in 0..workers {
            let (tx, next, files) = (tx.clone(), &next, &files);
            scope.spawn(move || {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(i, sha256)) = files.get(n) else { break };
                    let result = store.open(sha256).and_then(|f| {
                        sha256_of(f, |bytes| {
                            let _ = tx.send(Hashed::Progress(bytes));
                        })
                    });
                    if tx.send(Hashed::Done(i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for message in rx {
            match message {
                Hashed::Progress(bytes) => progress(bytes),
                Hashed::Done(i, result) => {
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(result);
                    }
                }
            }
        }
    });
    // Findings in exhibit order, whichever thread finished first.
    let report = &mut pending.report;
    for (exhibit, result) in pending.exhibits.iter().zip(results) {
        let (Some((sha256, _)), Some(result)) = (&exhibit.file, result) else { continue };
        report.blobs_checked += 1;
        let number = Some(exhibit.number.to_string());
        match result {
            Ok((found, size)) => {
                report.bytes_hashed += size;
                if found != **sha256 {
                    report.findings.push(Finding::new(
                        number,
                        None,
                        None,
                        "the stored file's SHA-256 differs from the recorded one",
                        &**sha256,
                        found,
                    ));
                }
            }
            Err(e) => report.findings.push(Finding::new(
                number,
                None,
                None,
                "the stored file cannot be read",
                &**sha256,
                e.to_string(),
            )),
        }
    }
}

/// Last phase, in one write transaction: each exhibit's result is kept (the dashboard lists
/// failures), and evidence whose custody no longer holds proves nothing until someone looks
/// again, so its accepted mappings go back to review in the same transaction.
pub fn record_results(conn: &mut DbConnection, pending: PendingVerification) -> Result<VerificationReport, AppError> {
    let PendingVerification { exhibits, report, started_at, covered } = pending;
    let at = crate::domain::now_utc();
    // What the record states was answered when it was recorded; the verification's own result
    // for an exhibit is whether anything was found altered, missing or unreadable: how many
    // things, and the first. Gathered in one pass over the findings.
    let mut found: std::collections::HashMap<&str, (i32, &str)> = std::collections::HashMap::new();
    for f in report.findings.iter().filter(|f| !f.recorded) {
        if let Some(number) = f.exhibit.as_deref() {
            found.entry(number).or_insert((0, f.problem.as_str())).0 += 1;
        }
    }
    // Each exhibit's result, judged once, in number order.
    let judged: Vec<(&PendingExhibit, repo::VerificationResult<'_>)> = exhibits
        .iter()
        .map(|exhibit| {
            let (problems, first_problem) = match found.get(exhibit.number.to_string().as_str()) {
                Some(&(problems, first)) => (problems, Some(first)),
                None => (0, None),
            };
            (exhibit, repo::VerificationResult { exhibit: exhibit.id, intact: problems == 0, problems, first_problem })
        })
        .collect();
    // Rows go in by exhibit id, the order of the tables' indexes on the exhibit: a run then
    // writes each index page once, in key order.
    let mut by_id: Vec<(String, &repo::VerificationResult<'_>)> =
        judged.iter().map(|(exhibit, result)| (exhibit.id.to_string(), result)).collect();
    by_id.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let run = uuid::Uuid::now_v7().to_string();
    let failed = judged.iter().filter(|(_, result)| !result.intact).count();
    let (incident_id, exhibit_id) = match &covered {
        Covered::Everything => (None, None),
        Covered::Incident(id) => (Some(id.clone()), None),
        Covered::Exhibit(id) => (None, Some(id.to_string())),
    };
    let count = |n: usize| i32::try_from(n).map_err(AppError::internal);
    let new_run = repo::NewRun {
        id: &run,
        started_at,
        finished_at: at,
        incident_id: incident_id.as_deref(),
        exhibit_id: exhibit_id.as_deref(),
        exhibits: count(exhibits.len())?,
        failed: count(failed)?,
    };
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        repo::record_run(conn, &new_run)?;
        // A chunk of exhibits a few statements: on PostgreSQL each statement is a round trip,
        // and a statement per exhibit took 7-26 s for 20,000 exhibits.
        for chunk in by_id.chunks(crate::db::repo::IN_LIST_CHUNK) {
            let results: Vec<&repo::VerificationResult<'_>> = chunk.iter().map(|(_, result)| *result).collect();
            repo::record_verifications(conn, &run, at, &results)?;
        }
        for (exhibit, result) in &judged {
            if let Some(problem) = result.first_problem {
                let reason = format!("custody verification of {} failed: {problem}", exhibit.number);
                crate::services::reopen::reopen_for_impaired_custody(conn, exhibit.id, &reason)?;
            }
        }
        Ok(())
    })?;
    Ok(report)
}

/// Verifies the exhibits `scope` loads and the ledger they live in, on one connection (the
/// command line's): the three phases in a row.
pub fn verify(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    ledger: &Ledger,
    scope: impl FnOnce(&mut DbConnection) -> Result<Scope, AppError>,
    whole_ledger: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<VerificationReport, AppError> {
    let witnessed = if whole_ledger { Witnessed::All } else { Witnessed::Last };
    let outside = outside_checkpoints(ledger, witnessed, None)?;
    let mut pending = check_records(conn, ledger, scope, whole_ledger, &outside)?;
    hash_files(&mut pending, store, progress);
    record_results(conn, pending)
}

/// Every analysis's stored result must hash to the digest recorded with it, and that digest
/// must be the one its custody event (whose leaf the ledger check covered) states: a result
/// edited in the database shows up here. Read a window at a time.
fn check_analyses(conn: &mut DbConnection, report: &mut VerificationReport) -> Result<(), AppError> {
    use sha2::{Digest, Sha256};
    let mut after = String::new();
    loop {
        let window = crate::db::repo::analyses::for_verification(conn, &after, LEAF_BATCH)?;
        let Some(last) = window.last() else { return Ok(()) };
        after = last.0.clone();
        for (_, kind, exhibit, event, notes, result, recorded, preview) in &window {
            let actual = hex::encode(Sha256::digest(result.as_bytes()));
            let mut problem = |what: &str, expected: &str, found: &str| {
                report.findings.push(Finding {
                    recorded: false,
                    exhibit: Some(exhibit.clone()),
                    event: Some(*event),
                    ledger_index: None,
                    problem: what.to_owned(),
                    expected: expected.to_owned(),
                    found: found.to_owned(),
                })
            };
            if &actual != recorded {
                problem("an analysis's stored result does not hash to the digest recorded with it", recorded, &actual);
            }
            // The preview (what pages and memos read) must be the one the result gives.
            let derived = kind
                .parse::<crate::domain::analysis::AnalysisKind>()
                .ok()
                .and_then(|k| crate::domain::analysis::Finding::from_json(k, result).ok())
                .and_then(|f| crate::ledger::canonical::to_canonical(&f.preview().to_json()).ok());
            if derived.as_deref() != Some(preview.as_str()) {
                problem(
                    "an analysis's stored preview is not the one its result gives",
                    derived.as_deref().unwrap_or("a result that reads"),
                    preview,
                );
            }
            if !notes.contains(recorded.as_str()) {
                problem(
                    "an analysis's result digest is not the one its custody event records",
                    &format!("result SHA-256 {recorded} in the event's notes"),
                    notes,
                );
            }
        }
    }
}

/// Every ledger leaf must still have its record: a custody event or an audit record whose
/// stored form gives the same bytes. A deleted or edited record shows up here. Only the leaves
/// that neither a custody event nor an audit record claimed in the passes before are read
/// again (none, in an intact ledger), and their audit records looked up with one query per
/// window of leaves.
fn check_unclaimed_leaves(
    conn: &mut DbConnection,
    leaves: &LeafHashes,
    seen: &[bool],
    report: &mut VerificationReport,
) -> Result<(), AppError> {
    let unclaimed = (0..leaves.hashes.len())
        .filter(|&i| !leaves.missing[i] && !leaves.audited[i] && !seen.get(i).copied().unwrap_or(false));
    let mut audit_leaves = Vec::new();
    let mut window = 0;
    for i in unclaimed {
        let idx = i64::try_from(i).map_err(AppError::internal)?;
        if idx / LEAF_BATCH != window {
            check_audit_leaves(conn, &audit_leaves, report)?;
            audit_leaves.clear();
            window = idx / LEAF_BATCH;
        }
        let Some(leaf) = ledger_repo::leaf(conn, idx)? else { continue };
        let value: serde_json::Value = serde_json::from_str(&leaf).unwrap_or_default();
        match value["type"].as_str() {
            Some("custody_event") => report.findings.push(Finding {
                recorded: false,
                exhibit: value["exhibit"].as_str().map(str::to_owned),
                event: value["seq"].as_i64().and_then(|s| i32::try_from(s).ok()),
                ledger_index: Some(idx),
                problem: "the custody event recorded in the ledger is missing from the database".into(),
                expected: leaf.clone(),
                found: "no such event".into(),
            }),
            Some("audit_record") => audit_leaves.push((idx, value["id"].as_i64().unwrap_or(-1), leaf)),
            _ => report.findings.push(finding(
                None,
                None,
                Some(idx),
                "a ledger leaf has an unknown type",
                "custody_event or audit_record",
                leaf.clone(),
            )),
        }
    }
    check_audit_leaves(conn, &audit_leaves, report)
}

/// Compares a batch's audit-record leaves with the records as stored: one range query, or
/// record by record where a damaged row keeps the range from reading.
fn check_audit_leaves(
    conn: &mut DbConnection,
    audit_leaves: &[(i64, i64, String)],
    report: &mut VerificationReport,
) -> Result<(), AppError> {
    let (Some(first), Some(last)) =
        (audit_leaves.iter().map(|l| l.1).filter(|id| *id >= 0).min(), audit_leaves.iter().map(|l| l.1).max())
    else {
        return Ok(());
    };
    let in_range = match audit_repo::find_range(conn, first, last) {
        Ok(rows) => Some(rows),
        Err(e) if repo::is_damage(&e) => None,
        Err(e) => return Err(e.into()),
    };
    for (idx, id, leaf) in audit_leaves {
        let stored = match &in_range {
            Some(rows) => {
                rows.get(id).map(|row| to_canonical(&audit_record(row, *id))).transpose().map_err(AppError::internal)?
            }
            None => match audit_repo::find(conn, *id) {
                Ok(row) => {
                    row.map(|row| to_canonical(&audit_record(&row, *id))).transpose().map_err(AppError::internal)?
                }
                Err(e) if repo::is_damage(&e) => Some(format!("a record that no longer reads ({e})")),
                Err(e) => return Err(e.into()),
            },
        };
        if stored.as_deref() != Some(leaf.as_str()) {
            report.findings.push(finding(
                None,
                None,
                Some(*idx),
                &format!("audit record {id} differs from its ledger leaf"),
                leaf.clone(),
                stored.unwrap_or_else(|| "no such record".into()),
            ));
        }
    }
    Ok(())
}

/// A stored file that no exhibit references: left by an upload interrupted between storing
/// the file and recording the exhibit.
#[derive(Debug, Clone, Serialize)]
pub struct OrphanFile {
    pub sha256: String,
    pub bytes: u64,
    /// Written within the last hour: possibly an upload finishing right now, so never removed.
    pub recent: bool,
}

/// Files in the evidence store that no exhibit references. Read after the database, so that
/// a file stored and recorded meanwhile is seen as referenced or as recent.
pub fn orphan_files(conn: &mut DbConnection, store: &dyn BlobStore) -> Result<Vec<OrphanFile>, AppError> {
    let referenced: HashSet<String> = repo::all_sha256(conn)?.into_iter().collect();
    let stored = store.stored().map_err(|e| AppError::internal(format!("reading the evidence store: {e}")))?;
    let hour_ago = std::time::SystemTime::now() - ORPHAN_GRACE;
    Ok(stored
        .into_iter()
        .filter(|blob| !referenced.contains(&blob.sha256))
        .map(|blob| OrphanFile { sha256: blob.sha256, bytes: blob.size, recent: blob.modified > hour_ago })
        .collect())
}

/// How long a stored file no exhibit references, or a temporary upload, is left alone: it may
/// be an upload finishing now, on this instance or another.
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);
