//! Browser sessions, for administrators: which are live, and ending one.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::rfc3339;
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::services::sessions as service;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sessions", web::get().to(list)).route("/sessions/{id}/revoke", web::post().to(revoke));
}

async fn list(state: web::Data<AppState>, ApiUser(user): ApiUser) -> Result<HttpResponse, AppError> {
    let live = state.run(move |conn| service::live(conn, &user)).await?;
    let items: Vec<_> = live
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "username": s.username,
                "created_at": rfc3339(s.created_at),
                "expires_at": rfc3339(s.expires_at),
                "address": s.address,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

async fn revoke(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state.run(move |conn| service::revoke(conn, &user, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
