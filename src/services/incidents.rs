use serde_json::{Value, json};
use time::Date;

use crate::db::repo::audit::AuditEntry;
use crate::db::repo::incidents::{self as repo, IncidentChangeset, NewIncidentRow, Visibility};
use crate::db::repo::users as user_repo;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{IncidentId, IncidentNumber};
use crate::domain::incident::{
    Incident, IncidentDraft, IncidentFilter, IncidentPatch, IncidentStatus, IncidentSummary, Page, RawIncident,
};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::services::audit;

/// An incident the user may not see is reported exactly as one that does not exist.
fn visible(incident: Option<Incident>, user: &User) -> Result<Incident, AppError> {
    incident.filter(|i| policy::sees(user, i)).ok_or(AppError::NotFound("incident"))
}

pub fn get(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<Incident, AppError> {
    visible(repo::load(conn, number)?, user)
}

pub fn list(conn: &mut DbConnection, user: &User, filter: &IncidentFilter) -> Result<Page<IncidentSummary>, AppError> {
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
        "first_offense_date": details.first_offense_date.map(|d| d.to_string()),
        "last_offense_date": details.last_offense_date.map(|d| d.to_string()),
    })
}

/// Opens a new incident; its creator is the first member of its team.
pub fn create(conn: &mut DbConnection, user: &User, raw: &RawIncident) -> Result<Incident, AppError> {
    policy::open_incident(user)?;
    let draft = IncidentDraft::parse(raw, today())?;
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
                first_offense_date: draft.first_offense_date,
                last_offense_date: draft.last_offense_date,
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
    let current = get(conn, user, number)?;
    policy::work_on(user, &current, CaseWork::ChangeIncident)?;
    if version != current.version {
        return Err(stale(number, version, current.version));
    }
    let mut raw = current.details.to_raw();
    patch.apply(&mut raw);
    let draft = IncidentDraft::parse(&raw, today())?;
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
                first_offense_date: draft.first_offense_date,
                last_offense_date: draft.last_offense_date,
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
            json!({ "version": version + 1, "changed": changed, "before": pick(&before), "after": pick(&after) }),
        )?;
        Ok(())
    })?;
    get(conn, user, number)
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
