//! Verification: re-hash every blob, re-check every custody chain and the Merkle log against
//! the latest signed checkpoint, and name exactly what is wrong.

use serde::Serialize;
use std::collections::HashSet;

use crate::db::DbConnection;
use crate::db::repo::{audit as audit_repo, evidence as repo, ledger as ledger_repo};
use crate::domain::custody::{CustodyAction, CustodyEvent, event_record};
use crate::domain::evidence::Exhibit;
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
use crate::ledger::tree::LedgerTree;
use crate::ledger::{GENESIS_HASH, event_hash};
use crate::services::audit::audit_record;
use crate::services::ledger::Ledger;
use crate::storage::{BlobStore, sha256_of};

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub exhibit: Option<String>,
    pub event: Option<i32>,
    pub ledger_index: Option<i64>,
    pub problem: String,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut place = Vec::new();
        if let Some(exhibit) = &self.exhibit {
            place.push(format!("exhibit {exhibit}"));
        }
        if let Some(event) = self.event {
            place.push(format!("custody event {event}"));
        }
        if let Some(index) = self.ledger_index {
            place.push(format!("ledger leaf {index}"));
        }
        let place = if place.is_empty() { "ledger".to_owned() } else { place.join(", ") };
        write!(f, "{place}: {}\n    expected: {}\n    found:    {}", self.problem, self.expected, self.found)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerificationReport {
    pub exhibits_checked: usize,
    pub events_checked: usize,
    pub blobs_checked: usize,
    pub bytes_hashed: u64,
    pub leaves_checked: u64,
    pub checkpoint_size: Option<i64>,
    pub checkpoint_root: Option<String>,
    pub findings: Vec<Finding>,
}

