//! Evidence intake and custody: registering exhibits (with or without a file), recording
//! custody events, and the background pass that adds SHA-1 and MD5.

use serde_json::json;

use crate::db::repo::evidence::{self as repo, CustodyEventRow, ExhibitRow};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::custody::{
    CustodyAction, CustodyDetails, CustodyEvent, CustodyEventDraft, CustodyStatus, RawCustodyEvent, custody_status,
    event_record, open_discrepancies,
};
use crate::domain::evidence::{Exhibit, ExhibitDraft, ExhibitFile, ExhibitKind, ExhibitNumber, RawExhibit};
use crate::domain::ids::{ExhibitId, IncidentNumber};
use crate::domain::incident::{Incident, Page};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::ledger::{GENESIS_HASH, event_hash};
use crate::services::{audit, incidents, ledger};
use crate::storage::{BlobStore, FinishedBlob};

/// An exhibit description that passed every check and whose incident the user may add to:
/// what an upload needs before its first byte is accepted.
pub struct PreparedExhibit {
    pub incident: Incident,
    pub draft: ExhibitDraft,
    parent_id: Option<ExhibitId>,
    user: User,
}

/// Checks access and the description; run before streaming any bytes.
pub fn prepare(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    raw: &RawExhibit,
) -> Result<PreparedExhibit, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddEvidence)?;
    let draft = ExhibitDraft::parse(raw, now_utc())?;
    let parent_id = match draft.parent {
        Some(parent) => {
            if parent.incident != number {
                return Err(ValidationErrors::single("parent", "must be an exhibit of the same incident").into());
            }
            Some(
                repo::id_of(conn, parent)?
                    .ok_or_else(|| ValidationErrors::single("parent", format!("{parent} does not exist")))?,
            )
        }
        None => None,
    };
    Ok(PreparedExhibit { incident, draft, parent_id, user: user.clone() })
}

/// Registers the exhibit. With a file: the blob, already fsynced, is compared with any digest
/// the client claimed, moved to its content address, and only then is the row written.
pub fn register(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    prepared: PreparedExhibit,
    blob: Option<FinishedBlob>,
) -> Result<Exhibit, AppError> {
    let PreparedExhibit { incident, draft, parent_id, user } = prepared;
    if let (Some(claimed), Some(blob)) = (&draft.claimed_sha256, &blob)
        && claimed != &blob.sha256
    {
        // The blob is dropped here, deleting its temporary file: nothing is stored.
        return Err(AppError::conflict(
            "digest_mismatch",
            format!("the file's SHA-256 is {}, not the {} that was claimed; nothing was stored", blob.sha256, claimed),
        ));
    }
    if draft.claimed_sha256.is_some() && blob.is_none() {
        return Err(ValidationErrors::single("sha256", "was given for an item without a file").into());
    }
    let file = blob.as_ref().map(|b| ExhibitFile {
        name: draft.file_name.clone(),
        media_type: draft.media_type.clone(),
        size: i64::try_from(b.size).unwrap_or(i64::MAX),
        sha256: b.sha256.clone(),
        sha1: None,
        md5: None,
    });
    if let Some(blob) = blob {
        store.commit(blob).map_err(|e| AppError::internal(format!("storing the evidence file: {e}")))?;
    }
    let number = db::write_transaction(conn, |conn| -> Result<ExhibitNumber, AppError> {
        let seq = repo::next_seq(conn, &incident.id.to_string())?;
        let number = ExhibitNumber::new(incident.number, seq)
            .ok_or_else(|| AppError::conflict("numbers_exhausted", "no exhibit numbers are left for this incident"))?;
        let now = now_utc();
        let exhibit = Exhibit {
            id: ExhibitId::new(),
            number,
            incident_id: incident.id,
            kind: draft.kind,
            description: draft.description.clone(),
            source: draft.source.clone(),
            acquisition: draft.acquisition.clone(),
            parent: draft.parent,
            file: file.clone(),
            created_by: user.id,
            created_at: now,
        };
        repo::insert(conn, &row_of(&exhibit, parent_id))?;
        let acquired = CustodyDetails {
            to_custodian: Some(draft.acquisition.acquired_by.clone()),
            location: Some(draft.acquisition.location.clone()).filter(|l| !l.is_empty()),
            purpose: Some(draft.acquisition.method.clone()),
            authority: Some(draft.acquisition.legal_authority.clone()).filter(|a| !a.is_empty()),
            digest_observed: file.as_ref().map(|f| f.sha256.clone()),
            notes: match &draft.claimed_sha256 {
                Some(_) => "SHA-256 computed by Custos during upload; matches the digest the sender claimed.".into(),
                None if file.is_some() => "SHA-256 computed by Custos during upload.".into(),
                None => "Registered without a file.".into(),
            },
            ..Default::default()
        };
        let matched = draft.claimed_sha256.as_ref().map(|_| true);
        append_event(
            conn,
            &exhibit,
            &[],
            CustodyAction::Acquired,
            Some(&user),
            draft.acquisition.acquired_at,
            acquired,
            matched,
        )?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ExhibitRegistered,
            Some(incident.id),
            json!({ "exhibit": number, "kind": draft.kind, "sha256": file.as_ref().map(|f| f.sha256.clone()) }),
        )?;
        Ok(number)
    })?;
    repo::find(conn, number)?.ok_or(AppError::NotFound("exhibit"))
}

