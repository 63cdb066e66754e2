//! Charging memos: drafts built from recorded facts and accepted mappings, immutable versions
//! with their content hash and ledger checkpoint, approval, PDF export; and FRE 902(14)
//! certification drafts per exhibit.

use askama::Template;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::db::repo::charges as charge_repo;
use crate::db::repo::evidence as evidence_repo;
use crate::db::repo::memos::{self as repo, MemoVersionRow};
use crate::db::{self, DbConnection};
use crate::domain::charge::{CellState, MappingStatus, coverage};
use crate::domain::custody::{CustodyAction, current_custodian};
use crate::domain::evidence::{Exhibit, ExhibitKind, ExhibitNumber};
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::{Incident, format_dollars};
use crate::domain::memo::{
    MemoCharge, MemoContent, MemoDefense, MemoElement, MemoExhibit, MemoProof, Narratives, VersionStamp, document,
};
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::pdf::{self, Block, Column, Document};
use crate::services::{audit, charges, evidence, incidents, ledger::Ledger, verify};
use crate::statutes::defense_prompt;

/// One saved memo version.
#[derive(Debug, Clone, Serialize)]
pub struct MemoVersion {
    pub version: i32,
    pub author: String,
    #[serde(skip)]
    pub author_id: String,
    pub created_at: time::PrimitiveDateTime,
    pub content_sha256: String,
    pub checkpoint_size: i64,
    pub checkpoint_root: String,
    pub catalog_version: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<time::PrimitiveDateTime>,
    pub approval_comment: Option<String>,
    pub content: MemoContent,
}

impl MemoVersion {
    pub fn document(&self) -> Document {
        document(
            &self.content,
            &VersionStamp {
                version: self.version,
                author: &self.author,
                created_at: self.created_at,
                content_sha256: &self.content_sha256,
            },
        )
    }
}

fn ensure_drafts(incident: &Incident, user: &User) -> Result<(), AppError> {
    if user.role.decides_charges() && incidents::can_write(incident, user) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "a {} cannot write charging memos: prosecutors and supervisors do",
            user.role.label().to_lowercase()
        )))
    }
}

/// How an exhibit of this kind is usually authenticated.
fn authentication(exhibit: &Exhibit) -> &'static str {
    match (exhibit.kind, exhibit.file.is_some()) {
        (ExhibitKind::PhysicalItem, _) => "Chain-of-custody testimony",
        (ExhibitKind::ServerLog | ExhibitKind::AgentTrace | ExhibitKind::NetworkCapture, _) => "FRE 902(13)",
        (ExhibitKind::FinancialRecord, _) => "FRE 902(11)",
        (_, true) => "FRE 902(14)",
        (_, false) => "Witness",
    }
}

fn date_text(at: time::PrimitiveDateTime) -> String {
    at.date().to_string()
}

