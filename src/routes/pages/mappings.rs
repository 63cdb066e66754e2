//! Pages for proposing evidence-to-element mappings and tagging exhibits.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::safe_back;
use super::{redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::charge::{PinKind, RawMapping};
use crate::domain::ids::IncidentNumber;
use crate::domain::policy::{self, CaseWork};
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::{exhibit_number, incident_number};
use crate::services::charges::{self as service};
use crate::services::evidence;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/mappings/new", web::get().to(new_mapping))
        .route("/incidents/{incident}/mappings", web::post().to(propose))
        .route("/exhibits/{exhibit}/tags", web::post().to(add_tags));
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
    /// Too many exhibits to list: the form takes a typed exhibit number.
    exhibit_typed: bool,
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
    let (charges, law, exhibits) = state
        .run(move |conn| {
            let (incident, charges, law) = service::charges(conn, &viewer, number)?;
            // The form is for those who may propose: a read-only role gets 403, not a form.
            policy::work_on(&viewer, &incident, CaseWork::ProposeMappings)?;
            // The exhibits to choose from, unless there are too many to list.
            let first = evidence::ExhibitQuery {
                page: 1,
                per_page: i64::try_from(super::views::CHOICES_MAX).map_err(AppError::internal)?,
                ..Default::default()
            };
            let exhibits = evidence::page_of(conn, &incident, &first)?;
            let exhibits = (exhibits.total <= exhibits.per_page).then_some(exhibits.items);
            Ok((charges, law, exhibits))
        })
        .await?;
    let mut targets = Vec::new();
    for charge in charges.iter().filter(|c| c.drop_reason.is_none()) {
        let Some(offense) = law.offense(&charge.offense_id) else { continue };
        // A conspiracy's or attempt's object's elements are mapped on the count too.
        let object = crate::domain::charge::object_of(&law, offense, charge);
        for e in offense.rows().chain(object.into_iter().flat_map(|o| o.rows())) {
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
    let exhibit_typed = exhibits.is_none();
    let exhibits = exhibits
        .unwrap_or_default()
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
    Ok(NewMappingPage {
        chrome: user.chrome,
        number: number.to_string(),
        targets,
        exhibits,
        exhibit_typed,
        pin_kinds,
        form,
        errors,
    })
}

#[derive(Deserialize)]
struct MappingQuery {
    #[serde(default)]
    count: Option<i32>,
    #[serde(default)]
    element: String,
    #[serde(default)]
    exhibit: String,
    /// Filled in from a suggestion (an agent-run step): the form shows them for a person to
    /// check and change before anything is proposed.
    #[serde(default)]
    pin_kind: String,
    #[serde(default)]
    pin_cite: String,
    #[serde(default)]
    rationale: String,
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
        pin_kind: q.pin_kind,
        pin_cite: q.pin_cite,
        rationale: q.rationale,
        back,
    };
    render(&mapping_form_page(&state, user, number, form, ValidationErrors::new()).await?)
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
    let store = state.store.clone();
    match state.run(move |conn| service::propose(conn, store.as_ref(), &actor, number, &raw)).await {
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
