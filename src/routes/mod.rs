//! HTTP only: extract, call a service, respond. No SQL here.

pub mod api;
pub mod auth;
pub mod evidence_file;
pub mod pages;
pub mod upload;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

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

/// Form bodies (and any other body read whole): at most 1 MiB, enough for a memo's seven
/// narrative sections at their limit; past it, 413 before anything is parsed.
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(1 << 20)
}

/// A JSON body that may be left out entirely (no body: `None`). A body that is there must be
/// JSON of the right shape, sent as `application/json`, within the size limit: anything else
/// is refused with a problem response before the handler runs, so it can change nothing.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| {
                if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::bad_request("invalid_body", e.to_string())
                }
            })?;
            if body.is_empty() {
                return Ok(OptionalJson(None));
            }
            if !json {
                return Err(AppError::bad_request("unsupported_media_type", "send the body as application/json"));
            }
            serde_json::from_slice(&body)
                .map(|value| OptionalJson(Some(value)))
                .map_err(|e| AppError::bad_request("invalid_json", e.to_string()))
        })
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _req| AppError::bad_request("invalid_query", error.to_string()).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_error, _req| AppError::NotFound("resource").into())
}

/// Liveness, and the status of the database and the evidence store, for load balancers and
/// operators: 503 unless both answer.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.settings.database.backend_name();
    let database = state.run(crate::services::health::database).await.is_ok();
    let store = state.store.clone();
    let kind = store.kind();
    let evidence = web::block(move || crate::services::health::evidence_store(store.as_ref())).await;
    let evidence = matches!(evidence, Ok(Ok(())));
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    let body = json!({
        "status": if database && evidence { "ok" } else { "unavailable" },
        "database": { "backend": backend, "status": word(database) },
        "evidence_store": { "kind": kind, "status": word(evidence) },
    });
    if database && evidence { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
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