/// The facts of the incident as they stand: everything but the narratives.
fn gather(conn: &mut DbConnection, incident: &Incident, today: time::Date) -> Result<MemoContent, AppError> {
    let catalog = charges::catalog()?;
    let incident_id = incident.id.to_string();
    let d = &incident.details;
    let charge_list = charge_repo::charges_of(conn, &incident_id)?;
    let mappings = charge_repo::mappings_of_incident(conn, &incident_id)?;
    let exhibits = evidence_repo::for_incident(conn, &incident_id)?;

    let mut intact: HashMap<ExhibitNumber, bool> = HashMap::new();
    let mut memo_exhibits = Vec::new();
    let mut chronology: Vec<(time::PrimitiveDateTime, String)> = Vec::new();
    for x in &exhibits {
        let events = evidence_repo::events_of(conn, &x.id)?;
        let ok = verify::chain_intact(x, &events)?;
        intact.insert(x.number, ok);
        let state = events.iter().rev().find(|e| matches!(e.action, CustodyAction::Disposed | CustodyAction::Released));
        let custody = match (ok, state) {
            (false, _) => "CHAIN BROKEN: verification failed".to_owned(),
            (true, Some(e)) => format!("intact; {} {}", e.action.label().to_lowercase(), date_text(e.occurred_at)),
            (true, None) => "intact".to_owned(),
        };
        for e in &events {
            let line = match e.action {
                CustodyAction::Acquired => {
                    Some(format!("{} acquired by {} ({})", x.number, x.acquisition.acquired_by, x.acquisition.method))
                }
                CustodyAction::Transferred => Some(format!(
                    "{} transferred from {} to {}",
                    x.number,
                    e.details.from_custodian.as_deref().unwrap_or("?"),
                    e.details.to_custodian.as_deref().unwrap_or("?")
                )),
                CustodyAction::Analyzed => {
                    Some(format!("{} analyzed: {}", x.number, e.details.purpose.as_deref().unwrap_or("analysis")))
                }
                _ => None,
            };
            if let Some(line) = line {
                chronology.push((e.occurred_at, line));
            }
        }
        memo_exhibits.push(MemoExhibit {
            number: x.number.to_string(),
            kind: x.kind.label().to_owned(),
            description: x.description.clone(),
            sha256: x.file.as_ref().map(|f| f.sha256.clone()),
            custody: if ok { custody } else { "CHAIN BROKEN: verification failed".into() },
            custodian: current_custodian(&events).unwrap_or_else(|| "unknown".into()),
            acquired: date_text(x.acquisition.acquired_at),
            authority: x.acquisition.legal_authority.clone(),
            authentication: authentication(x).to_owned(),
        });
    }
    if let Some(first) = d.first_offense_date {
        chronology.push((first.midnight(), "First known offense conduct".into()));
    }
    if let Some(last) = d.last_offense_date {
        chronology.push((last.midnight(), "Last known offense conduct".into()));
    }
    chronology.sort_by_key(|entry| entry.0);

    let sha_of: HashMap<ExhibitNumber, Option<String>> =
        exhibits.iter().map(|x| (x.number, x.file.as_ref().map(|f| f.sha256.clone()))).collect();
    let rows = coverage(
        catalog,
        &charge_list,
        &mappings,
        &|n| intact.get(&n).copied().unwrap_or(false),
        d.last_offense_date,
        today,
    );
    let mut memo_charges = Vec::new();
    let mut defenses: Vec<(String, Vec<i32>)> = Vec::new();
    let mut approvals = vec!["Supervisory approval of the charges (JM 9-27.300)".to_owned()];
    for row in &rows {
        let Some(offense) = catalog.offense(&row.charge.offense_id) else { continue };
        for key in &offense.defenses {
            match defenses.iter_mut().find(|(k, _)| k == key) {
                Some((_, counts)) => counts.push(row.charge.count),
                None => defenses.push((key.clone(), vec![row.charge.count])),
            }
        }
        if offense.statute.contains("1030") {
            let ccips = "Consultation with CCIPS before any § 1030 count (JM 9-48.000)".to_owned();
            if !approvals.contains(&ccips) {
                approvals.push(ccips);
            }
        }
        if offense.id == "CFAA-A1" {
            approvals.push("National Security Division consultation (§ 1030(a)(1))".into());
        }
        let elements = row
            .cells
            .iter()
            .map(|cell| {
                let proof: Vec<MemoProof> = mappings
                    .iter()
                    .filter(|m| {
                        m.charge_id == row.charge.id
                            && m.element_id == cell.element_id
                            && m.status == MappingStatus::Accepted
                            && intact.get(&m.exhibit).copied().unwrap_or(false)
                    })
                    .map(|m| MemoProof {
                        exhibit: m.exhibit.to_string(),
                        sha256: sha_of.get(&m.exhibit).cloned().flatten(),
                        pin: m.pin(),
                        custody: "custody intact".into(),
                    })
                    .collect();
                let gaps = match (cell.state, cell.required) {
                    (CellState::Proven, _) => String::new(),
                    (_, false) => "Not pleaded".to_owned(),
                    (CellState::Proposed, true) => {
                        "Gap: evidence offered but not yet accepted by a reviewer".to_owned()
                    }
                    (CellState::Gap, true) => "Gap: no evidence accepted".to_owned(),
                };
                MemoElement {
                    id: cell.element_id.clone(),
                    text: cell.text.clone(),
                    label: cell.label.to_owned(),
                    penalty_fact: cell.kind == crate::statutes::ElementKind::PenaltyFact,
                    proof,
                    gaps,
                }
            })
            .collect();
        let l = &row.limitation;
        let limitation = match l.deadline {
            Some(deadline) => format!(
                "{deadline}: {} years from {} ({}){}",
                l.years,
                l.offense_date.map(|d| d.to_string()).unwrap_or_default(),
                l.authority,
                match l.state {
                    crate::domain::charge::DeadlineState::Passed => "; PASSED",
                    crate::domain::charge::DeadlineState::Warning => "; within 180 days",
                    _ => "",
                }
            ),
            None => format!("No offense date recorded ({} years, {})", l.years, l.authority),
        };
        memo_charges.push(MemoCharge {
            count: row.charge.count,
            citation: row.citation.clone(),
            title: row.title.clone(),
            concerns: row.charge.concerns.clone(),
            unit: offense.unit.clone(),
            maximum: row.maximum_text.clone(),
            minimum: match (row.minimum_years, row.consecutive) {
                (0, _) => String::new(),
                (n, true) => format!("mandatory {n} years, consecutive to any other sentence"),
                (n, false) => format!("mandatory minimum {n} years"),
            },
            penalty_facts: row
                .charge
                .penalty_facts
                .iter()
                .map(|id| {
                    let text = offense.element(id).map(|e| e.text.clone()).unwrap_or_default();
                    format!("{id}: {text}")
                })
                .collect(),
            readily_provable: row.readily_provable,
            most_serious: row.most_serious,
            limitation,
            guideline: offense.guideline.clone(),
            elements,
        });
        if offense.min_years > 0 {
            let note = "Mandatory-minimum charging considerations (JM 9-27.310)".to_owned();
            if !approvals.contains(&note) {
                approvals.push(note);
            }
        }
    }
    let memo_defenses = defenses
        .into_iter()
        .filter_map(|(key, counts)| {
            defense_prompt(&key).map(|(title, prompt)| MemoDefense {
                title: title.to_owned(),
                prompt: prompt.to_owned(),
                counts: format!(
                    "count{} {}",
                    if counts.len() > 1 { "s" } else { "" },
                    counts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            })
        })
        .collect();
    Ok(MemoContent {
        incident: incident.number.to_string(),
        title: d.title.clone(),
        district: d.district.clone().unwrap_or_else(|| "Not yet determined".into()),
        offense_dates: match (d.first_offense_date, d.last_offense_date) {
            (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
            (Some(a), _) | (None, Some(a)) => a.to_string(),
            (None, None) => "Not recorded".into(),
        },
        status: incident.status.label().to_owned(),
        subjects: d.subjects.iter().map(|s| (s.name.clone(), s.description.clone())).collect(),
        victims: d
            .victims
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.kind.label().to_owned(),
                    v.estimated_loss_cents.map(format_dollars).unwrap_or_else(|| "unknown".into()),
                )
            })
            .collect(),
        ai_modalities: d.ai_modalities.iter().map(|m| m.label().to_owned()).collect(),
        chronology: chronology.into_iter().map(|(at, text)| (date_text(at), text)).collect(),
        charges: memo_charges,
        defenses: memo_defenses,
        exhibits: memo_exhibits,
        narratives: Narratives::default(),
        catalog_version: catalog.version.clone(),
        checkpoint_size: 0,
        checkpoint_root: String::new(),
        checkpoint_note: String::new(),
        approvals_needed: approvals,
    })
}

