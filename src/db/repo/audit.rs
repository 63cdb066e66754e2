use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::DbConnection;
use crate::db::schema::{audit_events, users};

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEventRow {
    pub at: PrimitiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub incident_id: Option<String>,
    pub detail: String,
}

/// An audit record with the actor's username, for display.
#[derive(Debug, Clone, Queryable)]
pub struct AuditEntry {
    pub id: i64,
    pub at: PrimitiveDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
}

pub fn insert(conn: &mut DbConnection, row: &NewAuditEventRow) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table).values(row).execute(conn)
}

/// The newest `limit` records about one incident, newest first.
pub fn for_incident(conn: &mut DbConnection, incident_id: &str, limit: i64) -> QueryResult<Vec<AuditEntry>> {
    audit_events::table
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .filter(audit_events::incident_id.eq(incident_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .select((
            audit_events::id,
            audit_events::at,
            users::username.nullable(),
            audit_events::action,
            audit_events::detail,
        ))
        .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    audit_events::table.count().get_result(conn)
}
