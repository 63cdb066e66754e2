use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::rfc3339;
use crate::analysis::credentials;
use crate::domain::analysis::{Analysis, AnalysisKind, AnalysisRecord, RawAnalysisRequest};
use crate::domain::evidence::{Exhibit, ExhibitNumber};
use crate::domain::user::User;
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::exhibit_number;
use crate::services::analyses::{self as service, SuggestedMapping, Trigger};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/exhibits/{exhibit}/analyses", web::post().to(create))
        .route("/exhibits/{exhibit}/analyses", web::get().to(list))
        .route("/exhibits/{exhibit}/analyses/{seq}", web::get().to(show))
        .route("/exhibits/{exhibit}/timeline", web::get().to(timeline));
}

/// Runs an analysis of the exhibit's file and records it: the checks with a pooled
/// connection, the file read with none held, then one transaction, then a checkpoint.
pub async fn run_analysis(
    state: &web::Data<AppState>,
    user: User,
    number: ExhibitNumber,
    raw: RawAnalysisRequest,
    trigger: Trigger,
) -> Result<Analysis, AppError> {
    let asker = user.clone();
    let prepared = state.run(move |conn| service::prepare(conn, &asker, number, &raw, trigger)).await?;
    let store = state.store.clone();
    let to_read = prepared.clone();
    let analyzed = web::block(move || service::analyze(store.as_ref(), &to_read)).await??;
    let ledger = state.ledger.clone();
    state
        .run(move |conn| {
            let analysis = service::record(conn, &user, &prepared, analyzed)?;
            ledger.checkpoint(conn)?;
            Ok(analysis)
        })
        .await
}

/// After an upload of an image, audio or video file: its content credentials are read in
/// the background, so the upload answers at once. Should the server stop first, the exhibit
/// page offers the reading on request.
pub fn read_credentials_after_upload(state: &web::Data<AppState>, user: &User, exhibit: &Exhibit) {
    if !credentials::applies_to(exhibit.file.as_ref().and_then(|f| f.media_type.as_deref())) {
        return;
    }
    let (state, user, number) = (state.clone(), user.clone(), exhibit.number);
    actix_web::rt::spawn(async move {
        let raw = RawAnalysisRequest { kind: AnalysisKind::ContentCredentials.as_str().to_owned() };
        if let Err(e) = run_analysis(&state, user, number, raw, Trigger::OnUpload).await {
            tracing::warn!(exhibit = %number, error = %e.with_cause(), "content credentials not read after upload");
        }
    });
}

pub fn record_json(r: &AnalysisRecord) -> serde_json::Value {
    serde_json::json!({
        "exhibit": r.exhibit,
        "analysis": r.seq,
        "kind": r.kind,
        "tool": r.tool,
        "tool_version": r.tool_version,
        "exhibit_sha256": r.exhibit_sha256,
        "result_sha256": r.result_sha256,
        "summary": r.summary,
        "custody_event": r.custody_seq,
        "ledger_index": r.ledger_index,
        "recorded_by": r.recorded_by,
        "recorded_at": rfc3339(r.recorded_at),
        "citation": r.citation(),
    })
}

fn analysis_json(a: &Analysis) -> serde_json::Value {
    let mut json = record_json(&a.record);
    json["result"] = a.finding.to_json();
    if let Some(c) = a.credentials() {
        json["caution"] = serde_json::Value::from(credentials::ABSENCE_CAUTION);
        json["result_summary"] = serde_json::Value::from(c.summary());
    }
    json
}

async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<RawAnalysisRequest>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let analysis = run_analysis(&state, user, number, body.into_inner(), Trigger::OnRequest).await?;
    // For a timeline the answer carries its preview (instructions and tool executions, the
    // first 300); every step is at the Location. A credentials reading is whole.
    let mut json = analysis_json(&analysis);
    json["result_is_preview"] = serde_json::Value::from(analysis.timeline().is_some());
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/exhibits/{number}/analyses/{}", analysis.record.seq)))
        .json(json))
}

async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let records = state.run(move |conn| service::list(conn, &user, number)).await?;
    let items: Vec<_> = records.iter().map(record_json).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn show(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (exhibit, seq) = path.into_inner();
    let number = exhibit_number(&exhibit)?;
    let analysis = state
        .run(move |conn| {
            // The kind is not in the path: look under each.
            for kind in AnalysisKind::ALL {
                if let (_, _, Some(a)) = service::latest(conn, &user, number, *kind, Some(seq))? {
                    return Ok(a);
                }
            }
            Err(AppError::NotFound("analysis"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(analysis_json(&analysis)))
}

#[derive(Debug, Default, Deserialize)]
struct TimelineQuery {
    #[serde(default)]
    analysis: Option<i32>,
}

/// The exhibit's agent-run timeline (the latest, or `?analysis=N`) and the mappings its steps
/// suggest against the incident's counts.
pub async fn timeline_of(
    state: &web::Data<AppState>,
    user: User,
    number: ExhibitNumber,
    seq: Option<i32>,
) -> Result<(crate::domain::incident::Incident, Exhibit, Analysis, (Vec<SuggestedMapping>, usize)), AppError> {
    state
        .run(move |conn| {
            let (incident, exhibit, analysis) = service::latest(conn, &user, number, AnalysisKind::AgentRun, seq)?;
            let analysis = analysis.ok_or(AppError::NotFound("agent-run timeline"))?;
            let suggestions = service::suggestions(conn, &incident, &analysis)?;
            Ok((incident, exhibit, analysis, suggestions))
        })
        .await
}

async fn timeline(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, AppError> {
    let number = exhibit_number(&path)?;
    let (_, _, analysis, (suggestions, more)) = timeline_of(&state, user, number, query.analysis).await?;
    let mut json = analysis_json(&analysis);
    json["complete"] = serde_json::Value::from(analysis.timeline().is_some_and(|t| t.is_complete()));
    json["suggestions"] = serde_json::to_value(&suggestions).unwrap_or_default();
    json["suggestions_not_listed"] = serde_json::Value::from(more);
    Ok(HttpResponse::Ok().json(json))
}