/// The starting text of each narrative section, from the templates in `templates/memo/`.
#[derive(Template)]
#[template(path = "memo/narratives.txt", escape = "none")]
struct NarrativeTemplate<'a> {
    c: &'a MemoContent,
    section: &'a str,
    most_serious: Option<&'a MemoCharge>,
    total_loss: String,
    gap_count: usize,
    cfaa: bool,
}

fn default_narratives(content: &MemoContent, incident: &Incident) -> Result<Narratives, AppError> {
    let most_serious = content.charges.iter().find(|c| c.most_serious);
    let total_loss = format_dollars(incident.total_loss_cents());
    let gap_count = content
        .charges
        .iter()
        .flat_map(|c| c.elements.iter())
        .filter(|e| e.proof.is_empty() && !e.gaps.is_empty() && e.gaps != "Not pleaded")
        .count();
    let mut out = Narratives::default();
    for (name, _, _) in Narratives::default().fields() {
        let text = NarrativeTemplate {
            c: content,
            section: name,
            most_serious,
            total_loss: total_loss.clone(),
            gap_count,
            cfaa: content.charges.iter().any(|ch| ch.citation.contains("1030")),
        }
        .render()
        .map_err(|e| AppError::internal(format!("memo template: {e}")))?;
        let tidy = text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_owned();
        out.set(name, tidy);
    }
    Ok(out)
}

