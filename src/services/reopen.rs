//! Sending accepted mappings back to review: when the catalog changes an element, or when an
//! exhibit's custody is impaired. Evidence, verification and charges all do it, so it lives
//! here, on its own, depending on none of them.

use serde_json::json;

use crate::db::DbConnection;
use crate::db::repo::charges::{self as repo, NewReviewRow};
use crate::db::repo::evidence as evidence_repo;
use crate::domain::audit::AuditAction;
use crate::domain::charge::{MappingStatus, ReviewDecision};
use crate::domain::ids::{ExhibitId, MappingId};
use crate::domain::now_utc;
use crate::error::AppError;
use crate::services::audit;
use crate::statutes;

/// What a review record states beside its decision: the exhibit's SHA-256 as the decider saw
/// it, the catalog version and the element's fingerprint.
pub struct Seen {
    pub exhibit_sha256: Option<String>,
    pub catalog_version: String,
    pub element_fingerprint: String,
}

/// Appends one review record to a mapping's history (inside a write transaction); `reviewer`
/// is `None` for Custos's own decisions. The one way every decision is written.
pub fn append_review(
    conn: &mut DbConnection,
    mapping_id: MappingId,
    reviewer: Option<crate::domain::ids::UserId>,
    decision: ReviewDecision,
    comment: &str,
    seen: &Seen,
    at: time::PrimitiveDateTime,
) -> Result<(), AppError> {
    let seq = repo::next_review_seq(conn, mapping_id)?;
    repo::insert_review(
        conn,
        &NewReviewRow {
            id: uuid::Uuid::new_v4().to_string(),
            mapping_id: mapping_id.to_string(),
            seq,
            reviewer_id: reviewer.map(|r| r.to_string()),
            decision: decision.as_str().to_owned(),
            comment: comment.to_owned(),
            exhibit_sha256: seen.exhibit_sha256.clone(),
            catalog_version: seen.catalog_version.clone(),
            element_fingerprint: seen.element_fingerprint.clone(),
            reviewed_at: at,
        },
    )?;
    Ok(())
}

/// Sends one accepted mapping back to review, saying why (inside a write transaction).
pub fn reopen(conn: &mut DbConnection, mapping_id: MappingId, reason: &str) -> Result<bool, AppError> {
    decide(conn, mapping_id, ReviewDecision::Reopened, AuditAction::MappingReopened, reason)
}

/// Revokes one accepted mapping whose element the catalog no longer has, saying why (inside a
/// write transaction): there is nothing left to review it against, so it proves nothing.
pub fn retire(conn: &mut DbConnection, mapping_id: MappingId, reason: &str) -> Result<bool, AppError> {
    decide(conn, mapping_id, ReviewDecision::Revoked, AuditAction::MappingRevoked, reason)
}

/// Custos's own decision on an accepted mapping: its status, a review record with no reviewer,
/// and an audit record.
fn decide(
    conn: &mut DbConnection,
    mapping_id: MappingId,
    decision: ReviewDecision,
    action: AuditAction,
    reason: &str,
) -> Result<bool, AppError> {
    let now = now_utc();
    if repo::set_mapping_status(conn, mapping_id, MappingStatus::Accepted, decision.status(), Some(reason), now)? == 0 {
        return Ok(false);
    }
    let Some((mapping, number)) = repo::find_mapping(conn, mapping_id)? else { return Ok(false) };
    let catalog = statutes::catalog().map_err(AppError::internal)?;
    let incident_id = crate::db::repo::incidents::find_id_by_number(conn, number.parse().map_err(AppError::internal)?)?;
    // The element as it stands now; an entered (out-of-catalog) element is the incident's.
    let fingerprint = match incident_id {
        Some(id) => crate::services::other_statutes::law(conn, &id.to_string())?,
        None => statutes::Law::catalog_only(catalog),
    }
    .element(&mapping.element_id)
    .map(|(_, e)| e.fingerprint())
    .unwrap_or_default();
    let seen = Seen {
        exhibit_sha256: evidence_repo::find(conn, mapping.exhibit)?.and_then(|e| e.file.map(|f| f.sha256)),
        catalog_version: catalog.version.clone(),
        element_fingerprint: fingerprint,
    };
    append_review(conn, mapping_id, None, decision, reason, &seen, now)?;
    audit::record(
        conn,
        None,
        action,
        incident_id,
        json!({ "mapping": mapping_id, "count": mapping.count, "element": mapping.element_id, "exhibit": mapping.exhibit, "reason": reason }),
    )?;
    Ok(true)
}

/// When `exhibit`'s custody is impaired (a failed verification, a digest that did not match,
/// a discrepancy): its accepted mappings go back to review, saying why. Returns how many.
/// Call inside the write transaction that records what impaired it.
pub fn reopen_for_impaired_custody(
    conn: &mut DbConnection,
    exhibit: ExhibitId,
    reason: &str,
) -> Result<usize, AppError> {
    let mut n = 0;
    for id in repo::accepted_of_exhibit(conn, exhibit)? {
        n += usize::from(reopen(conn, id, reason)?);
    }
    Ok(n)
}
