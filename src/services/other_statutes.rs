//! Out-of-catalog offenses ("other statute" counts) and the law one incident charges under:
//! the catalog's offenses and the incident's own. Charges, reviews, reopening and the memo
//! all read offenses through `law`, so an entered offense is found wherever a catalog one is.

use serde_json::json;

use crate::db::repo::other_statutes as repo;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::Incident;
use crate::domain::now_utc;
use crate::domain::other_statute::{OtherStatute, OtherStatuteDraft, RawOtherStatute, code};
use crate::domain::policy::{self, CaseWork};
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::{audit, incidents};
use crate::statutes::{self, Law};

/// The offenses the incident may charge: the compiled-in catalog and its entered offenses.
pub fn law(conn: &mut DbConnection, incident_id: &str) -> Result<Law<'static>, AppError> {
    let catalog = statutes::catalog().map_err(AppError::internal)?;
    let others = repo::of_incident(conn, incident_id)?.iter().map(OtherStatute::offense).collect();
    Ok(Law::new(catalog, others))
}

/// The incident's out-of-catalog offenses.
pub fn list(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
) -> Result<(Incident, Vec<OtherStatute>), AppError> {
    let incident = incidents::get(conn, user, number)?;
    let others = repo::of_incident(conn, &incident.id.to_string())?;
    Ok((incident, others))
}

/// Enters an out-of-catalog offense for the incident; counts then charge it by its code.
pub fn enter(
    conn: &mut DbConnection,
    user: &User,
    number: IncidentNumber,
    raw: &RawOtherStatute,
) -> Result<OtherStatute, AppError> {
    let incident = incidents::get(conn, user, number)?;
    policy::work_on(user, &incident, CaseWork::AddCharges)?;
    let catalog = statutes::catalog().map_err(AppError::internal)?;
    let draft = OtherStatuteDraft::parse(raw, catalog)?;
    let incident_id = incident.id.to_string();
    let code = db::write_transaction(conn, |conn| -> Result<String, AppError> {
        let n = repo::count_of_incident(conn, &incident_id)? + 1;
        let code = code(i32::try_from(n).map_err(AppError::internal)?);
        repo::insert(conn, &incident_id, &code, &draft, user.id, now_utc())?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::OtherStatuteEntered,
            Some(incident.id),
            json!({
                "code": code,
                "citation": draft.citation,
                "title": draft.title,
                "maximum": draft.maximum,
                "min_years": draft.min_years,
                "elements": draft.elements,
            }),
        )?;
        Ok(code)
    })?;
    repo::of_incident(conn, &incident_id)?.into_iter().find(|o| o.code == code).ok_or(AppError::NotFound("offense"))
}
