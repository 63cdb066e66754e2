//! Browser sessions and failed sign-ins.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::parse_stored;
use crate::db::DbConnection;
use crate::db::schema::{api_tokens, sessions, sign_in_failures, users};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub address: String,
    pub revoked_at: Option<PrimitiveDateTime>,
    pub revoked_reason: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> QueryResult<usize> {
    diesel::insert_into(sessions::table).values(row).execute(conn)
}

/// The user of a session that is neither revoked nor expired at `now`.
pub fn live_user(conn: &mut DbConnection, id: &str, now: PrimitiveDateTime) -> QueryResult<Option<UserId>> {
    let user: Option<String> = sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select(sessions::user_id)
        .first(conn)
        .optional()?;
    user.map(|u| parse_stored("user id", &u)).transpose()
}

/// Ends one live session; returns the rows changed.
pub fn revoke(conn: &mut DbConnection, id: &str, reason: &str, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::id.eq(id)).filter(sessions::revoked_at.is_null()))
        .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
        .execute(conn)
}

/// Ends every live session of a user; returns how many.
pub fn revoke_all_of(
    conn: &mut DbConnection,
    user: UserId,
    reason: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table.filter(sessions::user_id.eq(user.to_string())).filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)
}

/// Revokes every token of a user; returns how many.
pub fn revoke_tokens_of(conn: &mut DbConnection, user: UserId, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table.filter(api_tokens::user_id.eq(user.to_string())).filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Revokes one token by id; returns the rows changed.
pub fn revoke_token(conn: &mut DbConnection, id: &str, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// A live session, with its user's name, for the administrator's list.
pub struct LiveSession {
    pub id: String,
    pub username: String,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub address: String,
}

/// Live sessions, newest first, at most `limit`.
pub fn live(conn: &mut DbConnection, now: PrimitiveDateTime, limit: i64) -> QueryResult<Vec<LiveSession>> {
    let rows: Vec<(String, String, PrimitiveDateTime, PrimitiveDateTime, String)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .limit(limit)
        .select((sessions::id, users::username, sessions::created_at, sessions::expires_at, sessions::address))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, username, created_at, expires_at, address)| LiveSession {
            id,
            username,
            created_at,
            expires_at,
            address,
        })
        .collect())
}

pub fn record_failure(conn: &mut DbConnection, subject: &str, at: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(sign_in_failures::table)
        .values((sign_in_failures::subject.eq(subject), sign_in_failures::failed_at.eq(at)))
        .execute(conn)
}

/// Failures of `subject` since `since`: how many, and the latest.
pub fn failures_since(
    conn: &mut DbConnection,
    subject: &str,
    since: PrimitiveDateTime,
) -> QueryResult<(i64, Option<PrimitiveDateTime>)> {
    sign_in_failures::table
        .filter(sign_in_failures::subject.eq(subject))
        .filter(sign_in_failures::failed_at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::max(sign_in_failures::failed_at)))
        .first(conn)
}

/// Forgets failures older than `before`: they no longer count.
pub fn forget_failures(conn: &mut DbConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.lt(before))).execute(conn)
}

/// Forgets a subject's failures (after a successful sign-in).
pub fn clear_failures(conn: &mut DbConnection, subject: &str) -> QueryResult<usize> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::subject.eq(subject))).execute(conn)
}

/// Sets an account's `active` flag; returns the rows changed.
pub fn set_active(conn: &mut DbConnection, user: UserId, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::id.eq(user.to_string()))).set(users::active.eq(active)).execute(conn)
}
