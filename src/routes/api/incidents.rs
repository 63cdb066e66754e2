use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{PageBody, rfc3339};
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::{
    AiModality, Incident, IncidentFilter, IncidentPatch, IncidentStatus, IncidentSummary, RawIncident,
    RawIncidentFilter, RawSubject, RawVictim, format_cents_plain,
};
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::incident_number;
use crate::services::incidents::{self as service};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::get().to(list))
        .route("/incidents", web::post().to(create))
        .route("/incidents/{incident}", web::get().to(show))
        .route("/incidents/{incident}", web::patch().to(patch))
        .route("/incidents/{incident}/members", web::post().to(add_member));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VictimBody {
    name: String,
    kind: String,
    /// Dollars as a decimal string, e.g. "243000.50".
    #[serde(default)]
    estimated_loss_usd: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

fn raw_victims(victims: Vec<VictimBody>) -> Vec<RawVictim> {
    victims
        .into_iter()
        .map(|v| RawVictim { name: v.name, kind: v.kind, estimated_loss: v.estimated_loss_usd.unwrap_or_default() })
        .collect()
}

fn raw_subjects(subjects: Vec<SubjectBody>) -> Vec<RawSubject> {
    subjects.into_iter().map(|s| RawSubject { name: s.name, description: s.description.unwrap_or_default() }).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentBody {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    district: Option<String>,
    #[serde(default)]
    ai_modalities: Vec<String>,
    #[serde(default)]
    victims: Vec<VictimBody>,
    #[serde(default)]
    subjects: Vec<SubjectBody>,
    #[serde(default)]
    first_offense_date: Option<String>,
    #[serde(default)]
    last_offense_date: Option<String>,
}

/// Changes to an incident. `version` is the version the client last read: required, so
/// that nobody overwrites a change they have not seen. Absent fields stay as they are; an
/// empty string clears an optional one; lists replace the whole list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchIncidentBody {
    version: i32,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    district: Option<String>,
    #[serde(default)]
    ai_modalities: Option<Vec<String>>,
    #[serde(default)]
    victims: Option<Vec<VictimBody>>,
    #[serde(default)]
    subjects: Option<Vec<SubjectBody>>,
    #[serde(default)]
    first_offense_date: Option<String>,
    #[serde(default)]
    last_offense_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    username: String,
}

#[derive(Debug, Serialize)]
pub struct VictimView {
    name: String,
    kind: String,
    estimated_loss_usd: Option<String>,
    estimated_loss_cents: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct SubjectView {
    name: String,
    description: String,
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    username: String,
    full_name: String,
    role: String,
    added_at: String,
}

#[derive(Debug, Serialize)]
pub struct IncidentView {
    number: IncidentNumber,
    title: String,
    summary: String,
    status: IncidentStatus,
    next_statuses: Vec<IncidentStatus>,
    district: Option<String>,
    ai_modalities: Vec<AiModality>,
    victims: Vec<VictimView>,
    subjects: Vec<SubjectView>,
    first_offense_date: Option<String>,
    last_offense_date: Option<String>,
    team: Vec<MemberView>,
    version: i32,
    created_by: String,
    created_at: String,
    updated_by: String,
    updated_at: String,
}

impl From<Incident> for IncidentView {
    fn from(i: Incident) -> Self {
        let d = i.details;
        IncidentView {
            number: i.number,
            title: d.title,
            summary: d.summary,
            status: i.status,
            next_statuses: i.status.next_steps(),
            district: d.district,
            ai_modalities: d.ai_modalities.into_iter().collect(),
            victims: d
                .victims
                .into_iter()
                .map(|v| VictimView {
                    name: v.name,
                    kind: v.kind.as_str().to_owned(),
                    estimated_loss_usd: v.estimated_loss_cents.map(format_cents_plain),
                    estimated_loss_cents: v.estimated_loss_cents,
                })
                .collect(),
            subjects: d
                .subjects
                .into_iter()
                .map(|s| SubjectView { name: s.name, description: s.description })
                .collect(),
            first_offense_date: d.first_offense_date.map(|d| d.to_string()),
            last_offense_date: d.last_offense_date.map(|d| d.to_string()),
            team: i
                .members
                .into_iter()
                .map(|m| MemberView {
                    username: m.username,
                    full_name: m.full_name,
                    role: m.role.as_str().to_owned(),
                    added_at: rfc3339(m.added_at),
                })
                .collect(),
            version: i.version,
            created_by: i.created_by,
            created_at: rfc3339(i.created_at),
            updated_by: i.updated_by,
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct IncidentSummaryView {
    number: IncidentNumber,
    title: String,
    status: IncidentStatus,
    district: Option<String>,
    ai_modalities: Vec<AiModality>,
    first_offense_date: Option<String>,
    last_offense_date: Option<String>,
    updated_at: String,
}

impl From<IncidentSummary> for IncidentSummaryView {
    fn from(s: IncidentSummary) -> Self {
        IncidentSummaryView {
            number: s.number,
            title: s.title,
            status: s.status,
            district: s.district,
            ai_modalities: s.ai_modalities,
            first_offense_date: s.first_offense_date.map(|d| d.to_string()),
            last_offense_date: s.last_offense_date.map(|d| d.to_string()),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    query: web::Query<RawIncidentFilter>,
) -> Result<HttpResponse, AppError> {
    let filter = IncidentFilter::parse(&query)?;
    let page = state.run(move |conn| service::list(conn, &user, &filter)).await?;
    let pages = page.page_count();
    Ok(HttpResponse::Ok().json(PageBody {
        items: page.items.into_iter().map(IncidentSummaryView::from).collect::<Vec<_>>(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        pages,
    }))
}

async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    body: web::Json<CreateIncidentBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let raw = RawIncident {
        title: body.title,
        summary: body.summary,
        district: body.district.unwrap_or_default(),
        ai_modalities: body.ai_modalities,
        victims: raw_victims(body.victims),
        subjects: raw_subjects(body.subjects),
        first_offense_date: body.first_offense_date.unwrap_or_default(),
        last_offense_date: body.last_offense_date.unwrap_or_default(),
    };
    let incident = state.run(move |conn| service::create(conn, &user, &raw)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/incidents/{}", incident.number)))
        .json(IncidentView::from(incident)))
}

async fn show(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let incident = state.run(move |conn| service::get(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(IncidentView::from(incident)))
}

async fn patch(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<PatchIncidentBody>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let body = body.into_inner();
    let status = body
        .status
        .map(|s| s.parse::<IncidentStatus>())
        .transpose()
        .map_err(|message| AppError::Validation(crate::domain::ValidationErrors::single("status", message)))?;
    let patch = IncidentPatch {
        title: body.title,
        summary: body.summary,
        district: body.district,
        ai_modalities: body.ai_modalities,
        victims: body.victims.map(raw_victims),
        subjects: body.subjects.map(raw_subjects),
        first_offense_date: body.first_offense_date,
        last_offense_date: body.last_offense_date,
    };
    let version = body.version;
    let incident = state.run(move |conn| service::update(conn, &user, number, version, status, &patch)).await?;
    Ok(HttpResponse::Ok().json(IncidentView::from(incident)))
}

async fn add_member(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<AddMemberBody>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let username = body.into_inner().username;
    let incident = state.run(move |conn| service::add_member(conn, &user, number, &username)).await?;
    Ok(HttpResponse::Created().json(IncidentView::from(incident)))
}