fn row_of(exhibit: &Exhibit, parent_id: Option<ExhibitId>) -> ExhibitRow {
    let a = &exhibit.acquisition;
    ExhibitRow {
        id: exhibit.id.to_string(),
        incident_id: exhibit.incident_id.to_string(),
        number: exhibit.number.to_string(),
        seq: exhibit.number.seq,
        parent_id: parent_id.map(|p| p.to_string()),
        kind: exhibit.kind.as_str().to_owned(),
        description: exhibit.description.clone(),
        source: exhibit.source.clone(),
        acquisition_method: a.method.clone(),
        acquisition_tool: a.tool.clone(),
        acquired_by: a.acquired_by.clone(),
        acquired_at: a.acquired_at,
        acquisition_location: a.location.clone(),
        legal_authority: a.legal_authority.clone(),
        file_name: exhibit.file.as_ref().and_then(|f| f.name.clone()),
        media_type: exhibit.file.as_ref().and_then(|f| f.media_type.clone()),
        size_bytes: exhibit.file.as_ref().map(|f| f.size),
        sha256: exhibit.file.as_ref().map(|f| f.sha256.clone()),
        sha1: None,
        md5: None,
        created_by: exhibit.created_by.to_string(),
        created_at: exhibit.created_at,
    }
}

/// Appends one event to the exhibit's chain and to the ledger (inside a write transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_event(
    conn: &mut DbConnection,
    exhibit: &Exhibit,
    history: &[CustodyEvent],
    action: CustodyAction,
    actor: Option<&User>,
    occurred_at: time::PrimitiveDateTime,
    details: CustodyDetails,
    digest_matched: Option<bool>,
) -> Result<CustodyEvent, AppError> {
    let seq = history.last().map_or(1, |e| e.seq + 1);
    let prev_hash = history.last().map_or(GENESIS_HASH.to_owned(), |e| e.event_hash.clone());
    let actor_name = actor.map_or_else(|| SYSTEM_ACTOR.to_owned(), |u| u.username.clone());
    let recorded_at = now_utc();
    let record =
        event_record(exhibit, seq, action, &actor_name, occurred_at, recorded_at, &details, digest_matched, &prev_hash);
    let (ledger_index, canonical) = ledger::append(conn, "custody_event", &record)?;
    let event = CustodyEvent {
        id: uuid::Uuid::new_v4().to_string(),
        seq,
        action,
        actor: actor_name,
        occurred_at,
        recorded_at,
        details,
        digest_matched,
        prev_hash,
        event_hash: event_hash(&canonical),
        ledger_index,
    };
    repo::insert_event(
        conn,
        &CustodyEventRow {
            id: event.id.clone(),
            exhibit_id: exhibit.id.to_string(),
            seq,
            action: action.as_str().to_owned(),
            actor_id: actor.map(|u| u.id.to_string()),
            actor: event.actor.clone(),
            from_custodian: event.details.from_custodian.clone(),
            to_custodian: event.details.to_custodian.clone(),
            occurred_at,
            recorded_at,
            location: event.details.location.clone(),
            purpose: event.details.purpose.clone(),
            authority: event.details.authority.clone(),
            seal_number: event.details.seal_number.clone(),
            seal_condition: event.details.seal_condition.clone(),
            digest_observed: event.details.digest_observed.clone(),
            digest_matched,
            notes: event.details.notes.clone(),
            prev_hash: event.prev_hash.clone(),
            event_hash: event.event_hash.clone(),
            ledger_index,
        },
    )?;
    // An event that records a problem (a digest that did not match, a discrepancy, a break in
    // continuity) impairs the exhibit at once: what it was accepted to prove goes back to
    // review, in this same transaction.
    let mut after = history.to_vec();
    after.push(event.clone());
    if let Some(new) = open_discrepancies(&after).into_iter().find(|i| i.event == Some(event.seq)) {
        let reason = format!("custody of {} impaired: event {}: {}", exhibit.number, event.seq, new.reason);
        crate::services::reopen::reopen_for_impaired_custody(conn, exhibit.id, &reason)?;
    }
    Ok(event)
}

