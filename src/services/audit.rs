use serde_json::Value;

use crate::db::DbConnection;
use crate::db::repo::audit::{self as repo, NewAuditEventRow};
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::now_utc;

/// Records who did what, and when. Call inside the transaction that makes the change, so
/// the change and its record commit together or not at all.
pub fn record(
    conn: &mut DbConnection,
    actor: Option<UserId>,
    action: &str,
    incident: Option<IncidentId>,
    detail: Value,
) -> diesel::QueryResult<()> {
    repo::insert(
        conn,
        &NewAuditEventRow {
            at: now_utc(),
            actor_id: actor.map(|a| a.to_string()),
            action: action.to_owned(),
            incident_id: incident.map(|i| i.to_string()),
            detail: detail.to_string(),
        },
    )
    .map(|_| ())
}
