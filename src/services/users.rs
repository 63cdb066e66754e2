use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::db::repo::sessions as sessions_repo;
use crate::db::repo::users::{self as repo, NewApiTokenRow, NewUserRow};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::UserId;
use crate::domain::user::{NewPassword, Role, User, Username};
use crate::domain::{ValidationErrors, now_utc, required_line};
use crate::error::AppError;
use crate::services::audit;

/// Creates a user with an argon2id password hash. `actor` is who asked (none from the CLI).
pub fn create(
    conn: &mut DbConnection,
    actor: Option<UserId>,
    username: &str,
    full_name: &str,
    role: Role,
    password: NewPassword,
) -> Result<User, AppError> {
    let mut errors = ValidationErrors::new();
    let username = errors.check("username", Username::parse(username));
    let full_name = errors.check("full_name", required_line(full_name, 200));
    errors.into_result()?;
    let (Some(username), Some(full_name)) = (username, full_name) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let password_hash = hash_password(password.expose())?;
    let id = UserId::new();
    db::write_transaction(conn, |conn| {
        if repo::find_by_username(conn, username.as_str())?.is_some() {
            return Err(AppError::conflict("username_taken", format!("the username '{username}' is taken")));
        }
        repo::insert(
            conn,
            &NewUserRow {
                id: id.to_string(),
                username: username.as_str(),
                full_name: &full_name,
                role: role.as_str(),
                password_hash: &password_hash,
                active: true,
                created_at: now_utc(),
            },
        )?;
        audit::record(
            conn,
            actor,
            AuditAction::UserCreated,
            None,
            serde_json::json!({ "user_id": id, "username": username, "role": role }),
        )?;
        Ok(())
    })?;
    Ok(User { id, username: username.to_string(), full_name, role, active: true })
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(format!("password hashing: {e}")))
}

/// A hash of a password nobody has, checked when the username is unknown so that a wrong
/// username takes as long as a wrong password.
fn decoy_hash() -> Option<String> {
    static DECOY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password for timing").ok()).clone()
}

/// The active user with this username and password, or `None`. Constant work either way.
pub fn authenticate(conn: &mut DbConnection, username: &str, password: &str) -> Result<Option<User>, AppError> {
    let row = repo::find_by_username(conn, username.trim())?;
    let stored = match &row {
        Some(row) => Some(row.password_hash.clone()),
        None => decoy_hash(),
    };
    let verified = stored
        .as_deref()
        .and_then(|hash| PasswordHash::new(hash).ok())
        .is_some_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok());
    match row {
        Some(row) if verified && row.active => Ok(Some(row.to_user()?)),
        _ => Ok(None),
    }
}

pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<User>, AppError> {
    Ok(repo::find(conn, id)?.filter(|u| u.active))
}

pub fn list_active(conn: &mut DbConnection) -> Result<Vec<User>, AppError> {
    Ok(repo::list_active(conn)?)
}

/// The active users if there are no more than `most`; `None` when there are more (a form then
/// asks for a username instead of offering a list).
pub fn active_if_few(conn: &mut DbConnection, most: usize) -> Result<Option<Vec<User>>, AppError> {
    let limit = i64::try_from(most).map_err(AppError::internal)?.saturating_add(1);
    let users = repo::list_active_first(conn, limit)?;
    Ok((users.len() <= most).then_some(users))
}

const TOKEN_PREFIX: &str = "cst_";

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new API token: its id (to revoke it by) and the secret itself, shown once.
pub struct IssuedToken {
    pub id: String,
    pub token: String,
}

/// Issues a new API bearer token for `username`. Only its SHA-256 is stored: the token has
/// 256 random bits, so a fast hash is enough, and a database leak reveals no usable token.
pub fn issue_token(conn: &mut DbConnection, username: &str) -> Result<IssuedToken, AppError> {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    db::write_transaction(conn, |conn| {
        let user = repo::find_by_username(conn, username.trim())?
            .filter(|u| u.active)
            .ok_or_else(|| {
                AppError::Validation(ValidationErrors::single(
                    "username",
                    format!("no active user named '{}'", username.trim()),
                ))
            })?
            .to_user()?;
        let token_id = uuid::Uuid::new_v4().to_string();
        repo::insert_token(
            conn,
            &NewApiTokenRow {
                id: token_id.clone(),
                user_id: user.id.to_string(),
                token_sha256: token_digest(&token),
                created_at: now_utc(),
            },
        )?;
        audit::record(
            conn,
            Some(user.id),
            AuditAction::TokenCreated,
            None,
            serde_json::json!({ "token_id": token_id }),
        )?;
        Ok(IssuedToken { id: token_id, token })
    })
}

/// Issues a token and returns only the secret (for scripts and tests).
pub fn create_token(conn: &mut DbConnection, username: &str) -> Result<String, AppError> {
    issue_token(conn, username).map(|issued| issued.token)
}

/// The user a bearer token belongs to, if it is well-formed, known and unrevoked.
pub fn user_for_token(conn: &mut DbConnection, token: &str) -> Result<Option<User>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    Ok(repo::find_by_token_digest(conn, &token_digest(token))?)
}

/// Disables an account: it can no longer sign in, and its sessions and API tokens end at
/// once. `actor` is who asked (none from the command line).
pub fn disable(conn: &mut DbConnection, actor: Option<UserId>, username: &str) -> Result<(usize, usize), AppError> {
    let row = repo::find_by_username(conn, username.trim())?.ok_or(AppError::NotFound("user"))?;
    let user = row.to_user()?;
    let now = now_utc();
    db::write_transaction(conn, |conn| -> Result<(usize, usize), AppError> {
        sessions_repo::set_active(conn, user.id, false)?;
        let sessions = sessions_repo::revoke_all_of(conn, user.id, "account disabled", now)?;
        let tokens = sessions_repo::revoke_tokens_of(conn, user.id, now)?;
        audit::record(
            conn,
            actor,
            AuditAction::UserDisabled,
            None,
            serde_json::json!({ "user_id": user.id, "username": user.username, "sessions": sessions, "tokens": tokens }),
        )?;
        Ok((sessions, tokens))
    })
}

/// Revokes one API token by its id (as printed when it was created).
pub fn revoke_token(conn: &mut DbConnection, actor: Option<UserId>, token_id: &str) -> Result<(), AppError> {
    let token_id = token_id.trim();
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        if sessions_repo::revoke_token(conn, token_id, now_utc())? == 0 {
            return Err(AppError::NotFound("active token"));
        }
        audit::record(conn, actor, AuditAction::TokenRevoked, None, serde_json::json!({ "token_id": token_id }))
    })
}
