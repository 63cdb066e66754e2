//! Charges under consideration, evidence-to-element mappings, prosecutor review, coverage and
//! limitation deadlines.

use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use time::Date;

use crate::db::repo::charges::{self as repo, ChargeRow, NewMappingRow};
use crate::db::repo::evidence as evidence_repo;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::charge::{
    Charge, ChargeCoverage, ChargeDraft, ChargeStatus, DeadlineListing, Limitation, Mapping, MappingDraft,
    MappingStatus, MoveDirection, RawCharge, RawMapping, RawReview, Review, ReviewDecision, ReviewDraft,
    coverage as compute_coverage, limitation_for,
};
use crate::domain::evidence::{Exhibit, ExhibitNumber};
use crate::domain::ids::IncidentNumber;
use crate::domain::ids::MappingId;
use crate::domain::incident::{Incident, Position, Slice};
use crate::domain::pin::{Pin, file_facts};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::services::{audit, evidence, incidents, other_statutes, reopen};
use crate::statutes::{self, Catalog, Law, SuggestedElement};
use crate::storage::BlobStore;

/// The compiled-in statute catalog.
pub fn catalog() -> Result<&'static Catalog, AppError> {
    statutes::catalog().map_err(AppError::internal)
}

fn today() -> Date {
    now_utc().date()
}

/// The incident's counts, candidates and dropped, in count order, with the law they are
/// charged under (for citations).
pub fn charges(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
) -> Result<(Incident, Vec<Charge>, Law<'static>), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let incident_id = incident.id.to_string();
    let charges = repo::charges_of(conn, &incident_id)?;
    let law = other_statutes::law(conn, &incident_id)?;
    Ok((incident, charges, law))
}

/// The law the incident's counts are charged under: the catalog and its entered offenses.
pub fn law_for(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Law<'static>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    other_statutes::law(conn, &incident.id.to_string())
}

/// Adds an offense of the catalog as a candidate count.
pub fn add_charge(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    raw: &RawCharge,
) -> Result<Charge, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddCharges)?;
    let incident_id = incident.id.to_string();
    let law = other_statutes::law(conn, &incident_id)?;
    let draft = ChargeDraft::parse(raw, &law, today())?;
    let people = crate::db::repo::people::of_incident(conn, &incident_id)?;
    let defendants = crate::services::people::check_defendants(&people, &raw.defendants)?;
    let charge_id = crate::domain::ids::ChargeId::new();
    let count = db::write_transaction(conn, |conn| -> Result<i32, AppError> {
        // § 1028A: the predicate count, checked against the counts as they stand now.
        let offense = law.offense(&draft.offense_id).ok_or_else(|| AppError::internal("offense vanished"))?;
        let predicate = match (offense.predicates.is_empty(), raw.predicate) {
            (true, None) => None,
            (true, Some(_)) => {
                return Err(
                    ValidationErrors::single("predicate", format!("{} takes no predicate count", offense.id)).into()
                );
            }
            (false, None) => {
                return Err(ValidationErrors::single(
                    "predicate",
                    "name the count of the predicate felony (§ 1028A: during and in relation to a felony § 1028A(c) enumerates)",
                )
                .into());
            }
            (false, Some(n)) => {
                let predicate = repo::find_charge(conn, &incident_id, n)?
                    .ok_or_else(|| ValidationErrors::single("predicate", format!("count {n} does not exist")))?;
                crate::domain::charge::check_predicate(&law, offense, &predicate, &defendants)
                    .map_err(|why| ValidationErrors::single("predicate", why))?;
                Some(predicate.id)
            }
        };
        let seq = repo::next_charge_seq(conn, &incident_id)?;
        let now = now_utc();
        repo::insert_charge(
            conn,
            &ChargeRow {
                id: charge_id.to_string(),
                incident_id: incident_id.clone(),
                seq,
                offense_id: draft.offense_id.clone(),
                object_offense_id: draft.object_offense_id.clone(),
                concerns: draft.concerns.clone(),
                offense_date: draft.offense_date.map(|d| d.earliest()),
                offense_date_form: draft.offense_date.and_then(|d| d.stored_form()),
                affects_financial_institution: draft.affects_financial_institution,
                penalty_facts: draft.penalty_facts.join(" "),
                status: ChargeStatus::Candidate.as_str().to_owned(),
                drop_reason: None,
                created_by: user.id.to_string(),
                created_at: now,
                updated_at: now,
                predicate_charge_id: predicate.map(|p| p.to_string()),
                charged_on: None,
                charging_instrument: None,
                gain_cents: draft.gain.map(|a| a.cents),
                gain_bound: draft.gain.and_then(|a| a.bound.stored()).map(str::to_owned),
                loss_cents: draft.loss.map(|a| a.cents),
                loss_bound: draft.loss.and_then(|a| a.bound.stored()).map(str::to_owned),
            },
        )?;
        if !defendants.is_empty() {
            crate::db::repo::people::set_defendants(conn, charge_id, &defendants)?;
        }
        // Its place in the office's deadline list, in the same transaction.
        let added = repo::find_charge(conn, &incident_id, seq)?.ok_or(AppError::NotFound("charge"))?;
        store_listing(conn, &Law::catalog_only(catalog()?), &charge_id.to_string(), &added)?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ChargeAdded,
            Some(incident.id),
            json!({
                "count": seq,
                "offense": draft.offense_id,
                "object_offense": draft.object_offense_id,
                "concerns": draft.concerns,
                "offense_date": draft.offense_date.map(|d| d.canonical()),
                "affects_financial_institution": draft.affects_financial_institution,
                "penalty_facts": draft.penalty_facts,
                "gain": draft.gain.map(|a| a.plain()),
                "loss": draft.loss.map(|a| a.plain()),
                "catalog_version": catalog()?.version,
            }),
        )?;
        Ok(seq)
    })?;
    repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))
}

