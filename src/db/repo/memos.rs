//! Charging-memo versions and their approvals.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::parse_stored;
use crate::db::DbConnection;
use crate::db::schema::{memo_approvals, memo_versions, users};
use crate::domain::ids::{MemoVersionId, UserId};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = memo_versions)]
pub struct NewMemoVersionRow {
    pub id: String,
    pub incident_id: String,
    pub version: i32,
    pub author_id: String,
    pub created_at: PrimitiveDateTime,
    pub content: String,
    pub content_sha256: String,
    pub checkpoint_size: i64,
    pub checkpoint_root: String,
    pub catalog_version: String,
}

/// A stored version with its author's name and approval, if any.
pub struct MemoVersionRow {
    pub id: MemoVersionId,
    pub version: i32,
    pub author_id: UserId,
    pub author: String,
    pub created_at: PrimitiveDateTime,
    pub content: String,
    pub content_sha256: String,
    pub checkpoint_size: i64,
    pub checkpoint_root: String,
    pub catalog_version: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<PrimitiveDateTime>,
    pub approval_comment: Option<String>,
}

pub fn next_version(conn: &mut DbConnection, incident_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = memo_versions::table
        .filter(memo_versions::incident_id.eq(incident_id))
        .select(diesel::dsl::max(memo_versions::version))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut DbConnection, row: &NewMemoVersionRow) -> QueryResult<()> {
    diesel::insert_into(memo_versions::table).values(row.clone()).execute(conn).map(|_| ())
}

type VersionTuple = (String, i32, String, String, String, PrimitiveDateTime, String, String, (i64, String, String));

fn load(
    conn: &mut DbConnection,
    incident_id: &str,
    version: Option<i32>,
    window: Option<(i64, i64)>,
) -> QueryResult<Vec<MemoVersionRow>> {
    let mut query = memo_versions::table
        .inner_join(users::table.on(users::id.eq(memo_versions::author_id)))
        .filter(memo_versions::incident_id.eq(incident_id.to_owned()))
        .order(memo_versions::version.desc())
        .into_boxed();
    if let Some(v) = version {
        query = query.filter(memo_versions::version.eq(v));
    }
    if let Some((offset, limit)) = window {
        query = query.offset(offset).limit(limit);
    }
    let rows: Vec<VersionTuple> = query
        .select((
            memo_versions::id,
            memo_versions::version,
            memo_versions::author_id,
            users::username,
            users::full_name,
            memo_versions::created_at,
            memo_versions::content,
            memo_versions::content_sha256,
            (memo_versions::checkpoint_size, memo_versions::checkpoint_root, memo_versions::catalog_version),
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, version, author_id, username, full_name, created_at, content, content_sha256, (size, root, catalog)) in
        rows
    {
        let approval: Option<(String, PrimitiveDateTime, String)> = memo_approvals::table
            .inner_join(users::table.on(users::id.eq(memo_approvals::approved_by)))
            .filter(memo_approvals::memo_version_id.eq(&id))
            .select((users::full_name, memo_approvals::approved_at, memo_approvals::comment))
            .first(conn)
            .optional()?;
        out.push(MemoVersionRow {
            id: parse_stored("memo version id", &id)?,
            version,
            author_id: parse_stored("user id", &author_id)?,
            author: if full_name.is_empty() { username } else { full_name },
            created_at,
            content,
            content_sha256,
            checkpoint_size: size,
            checkpoint_root: root,
            catalog_version: catalog,
            approved_by: approval.as_ref().map(|a| a.0.clone()),
            approved_at: approval.as_ref().map(|a| a.1),
            approval_comment: approval.map(|a| a.2),
        });
    }
    Ok(out)
}

pub fn find(conn: &mut DbConnection, incident_id: &str, version: i32) -> QueryResult<Option<MemoVersionRow>> {
    Ok(load(conn, incident_id, Some(version), Some((0, 1)))?.into_iter().next())
}

pub fn latest(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Option<MemoVersionRow>> {
    Ok(load(conn, incident_id, None, Some((0, 1)))?.into_iter().next())
}

pub fn all(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<MemoVersionRow>> {
    load(conn, incident_id, None, None)
}

/// One page of an incident's versions, newest first, with the number of versions in all.
pub fn page(
    conn: &mut DbConnection,
    incident_id: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<MemoVersionRow>, i64)> {
    let total: i64 =
        memo_versions::table.filter(memo_versions::incident_id.eq(incident_id)).count().get_result(conn)?;
    let rows = load(conn, incident_id, None, Some(((page - 1).max(0) * per_page, per_page)))?;
    Ok((rows, total))
}

pub fn approve(
    conn: &mut DbConnection,
    memo: MemoVersionId,
    by: UserId,
    at: PrimitiveDateTime,
    comment: &str,
) -> QueryResult<()> {
    diesel::insert_into(memo_approvals::table)
        .values((
            memo_approvals::id.eq(uuid::Uuid::new_v4().to_string()),
            memo_approvals::memo_version_id.eq(memo.to_string()),
            memo_approvals::approved_by.eq(by.to_string()),
            memo_approvals::approved_at.eq(at),
            memo_approvals::comment.eq(comment),
        ))
        .execute(conn)
        .map(|_| ())
}
