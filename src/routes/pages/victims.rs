//! The victims page: an incident's victims in pages, and their import from a CSV sheet with
//! a preview that names every row it would refuse before anything is saved.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::incidents::{VictimLine, victim_count};
use super::{redirect, render_with};
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::Incident;
use crate::domain::policy::{self, CaseWork};
use crate::domain::victim_sheet::SHEET_MAX_BYTES;
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::incident_number;
use crate::routes::upload::read_form_fields;
use crate::services::incidents::{self as service, VictimImport};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/victims", web::get().to(show))
        .route("/incidents/{incident}/victims/preview", web::post().to(preview))
        .service(
            // The confirmed sheet comes back base64-encoded in the form: a third larger.
            web::resource("/incidents/{incident}/victims/import")
                .app_data(web::PayloadConfig::new(SHEET_MAX_BYTES / 3 * 4 + 64 * 1024))
                .route(web::post().to(import)),
        );
}

/// Victims shown per page.
const PER_PAGE: i64 = 50;
/// Rows of a clean sheet shown before it is saved.
const SAMPLE_ROWS: usize = 20;

struct RefusedLine {
    line: u64,
    name: String,
    reasons: String,
}

struct Preview {
    file_name: String,
    sha256: String,
    rows: usize,
    blank_rows: usize,
    accepted: usize,
    refused: Vec<RefusedLine>,
    sample: Vec<(u64, VictimLine)>,
    /// The sheet checked, carried to the confirmation unchanged.
    sheet_base64: String,
}

#[derive(Template)]
#[template(path = "incidents/victims.html")]
struct VictimsPage {
    chrome: Chrome,
    number: String,
    count: String,
    entries: usize,
    total_loss: String,
    total_gain: String,
    names_sensitive: bool,
    victims: Vec<(i64, VictimLine)>,
    page: i64,
    page_count: i64,
    version: i32,
    can_write: bool,
    preview: Option<Preview>,
    sheet_error: Option<String>,
}

fn page(chrome: Chrome, user: &crate::domain::user::User, incident: &Incident, page: i64) -> VictimsPage {
    let d = &incident.details;
    let entries = d.victims.len();
    let victims = d.victims_page(page, PER_PAGE);
    let first = (victims.page - 1) * PER_PAGE + 1;
    VictimsPage {
        number: incident.number.to_string(),
        count: victim_count(d),
        entries,
        total_loss: d.total_loss().map_or_else(|| "Not recorded".into(), |a| a.to_string()),
        total_gain: d.total_gain().map_or_else(|| "Not recorded".into(), |a| a.to_string()),
        names_sensitive: d.victim_names_sensitive,
        victims: (first..).zip(victims.items.iter().map(|v| VictimLine::new(v, d.victim_names_sensitive))).collect(),
        page: victims.page,
        page_count: victims.page_count(),
        version: incident.version,
        can_write: policy::work_on(user, incident, CaseWork::ChangeIncident).is_ok(),
        preview: None,
        sheet_error: None,
        chrome,
    }
}

async fn load(state: &web::Data<AppState>, user: &SessionUser, number: IncidentNumber) -> Result<Incident, AppError> {
    let viewer = user.user().clone();
    state.run(move |conn| service::get(conn, &viewer, number)).await
}

async fn show(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let query: super::PageQuery = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let page_number = query.number()?;
    let incident = load(&state, &user, number).await?;
    let viewer = user.user().clone();
    render_with(StatusCode::OK, &page(user.chrome, &viewer, &incident, page_number))
}

fn preview_of(import: &VictimImport, file_name: String, sheet: &[u8]) -> Preview {
    let sensitive = import.incident.details.victim_names_sensitive;
    Preview {
        file_name,
        sha256: import.sheet_sha256.clone(),
        rows: import.rows,
        blank_rows: import.check.blank_rows,
        accepted: import.check.accepted.len(),
        refused: import
            .check
            .refused
            .iter()
            .map(|r| RefusedLine { line: r.line, name: r.name.clone(), reasons: r.reasons.join("; ") })
            .collect(),
        sample: import
            .check
            .accepted
            .iter()
            .take(SAMPLE_ROWS)
            .map(|(l, v)| (*l, VictimLine::new(v, sensitive)))
            .collect(),
        sheet_base64: base64::engine::general_purpose::STANDARD.encode(sheet),
    }
}

/// Checks a sheet chosen in the browser and shows what importing it would do; saves nothing.
async fn preview(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let (fields, file) = read_form_fields(&mut payload, "sheet").await?;
    if !auth::csrf_matches(&user.chrome.csrf, fields.get("csrf_token").map_or("", String::as_str)) {
        return Err(AppError::CsrfRejected.into());
    }
    let mut file = file.ok_or_else(|| AppError::bad_request("invalid_form", "choose a CSV file to import"))?;
    let file_name = file
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .map_or_else(|| "unnamed sheet".to_owned(), str::to_owned);
    let mut sheet = Vec::new();
    let bad = |e: actix_multipart::MultipartError| AppError::bad_request("invalid_multipart", e.to_string());
    while let Some(chunk) = file.try_next().await.map_err(bad)? {
        if sheet.len() + chunk.len() > SHEET_MAX_BYTES {
            return Err(AppError::PayloadTooLarge.into());
        }
        sheet.extend_from_slice(&chunk);
    }
    let viewer = user.user().clone();
    let checked = sheet.clone();
    let outcome = state.run(move |conn| service::preview_victims(conn, &viewer, number, &checked)).await;
    let viewer = user.user().clone();
    match outcome {
        Ok(import) => {
            let status =
                if import.check.refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            // The page shows the incident the sheet was checked against.
            let mut body = page(user.chrome, &viewer, &import.incident, 1);
            body.preview = Some(preview_of(&import, file_name, &sheet));
            render_with(status, &body)
        }
        Err(AppError::Validation(errors)) => {
            let incident = load(&state, &user, number).await?;
            let mut body = page(user.chrome, &viewer, &incident, 1);
            body.sheet_error = Some(errors.to_string());
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &body)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct ImportForm {
    version: String,
    sheet: String,
}

/// Saves the sheet the preview showed, all rows in one change; re-checked first, so a sheet
/// that no longer passes (someone added a victim since) saves nothing and says why.
async fn import(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let version: i32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("invalid_form", "the form lacks the version it adds to"))?;
    let sheet = base64::engine::general_purpose::STANDARD
        .decode(form.sheet.trim())
        .map_err(|_| AppError::bad_request("invalid_form", "the confirmed sheet was damaged in transit"))?;
    let actor = user.user().clone();
    let checked = sheet.clone();
    match state.run(move |conn| service::import_victims(conn, &actor, number, version, &checked)).await {
        Ok((incident, done)) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!(
                    "{} victims added to incident {} (version {}).",
                    done.check.accepted.len(),
                    incident.number,
                    incident.version
                ),
            );
            Ok(redirect(&format!("/incidents/{number}/victims")))
        }
        Err(error @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let incident = load(&state, &user, number).await?;
            let viewer = user.user().clone();
            let mut body = page(user.chrome, &viewer, &incident, 1);
            body.sheet_error = Some(match error {
                AppError::Validation(errors) => errors.to_string(),
                other => other.to_string(),
            });
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &body)
        }
        Err(other) => Err(other.into()),
    }
}
