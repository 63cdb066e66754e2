use diesel::prelude::*;
use std::collections::{BTreeSet, HashMap};
use time::{Date, PrimitiveDateTime};

use super::corrupt;
use crate::db::schema::{incident_ai_modalities, incident_members, incidents, subjects, users, victims};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::approx::{Bound, Headcount, Period};
use crate::domain::ids::{IncidentId, IncidentNumber, UserId};
use crate::domain::incident::{
    AiModality, Incident, IncidentDraft, IncidentFilter, IncidentStatus, IncidentSummary, Member, Position, Slice,
    Subject, Victim,
};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct IncidentRow {
    pub id: String,
    pub number: String,
    pub year: i32,
    pub seq: i32,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub district: Option<String>,
    pub first_offense_date: Option<Date>,
    pub last_offense_date: Option<Date>,
    pub version: i32,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_by: String,
    pub updated_at: PrimitiveDateTime,
    pub first_offense_date_form: Option<String>,
    pub last_offense_date_form: Option<String>,
    pub victim_names_sensitive: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = incidents)]
pub struct NewIncidentRow<'a> {
    pub id: String,
    pub number: String,
    pub year: i32,
    pub seq: i32,
    pub title: &'a str,
    pub summary: &'a str,
    pub status: &'a str,
    pub district: Option<&'a str>,
    pub first_offense_date: Option<Date>,
    pub last_offense_date: Option<Date>,
    pub version: i32,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_by: String,
    pub updated_at: PrimitiveDateTime,
    pub first_offense_date_form: Option<String>,
    pub last_offense_date_form: Option<String>,
    pub victim_names_sensitive: bool,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = incidents, treat_none_as_null = true)]
pub struct IncidentChangeset<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub status: &'a str,
    pub district: Option<&'a str>,
    pub first_offense_date: Option<Date>,
    pub last_offense_date: Option<Date>,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: PrimitiveDateTime,
    pub first_offense_date_form: Option<String>,
    pub last_offense_date_form: Option<String>,
    pub victim_names_sensitive: bool,
}

impl IncidentRow {
    fn first_period(&self) -> QueryResult<Option<Period>> {
        stored_period(self.first_offense_date, self.first_offense_date_form.as_deref())
    }

    fn last_period(&self) -> QueryResult<Option<Period>> {
        stored_period(self.last_offense_date, self.last_offense_date_form.as_deref())
    }
}

fn stored_period(date: Option<Date>, form: Option<&str>) -> QueryResult<Option<Period>> {
    date.map(|d| Period::from_stored(d, form)).transpose().map_err(|why| corrupt("offense date", &why))
}

/// One row of `victims` as read.
type VictimRow =
    (String, String, Option<i64>, Option<String>, Option<i64>, Option<String>, Option<i64>, Option<String>, String);

