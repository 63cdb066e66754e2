//! Charges under consideration, mappings, reviews and exhibit tags.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use super::{corrupt, parse_stored};
use crate::db::schema::{charges, exhibit_tags, exhibits, incidents, mapping_reviews, mappings, users};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::approx::OffenseDate;
use crate::domain::charge::{Charge, Mapping, MappingStatus, Review};
use crate::domain::ids::{ChargeId, ExhibitId, MappingId, UserId};
use crate::domain::incident::{Position, Slice};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = charges)]
pub struct ChargeRow {
    pub id: String,
    pub incident_id: String,
    pub seq: i32,
    pub offense_id: String,
    pub object_offense_id: Option<String>,
    pub concerns: String,
    pub offense_date: Option<Date>,
    pub affects_financial_institution: bool,
    /// Pleaded penalty facts, space-separated ids.
    pub penalty_facts: String,
    pub status: String,
    pub drop_reason: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub predicate_charge_id: Option<String>,
    pub charged_on: Option<Date>,
    pub charging_instrument: Option<String>,
    pub gain_cents: Option<i64>,
    pub loss_cents: Option<i64>,
    /// The recorded form of an approximate or ranged offense date; `offense_date` then holds
    /// its earliest day.
    pub offense_date_form: Option<String>,
    pub gain_bound: Option<String>,
    pub loss_bound: Option<String>,
}

impl ChargeRow {
    fn into_charge(self) -> QueryResult<Charge> {
        Ok(Charge {
            status: self.status.parse().map_err(|_| corrupt("charge status", &self.status))?,
            penalty_facts: self.penalty_facts.split_whitespace().map(str::to_owned).collect(),
            id: parse_stored("charge id", &self.id)?,
            count: self.seq,
            offense_id: self.offense_id,
            object_offense_id: self.object_offense_id,
            concerns: self.concerns,
            offense_date: self
                .offense_date
                .map(|d| OffenseDate::from_stored(d, self.offense_date_form.as_deref()))
                .transpose()
                .map_err(|why| corrupt("offense date", &why))?,
            affects_financial_institution: self.affects_financial_institution,
            drop_reason: self.drop_reason,
            defendants: Vec::new(),
            predicate: self.predicate_charge_id.as_deref().map(|p| parse_stored("charge id", p)).transpose()?,
            charged_on: self.charged_on,
            gain: super::stored_amount("gain", self.gain_cents, self.gain_bound.as_deref())?,
            loss: super::stored_amount("loss", self.loss_cents, self.loss_bound.as_deref())?,
            charging_instrument: self
                .charging_instrument
                .as_deref()
                .map(|i| i.parse().map_err(|_: String| corrupt("charging instrument", i)))
                .transpose()?,
            created_by: parse_stored("user id", &self.created_by)?,
            created_at: self.created_at,
        })
    }
}

