//! Pages for the charging memo: edit the narrative, save versions, read, compare, approve and
//! export them; and the FRE 902(14) certification draft of an exhibit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{format_time, redirect, render, render_with};
use crate::documents::Block;
use crate::domain::ValidationErrors;
use crate::domain::evidence::{ExhibitNumber, RawCertifier};
use crate::domain::memo::Narratives;
use crate::domain::policy;
use crate::error::{AppError, PageError};
use crate::routes::api::memos::pdf_response;
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::{exhibit_number, incident_number, memo_version};
use crate::services::memo::{self as service, MemoVersion};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/memo", web::get().to(memo_home))
        .route("/incidents/{incident}/memos", web::post().to(save))
        .route("/incidents/{incident}/memos/{version}.pdf", web::get().to(pdf))
        .route("/incidents/{incident}/memos/{version}", web::get().to(show))
        .route("/incidents/{incident}/memos/{version}/diff", web::get().to(diff))
        .route("/incidents/{incident}/memos/{version}/approve", web::post().to(approve))
        .route("/exhibits/{exhibit}/certificate", web::get().to(certificate_form))
        .route("/exhibits/{exhibit}/certificate.pdf", web::get().to(certificate));
}

struct VersionRow {
    version: i32,
    author: String,
    created: String,
    sha256: String,
    checkpoint: String,
    approved: String,
}

fn version_row(v: &MemoVersion) -> VersionRow {
    VersionRow {
        version: v.version,
        author: v.author.clone(),
        created: format_time(v.created_at),
        sha256: v.content_sha256.clone(),
        checkpoint: format!("tree size {}", v.checkpoint_size),
        approved: match (&v.approved_by, v.approved_at) {
            (Some(by), Some(at)) => format!("Approved by {by}, {}", format_time(at)),
            _ => String::new(),
        },
    }
}

struct Section {
    name: &'static str,
    label: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "memo/home.html")]
struct HomePage {
    chrome: Chrome,
    number: String,
    title: String,
    can_draft: bool,
    sections: Vec<Section>,
    versions: Vec<VersionRow>,
    /// Versions in all; the page lists them newest first, a page at a time.
    version_total: i64,
    page: i64,
    page_count: i64,
    errors: ValidationErrors,
}

/// Memo versions listed per page.
const VERSIONS_PER_PAGE: i64 = 20;

fn sections(n: &Narratives) -> Vec<Section> {
    n.fields().iter().map(|(name, label, text)| Section { name, label, text: (*text).to_owned() }).collect()
}

async fn home_page(
    state: &web::Data<AppState>,
    user: SessionUser,
    number: crate::domain::ids::IncidentNumber,
    typed: Option<Narratives>,
    errors: ValidationErrors,
    page: i64,
) -> Result<HomePage, PageError> {
    let viewer = user.user().clone();
    let (incident, narratives, versions) = state
        .run(move |conn| {
            let (incident, narratives, _) = service::draft(conn, &viewer, number)?;
            let versions = service::versions_page(conn, &incident, page, VERSIONS_PER_PAGE)?;
            Ok((incident, narratives, versions))
        })
        .await?;
    let can_draft = policy::draft_memo(user.user(), &incident).is_ok();
    Ok(HomePage {
        number: number.to_string(),
        title: incident.details.title.clone(),
        can_draft,
        sections: sections(&typed.unwrap_or(narratives)),
        versions: versions.items.iter().map(version_row).collect(),
        version_total: versions.total,
        page: versions.page,
        page_count: versions.page_count(),
        errors,
        chrome: user.chrome,
    })
}

async fn memo_home(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<super::PageQuery>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let page = query.number()?;
    render(&home_page(&state, user, number, None, ValidationErrors::new(), page).await?)
}

async fn save(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    // The form's fields are the narrative sections plus the CSRF token.
    let fields: Vec<(String, String)> =
        serde_html_form::from_bytes(&body).map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
    let sent = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or_default();
    if !auth::csrf_matches(&user.chrome.csrf, sent) {
        return Err(AppError::CsrfRejected.into());
    }
    let _ = req;
    let mut narratives = Narratives::default();
    for (name, text) in &fields {
        narratives.set(name, text.clone());
    }
    let ledger = state.ledger.clone();
    let actor = user.user().clone();
    let typed = narratives.clone();
    match state.run(move |conn| service::save_version(conn, ledger.as_ref(), &actor, number, Some(narratives))).await {
        Ok(v) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("Memo version {} saved (SHA-256 {}).", v.version, v.content_sha256),
            );
            Ok(redirect(&format!("/incidents/{number}/memos/{}", v.version)))
        }
        Err(AppError::Validation(errors)) => render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &home_page(&state, user, number, Some(typed), errors, 1).await?,
        ),
        Err(other) => Err(other.into()),
    }
}

