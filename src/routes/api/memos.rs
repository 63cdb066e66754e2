//! Charging memos and certification drafts.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::rfc3339;
use crate::domain::evidence::RawCertifier;
use crate::domain::memo::Narratives;
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::{OptionalJson, exhibit_number, incident_number, memo_version};
use crate::services::memo::{self as service, MemoVersion};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/memos", web::get().to(list))
        .route("/incidents/{incident}/memos", web::post().to(create))
        .route("/incidents/{incident}/memos/{version}.pdf", web::get().to(pdf))
        .route("/incidents/{incident}/memos/{version}", web::get().to(show))
        .route("/incidents/{incident}/memos/{version}/approve", web::post().to(approve))
        .route("/exhibits/{exhibit}/certificate.pdf", web::get().to(certificate));
}

/// A version as the API shows it; `content` only when asked for one version.
pub fn version_json(v: &MemoVersion, with_content: bool) -> serde_json::Value {
    let mut value = json!({
        "version": v.version,
        "author": v.author,
        "created_at": rfc3339(v.created_at),
        "content_sha256": v.content_sha256,
        "checkpoint": { "tree_size": v.checkpoint_size, "root_hash": v.checkpoint_root },
        "catalog_version": v.catalog_version,
        "approved": v.approved_by.as_ref().map(|by| json!({
            "by": by,
            "at": v.approved_at.map(rfc3339),
            "comment": v.approval_comment,
        })),
    });
    if with_content {
        value["content"] = serde_json::to_value(&v.content).unwrap_or_default();
    }
    value
}

async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let versions = state.run(move |conn| service::versions(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": versions.iter().map(|v| version_json(v, false)).collect::<Vec<_>>() })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMemoBody {
    /// Narrative sections by name; any left out take the templates' text.
    #[serde(default)]
    narratives: Option<std::collections::BTreeMap<String, String>>,
}

async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    OptionalJson(body): OptionalJson<CreateMemoBody>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let given = body.unwrap_or_default().narratives;
    let narratives = match given {
        Some(map) => {
            let mut n = Narratives::default();
            for (name, text) in map {
                if !n.set(&name, text) {
                    return Err(crate::domain::ValidationErrors::single(
                        &format!("narratives.{name}"),
                        "is not a narrative section",
                    )
                    .into());
                }
            }
            Some(n)
        }
        None => None,
    };
    let ledger = state.ledger.clone();
    let version =
        state.run(move |conn| service::save_version(conn, ledger.as_ref(), &user, number, narratives)).await?;
    Ok(HttpResponse::Created().json(version_json(&version, true)))
}

async fn show(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let (_, version) = state.run(move |conn| service::version(conn, &user, number, Some(v))).await?;
    Ok(HttpResponse::Ok().json(version_json(&version, true)))
}

/// The PDF of a version; the same version always gives the same bytes.
pub fn pdf_response(file_name: &str, bytes: Vec<u8>, sha256: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file_name}\"")))
        .insert_header(("X-Content-SHA256", sha256.to_owned()))
        .body(bytes)
}

async fn pdf(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let (_, bytes, sha) = state.run(move |conn| service::export_pdf(conn, &user, number, Some(v))).await?;
    Ok(pdf_response(&format!("memo-{number}-v{v}.pdf"), bytes, &sha))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    comment: String,
}

async fn approve(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<ApproveBody>,
) -> Result<HttpResponse, AppError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let comment = body.map(|b| b.comment).unwrap_or_default();
    let version = state.run(move |conn| service::approve(conn, &user, number, v, &comment)).await?;
    Ok(HttpResponse::Ok().json(version_json(&version, false)))
}

async fn certificate(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<RawCertifier>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let raw = query.into_inner();
    let (bytes, sha) = state.run(move |conn| service::certificate_pdf(conn, &user, number, &raw)).await?;
    Ok(pdf_response(&format!("{number}-fre-902-14-certification.pdf"), bytes, &sha))
}