/// Moves a count up or down in the prosecutor's order: it swaps numbers with its neighbour.
/// Mappings and reviews follow the count (they name it by id); the audit trail records the
/// renumbering.
pub fn move_count(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    count: i32,
    direction: MoveDirection,
) -> Result<Vec<Charge>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::OrderCharges)?;
    let incident_id = incident.id.to_string();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let counts: Vec<i32> = repo::charges_of(conn, &incident_id)?.iter().map(|c| c.count).collect();
        let at = counts.iter().position(|c| *c == count).ok_or(AppError::NotFound("charge"))?;
        let other = match direction {
            MoveDirection::Up => at.checked_sub(1).and_then(|i| counts.get(i)),
            MoveDirection::Down => counts.get(at + 1),
        };
        let Some(&other) = other else {
            return Err(AppError::conflict(
                "cannot_move",
                format!(
                    "count {count} is already the {}",
                    if direction == MoveDirection::Up { "first" } else { "last" }
                ),
            ));
        };
        repo::swap_counts(conn, &incident_id, count, other)?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ChargeMoved,
            Some(incident.id),
            json!({ "from": count, "to": other, "swapped_with": other }),
        )
    })?;
    Ok(repo::charges_of(conn, &incident_id)?)
}

/// Records that an indictment or information charging the count was filed on `date`: the
/// count's limitation clock stops. Recorded once; a second record is refused, not overwritten.
pub fn record_charging(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    count: i32,
    date: &str,
    instrument: &str,
) -> Result<Charge, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::record_filing(user, &incident)?;
    let mut errors = ValidationErrors::new();
    let on = errors.check("date", crate::domain::incident::parse_date(date, today())).flatten();
    if on.is_none() && errors.for_field("date").is_none() {
        errors.add("date", "give the date the charging document was filed");
    }
    let instrument = errors.check("instrument", instrument.trim().parse::<crate::domain::charge::ChargingInstrument>());
    errors.into_result()?;
    let (Some(on), Some(instrument)) = (on, instrument) else {
        return Err(ValidationErrors::single("date", "could not be read").into());
    };
    let incident_id = incident.id.to_string();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let charge = repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))?;
        if charge.status != ChargeStatus::Candidate {
            return Err(AppError::conflict("dropped", format!("count {count} was dropped")));
        }
        if repo::record_charging(conn, charge.id, on, instrument.as_str(), now_utc())? == 0 {
            return Err(AppError::conflict(
                "already_charged",
                format!("count {count} is already recorded as charged; the record is not overwritten"),
            ));
        }
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ChargeFiled,
            Some(incident.id),
            json!({ "count": count, "date": on.to_string(), "instrument": instrument }),
        )
    })?;
    repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))
}

