//! Pages for the statute catalog, candidate counts, the coverage matrix, mappings and the
//! review queue.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{format_time, redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::charge::{
    CellState, Charge, ChargeCoverage, DeadlineState, Limitation, Mapping, MappingStatus, PinKind, RawCharge,
    RawMapping, RawReview, Review,
};
use crate::domain::ids::IncidentNumber;
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::{exhibit_number, incident_number};
use crate::services::charges::{self as service, Deadline};
use crate::services::{evidence, incidents};
use crate::startup::AppState;
use crate::statutes::{Catalog, Element, Offense};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/statutes", web::get().to(catalog_page))
        .route("/statutes/{offense}", web::get().to(offense_page))
        .route("/incidents/{incident}/coverage", web::get().to(coverage_page))
        .route("/incidents/{incident}/charges/new", web::get().to(new_charge))
        .route("/incidents/{incident}/charges", web::post().to(add_charge))
        .route("/incidents/{incident}/charges/{count}/drop", web::post().to(drop_charge))
        .route("/incidents/{incident}/mappings/new", web::get().to(new_mapping))
        .route("/incidents/{incident}/mappings", web::post().to(propose))
        .route("/exhibits/{exhibit}/tags", web::post().to(add_tags))
        .route("/mappings/{id}", web::get().to(mapping_page))
        .route("/mappings/{id}/review", web::post().to(review))
        .route("/reviews", web::get().to(queue_page));
}

/// One statute's offenses, for the catalog page.
struct StatuteGroup {
    statute: String,
    offenses: Vec<&'static Offense>,
}

#[derive(Template)]
#[template(path = "statutes/list.html")]
struct CatalogPage {
    chrome: Chrome,
    catalog: &'static Catalog,
    groups: Vec<StatuteGroup>,
}

async fn catalog_page(user: SessionUser) -> Result<HttpResponse, PageError> {
    let catalog = service::catalog()?;
    let mut groups: Vec<StatuteGroup> = Vec::new();
    for offense in &catalog.offenses {
        match groups.last_mut() {
            Some(g) if g.statute == offense.statute => g.offenses.push(offense),
            _ => groups.push(StatuteGroup { statute: offense.statute.clone(), offenses: vec![offense] }),
        }
    }
    render(&CatalogPage { chrome: user.chrome, catalog, groups })
}

#[derive(Template)]
#[template(path = "statutes/show.html")]
struct OffensePage {
    chrome: Chrome,
    catalog: &'static Catalog,
    offense: &'static Offense,
    objects: Vec<&'static Offense>,
}

async fn offense_page(user: SessionUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let catalog = service::catalog()?;
    let offense = catalog.offense(&path).ok_or(AppError::NotFound("offense"))?;
    let objects = offense.objects.iter().filter_map(|id| catalog.offense(id)).collect();
    render(&OffensePage { chrome: user.chrome, catalog, offense, objects })
}

/// A deadline as a page shows it.
pub struct DeadlineView {
    pub text: String,
    pub class: &'static str,
    pub authority: &'static str,
}

pub fn deadline_view(l: &Limitation) -> DeadlineView {
    let (text, class) = match (l.deadline, l.days_left, l.state) {
        (Some(d), Some(days), DeadlineState::Passed) => (format!("{d}: passed {} days ago", -days), "deadline-passed"),
        (Some(d), Some(days), DeadlineState::Warning) => (format!("{d}: {days} days left"), "deadline-warning"),
        (Some(d), Some(days), _) => (format!("{d} ({days} days)"), "deadline-open"),
        _ => ("No offense date recorded".into(), "deadline-unknown"),
    };
    DeadlineView { text, class, authority: l.authority }
}

pub struct DeadlineRow {
    pub incident: String,
    pub title: String,
    pub count: i32,
    pub citation: String,
    pub view: DeadlineView,
}

pub fn deadline_rows(deadlines: &[Deadline]) -> Vec<DeadlineRow> {
    deadlines
        .iter()
        .map(|d| DeadlineRow {
            incident: d.incident.clone(),
            title: d.incident_title.clone(),
            count: d.count,
            citation: d.citation.clone(),
            view: deadline_view(&d.limitation),
        })
        .collect()
}

struct CellView {
    id: String,
    text: String,
    penalty: bool,
    label: &'static str,
    caution: bool,
    required: bool,
    state: &'static str,
    state_label: &'static str,
    proven: Vec<String>,
    proposed: Vec<String>,
}

