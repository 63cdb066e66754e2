use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::rfc3339;
use crate::domain::custody::{CustodyEvent, CustodyStatus, RawCustodyEvent, current_custodian, in_time_order};
use crate::domain::evidence::{Exhibit, ExhibitNumber, RawExhibit};
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::upload::stream_to_blob;
use crate::routes::{exhibit_number, incident_number};
use crate::services::evidence as service;
use crate::services::verify::{self, VerificationReport};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/exhibits", web::get().to(list))
        .route("/incidents/{incident}/exhibits", web::post().to(upload_multipart))
        .route("/incidents/{incident}/exhibits", web::put().to(upload_raw))
        .route("/exhibits/{exhibit}", web::get().to(show))
        .route("/exhibits/{exhibit}/custody", web::post().to(record_custody))
        .route("/exhibits/{exhibit}/verify", web::get().to(verify_exhibit))
        .route("/exhibits/{exhibit}/proof", web::get().to(proof_bundle))
        .route("/exhibits/{exhibit}/file", web::get().to(download))
        .route("/exhibits/{exhibit}/parent", web::put().to(set_parent));
}

#[derive(Debug, Serialize)]
pub struct CustodyEventView {
    seq: i32,
    action: String,
    actor: String,
    occurred_at: String,
    recorded_at: String,
    from_custodian: Option<String>,
    to_custodian: Option<String>,
    location: Option<String>,
    purpose: Option<String>,
    authority: Option<String>,
    seal_number: Option<String>,
    seal_condition: Option<String>,
    digest_observed: Option<String>,
    digest_matched: Option<bool>,
    notes: String,
    prev_hash: String,
    event_hash: String,
    ledger_index: i64,
}

impl From<&CustodyEvent> for CustodyEventView {
    fn from(e: &CustodyEvent) -> Self {
        let d = &e.details;
        CustodyEventView {
            seq: e.seq,
            action: e.action.as_str().to_owned(),
            actor: e.actor.clone(),
            occurred_at: rfc3339(e.occurred_at),
            recorded_at: rfc3339(e.recorded_at),
            from_custodian: d.from_custodian.clone(),
            to_custodian: d.to_custodian.clone(),
            location: d.location.clone(),
            purpose: d.purpose.clone(),
            authority: d.authority.clone(),
            seal_number: d.seal_number.clone(),
            seal_condition: d.seal_condition.clone(),
            digest_observed: d.digest_observed.clone(),
            digest_matched: e.digest_matched,
            notes: d.notes.clone(),
            prev_hash: e.prev_hash.clone(),
            event_hash: e.event_hash.clone(),
            ledger_index: e.ledger_index,
        }
    }
}

/// An exhibit as the API shows it; `custody` (events in the order they happened, each with
/// its `seq`, the order it was recorded in) and `custody_status` are present on
/// single-exhibit responses.
pub fn exhibit_json(exhibit: &Exhibit, events: Option<(&[CustodyEvent], &CustodyStatus)>) -> serde_json::Value {
    let a = &exhibit.acquisition;
    let mut value = serde_json::json!({
        "number": exhibit.number,
        "incident": exhibit.number.incident.to_string(),
        "kind": exhibit.kind,
        "description": exhibit.description,
        "source": exhibit.source,
        "acquisition": {
            "method": a.method,
            "tool": a.tool,
            "acquired_by": a.acquired_by,
            "acquired_at": rfc3339(a.acquired_at),
            "location": a.location,
            "legal_authority": a.legal_authority,
        },
        "parent": exhibit.parent.map(|p| p.to_string()),
        "file": exhibit.file.as_ref().map(|f| serde_json::json!({
            "name": f.name, "media_type": f.media_type, "size": f.size,
        })),
        "sha256": exhibit.file.as_ref().map(|f| f.sha256.clone()),
        "sha1": exhibit.file.as_ref().and_then(|f| f.sha1.clone()),
        "md5": exhibit.file.as_ref().and_then(|f| f.md5.clone()),
        "created_at": rfc3339(exhibit.created_at),
    });
    if let Some((events, status)) = events {
        value["custodian"] = serde_json::json!(current_custodian(events));
        value["disposed"] =
            serde_json::json!(events.iter().any(|e| e.action == crate::domain::custody::CustodyAction::Disposed));
        value["custody"] =
            serde_json::json!(in_time_order(events).into_iter().map(CustodyEventView::from).collect::<Vec<_>>());
        value["custody_status"] = serde_json::json!({ "sound": status.sound(), "impairments": status.impairments });
    }
    value
}