/// Drops a candidate count, with the reason. Its mappings stay, for the record.
pub fn drop_charge(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    count: i32,
    reason: &str,
) -> Result<Charge, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::DropCharges)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ValidationErrors::single("reason", "say why the count is dropped").into());
    }
    let incident_id = incident.id.to_string();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let charge = repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))?;
        if repo::drop_charge(conn, charge.id, reason, now_utc())? == 0 {
            return Err(AppError::conflict("already_dropped", format!("count {count} is already dropped")));
        }
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ChargeDropped,
            Some(incident.id),
            json!({ "count": count, "offense": charge.offense_id, "reason": reason }),
        )
    })?;
    repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))
}

/// Checks the pin cite against the exhibit's file, where the file can tell (a line, row or
/// page that does not exist, an offset past the end, a region off the image). Read before
/// any write, outside the transaction.
fn check_pin_in_file(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    user: &User,
    draft: &MappingDraft,
) -> Result<(), AppError> {
    let (Some(kind), Some(cite)) = (draft.pin_kind, draft.pin_cite.as_deref()) else { return Ok(()) };
    let pin = Pin::parse(kind, cite).map_err(|why| ValidationErrors::single("pin_cite", why))?;
    let exhibit = match crate::services::evidence::get(conn, user, draft.exhibit) {
        Ok((_, exhibit)) => exhibit,
        // An unknown exhibit is reported where the mapping is checked.
        Err(AppError::NotFound(_)) => return Ok(()),
        Err(other) => return Err(other),
    };
    if let Pin::Span(id) = &pin {
        // A span is checked against the exhibit's agent-run timeline, which knows its spans.
        use crate::domain::analysis::AnalysisKind;
        let latest = crate::db::repo::analyses::latest(
            conn,
            exhibit.id,
            AnalysisKind::AgentRun,
            None,
            crate::db::repo::analyses::Form::Whole,
        )?;
        return match latest {
            None => Err(ValidationErrors::single(
                "pin_cite",
                format!(
                    "{} has no agent-run timeline to check a span against: parse it as an agent-run record first",
                    draft.exhibit
                ),
            )
            .into()),
            Some(a) if a.timeline().is_some_and(|t| t.find("span", id).is_none()) => Err(ValidationErrors::single(
                "pin_cite",
                format!("span {id} is not in the agent-run timeline of {} (analysis {})", draft.exhibit, a.record.seq),
            )
            .into()),
            Some(_) => Ok(()),
        };
    }
    let Some(file) = exhibit.file else { return Ok(()) };
    let opened = store.open(&file.sha256).map_err(AppError::internal)?;
    let size = opened.len();
    let facts =
        file_facts(std::io::BufReader::new(opened), size, file.media_type.as_deref()).map_err(AppError::internal)?;
    pin.check(&facts).map_err(|why| ValidationErrors::single("pin_cite", format!("{why} ({})", draft.exhibit)).into())
}

