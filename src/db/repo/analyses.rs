use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::{corrupt, parse_stored};
use crate::db::DbConnection;
use crate::db::schema::{analyses, custody_events, exhibits};
use crate::domain::analysis::{Analysis, AnalysisKind, AnalysisRecord, Finding};
use crate::domain::ids::ExhibitId;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = analyses)]
pub struct NewAnalysisRow {
    pub id: String,
    pub exhibit_id: String,
    pub seq: i32,
    pub kind: String,
    pub tool: String,
    pub tool_version: String,
    pub exhibit_sha256: String,
    pub result: String,
    pub result_sha256: String,
    pub preview: String,
    pub summary: String,
    pub custody_event_id: String,
    pub recorded_by: Option<String>,
    pub recorded_at: PrimitiveDateTime,
}

/// Names the columns of an `AnalysisRecord` once, as the tuple type diesel selects and as
/// its value.
macro_rules! record_columns {
    ($($column:path),* $(,)?) => {
        type RecordColumns = ($($column,)*);
        const RECORD: RecordColumns = ($($column,)*);
    };
}

record_columns!(
    analyses::id,
    exhibits::number,
    analyses::seq,
    analyses::kind,
    analyses::tool,
    analyses::tool_version,
    analyses::exhibit_sha256,
    analyses::result_sha256,
    analyses::summary,
    custody_events::seq,
    custody_events::ledger_index,
    custody_events::actor,
    analyses::recorded_at,
);
type RecordTuple =
    (String, String, i32, String, String, String, String, String, String, i32, i64, String, PrimitiveDateTime);

fn to_record(row: RecordTuple) -> QueryResult<AnalysisRecord> {
    let (id, number, seq, kind, tool, tool_version, exhibit_sha256, result_sha256, summary, cseq, idx, actor, at) = row;
    Ok(AnalysisRecord {
        exhibit: parse_stored("exhibit number", &number)?,
        kind: kind.parse().map_err(|_| corrupt("analysis kind", &kind))?,
        id,
        seq,
        tool,
        tool_version,
        exhibit_sha256,
        result_sha256,
        summary,
        custody_seq: cseq,
        ledger_index: idx,
        recorded_by: actor,
        recorded_at: at,
    })
}

fn to_analysis((row, result): (RecordTuple, String)) -> QueryResult<Analysis> {
    let record = to_record(row)?;
    let finding = Finding::from_json(record.kind, &result).map_err(|_| corrupt("analysis result", &record.id))?;
    Ok(Analysis { record, finding })
}

pub fn next_seq(conn: &mut DbConnection, exhibit: ExhibitId) -> QueryResult<i32> {
    let max: Option<i32> = analyses::table
        .filter(analyses::exhibit_id.eq(exhibit.to_string()))
        .select(diesel::dsl::max(analyses::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut DbConnection, row: &NewAnalysisRow) -> QueryResult<usize> {
    diesel::insert_into(analyses::table).values(row).execute(conn)
}

/// The exhibit's analyses, newest first, without their results (which can be large): the
/// list the exhibit page shows. At most `limit`.
pub fn of_exhibit(conn: &mut DbConnection, exhibit: ExhibitId, limit: i64) -> QueryResult<Vec<AnalysisRecord>> {
    analyses::table
        .inner_join(exhibits::table)
        .inner_join(custody_events::table.on(custody_events::id.eq(analyses::custody_event_id)))
        .filter(analyses::exhibit_id.eq(exhibit.to_string()))
        .order(analyses::seq.desc())
        .limit(limit)
        .select(RECORD)
        .load::<RecordTuple>(conn)?
        .into_iter()
        .map(to_record)
        .collect()
}

/// Which stored form of the result to read: the whole, or its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Whole,
    Preview,
}

/// The exhibit's latest analysis of `kind`, or the one numbered `seq`, with its result in
/// `form`.
pub fn latest(
    conn: &mut DbConnection,
    exhibit: ExhibitId,
    kind: AnalysisKind,
    seq: Option<i32>,
    form: Form,
) -> QueryResult<Option<Analysis>> {
    let mut query = analyses::table
        .inner_join(exhibits::table)
        .inner_join(custody_events::table.on(custody_events::id.eq(analyses::custody_event_id)))
        .filter(analyses::exhibit_id.eq(exhibit.to_string()))
        .filter(analyses::kind.eq(kind.as_str()))
        .into_boxed();
    if let Some(seq) = seq {
        query = query.filter(analyses::seq.eq(seq));
    }
    let query = query.order(analyses::seq.desc());
    let row = match form {
        Form::Whole => query.select((RECORD, analyses::result)).first::<(RecordTuple, String)>(conn),
        Form::Preview => query.select((RECORD, analyses::preview)).first::<(RecordTuple, String)>(conn),
    };
    row.optional()?.map(to_analysis).transpose()
}

/// The latest analysis of `kind` of each of the incident's exhibits that has one, in exhibit
/// order, with its preview: what the memo cites. One query; an incident holds a case's
/// exhibits, not an office's.
pub fn latest_of_incident(
    conn: &mut DbConnection,
    incident_id: &str,
    kind: AnalysisKind,
) -> QueryResult<Vec<Analysis>> {
    let later = diesel::alias!(analyses as later);
    analyses::table
        .inner_join(exhibits::table)
        .inner_join(custody_events::table.on(custody_events::id.eq(analyses::custody_event_id)))
        .filter(exhibits::incident_id.eq(incident_id))
        .filter(analyses::kind.eq(kind.as_str()))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            later
                .filter(later.field(analyses::exhibit_id).eq(analyses::exhibit_id))
                .filter(later.field(analyses::kind).eq(analyses::kind))
                .filter(later.field(analyses::seq).gt(analyses::seq)),
        )))
        .order(exhibits::seq.asc())
        .select((RECORD, analyses::preview))
        .load::<(RecordTuple, String)>(conn)?
        .into_iter()
        .map(to_analysis)
        .collect()
}

/// The stored text of one analysis's whole result, as recorded (its digest is over these bytes).
pub fn result_text(conn: &mut DbConnection, id: &str) -> QueryResult<Option<String>> {
    analyses::table.filter(analyses::id.eq(id)).select(analyses::result).first(conn).optional()
}

/// One analysis as `custos verify` checks it: its id, kind, exhibit, the custody event
/// recording it (sequence and notes), its stored result, the result's recorded SHA-256 and
/// the stored preview.
pub type AnalysisCheck = (String, String, String, i32, String, String, String, String);

/// Analyses a window at a time, by id after `after`: `custos verify` re-hashes each result and
/// compares it with the digest its custody event (and so the ledger) recorded.
pub fn for_verification(conn: &mut DbConnection, after: &str, limit: i64) -> QueryResult<Vec<AnalysisCheck>> {
    analyses::table
        .inner_join(exhibits::table)
        .inner_join(custody_events::table.on(custody_events::id.eq(analyses::custody_event_id)))
        .filter(analyses::id.gt(after))
        .order(analyses::id.asc())
        .limit(limit)
        .select((
            analyses::id,
            analyses::kind,
            exhibits::number,
            custody_events::seq,
            custody_events::notes,
            analyses::result,
            analyses::result_sha256,
            analyses::preview,
        ))
        .load(conn)
}
