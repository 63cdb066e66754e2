//! Pages for an incident's counts: the coverage matrix, adding a count, dropping one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{DeadlineView, deadline_view};
use super::{redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::charge::{CellState, ChargeCoverage, RawCharge};
use crate::domain::other_statute::RawOtherStatute;
use crate::domain::person::{Person, PersonRole};
use crate::domain::policy::{self, CaseWork};
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::incident_number;
use crate::services::charges::{self as service};
use crate::services::incidents;
use crate::startup::AppState;
use crate::statutes::{Element, Law, Offense};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/coverage", web::get().to(coverage_page))
        .route("/incidents/{incident}/other-statutes", web::get().to(other_statutes_page))
        .route("/incidents/{incident}/other-statutes", web::post().to(enter_other_statute))
        .route("/incidents/{incident}/charges/new", web::get().to(new_charge))
        .route("/incidents/{incident}/charges", web::post().to(add_charge))
        .route("/incidents/{incident}/charges/{count}/drop", web::post().to(drop_charge))
        .route("/incidents/{incident}/charges/{count}/move", web::post().to(move_charge))
        .route("/incidents/{incident}/charges/{count}/charged", web::post().to(record_charging))
        .route("/incidents/{incident}/charges/{count}/defendants", web::post().to(set_defendants));
}

struct CellView {
    id: String,
    text: String,
    penalty: bool,
    label: &'static str,
    /// For an entered element: who entered it, not from the catalog.
    provenance: String,
    caution: bool,
    required: bool,
    state: &'static str,
    state_label: &'static str,
    proven: Vec<String>,
    proposed: Vec<String>,
    /// Exhibits offered beyond those listed: the evidence page lists them all.
    more: usize,
}

struct CoverageRow {
    count: i32,
    offense_id: String,
    /// For an out-of-catalog count: who entered its offense, not from the catalog.
    provenance: String,
    /// When the count was charged ("" while it is not).
    charged_on: String,
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
    /// Whom the count charges, and the incident's defendants with whether this count charges
    /// each (for the form that sets them).
    defendants: String,
    choices: Vec<(String, String, bool)>,
    /// What keeps it out of a memo's proposed charges.
    not_ready: String,
}

fn coverage_row(c: &ChargeCoverage, people: &[Person], law: &Law) -> CoverageRow {
    let named: Vec<String> =
        people.iter().filter(|p| c.charge.defendants.contains(&p.id)).map(Person::document_name).collect();
    let choices = people
        .iter()
        .filter(|p| p.role == PersonRole::Defendant)
        .map(|p| (p.id.to_string(), p.name.clone(), c.charge.defendants.contains(&p.id)))
        .collect();
    let not_ready = crate::domain::charge::not_ready(law, &c.charge).join("; ");
    let minimum = match (c.minimum_years, c.consecutive) {
        (0, _) => String::new(),
        (n, true) => format!("mandatory {n} years, consecutive"),
        (n, false) => format!("minimum {n} years"),
    };
    CoverageRow {
        count: c.charge.count,
        offense_id: c.charge.offense_id.clone(),
        provenance: c.provenance.clone().unwrap_or_default(),
        charged_on: c.charge.charged_on.map(|d| d.to_string()).unwrap_or_default(),
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
                provenance: cell.provenance.clone().unwrap_or_default(),
                caution: cell.verify_before_relying,
                required: cell.required,
                state: cell.state.as_str(),
                state_label: match (cell.state, cell.required) {
                    (CellState::Gap, false) => "Not pleaded",
                    (state, _) => state.label(),
                },
                proven: cell.proven_by.iter().take(CELL_EXHIBITS).map(ToString::to_string).collect(),
                proposed: cell
                    .proposed_by
                    .iter()
                    .take(CELL_EXHIBITS.saturating_sub(cell.proven_by.len()))
                    .map(ToString::to_string)
                    .collect(),
                more: (cell.proven_by.len() + cell.proposed_by.len()).saturating_sub(CELL_EXHIBITS),
            })
            .collect(),
        defendants: named.join(", "),
        choices,
        not_ready,
    }
}