/// Proposes a mapping: an exhibit as proof of one element of one count.
pub fn propose(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    user: &User,
    number: IncidentNumber,
    raw: &RawMapping,
) -> Result<Mapping, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::ProposeMappings)?;
    let draft = MappingDraft::parse(raw)?;
    let incident_id = incident.id.to_string();
    if draft.exhibit.incident != number {
        return Err(
            ValidationErrors::single("exhibit", format!("{} is not an exhibit of {number}", draft.exhibit)).into()
        );
    }
    check_pin_in_file(conn, store, user, &draft)?;
    let id = MappingId::new();
    // The count's state and the exhibit are read inside the transaction: a count dropped a
    // moment ago must not receive a proposal.
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let charge = repo::find_charge(conn, &incident_id, draft.count)?
            .ok_or_else(|| ValidationErrors::single("count", format!("count {} does not exist", draft.count)))?;
        if charge.status != ChargeStatus::Candidate {
            return Err(ValidationErrors::single("count", format!("count {} was dropped", draft.count)).into());
        }
        let law = other_statutes::law(conn, &incident_id)?;
        let offense = law
            .offense(&charge.offense_id)
            .ok_or_else(|| AppError::internal("charge names an offense Custos does not know"))?;
        let object = crate::domain::charge::object_of(&law, offense, &charge);
        if offense.element(&draft.element_id).is_none() && object.and_then(|o| o.element(&draft.element_id)).is_none() {
            return Err(ValidationErrors::single(
                "element",
                format!("{} is not an element of count {} ({})", draft.element_id, charge.count, offense.citation()),
            )
            .into());
        }
        let exhibit_id = evidence_repo::id_of(conn, draft.exhibit)?
            .ok_or_else(|| ValidationErrors::single("exhibit", format!("{} does not exist", draft.exhibit)))?;
        let duplicate = repo::mappings_of_exhibit(conn, exhibit_id)?.into_iter().any(|m| {
            m.charge_id == charge.id
                && m.element_id == draft.element_id
                && m.pin_cite == draft.pin_cite
                && matches!(m.status, MappingStatus::Proposed | MappingStatus::Accepted)
        });
        if duplicate {
            return Err(AppError::conflict(
                "duplicate_mapping",
                format!("{} is already offered for {} on count {}", draft.exhibit, draft.element_id, charge.count),
            ));
        }
        let now = now_utc();
        repo::insert_mapping(
            conn,
            &NewMappingRow {
                id: id.to_string(),
                incident_id: incident_id.clone(),
                charge_id: charge.id.to_string(),
                element_id: draft.element_id.clone(),
                exhibit_id: exhibit_id.to_string(),
                pin_kind: draft.pin_kind.map(|k| k.as_str().to_owned()),
                pin_cite: draft.pin_cite.clone(),
                rationale: draft.rationale.clone(),
                status: MappingStatus::Proposed.as_str().to_owned(),
                status_reason: None,
                proposed_by: user.id.to_string(),
                proposed_at: now,
                updated_at: now,
            },
        )?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::MappingProposed,
            Some(incident.id),
            json!({
                "mapping": id,
                "count": charge.count,
                "element": draft.element_id,
                "exhibit": draft.exhibit,
                "pin": { "kind": draft.pin_kind, "cite": draft.pin_cite },
                "rationale": draft.rationale,
            }),
        )
    })?;
    repo::find_mapping(conn, id)?.map(|(m, _)| m).ok_or(AppError::NotFound("mapping"))
}

/// A mapping the user may see, with its incident and reviews.
pub fn mapping(
    conn: &mut DbConnection,
    user: &User,
    id: MappingId,
) -> Result<(Incident, Mapping, Vec<Review>), AppError> {
    let (mapping, incident_number) = repo::find_mapping(conn, id)?.ok_or(AppError::NotFound("mapping"))?;
    let number: IncidentNumber = incident_number.parse().map_err(AppError::internal)?;
    let incident = incidents::get(conn, user, number).map_err(|_| AppError::NotFound("mapping"))?;
    let reviews = repo::reviews_of(conn, mapping.id)?;
    Ok((incident, mapping, reviews))
}