struct CoverageRow {
    count: i32,
    offense_id: String,
    citation: String,
    title: String,
    concerns: String,
    maximum: String,
    minimum: String,
    pleaded: String,
    readily_provable: bool,
    most_serious: bool,
    gaps: usize,
    deadline: DeadlineView,
    cells: Vec<CellView>,
}

fn coverage_row(c: &ChargeCoverage) -> CoverageRow {
    let minimum = match (c.minimum_years, c.consecutive) {
        (0, _) => String::new(),
        (n, true) => format!("mandatory {n} years, consecutive"),
        (n, false) => format!("minimum {n} years"),
    };
    CoverageRow {
        count: c.charge.count,
        offense_id: c.charge.offense_id.clone(),
        citation: c.citation.clone(),
        title: c.title.clone(),
        concerns: c.charge.concerns.clone(),
        maximum: c.maximum_text.clone(),
        minimum,
        pleaded: c.charge.penalty_facts.join(", "),
        readily_provable: c.readily_provable,
        most_serious: c.most_serious,
        gaps: c.gaps,
        deadline: deadline_view(&c.limitation),
        cells: c
            .cells
            .iter()
            .map(|cell| CellView {
                id: cell.element_id.clone(),
                text: cell.text.clone(),
                penalty: cell.kind == crate::statutes::ElementKind::PenaltyFact,
                label: cell.label,
                caution: cell.verify_before_relying,
                required: cell.required,
                state: cell.state.as_str(),
                state_label: match (cell.state, cell.required) {
                    (CellState::Gap, false) => "Not pleaded",
                    (state, _) => state.label(),
                },
                proven: cell.proven_by.iter().map(ToString::to_string).collect(),
                proposed: cell.proposed_by.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    }
}

struct DroppedView {
    count: i32,
    citation: String,
    concerns: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "charges/coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    number: String,
    title: String,
    can_write: bool,
    rows: Vec<CoverageRow>,
    dropped: Vec<DroppedView>,
    offenses: Vec<(String, String)>,
    catalog_version: String,
}

async fn coverage_page(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let viewer = user.user().clone();
    let (incident, rows, charges) = state
        .run(move |conn| {
            let (incident, rows) = service::coverage(conn, &viewer, number)?;
            let (_, charges) = service::charges(conn, &viewer, number)?;
            Ok((incident, rows, charges))
        })
        .await?;
    let catalog = service::catalog()?;
    let dropped = charges
        .iter()
        .filter(|c| c.drop_reason.is_some())
        .map(|c| DroppedView {
            count: c.count,
            citation: catalog.offense(&c.offense_id).map(Offense::citation).unwrap_or_default(),
            concerns: c.concerns.clone(),
            reason: c.drop_reason.clone().unwrap_or_default(),
        })
        .collect();
    render(&CoveragePage {
        number: incident.number.to_string(),
        title: incident.details.title.clone(),
        can_write: incidents::can_write(&incident, user.user()),
        rows: rows.iter().map(coverage_row).collect(),
        dropped,
        offenses: catalog.offenses.iter().map(|o| (o.id.clone(), format!("{} — {}", o.citation(), o.title))).collect(),
        catalog_version: catalog.version.clone(),
        chrome: user.chrome,
    })
}

/// The add-a-count form's typed values.
#[derive(Default, Deserialize)]
struct ChargeForm {
    #[serde(default)]
    offense: String,
    #[serde(default)]
    object_offense: String,
    #[serde(default)]
    concerns: String,
    #[serde(default)]
    offense_date: String,
    #[serde(default)]
    affects_financial_institution: Option<String>,
    #[serde(default)]
    penalty_facts: Vec<String>,
}

#[derive(Template)]
#[template(path = "charges/new.html")]
struct NewChargePage {
    chrome: Chrome,
    number: String,
    offense: &'static Offense,
    objects: Vec<&'static Offense>,
    form: ChargeForm,
    fi_checked: bool,
    errors: ValidationErrors,
}

impl NewChargePage {
    fn pleaded(&self, fact: &Element) -> bool {
        self.form.penalty_facts.iter().any(|f| f == &fact.id)
    }
}

#[derive(Deserialize)]
struct OffenseQuery {
    #[serde(default)]
    offense: String,
}

async fn new_charge(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<OffenseQuery>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let viewer = user.user().clone();
    let incident = state.run(move |conn| incidents::get(conn, &viewer, number)).await?;
    if !incidents::can_write(&incident, user.user()) {
        return Err(AppError::Forbidden("your role cannot add charges".into()).into());
    }
    let catalog = service::catalog()?;
    let offense = catalog.offense(&query.offense).ok_or(AppError::NotFound("offense"))?;
    let fi =
        incident.details.victims.iter().any(|v| v.kind == crate::domain::incident::VictimKind::FinancialInstitution);
    let form = ChargeForm {
        offense: offense.id.clone(),
        offense_date: incident.details.last_offense_date.map(|d| d.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let objects = offense.objects.iter().filter_map(|id| catalog.offense(id)).collect();
    render(&NewChargePage {
        chrome: user.chrome,
        number: number.to_string(),
        offense,
        objects,
        form,
        fi_checked: fi,
        errors: ValidationErrors::new(),
    })
}

async fn add_charge(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ChargeForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let raw = RawCharge {
        offense: form.offense.clone(),
        object_offense: Some(form.object_offense.clone()).filter(|o| !o.trim().is_empty()),
        concerns: form.concerns.clone(),
        offense_date: Some(form.offense_date.clone()),
        affects_financial_institution: Some(form.affects_financial_institution.is_some()),
        penalty_facts: form.penalty_facts.clone(),
    };
    let actor = user.user().clone();
    match state.run(move |conn| service::add_charge(conn, &actor, number, &raw)).await {
        Ok(charge) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("Count {} added: {}.", charge.count, charge.offense_id),
            );
            Ok(redirect(&format!("/incidents/{number}/coverage#count-{}", charge.count)))
        }
        Err(AppError::Validation(errors)) => {
            let catalog = service::catalog()?;
            let offense = catalog.offense(&form.offense).ok_or(AppError::NotFound("offense"))?;
            let objects = offense.objects.iter().filter_map(|id| catalog.offense(id)).collect();
            let fi_checked = form.affects_financial_institution.is_some();
            render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewChargePage {
                    chrome: user.chrome,
                    number: number.to_string(),
                    offense,
                    objects,
                    form,
                    fi_checked,
                    errors,
                },
            )
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct DropForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

async fn drop_charge(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm<DropForm>,
) -> Result<HttpResponse, PageError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let back = format!("/incidents/{number}/coverage");
    if form.confirm != "yes" {
        auth::flash(
            &user.session,
            FlashKind::Error,
            format!("Count {count} was not dropped: tick the confirmation box."),
        );
        return Ok(redirect(&back));
    }
    let actor = user.user().clone();
    match state.run(move |conn| service::drop_charge(conn, &actor, number, count, &form.reason)).await {
        Ok(_) => auth::flash(&user.session, FlashKind::Success, format!("Count {count} dropped.")),
        Err(AppError::Validation(errors)) => {
            auth::flash(
                &user.session,
                FlashKind::Error,
                format!("Count {count} was not dropped: {}.", errors.messages()),
            );
        }
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&back))
}

/// One choosable element of one candidate count, for the mapping form.
struct ElementChoice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Default, Deserialize)]
struct MappingForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    exhibit: String,
    #[serde(default)]
    pin_kind: String,
    #[serde(default)]
    pin_cite: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "charges/new_mapping.html")]