impl VerificationReport {
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

impl Finding {
    /// A problem with an exhibit (by number), one of its events, or a ledger leaf.
    pub fn new(
        exhibit: Option<String>,
        event: Option<i32>,
        ledger_index: Option<i64>,
        problem: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Finding {
        Finding {
            exhibit,
            event,
            ledger_index,
            problem: problem.to_owned(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

fn finding(
    exhibit: Option<&Exhibit>,
    event: Option<i32>,
    index: Option<i64>,
    problem: &str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Finding {
    Finding::new(exhibit.map(|e| e.number.to_string()), event, index, problem, expected, found)
}

/// Total bytes of the blobs `verify` will re-hash, for a progress bar.
pub fn bytes_to_hash(exhibits: &[Exhibit]) -> u64 {
    exhibits.iter().filter_map(|e| e.file.as_ref()).map(|f| u64::try_from(f.size).unwrap_or(0)).sum()
}

/// Checks the ledger as a whole: leaves contiguous, the latest checkpoint signed by our key,
/// its root equal to the root of the stored leaves. Returns the leaves, by index, for the
/// per-event checks.
fn check_ledger(
    conn: &mut DbConnection,
    ledger: &Ledger,
    report: &mut VerificationReport,
) -> Result<Vec<String>, AppError> {
    // Sign a checkpoint for anything appended since the last one, so all leaves are covered.
    ledger.checkpoint(conn)?;
    let leaves = ledger_repo::leaves_from(conn, 0)?;
    let stored = leaves.len() as u64;
    let mut texts = Vec::with_capacity(leaves.len());
    for (idx, _, leaf) in leaves {
        let expected = i64::try_from(texts.len()).unwrap_or(i64::MAX);
        if idx != expected {
            report.findings.push(finding(
                None,
                None,
                Some(expected),
                "a ledger leaf is missing",
                format!("leaf {expected}"),
                format!("next stored leaf is {idx}"),
            ));
            // Keep positions aligned with indexes so later checks name the right leaves.
            while i64::try_from(texts.len()).unwrap_or(i64::MAX) < idx {
                texts.push(String::new());
            }
        }
        texts.push(leaf);
    }
    report.leaves_checked = stored;
    let Some(checkpoint) = ledger_repo::latest_checkpoint(conn)? else {
        return Ok(texts);
    };
    report.checkpoint_size = Some(checkpoint.tree_size);
    let verifier = ledger.verifier()?;
    let signed = match verifier.open_checkpoint(&checkpoint.signed_note) {
        Ok(signed) => signed,
        Err(e) => {
            report.findings.push(finding(
                None,
                None,
                None,
                "the latest checkpoint's signature does not verify",
                ledger.verifier_key(),
                e.to_string(),
            ));
            return Ok(texts);
        }
    };
    report.checkpoint_root = Some(hex::encode(signed.root));
    let size = signed.size;
    if stored < size {
        report.findings.push(finding(
            None,
            None,
            None,
            "the ledger holds fewer leaves than its signed checkpoint",
            size.to_string(),
            stored.to_string(),
        ));
        return Ok(texts);
    }
    let mut prefix = LedgerTree::new();
    for text in texts.iter().take(usize::try_from(size).unwrap_or(usize::MAX)) {
        prefix.push(text.clone().into_bytes());
    }
    if prefix.root() != signed.root {
        report.findings.push(finding(
            None,
            None,
            None,
            "the ledger's Merkle root differs from its signed checkpoint: a leaf was altered",
            format!("root {} at size {size}", hex::encode(signed.root)),
            format!("root {}", hex::encode(prefix.root())),
        ));
    }
    Ok(texts)
}

/// Checks one exhibit: its blob against its SHA-256, its chain link by link, and each event
/// against its ledger leaf.
/// Checks one exhibit's custody chain from its stored events alone: numbering, links, the
/// acquisition first, and each event's hash over its canonical bytes. Returns the findings
/// and each event's canonical bytes (for the comparison with the ledger).
fn check_chain(exhibit: &Exhibit, events: &[CustodyEvent]) -> Result<(Vec<Finding>, Vec<String>), AppError> {
    let mut findings = Vec::new();
    let mut canonicals = Vec::with_capacity(events.len());
    if events.is_empty() {
        findings.push(finding(
            Some(exhibit),
            Some(1),
            None,
            "the exhibit has no custody events",
            "an acquired event",
            "none",
        ));
    }
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1;
    for event in events {
        if event.seq != expected_seq {
            findings.push(finding(
                Some(exhibit),
                Some(expected_seq),
                None,
                "a custody event is missing",
                format!("event {expected_seq}"),
                format!("event {}", event.seq),
            ));
        }
        expected_seq = event.seq + 1;
        if event.prev_hash != prev_hash {
            findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the link to the previous event is broken",
                &prev_hash,
                &event.prev_hash,
            ));
        }
        if event.seq == 1 && event.action != CustodyAction::Acquired {
            findings.push(finding(
                Some(exhibit),
                Some(1),
                Some(event.ledger_index),
                "the first event is not the acquisition",
                "acquired",
                event.action.as_str(),
            ));
        }
        let record = event_record(
            exhibit,
            event.seq,
            event.action,
            &event.actor,
            event.occurred_at,
            event.recorded_at,
            &event.details,
            event.digest_matched,
            &event.prev_hash,
        );
        let canonical = to_canonical(&record).map_err(AppError::internal)?;
        let recomputed = event_hash(&canonical);
        if recomputed != event.event_hash {
            findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the event's stored contents do not match its hash",
                &event.event_hash,
                recomputed,
            ));
        }
        canonicals.push(canonical);
        prev_hash = event.event_hash.clone();
    }
    Ok((findings, canonicals))
}

/// Whether an exhibit's custody chain holds, from its stored events (no file re-hashing).
pub fn chain_intact(exhibit: &Exhibit, events: &[CustodyEvent]) -> Result<bool, AppError> {
    Ok(check_chain(exhibit, events)?.0.is_empty())
}

fn check_exhibit(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    exhibit: &Exhibit,
    leaves: &[String],
    seen_leaves: &mut HashSet<i64>,
    report: &mut VerificationReport,
    progress: &mut dyn FnMut(u64),
) -> Result<(), AppError> {
    report.exhibits_checked += 1;
    if let Some(file) = &exhibit.file {
        report.blobs_checked += 1;
        match store.open(&file.sha256).and_then(|f| sha256_of(std::io::BufReader::new(f), &mut *progress)) {
            Ok((found, size)) => {
                report.bytes_hashed += size;
                if found != file.sha256 {
                    report.findings.push(finding(
                        Some(exhibit),
                        None,
                        None,
                        "the stored file's SHA-256 differs from the recorded one",
                        &file.sha256,
                        found,
                    ));
                }
            }
            Err(e) => report.findings.push(finding(
                Some(exhibit),
                None,
                None,
                "the stored file cannot be read",
                &file.sha256,
                e.to_string(),
            )),
        }
    }
    let events = repo::events_of(conn, &exhibit.id)?;
    let (findings, canonical) = check_chain(exhibit, &events)?;
    report.events_checked += events.len();
    report.findings.extend(findings);
    for (event, canonical) in events.iter().zip(canonical) {
        seen_leaves.insert(event.ledger_index);
        match usize::try_from(event.ledger_index).ok().and_then(|i| leaves.get(i)) {
            Some(leaf) if leaf == &canonical => {}
            Some(leaf) => report.findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the event differs from its ledger leaf",
                leaf.clone(),
                canonical,
            )),
            None => report.findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the event's ledger leaf is missing",
                "a leaf",
                "none",
            )),
        }
    }
    Ok(())
}