/// How Custos names itself when it records an event on its own (the background digest pass).
pub const SYSTEM_ACTOR: &str = "custos";

/// An exhibit with its incident, if the user may see it.
pub fn get(conn: &mut DbConnection, user: &User, number: ExhibitNumber) -> Result<(Incident, Exhibit), AppError> {
    // Seeing the incident is what grants seeing its exhibits.
    let incident = incidents::get(conn, user, number.incident).map_err(|_| AppError::NotFound("exhibit"))?;
    let exhibit = repo::find(conn, number)?.ok_or(AppError::NotFound("exhibit"))?;
    Ok((incident, exhibit))
}

/// Records, after upload, the exhibit this one was taken from (an extraction from an image):
/// same incident, no cycle, and only where no parent is recorded yet. An audit record (so in
/// the ledger) keeps the correction in the history.
pub fn set_parent(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    parent: &str,
) -> Result<Exhibit, AppError> {
    let (incident, _) = get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddEvidence)?;
    let parent: ExhibitNumber = parent.trim().parse().map_err(|e: String| ValidationErrors::single("parent", e))?;
    if parent.incident != number.incident {
        return Err(
            ValidationErrors::single("parent", format!("{parent} is not an exhibit of {}", number.incident)).into()
        );
    }
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let exhibit = repo::find(conn, number)?.ok_or(AppError::NotFound("exhibit"))?;
        if let Some(existing) = exhibit.parent {
            return Err(AppError::conflict(
                "parent_recorded",
                format!("{number} is already recorded as taken from {existing}; the record is not overwritten"),
            ));
        }
        // Walk up from the proposed parent: this exhibit must not be among its ancestors.
        let mut at = Some(parent);
        let mut steps = 0;
        while let Some(n) = at {
            if n == number {
                return Err(
                    ValidationErrors::single("parent", format!("{parent} was itself taken from {number}")).into()
                );
            }
            let found = repo::find(conn, n)?
                .ok_or_else(|| ValidationErrors::single("parent", format!("{n} does not exist")))?;
            at = found.parent;
            steps += 1;
            if steps > 10_000 {
                return Err(AppError::internal("exhibit ancestry does not end"));
            }
        }
        let parent_id = repo::id_of(conn, parent)?.ok_or(AppError::NotFound("exhibit"))?;
        if repo::set_parent(conn, exhibit.id, parent_id)? == 0 {
            return Err(AppError::conflict("parent_recorded", format!("{number} already has a parent recorded")));
        }
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ExhibitParentSet,
            Some(incident.id),
            json!({ "exhibit": number, "parent": parent }),
        )
    })?;
    repo::find(conn, number)?.ok_or(AppError::NotFound("exhibit"))
}