struct NewMappingPage {
    chrome: Chrome,
    number: String,
    targets: Vec<ElementChoice>,
    exhibits: Vec<ElementChoice>,
    pin_kinds: Vec<ElementChoice>,
    form: MappingForm,
    errors: ValidationErrors,
}

/// "3:WIRE-E2" for count 3, element WIRE-E2: one select names both.
fn target_value(count: i32, element: &str) -> String {
    format!("{count}:{element}")
}

async fn mapping_form_page(
    state: &web::Data<AppState>,
    user: SessionUser,
    number: IncidentNumber,
    form: MappingForm,
    errors: ValidationErrors,
) -> Result<NewMappingPage, PageError> {
    let viewer = user.user().clone();
    let (charges, exhibits) = state
        .run(move |conn| {
            let (_, charges) = service::charges(conn, &viewer, number)?;
            let exhibits = evidence::list(conn, &viewer, number)?;
            Ok((charges, exhibits))
        })
        .await?;
    let catalog = service::catalog()?;
    let mut targets = Vec::new();
    for charge in charges.iter().filter(|c| c.drop_reason.is_none()) {
        let Some(offense) = catalog.offense(&charge.offense_id) else { continue };
        for e in offense.rows() {
            let value = target_value(charge.count, &e.id);
            let text: String = e.text.chars().take(90).collect();
            targets.push(ElementChoice {
                selected: value == form.target,
                label: format!(
                    "Count {} · {} · {}{}",
                    charge.count,
                    e.id,
                    text,
                    if e.text.len() > 90 { "…" } else { "" }
                ),
                value,
            });
        }
    }
    let exhibits = exhibits
        .iter()
        .map(|x| ElementChoice {
            value: x.number.to_string(),
            label: format!(
                "{} · {} · {}",
                x.number,
                x.kind.label(),
                x.description.chars().take(60).collect::<String>()
            ),
            selected: x.number.to_string() == form.exhibit,
        })
        .collect();
    let pin_kinds = PinKind::ALL
        .iter()
        .map(|k| ElementChoice {
            value: k.as_str().into(),
            label: k.label().into(),
            selected: k.as_str() == form.pin_kind,
        })
        .collect();
    Ok(NewMappingPage { chrome: user.chrome, number: number.to_string(), targets, exhibits, pin_kinds, form, errors })
}

