//! The people of an incident and the defendants each count charges.

use diesel::prelude::*;
use std::collections::HashMap;
use time::PrimitiveDateTime;

use super::{corrupt, parse_stored};
use crate::db::DbConnection;
use crate::db::schema::{charge_defendants, charges, people};
use crate::domain::ids::{ChargeId, PersonId, UserId};
use crate::domain::person::{Person, PersonDraft};

type PersonTuple = (String, String, String, Option<String>, String);

fn into_person((id, name, role, placeholder, aliases): PersonTuple) -> QueryResult<Person> {
    Ok(Person {
        id: parse_stored("person id", &id)?,
        role: role.parse().map_err(|_: String| corrupt("person role", &role))?,
        name,
        placeholder,
        aliases: aliases.lines().map(str::to_owned).filter(|a| !a.is_empty()).collect(),
    })
}

pub fn insert(
    conn: &mut DbConnection,
    incident_id: &str,
    id: PersonId,
    draft: &PersonDraft,
    by: UserId,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(people::table)
        .values((
            people::id.eq(id.to_string()),
            people::incident_id.eq(incident_id),
            people::name.eq(&draft.name),
            people::role.eq(draft.role.as_str()),
            people::placeholder.eq(draft.placeholder.as_deref()),
            people::aliases.eq(draft.aliases.join("\n")),
            people::created_by.eq(Some(by.to_string())),
            people::created_at.eq(at),
        ))
        .execute(conn)
}

/// The incident's people, defendants first, then by name.
pub fn of_incident(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<Person>> {
    let rows: Vec<PersonTuple> = people::table
        .filter(people::incident_id.eq(incident_id))
        .order((people::role.asc(), people::name.asc()))
        .select((people::id, people::name, people::role, people::placeholder, people::aliases))
        .load(conn)?;
    let mut out = rows.into_iter().map(into_person).collect::<QueryResult<Vec<_>>>()?;
    out.sort_by_key(|p| (p.role, p.name.to_lowercase()));
    Ok(out)
}

/// Replaces the defendants a count charges.
pub fn set_defendants(conn: &mut DbConnection, charge: ChargeId, defendants: &[PersonId]) -> QueryResult<()> {
    diesel::delete(charge_defendants::table.filter(charge_defendants::charge_id.eq(charge.to_string())))
        .execute(conn)?;
    for person in defendants {
        diesel::insert_into(charge_defendants::table)
            .values((
                charge_defendants::charge_id.eq(charge.to_string()),
                charge_defendants::person_id.eq(person.to_string()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The defendants one count charges.
pub fn defendants_of(conn: &mut DbConnection, charge: ChargeId) -> QueryResult<Vec<PersonId>> {
    let ids: Vec<String> = charge_defendants::table
        .inner_join(people::table)
        .filter(charge_defendants::charge_id.eq(charge.to_string()))
        .order(people::name.asc())
        .select(charge_defendants::person_id)
        .load(conn)?;
    ids.iter().map(|id| parse_stored("person id", id)).collect()
}

/// The defendants of every count of an incident (or of every incident), by count.
pub fn defendants_by_charge(
    conn: &mut DbConnection,
    incident_id: Option<&str>,
) -> QueryResult<HashMap<ChargeId, Vec<PersonId>>> {
    let mut query = charge_defendants::table
        .inner_join(charges::table)
        .inner_join(people::table)
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(incident_id) = incident_id {
        query = query.filter(charges::incident_id.eq(incident_id.to_owned()));
    }
    let rows: Vec<(String, String)> = query
        .order((charge_defendants::charge_id.asc(), people::name.asc()))
        .select((charge_defendants::charge_id, charge_defendants::person_id))
        .load(conn)?;
    let mut out: HashMap<ChargeId, Vec<PersonId>> = HashMap::new();
    for (charge, person) in rows {
        out.entry(parse_stored("charge id", &charge)?).or_default().push(parse_stored("person id", &person)?);
    }
    Ok(out)
}
