use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::evidence::ExhibitLine;
use super::views::Choice;
use super::{format_time, redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::approx::Period;
use crate::domain::incident::{
    AiModality, Incident, IncidentDraft, IncidentFilter, IncidentPatch, IncidentStatus, Position, RawIncident,
    RawIncidentFilter, RawSubject, RawVictim, VictimKind,
};
use crate::domain::policy::{self, CaseWork};
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::incident_number;
use crate::services::{self, incidents as service};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::get().to(list))
        .route("/incidents", web::post().to(create))
        .route("/incidents/new", web::get().to(new_form))
        .route("/incidents/{incident}", web::get().to(show))
        .route("/incidents/{incident}/people", web::post().to(add_person))
        .route("/incidents/{incident}/edit", web::get().to(edit_form))
        .route("/incidents/{incident}/edit", web::post().to(update))
        .route("/incidents/{incident}/members", web::post().to(add_member));
}

fn choices<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    selected: impl Fn(&str) -> bool,
) -> Vec<Choice> {
    all.iter().map(|v| Choice { code: code(*v), label: label(*v), selected: selected(code(*v)) }).collect()
}

/// The offense dates as recorded ("from in or about 2017 through 2018-06-30"), or "Not recorded".
fn offense_dates(first: Option<Period>, last: Option<Period>) -> String {
    match crate::domain::incident::describe_offense_dates(first, last) {
        dates if dates.is_empty() => "Not recorded".into(),
        dates => dates,
    }
}

/// Victims edited in the incident form; a longer list is kept on the victims page, where it
/// is paged and imported from CSV, and the form leaves it as it is.
pub const FORM_VICTIMS_MAX: usize = 25;

// ----- list -----

struct ListRow {
    number: String,
    title: String,
    status_code: &'static str,
    status_label: &'static str,
    modalities: String,
    district: String,
    dates: String,
    updated_at: String,
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    chrome: Chrome,
    filter: RawIncidentFilter,
    filter_error: Option<String>,
    status_options: Vec<Choice>,
    modality_options: Vec<Choice>,
    rows: Vec<ListRow>,
    /// How many match, in words ("more than 1000" past the count's cap).
    total: String,
    one: bool,
    /// The first and last incident numbers shown, in words.
    shown: String,
    /// The list's start, when this is not it.
    first_link: Option<String>,
    prev_link: Option<String>,
    next_link: Option<String>,
    can_create: bool,
    deadlines: Vec<super::views::DeadlineRow>,
}

/// The list with the same filter, from `position` (a cursor the list gave).
fn page_link(filter: &RawIncidentFilter, position: Position<&str>) -> String {
    let mut query = filter.clone();
    (query.after, query.before) = match position {
        Position::Start => (String::new(), String::new()),
        Position::After(key) => (key.to_owned(), String::new()),
        Position::Before(key) => (String::new(), key.to_owned()),
    };
    format!("/incidents?{}", serde_html_form::to_string(&query).unwrap_or_default())
}

