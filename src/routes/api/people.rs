//! The people of an incident, and whom each count charges.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::domain::person::{Person, RawPerson};
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::incident_number;
use crate::services::people as service;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/people", web::get().to(list))
        .route("/incidents/{incident}/people", web::post().to(add))
        .route("/incidents/{incident}/charges/{count}/defendants", web::put().to(set_defendants));
}

fn person_json(p: &Person) -> serde_json::Value {
    json!({
        "id": p.id,
        "name": p.name,
        "role": p.role,
        "placeholder": p.placeholder,
        "aliases": p.aliases,
        "document_name": p.document_name(),
    })
}

async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let (_, people) = state.run(move |conn| service::list(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": people.iter().map(person_json).collect::<Vec<_>>() })))
}

async fn add(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<RawPerson>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let raw = body.into_inner();
    let person = state.run(move |conn| service::add(conn, &user, number, &raw)).await?;
    Ok(HttpResponse::Created().json(person_json(&person)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefendantsRequest {
    defendants: Vec<String>,
}

async fn set_defendants(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, i32)>,
    body: web::Json<DefendantsRequest>,
) -> Result<HttpResponse, AppError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let ids = body.into_inner().defendants;
    let defendants = state.run(move |conn| service::set_defendants(conn, &user, number, count, &ids)).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "count": count, "defendants": defendants.iter().map(person_json).collect::<Vec<_>>() })))
}