/// Verifies the exhibits in scope (one incident's, or all) and the ledger they live in.
pub fn verify(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    ledger: &Ledger,
    exhibits: &[Exhibit],
    whole_ledger: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<VerificationReport, AppError> {
    let mut report = VerificationReport::default();
    let leaves = check_ledger(conn, ledger, &mut report)?;
    let mut seen = HashSet::new();
    for exhibit in exhibits {
        check_exhibit(conn, store, exhibit, &leaves, &mut seen, &mut report, progress)?;
    }
    if whole_ledger {
        check_unclaimed_leaves(conn, &leaves, &seen, &mut report)?;
    }
    // Each exhibit's result is kept (the dashboard lists failures), and evidence whose custody
    // no longer holds proves nothing until someone looks again.
    let at = crate::domain::now_utc();
    for exhibit in exhibits {
        let number = exhibit.number.to_string();
        let found: Vec<&Finding> =
            report.findings.iter().filter(|f| f.exhibit.as_deref() == Some(number.as_str())).collect();
        let first = found.first().map(|f| f.problem.as_str());
        let problems = i32::try_from(found.len()).unwrap_or(i32::MAX);
        repo::record_verification(conn, &exhibit.id, at, found.is_empty(), problems, first)?;
        if let Some(problem) = first {
            crate::services::charges::reopen_for_failed_custody(conn, exhibit, problem)?;
        }
    }
    Ok(report)
}

/// Every ledger leaf must still have its record: a custody event or an audit record whose
/// stored form gives the same bytes. A deleted or edited record shows up here.
fn check_unclaimed_leaves(
    conn: &mut DbConnection,
    leaves: &[String],
    seen: &HashSet<i64>,
    report: &mut VerificationReport,
) -> Result<(), AppError> {
    for (idx, leaf) in leaves.iter().enumerate() {
        let idx = i64::try_from(idx).unwrap_or(i64::MAX);
        if seen.contains(&idx) || leaf.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(leaf).unwrap_or_default();
        match value["type"].as_str() {
            Some("custody_event") => report.findings.push(Finding {
                exhibit: value["exhibit"].as_str().map(str::to_owned),
                event: value["seq"].as_i64().and_then(|s| i32::try_from(s).ok()),
                ledger_index: Some(idx),
                problem: "the custody event recorded in the ledger is missing from the database".into(),
                expected: leaf.clone(),
                found: "no such event".into(),
            }),
            Some("audit_record") => {
                let id = value["id"].as_i64().unwrap_or(-1);
                let stored = audit_repo::find(conn, id)?
                    .map(|row| to_canonical(&audit_record(&row, id)))
                    .transpose()
                    .map_err(AppError::internal)?;
                if stored.as_deref() != Some(leaf.as_str()) {
                    report.findings.push(finding(
                        None,
                        None,
                        Some(idx),
                        &format!("audit record {id} differs from its ledger leaf"),
                        leaf.clone(),
                        stored.unwrap_or_else(|| "no such record".into()),
                    ));
                }
            }
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
    Ok(())
}