async fn list(state: web::Data<AppState>, user: SessionUser, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let (raw, mut filter_error) = match serde_html_form::from_str::<RawIncidentFilter>(req.query_string()) {
        Ok(raw) => (raw, None),
        Err(e) => (RawIncidentFilter::default(), Some(format!("The filter could not be read: {e}"))),
    };
    let filter = match IncidentFilter::parse(&raw) {
        Ok(filter) => filter,
        Err(errors) => {
            filter_error = Some(format!("The filter was ignored: {errors}"));
            IncidentFilter::parse(&RawIncidentFilter::default()).map_err(AppError::from)?
        }
    };
    let viewer = user.user().clone();
    let query = filter.clone();
    let (page, deadlines) = state
        .run(move |conn| {
            let page = service::list(conn, &viewer, &query)?;
            let deadlines = crate::services::charges::nearest_deadlines(conn, &viewer, 5)?;
            Ok((page, deadlines))
        })
        .await?;
    let rows = page
        .items
        .iter()
        .map(|i| ListRow {
            number: i.number.to_string(),
            title: i.title.clone(),
            status_code: i.status.as_str(),
            status_label: i.status.label(),
            modalities: i.ai_modalities.iter().map(|m| m.label()).collect::<Vec<_>>().join("; "),
            district: i.district.clone().unwrap_or_default(),
            dates: offense_dates(i.first_offense_date, i.last_offense_date),
            updated_at: format_time(i.updated_at),
        })
        .collect();
    render(&ListPage {
        status_options: choices(
            IncidentStatus::ALL,
            |s| s.as_str(),
            |s| s.label(),
            |c| Some(c) == filter.status.map(|s| s.as_str()),
        ),
        modality_options: choices(
            AiModality::ALL,
            |m| m.as_str(),
            |m| m.label(),
            |c| Some(c) == filter.ai_modality.map(|m| m.as_str()),
        ),
        first_link: page.previous.is_some().then(|| page_link(&raw, Position::Start)),
        prev_link: page.previous.as_deref().map(|key| page_link(&raw, Position::Before(key))),
        next_link: page.next.as_deref().map(|key| page_link(&raw, Position::After(key))),
        shown: page
            .items
            .first()
            .zip(page.items.last())
            .map(|(a, b)| format!("{} to {}", a.number, b.number))
            .unwrap_or_default(),
        can_create: policy::open_incident(user.user()).is_ok(),
        deadlines: super::views::deadline_rows(&deadlines),
        rows,
        total: page.total_words(),
        one: page.total == 1 && !page.capped,
        filter: raw,
        filter_error,
        chrome: user.chrome,
    })
}

// ----- create and edit -----

/// The incident form as posted. Victim and subject rows arrive as parallel lists.
#[derive(Debug, Default, Deserialize)]
pub struct IncidentForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    ai_modalities: Vec<String>,
    #[serde(default)]
    victim_name: Vec<String>,
    #[serde(default)]
    victim_kind: Vec<String>,
    #[serde(default)]
    victim_loss: Vec<String>,
    #[serde(default)]
    victim_gain: Vec<String>,
    #[serde(default)]
    victim_class_size: Vec<String>,
    #[serde(default)]
    victim_notes: Vec<String>,
    /// Set when the victims are kept on the victims page: the form then leaves them alone.
    #[serde(default)]
    victims_elsewhere: Option<String>,
    #[serde(default)]
    victim_names_sensitive: Option<String>,
    #[serde(default)]
    subject_name: Vec<String>,
    #[serde(default)]
    subject_description: Vec<String>,
    #[serde(default)]
    first_offense_date: String,
    #[serde(default)]
    last_offense_date: String,
}

fn nth(list: &[String], i: usize) -> String {
    list.get(i).cloned().unwrap_or_default()
}

impl IncidentForm {
    /// The typed values; wholly blank rows are dropped.
    fn to_raw(&self) -> RawIncident {
        let rows = [
            &self.victim_name,
            &self.victim_kind,
            &self.victim_loss,
            &self.victim_gain,
            &self.victim_class_size,
            &self.victim_notes,
        ]
        .iter()
        .map(|l| l.len())
        .max()
        .unwrap_or(0);
        let victims = (0..rows)
            .map(|i| RawVictim {
                name: nth(&self.victim_name, i),
                kind: nth(&self.victim_kind, i),
                estimated_loss: nth(&self.victim_loss, i),
                gain: nth(&self.victim_gain, i),
                class_size: nth(&self.victim_class_size, i),
                notes: nth(&self.victim_notes, i),
            })
            .filter(|v| !v.is_blank())
            .collect();
        let subjects = (0..self.subject_name.len().max(self.subject_description.len()))
            .map(|i| RawSubject { name: nth(&self.subject_name, i), description: nth(&self.subject_description, i) })
            .filter(|s| !(s.name.trim().is_empty() && s.description.trim().is_empty()))
            .collect();
        RawIncident {
            title: self.title.clone(),
            summary: self.summary.clone(),
            district: self.district.clone(),
            ai_modalities: self.ai_modalities.clone(),
            victims,
            subjects,
            first_offense_date: self.first_offense_date.clone(),
            last_offense_date: self.last_offense_date.clone(),
            victim_names_sensitive: self.victim_names_sensitive.as_deref().is_some_and(|v| !v.is_empty()),
        }
    }