/// What the edit form starts from: the latest version's narratives, or the templates' text.
pub fn draft(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
) -> Result<(Incident, Narratives, Option<MemoVersion>), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let latest = repo::latest(conn, &incident.id.to_string())?.map(into_version).transpose()?;
    let narratives = match &latest {
        Some(v) => v.content.narratives.clone(),
        None => {
            let facts = gather(conn, &incident, now_utc().date())?;
            default_narratives(&facts, &incident)?
        }
    };
    Ok((incident, narratives, latest))
}

/// The templates' text for the incident as it stands (to start a section over).
pub fn fresh_narratives(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Narratives, AppError> {
    let incident = incidents::get(conn, user, number)?;
    let facts = gather(conn, &incident, now_utc().date())?;
    default_narratives(&facts, &incident)
}

fn into_version(row: MemoVersionRow) -> Result<MemoVersion, AppError> {
    let content: MemoContent =
        serde_json::from_str(&row.content).map_err(|e| AppError::internal(format!("stored memo content: {e}")))?;
    Ok(MemoVersion {
        version: row.version,
        author: row.author,
        author_id: row.author_id,
        created_at: row.created_at,
        content_sha256: row.content_sha256,
        checkpoint_size: row.checkpoint_size,
        checkpoint_root: row.checkpoint_root,
        catalog_version: row.catalog_version,
        approved_by: row.approved_by,
        approved_at: row.approved_at,
        approval_comment: row.approval_comment,
        content,
    })
}

/// Saves a new version: the facts as they stand now, the narratives given (the templates' text
/// for any left out), the latest signed checkpoint.
pub fn save_version(
    conn: &mut DbConnection,
    ledger: &Ledger,
    user: &User,
    number: IncidentNumber,
    narratives: Option<Narratives>,
) -> Result<MemoVersion, AppError> {
    let incident = incidents::get(conn, user, number)?;
    ensure_drafts(&incident, user)?;
    let mut content = gather(conn, &incident, now_utc().date())?;
    let defaults = default_narratives(&content, &incident)?;
    let mut chosen = narratives.unwrap_or_default();
    let mut errors = ValidationErrors::new();
    for (name, label, text) in chosen.clone().fields() {
        if text.chars().count() > 20_000 {
            errors.add(name, format!("{label} must be at most 20,000 characters"));
        }
        if text.trim().is_empty() {
            let default = defaults.fields().iter().find(|f| f.0 == name).map(|f| f.2.to_owned()).unwrap_or_default();
            chosen.set(name, default);
        } else {
            chosen.set(name, text.replace("\r\n", "\n").trim().to_owned());
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    content.narratives = chosen;
    let checkpoint = ledger.checkpoint(conn)?.ok_or_else(|| AppError::internal("the ledger has no checkpoint"))?;
    content.checkpoint_size = checkpoint.tree_size;
    content.checkpoint_root = checkpoint.root_hash.clone();
    content.checkpoint_note = checkpoint.signed_note.clone();
    let text = serde_json::to_string(&content).map_err(AppError::internal)?;
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let incident_id = incident.id.to_string();
    let version = db::write_transaction(conn, |conn| -> Result<i32, AppError> {
        let version = repo::next_version(conn, &incident_id)?;
        repo::insert(
            conn,
            &repo::NewMemoVersionRow {
                id: uuid::Uuid::new_v4().to_string(),
                incident_id: incident_id.clone(),
                version,
                author_id: user.id.to_string(),
                created_at: now_utc(),
                content: text.clone(),
                content_sha256: sha.clone(),
                checkpoint_size: checkpoint.tree_size,
                checkpoint_root: checkpoint.root_hash.clone(),
                catalog_version: content.catalog_version.clone(),
            },
        )?;
        audit::record(
            conn,
            Some(user.id),
            "memo.saved",
            Some(incident.id),
            json!({ "version": version, "content_sha256": sha, "checkpoint_size": checkpoint.tree_size }),
        )?;
        Ok(version)
    })?;
    get_version(conn, &incident, Some(version))
}

/// One version of the incident's memo; the latest when `version` is None.
fn get_version(conn: &mut DbConnection, incident: &Incident, version: Option<i32>) -> Result<MemoVersion, AppError> {
    let incident_id = incident.id.to_string();
    let row = match version {
        Some(v) => repo::find(conn, &incident_id, v)?,
        None => repo::latest(conn, &incident_id)?,
    };
    row.map(into_version).transpose()?.ok_or(AppError::NotFound("memo version"))
}

/// One version (the latest when `version` is None).
pub fn version(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    version: Option<i32>,
) -> Result<(Incident, MemoVersion), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let found = get_version(conn, &incident, version)?;
    Ok((incident, found))
}

/// Every version, newest first.
pub fn versions(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Vec<MemoVersion>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    repo::all(conn, &incident.id.to_string())?.into_iter().map(into_version).collect()
}

/// A supervisor marks a version approved (once).
pub fn approve(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    v: i32,
    comment: &str,
) -> Result<MemoVersion, AppError> {
    let (incident, found) = version(conn, user, number, Some(v))?;
    if user.role != crate::domain::user::Role::Supervisor {
        return Err(AppError::Forbidden("only a supervisor approves a memo version".into()));
    }
    if found.approved_by.is_some() {
        return Err(AppError::conflict("already_approved", format!("version {v} is already approved")));
    }
    let memo_id = repo::id_of(conn, &incident.id.to_string(), v)?.ok_or(AppError::NotFound("memo version"))?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        repo::approve(conn, &memo_id, &user.id.to_string(), now_utc(), comment.trim())?;
        audit::record(
            conn,
            Some(user.id),
            "memo.approved",
            Some(incident.id),
            json!({ "version": v, "content_sha256": found.content_sha256, "comment": comment.trim() }),
        )
    })?;
    get_version(conn, &incident, Some(v))
}