/// How a team member opens an exhibit's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAccess {
    Download,
    View,
}

/// The exhibit whose file a team member opens, after recording who opened it and how (an
/// audit record, so in the ledger). `record` is false for the later parts of one reading (a
/// media player's range requests), so that seeking does not flood the trail.
pub fn open_file(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    access: FileAccess,
    record: bool,
) -> Result<(Exhibit, crate::domain::evidence::ExhibitFile), AppError> {
    let (incident, exhibit) = get(conn, user, number)?;
    let file = exhibit.file.clone().ok_or(AppError::NotFound("file"))?;
    if record {
        crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
            audit::record(
                conn,
                Some(user.id),
                match access {
                    FileAccess::Download => AuditAction::ExhibitDownloaded,
                    FileAccess::View => AuditAction::ExhibitViewed,
                },
                Some(incident.id),
                json!({ "exhibit": number, "sha256": file.sha256 }),
            )
        })?;
    }
    Ok((exhibit, file))
}

pub fn events(conn: &mut DbConnection, exhibit: &Exhibit) -> Result<Vec<CustodyEvent>, AppError> {
    Ok(repo::events_of(conn, exhibit.id)?)
}

/// When the exhibit was last verified, and whether that verification passed.
pub fn latest_verification(
    conn: &mut DbConnection,
    exhibit: &Exhibit,
) -> Result<Option<crate::domain::custody::LatestVerification>, AppError> {
    Ok(repo::latest_verification(conn, exhibit.id)?)
}

/// One exhibit's custody status, from its events and latest verification.
pub fn custody_status_of(
    conn: &mut DbConnection,
    exhibit: &Exhibit,
    events: &[CustodyEvent],
) -> Result<CustodyStatus, AppError> {
    let latest = repo::latest_verification(conn, exhibit.id)?;
    Ok(custody_status(exhibit, events, latest.as_ref()))
}

/// Every exhibit of an incident with its custody events and status, in exhibit order: what
/// the coverage matrix, the memo and the dashboard judge custody by.
pub fn with_status(
    conn: &mut DbConnection,
    incident: &Incident,
) -> Result<Vec<(Exhibit, Vec<CustodyEvent>, CustodyStatus)>, AppError> {
    let incident_id = incident.id.to_string();
    let latest = repo::latest_verifications(conn, &incident_id)?;
    let mut events = repo::events_of_incident(conn, &incident_id)?;
    let mut out = Vec::new();
    for exhibit in repo::for_incident(conn, &incident_id)? {
        let events = events.remove(&exhibit.id.to_string()).unwrap_or_default();
        let status = custody_status(&exhibit, &events, latest.get(&exhibit.id));
        out.push((exhibit, events, status));
    }
    Ok(out)
}

pub fn list(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Vec<Exhibit>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    Ok(repo::for_incident(conn, &incident.id.to_string())?)
}

/// Which of an incident's exhibits a list shows.
#[derive(Debug, Clone, Default)]
pub struct ExhibitQuery {
    pub kind: Option<ExhibitKind>,
    /// (count number, element id): only the exhibits offered for that element of that count.
    pub offered_for: Option<(i32, String)>,
    pub page: i64,
    pub per_page: i64,
}

/// One page of an incident's exhibits in number order.
pub fn page(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    query: &ExhibitQuery,
) -> Result<(Incident, Page<Exhibit>), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let page = page_of(conn, &incident, query)?;
    Ok((incident, page))
}