    /// The change the form asks for: everything it shows, and the victims only when it
    /// showed them.
    fn to_patch(&self) -> IncidentPatch {
        let mut patch = IncidentPatch::replacing(self.to_raw());
        if self.victims_elsewhere.is_some() {
            patch.victims = None;
        }
        patch
    }
}

struct VictimRow {
    name: String,
    loss: String,
    gain: String,
    class_size: String,
    notes: String,
    kinds: Vec<Choice>,
    error: Option<String>,
}

struct SubjectRow {
    name: String,
    description: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "incidents/form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    cancel_link: String,
    submit_label: &'static str,
    version: Option<i32>,
    form: RawIncident,
    status_options: Vec<Choice>,
    modality_options: Vec<Choice>,
    victim_rows: Vec<VictimRow>,
    /// How many victims are kept on the victims page instead of in the form, if so.
    victims_elsewhere: Option<usize>,
    /// Where the victims page is; `None` for a new incident.
    victims_link: Option<String>,
    can_mark_names: bool,
    subject_rows: Vec<SubjectRow>,
    errors: ValidationErrors,
    general_error: Option<String>,
}

/// Blank rows offered below the filled ones.
const SPARE_ROWS: usize = 2;

fn row_errors(errors: &ValidationErrors, prefix: &str) -> Option<String> {
    let messages: Vec<String> = errors
        .0
        .iter()
        .filter_map(|e| {
            e.field
                .strip_prefix(prefix)
                .map(|rest| format!("{} {}", rest.trim_start_matches('.').replace('_', " "), e.message))
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

struct FormContext {
    heading: String,
    action: String,
    cancel_link: String,
    submit_label: &'static str,
    version: Option<i32>,
    /// The current status and the statuses it may move to; empty for a new incident.
    status: Option<(IncidentStatus, String)>,
    /// Whether the user may mark victims' names sensitive.
    can_mark_names: bool,
    victims_link: Option<String>,
}

fn form_page(
    chrome: Chrome,
    ctx: FormContext,
    form: RawIncident,
    errors: ValidationErrors,
    general_error: Option<String>,
) -> FormPage {
    let victims_elsewhere = (form.victims.len() > FORM_VICTIMS_MAX).then_some(form.victims.len());
    let shown_victims = if victims_elsewhere.is_some() { &[][..] } else { &form.victims[..] };
    let victim_rows = shown_victims
        .iter()
        .cloned()
        .chain(std::iter::repeat_with(RawVictim::default).take(if victims_elsewhere.is_some() {
            0
        } else {
            SPARE_ROWS
        }))
        .enumerate()
        .map(|(i, v)| VictimRow {
            kinds: choices(VictimKind::ALL, |k| k.as_str(), |k| k.label(), |c| c == v.kind.trim()),
            error: row_errors(&errors, &format!("victims[{i}]")),
            name: v.name,
            loss: v.estimated_loss,
            gain: v.gain,
            class_size: v.class_size,
            notes: v.notes,
        })
        .collect();
    let subject_rows = form
        .subjects
        .iter()
        .cloned()
        .chain(std::iter::repeat_with(RawSubject::default).take(SPARE_ROWS))
        .enumerate()
        .map(|(i, s)| SubjectRow {
            error: row_errors(&errors, &format!("subjects[{i}]")),
            name: s.name,
            description: s.description,
        })
        .collect();
    let status_options = match &ctx.status {
        Some((current, chosen)) => std::iter::once(*current)
            .chain(current.next_steps())
            .map(|s| Choice { code: s.as_str(), label: s.label(), selected: s.as_str() == chosen })
            .collect(),
        None => Vec::new(),
    };
    let modality_options =
        choices(AiModality::ALL, |m| m.as_str(), |m| m.label(), |c| form.ai_modalities.iter().any(|m| m == c));
    FormPage {
        chrome,
        heading: ctx.heading,
        action: ctx.action,
        cancel_link: ctx.cancel_link,
        submit_label: ctx.submit_label,
        version: ctx.version,
        form,
        status_options,
        modality_options,
        victim_rows,
        victims_elsewhere,
        victims_link: ctx.victims_link,
        can_mark_names: ctx.can_mark_names,
        subject_rows,
        errors,
        general_error,
    }
}

fn new_context(user: &crate::domain::user::User) -> FormContext {
    FormContext {
        heading: "Open an incident".into(),
        action: "/incidents".into(),
        cancel_link: "/incidents".into(),
        submit_label: "Open incident",
        version: None,
        status: None,
        can_mark_names: user.role.decides_charges(),
        victims_link: None,
    }
}

async fn new_form(user: SessionUser) -> Result<HttpResponse, PageError> {
    policy::open_incident(user.user())?;
    let ctx = new_context(user.user());
    render(&form_page(user.chrome, ctx, RawIncident::default(), ValidationErrors::new(), None))
}

async fn create(
    state: web::Data<AppState>,
    user: SessionUser,
    CsrfForm(form): CsrfForm<IncidentForm>,
) -> Result<HttpResponse, PageError> {
    let raw = form.to_raw();
    let creator = user.user().clone();
    let attempt = raw.clone();
    match state.run(move |conn| service::create(conn, &creator, &attempt)).await {
        Ok(incident) => {
            auth::flash(&user.session, FlashKind::Success, format!("Incident {} opened.", incident.number));
            Ok(redirect(&format!("/incidents/{}", incident.number)))
        }
        Err(AppError::Validation(errors)) => {
            let ctx = new_context(user.user());
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &form_page(user.chrome, ctx, raw, errors, None))
        }
        Err(other) => Err(other.into()),
    }
}

fn edit_context(
    user: &crate::domain::user::User,
    incident: &Incident,
    version: i32,
    chosen_status: String,
) -> FormContext {
    FormContext {
        can_mark_names: policy::mark_victim_names(user, incident).is_ok(),
        victims_link: Some(format!("/incidents/{}/victims", incident.number)),
        heading: format!("Edit incident {}", incident.number),
        action: format!("/incidents/{}/edit", incident.number),
        cancel_link: format!("/incidents/{}", incident.number),
        submit_label: "Save changes",
        version: Some(version),
        status: Some((incident.status, chosen_status)),
    }
}

async fn edit_form(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let viewer = user.user().clone();
    let incident = state.run(move |conn| service::get(conn, &viewer, number)).await?;
    policy::work_on(user.user(), &incident, CaseWork::ChangeIncident)?;
    let ctx = edit_context(user.user(), &incident, incident.version, incident.status.as_str().to_owned());
    render(&form_page(user.chrome, ctx, incident.details.to_raw(), ValidationErrors::new(), None))
}

async fn update(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<IncidentForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let raw = form.to_raw();
    let chosen_status = form.status.clone().unwrap_or_default();
    let version: i32 = form
        .version
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::bad_request("invalid_form", "the form lacks the version it edits"))?;
    let status = match chosen_status.trim() {
        "" => None,
        code => Some(
            code.parse::<IncidentStatus>().map_err(|e| AppError::Validation(ValidationErrors::single("status", e)))?,
        ),
    };
    let editor = user.user().clone();
    let patch = form.to_patch();
    match state.run(move |conn| service::update(conn, &editor, number, version, status, &patch)).await {
        Ok(incident) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("Incident {} saved (version {}).", incident.number, incident.version),
            );
            Ok(redirect(&format!("/incidents/{number}")))
        }
        Err(error @ (AppError::Validation(_) | AppError::Conflict { code: "stale_version", .. })) => {
            let viewer = user.user().clone();
            let current = state.run(move |conn| service::get(conn, &viewer, number)).await?;
            let (errors, general, version) = match error {
                AppError::Validation(errors) => (errors, None, version),
                _ => (
                    ValidationErrors::single("version", "stale"),
                    Some(format!(
                        "Someone else saved incident {number} while you were editing; it is now at version {}. \
                         Your edits are below, not saved. Open the incident in another tab to compare; \
                         saving this form again will replace their changes.",
                        current.version
                    )),
                    current.version,
                ),
            };
            // Victims kept on the victims page were not in the form: show them as stored.
            let mut raw = raw;
            if form.victims_elsewhere.is_some() {
                raw.victims = current.details.to_raw().victims;
            }
            let ctx = edit_context(user.user(), &current, version, chosen_status);
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &form_page(user.chrome, ctx, raw, errors, general))
        }
        Err(other) => Err(other.into()),
    }
}

