//! Charging memos: drafts built from recorded facts and accepted mappings, immutable versions
//! with their content hash and ledger checkpoint, approval, PDF export; and FRE 902(14)
//! certification drafts per exhibit.

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::repo::charges as charge_repo;
use crate::db::repo::evidence as evidence_repo;
use crate::db::repo::memos::{self as repo, MemoVersionRow};
use crate::db::{self, DbConnection};
use crate::documents::memo::{self as memo_document, MemoFacts, VersionStamp};
use crate::documents::{Document, certificate, to_text};
use crate::domain::audit::AuditAction;
use crate::domain::custody::custody_status;
use crate::domain::evidence::{CertifierChoice, ExhibitNumber, RawCertifier};
use crate::domain::ids::{IncidentNumber, UserId};
use crate::domain::incident::{Incident, Page};
use crate::domain::memo::{MemoContent, Narratives};
use crate::domain::policy;
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::pdf;
use crate::services::{audit, evidence, incidents, ledger::Ledger};

/// One saved memo version.
#[derive(Debug, Clone, Serialize)]
pub struct MemoVersion {
    pub version: i32,
    pub author: String,
    #[serde(skip)]
    pub author_id: UserId,
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
        memo_document::document(
            &self.content,
            &VersionStamp {
                version: self.version,
                author: &self.author,
                created_at: self.created_at,
                content_sha256: &self.content_sha256,
                approval: self.approved_by.as_deref().zip(self.approved_at),
            },
        )
    }
}

/// The incident's record as it stands, for the memo: loading only.
fn gather(conn: &mut DbConnection, incident: &Incident) -> Result<MemoFacts, AppError> {
    let incident_id = incident.id.to_string();
    let charges = charge_repo::charges_of(conn, &incident_id)?;
    let mappings = charge_repo::mappings_of_incident(conn, &incident_id)?;
    let latest = evidence_repo::latest_verifications(conn, &incident_id)?;
    let mut exhibits = Vec::new();
    for exhibit in evidence_repo::for_incident(conn, &incident_id)? {
        let events = evidence_repo::events_of(conn, exhibit.id)?;
        let verified = latest.get(&exhibit.id).cloned();
        exhibits.push((exhibit, events, verified));
    }
    let review_notes = charge_repo::acceptance_notes(conn, &incident_id)?;
    let people = crate::db::repo::people::of_incident(conn, &incident_id)?;
    let mut analyses = Vec::new();
    for kind in crate::domain::analysis::AnalysisKind::ALL {
        analyses.extend(crate::db::repo::analyses::latest_of_incident(conn, &incident_id, *kind)?);
    }
    Ok(MemoFacts { incident: incident.clone(), charges, mappings, exhibits, review_notes, people, analyses })
}

/// What the memo says today about the incident as recorded (everything but the narratives).
fn current_content(conn: &mut DbConnection, incident: &Incident) -> Result<MemoContent, AppError> {
    let facts = gather(conn, incident)?;
    let law = crate::services::other_statutes::law(conn, &incident.id.to_string())?;
    Ok(memo_document::compose(&facts, &law, now_utc().date()))
}

fn starting_narratives(content: &MemoContent, incident: &Incident) -> Result<Narratives, AppError> {
    memo_document::default_narratives(content, incident).map_err(|e| AppError::internal(format!("memo template: {e}")))
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
            let content = current_content(conn, &incident)?;
            starting_narratives(&content, &incident)?
        }
    };
    Ok((incident, narratives, latest))
}

/// The templates' text for the incident as it stands (to start a section over).
pub fn fresh_narratives(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Narratives, AppError> {
    let incident = incidents::get(conn, user, number)?;
    let content = current_content(conn, &incident)?;
    starting_narratives(&content, &incident)
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
    policy::draft_memo(user, &incident)?;
    let mut content = current_content(conn, &incident)?;
    let defaults = starting_narratives(&content, &incident)?;
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
            AuditAction::MemoSaved,
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

/// One page of an incident's memo versions, newest first.
pub fn versions_page(
    conn: &mut DbConnection,
    incident: &Incident,
    page: i64,
    per_page: i64,
) -> Result<Page<MemoVersion>, AppError> {
    let (rows, total) = repo::page(conn, &incident.id.to_string(), page, per_page)?;
    let items = rows.into_iter().map(into_version).collect::<Result<_, _>>()?;
    Ok(Page { items, total, page, per_page })
}

/// A supervisor marks a version approved (once).
pub fn approve(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    v: i32,
    comment: &str,
) -> Result<MemoVersion, AppError> {
    let incident = incidents::get(conn, user, number)?;
    let incident_id = incident.id.to_string();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        // Read inside the transaction: of two approvals at once, the second sees the first.
        let found = repo::find(conn, &incident_id, v)?.ok_or(AppError::NotFound("memo version"))?;
        policy::approve_memo(user, v, found.approved_by.is_some())?;
        repo::approve(conn, found.id, user.id, now_utc(), comment.trim())?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::MemoApproved,
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
    policy::export_documents(user, &incident)?;
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
            AuditAction::MemoExported,
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
    let a = to_text(&older.document());
    let b = to_text(&newer.document());
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

/// The certification draft for an exhibit, as PDF; the export is audited.
pub fn certificate_pdf(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    raw: &RawCertifier,
) -> Result<(Vec<u8>, String), AppError> {
    let (incident, exhibit) = evidence::get(conn, user, number)?;
    policy::export_documents(user, &incident)?;
    let events = evidence_repo::events_of(conn, exhibit.id)?;
    let latest = evidence_repo::latest_verification(conn, exhibit.id)?;
    let status = custody_status(&exhibit, &events, latest.as_ref());
    policy::certify(&exhibit, &status)?;
    let (certifier, qualifications) = match CertifierChoice::parse(raw)? {
        CertifierChoice::TeamMember { username, qualifications } => {
            let member = incident.members.iter().find(|m| m.username == username).ok_or_else(|| {
                ValidationErrors::single("certifier", format!("{username} is not on the team of {}", incident.number))
            })?;
            let name = if member.full_name.is_empty() { member.username.clone() } else { member.full_name.clone() };
            (name, qualifications)
        }
        CertifierChoice::Named { name, qualifications } => (name, Some(qualifications)),
    };
    let bytes = pdf::render(&certificate::document(
        &incident,
        &exhibit,
        &events,
        latest.as_ref(),
        &certificate::Certifier { name: &certifier, qualifications: qualifications.as_deref() },
    ));
    let sha = hex::encode(Sha256::digest(&bytes));
    db::write_transaction(conn, |conn| {
        audit::record(
            conn,
            Some(user.id),
            AuditAction::CertificateExported,
            Some(incident.id),
            json!({ "exhibit": number, "rule": "FRE 902(14)", "certifier": certifier, "pdf_sha256": sha }),
        )
    })?;
    Ok((bytes, sha))
}