async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let exhibits = state.run(move |conn| service::list(conn, &user, number)).await?;
    let items: Vec<_> = exhibits.iter().map(|e| exhibit_json(e, None)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Registers the prepared exhibit with its blob, signs a checkpoint, answers 201.
async fn finish_registration(
    state: &web::Data<AppState>,
    user: &crate::domain::user::User,
    prepared: service::PreparedExhibit,
    blob: Option<crate::storage::FinishedBlob>,
) -> Result<HttpResponse, AppError> {
    let store = state.store.clone();
    let ledger = state.ledger.clone();
    let (exhibit, events, status) = state
        .run(move |conn| {
            let exhibit = service::register(conn, store.as_ref(), prepared, blob)?;
            ledger.checkpoint(conn)?;
            let events = service::events(conn, &exhibit)?;
            let status = service::custody_status_of(conn, &exhibit, &events)?;
            Ok((exhibit, events, status))
        })
        .await?;
    super::analyses::read_credentials_after_upload(state, user, &exhibit);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/exhibits/{}", exhibit.number)))
        .json(exhibit_json(&exhibit, Some((&events, &status)))))
}

fn parse_metadata(bytes: &[u8]) -> Result<RawExhibit, AppError> {
    serde_json::from_slice(bytes).map_err(|e| AppError::bad_request("invalid_json", format!("metadata: {e}")))
}

/// Multipart: a `metadata` part (JSON) first, then optionally a `file` part. The metadata is
/// checked before a single byte of the file is accepted.
async fn upload_multipart(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let bad = |e: actix_multipart::MultipartError| AppError::bad_request("invalid_multipart", e.to_string());
    let mut field = payload
        .try_next()
        .await
        .map_err(bad)?
        .ok_or_else(|| AppError::bad_request("missing_metadata", "the first part must be 'metadata' (JSON)"))?;
    if field.name() != Some("metadata") {
        return Err(AppError::bad_request("missing_metadata", "the first part must be 'metadata' (JSON)"));
    }
    let mut metadata = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad)? {
        if metadata.len() + chunk.len() > 64 * 1024 {
            return Err(AppError::bad_request("metadata_too_large", "the metadata part is limited to 64 KiB"));
        }
        metadata.extend_from_slice(&chunk);
    }
    // A field must be dropped before the next is asked for: actix-multipart waits until then.
    drop(field);
    let mut raw = parse_metadata(&metadata)?;
    let next = payload.try_next().await.map_err(bad)?;
    if let Some(file) = &next {
        if file.name() != Some("file") {
            return Err(AppError::bad_request("unexpected_part", "after 'metadata' only a 'file' part may follow"));
        }
        if raw.file_name.is_none() {
            raw.file_name = file.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        }
        if raw.media_type.is_none() {
            raw.media_type = file.content_type().map(|m| m.to_string());
        }
    }
    let uploader = user.clone();
    let prepared = state.run(move |conn| service::prepare(conn, &uploader, number, &raw)).await?;
    let blob = match next {
        Some(file) => Some(stream_to_blob(state.store.clone(), file, state.settings.max_upload_bytes).await?),
        None => None,
    };
    if payload.next().await.is_some() {
        return Err(AppError::bad_request("unexpected_part", "only 'metadata' and one 'file' part are accepted"));
    }
    finish_registration(&state, &user, prepared, blob).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUploadQuery {
    /// The exhibit's description as JSON, URL-encoded.
    metadata: String,
}