// ----- show -----

pub(super) struct VictimLine {
    pub name: String,
    pub kind: &'static str,
    pub loss: String,
    pub gain: String,
    pub notes: String,
}

impl VictimLine {
    pub fn new(v: &crate::domain::incident::Victim, names_sensitive: bool) -> VictimLine {
        VictimLine {
            name: v.describe(names_sensitive),
            kind: v.kind.label(),
            loss: v.loss.map(|a| a.to_string()).unwrap_or_else(|| "Unknown".into()),
            gain: v.gain.map(|a| a.to_string()).unwrap_or_default(),
            notes: v.notes.clone(),
        }
    }
}

/// Victims the incident page lists before pointing to the victims page.
const SHOWN_VICTIMS: usize = 10;
/// Exhibits listed on the incident page; the evidence page lists them all, in pages.
const SHOWN_EXHIBITS: i64 = 10;

struct SubjectLine {
    name: String,
    description: String,
}

struct MemberLine {
    full_name: String,
    username: String,
    role: &'static str,
    added_at: String,
}

struct Candidate {
    username: String,
    full_name: String,
    role: &'static str,
}

struct HistoryLine {
    at: String,
    actor: String,
    action: String,
}

#[derive(Template)]
#[template(path = "incidents/show.html")]
struct ShowPage {
    chrome: Chrome,
    number: String,
    title: String,
    status_code: &'static str,
    status_label: &'static str,
    summary: String,
    district: String,
    /// The recorded district names none of the 94.
    district_flag: bool,
    dates: String,
    modalities: Vec<&'static str>,
    total_loss: String,
    total_gain: String,
    /// "182 victims in 3 entries" and the like.
    victim_count: String,
    names_sensitive: bool,
    more_victims: usize,
    created: String,
    updated: String,
    version: i32,
    victims: Vec<VictimLine>,
    subjects: Vec<SubjectLine>,
    members: Vec<MemberLine>,
    candidates: Vec<Candidate>,
    /// Too many users to list: the form takes a typed username.
    member_typed: bool,
    people: Vec<PersonLine>,
    history: Vec<HistoryLine>,
    exhibits: Vec<ExhibitLine>,
    /// Exhibits in all; the page lists the first few.
    exhibit_total: i64,
    can_write: bool,
}