#[derive(Deserialize)]
struct MappingQuery {
    #[serde(default)]
    count: Option<i32>,
    #[serde(default)]
    element: String,
    #[serde(default)]
    exhibit: String,
}

async fn new_mapping(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<MappingQuery>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let q = query.into_inner();
    let back =
        if q.exhibit.is_empty() { format!("/incidents/{number}/coverage") } else { format!("/exhibits/{}", q.exhibit) };
    let form = MappingForm {
        target: q.count.map(|c| target_value(c, &q.element)).unwrap_or_default(),
        exhibit: q.exhibit,
        back,
        ..Default::default()
    };
    render(&mapping_form_page(&state, user, number, form, ValidationErrors::new()).await?)
}

/// Only local paths are followed after a form, never another site.
fn safe_back(back: &str, fallback: String) -> String {
    if back.starts_with('/') && !back.starts_with("//") { back.to_owned() } else { fallback }
}

async fn propose(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let (count, element) = match form.target.split_once(':') {
        Some((c, e)) => (c.parse().ok(), e.to_owned()),
        None => (None, String::new()),
    };
    let raw = RawMapping {
        count,
        element,
        exhibit: form.exhibit.clone(),
        pin_kind: Some(form.pin_kind.clone()),
        pin_cite: Some(form.pin_cite.clone()),
        rationale: form.rationale.clone(),
    };
    let actor = user.user().clone();
    match state.run(move |conn| service::propose(conn, &actor, number, &raw)).await {
        Ok(m) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!(
                    "Mapping proposed: {} for {} on count {}. It waits for a prosecutor's review.",
                    m.exhibit, m.element_id, m.count
                ),
            );
            Ok(redirect(&safe_back(&form.back, format!("/incidents/{number}/coverage"))))
        }
        Err(AppError::Validation(errors)) => {
            // Field names of the service are the form's, except count and element, which share one select.
            let errors = ValidationErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut e| {
                        if e.field == "count" || e.field == "element" {
                            e.field = "target".into();
                        }
                        e
                    })
                    .collect(),
            );
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &mapping_form_page(&state, user, number, form, errors).await?)
        }
        Err(AppError::Conflict { detail, .. }) => {
            let errors = ValidationErrors::single("exhibit", detail);
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &mapping_form_page(&state, user, number, form, errors).await?)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct TagsForm {
    #[serde(default)]
    tags: String,
}

async fn add_tags(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<TagsForm>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let actor = user.user().clone();
    match state.run(move |conn| service::add_tags(conn, &actor, number, &form.tags)).await {
        Ok(tags) => auth::flash(&user.session, FlashKind::Success, format!("Tags now: {}.", tags.join(", "))),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("No tags added: {}.", errors.messages()));
        }
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/exhibits/{number}#mappings")))
}

/// A mapping as lists show it.
pub struct MappingView {
    pub id: String,
    pub incident: String,
    pub count: i32,
    pub element: String,
    pub element_text: String,
    pub exhibit: String,
    pub pin: String,
    pub rationale: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: String,
}

pub fn mapping_view(incident: &str, m: &Mapping) -> MappingView {
    let element_text =
        service::catalog().ok().and_then(|c| c.element(&m.element_id)).map(|(_, e)| e.text.clone()).unwrap_or_default();
    MappingView {
        id: m.id.clone(),
        incident: incident.to_owned(),
        count: m.count,
        element: m.element_id.clone(),
        element_text,
        exhibit: m.exhibit.to_string(),
        pin: m.pin().unwrap_or_default(),
        rationale: m.rationale.clone(),
        status: m.status.as_str(),
        status_label: m.status.label(),
        reason: m.status_reason.clone().unwrap_or_default(),
        proposed_by: m.proposed_by_name.clone(),
        proposed_at: format_time(m.proposed_at),
    }
}

