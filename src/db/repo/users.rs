use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::corrupt;
use crate::db::DbConnection;
use crate::db::schema::{api_tokens, users};
use crate::domain::ids::UserId;
use crate::domain::user::User;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

impl UserRow {
    pub fn to_user(&self) -> QueryResult<User> {
        Ok(User {
            id: self.id.parse().map_err(|_| corrupt("user id", &self.id))?,
            username: self.username.clone(),
            full_name: self.full_name.clone(),
            role: self.role.parse().map_err(|_| corrupt("role", &self.role))?,
            active: self.active,
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: String,
    pub username: &'a str,
    pub full_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(row).execute(conn)
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()
}

pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .filter(users::id.eq(id.to_string()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| row.to_user())
        .transpose()
}

pub fn list_active(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .iter()
        .map(UserRow::to_user)
        .collect()
}

/// The first `limit` active users by username.
pub fn list_active_first(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?
        .iter()
        .map(UserRow::to_user)
        .collect()
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub token_sha256: String,
    pub created_at: PrimitiveDateTime,
}

pub fn insert_token(conn: &mut DbConnection, row: &NewApiTokenRow) -> QueryResult<usize> {
    diesel::insert_into(api_tokens::table).values(row).execute(conn)
}

/// The active user holding an unrevoked token with this digest.
pub fn find_by_token_digest(conn: &mut DbConnection, digest: &str) -> QueryResult<Option<User>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_sha256.eq(digest))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| row.to_user())
        .transpose()
}