async fn show(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let viewer = user.user().clone();
    let (incident, history, users, exhibits, people) = state
        .run(move |conn| {
            let incident = service::get(conn, &viewer, number)?;
            let history = service::history(conn, &incident, 50)?;
            let users = if policy::work_on(&viewer, &incident, CaseWork::AddMember).is_ok() {
                services::users::active_if_few(conn, super::views::CHOICES_MAX)?
            } else {
                Some(Vec::new())
            };
            let first = services::evidence::ExhibitQuery { page: 1, per_page: SHOWN_EXHIBITS, ..Default::default() };
            let exhibits = services::evidence::page_of(conn, &incident, &first)?;
            let (_, people) = services::people::list(conn, &viewer, number)?;
            Ok((incident, history, users, exhibits, people))
        })
        .await?;
    let can_write = policy::work_on(user.user(), &incident, CaseWork::ChangeIncident).is_ok();
    let d = &incident.details;
    let (district, district_flag) = super::views::district_text(d.district.as_deref());
    let page = ShowPage {
        number: incident.number.to_string(),
        title: d.title.clone(),
        status_code: incident.status.as_str(),
        status_label: incident.status.label(),
        summary: d.summary.clone(),
        district,
        district_flag,
        dates: offense_dates(d.first_offense_date, d.last_offense_date),
        modalities: d.ai_modalities.iter().map(|m| m.label()).collect(),
        total_loss: d.total_loss().map_or_else(|| "Not recorded".into(), |a| a.to_string()),
        total_gain: d.total_gain().map_or_else(|| "Not recorded".into(), |a| a.to_string()),
        victim_count: victim_count(d),
        names_sensitive: d.victim_names_sensitive,
        more_victims: d.victims.len().saturating_sub(SHOWN_VICTIMS),
        created: format!("{} by {}", format_time(incident.created_at), incident.created_by),
        updated: format!("{} by {}", format_time(incident.updated_at), incident.updated_by),
        version: incident.version,
        victims: d.victims.iter().take(SHOWN_VICTIMS).map(|v| VictimLine::new(v, d.victim_names_sensitive)).collect(),
        subjects: d
            .subjects
            .iter()
            .map(|s| SubjectLine { name: s.name.clone(), description: s.description.clone() })
            .collect(),
        members: incident
            .members
            .iter()
            .map(|m| MemberLine {
                full_name: m.full_name.clone(),
                username: m.username.clone(),
                role: m.role.label(),
                added_at: format_time(m.added_at),
            })
            .collect(),
        member_typed: users.is_none(),
        candidates: users
            .unwrap_or_default()
            .into_iter()
            .filter(|u| !incident.has_member(u.id))
            .map(|u| Candidate { username: u.username, full_name: u.full_name, role: u.role.label() })
            .collect(),
        people: people
            .iter()
            .map(|p| PersonLine {
                name: p.name.clone(),
                role: p.role.label(),
                placeholder: p.placeholder.clone().unwrap_or_default(),
                aliases: p.aliases.join("; "),
            })
            .collect(),
        history: history
            .into_iter()
            .map(|h| HistoryLine {
                at: format_time(h.at),
                actor: h.actor.unwrap_or_else(|| "system".into()),
                action: crate::domain::audit::describe(&h.action, &h.detail),
            })
            .collect(),
        exhibits: exhibits.items.iter().map(ExhibitLine::new).collect(),
        exhibit_total: exhibits.total,
        can_write,
        chrome: user.chrome,
    };
    render(&page)
}