/// Renders a version to PDF and records the export, with the PDF's SHA-256, in the audit
/// trail (and so in the ledger). Returns the bytes and their SHA-256.
pub fn export_pdf(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    v: Option<i32>,
) -> Result<(MemoVersion, Vec<u8>, String), AppError> {
    let (incident, found) = version(conn, user, number, v)?;
    export(conn, &incident, found, Some(user))
}

/// The same, for the operator at the command line (who holds the data directory, not an
/// account): the audit record names no user.
pub fn export_pdf_as_operator(
    conn: &mut DbConnection,
    number: IncidentNumber,
    v: Option<i32>,
) -> Result<(MemoVersion, Vec<u8>, String), AppError> {
    let incident = crate::db::repo::incidents::load(conn, number)?.ok_or(AppError::NotFound("incident"))?;
    let found = get_version(conn, &incident, v)?;
    export(conn, &incident, found, None)
}

fn export(
    conn: &mut DbConnection,
    incident: &Incident,
    found: MemoVersion,
    user: Option<&User>,
) -> Result<(MemoVersion, Vec<u8>, String), AppError> {
    let bytes = pdf::render(&found.document());
    let sha = hex::encode(Sha256::digest(&bytes));
    db::write_transaction(conn, |conn| {
        audit::record(
            conn,
            user.map(|u| u.id),
            "memo.exported",
            Some(incident.id),
            json!({
                "version": found.version,
                "content_sha256": found.content_sha256,
                "pdf_sha256": sha,
                "bytes": bytes.len(),
                "by": if user.is_some() { "web" } else { "command line" },
            }),
        )
    })?;
    Ok((found, bytes, sha))
}