/// A block of the memo as the page shows it.
enum View {
    Title(String),
    /// Level, text, and the anchor of a top-level heading (for the contents).
    Heading(u8, String, Option<String>),
    Paragraph(String),
    Bullets(Vec<String>),
    Facts(Vec<(String, String)>),
    Table(TableView),
}

/// A table of the memo; a long one is shown a page of rows at a time (the PDF holds them all).
struct TableView {
    heads: Vec<String>,
    mono: Vec<bool>,
    rows: Vec<Vec<Vec<String>>>,
    /// The table's place among the memo's tables, for its pager's links.
    index: usize,
    total: usize,
    first: usize,
    page: usize,
    page_count: usize,
}

/// Rows of one memo table shown at a time.
const TABLE_ROWS: usize = 50;

/// Which table is paged to which page: the other tables show their first page.
#[derive(Deserialize)]
struct TableQuery {
    #[serde(default)]
    table: String,
    #[serde(default)]
    rows: String,
}

fn views(blocks: &[Block], paged: Option<(usize, usize)>) -> Vec<View> {
    let mut tables = 0;
    let mut headings = 0;
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Title(t) => Some(View::Title(t.clone())),
            Block::Heading(l, t) => {
                let anchor = (*l <= 1).then(|| {
                    headings += 1;
                    format!("part-{headings}")
                });
                Some(View::Heading(*l, t.clone(), anchor))
            }
            Block::Paragraph(t) | Block::Plain(t) => Some(View::Paragraph(t.clone())),
            Block::Bullets(items) => Some(View::Bullets(items.clone())),
            Block::Facts(pairs) => Some(View::Facts(pairs.clone())),
            Block::Table(t) => {
                tables += 1;
                let page_count = t.rows.len().div_ceil(TABLE_ROWS).max(1);
                let page = match paged {
                    Some((table, page)) if table == tables => page.min(page_count),
                    _ => 1,
                };
                let first = (page - 1) * TABLE_ROWS;
                Some(View::Table(TableView {
                    heads: t.columns.iter().map(|c| c.title.clone()).collect(),
                    mono: t.columns.iter().map(|c| c.mono).collect(),
                    rows: t.rows.iter().skip(first).take(TABLE_ROWS).cloned().collect(),
                    index: tables,
                    total: t.rows.len(),
                    first: first + 1,
                    page,
                    page_count,
                }))
            }
            Block::Signature(_) | Block::PageBreak => None,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "memo/show.html")]
struct ShowPage {
    chrome: Chrome,
    number: String,
    row: VersionRow,
    previous: Option<i32>,
    can_approve: bool,
    blocks: Vec<View>,
    /// The memo's top-level headings: (anchor, text).
    contents: Vec<(String, String)>,
}

async fn show(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, PageError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let paged = match query.table.trim() {
        "" => None,
        t => {
            let table = t
                .parse::<usize>()
                .ok()
                .filter(|t| *t > 0)
                .ok_or_else(|| AppError::bad_request("invalid_table", format!("'{t}' is not a table number")))?;
            let rows = usize::try_from(super::page_number(&query.rows)?).unwrap_or(1);
            Some((table, rows))
        }
    };
    let viewer = user.user().clone();
    let (_, version) = state.run(move |conn| service::version(conn, &viewer, number, Some(v))).await?;
    let can_approve = policy::approve_memo(user.user(), version.version, version.approved_by.is_some()).is_ok();
    let blocks = views(&version.document().blocks, paged);
    let contents = blocks
        .iter()
        .filter_map(|b| match b {
            View::Heading(_, text, Some(anchor)) => Some((anchor.clone(), text.clone())),
            _ => None,
        })
        .collect();
    render(&ShowPage {
        number: number.to_string(),
        row: version_row(&version),
        previous: (v > 1).then_some(v - 1),
        can_approve,
        blocks,
        contents,
        chrome: user.chrome,
    })
}

