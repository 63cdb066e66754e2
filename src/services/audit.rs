use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::repo::audit::{self as repo, NewAuditEventRow};
use crate::domain::audit::AuditAction;
use crate::domain::evidence::canonical_time;
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::now_utc;
use crate::error::AppError;
use crate::services::ledger;

/// The ledger record of an audit event: what its leaf's canonical bytes encode.
pub fn audit_record(row: &NewAuditEventRow, id: i64) -> Value {
    let detail: Value = serde_json::from_str(&row.detail).unwrap_or(Value::String(row.detail.clone()));
    json!({
        "type": "audit_record",
        "version": 1,
        "id": id,
        "at": canonical_time(row.at),
        "actor_id": row.actor_id,
        "action": row.action,
        "incident_id": row.incident_id,
        "detail": detail,
    })
}

/// Records who did what, and when, and adds it to the ledger. Call inside the transaction
/// that makes the change, so the change and its record commit together or not at all.
pub fn record(
    conn: &mut DbConnection,
    actor: Option<UserId>,
    action: AuditAction,
    incident: Option<IncidentId>,
    detail: Value,
) -> Result<(), AppError> {
    let row = NewAuditEventRow {
        at: now_utc(),
        actor_id: actor.map(|a| a.to_string()),
        action: action.as_str().to_owned(),
        incident_id: incident.map(|i| i.to_string()),
        detail: detail.to_string(),
    };
    let id = repo::insert(conn, &row)?;
    ledger::append(conn, "audit_record", &audit_record(&row, id))?;
    Ok(())
}
