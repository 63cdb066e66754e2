use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{PageBody, SliceBody, rfc3339};
use crate::domain::approx::Bound;
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::{
    AiModality, Incident, IncidentFilter, IncidentPatch, IncidentStatus, IncidentSummary, RawIncident,
    RawIncidentFilter, RawSubject, RawVictim, Victim, format_cents_plain,
};
use crate::domain::victim_sheet::SHEET_MAX_BYTES;
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
        .route("/incidents/{incident}/members", web::post().to(add_member))
        .route("/incidents/{incident}/victims", web::get().to(list_victims))
        .service(
            web::resource("/incidents/{incident}/victims/import")
                .app_data(web::PayloadConfig::new(SHEET_MAX_BYTES))
                .route(web::post().to(import_victims)),
        );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VictimBody {
    name: String,
    kind: String,
    /// Dollars as a decimal string, e.g. "243000.50", or a lower bound: "more than 10000000".
    #[serde(default)]
    estimated_loss_usd: Option<String>,
    /// The defendants' gain from this victim, in the same form; kept apart from the loss.
    #[serde(default)]
    gain_usd: Option<String>,
    /// For a class of victims: how many, e.g. 80, "80+" or "more than 80".
    #[serde(default)]
    class_size: Option<TextOrNumber>,
    #[serde(default)]
    notes: Option<String>,
}

/// A figure a client may send as a JSON number or as text with a bound ("80+").
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TextOrNumber {
    Number(i64),
    Text(String),
}

impl TextOrNumber {
    fn into_text(self) -> String {
        match self {
            TextOrNumber::Number(n) => n.to_string(),
            TextOrNumber::Text(t) => t,
        }
    }
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
        .map(|v| RawVictim {
            name: v.name,
            kind: v.kind,
            estimated_loss: v.estimated_loss_usd.unwrap_or_default(),
            gain: v.gain_usd.unwrap_or_default(),
            class_size: v.class_size.map(TextOrNumber::into_text).unwrap_or_default(),
            notes: v.notes.unwrap_or_default(),
        })
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
    /// Show individual victims by initials only, in pages and documents (prosecutors and
    /// supervisors only).
    #[serde(default)]
    victim_names_sensitive: bool,
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
    #[serde(default)]
    victim_names_sensitive: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    username: String,
}

#[derive(Debug, Serialize)]
pub struct VictimView {
    /// The name as recorded (team members edit it).
    name: String,
    /// The name as pages and documents show it: initials where names are marked sensitive.
    shown_name: String,
    kind: String,
    estimated_loss_usd: Option<String>,
    estimated_loss_cents: Option<i64>,
    /// "exact", "at_least" or "more_than"; absent when no loss is recorded.
    loss_bound: Option<Bound>,
    gain_usd: Option<String>,
    gain_cents: Option<i64>,
    gain_bound: Option<Bound>,
    class_size: Option<i64>,
    class_size_bound: Option<Bound>,
    notes: String,
}