/// Records a prosecutor's or supervisor's decision on a mapping. Separation of duties: the
/// proposer never reviews their own mapping.
pub fn review(conn: &mut DbConnection, user: &User, id: MappingId, raw: &RawReview) -> Result<Mapping, AppError> {
    let (incident, mapping, _) = mapping(conn, user, id)?;
    policy::review_mapping(user, &incident, &mapping)?;
    let draft = ReviewDraft::parse(raw)?;
    let catalog = catalog()?;
    let fingerprint =
        other_statutes::law(conn, &incident.id.to_string())?.element(&mapping.element_id).map(|(_, e)| e.fingerprint());
    let Some(fingerprint) = fingerprint else {
        return Err(AppError::conflict(
            "element_retired",
            format!(
                "the statute catalog no longer has element {}: this mapping cannot be reviewed; offer the evidence for a current element",
                mapping.element_id
            ),
        ));
    };
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        // What the reviewer decides on is read again inside the transaction: the mapping's
        // state (someone may have reviewed it a moment ago) and the exhibit's digest.
        let (mapping, _) = repo::find_mapping(conn, mapping.id)?.ok_or(AppError::NotFound("mapping"))?;
        policy::review_mapping(user, &incident, &mapping)?;
        let exhibit = evidence_repo::find(conn, mapping.exhibit)?.ok_or(AppError::NotFound("exhibit"))?;
        let sha256 = exhibit.file.as_ref().map(|f| f.sha256.clone());
        let now = now_utc();
        let status = draft.decision.status();
        if repo::set_mapping_status(conn, mapping.id, mapping.status, status, None, now)? == 0 {
            return Err(AppError::conflict(
                "review_conflict",
                "someone reviewed this mapping at the same time; reload it",
            ));
        }
        let seen = reopen::Seen {
            exhibit_sha256: sha256.clone(),
            catalog_version: catalog.version.clone(),
            element_fingerprint: fingerprint.clone(),
        };
        reopen::append_review(conn, mapping.id, Some(user.id), draft.decision, &draft.comment, &seen, now)?;
        if status == MappingStatus::Accepted {
            repo::accepted_under(conn, mapping.id, &catalog.version)?;
        }
        audit::record(
            conn,
            Some(user.id),
            AuditAction::MappingReviewed,
            Some(incident.id),
            json!({
                "mapping": mapping.id,
                "count": mapping.count,
                "element": mapping.element_id,
                "exhibit": mapping.exhibit,
                "decision": draft.decision,
                "comment": draft.comment,
                "exhibit_sha256": sha256,
                "catalog_version": catalog.version,
                "element_fingerprint": fingerprint,
            }),
        )
    })?;
    repo::find_mapping(conn, id)?.map(|(m, _)| m).ok_or(AppError::NotFound("mapping"))
}