async fn pdf(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let viewer = user.user().clone();
    let (_, bytes, sha) = state.run(move |conn| service::export_pdf(conn, &viewer, number, Some(v))).await?;
    Ok(pdf_response(&format!("memo-{number}-v{v}.pdf"), bytes, &sha))
}

#[derive(Deserialize)]
struct DiffQuery {
    against: Option<i32>,
}

#[derive(Template)]
#[template(path = "memo/diff.html")]
struct DiffPage {
    chrome: Chrome,
    number: String,
    older: i32,
    newer: i32,
    lines: Vec<(char, String)>,
    changed: usize,
}

async fn diff(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
    query: web::Query<DiffQuery>,
) -> Result<HttpResponse, PageError> {
    let (incident, v) = path.into_inner();
    let (number, newer) = memo_version(&incident, &v)?;
    let older = query.against.unwrap_or(newer - 1);
    let viewer = user.user().clone();
    let (a, b) = state
        .run(move |conn| {
            let (_, a) = service::version(conn, &viewer, number, Some(older))?;
            let (_, b) = service::version(conn, &viewer, number, Some(newer))?;
            Ok((a, b))
        })
        .await?;
    let lines = service::diff(&a, &b);
    let changed = lines.iter().filter(|(sign, _)| *sign != ' ').count();
    render(&DiffPage { chrome: user.chrome, number: number.to_string(), older, newer, lines, changed })
}

#[derive(Deserialize)]
struct ApproveForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    confirm: String,
}

async fn approve(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> Result<HttpResponse, PageError> {
    let (incident, v) = path.into_inner();
    let (number, v) = memo_version(&incident, &v)?;
    let back = format!("/incidents/{number}/memos/{v}");
    if form.confirm != "yes" {
        auth::flash(&user.session, FlashKind::Error, "Not approved: tick the confirmation box.".to_owned());
        return Ok(redirect(&back));
    }
    let actor = user.user().clone();
    state.run(move |conn| service::approve(conn, &actor, number, v, &form.comment)).await?;
    auth::flash(&user.session, FlashKind::Success, format!("Memo version {v} approved."));
    Ok(redirect(&back))
}

#[derive(Template)]
#[template(path = "exhibits/certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    number: String,
    members: Vec<CertifierOption>,
    name: String,
    qualifications: String,
    refused: Option<String>,
    errors: ValidationErrors,
}

struct CertifierOption {
    code: String,
    label: String,
    selected: bool,
}

async fn certificate_page(
    state: &web::Data<AppState>,
    user: SessionUser,
    number: ExhibitNumber,
    raw: RawCertifier,
    refused: Option<String>,
    errors: ValidationErrors,
) -> Result<CertificatePage, PageError> {
    let viewer = user.user().clone();
    let (incident, _) = state.run(move |conn| crate::services::evidence::get(conn, &viewer, number)).await?;
    let chosen = raw.certifier.clone().unwrap_or_default();
    let members = incident
        .members
        .iter()
        .map(|m| CertifierOption {
            code: m.username.clone(),
            label: if m.full_name.is_empty() {
                m.username.clone()
            } else {
                format!("{} ({})", m.full_name, m.role.label())
            },
            selected: m.username == chosen,
        })
        .collect();
    Ok(CertificatePage {
        chrome: user.chrome,
        number: number.to_string(),
        members,
        name: raw.certifier_name.unwrap_or_default(),
        qualifications: raw.qualifications.unwrap_or_default(),
        refused,
        errors,
    })
}

async fn certificate_form(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    render(&certificate_page(&state, user, number, RawCertifier::default(), None, ValidationErrors::new()).await?)
}

async fn certificate(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<RawCertifier>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let viewer = user.user().clone();
    let raw = query.into_inner();
    let asked = raw.clone();
    match state.run(move |conn| service::certificate_pdf(conn, &viewer, number, &asked)).await {
        Ok((bytes, sha)) => Ok(pdf_response(&format!("{number}-fre-902-14-certification.pdf"), bytes, &sha)),
        Err(AppError::Validation(errors)) => render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &certificate_page(&state, user, number, raw, None, errors).await?,
        ),
        Err(AppError::Conflict { detail, .. }) => render_with(
            StatusCode::CONFLICT,
            &certificate_page(&state, user, number, raw, Some(detail), ValidationErrors::new()).await?,
        ),
        Err(other) => Err(other.into()),
    }
}
