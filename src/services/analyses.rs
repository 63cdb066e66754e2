//! Analyses of an exhibit's file: an agent run parsed into a timeline, content credentials
//! read. Each runs in three steps so that no pooled connection is held while a file is read:
//! `prepare` (who may, which file), `analyze` (the file only), `record` (one transaction that
//! appends an `analyzed` custody event, whose ledger leaf carries the tool, its version, the
//! SHA-256 of the bytes it read and the SHA-256 of its result, and stores the result).

use sha2::{Digest, Sha256};
use std::io::{Read, Seek};

use crate::analysis::{agent_run, credentials};
use crate::db::repo::analyses::{self as repo, Form, NewAnalysisRow};
use crate::db::repo::charges as charges_repo;
use crate::db::{self, DbConnection};
use crate::domain::ValidationErrors;
use crate::domain::analysis::{Analysis, AnalysisKind, AnalysisRecord, Finding, RawAnalysisRequest};
use crate::domain::charge::ChargeStatus;
use crate::domain::custody::{CustodyAction, CustodyDetails};
use crate::domain::evidence::{Exhibit, ExhibitNumber};
use crate::domain::incident::Incident;
use crate::domain::now_utc;
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
use crate::services::evidence;
use crate::storage::BlobStore;

/// Why the analysis runs: recorded in the custody event's purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    OnUpload,
    OnRequest,
}

/// An analysis about to run: the exhibit, the kind, and the file's recorded digest.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub exhibit: Exhibit,
    pub kind: AnalysisKind,
    pub sha256: String,
    pub media_type: String,
    pub trigger: Trigger,
}

/// Checks that `user` may analyse the exhibit's file, and that the analysis applies to it.
pub fn prepare(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    raw: &RawAnalysisRequest,
    trigger: Trigger,
) -> Result<Prepared, AppError> {
    let (incident, exhibit) = evidence::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::RecordCustody)?;
    let kind: AnalysisKind = raw.kind.trim().parse().map_err(|m: String| ValidationErrors::single("kind", m))?;
    let Some(file) = &exhibit.file else {
        return Err(ValidationErrors::single("kind", "the exhibit has no file to analyse").into());
    };
    let media_type = file.media_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
    match kind {
        AnalysisKind::ContentCredentials if !credentials::applies_to(Some(&media_type)) => {
            return Err(ValidationErrors::single(
                "kind",
                format!("content credentials are read from image, audio and video files; this file is {media_type}"),
            )
            .into());
        }
        AnalysisKind::AgentRun if u64::try_from(file.size).unwrap_or(u64::MAX) > agent_run::MAX_RECORD_BYTES => {
            return Err(ValidationErrors::single(
                "kind",
                format!("the record is larger than the {} MiB Custos parses", agent_run::MAX_RECORD_BYTES >> 20),
            )
            .into());
        }
        _ => {}
    }
    if evidence::events(conn, &exhibit)?.iter().any(|e| e.action == CustodyAction::Disposed) {
        return Err(ValidationErrors::single(
            "kind",
            "the exhibit was disposed of; it takes no further custody events",
        )
        .into());
    }
    Ok(Prepared { sha256: file.sha256.clone(), exhibit, kind, media_type, trigger })
}

/// The result, and the SHA-256 of the bytes it was computed from.
pub struct Analyzed {
    pub finding: Finding,
    pub read_sha256: String,
}