/// Corrects a mistake without erasing it: the proposer withdraws an unreviewed proposal
/// (`Withdrawn`), or a supervisor revokes an acceptance with a reason (`Revoked`). Either is an
/// appended review record and an audit record (so in the ledger); the mapping stays, for the
/// record, and no longer proves anything.
pub fn correct(
    conn: &mut DbConnection,
    user: &User,
    id: MappingId,
    decision: ReviewDecision,
    reason: &str,
) -> Result<Mapping, AppError> {
    let reason = reason.trim();
    if reason.chars().count() > 4000 {
        return Err(ValidationErrors::single("reason", "must be at most 4000 characters").into());
    }
    if decision == ReviewDecision::Revoked && reason.is_empty() {
        return Err(ValidationErrors::single("reason", "say why the acceptance is revoked").into());
    }
    let (incident, _, _) = mapping(conn, user, id)?;
    let law = other_statutes::law(conn, &incident.id.to_string())?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let (mapping, _) = repo::find_mapping(conn, id)?.ok_or(AppError::NotFound("mapping"))?;
        let from = mapping.status;
        let action = match decision {
            ReviewDecision::Withdrawn => {
                let reviewed = !repo::reviews_of(conn, mapping.id)?.is_empty();
                policy::withdraw_mapping(user, &incident, &mapping, reviewed)?;
                AuditAction::MappingWithdrawn
            }
            ReviewDecision::Revoked => {
                policy::revoke_mapping(user, &incident, &mapping)?;
                AuditAction::MappingRevoked
            }
            _ => return Err(AppError::internal("not a correction")),
        };
        let now = now_utc();
        if repo::set_mapping_status(conn, mapping.id, from, decision.status(), None, now)? == 0 {
            return Err(AppError::conflict(
                "review_conflict",
                "someone changed this mapping at the same time; reload it",
            ));
        }
        let exhibit = evidence_repo::find(conn, mapping.exhibit)?.ok_or(AppError::NotFound("exhibit"))?;
        let seen = reopen::Seen {
            exhibit_sha256: exhibit.file.as_ref().map(|f| f.sha256.clone()),
            catalog_version: law.catalog.version.clone(),
            element_fingerprint: law.element(&mapping.element_id).map(|(_, e)| e.fingerprint()).unwrap_or_default(),
        };
        reopen::append_review(conn, mapping.id, Some(user.id), decision, reason, &seen, now)?;
        audit::record(
            conn,
            Some(user.id),
            action,
            Some(incident.id),
            json!({
                "mapping": mapping.id,
                "count": mapping.count,
                "element": mapping.element_id,
                "exhibit": mapping.exhibit,
                "from": from,
                "reason": reason,
            }),
        )
    })?;
    repo::find_mapping(conn, id)?.map(|(m, _)| m).ok_or(AppError::NotFound("mapping"))
}

/// Accepted mappings the start-up check reads at a time.
const RECONCILE_BATCH: i64 = 1_000;

/// At start: accepted mappings whose element the catalog has since changed (or whose
/// exhibit digest no longer matches what the reviewer saw) go back to review. Incremental:
/// only acceptances not yet known to hold under this catalog version are read (a batch at a
/// time), and each is then marked as holding, so a start with an unchanged catalog reads none.
pub fn reconcile_with_catalog(conn: &mut DbConnection) -> Result<usize, AppError> {
    let catalog = catalog()?;
    let version = catalog.version.as_str();
    let mut after = String::new();
    let mut reopened = 0;
    loop {
        let batch = repo::accepted_unchecked(conn, version, &after, RECONCILE_BATCH)?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else { return Ok(reopened) };
        let (first, last) = (first.raw_id.clone(), last.raw_id.clone());
        let mut stale = Vec::new();
        let mut retired = Vec::new();
        for m in batch {
            let (id, element_id) = (m.id, m.element_id);
            // Entered offenses are never edited: a catalog release cannot change them.
            if element_id.starts_with(statutes::OTHER_PREFIX) {
                if m.sha256_seen != m.sha256_now {
                    stale.push((id, "the exhibit's recorded SHA-256 differs from the one the reviewer saw".into()));
                }
                continue;
            }
            match catalog.element(&element_id) {
                None => retired.push((
                    id,
                    format!(
                        "catalog version {} no longer has element {element_id}: the acceptance no longer proves anything",
                        catalog.version
                    ),
                )),
                Some((_, e)) if e.fingerprint() != m.element_fingerprint => stale.push((
                    id,
                    format!("catalog version {} changed element {element_id} since it was accepted", catalog.version),
                )),
                Some(_) if m.sha256_seen != m.sha256_now => {
                    stale.push((id, "the exhibit's recorded SHA-256 differs from the one the reviewer saw".into()))
                }
                Some(_) => {}
            }
        }
        reopened += db::write_transaction(conn, |conn| -> Result<usize, AppError> {
            let mut n = 0;
            for (id, reason) in &stale {
                n += usize::from(reopen::reopen(conn, *id, reason)?);
            }
            for (id, reason) in &retired {
                n += usize::from(reopen::retire(conn, *id, reason)?);
            }
            // The rest of the batch holds under this version.
            repo::mark_catalog_checked(conn, version, &first, &last)?;
            Ok(n)
        })?;
        after = last;
    }
}

