//! The people of an incident (defendants, unindicted co-conspirators, subjects) and whom each
//! count charges.

use serde_json::json;

use crate::db::repo::charges as charge_repo;
use crate::db::repo::people as repo;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{IncidentNumber, PersonId};
use crate::domain::incident::Incident;
use crate::domain::person::{Person, PersonDraft, PersonRole, RawPerson};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::domain::{ValidationErrors, now_utc};
use crate::error::AppError;
use crate::services::{audit, incidents};

/// The incident's people, defendants first.
pub fn list(conn: &mut DbConnection, user: &User, number: IncidentNumber) -> Result<(Incident, Vec<Person>), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let people = of_incident(conn, &incident)?;
    Ok((incident, people))
}

/// The people of an incident the caller has already read (and so may see).
pub fn of_incident(conn: &mut DbConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
    Ok(repo::of_incident(conn, &incident.id.to_string())?)
}

/// Adds a person to the incident.
pub fn add(conn: &mut DbConnection, user: &User, number: IncidentNumber, raw: &RawPerson) -> Result<Person, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::ChangeIncident)?;
    let draft = PersonDraft::parse(raw)?;
    let incident_id = incident.id.to_string();
    let id = PersonId::new();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        if let Some(placeholder) = &draft.placeholder
            && repo::of_incident(conn, &incident_id)?.iter().any(|p| p.placeholder.as_ref() == Some(placeholder))
        {
            return Err(
                ValidationErrors::single("placeholder", format!("{placeholder} is already used in {number}")).into()
            );
        }
        repo::insert(conn, &incident_id, id, &draft, user.id, now_utc())?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::PersonAdded,
            Some(incident.id),
            json!({ "person": id, "name": draft.name, "role": draft.role, "placeholder": draft.placeholder }),
        )
    })?;
    repo::of_incident(conn, &incident_id)?.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound("person"))
}

/// Checks that each id names a charged defendant of the incident; returns them, deduplicated.
pub fn check_defendants(people: &[Person], ids: &[String]) -> Result<Vec<PersonId>, ValidationErrors> {
    let mut out = Vec::new();
    for raw in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let person = raw.parse::<PersonId>().ok().and_then(|id| people.iter().find(|p| p.id == id));
        match person {
            Some(p) if p.role == PersonRole::Defendant => {
                if !out.contains(&p.id) {
                    out.push(p.id);
                }
            }
            Some(p) => {
                return Err(ValidationErrors::single(
                    "defendants",
                    format!(
                        "{} is recorded as {}, not as a charged defendant",
                        p.document_name(),
                        p.role.label().to_lowercase()
                    ),
                ));
            }
            None => {
                return Err(ValidationErrors::single(
                    "defendants",
                    format!("'{raw}' is not a person of this incident"),
                ));
            }
        }
    }
    Ok(out)
}

/// Sets whom a count charges (one or several defendants).
pub fn set_defendants(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    count: i32,
    ids: &[String],
) -> Result<Vec<Person>, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddCharges)?;
    let incident_id = incident.id.to_string();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        let charge = charge_repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))?;
        let people = repo::of_incident(conn, &incident_id)?;
        let chosen = check_defendants(&people, ids)?;
        if chosen.is_empty() {
            return Err(
                ValidationErrors::single("defendants", "choose at least one defendant the count charges").into()
            );
        }
        repo::set_defendants(conn, charge.id, &chosen)?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::ChargeDefendantsSet,
            Some(incident.id),
            json!({ "count": count, "defendants": chosen }),
        )
    })?;
    let people = repo::of_incident(conn, &incident_id)?;
    let charge = charge_repo::find_charge(conn, &incident_id, count)?.ok_or(AppError::NotFound("charge"))?;
    Ok(people.into_iter().filter(|p| charge.defendants.contains(&p.id)).collect())
}