/// The victims of an incident in their recorded order.
fn victims_of(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<Victim>> {
    let rows: Vec<VictimRow> = victims::table
        .filter(victims::incident_id.eq(incident_id))
        .order(victims::position.asc())
        .select((
            victims::name,
            victims::kind,
            victims::estimated_loss_cents,
            victims::loss_bound,
            victims::gain_cents,
            victims::gain_bound,
            victims::class_size,
            victims::class_size_bound,
            victims::notes,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(name, kind, loss, loss_bound, gain, gain_bound, size, size_bound, notes)| {
            let size_bound = Bound::from_stored(size_bound.as_deref())
                .map_err(|_| corrupt("class size bound", size_bound.as_deref().unwrap_or("")))?;
            Ok(Victim {
                kind: kind.parse().map_err(|_| corrupt("victim kind", &kind))?,
                name,
                loss: super::stored_amount("victim loss", loss, loss_bound.as_deref())?,
                gain: super::stored_amount("victim gain", gain, gain_bound.as_deref())?,
                class_size: size.map(|count| Headcount { count, bound: size_bound }),
                notes,
            })
        })
        .collect()
}

/// The next free sequence number in `year` (run inside a write transaction).
pub fn next_seq(conn: &mut DbConnection, year: i32) -> QueryResult<i32> {
    let max: Option<i32> =
        incidents::table.filter(incidents::year.eq(year)).select(diesel::dsl::max(incidents::seq)).first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut DbConnection, row: &NewIncidentRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(incidents::table).values(row).execute(conn)
}

/// Applies the change only if the stored version is still `expected_version`; returns the
/// number of rows changed (0 means someone else saved first).
pub fn update(
    conn: &mut DbConnection,
    id: IncidentId,
    expected_version: i32,
    changes: &IncidentChangeset<'_>,
) -> QueryResult<usize> {
    diesel::update(
        incidents::table.filter(incidents::id.eq(id.to_string())).filter(incidents::version.eq(expected_version)),
    )
    .set(changes)
    .execute(conn)
}

/// Replaces the AI modalities, victims and subjects with those of `draft`.
pub fn replace_parties(conn: &mut DbConnection, id: IncidentId, draft: &IncidentDraft) -> QueryResult<()> {
    let incident_id = id.to_string();
    diesel::delete(incident_ai_modalities::table.filter(incident_ai_modalities::incident_id.eq(&incident_id)))
        .execute(conn)?;
    diesel::delete(victims::table.filter(victims::incident_id.eq(&incident_id))).execute(conn)?;
    diesel::delete(subjects::table.filter(subjects::incident_id.eq(&incident_id))).execute(conn)?;

    // One statement per row: batch inserts are not available through MultiConnection.
    for modality in &draft.ai_modalities {
        diesel::insert_into(incident_ai_modalities::table)
            .values((
                incident_ai_modalities::incident_id.eq(&incident_id),
                incident_ai_modalities::modality.eq(modality.as_str()),
            ))
            .execute(conn)?;
    }
    for (position, victim) in (0..).zip(&draft.victims) {
        diesel::insert_into(victims::table)
            .values((
                victims::id.eq(uuid::Uuid::new_v4().to_string()),
                victims::incident_id.eq(&incident_id),
                victims::position.eq(position),
                victims::name.eq(&victim.name),
                victims::kind.eq(victim.kind.as_str()),
                victims::estimated_loss_cents.eq(victim.loss.map(|a| a.cents)),
                victims::loss_bound.eq(victim.loss.and_then(|a| a.bound.stored())),
                victims::gain_cents.eq(victim.gain.map(|a| a.cents)),
                victims::gain_bound.eq(victim.gain.and_then(|a| a.bound.stored())),
                victims::class_size.eq(victim.class_size.map(|h| h.count)),
                victims::class_size_bound.eq(victim.class_size.and_then(|h| h.bound.stored())),
                victims::notes.eq(&victim.notes),
            ))
            .execute(conn)?;
    }
    for (position, subject) in (0..).zip(&draft.subjects) {
        diesel::insert_into(subjects::table)
            .values((
                subjects::id.eq(uuid::Uuid::new_v4().to_string()),
                subjects::incident_id.eq(&incident_id),
                subjects::position.eq(position),
                subjects::name.eq(&subject.name),
                subjects::description.eq(&subject.description),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn add_member(
    conn: &mut DbConnection,
    id: IncidentId,
    user: UserId,
    added_by: UserId,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(incident_members::table)
        .values((
            incident_members::incident_id.eq(id.to_string()),
            incident_members::user_id.eq(user.to_string()),
            incident_members::added_by.eq(added_by.to_string()),
            incident_members::added_at.eq(at),
        ))
        .execute(conn)
}

pub fn find_id_by_number(conn: &mut DbConnection, number: IncidentNumber) -> QueryResult<Option<IncidentId>> {
    let id: Option<String> = incidents::table
        .filter(incidents::number.eq(number.to_string()))
        .select(incidents::id)
        .first(conn)
        .optional()?;
    id.map(|id| id.parse().map_err(|_| corrupt("incident id", &id))).transpose()
}

/// The whole incident: details, parties, team, and who created and last changed it.
pub fn load(conn: &mut DbConnection, number: IncidentNumber) -> QueryResult<Option<Incident>> {
    // Who created and who last changed it come in the same statement, each through its own
    // alias of `users`: every service call loads its incident, so each statement saved here is
    // saved on nearly every request.
    let (creator, updater) = diesel::alias!(users as creator, users as updater);
    let Some((row, created_by, updated_by)) = incidents::table
        .inner_join(creator.on(creator.field(users::id).eq(incidents::created_by)))
        .inner_join(updater.on(updater.field(users::id).eq(incidents::updated_by)))
        .filter(incidents::number.eq(number.to_string()))
        .select((IncidentRow::as_select(), creator.field(users::username), updater.field(users::username)))
        .first::<(IncidentRow, String, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let modalities = modalities_of(conn, std::slice::from_ref(&row.id))?.remove(&row.id).unwrap_or_default();
    let victims = victims_of(conn, &row.id)?;
    let subjects: Vec<Subject> = subjects::table
        .filter(subjects::incident_id.eq(&row.id))
        .order(subjects::position.asc())
        .select((subjects::name, subjects::description))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(name, description)| Subject { name, description })
        .collect();
    let member_rows: Vec<(String, String, String, String, PrimitiveDateTime)> = incident_members::table
        .inner_join(users::table.on(users::id.eq(incident_members::user_id)))
        .filter(incident_members::incident_id.eq(&row.id))
        .order(incident_members::added_at.asc())
        .select((users::id, users::username, users::full_name, users::role, incident_members::added_at))
        .load(conn)?;
    let members = member_rows
        .into_iter()
        .map(|(id, username, full_name, role, added_at)| {
            Ok(Member {
                user_id: id.parse().map_err(|_| corrupt("user id", &id))?,
                role: role.parse().map_err(|_| corrupt("role", &role))?,
                username,
                full_name,
                added_at,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    let (first_offense_date, last_offense_date) = (row.first_period()?, row.last_period()?);

    Ok(Some(Incident {
        id: row.id.parse().map_err(|_| corrupt("incident id", &row.id))?,
        number: row.number.parse().map_err(|_: String| corrupt("incident number", &row.number))?,
        status: row.status.parse().map_err(|_| corrupt("status", &row.status))?,
        details: IncidentDraft {
            title: row.title,
            summary: row.summary,
            district: row.district,
            ai_modalities: modalities.into_iter().collect::<BTreeSet<_>>(),
            victims,
            subjects,
            first_offense_date,
            last_offense_date,
            victim_names_sensitive: row.victim_names_sensitive,
        },
        version: row.version,
        created_by,
        created_at: row.created_at,
        updated_by,
        updated_at: row.updated_at,
        members,
    }))
}

fn modalities_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<HashMap<String, Vec<AiModality>>> {
    let rows: Vec<(String, String)> = incident_ai_modalities::table
        .filter(incident_ai_modalities::incident_id.eq_any(ids))
        .select((incident_ai_modalities::incident_id, incident_ai_modalities::modality))
        .load(conn)?;
    let mut by_incident: HashMap<String, Vec<AiModality>> = HashMap::new();
    for (incident_id, code) in rows {
        let modality = code.parse().map_err(|_| corrupt("AI modality", &code))?;
        by_incident.entry(incident_id).or_default().push(modality);
    }
    for list in by_incident.values_mut() {
        list.sort();
    }
    Ok(by_incident)
}

/// Who is asking for a list: supervisors see everything, anyone else only their teams'.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    All,
    MemberOf(UserId),
}

/// The incidents whose team `user` is on, as a sub-query: every list that shows a member only
/// their own incidents filters by it (`incidents::id.eq_any(teams_of(user))`).
pub fn teams_of(user: UserId) -> TeamsOf {
    incident_members::table.filter(incident_members::user_id.eq(user.to_string())).select(incident_members::incident_id)
}

pub type TeamsOf = diesel::dsl::Select<
    diesel::dsl::Filter<incident_members::table, diesel::dsl::Eq<incident_members::user_id, String>>,
    incident_members::incident_id,
>;

/// From how many teams on a member's list is read by walking the list's own order and keeping
/// the rows of their teams, instead of gathering every row of every team and sorting them.
/// A member of few teams is served best by the gathering (the sub-query drives), a member of
/// many by the walk, whose cost is the page, not the member's whole caseload.
const WALK_FROM_TEAMS: i64 = 200;

/// Whether a member's page-limited lists are read by walking their order (see
/// `WALK_FROM_TEAMS`); counts always use the membership sub-query.
pub fn walks_in_order(conn: &mut DbConnection, user: UserId) -> QueryResult<bool> {
    // Whether a team at that place exists: a step along the membership index, no rows read.
    let at_threshold: Option<String> = incident_members::table
        .filter(incident_members::user_id.eq(user.to_string()))
        .select(incident_members::incident_id)
        .offset(WALK_FROM_TEAMS - 1)
        .limit(1)
        .first(conn)
        .optional()?;
    Ok(at_threshold.is_some())
}

/// Keeps the rows of `$query` whose incident (`$incident`, a column holding an incident id) has
/// `$user` on its team: as a correlated `EXISTS` when `$walk` (the query is walked in its
/// order), otherwise as membership in `teams_of`.
macro_rules! on_team {
    ($query:expr, $incident:expr, $user:expr, $walk:expr) => {{
        use crate::db::schema::incident_members as members;
        let user: crate::domain::ids::UserId = $user;
        if $walk {
            $query.filter(diesel::dsl::exists(
                members::table.filter(members::incident_id.eq($incident)).filter(members::user_id.eq(user.to_string())),
            ))
        } else {
            $query.filter($incident.eq_any(crate::db::repo::incidents::teams_of(user)))
        }
    }};
}
pub(crate) use on_team;

/// The incidents `filter` and `visibility` keep; `walk`: see `walks_in_order`.
fn filtered<'a>(
    filter: &'a IncidentFilter,
    visibility: Visibility,
    walk: bool,
) -> incidents::BoxedQuery<'a, MultiBackend> {
    let mut query = incidents::table.into_boxed::<MultiBackend>();
    if let Visibility::MemberOf(user) = visibility {
        query = on_team!(query, incidents::id, user, walk);
    }
    if let Some(status) = filter.status {
        query = query.filter(incidents::status.eq(status.as_str()));
    }
    if let Some(modality) = filter.ai_modality {
        query = query.filter(
            incidents::id.eq_any(
                incident_ai_modalities::table
                    .filter(incident_ai_modalities::modality.eq(modality.as_str()))
                    .select(incident_ai_modalities::incident_id),
            ),
        );
    }
    if let Some(district) = &filter.district {
        query = query.filter(lower(incidents::district.assume_not_null()).eq(district.to_lowercase()));
    }
    if let Some(assignee) = &filter.assignee {
        query = query.filter(
            incidents::id.eq_any(
                incident_members::table
                    .inner_join(users::table.on(users::id.eq(incident_members::user_id)))
                    .filter(users::username.eq(assignee.to_lowercase()))
                    .select(incident_members::incident_id),
            ),
        );
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        query = query.filter(
            lower(incidents::title)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(incidents::summary).like(pattern).escape('\\')),
        );
    }
    query
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// One stretch of the incidents matching `filter`, newest number first, read by key from the
/// filter's position (incident numbers order by year, then sequence).
pub fn list(
    conn: &mut DbConnection,
    filter: &IncidentFilter,
    visibility: Visibility,
) -> QueryResult<Slice<IncidentSummary>> {
    let unfiltered = filter.status.is_none()
        && filter.ai_modality.is_none()
        && filter.district.is_none()
        && filter.assignee.is_none()
        && filter.text.is_none();
    let walk = match visibility {
        Visibility::MemberOf(user) => walks_in_order(conn, user)?,
        Visibility::All => false,
    };
    let counted = match visibility {
        // A member's whole list is their memberships, each of an existing incident (a foreign
        // key): counted on the membership index alone, not by looking up every incident.
        Visibility::MemberOf(user) if unfiltered => crate::db::limited(
            incident_members::table
                .filter(incident_members::user_id.eq(user.to_string()))
                .select(incident_members::incident_id),
            filter.count_up_to + 1,
        )
        .load::<String>(conn)?
        .len(),
        _ => crate::db::limited(filtered(filter, visibility, walk).select(incidents::id), filter.count_up_to + 1)
            .load::<String>(conn)?
            .len(),
    };
    let counted = super::Counted::from_rows(counted, filter.count_up_to);
    // One row past the stretch tells whether the list goes on in the direction read.
    let query = filtered(filter, visibility, walk).select(IncidentRow::as_select());
    let newest_first = (incidents::year.desc(), incidents::seq.desc());
    let page = filter.per_page + 1;
    let rows: Vec<IncidentRow> = match filter.position {
        Position::Start => crate::db::limited(query.order(newest_first), page).load(conn)?,
        Position::After(key) => crate::db::limited(
            query
                .filter(
                    incidents::year.lt(key.year()).or(incidents::year.eq(key.year()).and(incidents::seq.lt(key.seq()))),
                )
                .order(newest_first),
            page,
        )
        .load(conn)?,
        Position::Before(key) => crate::db::limited(
            query
                .filter(
                    incidents::year.gt(key.year()).or(incidents::year.eq(key.year()).and(incidents::seq.gt(key.seq()))),
                )
                .order((incidents::year.asc(), incidents::seq.asc())),
            page,
        )
        .load(conn)?,
    };
    let (rows, more) = filter.position.stretch(rows, filter.per_page);
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut modalities = modalities_of(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let (first_offense_date, last_offense_date) = (row.first_period()?, row.last_period()?);
            Ok(IncidentSummary {
                number: row.number.parse().map_err(|_: String| corrupt("incident number", &row.number))?,
                status: row.status.parse::<IncidentStatus>().map_err(|_| corrupt("status", &row.status))?,
                ai_modalities: modalities.remove(&row.id).unwrap_or_default(),
                title: row.title,
                district: row.district,
                first_offense_date,
                last_offense_date,
                updated_at: row.updated_at,
            })
        })
        .collect::<QueryResult<Vec<IncidentSummary>>>()?;
    let key = |item: Option<&IncidentSummary>| item.map(|i| i.number.to_string());
    let (next, previous) = filter.position.cursors(more, key(items.first()), key(items.last()));
    Ok(Slice { items, total: counted.total, per_page: filter.per_page, capped: counted.capped, next, previous })
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    incidents::table.count().get_result(conn)
}