/// The incident's mappings.
pub fn mappings(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Vec<Mapping>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    Ok(repo::mappings_of_incident(conn, &incident.id.to_string())?)
}

/// One exhibit's mappings, its tags and the elements it might prove for the incident's
/// candidate counts.
pub struct ExhibitMappings {
    pub mappings: Vec<Mapping>,
    pub tags: Vec<String>,
    pub charges: Vec<Charge>,
    pub suggestions: Vec<SuggestedElement<'static>>,
    /// The law the incident's counts are charged under, for the elements' text.
    pub law: Law<'static>,
}

pub fn for_exhibit(
    conn: &mut DbConnection,
    incident: &Incident,
    exhibit: &Exhibit,
) -> Result<ExhibitMappings, AppError> {
    let mappings = repo::mappings_of_exhibit(conn, exhibit.id)?;
    let tags = repo::tags_of(conn, exhibit.id)?;
    let charges: Vec<Charge> = repo::charges_of(conn, &incident.id.to_string())?
        .into_iter()
        .filter(|c| c.status == ChargeStatus::Candidate)
        .collect();
    let offenses: Vec<&str> = charges.iter().map(|c| c.offense_id.as_str()).collect();
    let suggestions = catalog()?.suggestions_for(exhibit.kind.as_str(), &tags, Some(&offenses));
    let law = other_statutes::law(conn, &incident.id.to_string())?;
    Ok(ExhibitMappings { mappings, tags, charges, suggestions, law })
}

/// Adds classification tags to an exhibit (lower case, words joined by hyphens).
pub fn add_tags(
    conn: &mut DbConnection,
    user: &User,
    number: ExhibitNumber,
    text: &str,
) -> Result<Vec<String>, AppError> {
    let (incident, exhibit) = evidence::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::TagEvidence)?;
    let mut tags = Vec::new();
    for raw in text.split([',', ';']) {
        let tag = raw.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("-");
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 40 || !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(ValidationErrors::single(
                "tags",
                format!("'{}' is not a tag: letters, digits and hyphens, up to 40", raw.trim()),
            )
            .into());
        }
        tags.push(tag);
    }
    if tags.is_empty() {
        return Err(ValidationErrors::single("tags", "give one or more tags, separated by commas").into());
    }
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let now = now_utc();
        let mut added = Vec::new();
        for tag in &tags {
            if repo::add_tag(conn, exhibit.id, tag, user.id, now)? > 0 {
                added.push(tag.clone());
            }
        }
        if !added.is_empty() {
            audit::record(
                conn,
                Some(user.id),
                AuditAction::ExhibitTagged,
                Some(incident.id),
                json!({ "exhibit": number, "tags": added }),
            )?;
        }
        Ok(())
    })?;
    Ok(repo::tags_of(conn, exhibit.id)?)
}

/// An incident's coverage: each count's elements and the exhibits offered for them, with the
/// counts themselves and the law they are charged under, read with one load of the incident.
pub struct Coverage {
    pub incident: Incident,
    pub rows: Vec<ChargeCoverage>,
    pub charges: Vec<Charge>,
    pub law: Law<'static>,
}

