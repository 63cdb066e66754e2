use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::repo::audit::{self as repo, NewAuditEventRow};
use crate::domain::audit::AuditAction;
use crate::domain::evidence::canonical_time;
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::now_utc;
use crate::error::AppError;
use crate::ledger::canonical::to_canonical;
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

/// The leaf of a stored audit record, written straight from its columns for `verify`, with
/// the detail copied as stored instead of parsed and encoded again. `record` stores the detail
/// in canonical form, so for every record it wrote this is the canonical leaf byte for byte
/// (older rows may hold another form). It is only compared with a leaf: equal bytes mean
/// the record reproduces its leaf exactly; where they differ, `verify` falls back to
/// `audit_record` and the full canonical encoding before it reports anything.
pub fn audit_leaf_as_stored(row: &StoredAudit<'_>, id: i64) -> String {
    use crate::ledger::canonical::write_string;
    let optional = |value: Option<&str>, out: &mut String| match value {
        Some(text) => write_string(text, out),
        None => out.push_str("null"),
    };
    let mut out = String::with_capacity(row.detail.len() + row.action.len() + 200);
    out.push_str("{\"action\":");
    write_string(row.action, &mut out);
    out.push_str(",\"actor_id\":");
    optional(row.actor_id, &mut out);
    out.push_str(",\"at\":");
    write_string(&canonical_time(row.at), &mut out);
    out.push_str(",\"detail\":");
    out.push_str(row.detail);
    out.push_str(",\"id\":");
    out.push_str(&id.to_string());
    out.push_str(",\"incident_id\":");
    optional(row.incident_id, &mut out);
    out.push_str(",\"type\":\"audit_record\",\"version\":1}");
    out
}

/// The columns of a stored audit record that its leaf is written from, borrowed from wherever
/// they were read into.
#[derive(Debug, Clone, Copy)]
pub struct StoredAudit<'a> {
    pub at: time::PrimitiveDateTime,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub incident_id: Option<&'a str>,
    pub detail: &'a str,
}

impl<'a> StoredAudit<'a> {
    pub fn of(row: &'a NewAuditEventRow) -> StoredAudit<'a> {
        StoredAudit {
            at: row.at,
            actor_id: row.actor_id.as_deref(),
            action: &row.action,
            incident_id: row.incident_id.as_deref(),
            detail: &row.detail,
        }
    }
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
        // Stored in canonical form, as its leaf holds it, whatever order serde_json keeps
        // members in (test builds keep insertion order): `verify` compares it as stored.
        detail: to_canonical(&detail).map_err(AppError::internal)?,
    };
    let id = repo::insert(conn, &row)?;
    ledger::append(conn, "audit_record", &audit_record(&row, id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn row(detail: &Value, actor: Option<&str>, incident: Option<&str>) -> NewAuditEventRow {
        NewAuditEventRow {
            at: datetime!(2026-03-01 14:05:00.123456),
            actor_id: actor.map(str::to_owned),
            action: "exhibit.registered".into(),
            incident_id: incident.map(str::to_owned),
            // As `record` stores it.
            detail: to_canonical(detail).unwrap(),
        }
    }

    #[test]
    fn a_stored_record_gives_its_canonical_leaf_without_reencoding() {
        let details = [
            json!({}),
            json!({ "number": "2026-0001-E1", "b": [1, -2, null, true], "a": { "z": "x", "y": "" } }),
            json!({ "notes": "quote\" back\\ nl\n tab\t bell\u{7} euro€ emoji\u{1f600} slash/ del\u{7f}" }),
            json!("a bare string"),
            json!(null),
        ];
        for detail in &details {
            for (actor, incident) in [(Some("u-1"), Some("i-1")), (None, None)] {
                let row = row(detail, actor, incident);
                let canonical = to_canonical(&audit_record(&row, 42)).unwrap();
                assert_eq!(audit_leaf_as_stored(&StoredAudit::of(&row), 42), canonical, "{detail}");
            }
        }
    }

    #[test]
    fn a_detail_stored_otherwise_is_not_taken_as_its_leaf() {
        // Whitespace, or members out of canonical order (as rows stored before details were
        // canonical may hold them): the shortcut differs, and verify encodes the record in full.
        let mut spaced = row(&json!({ "a": 1 }), None, None);
        spaced.detail = "{ \"a\": 1 }".into();
        let canonical = to_canonical(&audit_record(&spaced, 7)).unwrap();
        assert_ne!(audit_leaf_as_stored(&StoredAudit::of(&spaced), 7), canonical);
        let mut insertion_order = row(&json!({}), None, None);
        insertion_order.detail = r#"{"b":1,"a":2}"#.into();
        let canonical = to_canonical(&audit_record(&insertion_order, 7)).unwrap();
        assert_ne!(audit_leaf_as_stored(&StoredAudit::of(&insertion_order), 7), canonical);
    }
}