/// Runs the analysis on the stored file. Needs no database connection. A record the parser
/// refuses is a validation error naming the line and the reason; nothing is recorded.
pub fn analyze(store: &dyn BlobStore, prepared: &Prepared) -> Result<Analyzed, AppError> {
    let unreadable = |e: std::io::Error| AppError::internal(format!("the stored file cannot be read: {e}"));
    let mut file = store.open(&prepared.sha256).map_err(unreadable)?;
    match prepared.kind {
        AnalysisKind::AgentRun => {
            let mut bytes = Vec::new();
            (&mut file).take(agent_run::MAX_RECORD_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
            let read_sha256 = hex::encode(Sha256::digest(&bytes));
            let timeline = agent_run::parse(&bytes).map_err(|refusal| {
                ValidationErrors::single("record", format!("the agent-run record was refused: {refusal}"))
            })?;
            Ok(Analyzed { finding: Finding::AgentRun(timeline), read_sha256 })
        }
        AnalysisKind::ContentCredentials => {
            // The reader seeks about the file: its digest is a pass of its own, then the
            // same file, rewound, is read.
            let (read_sha256, _) =
                crate::storage::sha256_of(std::io::BufReader::new(&mut file), |_| {}).map_err(unreadable)?;
            file.rewind().map_err(unreadable)?;
            let reading = credentials::read(&prepared.media_type, std::io::BufReader::new(file));
            Ok(Analyzed { finding: Finding::ContentCredentials(Box::new(reading)), read_sha256 })
        }
    }
}

/// Records the analysis: an `analyzed` custody event (a ledger leaf) and the result, in one
/// transaction. `user` is who asked for it, or who uploaded the file it ran on. Returns the
/// analysis with its preview (the whole result is read back with `latest`).
pub fn record(
    conn: &mut DbConnection,
    user: &User,
    prepared: &Prepared,
    analyzed: Analyzed,
) -> Result<Analysis, AppError> {
    let finding = analyzed.finding;
    let (tool, version) = finding.tool();
    let shown = finding.preview();
    let preview = to_canonical(&shown.to_json()).map_err(AppError::internal)?;
    let summary = finding.summary();
    // A large timeline is held in one form at a time: the finding, then its JSON value, then
    // the canonical text.
    let value = finding.to_json();
    drop(finding);
    let result = to_canonical(&value).map_err(AppError::internal)?;
    drop(value);
    let result_sha256 = hex::encode(Sha256::digest(result.as_bytes()));
    let exhibit = &prepared.exhibit;
    let recorded = db::write_transaction(conn, |conn| -> Result<Option<AnalysisRecord>, AppError> {
        let history = evidence::events(conn, exhibit)?;
        if history.iter().any(|e| e.action == CustodyAction::Disposed) {
            return Err(ValidationErrors::single(
                "kind",
                "the exhibit was disposed of; it takes no further custody events",
            )
            .into());
        }
        let seq = repo::next_seq(conn, exhibit.id)?;
        let why = match prepared.trigger {
            Trigger::OnUpload => "on upload",
            Trigger::OnRequest => "on request",
        };
        let details = CustodyDetails {
            purpose: Some(format!("{} by {tool} {version}, {why}", prepared.kind.label())),
            digest_observed: Some(analyzed.read_sha256.clone()),
            notes: format!(
                "Analysis {seq}: {summary}. The file was read, never changed. Result SHA-256 {result_sha256}."
            ),
            ..Default::default()
        };
        let matched = analyzed.read_sha256 == prepared.sha256;
        let event = evidence::append_event(
            conn,
            exhibit,
            &history,
            CustodyAction::Analyzed,
            Some(user),
            now_utc(),
            details,
            Some(matched),
        )?;
        if !matched {
            // The custody event records the mismatch (and impairs the exhibit); the result of
            // reading other bytes than the exhibit's is not kept as its analysis.
            return Ok(None);
        }
        let id = uuid::Uuid::new_v4().to_string();
        repo::insert(
            conn,
            &NewAnalysisRow {
                id: id.clone(),
                exhibit_id: exhibit.id.to_string(),
                seq,
                kind: prepared.kind.as_str().to_owned(),
                tool: tool.to_owned(),
                tool_version: version.to_owned(),
                exhibit_sha256: analyzed.read_sha256.clone(),
                result,
                result_sha256: result_sha256.clone(),
                preview,
                summary: summary.clone(),
                custody_event_id: event.id.clone(),
                recorded_by: Some(user.id.to_string()),
                recorded_at: event.recorded_at,
            },
        )?;
        Ok(Some(AnalysisRecord {
            id,
            exhibit: exhibit.number,
            seq,
            kind: prepared.kind,
            tool: tool.to_owned(),
            tool_version: version.to_owned(),
            exhibit_sha256: analyzed.read_sha256.clone(),
            result_sha256,
            summary,
            custody_seq: event.seq,
            ledger_index: event.ledger_index,
            recorded_by: event.actor,
            recorded_at: event.recorded_at,
        }))
    })?;
    let Some(record) = recorded else {
        return Err(AppError::Conflict {
            code: "digest-mismatch",
            detail: "the stored file no longer hashes to the exhibit's SHA-256; the mismatch is recorded in its chain of custody and no analysis was kept".into(),
        });
    };
    Ok(Analysis { record, finding: shown })
}

/// Prepares, runs and records in one call, for the command line and the demo (which hold a
/// connection throughout).
pub fn run_now(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    user: &User,
    number: ExhibitNumber,
    kind: AnalysisKind,
    trigger: Trigger,
) -> Result<Analysis, AppError> {
    let prepared = prepare(conn, user, number, &RawAnalysisRequest { kind: kind.as_str().to_owned() }, trigger)?;
    let analyzed = analyze(store, &prepared)?;
    record(conn, user, &prepared, analyzed)
}

/// The exhibit's analyses, newest first (at most 50, without reading their results twice).
pub fn list(conn: &mut DbConnection, user: &User, number: ExhibitNumber) -> Result<Vec<AnalysisRecord>, AppError> {
    let (_, exhibit) = evidence::get(conn, user, number)?;
    of(conn, &exhibit)
}

/// The analyses of an exhibit already read (newest 50).
pub fn of(conn: &mut DbConnection, exhibit: &Exhibit) -> Result<Vec<AnalysisRecord>, AppError> {
    Ok(repo::of_exhibit(conn, exhibit.id, 50)?)
}

/// The latest analysis of `kind` of an exhibit already read, with its preview (what the
/// exhibit page shows; a large timeline is not read whole for it).
pub fn latest_preview(
    conn: &mut DbConnection,
    exhibit: &Exhibit,
    kind: AnalysisKind,
) -> Result<Option<Analysis>, AppError> {
    Ok(repo::latest(conn, exhibit.id, kind, None, Form::Preview)?)
}

/// The exhibit's latest analysis of `kind` (or analysis `seq`), if any.
pub fn latest(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    kind: AnalysisKind,
    seq: Option<i32>,
) -> Result<(Incident, Exhibit, Option<Analysis>), AppError> {
    let (incident, exhibit) = evidence::get(conn, user, number)?;
    let analysis = repo::latest(conn, exhibit.id, kind, seq, Form::Whole)?;
    Ok((incident, exhibit, analysis))
}

/// A suggested mapping from a timeline step to an element of one of the incident's counts.
/// Custos never proposes or accepts it: a person opens the mapping form with it filled in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SuggestedMapping {
    pub step: u32,
    pub count: i32,
    pub offense: String,
    pub element_id: String,
    pub element_text: String,
    pub pin_kind: &'static str,
    pub pin_cite: String,
    pub rationale: String,
    /// Why Custos suggests it.
    pub because: String,
}