/// Exhibits listed in one cell of the matrix; the rest are a link away.
const CELL_EXHIBITS: usize = 6;
/// Counts shown in full on one page of the coverage page.
const COUNTS_PER_PAGE: usize = 10;
/// Counts in the overview at the top: the block of pages around the one shown.
const GLANCE_COUNTS: usize = 50;

/// One count in the overview: where it stands, and the page that shows it in full.
struct GlanceRow {
    count: i32,
    citation: String,
    concerns: String,
    defendants: String,
    proven: usize,
    required: usize,
    readily_provable: bool,
    most_serious: bool,
    deadline: DeadlineView,
    page: usize,
}

fn glance_row(c: &ChargeCoverage, people: &[Person], page: usize) -> GlanceRow {
    let required: Vec<_> = c.cells.iter().filter(|cell| cell.required).collect();
    GlanceRow {
        count: c.charge.count,
        citation: c.citation.clone(),
        concerns: c.charge.concerns.clone(),
        defendants: people
            .iter()
            .filter(|p| c.charge.defendants.contains(&p.id))
            .map(Person::document_name)
            .collect::<Vec<_>>()
            .join(", "),
        proven: required.iter().filter(|cell| cell.state == CellState::Proven).count(),
        required: required.len(),
        readily_provable: c.readily_provable,
        most_serious: c.most_serious,
        deadline: deadline_view(&c.limitation),
        page,
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
    /// The overview of counts (a block of pages around this one), and the counts in all.
    glance: Vec<GlanceRow>,
    count_total: usize,
    page: usize,
    page_count: usize,
    /// `defendant=…&` where the page is read for one, for the pager's links.
    reading_query: String,
    /// A prosecutor or supervisor on the team may record that a count was charged.
    can_record_filing: bool,
    dropped: Vec<DroppedView>,
    offenses: Vec<(String, String)>,
    /// The incident's entered (out-of-catalog) offenses: (code, label).
    others: Vec<(String, String)>,
    /// The rule the "most serious readily provable" flag follows.
    ranking: String,
    /// Each charged defendant's exposure over the candidate counts.
    exposure: Vec<crate::domain::exposure::DefendantExposure>,
    /// The defendant the page is read for, if one was chosen.
    reading: Option<String>,
    /// The incident's charged defendants: (id, name, chosen).
    readings: Vec<(String, String, bool)>,
    catalog_version: String,
}

#[derive(Deserialize)]
struct DefendantQuery {
    #[serde(default)]
    defendant: String,
    #[serde(default)]
    page: String,
}

async fn coverage_page(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<DefendantQuery>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let page = usize::try_from(super::page_number(&query.page)?).unwrap_or(1);
    let viewer = user.user().clone();
    let (incident, rows, charges, people, law) = state
        .run(move |conn| {
            let service::Coverage { incident, rows, charges, law } = service::coverage(conn, &viewer, number)?;
            let people = crate::services::people::of_incident(conn, &incident)?;
            Ok((incident, rows, charges, people, law))
        })
        .await?;
    let catalog = law.catalog;
    let dropped = charges
        .iter()
        .filter(|c| c.drop_reason.is_some())
        .map(|c| DroppedView {
            count: c.count,
            citation: crate::domain::charge::charge_citation(&law, c).unwrap_or_default(),
            concerns: c.concerns.clone(),
            reason: c.drop_reason.clone().unwrap_or_default(),
        })
        .collect();
    // Read per defendant: only the counts that charge the chosen one.
    let reading = match query.defendant.trim() {
        "" => None,
        id => Some(
            people
                .iter()
                .find(|p| p.role == PersonRole::Defendant && p.id.to_string() == id)
                .ok_or(AppError::NotFound("defendant"))?,
        ),
    };
    let charged: Vec<Person> = people
        .iter()
        .filter(|p| p.role == PersonRole::Defendant && reading.is_none_or(|r| r.id == p.id))
        .cloned()
        .collect();
    let exposure = crate::domain::exposure::exposure(&law, &rows, &charged, &incident.details.victims);
    // The rule the flag follows, stated as the memo states it (the rows keep their flags).
    let (_, ranking) = crate::domain::charge::most_serious(&rows);
    let rows: Vec<&ChargeCoverage> =
        rows.iter().filter(|r| reading.is_none_or(|p| r.charge.defendants.contains(&p.id))).collect();
    // Counts in full, a page at a time; the overview covers the block of pages around it.
    let page_count = rows.len().div_ceil(COUNTS_PER_PAGE).max(1);
    let page = page.min(page_count);
    let first = (page - 1) * COUNTS_PER_PAGE;
    let glance_first = first / GLANCE_COUNTS * GLANCE_COUNTS;
    let glance = rows
        .iter()
        .enumerate()
        .skip(glance_first)
        .take(GLANCE_COUNTS)
        .map(|(i, r)| glance_row(r, &people, i / COUNTS_PER_PAGE + 1))
        .collect();
    let count_total = rows.len();
    let reading_query = reading.map(|p| format!("defendant={}&", p.id)).unwrap_or_default();
    render(&CoveragePage {
        reading: reading.map(|p| p.document_name()),
        exposure,
        ranking,
        readings: people
            .iter()
            .filter(|p| p.role == PersonRole::Defendant)
            .map(|p| (p.id.to_string(), p.name.clone(), reading.is_some_and(|r| r.id == p.id)))
            .collect(),
        number: incident.number.to_string(),
        title: incident.details.title.clone(),
        can_write: policy::work_on(user.user(), &incident, CaseWork::ProposeMappings).is_ok(),
        can_record_filing: policy::record_filing(user.user(), &incident).is_ok(),
        rows: rows.iter().skip(first).take(COUNTS_PER_PAGE).map(|r| coverage_row(r, &people, &law)).collect(),
        glance,
        count_total,
        page,
        page_count,
        reading_query,
        dropped,
        offenses: catalog.offenses.iter().map(|o| (o.id.clone(), format!("{} — {}", o.citation(), o.title))).collect(),
        others: law
            .others
            .iter()
            .map(|o| (o.id.clone(), format!("{} — {} (out of the catalog)", o.citation(), o.title)))
            .collect(),
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
    #[serde(default)]
    defendants: Vec<String>,
    #[serde(default)]
    predicate: String,
    #[serde(default)]
    gain: String,
    #[serde(default)]
    loss: String,
}

#[derive(Template)]
#[template(path = "charges/new.html")]
struct NewChargePage {
    chrome: Chrome,
    number: String,
    offense: Offense,
    objects: Vec<Offense>,
    form: ChargeForm,
    fi_checked: bool,
    errors: ValidationErrors,
    /// The incident's charged defendants: (id, name).
    defendants: Vec<(String, String)>,
    /// § 1028A: the incident's counts that may be named as the predicate: (number, citation).
    counts: Vec<(i32, String)>,
}

impl NewChargePage {
    fn pleaded(&self, fact: &Element) -> bool {
        self.form.penalty_facts.iter().any(|f| f == &fact.id)
    }

    fn charges(&self, id: &str) -> bool {
        self.form.defendants.iter().any(|d| d == id)
    }

    fn predicate_is(&self, count: &i32) -> bool {
        self.form.predicate.trim() == count.to_string()
    }
}

/// The offense a count is being added for, and the objects it may name: the catalog's, and the
/// incident's entered offenses under the provisions it allows.
fn offense_and_objects(law: &Law, id: &str) -> Result<(Offense, Vec<Offense>), AppError> {
    let offense = law.offense(id).ok_or(AppError::NotFound("offense"))?;
    let mut objects: Vec<Offense> = offense.objects.iter().filter_map(|o| law.offense(o)).cloned().collect();
    objects.extend(
        law.others
            .iter()
            .filter(|o| offense.other_objects.iter().any(|p| crate::statutes::falls_under(&o.statute, p)))
            .cloned(),
    );
    Ok((offense.clone(), objects))
}

/// The incident's candidate counts, for a § 1028A count's predicate.
async fn count_choices(
    state: &web::Data<AppState>,
    user: &crate::domain::user::User,
    number: crate::domain::ids::IncidentNumber,
) -> Result<Vec<(i32, String)>, PageError> {
    let viewer = user.clone();
    let (_, charges, law) = state.run(move |conn| service::charges(conn, &viewer, number)).await?;
    Ok(charges
        .iter()
        .filter(|c| c.status == crate::domain::charge::ChargeStatus::Candidate)
        .map(|c| {
            let citation = crate::domain::charge::charge_citation(&law, c).unwrap_or_default();
            (c.count, format!("Count {}: {citation}, {}", c.count, c.concerns))
        })
        .collect())
}

/// The incident's charged defendants, for the add-a-count form.
async fn defendant_choices(
    state: &web::Data<AppState>,
    user: &crate::domain::user::User,
    number: crate::domain::ids::IncidentNumber,
) -> Result<Vec<(String, String)>, PageError> {
    let viewer = user.clone();
    let (_, people) = state.run(move |conn| crate::services::people::list(conn, &viewer, number)).await?;
    Ok(people.iter().filter(|p| p.role == PersonRole::Defendant).map(|p| (p.id.to_string(), p.name.clone())).collect())
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
    let (incident, law) = state
        .run(move |conn| {
            let incident = incidents::get(conn, &viewer, number)?;
            Ok((incident, service::law_for(conn, &viewer, number)?))
        })
        .await?;
    policy::work_on(user.user(), &incident, CaseWork::AddCharges)?;
    let (offense, objects) = offense_and_objects(&law, &query.offense)?;
    let fi =
        incident.details.victims.iter().any(|v| v.kind == crate::domain::incident::VictimKind::FinancialInstitution);
    let form = ChargeForm { offense: offense.id.clone(), ..Default::default() };
    let defendants = defendant_choices(&state, user.user(), number).await?;
    let counts = count_choices(&state, user.user(), number).await?;
    render(&NewChargePage {
        chrome: user.chrome,
        number: number.to_string(),
        offense,
        objects,
        form,
        fi_checked: fi,
        errors: ValidationErrors::new(),
        defendants,
        counts,
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
        defendants: form.defendants.clone(),
        predicate: form.predicate.trim().parse().ok(),
        gain: Some(form.gain.clone()),
        loss: Some(form.loss.clone()),
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
            let viewer = user.user().clone();
            let law = state.run(move |conn| service::law_for(conn, &viewer, number)).await?;
            let (offense, objects) = offense_and_objects(&law, &form.offense)?;
            let fi_checked = form.affects_financial_institution.is_some();
            let defendants = defendant_choices(&state, user.user(), number).await?;
            let counts = count_choices(&state, user.user(), number).await?;
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
                    defendants,
                    counts,
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

#[derive(Deserialize)]
struct ChargedForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    instrument: String,
}

/// Records the filing that charged a count.
async fn record_charging(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm<ChargedForm>,
) -> Result<HttpResponse, PageError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let actor = user.user().clone();
    match state
        .run(move |conn| service::record_charging(conn, &actor, number, count, &form.date, &form.instrument))
        .await
    {
        Ok(charge) => auth::flash(
            &user.session,
            FlashKind::Success,
            format!(
                "Count {count} recorded as charged on {}: its limitation clock has stopped.",
                charge.charged_on.map(|d| d.to_string()).unwrap_or_default()
            ),
        ),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Count {count} unchanged: {}.", errors.messages()))
        }
        Err(AppError::Conflict { detail, .. }) => auth::flash(&user.session, FlashKind::Error, detail),
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/incidents/{number}/coverage#count-{count}")))
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    direction: String,
}

/// Moves a count up or down in the prosecutor's order.
async fn move_charge(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let direction = form
        .direction
        .parse::<crate::domain::charge::MoveDirection>()
        .map_err(|e| AppError::bad_request("invalid_direction", e))?;
    let actor = user.user().clone();
    match state.run(move |conn| service::move_count(conn, &actor, number, count, direction)).await {
        Ok(_) => auth::flash(&user.session, FlashKind::Success, format!("Count {count} moved {}.", form.direction)),
        Err(AppError::Conflict { detail, .. }) => auth::flash(&user.session, FlashKind::Error, detail),
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/incidents/{number}/coverage")))
}

#[derive(Deserialize)]
struct DefendantsForm {
    #[serde(default)]
    defendants: Vec<String>,
}

/// Sets whom a count charges.
async fn set_defendants(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm<DefendantsForm>,
) -> Result<HttpResponse, PageError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let actor = user.user().clone();
    match state
        .run(move |conn| crate::services::people::set_defendants(conn, &actor, number, count, &form.defendants))
        .await
    {
        Ok(named) => {
            let names = named.iter().map(|p| p.document_name()).collect::<Vec<_>>().join(", ");
            auth::flash(&user.session, FlashKind::Success, format!("Count {count} charges {names}."))
        }
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Count {count} unchanged: {}.", errors.messages()))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/incidents/{number}/coverage#count-{count}")))
}

/// The typed values of the out-of-catalog offense form (also its prefill from the reference).
#[derive(Default, Deserialize)]
struct OtherStatuteForm {
    #[serde(default)]
    citation: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    max_years: String,
    #[serde(default)]
    life: Option<String>,
    #[serde(default)]
    min_years: String,
    /// One element per line.
    #[serde(default)]
    elements: String,
}

impl OtherStatuteForm {
    fn raw(&self) -> Result<RawOtherStatute, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut years = |field: &str, text: &str| match text.trim() {
            "" => None,
            t => errors.check(field, t.parse::<u16>().map_err(|_| "a whole number of years".to_owned())),
        };
        let max_years = years("max_years", &self.max_years);
        let min_years = years("min_years", &self.min_years);
        errors.into_result()?;
        Ok(RawOtherStatute {
            citation: self.citation.clone(),
            title: self.title.clone(),
            max_years,
            life: Some(self.life.is_some()),
            min_years,
            elements: self.elements.lines().map(str::to_owned).collect(),
        })
    }
}

struct OtherStatuteView {
    code: String,
    citation: String,
    title: String,
    maximum: String,
    minimum: String,
    provenance: String,
    elements: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "charges/other_statutes.html")]