/// "3 victims", "at least 182 victims in 3 entries (2 classes)".
pub(super) fn victim_count(d: &IncidentDraft) -> String {
    let entries = d.victims.len();
    let people = d.victim_headcount();
    let classes = d.victims.iter().filter(|v| v.class_size.is_some()).count();
    let noun = if people.count == 1 { "victim" } else { "victims" };
    match classes {
        0 => format!("{people} {noun}"),
        n => format!(
            "{people} {noun} in {entries} entr{} ({n} class{})",
            if entries == 1 { "y" } else { "ies" },
            if n == 1 { "" } else { "es" }
        ),
    }
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    username: String,
}

/// A person of the incident as the page lists them.
struct PersonLine {
    name: String,
    role: &'static str,
    placeholder: String,
    aliases: String,
}

#[derive(Deserialize)]
struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    placeholder: String,
    #[serde(default)]
    aliases: String,
}

async fn add_person(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<PersonForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let actor = user.user().clone();
    let raw = crate::domain::person::RawPerson {
        name: form.name.clone(),
        role: form.role.clone(),
        placeholder: Some(form.placeholder.clone()),
        aliases: Some(form.aliases.clone()),
    };
    match state.run(move |conn| services::people::add(conn, &actor, number, &raw)).await {
        Ok(p) => auth::flash(
            &user.session,
            FlashKind::Success,
            format!("{} added ({}).", p.name, p.role.label().to_lowercase()),
        ),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Not added: {}.", errors.messages()))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/incidents/{number}#people")))
}

async fn add_member(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let actor = user.user().clone();
    let username = form.username.clone();
    match state.run(move |conn| service::add_member(conn, &actor, number, &username)).await {
        Ok(_) => auth::flash(&user.session, FlashKind::Success, format!("{} added to the team.", form.username.trim())),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Not added: {errors}"))
        }
        Err(AppError::Conflict { detail, .. }) => {
            auth::flash(&user.session, FlashKind::Error, format!("Not added: {detail}"))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/incidents/{number}")))
}
