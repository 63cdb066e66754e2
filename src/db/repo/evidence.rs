use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::{corrupt, parse_stored};
use crate::db::DbConnection;
use crate::db::schema::{custody_events, exhibits, incidents};
use crate::domain::charge::MappingStatus;
use crate::domain::custody::{CustodyAction, CustodyDetails, CustodyEvent, LatestVerification};
use crate::domain::evidence::{Acquisition, Exhibit, ExhibitFile, ExhibitNumber};
use crate::domain::ids::ExhibitId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = exhibits)]
pub struct ExhibitRow {
    pub id: String,
    pub incident_id: String,
    pub number: String,
    pub seq: i32,
    pub parent_id: Option<String>,
    pub kind: String,
    pub description: String,
    pub source: String,
    pub acquisition_method: String,
    pub acquisition_tool: String,
    pub acquired_by: String,
    pub acquired_at: PrimitiveDateTime,
    pub acquisition_location: String,
    pub legal_authority: String,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

impl ExhibitRow {
    fn to_exhibit(&self, parent: Option<ExhibitNumber>) -> QueryResult<Exhibit> {
        Ok(Exhibit {
            id: parse_stored("exhibit id", &self.id)?,
            number: self.number.parse().map_err(|_: String| corrupt("exhibit number", &self.number))?,
            incident_id: parse_stored("incident id", &self.incident_id)?,
            kind: self.kind.parse().map_err(|_| corrupt("exhibit kind", &self.kind))?,
            description: self.description.clone(),
            source: self.source.clone(),
            acquisition: Acquisition {
                method: self.acquisition_method.clone(),
                tool: self.acquisition_tool.clone(),
                acquired_by: self.acquired_by.clone(),
                acquired_at: self.acquired_at,
                location: self.acquisition_location.clone(),
                legal_authority: self.legal_authority.clone(),
            },
            parent,
            file: match (&self.sha256, self.size_bytes) {
                (Some(sha256), Some(size)) => Some(ExhibitFile {
                    name: self.file_name.clone(),
                    media_type: self.media_type.clone(),
                    size,
                    sha256: sha256.clone(),
                    sha1: self.sha1.clone(),
                    md5: self.md5.clone(),
                }),
                _ => None,
            },
            created_by: parse_stored("user id", &self.created_by)?,
            created_at: self.created_at,
        })
    }
}

fn with_parent(conn: &mut DbConnection, row: ExhibitRow) -> QueryResult<Exhibit> {
    let parent = match &row.parent_id {
        Some(parent_id) => {
            Some(exhibits::table.filter(exhibits::id.eq(parent_id)).select(exhibits::number).first(conn)?)
        }
        None => None,
    };
    with_parent_number(row, parent)
}

pub fn next_seq(conn: &mut DbConnection, incident_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = exhibits::table
        .filter(exhibits::incident_id.eq(incident_id))
        .select(diesel::dsl::max(exhibits::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut DbConnection, row: &ExhibitRow) -> QueryResult<usize> {
    diesel::insert_into(exhibits::table).values(row).execute(conn)
}

pub fn id_of(conn: &mut DbConnection, number: ExhibitNumber) -> QueryResult<Option<ExhibitId>> {
    let id: Option<String> =
        exhibits::table.filter(exhibits::number.eq(number.to_string())).select(exhibits::id).first(conn).optional()?;
    id.map(|id| parse_stored("exhibit id", &id)).transpose()
}

/// Records `parent` as the exhibit's parent, once: 0 when it already has one (never
/// overwritten).
pub fn set_parent(conn: &mut DbConnection, exhibit: ExhibitId, parent: ExhibitId) -> QueryResult<usize> {
    diesel::update(exhibits::table.filter(exhibits::id.eq(exhibit.to_string())).filter(exhibits::parent_id.is_null()))
        .set(exhibits::parent_id.eq(Some(parent.to_string())))
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, number: ExhibitNumber) -> QueryResult<Option<Exhibit>> {
    let row: Option<ExhibitRow> = exhibits::table
        .filter(exhibits::number.eq(number.to_string()))
        .select(ExhibitRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| with_parent(conn, row)).transpose()
}

/// The incident number an exhibit belongs to, for access checks.
pub fn incident_of(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<String> {
    exhibits::table
        .inner_join(incidents::table)
        .filter(exhibits::id.eq(exhibit.to_string()))
        .select(incidents::number)
        .first(conn)
}

pub fn for_incident(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<Exhibit>> {
    let parent = diesel::alias!(exhibits as parent);
    let rows: Vec<(ExhibitRow, Option<String>)> = exhibits::table
        .left_join(parent.on(exhibits::parent_id.eq(parent.field(exhibits::id).nullable())))
        .filter(exhibits::incident_id.eq(incident_id))
        .order(exhibits::seq.asc())
        .select((ExhibitRow::as_select(), parent.field(exhibits::number).nullable()))
        .load(conn)?;
    rows.into_iter().map(|(row, parent)| with_parent_number(row, parent)).collect()
}

/// An exhibit from its row and its parent's number, read with it in the same statement.
fn with_parent_number(row: ExhibitRow, parent: Option<String>) -> QueryResult<Exhibit> {
    let parent =
        parent.map(|number| number.parse().map_err(|_: String| corrupt("exhibit number", &number))).transpose()?;
    row.to_exhibit(parent)
}

/// One page of an incident's exhibits in number order, with the number of them in all:
/// optionally only those of one kind, or only those offered (proposed or accepted) for one
/// element of one count. The offered ones are found by a sub-query, never a list of ids.
pub fn page_of_incident(
    conn: &mut DbConnection,
    incident_id: &str,
    filter: &ExhibitListFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Exhibit>, i64)> {
    use crate::db::schema::mappings;
    let query = || {
        let mut query = exhibits::table
            .filter(exhibits::incident_id.eq(incident_id.to_owned()))
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(kind) = &filter.kind {
            query = query.filter(exhibits::kind.eq(kind.clone()));
        }
        if let Some((charge_id, element_id)) = &filter.offered_for {
            query = query.filter(
                exhibits::id.eq_any(
                    mappings::table
                        .filter(mappings::charge_id.eq(charge_id.clone()))
                        .filter(mappings::element_id.eq(element_id.clone()))
                        .filter(
                            mappings::status
                                .eq(MappingStatus::Proposed.as_str())
                                .or(mappings::status.eq(MappingStatus::Accepted.as_str())),
                        )
                        .select(mappings::exhibit_id),
                ),
            );
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<ExhibitRow> = query()
        .order(exhibits::seq.asc())
        .limit(per_page)
        .offset((page - 1).max(0) * per_page)
        .select(ExhibitRow::as_select())
        .load(conn)?;
    let exhibits = rows.into_iter().map(|row| with_parent(conn, row)).collect::<QueryResult<_>>()?;
    Ok((exhibits, total))
}

/// What an incident's exhibit list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ExhibitListFilter {
    /// An exhibit kind's stored code.
    pub kind: Option<String>,
    /// (charge id, element id): exhibits proposed or accepted for that element of that count.
    pub offered_for: Option<(String, String)>,
}

/// Exhibits in number order: by incident (year, then sequence), then by sequence in it. Never
/// by the number as text, where 2026-10000 would sort before 2026-9999.
const NUMBER_ORDER: (incidents::year, incidents::seq, exhibits::seq) = (incidents::year, incidents::seq, exhibits::seq);

/// Every exhibit, optionally of one incident, in number order, by id and number only: what
/// `verify` walks, a chunk at a time (a few tens of bytes an exhibit, not its whole record).
/// A key that no longer reads as an id and a number is given back as stored text.
pub fn keys_in_number_order(
    conn: &mut DbConnection,
    incident_id: Option<&str>,
) -> QueryResult<Vec<Result<(ExhibitId, ExhibitNumber), String>>> {
    let mut query = exhibits::table.inner_join(incidents::table).into_boxed::<crate::db::MultiBackend>();
    if let Some(incident_id) = incident_id {
        query = query.filter(exhibits::incident_id.eq(incident_id.to_owned()));
    }
    // Read row by row, so that only the parsed keys are held, never every key as text.
    let mut keys = Vec::new();
    for row in
        query.order(NUMBER_ORDER).select((exhibits::id, exhibits::number)).load_iter::<(String, String), _>(conn)?
    {
        let (id, number) = row?;
        keys.push(match (id.parse::<ExhibitId>(), number.parse::<ExhibitNumber>()) {
            (Ok(id), Ok(parsed)) => Ok((id, parsed)),
            _ => Err(number),
        });
    }
    Ok(keys)
}

/// The exhibits with these ids (at most `IN_LIST_CHUNK`; one, to read one alone), by id, in
/// one query.
pub fn by_ids(
    conn: &mut DbConnection,
    ids: &[ExhibitId],
) -> QueryResult<std::collections::HashMap<ExhibitId, Exhibit>> {
    debug_assert!(ids.len() <= super::IN_LIST_CHUNK);
    let text: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let parent = diesel::alias!(exhibits as parent);
    let rows: Vec<(ExhibitRow, Option<String>)> = exhibits::table
        .left_join(parent.on(exhibits::parent_id.eq(parent.field(exhibits::id).nullable())))
        .filter(exhibits::id.eq_any(&text))
        .select((ExhibitRow::as_select(), parent.field(exhibits::number).nullable()))
        .load(conn)?;
    rows.into_iter().map(|(row, parent)| with_parent_number(row, parent).map(|x| (x.id, x))).collect()
}

/// Exhibits whose SHA-1 and MD5 the background pass has yet to compute.
pub fn awaiting_legacy_digests(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<(String, String)>> {
    exhibits::table
        .filter(exhibits::sha256.is_not_null())
        .filter(exhibits::sha1.is_null())
        .order(exhibits::created_at.asc())
        .limit(limit)
        .select((exhibits::number, exhibits::sha256.assume_not_null()))
        .load(conn)
}

/// Records the legacy digests once; returns 0 if another pass got there first.
pub fn set_legacy_digests(conn: &mut DbConnection, exhibit: ExhibitId, sha1: &str, md5: &str) -> QueryResult<usize> {
    diesel::update(exhibits::table.filter(exhibits::id.eq(exhibit.to_string())).filter(exhibits::sha1.is_null()))
        .set((exhibits::sha1.eq(sha1), exhibits::md5.eq(md5)))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custody_events)]
pub struct CustodyEventRow {
    pub id: String,
    pub exhibit_id: String,
    pub seq: i32,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor: String,
    pub from_custodian: Option<String>,
    pub to_custodian: Option<String>,
    pub occurred_at: PrimitiveDateTime,
    pub recorded_at: PrimitiveDateTime,
    pub location: Option<String>,
    pub purpose: Option<String>,
    pub authority: Option<String>,
    pub seal_number: Option<String>,
    pub seal_condition: Option<String>,
    pub digest_observed: Option<String>,
    pub digest_matched: Option<bool>,
    pub notes: String,
    pub prev_hash: String,
    pub event_hash: String,
    pub ledger_index: i64,
}

impl CustodyEventRow {
    pub fn to_event(&self) -> QueryResult<CustodyEvent> {
        Ok(CustodyEvent {
            id: self.id.clone(),
            seq: self.seq,
            action: self.action.parse().map_err(|_| corrupt("custody action", &self.action))?,
            actor: self.actor.clone(),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            details: CustodyDetails {
                from_custodian: self.from_custodian.clone(),
                to_custodian: self.to_custodian.clone(),
                location: self.location.clone(),
                purpose: self.purpose.clone(),
                authority: self.authority.clone(),
                seal_number: self.seal_number.clone(),
                seal_condition: self.seal_condition.clone(),
                digest_observed: self.digest_observed.clone(),
                notes: self.notes.clone(),
            },
            digest_matched: self.digest_matched,
            prev_hash: self.prev_hash.clone(),
            event_hash: self.event_hash.clone(),
            ledger_index: self.ledger_index,
        })
    }
}

pub fn insert_event(conn: &mut DbConnection, row: &CustodyEventRow) -> QueryResult<usize> {
    diesel::insert_into(custody_events::table).values(row).execute(conn)
}

/// An exhibit's custody events in order.
pub fn events_of(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<Vec<CustodyEvent>> {
    let rows: Vec<CustodyEventRow> = custody_events::table
        .filter(custody_events::exhibit_id.eq(exhibit.to_string()))
        .order(custody_events::seq.asc())
        .select(CustodyEventRow::as_select())
        .load(conn)?;
    rows.iter().map(CustodyEventRow::to_event).collect()
}

/// The custody events of every exhibit of an incident, in one query: each exhibit's, in
/// order, by exhibit id. Pages that judge every exhibit's custody read them this way rather
/// than a query per exhibit.
pub fn events_of_incident(
    conn: &mut DbConnection,
    incident_id: &str,
) -> QueryResult<std::collections::HashMap<String, Vec<CustodyEvent>>> {
    let rows: Vec<CustodyEventRow> = custody_events::table
        .inner_join(exhibits::table)
        .filter(exhibits::incident_id.eq(incident_id))
        .order((custody_events::exhibit_id.asc(), custody_events::seq.asc()))
        .select(CustodyEventRow::as_select())
        .load(conn)?;
    by_exhibit(rows)
}

/// The custody events of up to `IN_LIST_CHUNK` exhibits, in one query: each exhibit's, in
/// order, by exhibit id. `verify` reads the events of a whole office this way, a chunk of
/// exhibits at a time, instead of one query per exhibit.
pub fn events_of_many(
    conn: &mut DbConnection,
    exhibits: &[ExhibitId],
) -> QueryResult<std::collections::HashMap<String, Vec<CustodyEvent>>> {
    debug_assert!(exhibits.len() <= super::IN_LIST_CHUNK);
    let ids: Vec<String> = exhibits.iter().map(ToString::to_string).collect();
    let rows: Vec<CustodyEventRow> = custody_events::table
        .filter(custody_events::exhibit_id.eq_any(&ids))
        .order((custody_events::exhibit_id.asc(), custody_events::seq.asc()))
        .select(CustodyEventRow::as_select())
        .load(conn)?;
    by_exhibit(rows)
}

/// Custody event rows, ordered by exhibit and sequence, as each exhibit's events in order.
fn by_exhibit(rows: Vec<CustodyEventRow>) -> QueryResult<std::collections::HashMap<String, Vec<CustodyEvent>>> {
    let mut out: std::collections::HashMap<String, Vec<CustodyEvent>> = std::collections::HashMap::new();
    for row in rows {
        let event = row.to_event()?;
        out.entry(row.exhibit_id).or_default().push(event);
    }
    Ok(out)
}

/// Whether an error means a stored value no longer reads as its type (a damaged record),
/// rather than a failure of the database itself.
pub fn is_damage(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DeserializationError(_))
}

/// An exhibit's custody events for verification: each one, or what is wrong with it. Reads
/// them all at once; only if one no longer reads does it go row by row, so that the damaged
/// row names itself and the others are still checked. (row id, event or problem)
pub fn events_checked(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<super::Checked<CustodyEvent>> {
    match events_of(conn, exhibit) {
        Ok(events) => return Ok(events.into_iter().map(|e| (e.id.clone(), Ok(e))).collect()),
        Err(e) if is_damage(&e) => {}
        Err(e) => return Err(e),
    }
    let ids: Vec<String> = custody_events::table
        .filter(custody_events::exhibit_id.eq(exhibit.to_string()))
        .order(custody_events::seq.asc())
        .select(custody_events::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = custody_events::table
            .filter(custody_events::id.eq(&id))
            .select(CustodyEventRow::as_select())
            .first(conn)
            .and_then(|row| row.to_event());
        match row {
            Ok(event) => out.push((id, Ok(event))),
            Err(e) if is_damage(&e) => out.push((id, Err(e.to_string()))),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every SHA-256 an exhibit records.
pub fn all_sha256(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    exhibits::table.filter(exhibits::sha256.is_not_null()).select(exhibits::sha256.assume_not_null()).load(conn)
}

/// One verification run as recorded: what it covered (every exhibit when neither an incident
/// nor an exhibit is named), when, and what it found.
pub struct NewRun<'a> {
    pub id: &'a str,
    pub started_at: PrimitiveDateTime,
    pub finished_at: PrimitiveDateTime,
    pub incident_id: Option<&'a str>,
    pub exhibit_id: Option<&'a str>,
    pub exhibits: i32,
    pub failed: i32,
}

pub fn record_run(conn: &mut DbConnection, run: &NewRun<'_>) -> QueryResult<()> {
    use crate::db::schema::verification_runs as r;
    diesel::insert_into(r::table)
        .values((
            r::id.eq(run.id),
            r::started_at.eq(run.started_at),
            r::finished_at.eq(run.finished_at),
            r::incident_id.eq(run.incident_id),
            r::exhibit_id.eq(run.exhibit_id),
            r::exhibits.eq(run.exhibits),
            r::failed.eq(run.failed),
        ))
        .execute(conn)
        .map(|_| ())
}

/// What a run found of one exhibit.
pub struct VerificationResult<'a> {
    pub exhibit: ExhibitId,
    pub intact: bool,
    pub problems: i32,
    pub first_problem: Option<&'a str>,
}

/// Records what run `run` found of a chunk of exhibits (at most `IN_LIST_CHUNK`), in a few
/// statements whatever the chunk's size: a result row only for an exhibit whose result differs
/// from its last recorded one (or that has none), and, for every one, that it was last
/// verified at `at`. A run that finds nothing new adds no row and moves one row per exhibit.
pub fn record_verifications(
    conn: &mut DbConnection,
    run: &str,
    at: PrimitiveDateTime,
    results: &[&VerificationResult<'_>],
) -> QueryResult<()> {
    use crate::db::schema::exhibit_last_verified as last;
    use crate::db::schema::exhibit_verifications as v;
    debug_assert!(results.len() <= super::IN_LIST_CHUNK);
    let ids: Vec<String> = results.iter().map(|r| r.exhibit.to_string()).collect();
    // Each exhibit's recorded results, newest first: only its changes, so a few rows each.
    let recorded: Vec<(String, bool, i32, Option<String>)> = v::table
        .filter(v::exhibit_id.eq_any(&ids))
        .order((v::exhibit_id.asc(), v::verified_at.desc(), v::id.desc()))
        .select((v::exhibit_id, v::intact, v::problems, v::first_problem))
        .load(conn)?;
    let mut latest: std::collections::HashMap<&str, (bool, i32, Option<&str>)> = std::collections::HashMap::new();
    for (exhibit, intact, problems, first) in &recorded {
        latest.entry(exhibit.as_str()).or_insert((*intact, *problems, first.as_deref()));
    }
    // A new row only where the result changed (on a run that finds what the last one found,
    // none), all of the chunk's in one statement.
    let changed: Vec<_> = results
        .iter()
        .zip(&ids)
        .filter(|(r, id)| latest.get(id.as_str()) != Some(&(r.intact, r.problems, r.first_problem)))
        .map(|(r, id)| {
            (
                // Time-ordered, so that each run's rows are appended to the primary key's index.
                v::id.eq(uuid::Uuid::now_v7().to_string()),
                v::exhibit_id.eq(id),
                v::verified_at.eq(at),
                v::intact.eq(r.intact),
                v::problems.eq(r.problems),
                v::first_problem.eq(r.first_problem),
                v::run_id.eq(Some(run)),
            )
        })
        .collect();
    if !changed.is_empty() {
        crate::insert_rows!(conn, v::table, &changed)?;
    }
    // Every exhibit of the chunk: verified at `at` by `run`, in two statements.
    diesel::update(last::table.filter(last::exhibit_id.eq_any(&ids)))
        .set((last::verified_at.eq(at), last::run_id.eq(Some(run))))
        .execute(conn)?;
    let never_verified = exhibits::table
        .filter(exhibits::id.eq_any(&ids))
        .filter(diesel::dsl::not(diesel::dsl::exists(last::table.filter(last::exhibit_id.eq(exhibits::id)))))
        .select((
            exhibits::id,
            at.into_sql::<diesel::sql_types::Timestamp>(),
            Some(run).into_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(),
        ));
    diesel::insert_into(last::table)
        .values(never_verified)
        .into_columns((last::exhibit_id, last::verified_at, last::run_id))
        .execute(conn)?;
    Ok(())
}

/// The latest verification of each exhibit of an incident (those never verified are absent):
/// when it was last verified, and the result recorded last.
pub fn latest_verifications(
    conn: &mut DbConnection,
    incident_id: &str,
) -> QueryResult<std::collections::HashMap<ExhibitId, LatestVerification>> {
    use crate::db::schema::exhibit_last_verified as last;
    use crate::db::schema::exhibit_verifications as v;
    let times: Vec<(String, PrimitiveDateTime)> = last::table
        .inner_join(exhibits::table)
        .filter(exhibits::incident_id.eq(incident_id.to_owned()))
        .select((last::exhibit_id, last::verified_at))
        .load(conn)?;
    let times: std::collections::HashMap<String, PrimitiveDateTime> = times.into_iter().collect();
    // Only results that changed are rows: an exhibit has one, or a few.
    let rows: Vec<(String, bool, Option<String>)> = v::table
        .inner_join(exhibits::table)
        .filter(exhibits::incident_id.eq(incident_id.to_owned()))
        .order((v::exhibit_id.asc(), v::verified_at.desc(), v::id.desc()))
        .select((v::exhibit_id, v::intact, v::first_problem))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for (exhibit, intact, problem) in rows {
        let Some(&at) = times.get(&exhibit) else { continue };
        let id: ExhibitId = parse_stored("exhibit id", &exhibit)?;
        out.entry(id).or_insert(LatestVerification { at, intact, problem });
    }
    Ok(out)
}

/// One exhibit's latest verification, if it was ever verified: when it was last verified, and
/// the result recorded last.
pub fn latest_verification(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<Option<LatestVerification>> {
    use crate::db::schema::exhibit_last_verified as last;
    use crate::db::schema::exhibit_verifications as v;
    let at: Option<PrimitiveDateTime> = last::table
        .filter(last::exhibit_id.eq(exhibit.to_string()))
        .select(last::verified_at)
        .first(conn)
        .optional()?;
    let Some(at) = at else { return Ok(None) };
    let row: Option<(bool, Option<String>)> = v::table
        .filter(v::exhibit_id.eq(exhibit.to_string()))
        .order((v::verified_at.desc(), v::id.desc()))
        .select((v::intact, v::first_problem))
        .first(conn)
        .optional()?;
    Ok(row.map(|(intact, problem)| LatestVerification { at, intact, problem }))
}

/// Exhibits, in the incidents `member_of` is on (or all), with a custody event that records a
/// problem (a digest that did not match, a discrepancy): candidates for the impaired list,
/// each judged in full by `custody_status`.
pub fn with_recorded_problems(
    conn: &mut DbConnection,
    member_of: Option<crate::domain::ids::UserId>,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let resolved = diesel::alias!(custody_events as resolved);
    let mut query = custody_events::table
        .inner_join(exhibits::table)
        // Written as the partial index `custody_events_problems` states it, word for word, so
        // that both backends read that index; `IS FALSE` also lets PostgreSQL count the events
        // with no digest check (NULL) out, where `NOT digest_matched` had it expect most rows.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "(custody_events.digest_matched IS FALSE OR custody_events.action = 'discrepancy')",
        ))
        // A problem a later resolution cleared (later in time order, as custody status reads
        // the history) is no candidate: resolved problems pile up over the years.
        .filter(diesel::dsl::not(diesel::dsl::exists(
            resolved
                .filter(resolved.field(custody_events::exhibit_id).eq(custody_events::exhibit_id))
                .filter(resolved.field(custody_events::action).eq(CustodyAction::Resolved.as_str()))
                .filter(
                    resolved.field(custody_events::occurred_at).gt(custody_events::occurred_at).or(resolved
                        .field(custody_events::occurred_at)
                        .eq(custody_events::occurred_at)
                        .and(resolved.field(custody_events::seq).gt(custody_events::seq))),
                ),
        )))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(user) = member_of {
        // Problems are rare: each is checked against the team, rather than the member's every
        // team gathered first (10,000 rows for a member of 10,000 teams, to match none).
        query = super::incidents::on_team!(query, exhibits::incident_id, user, true);
    }
    crate::db::limited(query.select(exhibits::number).distinct().order(exhibits::number.asc()), limit).load(conn)
}

/// An exhibit whose latest verification failed.
pub struct FailedVerification {
    pub exhibit: String,
    pub incident: String,
    pub verified_at: PrimitiveDateTime,
    pub problem: String,
}

/// Exhibits whose most recent verification failed, in the incidents `member_of` is on (or all),
/// most recent first. One query over the failed rows, each kept only where no later
/// verification of its exhibit exists: it never reads the verifications that passed.
pub fn failed_verifications(
    conn: &mut DbConnection,
    member_of: Option<crate::domain::ids::UserId>,
    limit: i64,
) -> QueryResult<Vec<FailedVerification>> {
    use crate::db::schema::exhibit_verifications as v;
    let later = diesel::alias!(crate::db::schema::exhibit_verifications as later);
    let mut query = v::table
        .inner_join(exhibits::table.inner_join(incidents::table))
        .filter(v::intact.eq(false))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            later
                .filter(later.field(v::exhibit_id).eq(v::exhibit_id))
                .filter(later.field(v::verified_at).gt(v::verified_at)),
        )))
        .order(v::verified_at.desc())
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(user) = member_of {
        // Failures are rare: each is checked against the team (see `with_recorded_problems`).
        query = super::incidents::on_team!(query, exhibits::incident_id, user, true);
    }
    let rows: Vec<(String, String, PrimitiveDateTime, Option<String>)> = crate::db::limited(
        query.select((exhibits::number, incidents::number, v::verified_at, v::first_problem)),
        limit,
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(exhibit, incident, verified_at, problem)| FailedVerification {
            exhibit,
            incident,
            verified_at,
            problem: problem.unwrap_or_default(),
        })
        .collect())
}