/// Raw `PUT`: the body is the file; the description comes as `?metadata=<JSON>`, and a digest
/// the client computed may come as `X-Content-SHA256`.
async fn upload_raw(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<RawUploadQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let mut raw = parse_metadata(query.metadata.as_bytes())?;
    if raw.sha256.is_none() {
        raw.sha256 = req.headers().get("x-content-sha256").and_then(|v| v.to_str().ok()).map(str::to_owned);
    }
    if raw.media_type.is_none() {
        raw.media_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    }
    let declared: Option<u64> =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n| n > state.settings.max_upload_bytes) {
        return Err(AppError::PayloadTooLarge);
    }
    let uploader = user.clone();
    let prepared = state.run(move |conn| service::prepare(conn, &uploader, number, &raw)).await?;
    let blob = stream_to_blob(state.store.clone(), body, state.settings.max_upload_bytes).await?;
    finish_registration(&state, &user, prepared, Some(blob)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRequest {
    parent: String,
}

/// Records, once, the exhibit this one was taken from.
async fn set_parent(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<ParentRequest>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let parent = body.into_inner().parent;
    let exhibit = state.run(move |conn| service::set_parent(conn, &user, number, &parent)).await?;
    Ok(HttpResponse::Ok().json(exhibit_json(&exhibit, None)))
}

/// The exhibit's original file, streamed (with `Range`), its SHA-256 in `X-Custos-SHA256`
/// and `Repr-Digest`; recorded in the audit trail.
async fn download(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    crate::routes::evidence_file::respond(req, state, user, number, service::FileAccess::Download).await
}

async fn show(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let (exhibit, events, status) = state
        .run(move |conn| {
            let (_, exhibit) = service::get(conn, &user, number)?;
            let events = service::events(conn, &exhibit)?;
            let status = service::custody_status_of(conn, &exhibit, &events)?;
            Ok((exhibit, events, status))
        })
        .await?;
    Ok(HttpResponse::Ok().json(exhibit_json(&exhibit, Some((&events, &status)))))
}

async fn record_custody(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<RawCustodyEvent>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let raw = body.into_inner();
    let ledger = state.ledger.clone();
    let event = state
        .run(move |conn| {
            let event = service::record_custody(conn, &user, number, &raw)?;
            ledger.checkpoint(conn)?;
            Ok(event)
        })
        .await?;
    Ok(HttpResponse::Created().json(CustodyEventView::from(&event)))
}

/// Verifies one exhibit: its file, its chain and the ledger it lives in.
pub async fn run_verification(
    state: &web::Data<AppState>,
    user: crate::domain::user::User,
    number: ExhibitNumber,
) -> Result<VerificationReport, AppError> {
    let store = state.store.clone();
    let ledger = state.ledger.clone();
    let mut pending = state
        .run(move |conn| {
            let outside = verify::outside_checkpoints(ledger.as_ref(), verify::Witnessed::Last, None)?;
            let scope = |conn: &mut crate::db::DbConnection| {
                let (_, exhibit) = service::get(conn, &user, number)?;
                Ok(verify::Scope::One(Box::new(exhibit)))
            };
            verify::check_records(conn, ledger.as_ref(), scope, false, &outside)
        })
        .await?;
    // The file is re-hashed with no pooled connection held: it may take minutes.
    let pending = actix_web::web::block(move || {
        verify::hash_files(&mut pending, store.as_ref(), &mut |_| {});
        pending
    })
    .await?;
    state.run(move |conn| verify::record_results(conn, pending)).await
}

async fn verify_exhibit(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let report = run_verification(&state, user, number).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "exhibit": number,
        "intact": report.intact(),
        "report": report,
    })))
}

async fn proof_bundle(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let ledger = state.ledger.clone();
    let bundle = state.run(move |conn| service::proof_bundle(conn, ledger.as_ref(), &user, number)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{number}-proof.json\"")))
        .json(bundle))
}