impl VictimView {
    pub fn new(v: Victim, names_sensitive: bool) -> VictimView {
        VictimView {
            shown_name: v.shown_name(names_sensitive),
            kind: v.kind.as_str().to_owned(),
            estimated_loss_usd: v.loss.map(|a| format_cents_plain(a.cents)),
            estimated_loss_cents: v.loss.map(|a| a.cents),
            loss_bound: v.loss.map(|a| a.bound),
            gain_usd: v.gain.map(|a| format_cents_plain(a.cents)),
            gain_cents: v.gain.map(|a| a.cents),
            gain_bound: v.gain.map(|a| a.bound),
            class_size: v.class_size.map(|h| h.count),
            class_size_bound: v.class_size.map(|h| h.bound),
            notes: v.notes,
            name: v.name,
        }
    }
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
    /// A day ("2017-03-04"), a month or year, possibly "about" it ("about 2017").
    first_offense_date: Option<String>,
    last_offense_date: Option<String>,
    /// The offense dates as documents state them: "from in or about 2017 through 2018-06-30".
    offense_dates: String,
    victim_names_sensitive: bool,
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
        let names_sensitive = d.victim_names_sensitive;
        let offense_dates = d.offense_dates();
        IncidentView {
            number: i.number,
            title: d.title,
            summary: d.summary,
            status: i.status,
            next_statuses: i.status.next_steps(),
            district: d.district,
            ai_modalities: d.ai_modalities.into_iter().collect(),
            offense_dates,
            victim_names_sensitive: d.victim_names_sensitive,
            victims: d.victims.into_iter().map(|v| VictimView::new(v, names_sensitive)).collect(),
            subjects: d
                .subjects
                .into_iter()
                .map(|s| SubjectView { name: s.name, description: s.description })
                .collect(),
            first_offense_date: d.first_offense_date.map(|d| d.canonical()),
            last_offense_date: d.last_offense_date.map(|d| d.canonical()),
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
            first_offense_date: s.first_offense_date.map(|d| d.canonical()),
            last_offense_date: s.last_offense_date.map(|d| d.canonical()),
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
    let slice = state.run(move |conn| service::list(conn, &user, &filter)).await?;
    Ok(HttpResponse::Ok().json(SliceBody::of(slice, IncidentSummaryView::from)))
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
        victim_names_sensitive: body.victim_names_sensitive,
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
        victim_names_sensitive: body.victim_names_sensitive,
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

/// Victims are listed in pages: an incident may hold thousands.
const VICTIMS_PER_PAGE_MAX: i64 = 500;

async fn list_victims(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<super::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let (page, per_page) = query.parse(VICTIMS_PER_PAGE_MAX)?;
    let (incident, victims) = state.run(move |conn| service::victims_page(conn, &user, number, page, per_page)).await?;
    let sensitive = incident.details.victim_names_sensitive;
    let total = victims.total;
    Ok(HttpResponse::Ok().json(PageBody {
        items: victims.items.into_iter().map(|v| VictimView::new(v, sensitive)).collect::<Vec<_>>(),
        page,
        per_page,
        total,
        pages: (total + per_page - 1) / per_page,
        total_capped: false,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The incident version the sheet is added to; required unless `dry_run`.
    #[serde(default)]
    version: Option<i32>,
    /// Check the sheet and report what would be refused; save nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct RefusedRowView {
    line: u64,
    name: String,
    reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ImportView {
    saved: bool,
    rows: usize,
    blank_rows: usize,
    accepted: usize,
    refused: Vec<RefusedRowView>,
    sheet_sha256: String,
    version: i32,
}

impl ImportView {
    /// What the import did (`saved`) or would do; `version` is the incident's version after it.
    fn new(import: service::VictimImport, saved: bool, version: i32) -> ImportView {
        ImportView {
            saved,
            rows: import.rows,
            blank_rows: import.check.blank_rows,
            accepted: import.check.accepted.len(),
            refused: import
                .check
                .refused
                .into_iter()
                .map(|r| RefusedRowView { line: r.line, name: r.name, reasons: r.reasons })
                .collect(),
            sheet_sha256: import.sheet_sha256,
            version,
        }
    }
}

/// Imports victims from a CSV sheet sent as the body (`text/csv`). With `dry_run` it only
/// checks, and lists every row it would refuse; otherwise a sheet with any refused row is
/// refused whole (422, each row named) and a clean one is added in one change.
async fn import_victims(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let query = query.into_inner();
    if query.dry_run {
        let preview = state.run(move |conn| service::preview_victims(conn, &user, number, &body)).await?;
        let version = preview.incident.version;
        return Ok(HttpResponse::Ok().json(ImportView::new(preview, false, version)));
    }
    let version = query.version.ok_or_else(|| {
        AppError::Validation(crate::domain::ValidationErrors::single(
            "version",
            "give the incident version the sheet is added to (or dry_run=true to check it)",
        ))
    })?;
    let (incident, done) = state.run(move |conn| service::import_victims(conn, &user, number, version, &body)).await?;
    Ok(HttpResponse::Ok().json(ImportView::new(done, true, incident.version)))
}