struct OtherStatutesPage {
    chrome: Chrome,
    number: String,
    can_write: bool,
    entered: Vec<OtherStatuteView>,
    related: &'static [crate::statutes::Related],
    form: OtherStatuteForm,
    errors: ValidationErrors,
}

async fn other_statutes_page_with(
    state: &web::Data<AppState>,
    user: SessionUser,
    number: crate::domain::ids::IncidentNumber,
    form: OtherStatuteForm,
    errors: ValidationErrors,
) -> Result<OtherStatutesPage, PageError> {
    let viewer = user.user().clone();
    let (incident, others) =
        state.run(move |conn| crate::services::other_statutes::list(conn, &viewer, number)).await?;
    let entered = others
        .iter()
        .map(|o| OtherStatuteView {
            code: o.code.clone(),
            citation: o.citation.clone(),
            title: o.title.clone(),
            maximum: o.maximum.to_string(),
            minimum: if o.min_years == 0 { String::new() } else { format!("mandatory minimum {} years", o.min_years) },
            provenance: o.provenance(),
            elements: o.offense().elements.iter().map(|e| (e.id.clone(), e.text.clone())).collect(),
        })
        .collect();
    Ok(OtherStatutesPage {
        number: number.to_string(),
        can_write: policy::work_on(user.user(), &incident, CaseWork::AddCharges).is_ok(),
        entered,
        related: &service::catalog()?.related,
        form,
        errors,
        chrome: user.chrome,
    })
}

/// The incident's out-of-catalog offenses, and the form to enter one (prefilled from the
/// reference's list when the user picks a statute there).
async fn other_statutes_page(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    prefill: web::Query<OtherStatuteForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    render(&other_statutes_page_with(&state, user, number, prefill.into_inner(), ValidationErrors::new()).await?)
}

async fn enter_other_statute(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<OtherStatuteForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let result = match form.raw() {
        Ok(raw) => {
            let actor = user.user().clone();
            state.run(move |conn| crate::services::other_statutes::enter(conn, &actor, number, &raw)).await
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(other) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("{} entered as {}: now add the count.", other.citation, other.code),
            );
            Ok(redirect(&format!("/incidents/{number}/charges/new?offense={}", other.code)))
        }
        Err(AppError::Validation(errors)) => render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &other_statutes_page_with(&state, user, number, form, errors).await?,
        ),
        Err(other) => Err(other.into()),
    }
}