/// What a step's words suggest, and the words in an element's text that it bears on.
fn bears_on(step: &agent_run::Step) -> Vec<(&'static str, &'static [&'static str])> {
    use agent_run::{Signal, StepKind};
    let mut out: Vec<(&'static str, &'static [&'static str])> = Vec::new();
    match step.kind {
        StepKind::Instruction | StepKind::SystemInstruction => {
            out.push((
                "the operator's own words to the agent bear on the defendant's mental state",
                &["intent", "intentionally", "knowingly", "willfully"],
            ));
        }
        StepKind::ToolCall => {
            for signal in &step.signals {
                let words: &'static [&'static str] = match signal {
                    Signal::ExternalTarget => &["accessed", "access"],
                    Signal::CredentialUse => &["accessed", "means of identification", "access device"],
                    Signal::DataLeaving => &["obtained information", "obtained", "transmitted", "wire"],
                    Signal::Destructive => &["damage"],
                };
                out.push((signal.label(), words));
            }
        }
        _ => {}
    }
    out
}

/// Suggestions listed at most; the rest are counted.
pub const SUGGESTIONS_MAX: usize = 200;

/// Suggestions for the steps of `analysis`, against the counts of the exhibit's incident (at
/// most `SUGGESTIONS_MAX`), and how many more there are.
pub fn suggestions(
    conn: &mut DbConnection,
    incident: &Incident,
    analysis: &Analysis,
) -> Result<(Vec<SuggestedMapping>, usize), AppError> {
    let Some(timeline) = analysis.timeline() else { return Ok((Vec::new(), 0)) };
    let catalog = crate::statutes::catalog().map_err(AppError::internal)?;
    let charges = charges_repo::charges_of(conn, &incident.id.to_string())?;
    // Each element of each live count once, with its text in lower case for matching.
    let mut elements = Vec::new();
    for charge in charges.iter().filter(|c| c.status != ChargeStatus::Dropped) {
        let Some(offense) = catalog.offense(&charge.offense_id) else { continue };
        for element in offense.rows().filter(|e| e.kind == crate::statutes::ElementKind::Element) {
            elements.push((charge.count, offense.citation(), element, element.text.to_ascii_lowercase()));
        }
    }
    let mut out = Vec::new();
    let mut more = 0usize;
    for step in &timeline.steps {
        let reasons = bears_on(step);
        if reasons.is_empty() {
            continue;
        }
        for (count, citation, element, text) in &elements {
            let Some((because, _)) = reasons.iter().find(|(_, words)| words.iter().any(|w| text.contains(w))) else {
                continue;
            };
            if out.len() >= SUGGESTIONS_MAX {
                more += 1;
                continue;
            }
            let (pin_kind, pin_cite) = step.cite.pin();
            let mut rationale = format!(
                "{} ({}, {}): {}.",
                step.kind.label(),
                step.cite.text(),
                step.at.as_deref().unwrap_or("time not recorded"),
                step.summary()
            );
            if matches!(step.kind, agent_run::StepKind::Instruction | agent_run::StepKind::SystemInstruction) {
                rationale.push(' ');
                rationale.push_str(crate::statutes::CAUSING_THROUGH_AN_AGENT);
            }
            out.push(SuggestedMapping {
                step: step.n,
                count: *count,
                offense: citation.clone(),
                element_id: element.id.clone(),
                element_text: element.text.clone(),
                pin_kind,
                pin_cite,
                rationale,
                because: (*because).to_owned(),
            });
        }
    }
    Ok((out, more))
}