pub fn next_charge_seq(conn: &mut DbConnection, incident_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = charges::table
        .filter(charges::incident_id.eq(incident_id))
        .select(diesel::dsl::max(charges::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Records the filing that charged a count, once: 0 when it was already recorded.
pub fn record_charging(
    conn: &mut DbConnection,
    charge: crate::domain::ids::ChargeId,
    on: Date,
    instrument: &str,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(charges::table.filter(charges::id.eq(charge.to_string())).filter(charges::charged_on.is_null()))
        .set((
            charges::charged_on.eq(Some(on)),
            charges::charging_instrument.eq(Some(instrument)),
            charges::updated_at.eq(at),
            // A charged count's clock has stopped: it leaves the deadline list.
            charges::limitation_listed.eq(0),
        ))
        .execute(conn)
}

pub fn insert_charge(conn: &mut DbConnection, row: &ChargeRow) -> QueryResult<()> {
    diesel::insert_into(charges::table).values(row.clone()).execute(conn).map(|_| ())
}

pub fn charges_of(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<Charge>> {
    let mut charges = charges::table
        .filter(charges::incident_id.eq(incident_id))
        .order(charges::seq.asc())
        .select(ChargeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ChargeRow::into_charge)
        .collect::<QueryResult<Vec<_>>>()?;
    let mut defendants = super::people::defendants_by_charge(conn, Some(incident_id))?;
    for charge in &mut charges {
        charge.defendants = defendants.remove(&charge.id).unwrap_or_default();
    }
    Ok(charges)
}

pub fn find_charge(conn: &mut DbConnection, incident_id: &str, count: i32) -> QueryResult<Option<Charge>> {
    let row: Option<ChargeRow> = charges::table
        .filter(charges::incident_id.eq(incident_id))
        .filter(charges::seq.eq(count))
        .select(ChargeRow::as_select())
        .first(conn)
        .optional()?;
    let Some(mut charge) = row.map(ChargeRow::into_charge).transpose()? else { return Ok(None) };
    charge.defendants = super::people::defendants_of(conn, charge.id)?;
    Ok(Some(charge))
}

/// Swaps the numbers of two counts of an incident (inside a write transaction; the unique
/// number is parked on a negative value in between).
pub fn swap_counts(conn: &mut DbConnection, incident_id: &str, a: i32, b: i32) -> QueryResult<()> {
    let set_seq = |conn: &mut DbConnection, from: i32, to: i32| {
        diesel::update(charges::table.filter(charges::incident_id.eq(incident_id)).filter(charges::seq.eq(from)))
            .set(charges::seq.eq(to))
            .execute(conn)
    };
    set_seq(conn, a, -a)?;
    set_seq(conn, b, a)?;
    set_seq(conn, -a, b)?;
    Ok(())
}

/// Marks a candidate count dropped; returns the rows changed (0 if it was already dropped).
pub fn drop_charge(conn: &mut DbConnection, id: ChargeId, reason: &str, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(charges::table.filter(charges::id.eq(id.to_string())).filter(charges::status.eq("candidate")))
        .set((
            charges::status.eq("dropped"),
            charges::drop_reason.eq(reason),
            charges::updated_at.eq(now),
            charges::limitation_listed.eq(0),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mappings)]
pub struct NewMappingRow {
    pub id: String,
    pub incident_id: String,
    pub charge_id: String,
    pub element_id: String,
    pub exhibit_id: String,
    pub pin_kind: Option<String>,
    pub pin_cite: Option<String>,
    pub rationale: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub proposed_by: String,
    pub proposed_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

pub fn insert_mapping(conn: &mut DbConnection, row: &NewMappingRow) -> QueryResult<()> {
    diesel::insert_into(mappings::table).values(row.clone()).execute(conn).map(|_| ())
}

type MappingTuple = (
    (String, String, String, Option<String>, Option<String>, String, String, Option<String>),
    (String, String, String, PrimitiveDateTime, PrimitiveDateTime),
    i32,
    String,
    String,
    String,
);

type MappingQuery = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoinOn<
        diesel::dsl::InnerJoin<
            diesel::dsl::InnerJoin<diesel::dsl::InnerJoin<mappings::table, charges::table>, exhibits::table>,
            incidents::table,
        >,
        users::table,
        diesel::dsl::Eq<users::id, mappings::proposed_by>,
    >,
    MultiBackend,
>;

/// Mappings with their count, exhibit, incident number and proposer, so that one statement
/// reads a list however many people proposed it.
fn mapping_query() -> MappingQuery {
    mappings::table
        .inner_join(charges::table)
        .inner_join(exhibits::table)
        .inner_join(incidents::table)
        .inner_join(users::table.on(users::id.eq(mappings::proposed_by)))
        .into_boxed()
}

/// The order mappings are listed in.
#[derive(Clone, Copy)]
enum MappingOrder {
    /// By count, element and exhibit: how an incident's proof reads.
    ByCount,
    /// Oldest proposal first: how a review queue is worked.
    ByProposal,
}

fn load_mappings(conn: &mut DbConnection, query: MappingQuery, order: MappingOrder) -> QueryResult<Vec<Mapping>> {
    Ok(load_numbered(conn, query, order)?.into_iter().map(|(_, m)| m).collect())
}

/// Mappings, each with its incident's number.
fn load_numbered(
    conn: &mut DbConnection,
    query: MappingQuery,
    order: MappingOrder,
) -> QueryResult<Vec<(String, Mapping)>> {
    let query = match order {
        MappingOrder::ByCount => query.order((
            charges::seq.asc(),
            mappings::element_id.asc(),
            exhibits::seq.asc(),
            mappings::proposed_at.asc(),
        )),
        MappingOrder::ByProposal => query.order((mappings::proposed_at.asc(), mappings::id.asc())),
    };
    let rows: Vec<MappingTuple> = query
        .select((
            (
                mappings::id,
                mappings::charge_id,
                mappings::element_id,
                mappings::pin_kind,
                mappings::pin_cite,
                mappings::rationale,
                mappings::status,
                mappings::status_reason,
            ),
            (mappings::proposed_by, users::username, users::full_name, mappings::proposed_at, mappings::updated_at),
            charges::seq,
            exhibits::number,
            exhibits::id,
            incidents::number,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(
                (id, charge_id, element_id, pin_kind, pin_cite, rationale, status, status_reason),
                (by, username, full_name, at, updated),
                count,
                number,
                exhibit_id,
                incident,
            )| {
                let mapping = Mapping {
                    id: parse_stored("mapping id", &id)?,
                    count,
                    charge_id: parse_stored("charge id", &charge_id)?,
                    element_id,
                    exhibit: number.parse().map_err(|_: String| corrupt("exhibit number", &number))?,
                    exhibit_id: parse_stored("exhibit id", &exhibit_id)?,
                    pin_kind: pin_kind.map(|k| k.parse().map_err(|_: String| corrupt("pin kind", &k))).transpose()?,
                    pin_cite,
                    rationale,
                    status: status.parse().map_err(|_: String| corrupt("mapping status", &status))?,
                    status_reason,
                    proposed_by_name: if full_name.is_empty() { username } else { full_name },
                    proposed_by: parse_stored("user id", &by)?,
                    proposed_at: at,
                    updated_at: updated,
                };
                Ok((incident, mapping))
            },
        )
        .collect()
}

pub fn mappings_of_incident(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<Mapping>> {
    load_mappings(conn, mapping_query().filter(mappings::incident_id.eq(incident_id.to_owned())), MappingOrder::ByCount)
}

pub fn mappings_of_exhibit(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<Vec<Mapping>> {
    load_mappings(conn, mapping_query().filter(mappings::exhibit_id.eq(exhibit.to_string())), MappingOrder::ByCount)
}

/// A mapping and the number of its incident.
pub fn find_mapping(conn: &mut DbConnection, id: MappingId) -> QueryResult<Option<(Mapping, String)>> {
    let found = load_numbered(conn, mapping_query().filter(mappings::id.eq(id.to_string())), MappingOrder::ByCount)?;
    Ok(found.into_iter().next().map(|(incident, m)| (m, incident)))
}

/// One stretch of the mappings waiting for review (proposed) in the incidents `user` may see,
/// not proposed by `user`, oldest first, with their incident numbers, read by key (proposal
/// time, then id) from `position`, and how many wait (counted up to `count_up_to`). A cursor
/// that names no mapping reads as an empty stretch.
pub fn review_queue(
    conn: &mut DbConnection,
    user: UserId,
    sees_all: bool,
    position: Position<MappingId>,
    per_page: i64,
    count_up_to: i64,
) -> QueryResult<Slice<(String, Mapping)>> {
    let walk = !sees_all && super::incidents::walks_in_order(conn, user)?;
    // The mappings waiting, on the mappings alone (each has its count and exhibit): counted and
    // read by key along the status index; the stretch's details are joined in afterwards, for
    // its ids only, so that the planner is never handed the five-table join with the team check.
    let waiting = || {
        let query = mappings::table
            .filter(mappings::status.eq(MappingStatus::Proposed.as_str()))
            .filter(mappings::proposed_by.ne(user.to_string()))
            .into_boxed::<MultiBackend>();
        if sees_all { query } else { super::incidents::on_team!(query, mappings::incident_id, user, walk) }
    };
    let counted = super::Counted::from_rows(
        crate::db::limited(waiting().select(mappings::id), count_up_to + 1).load::<String>(conn)?.len(),
        count_up_to,
    );
    // The cursor's own place in the order: its proposal time (a mapping is never deleted).
    let key = |conn: &mut DbConnection, id: MappingId| -> QueryResult<Option<(PrimitiveDateTime, String)>> {
        let at = mappings::table
            .filter(mappings::id.eq(id.to_string()))
            .select(mappings::proposed_at)
            .first::<PrimitiveDateTime>(conn)
            .optional()?;
        Ok(at.map(|at| (at, id.to_string())))
    };
    let page = per_page + 1;
    let oldest_first = (mappings::proposed_at.asc(), mappings::id.asc());
    let ids: Vec<String> = match position {
        Position::Start => crate::db::limited(waiting().order(oldest_first).select(mappings::id), page).load(conn)?,
        Position::After(id) => match key(conn, id)? {
            None => Vec::new(),
            Some((at, id)) => crate::db::limited(
                waiting()
                    .filter(mappings::proposed_at.gt(at).or(mappings::proposed_at.eq(at).and(mappings::id.gt(id))))
                    .order(oldest_first)
                    .select(mappings::id),
                page,
            )
            .load(conn)?,
        },
        Position::Before(id) => match key(conn, id)? {
            None => Vec::new(),
            Some((at, id)) => crate::db::limited(
                waiting()
                    .filter(mappings::proposed_at.lt(at).or(mappings::proposed_at.eq(at).and(mappings::id.lt(id))))
                    .order((mappings::proposed_at.desc(), mappings::id.desc()))
                    .select(mappings::id),
                page,
            )
            .load(conn)?,
        },
    };
    let (ids, more) = position.stretch(ids, per_page);
    // A stretch's ids: as many as a page holds (at most 500), never a list that grows with data.
    let found = load_numbered(conn, mapping_query().filter(mappings::id.eq_any(ids)), MappingOrder::ByProposal)?;
    let key = |item: Option<&(String, Mapping)>| item.map(|(_, m)| m.id.to_string());
    let (next, previous) = position.cursors(more, key(found.first()), key(found.last()));
    Ok(Slice { items: found, per_page, total: counted.total, capped: counted.capped, next, previous })
}

/// Changes a mapping's status, if it is still `expected`; returns the rows changed.
pub fn set_mapping_status(
    conn: &mut DbConnection,
    id: MappingId,
    expected: MappingStatus,
    status: MappingStatus,
    reason: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        mappings::table.filter(mappings::id.eq(id.to_string())).filter(mappings::status.eq(expected.as_str())),
    )
    .set((mappings::status.eq(status.as_str()), mappings::status_reason.eq(reason), mappings::updated_at.eq(now)))
    .execute(conn)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mapping_reviews)]
pub struct NewReviewRow {
    pub id: String,
    pub mapping_id: String,
    pub seq: i32,
    pub reviewer_id: Option<String>,
    pub decision: String,
    pub comment: String,
    pub exhibit_sha256: Option<String>,
    pub catalog_version: String,
    pub element_fingerprint: String,
    pub reviewed_at: PrimitiveDateTime,
}

pub fn next_review_seq(conn: &mut DbConnection, mapping: MappingId) -> QueryResult<i32> {
    let max: Option<i32> = mapping_reviews::table
        .filter(mapping_reviews::mapping_id.eq(mapping.to_string()))
        .select(diesel::dsl::max(mapping_reviews::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert_review(conn: &mut DbConnection, row: &NewReviewRow) -> QueryResult<()> {
    diesel::insert_into(mapping_reviews::table).values(row.clone()).execute(conn).map(|_| ())
}

type ReviewTuple = (i32, Option<String>, String, String, Option<String>, String, String, PrimitiveDateTime);

pub fn reviews_of(conn: &mut DbConnection, mapping: MappingId) -> QueryResult<Vec<Review>> {
    let rows: Vec<ReviewTuple> = mapping_reviews::table
        .left_join(users::table.on(users::id.nullable().eq(mapping_reviews::reviewer_id)))
        .filter(mapping_reviews::mapping_id.eq(mapping.to_string()))
        .order(mapping_reviews::seq.asc())
        .select((
            mapping_reviews::seq,
            users::username.nullable(),
            mapping_reviews::decision,
            mapping_reviews::comment,
            mapping_reviews::exhibit_sha256,
            mapping_reviews::catalog_version,
            mapping_reviews::element_fingerprint,
            mapping_reviews::reviewed_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, reviewer, decision, comment, exhibit_sha256, catalog_version, element_fingerprint, reviewed_at)| {
            Ok(Review {
                seq,
                reviewer,
                decision: decision.parse().map_err(|_: String| corrupt("review decision", &decision))?,
                comment,
                exhibit_sha256,
                catalog_version,
                element_fingerprint,
                reviewed_at,
            })
        })
        .collect()
}

/// What the accepting reviewer wrote on each accepted mapping of an incident.
pub fn acceptance_notes(
    conn: &mut DbConnection,
    incident_id: &str,
) -> QueryResult<std::collections::HashMap<MappingId, String>> {
    let rows: Vec<(String, String)> = mapping_reviews::table
        .inner_join(mappings::table)
        .filter(mappings::incident_id.eq(incident_id.to_owned()))
        .filter(mappings::status.eq(MappingStatus::Accepted.as_str()))
        .filter(mapping_reviews::decision.eq("accepted"))
        .order((mapping_reviews::mapping_id.asc(), mapping_reviews::seq.desc()))
        .select((mapping_reviews::mapping_id, mapping_reviews::comment))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for (mapping, comment) in rows {
        out.entry(parse_stored("mapping id", &mapping)?).or_insert(comment);
    }
    Ok(out)
}

/// An accepted mapping and what its accepting review saw.
pub struct AcceptedMapping {
    pub id: MappingId,
    /// The id as stored, for the batch's range.
    pub raw_id: String,
    pub element_id: String,
    /// The exhibit's SHA-256 when it was accepted, and now.
    pub sha256_seen: Option<String>,
    pub sha256_now: Option<String>,
    pub element_fingerprint: String,
}

/// A batch of the accepted mappings not yet known to hold under catalog `version`, in id order
/// after `after`, each with what its latest accepting review saw. Two queries per batch, each
/// bounded by `limit` and a range of ids: never a list of ids.
pub fn accepted_unchecked(
    conn: &mut DbConnection,
    version: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<AcceptedMapping>> {
    let accepted: Vec<(String, String, Option<String>)> = mappings::table
        .inner_join(exhibits::table)
        .filter(mappings::status.eq(MappingStatus::Accepted.as_str()))
        .filter(mappings::catalog_checked.ne(version))
        .filter(mappings::id.gt(after))
        .order(mappings::id.asc())
        .limit(limit)
        .select((mappings::id, mappings::element_id, exhibits::sha256))
        .load(conn)?;
    let (Some(first), Some(last)) = (accepted.first(), accepted.last()) else { return Ok(Vec::new()) };
    // The latest accepting review of each: newest first within each mapping of the range.
    let reviews: Vec<(String, Option<String>, String)> = mapping_reviews::table
        .inner_join(mappings::table)
        .filter(mappings::status.eq(MappingStatus::Accepted.as_str()))
        .filter(mappings::catalog_checked.ne(version))
        .filter(mappings::id.ge(first.0.as_str()))
        .filter(mappings::id.le(last.0.as_str()))
        .filter(mapping_reviews::decision.eq("accepted"))
        .order((mapping_reviews::mapping_id.asc(), mapping_reviews::seq.desc()))
        .select((mapping_reviews::mapping_id, mapping_reviews::exhibit_sha256, mapping_reviews::element_fingerprint))
        .load(conn)?;
    let mut latest: std::collections::HashMap<String, (Option<String>, String)> = std::collections::HashMap::new();
    for (mapping_id, sha256, fingerprint) in reviews {
        latest.entry(mapping_id).or_insert((sha256, fingerprint));
    }
    let mut out = Vec::with_capacity(accepted.len());
    for (id, element, sha_now) in accepted {
        let (sha256_seen, element_fingerprint) = latest.remove(&id).unwrap_or((None, String::new()));
        out.push(AcceptedMapping {
            raw_id: id.clone(),
            id: parse_stored("mapping id", &id)?,
            element_id: element,
            sha256_seen,
            sha256_now: sha_now,
            element_fingerprint,
        });
    }
    Ok(out)
}

/// Records that the accepted mappings with ids in `first..=last` still not known to hold under
/// `version` do hold under it (those the check sent back are no longer accepted).
pub fn mark_catalog_checked(conn: &mut DbConnection, version: &str, first: &str, last: &str) -> QueryResult<usize> {
    diesel::update(
        mappings::table
            .filter(mappings::status.eq(MappingStatus::Accepted.as_str()))
            .filter(mappings::catalog_checked.ne(version))
            .filter(mappings::id.ge(first))
            .filter(mappings::id.le(last)),
    )
    .set(mappings::catalog_checked.eq(version))
    .execute(conn)
}

/// An acceptance is made under the catalog in force: it holds under that version.
pub fn accepted_under(conn: &mut DbConnection, id: MappingId, version: &str) -> QueryResult<usize> {
    diesel::update(mappings::table.filter(mappings::id.eq(id.to_string())))
        .set(mappings::catalog_checked.eq(version))
        .execute(conn)
}

/// Accepted mappings of one exhibit.
pub fn accepted_of_exhibit(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<Vec<MappingId>> {
    let ids: Vec<String> = mappings::table
        .filter(mappings::exhibit_id.eq(exhibit.to_string()))
        .filter(mappings::status.eq(MappingStatus::Accepted.as_str()))
        .select(mappings::id)
        .load(conn)?;
    ids.iter().map(|id| parse_stored("mapping id", id)).collect()
}

pub fn add_tag(
    conn: &mut DbConnection,
    exhibit: ExhibitId,
    tag: &str,
    by: UserId,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    let exhibit_id = exhibit.to_string();
    let exists: i64 = exhibit_tags::table
        .filter(exhibit_tags::exhibit_id.eq(&exhibit_id))
        .filter(exhibit_tags::tag.eq(tag))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(0);
    }
    diesel::insert_into(exhibit_tags::table)
        .values((
            exhibit_tags::exhibit_id.eq(exhibit_id),
            exhibit_tags::tag.eq(tag),
            exhibit_tags::added_by.eq(by.to_string()),
            exhibit_tags::added_at.eq(at),
        ))
        .execute(conn)
}

pub fn tags_of(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<Vec<String>> {
    exhibit_tags::table
        .filter(exhibit_tags::exhibit_id.eq(exhibit.to_string()))
        .order(exhibit_tags::tag.asc())
        .select(exhibit_tags::tag)
        .load(conn)
}

/// The first `limit` counts of the office's list of nearest limitation deadlines, in the
/// incidents a user sees (all, or those `member_of` is on), with their incident's number and
/// title: in the stored order (undated first, then by deadline; counts with the same deadline
/// in the order they were added), read from its index.
pub fn nearest_deadlines(
    conn: &mut DbConnection,
    member_of: Option<UserId>,
    limit: i64,
) -> QueryResult<Vec<(String, String, Charge)>> {
    let mut query = charges::table
        .inner_join(incidents::table)
        .filter(charges::limitation_listed.gt(0))
        .filter(charges::status.eq("candidate"))
        .filter(charges::charged_on.is_null())
        .into_boxed::<MultiBackend>();
    if let Some(user) = member_of {
        let walk = super::incidents::walks_in_order(conn, user)?;
        query = super::incidents::on_team!(query, charges::incident_id, user, walk);
    }
    let rows: Vec<(ChargeRow, String, String)> = crate::db::limited(
        query
            .order((
                charges::limitation_listed.asc(),
                charges::limitation_deadline.asc(),
                charges::created_at.asc(),
                charges::id.asc(),
            ))
            .select((ChargeRow::as_select(), incidents::number, incidents::title)),
        limit,
    )
    .load(conn)?;
    rows.into_iter().map(|(row, number, title)| Ok((number, title, row.into_charge()?))).collect()
}

/// A batch of counts whose place in the deadline list was not computed under catalog
/// `version`, in id order after `after`, each with its stored id.
pub fn limitation_unordered(
    conn: &mut DbConnection,
    version: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<(String, Charge)>> {
    let rows: Vec<ChargeRow> = charges::table
        .filter(charges::limitation_catalog.ne(version))
        .filter(charges::id.gt(after))
        .order(charges::id.asc())
        .limit(limit)
        .select(ChargeRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| Ok((row.id.clone(), row.into_charge()?))).collect()
}

/// Stores a count's place in the deadline list (see `DeadlineListing::stored`), computed under
/// catalog `version`.
pub fn set_limitation_order(
    conn: &mut DbConnection,
    id: &str,
    (listed, deadline): (i32, Option<Date>),
    version: &str,
) -> QueryResult<usize> {
    diesel::update(charges::table.filter(charges::id.eq(id)))
        .set((
            charges::limitation_listed.eq(listed),
            charges::limitation_deadline.eq(deadline),
            charges::limitation_catalog.eq(version),
        ))
        .execute(conn)
}