/// One page of the exhibits of an incident already read (and so already seen to be visible).
pub fn page_of(conn: &mut DbConnection, incident: &Incident, query: &ExhibitQuery) -> Result<Page<Exhibit>, AppError> {
    let incident_id = incident.id.to_string();
    let offered_for = match &query.offered_for {
        Some((count, element)) => {
            let charge = crate::db::repo::charges::find_charge(conn, &incident_id, *count)?
                .ok_or(AppError::NotFound("count"))?;
            Some((charge.id.to_string(), element.clone()))
        }
        None => None,
    };
    let filter = repo::ExhibitListFilter { kind: query.kind.map(|k| k.as_str().to_owned()), offered_for };
    let (items, total) = repo::page_of_incident(conn, &incident_id, &filter, query.page, query.per_page)?;
    Ok(Page { items, total, page: query.page, per_page: query.per_page })
}

/// Records a custody event by hand.
pub fn record_custody(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    raw: &RawCustodyEvent,
) -> Result<CustodyEvent, AppError> {
    let (incident, exhibit) = get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::RecordCustody)?;
    db::write_transaction(conn, |conn| -> Result<CustodyEvent, AppError> {
        // Read the history inside the transaction: the chain's head cannot move under us.
        let history = repo::events_of(conn, exhibit.id)?;
        let draft = CustodyEventDraft::parse(raw, now_utc(), &history)?;
        if draft.action == CustodyAction::Resolved {
            policy::resolve_discrepancy(user)?;
        }
        let matched = match (&draft.details.digest_observed, &exhibit.file) {
            (Some(observed), Some(file)) => Some(observed == &file.sha256),
            (Some(_), None) => {
                return Err(
                    ValidationErrors::single("digest_observed", "the exhibit has no file to compare with").into()
                );
            }
            (None, _) => None,
        };
        append_event(conn, &exhibit, &history, draft.action, Some(user), draft.occurred_at, draft.details, matched)
    })
}

/// One exhibit whose SHA-1 and MD5 the background pass has yet to compute: its number and
/// recorded SHA-256.
pub fn awaiting_legacy_digests(conn: &mut DbConnection) -> Result<Option<(ExhibitNumber, String)>, AppError> {
    let Some((number, sha256)) = repo::awaiting_legacy_digests(conn, 1)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some((number.parse().map_err(AppError::internal)?, sha256)))
}

/// Computes SHA-1 and MD5 (and SHA-256 again) of a stored file. Needs no database
/// connection: the pass holds none while it reads the file.
pub fn compute_legacy_digests(store: &dyn BlobStore, sha256: &str) -> std::io::Result<crate::storage::Digests> {
    // Step aside while an upload streams in: this pass must never slow one.
    let yield_to_uploads = |_| {
        while store.ingesting() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    store.open(sha256).and_then(|file| crate::storage::digest_all(std::io::BufReader::new(file), yield_to_uploads))
}

/// Records the outcome of the digest pass as a `hash_verified` custody event (or, where the
/// file could not be read, an event saying so).
pub fn record_legacy_digests(
    conn: &mut DbConnection,
    number: ExhibitNumber,
    sha256: &str,
    digests: std::io::Result<crate::storage::Digests>,
) -> Result<(), AppError> {
    let exhibit = repo::find(conn, number)?.ok_or(AppError::NotFound("exhibit"))?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let history = repo::events_of(conn, exhibit.id)?;
        let disposed = history.iter().any(|e| e.action == CustodyAction::Disposed);
        let (sha1, md5, details, matched) = match &digests {
            Ok(d) => (
                d.sha1.clone(),
                d.md5.clone(),
                CustodyDetails {
                    digest_observed: Some(d.sha256.clone()),
                    purpose: Some("Digest pass after ingest: SHA-1 and MD5 for legacy tools and hash sets".into()),
                    notes: format!(
                        "SHA-256 {} (re-computed); SHA-1 {}; MD5 {}; {} bytes",
                        d.sha256, d.sha1, d.md5, d.size
                    ),
                    ..Default::default()
                },
                d.sha256 == sha256,
            ),
            Err(e) => (
                "unavailable".into(),
                "unavailable".into(),
                CustodyDetails {
                    purpose: Some("Digest pass after ingest".into()),
                    notes: format!("The stored file could not be read: {e}"),
                    ..Default::default()
                },
                false,
            ),
        };
        if repo::set_legacy_digests(conn, exhibit.id, &sha1, &md5)? == 0 {
            return Ok(()); // another pass finished first
        }
        if !disposed {
            append_event(
                conn,
                &exhibit,
                &history,
                CustodyAction::HashVerified,
                None,
                now_utc(),
                details,
                Some(matched),
            )?;
        }
        Ok(())
    })
}