/// A line-by-line comparison of two versions' text.
pub fn diff(older: &MemoVersion, newer: &MemoVersion) -> Vec<(char, String)> {
    let a = pdf::to_text(&older.document());
    let b = pdf::to_text(&newer.document());
    similar::TextDiff::from_lines(&a, &b)
        .iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            (sign, change.value().trim_end_matches('\n').to_owned())
        })
        .collect()
}

/// An FRE 902(14) certification draft for one exhibit, for a qualified person to complete
/// and sign: the checklist of the statutes reference, section 6.
pub fn certificate_document(
    incident: &Incident,
    exhibit: &Exhibit,
    events: &[crate::domain::custody::CustodyEvent],
    intact: bool,
    certifier: &str,
) -> Document {
    let a = &exhibit.acquisition;
    let file = exhibit.file.as_ref();
    let sha = file
        .map(|f| f.sha256.clone())
        .unwrap_or_else(|| "(no file: this item cannot be certified under 902(14))".into());
    let original = events
        .iter()
        .find(|e| e.action == CustodyAction::Acquired)
        .and_then(|e| e.details.digest_observed.clone())
        .unwrap_or_else(|| sha.clone());
    let matches = file.is_some_and(|f| f.sha256 == original);
    let mut custody_rows = Vec::new();
    for e in events {
        let who = match (&e.details.from_custodian, &e.details.to_custodian) {
            (Some(f), Some(t)) => format!("{f} to {t}"),
            (None, Some(t)) => format!("to {t}"),
            (Some(f), None) => format!("from {f}"),
            (None, None) => e.actor.clone(),
        };
        custody_rows.push(vec![
            vec![e.seq.to_string()],
            vec![format!("{} UTC", e.occurred_at.date())],
            vec![e.action.label().to_owned()],
            vec![who],
        ]);
    }
    let blocks = vec![
        Block::Title("Certification of data copied from an electronic device, storage medium or file (FRE 902(14))".into()),
        Block::Plain("UNITED STATES DISTRICT COURT".into()),
        Block::Plain(format!("{}  ·  United States v. ____________________  ·  Incident {}", incident.details.district.clone().unwrap_or_else(|| "District: ________".into()), incident.number)),
        Block::Heading(1, "1. Certifier".into()),
        Block::Paragraph(format!("I, {certifier}, am a qualified person: ____________________ (title, employer), with ____________________ (training and experience in digital forensics). I make this certification from my own knowledge and from records kept in the ordinary course.")),
        Block::Heading(1, "2. The source and how it was obtained".into()),
        Block::Facts(vec![
            ("Exhibit".into(), exhibit.number.to_string()),
            ("Description".into(), exhibit.description.clone()),
            ("Kind".into(), exhibit.kind.label().to_owned()),
            ("Source".into(), exhibit.source.clone()),
            ("Acquired".into(), format!("{} by {}", crate::domain::format_time(a.acquired_at), a.acquired_by)),
            ("Place".into(), a.location.clone()),
            ("Legal authority".into(), a.legal_authority.clone()),
            ("Method".into(), a.method.clone()),
            ("Tool and version".into(), if a.tool.is_empty() { "________".into() } else { a.tool.clone() }),
        ]),
        Block::Heading(1, "3. Process of digital identification".into()),
        Block::Paragraph("The copy was identified by its SHA-256 hash value, computed over every byte as the copy was received and recorded before any other use. SHA-256 is a cryptographic hash function: two different files with the same SHA-256 value are not known to exist. MD5 and SHA-1 values, computed for legacy tools, are listed for matching only.".into()),
        Block::Table(crate::pdf::Table {
            columns: vec![Column::text("Value", 0.3), Column::mono("SHA-256 (hex)", 0.7)],
            rows: vec![
                vec![vec!["Original (at acquisition)".into()], vec![original.clone()]],
                vec![vec!["Copy offered as this exhibit".into()], vec![sha.clone()]],
                vec![vec!["SHA-1 / MD5 of the copy".into()], vec![file.and_then(|f| f.sha1.clone()).unwrap_or_else(|| "n/a".into()), file.and_then(|f| f.md5.clone()).unwrap_or_else(|| "n/a".into())]],
            ],
        }),
        Block::Plain(if matches { "The two SHA-256 values match: the copy is identical to the original.".into() } else { "THE VALUES DO NOT MATCH (or no original value was recorded): do not certify until this is resolved.".into() }),
        Block::Heading(1, "4. Chain of custody".into()),
        Block::Plain(format!("Custos verified this exhibit's custody chain: {}. Storage controls: the file is kept in a content-addressed store; every custody event is hash-chained and entered in a signed, append-only ledger.", if intact { "intact" } else { "NOT INTACT" })),
        Block::Table(crate::pdf::Table {
            columns: vec![Column::text("#", 0.07), Column::text("Date", 0.2), Column::text("Event", 0.23), Column::text("Custodian", 0.5)],
            rows: custody_rows,
        }),
        Block::Heading(1, "5. Statement".into()),
        Block::Paragraph(format!("Exhibit {} is a true and accurate copy of the data identified above. I certify that the foregoing is true and correct, and that I would so testify if called as a witness.", exhibit.number)),
        Block::Paragraph("I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct (28 U.S.C. § 1746).".into()),
        Block::Plain("Executed on ______________ (date) at ______________ (place).".into()),
        Block::Signature(vec![format!("{certifier}, certifier"), "Title: ____________________".into()]),
        Block::Heading(2, "Notice (FRE 902(11))".into()),
        Block::Plain("Written notice of intent to offer this record served on ______________; record and certification made available for inspection on ______________.".into()),
    ];
    Document {
        title: format!("FRE 902(14) certification draft: exhibit {}", exhibit.number),
        author: certifier.to_owned(),
        subject: format!("Certification of exhibit {} (SHA-256 {})", exhibit.number, sha),
        keywords: vec!["FRE 902(14)".into(), exhibit.number.to_string()],
        header: "DRAFT FOR REVIEW - FRE 902(14) CERTIFICATION - NOT SIGNED".into(),
        footer: format!("Exhibit {} · SHA-256 {}", exhibit.number, sha),
        date: exhibit.created_at.assume_utc(),
        blocks,
    }
}

/// The certification draft for an exhibit, as PDF; the export is audited.
pub fn certificate_pdf(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
) -> Result<(Vec<u8>, String), AppError> {
    let (incident, exhibit) = evidence::get(conn, user, number)?;
    let events = evidence_repo::events_of(conn, &exhibit.id)?;
    let intact = verify::chain_intact(&exhibit, &events)?;
    let certifier = if user.full_name.is_empty() { user.username.clone() } else { user.full_name.clone() };
    let bytes = pdf::render(&certificate_document(&incident, &exhibit, &events, intact, &certifier));
    let sha = hex::encode(Sha256::digest(&bytes));
    db::write_transaction(conn, |conn| {
        audit::record(
            conn,
            Some(user.id),
            "certificate.exported",
            Some(incident.id),
            json!({ "exhibit": number, "rule": "FRE 902(14)", "pdf_sha256": sha }),
        )
    })?;
    Ok((bytes, sha))
}
