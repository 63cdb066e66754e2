//! The ledger at run time: the signing key, the Merkle tree over committed leaves (cached,
//! caught up from the database, so several instances can share one database), leaf appends
//! inside write transactions, and signed checkpoints after them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::db::repo::ledger::{self as repo, CheckpointRow};
use crate::db::{self, DbConnection};
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
use crate::ledger::note::{LedgerKey, VerifierKey};
use crate::ledger::tree::LedgerTree;

pub struct Ledger {
    key: LedgerKey,
    verifier: String,
    /// Committed leaves only; leaves are read back from the database after commit.
    tree: Mutex<LedgerTree>,
    /// The witness file: every checkpoint this instance signed or saw, kept outside the
    /// database, so that a database rolled back to an earlier state cannot pass `verify`.
    witness: PathBuf,
    /// The largest tree size written to the witness file by this process.
    witnessed: Mutex<i64>,
}

const KEY_FILE: &str = "ledger.key";
/// One JSON line per checkpoint: `{"note": "<signed note>"}`. Append-only, fsynced.
pub const WITNESS_FILE: &str = "checkpoints.witness";

impl Ledger {
    /// Loads the signing key from the data directory, creating it on first start.
    pub fn open(data_dir: &Path) -> Result<Ledger, String> {
        let path = data_dir.join(KEY_FILE);
        let key = match std::fs::read_to_string(&path) {
            Ok(text) => LedgerKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut id = [0u8; 4];
                rand::fill(&mut id);
                let key =
                    LedgerKey::generate(&format!("custos.ledger/{}", hex::encode(id))).map_err(|e| e.to_string())?;
                crate::storage::write_private(&path, format!("{}\n", key.to_private_text()).as_bytes())?;
                key
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(Ledger {
            verifier: key.verifier_key(),
            key,
            tree: Mutex::new(LedgerTree::new()),
            witness: data_dir.join(WITNESS_FILE),
            witnessed: Mutex::new(0),
        })
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

    /// Runs `f` on the tree, first caught up with every committed leaf.
    fn with_tree<T>(&self, conn: &mut DbConnection, f: impl FnOnce(&LedgerTree) -> T) -> Result<T, AppError> {
        let mut tree = self.tree.lock().map_err(|_| AppError::internal("ledger cache poisoned"))?;
        let known = i64::try_from(tree.len()).map_err(AppError::internal)?;
        for (idx, _, leaf) in repo::leaves_from(conn, known)? {
            if idx != i64::try_from(tree.len()).map_err(AppError::internal)? {
                // A gap: the stored log is damaged. Rebuild from scratch next time; `verify` names it.
                *tree = LedgerTree::new();
                return Err(AppError::internal(format!("ledger leaf {} is missing", tree.len())));
            }
            tree.push(leaf.into_bytes());
        }
        Ok(f(&tree))
    }

    /// Signs a checkpoint for the log as it now stands, unless one exists for this size.
    pub fn checkpoint(&self, conn: &mut DbConnection) -> Result<Option<CheckpointRow>, AppError> {
        let (size, root) = self.with_tree(conn, |tree| (tree.len(), tree.root()))?;
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
        crate::storage::append_durably(&self.witness, &line)
            .map_err(|e| AppError::internal(format!("writing {}: {e}", self.witness.display())))?;
        *witnessed = row.tree_size;
        Ok(())
    }

    /// The signed notes in the witness file, oldest first (none if it does not exist yet);
    /// a line that cannot be read (cut short by a crash, or edited) is an `Err` naming it.
    pub fn witnessed_checkpoints(&self) -> Result<Vec<Result<String, String>>, String> {
        let text = match std::fs::read_to_string(&self.witness) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot read {}: {e}", self.witness.display())),
        };
        let mut notes = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let note = serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["note"].as_str().map(str::to_owned))
                .ok_or_else(|| format!("line {} of {} is not a checkpoint record", n + 1, WITNESS_FILE));
            notes.push(note);
        }
        Ok(notes)
    }

    /// A tree of the first `size` leaves (the whole log if `size` is its length).
    pub fn tree_of_size(&self, conn: &mut DbConnection, size: u64) -> Result<LedgerTree, AppError> {
        let cached = self.with_tree(conn, |tree| (tree.len() == size).then(|| tree.clone()))?;
        if let Some(tree) = cached {
            return Ok(tree);
        }
        let mut tree = LedgerTree::new();
        for (_, _, leaf) in
            repo::leaves_from(conn, 0)?.into_iter().take(usize::try_from(size).map_err(AppError::internal)?)
        {
            tree.push(leaf.into_bytes());
        }
        if tree.len() != size {
            return Err(AppError::NotFound("ledger size"));
        }
        Ok(tree)
    }
}

/// Appends a leaf (inside the caller's write transaction) and returns its index.
pub fn append(conn: &mut DbConnection, kind: &str, record: &Value) -> Result<(i64, String), AppError> {
    let canonical = to_canonical(record).map_err(AppError::internal)?;
    let idx = repo::next_index(conn)?;
    repo::insert_leaf(conn, idx, kind, &canonical, now_utc())?;
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

/// Inclusion proofs, against the latest checkpoint, for the given leaves.
pub fn inclusion_proofs(
    conn: &mut DbConnection,
    ledger: &Ledger,
    indexes: &[i64],
) -> Result<(CheckpointRow, Vec<AuditPath>), AppError> {
    let checkpoint = ledger.checkpoint(conn)?.ok_or(AppError::NotFound("checkpoint"))?;
    let size = u64::try_from(checkpoint.tree_size).map_err(AppError::internal)?;
    let tree = ledger.tree_of_size(conn, size)?;
    let proofs = indexes
        .iter()
        .map(|i| {
            u64::try_from(*i)
                .ok()
                .and_then(|i| tree.inclusion_proof(i))
                .ok_or_else(|| AppError::internal(format!("no inclusion proof for leaf {i}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((checkpoint, proofs))
}

/// Proof that the log at checkpoint `from` is a prefix of the log at checkpoint `to`; both
/// must be signed checkpoints.
pub fn consistency_proof(conn: &mut DbConnection, ledger: &Ledger, from: i64, to: i64) -> Result<Value, AppError> {
    if from < 1 || from > to {
        return Err(ValidationErrors::single("from", "must be at least 1 and at most 'to'").into());
    }
    let old = repo::checkpoint(conn, from)?.ok_or(AppError::NotFound("checkpoint"))?;
    let new = repo::checkpoint(conn, to)?.ok_or(AppError::NotFound("checkpoint"))?;
    let tree = ledger.tree_of_size(conn, u64::try_from(to).map_err(AppError::internal)?)?;
    let proof = tree.consistency_proof(u64::try_from(from).map_err(AppError::internal)?).unwrap_or_default();
    Ok(serde_json::json!({
        "from": from,
        "to": to,
        "old_checkpoint": old.signed_note,
        "new_checkpoint": new.signed_note,
        "proof": proof.iter().map(b64).collect::<Vec<_>>(),
        "verifier_key": ledger.verifier_key(),
    }))
}
