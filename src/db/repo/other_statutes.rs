//! Out-of-catalog offenses entered for an incident, with their elements.

use diesel::prelude::*;
use std::collections::HashMap;
use time::PrimitiveDateTime;

use super::parse_stored;
use crate::db::DbConnection;
use crate::db::schema::{other_statute_elements, other_statutes, users};
use crate::domain::ids::UserId;
use crate::domain::other_statute::{OtherStatute, OtherStatuteDraft};
use crate::statutes::Maximum;

/// How many out-of-catalog offenses the incident has: the next one is numbered one higher.
/// None is ever deleted, so the numbers stay unique (the unique key catches a race).
pub fn count_of_incident(conn: &mut DbConnection, incident_id: &str) -> QueryResult<i64> {
    other_statutes::table.filter(other_statutes::incident_id.eq(incident_id)).count().get_result(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    incident_id: &str,
    code: &str,
    draft: &OtherStatuteDraft,
    by: UserId,
    at: PrimitiveDateTime,
) -> QueryResult<()> {
    let id = uuid::Uuid::new_v4().to_string();
    let (max_years, max_life) = match draft.maximum {
        Maximum::Years(n) => (Some(i32::from(n)), false),
        Maximum::Life => (None, true),
    };
    diesel::insert_into(other_statutes::table)
        .values((
            other_statutes::id.eq(&id),
            other_statutes::incident_id.eq(incident_id),
            other_statutes::code.eq(code),
            other_statutes::citation.eq(&draft.citation),
            other_statutes::title.eq(&draft.title),
            other_statutes::max_years.eq(max_years),
            other_statutes::max_life.eq(max_life),
            other_statutes::min_years.eq(i32::from(draft.min_years)),
            other_statutes::entered_by.eq(by.to_string()),
            other_statutes::entered_at.eq(at),
        ))
        .execute(conn)?;
    // At most `MAX_ELEMENTS` rows: a bounded number of statements.
    for (text, position) in draft.elements.iter().zip(1..) {
        diesel::insert_into(other_statute_elements::table)
            .values((
                other_statute_elements::other_statute_id.eq(&id),
                other_statute_elements::position.eq::<i32>(position),
                other_statute_elements::text.eq(text),
            ))
            .execute(conn)?;
    }
    Ok(())
}

type StatuteTuple = (String, String, String, String, Option<i32>, bool, i32, String, String, PrimitiveDateTime);

/// The incident's out-of-catalog offenses in the order they were entered, with their elements.
pub fn of_incident(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<OtherStatute>> {
    let rows: Vec<StatuteTuple> = other_statutes::table
        .inner_join(users::table)
        .filter(other_statutes::incident_id.eq(incident_id))
        .select((
            other_statutes::id,
            other_statutes::code,
            other_statutes::citation,
            other_statutes::title,
            other_statutes::max_years,
            other_statutes::max_life,
            other_statutes::min_years,
            other_statutes::entered_by,
            users::full_name,
            other_statutes::entered_at,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let elements: Vec<(String, String)> = other_statute_elements::table
        .inner_join(other_statutes::table)
        .filter(other_statutes::incident_id.eq(incident_id))
        .order((other_statute_elements::other_statute_id.asc(), other_statute_elements::position.asc()))
        .select((other_statute_elements::other_statute_id, other_statute_elements::text))
        .load(conn)?;
    let mut by_statute: HashMap<String, Vec<String>> = HashMap::new();
    for (statute, text) in elements {
        by_statute.entry(statute).or_default().push(text);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (id, code, citation, title, max_years, max_life, min_years, entered_by, name, entered_at) in rows {
        let maximum = match (max_years, max_life) {
            (_, true) => Maximum::Life,
            (Some(n), false) => {
                Maximum::Years(u16::try_from(n).map_err(|_| super::corrupt("maximum", &n.to_string()))?)
            }
            (None, false) => return Err(super::corrupt("maximum of", &code)),
        };
        out.push(OtherStatute {
            min_years: u16::try_from(min_years).map_err(|_| super::corrupt("minimum", &min_years.to_string()))?,
            elements: by_statute.remove(&id).unwrap_or_default(),
            entered_by: parse_stored("user id", &entered_by)?,
            entered_by_name: name,
            code,
            citation,
            title,
            maximum,
            entered_at,
        });
    }
    out.sort_by_key(|o| o.code.trim_start_matches(crate::statutes::OTHER_PREFIX).parse::<i64>().unwrap_or(i64::MAX));
    Ok(out)
}
