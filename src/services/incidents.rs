use serde_json::{Value, json};
use time::Date;

use crate::db::repo::audit::AuditEntry;
use crate::db::repo::incidents::{self as repo, IncidentChangeset, NewIncidentRow, Visibility};
use crate::db::repo::users as user_repo;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{IncidentId, IncidentNumber};
use crate::domain::incident::{
    Incident, IncidentDraft, IncidentFilter, IncidentPatch, IncidentStatus, IncidentSummary, Page, RawIncident, Slice,
};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::domain::victim_sheet::{self, SheetCheck};
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::services::audit;
use sha2::{Digest, Sha256};

/// An incident the user may not see is reported exactly as one that does not exist.
fn visible(incident: Option<Incident>, user: &User) -> Result<Incident, AppError> {
    incident.filter(|i| policy::sees(user, i)).ok_or(AppError::NotFound("incident"))
}

pub fn get(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Incident, AppError> {
    visible(repo::load(conn, number)?, user)
}

pub fn list(conn: &mut DbConnection, user: &User, filter: &IncidentFilter) -> Result<Slice<IncidentSummary>, AppError> {
    let visibility = if policy::sees_all(user) { Visibility::All } else { Visibility::MemberOf(user.id) };
    Ok(repo::list(conn, filter, visibility)?)
}

/// The incident's audit trail, newest first.
pub fn history(conn: &mut DbConnection, incident: &Incident, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    Ok(crate::db::repo::audit::for_incident(conn, &incident.id.to_string(), limit)?)
}

fn today() -> Date {
    now_utc().date()
}

/// The recorded form of an incident's details, for the audit trail.
fn details_json(status: IncidentStatus, details: &IncidentDraft) -> Value {
    json!({
        "status": status,
        "title": details.title,
        "summary": details.summary,
        "district": details.district,
        "ai_modalities": details.ai_modalities,
        "victims": details.victims,
        "subjects": details.subjects,
        "first_offense_date": details.first_offense_date.map(|d| d.canonical()),
        "last_offense_date": details.last_offense_date.map(|d| d.canonical()),
        "victim_names_sensitive": details.victim_names_sensitive,
    })
}

/// Opens a new incident; its creator is the first member of its team.
pub fn create(conn: &mut DbConnection, user: &User, raw: &RawIncident) -> Result<Incident, AppError> {
    policy::open_incident(user)?;
    let draft = IncidentDraft::parse(raw, today())?;
    if draft.victim_names_sensitive && !user.role.decides_charges() {
        return Err(policy::Refusal::NotPermitted(
            "Only a prosecutor or supervisor marks victims' names sensitive".into(),
        )
        .into());
    }
    let number = db::write_transaction(conn, |conn| -> Result<IncidentNumber, AppError> {
        let now = now_utc();
        let year = now.year();
        let seq = repo::next_seq(conn, year)?;
        let number = IncidentNumber::new(year, seq).ok_or_else(|| {
            AppError::conflict("numbers_exhausted", format!("no incident numbers are left for {year}"))
        })?;
        let id = IncidentId::new();
        repo::insert(
            conn,
            &NewIncidentRow {
                id: id.to_string(),
                number: number.to_string(),
                year,
                seq,
                title: &draft.title,
                summary: &draft.summary,
                status: IncidentStatus::Intake.as_str(),
                district: draft.district.as_deref(),
                first_offense_date: draft.first_offense_date.map(|p| p.start),
                last_offense_date: draft.last_offense_date.map(|p| p.start),
                first_offense_date_form: draft.first_offense_date.and_then(|p| p.stored_form()),
                last_offense_date_form: draft.last_offense_date.and_then(|p| p.stored_form()),
                victim_names_sensitive: draft.victim_names_sensitive,
                version: 1,
                created_by: user.id.to_string(),
                created_at: now,
                updated_by: user.id.to_string(),
                updated_at: now,
            },
        )?;
        repo::replace_parties(conn, id, &draft)?;
        repo::add_member(conn, id, user.id, user.id, now)?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::IncidentCreated,
            Some(id),
            json!({ "number": number, "details": details_json(IncidentStatus::Intake, &draft) }),
        )?;
        Ok(number)
    })?;
    get(conn, user, number)
}

/// Applies `patch` and, optionally, a new status. `version` is the version the editor saw:
/// if someone saved since, the edit is refused, never merged silently.
pub fn update(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    version: i32,
    new_status: Option<IncidentStatus>,
    patch: &IncidentPatch,
) -> Result<Incident, AppError> {
    apply_update(conn, user, number, version, new_status, patch, None)
}