/// The coverage matrix: candidate counts ranked by statutory maximum, each element proven,
/// proposed or a gap.
pub fn coverage(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Coverage, AppError> {
    let incident = incidents::get(conn, user, number)?;
    let incident_id = incident.id.to_string();
    let charges = repo::charges_of(conn, &incident_id)?;
    let mappings = repo::mappings_of_incident(conn, &incident_id)?;
    // Proof counts only from exhibits whose custody is sound.
    let intact: HashMap<ExhibitNumber, bool> =
        evidence::with_status(conn, &incident)?.into_iter().map(|(x, _, status)| (x.number, status.sound())).collect();
    let law = other_statutes::law(conn, &incident_id)?;
    let rows = compute_coverage(
        &law,
        &charges,
        &mappings,
        &|n| intact.get(&n).copied().unwrap_or(false),
        &incident.details.victims,
        today(),
    );
    Ok(Coverage { incident, rows, charges, law })
}

/// Mappings waiting for this user's review: proposed by someone else, in incidents they may
/// review, counted up to `count_up_to`. Empty for roles that do not review.
pub fn review_queue(
    conn: &mut DbConnection,
    user: &User,
    position: Position<MappingId>,
    per_page: i64,
    count_up_to: i64,
) -> Result<Slice<(String, Mapping)>, AppError> {
    if !policy::reviews(user) {
        return Ok(Slice { items: Vec::new(), per_page, total: 0, capped: false, next: None, previous: None });
    }
    Ok(repo::review_queue(conn, user.id, policy::sees_all(user), position, per_page, count_up_to)?)
}

/// One count's limitation deadline, for lists across incidents.
#[derive(Debug, Clone, Serialize)]
pub struct Deadline {
    pub incident: String,
    pub incident_title: String,
    pub count: i32,
    pub offense: String,
    pub citation: String,
    pub limitation: Limitation,
}

/// The nearest limitation deadlines of the candidate counts in the incidents the user sees:
/// counts with no offense date first (their deadline is unknown), then soonest (or already
/// passed) first. Charged counts, counts with no limit and counts with no rule are left out
/// (`DeadlineListing::of`). Read in that order from the stored listing, `limit` rows at most;
/// each row's limitation is computed again for today from the count itself.
pub fn nearest_deadlines(conn: &mut DbConnection, user: &User, limit: usize) -> Result<Vec<Deadline>, AppError> {
    // Only catalog counts have deadlines: an out-of-catalog count (or object) has no rule.
    let law = Law::catalog_only(catalog()?);
    let member_of = if policy::sees_all(user) { None } else { Some(user.id) };
    let limit = i64::try_from(limit).map_err(AppError::internal)?;
    let mut out = Vec::new();
    for (incident, incident_title, charge) in repo::nearest_deadlines(conn, member_of, limit)? {
        let today = today();
        // The stored listing was computed under this catalog at start-up; a count it would no
        // longer list is left out rather than shown with a rule it does not have.
        if DeadlineListing::of(&law, &charge, today) == DeadlineListing::NotListed {
            continue;
        }
        let Some(offense) = law.offense(&charge.offense_id) else { continue };
        let object = crate::domain::charge::object_of(&law, offense, &charge);
        out.push(Deadline {
            incident,
            incident_title,
            count: charge.count,
            offense: offense.id.clone(),
            citation: crate::domain::charge::count_citation(offense, object),
            limitation: limitation_for(offense, object, &charge, today),
        });
    }
    Ok(out)
}

/// Stores one count's place in the deadline list, under the running catalog.
fn store_listing(conn: &mut DbConnection, law: &Law, raw_id: &str, charge: &Charge) -> Result<(), AppError> {
    let listing = DeadlineListing::of(law, charge, today());
    repo::set_limitation_order(conn, raw_id, listing.stored(), law.catalog.version.as_str())?;
    Ok(())
}

/// Computes the deadline-list place of every count not computed under the running catalog: on
/// the first start after the listing was added, and after a catalog release (which may change
/// a period). A batch at a time by id range; a start with an unchanged catalog reads none.
pub fn order_limitations(conn: &mut DbConnection) -> Result<usize, AppError> {
    let law = Law::catalog_only(catalog()?);
    let version = law.catalog.version.clone();
    let mut after = String::new();
    let mut ordered = 0;
    loop {
        let batch = repo::limitation_unordered(conn, &version, &after, RECONCILE_BATCH)?;
        let Some((last, _)) = batch.last() else { return Ok(ordered) };
        after = last.clone();
        ordered += batch.len();
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            for (raw_id, charge) in &batch {
                store_listing(conn, &law, raw_id, charge)?;
            }
            Ok(())
        })?;
    }
}
