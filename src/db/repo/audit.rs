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

/// Inserts the record and returns its id.
pub fn insert(conn: &mut DbConnection, row: &NewAuditEventRow) -> QueryResult<i64> {
    diesel::insert_into(audit_events::table).values(row).returning(audit_events::id).get_result(conn)
}

/// One record as stored, for re-checking its ledger leaf.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<NewAuditEventRow>> {
    audit_events::table
        .filter(audit_events::id.eq(id))
        .select((
            audit_events::at,
            audit_events::actor_id,
            audit_events::action,
            audit_events::incident_id,
            audit_events::detail,
        ))
        .first::<(PrimitiveDateTime, Option<String>, String, Option<String>, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(at, actor_id, action, incident_id, detail)| NewAuditEventRow {
                at,
                actor_id,
                action,
                incident_id,
                detail,
            })
        })
}

/// An audit record's stored columns: at, actor, action, incident, detail.
type AuditTuple = (PrimitiveDateTime, Option<String>, String, Option<String>, String);

/// An audit record's id and stored columns, as `find_range` and `batch_from` read them.
const STORED: (
    audit_events::id,
    (audit_events::at, audit_events::actor_id, audit_events::action, audit_events::incident_id, audit_events::detail),
) = (
    audit_events::id,
    (audit_events::at, audit_events::actor_id, audit_events::action, audit_events::incident_id, audit_events::detail),
);

fn stored_row((id, (at, actor_id, action, incident_id, detail)): (i64, AuditTuple)) -> (i64, NewAuditEventRow) {
    (id, NewAuditEventRow { at, actor_id, action, incident_id, detail })
}

/// The records with ids in `first..=last`, as stored, by id: one query for a batch of leaves.
pub fn find_range(
    conn: &mut DbConnection,
    first: i64,
    last: i64,
) -> QueryResult<std::collections::HashMap<i64, NewAuditEventRow>> {
    let rows: Vec<(i64, AuditTuple)> = audit_events::table
        .filter(audit_events::id.ge(first))
        .filter(audit_events::id.le(last))
        .select(STORED)
        .load(conn)?;
    Ok(rows.into_iter().map(stored_row).collect())
}

/// Up to `limit` records from id `from` on, in id order, as stored: `verify` reads them beside
/// the ledger's leaves, a batch at a time.
pub fn batch_from(conn: &mut DbConnection, from: i64, limit: i64) -> QueryResult<Vec<(i64, NewAuditEventRow)>> {
    let rows: Vec<(i64, AuditTuple)> = audit_events::table
        .filter(audit_events::id.ge(from))
        .order(audit_events::id.asc())
        .limit(limit)
        .select(STORED)
        .load(conn)?;
    Ok(rows.into_iter().map(stored_row).collect())
}

/// The newest `limit` records about one incident, newest first.
pub fn for_incident(conn: &mut DbConnection, incident_id: &str, limit: i64) -> QueryResult<Vec<AuditEntry>> {
    crate::db::limited(
        audit_events::table
            .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
            .filter(audit_events::incident_id.eq(incident_id))
            .order(audit_events::id.desc())
            .select((
                audit_events::id,
                audit_events::at,
                users::username.nullable(),
                audit_events::action,
                audit_events::detail,
            )),
        limit,
    )
    .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    audit_events::table.count().get_result(conn)
}

/// The newest `limit` records about the incidents `member_of` is on (all incidents if None),
/// with each record's incident number.
pub fn recent(
    conn: &mut DbConnection,
    member_of: Option<crate::domain::ids::UserId>,
    limit: i64,
) -> QueryResult<Vec<(String, AuditEntry)>> {
    use crate::db::schema::incidents;
    let mut query = audit_events::table
        .inner_join(incidents::table.on(audit_events::incident_id.eq(incidents::id.nullable())))
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(user) = member_of {
        let walk = super::incidents::walks_in_order(conn, user)?;
        query = super::incidents::on_team!(query, incidents::id, user, walk);
    }
    let rows: Vec<(String, i64, PrimitiveDateTime, Option<String>, String, String)> = crate::db::limited(
        query.order(audit_events::id.desc()).select((
            incidents::number,
            audit_events::id,
            audit_events::at,
            users::username.nullable(),
            audit_events::action,
            audit_events::detail,
        )),
        limit,
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(number, id, at, actor, action, detail)| (number, AuditEntry { id, at, actor, action, detail }))
        .collect())
}
