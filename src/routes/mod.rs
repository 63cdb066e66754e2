//! HTTP only: extract, call a service, respond. No SQL here.

pub mod api;
pub mod auth;
pub mod pages;
pub mod upload;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::domain::evidence::ExhibitNumber;
use crate::domain::ids::{IncidentNumber, MappingId};
use crate::error::AppError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/static/{file}", web::get().to(asset))
        .service(web::scope("/api/v1").configure(api::configure))
        .configure(pages::configure);
}

/// The incident named in a URL. A malformed number names no incident: 404, as for one the
/// caller may not see.
pub fn incident_number(raw: &str) -> Result<IncidentNumber, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("incident"))
}

/// The exhibit named in a URL; malformed is 404 too.
pub fn exhibit_number(raw: &str) -> Result<ExhibitNumber, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("exhibit"))
}

/// A mapping named in a URL; malformed is 404 too.
pub fn mapping_id(raw: &str) -> Result<MappingId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("mapping"))
}

/// A memo version named in a URL (`/incidents/{incident}/memos/{version}`); malformed is 404.
pub fn memo_version(incident: &str, version: &str) -> Result<(IncidentNumber, i32), AppError> {
    let number = incident_number(incident)?;
    let version = version.parse().map_err(|_| AppError::NotFound("memo version"))?;
    Ok((number, version))
}

/// Malformed JSON, unknown fields and wrong types: a 400 problem naming what was wrong.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(1 << 20).error_handler(|error, _req| {
        let app_error = match &error {
            actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
            | actix_web::error::JsonPayloadError::Overflow { .. } => AppError::PayloadTooLarge,
            actix_web::error::JsonPayloadError::ContentType => {
                AppError::bad_request("unsupported_media_type", "send the body as application/json")
            }
            other => AppError::bad_request("invalid_json", other.to_string()),
        };
        app_error.into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _req| AppError::bad_request("invalid_query", error.to_string()).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_error, _req| AppError::NotFound("resource").into())
}

/// Liveness and database status, for load balancers and operators.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.settings.database.backend_name();
    let result = state.run(crate::services::health::database).await;
    match result {
        Ok(()) => {
            HttpResponse::Ok().json(json!({ "status": "ok", "database": { "backend": backend, "status": "ok" } }))
        }
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "database": { "backend": backend, "status": "unreachable" } })),
    }
}

/// The stylesheet and scripts, compiled in: served by the app itself, never from a CDN.
async fn asset(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match file.as_str() {
        "custos.css" => (include_str!("../../templates/static/custos.css"), "text/css; charset=utf-8"),
        "custos.js" => (include_str!("../../templates/static/custos.js"), "text/javascript; charset=utf-8"),
        _ => return pages::not_found(req).await,
    };
    HttpResponse::Ok().content_type(content_type).insert_header(("Cache-Control", "public, max-age=3600")).body(body)
}