/// What `custos verify` covers: every exhibit, or those of one incident (by number).
pub fn verification_scope(
    conn: &mut DbConnection,
    incident: Option<&str>,
) -> Result<crate::services::verify::Scope, AppError> {
    let incident_id = match incident {
        Some(number) => {
            let number: IncidentNumber = number.parse().map_err(|_| AppError::NotFound("incident"))?;
            let id =
                crate::db::repo::incidents::find_id_by_number(conn, number)?.ok_or(AppError::NotFound("incident"))?;
            Some(id.to_string())
        }
        None => None,
    };
    Ok(crate::services::verify::Scope::Walk(incident_id))
}

/// Everything an outside party needs to check an exhibit's custody offline: each event's
/// exact canonical bytes, its hash, its inclusion proof (also as a C2SP tlog-proof) against
/// the latest signed checkpoint, and the verifier key.
pub fn proof_bundle(
    conn: &mut DbConnection,
    ledger: &ledger::Ledger,
    user: &User,
    number: ExhibitNumber,
) -> Result<serde_json::Value, AppError> {
    let (_, exhibit) = get(conn, user, number)?;
    let events = repo::events_of(conn, exhibit.id)?;
    exhibit_proof(conn, ledger, &exhibit, &events)
}

/// The proof bundle of one exhibit whose events are at hand (also part of a case bundle).
pub fn exhibit_proof(
    conn: &mut DbConnection,
    ledger: &ledger::Ledger,
    exhibit: &Exhibit,
    events: &[CustodyEvent],
) -> Result<serde_json::Value, AppError> {
    let number = exhibit.number;
    let indexes: Vec<i64> = events.iter().map(|e| e.ledger_index).collect();
    let (checkpoint, proofs) = ledger::inclusion_proofs(conn, ledger, &indexes)?;
    let mut items = Vec::new();
    for (event, proof) in events.iter().zip(proofs) {
        let canonical =
            crate::db::repo::ledger::leaf(conn, event.ledger_index)?.ok_or(AppError::NotFound("ledger leaf"))?;
        items.push(json!({
            "seq": event.seq,
            "action": event.action,
            "event_hash": event.event_hash,
            "prev_hash": event.prev_hash,
            "ledger_index": event.ledger_index,
            "canonical": canonical,
            "inclusion_proof": proof.iter().map(ledger::b64).collect::<Vec<_>>(),
            "tlog_proof": ledger::tlog_proof(u64::try_from(event.ledger_index).unwrap_or(0), &proof, &checkpoint.signed_note),
        }));
    }
    Ok(json!({
        "format": "custos-proof-bundle/1",
        "exhibit": number,
        "sha256": exhibit.file.as_ref().map(|f| f.sha256.clone()),
        "rules": {
            "canonical_bytes": crate::ledger::canonical::RULE,
            "event_hash": "SHA-256 of the canonical bytes, lowercase hex; each event's prev_hash is the previous event's event_hash, the first is 64 zeros",
            "merkle_log": "RFC 6962: leaf hash SHA-256(0x00 || canonical bytes), node hash SHA-256(0x01 || left || right)",
            "checkpoint": "C2SP tlog-checkpoint in the C2SP signed-note format, Ed25519",
        },
        "verifier_key": ledger.verifier_key(),
        "checkpoint": checkpoint.signed_note,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "events": items,
    }))
}