struct ReviewView {
    reviewer: String,
    decision: &'static str,
    comment: String,
    at: String,
    saw: String,
}

#[derive(Template)]
#[template(path = "charges/mapping.html")]
struct MappingPage {
    chrome: Chrome,
    mapping: MappingView,
    charge_citation: String,
    reviews: Vec<ReviewView>,
    can_review: bool,
    why_not: String,
    comment: String,
    errors: ValidationErrors,
}

fn review_views(reviews: &[Review]) -> Vec<ReviewView> {
    reviews
        .iter()
        .map(|r| ReviewView {
            reviewer: r.reviewer.clone().unwrap_or_else(|| "Custos".into()),
            decision: r.decision.label(),
            comment: r.comment.clone(),
            at: format_time(r.reviewed_at),
            saw: format!(
                "Exhibit SHA-256 {}; catalog {}; element fingerprint {}",
                r.exhibit_sha256.as_deref().unwrap_or("(no file)"),
                r.catalog_version,
                &r.element_fingerprint.get(..16).unwrap_or(""),
            ),
        })
        .collect()
}

/// Whether the user may review the mapping, and if not, why.
fn review_permission(user: &crate::domain::user::User, mapping: &Mapping) -> (bool, String) {
    if !user.role.decides_charges() {
        (false, "Only a prosecutor or supervisor can review mappings.".into())
    } else if mapping.proposed_by == user.id.to_string() {
        (false, "You proposed this mapping: another prosecutor or supervisor must review it.".into())
    } else if !matches!(mapping.status, MappingStatus::Proposed | MappingStatus::NeedsMoreEvidence) {
        (false, format!("This mapping is {}.", mapping.status.label().to_lowercase()))
    } else {
        (true, String::new())
    }
}

async fn mapping_page_with(
    state: &web::Data<AppState>,
    user: SessionUser,
    id: String,
    comment: String,
    errors: ValidationErrors,
) -> Result<MappingPage, PageError> {
    let viewer = user.user().clone();
    let (incident, mapping, reviews, charge) = state
        .run(move |conn| {
            let (incident, mapping, reviews) = service::mapping(conn, &viewer, &id)?;
            let (_, charges) = service::charges(conn, &viewer, incident.number)?;
            let charge: Option<Charge> = charges.into_iter().find(|c| c.count == mapping.count);
            Ok((incident, mapping, reviews, charge))
        })
        .await?;
    let catalog = service::catalog()?;
    let charge_citation = charge
        .and_then(|c| {
            catalog.offense(&c.offense_id).map(|o| format!("Count {}: {} ({})", c.count, o.citation(), c.concerns))
        })
        .unwrap_or_default();
    let (can_review, why_not) = review_permission(user.user(), &mapping);
    Ok(MappingPage {
        mapping: mapping_view(&incident.number.to_string(), &mapping),
        charge_citation,
        reviews: review_views(&reviews),
        can_review,
        why_not,
        comment,
        errors,
        chrome: user.chrome,
    })
}

async fn mapping_page(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&mapping_page_with(&state, user, path.into_inner(), String::new(), ValidationErrors::new()).await?)
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    back: String,
}

async fn review(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let raw = RawReview { decision: form.decision.clone(), comment: form.comment.clone() };
    let actor = user.user().clone();
    let target = id.clone();
    match state.run(move |conn| service::review(conn, &actor, &target, &raw)).await {
        Ok(m) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!(
                    "{} for {} on count {}: {}.",
                    m.exhibit,
                    m.element_id,
                    m.count,
                    m.status.label().to_lowercase()
                ),
            );
            Ok(redirect(&safe_back(&form.back, "/reviews".into())))
        }
        Err(AppError::Validation(errors)) => render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &mapping_page_with(&state, user, id, form.comment, errors).await?,
        ),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "charges/queue.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<MappingView>,
    reviewer: bool,
}

async fn queue_page(state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, PageError> {
    let viewer = user.user().clone();
    let items = state.run(move |conn| service::review_queue(conn, &viewer)).await?;
    render(&QueuePage {
        items: items.iter().map(|(incident, m)| mapping_view(incident, m)).collect(),
        reviewer: user.user().role.decides_charges(),
        chrome: user.chrome,
    })
}
