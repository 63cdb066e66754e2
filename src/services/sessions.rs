//! Browser sessions kept on the server, and the throttling of failed sign-ins.
//!
//! A session cookie carries only an unguessable session id (encrypted); the session itself
//! lives in the database, so signing out, an administrator's revocation or a disabled account
//! ends it at once for every copy of the cookie.

use base64::Engine;
use serde_json::json;
use time::Duration;

use crate::db::repo::sessions::{self as repo, LiveSession, SessionRow};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::now_utc;
use crate::domain::policy;
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::{audit, users};

/// Failures of one address within this window count toward its back-off.
const WINDOW: Duration = Duration::minutes(15);
/// An address may fail this often before it must wait...
const ADDRESS_FREE_FAILURES: i64 = 5;
/// ...at most this long (doubling from one second per further failure).
const ADDRESS_MAX_WAIT: i64 = 15 * 60;
/// An account, from all addresses together, may fail more often before it must wait...
const ACCOUNT_FREE_FAILURES: i64 = 10;
/// ...and at most a minute: an attacker cannot lock a real user out for long.
const ACCOUNT_MAX_WAIT: i64 = 60;

fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

fn account_subject(username: &str) -> String {
    format!("account:{}", username.trim().to_lowercase())
}

/// Seconds still to wait after `count` failures, the last at `last`.
fn wait_for(count: i64, free: i64, max_wait: i64, last: Option<time::PrimitiveDateTime>) -> i64 {
    let Some(last) = last else { return 0 };
    if count < free {
        return 0;
    }
    let exponent = u32::try_from((count - free).min(20)).unwrap_or(20);
    let wait = 2i64.saturating_pow(exponent).min(max_wait);
    let elapsed = (now_utc() - last).whole_seconds();
    (wait - elapsed).max(0)
}

/// How many seconds this address or account must wait before trying again (0: it may try).
pub fn sign_in_wait(conn: &mut DbConnection, username: &str, address: &str) -> Result<i64, AppError> {
    let since = now_utc() - WINDOW;
    let (by_address, last_address) = repo::failures_since(conn, &address_subject(address), since)?;
    let (by_account, last_account) = repo::failures_since(conn, &account_subject(username), since)?;
    Ok(wait_for(by_address, ADDRESS_FREE_FAILURES, ADDRESS_MAX_WAIT, last_address).max(wait_for(
        by_account,
        ACCOUNT_FREE_FAILURES,
        ACCOUNT_MAX_WAIT,
        last_account,
    )))
}

/// Records a failed sign-in: counted for throttling, and kept in the audit trail.
pub fn record_failure(conn: &mut DbConnection, username: &str, address: &str) -> Result<(), AppError> {
    let now = now_utc();
    let username: String = username.trim().chars().take(64).collect();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        repo::forget_failures(conn, now - WINDOW)?;
        repo::record_failure(conn, &address_subject(address), now)?;
        repo::record_failure(conn, &account_subject(&username), now)?;
        audit::record(conn, None, AuditAction::SignInFailed, None, json!({ "username": username, "address": address }))
    })
}

/// Authenticates and, if the password is right, starts a session: its id for the cookie.
pub fn sign_in(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    address: &str,
    ttl: std::time::Duration,
) -> Result<Option<(User, String)>, AppError> {
    let Some(user) = users::authenticate(conn, username, password)? else {
        record_failure(conn, username, address)?;
        return Ok(None);
    };
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = now_utc();
    let ttl = Duration::try_from(ttl).unwrap_or(Duration::hours(8));
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        repo::clear_failures(conn, &account_subject(&user.username))?;
        repo::insert(
            conn,
            &SessionRow {
                id: id.clone(),
                user_id: user.id.to_string(),
                created_at: now,
                expires_at: now + ttl,
                address: address.to_owned(),
                revoked_at: None,
                revoked_reason: None,
            },
        )?;
        Ok(())
    })?;
    Ok(Some((user, id)))
}

/// The active user of a live session, or `None` (unknown, expired, revoked, or the account
/// was disabled).
pub fn user_of(conn: &mut DbConnection, id: &str) -> Result<Option<User>, AppError> {
    match repo::live_user(conn, id, now_utc())? {
        Some(user) => users::find(conn, user),
        None => Ok(None),
    }
}

/// Signing out: the session ends on the server.
pub fn sign_out(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    db::write_transaction(conn, |conn| repo::revoke(conn, id, "signed out", now_utc()).map(drop))?;
    Ok(())
}

/// Live sessions, newest first: for an administrator.
pub fn live(conn: &mut DbConnection, admin: &User) -> Result<Vec<LiveSession>, AppError> {
    policy::administer(admin)?;
    Ok(repo::live(conn, now_utc(), 1_000)?)
}

/// An administrator ends a session.
pub fn revoke(conn: &mut DbConnection, admin: &User, id: &str) -> Result<(), AppError> {
    policy::administer(admin)?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        if repo::revoke(conn, id, "revoked by an administrator", now_utc())? == 0 {
            return Err(AppError::NotFound("session"));
        }
        audit::record(conn, Some(admin.id), AuditAction::SessionRevoked, None, json!({ "session": short(id) }))
    })
}

/// Enough of a session id to tell sessions apart in the record, too little to use one.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_and_is_capped() {
        let just_now = Some(now_utc());
        assert_eq!(wait_for(4, 5, 900, just_now), 0);
        assert!((0..=1).contains(&wait_for(5, 5, 900, just_now)));
        assert!((7..=8).contains(&wait_for(8, 5, 900, just_now)));
        assert!((899..=900).contains(&wait_for(40, 5, 900, just_now)));
        assert!((59..=60).contains(&wait_for(40, 10, 60, just_now)));
        let long_ago = Some(now_utc() - Duration::hours(1));
        assert_eq!(wait_for(40, 5, 900, long_ago), 0);
    }
}