/// `update`, with `source` (where the change came from, such as an imported sheet) kept in
/// the audit record beside the change.
fn apply_update(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    version: i32,
    new_status: Option<IncidentStatus>,
    patch: &IncidentPatch,
    source: Option<Value>,
) -> Result<Incident, AppError> {
    let current = get(conn, user, number)?;
    policy::work_on(user, &current, CaseWork::ChangeIncident)?;
    if version != current.version {
        return Err(stale(number, version, current.version));
    }
    let mut raw = current.details.to_raw();
    patch.apply(&mut raw);
    let draft = IncidentDraft::parse(&raw, today())?;
    if draft.victim_names_sensitive != current.details.victim_names_sensitive {
        policy::mark_victim_names(user, &current)?;
    }
    let status = new_status.unwrap_or(current.status);
    if status != current.status {
        if !current.status.can_move_to(status) {
            return Err(AppError::Validation(ValidationErrors::single(
                "status",
                format!("an incident in {} cannot move to {}", current.status.label(), status.label()),
            )));
        }
        policy::set_status(user, &current, status)?;
    }
    let before = details_json(current.status, &current.details);
    let after = details_json(status, &draft);
    let changed = changed_fields(&before, &after);
    if changed.is_empty() {
        return Ok(current);
    }
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let rows = repo::update(
            conn,
            current.id,
            version,
            &IncidentChangeset {
                title: &draft.title,
                summary: &draft.summary,
                status: status.as_str(),
                district: draft.district.as_deref(),
                first_offense_date: draft.first_offense_date.map(|p| p.start),
                last_offense_date: draft.last_offense_date.map(|p| p.start),
                first_offense_date_form: draft.first_offense_date.and_then(|p| p.stored_form()),
                last_offense_date_form: draft.last_offense_date.and_then(|p| p.stored_form()),
                victim_names_sensitive: draft.victim_names_sensitive,
                version: version + 1,
                updated_by: user.id.to_string(),
                updated_at: now_utc(),
            },
        )?;
        if rows == 0 {
            return Err(stale(number, version, version + 1));
        }
        repo::replace_parties(conn, current.id, &draft)?;
        let pick = |v: &Value| -> Value { changed.iter().map(|k| ((*k).clone(), v[k.as_str()].clone())).collect() };
        audit::record(
            conn,
            Some(user.id),
            if status != current.status { AuditAction::IncidentStatusChanged } else { AuditAction::IncidentUpdated },
            Some(current.id),
            json!({
                "version": version + 1,
                "changed": changed,
                "before": pick(&before),
                "after": pick(&after),
                "source": source,
            }),
        )?;
        Ok(())
    })?;
    get(conn, user, number)
}

/// What importing a victims sheet would do, checked against the incident as it stands.
pub struct VictimImport {
    pub incident: Incident,
    pub check: SheetCheck,
    /// Rows in the sheet, blank ones included.
    pub rows: usize,
    pub sheet_sha256: String,
}

/// Reads and checks a victims sheet without saving anything: the preview.
pub fn preview_victims(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    sheet: &[u8],
) -> Result<VictimImport, AppError> {
    let incident = get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::ChangeIncident)?;
    let rows = victim_sheet::read(sheet).map_err(|why| ValidationErrors::single("sheet", why))?;
    let check = victim_sheet::check(&rows, &incident.details.victims);
    Ok(VictimImport { incident, check, rows: rows.len(), sheet_sha256: hex::encode(Sha256::digest(sheet)) })
}

/// Adds every victim of the sheet to the incident in one change, or none: a sheet with any
/// refused row is refused whole, each row named with why. `version` is the version the
/// preview was checked against.
pub fn import_victims(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    version: i32,
    sheet: &[u8],
) -> Result<(Incident, VictimImport), AppError> {
    let preview = preview_victims(conn, user, number, sheet)?;
    if preview.incident.version != version {
        return Err(stale(number, version, preview.incident.version));
    }
    let mut errors = ValidationErrors::new();
    for row in &preview.check.refused {
        let field = if row.line == 0 { "sheet".to_owned() } else { format!("sheet.line[{}]", row.line) };
        errors.add(&field, row.reasons.join("; "));
    }
    if preview.check.accepted.is_empty() && errors.0.is_empty() {
        errors.add("sheet", "holds no victims: nothing to import");
    }
    if !errors.0.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let added = preview.check.accepted.len();
    let victims = preview
        .incident
        .details
        .victims
        .iter()
        .chain(preview.check.accepted.iter().map(|(_, v)| v))
        .map(crate::domain::incident::Victim::to_raw)
        .collect();
    let patch = IncidentPatch { victims: Some(victims), ..IncidentPatch::default() };
    let source = json!({ "victims_imported": added, "sheet_sha256": preview.sheet_sha256, "sheet_rows": preview.rows });
    let incident = apply_update(conn, user, number, version, None, &patch, Some(source))?;
    Ok((incident, preview))
}

/// One page of an incident's victims, for the victims page (`page` from 1).
pub fn victims_page(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    page: i64,
    per_page: i64,
) -> Result<(Incident, Page<crate::domain::incident::Victim>), AppError> {
    let incident = get(conn, user, number)?;
    let victims = incident.details.victims_page(page, per_page);
    Ok((incident, victims))
}

fn stale(number: IncidentNumber, seen: i32, current: i32) -> AppError {
    AppError::conflict(
        "stale_version",
        format!(
            "incident {number} was changed by someone else (you edited version {seen}; it is now at version {current} or later); reload it and apply your change again"
        ),
    )
}

fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    match (before.as_object(), after.as_object()) {
        (Some(b), Some(a)) => a.iter().filter(|(k, v)| b.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Adds a user to the incident's team.
pub fn add_member(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    username: &str,
) -> Result<Incident, AppError> {
    let incident = get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddMember)?;
    let username = username.trim();
    let new_member = user_repo::find_by_username(conn, username)?
        .filter(|u| u.active)
        .ok_or_else(|| {
            AppError::Validation(ValidationErrors::single("username", format!("no active user named '{username}'")))
        })?
        .to_user()?;
    if incident.has_member(new_member.id) {
        return Err(AppError::conflict("already_member", format!("{username} is already on the team of {number}")));
    }
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        repo::add_member(conn, incident.id, new_member.id, user.id, now_utc()).map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::conflict("already_member", format!("{username} is already on the team of {number}"))
            } else {
                e.into()
            }
        })?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::IncidentMemberAdded,
            Some(incident.id),
            json!({ "user_id": new_member.id, "username": new_member.username, "role": new_member.role }),
        )?;
        Ok(())
    })?;
    get(conn, user, number)
}
