//! Pages for reviewing a mapping (separation of duties) and the review queue.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{MappingView, mapping_view, safe_back};
use super::{format_time, redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::charge::{RawReview, Review};
use crate::domain::ids::MappingId;
use crate::domain::policy::{self};
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::mapping_id;
use crate::services::charges::{self as service};
use crate::startup::AppState;
use crate::statutes::Law;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mappings/{id}", web::get().to(mapping_page))
        .route("/mappings/{id}/review", web::post().to(review))
        .route("/mappings/{id}/withdraw", web::post().to(withdraw))
        .route("/mappings/{id}/revoke", web::post().to(revoke))
        .route("/reviews", web::get().to(queue_page));
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
    /// The proposer may withdraw it (not yet reviewed); a supervisor may revoke an acceptance.
    can_withdraw: bool,
    can_revoke: bool,
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

async fn mapping_page_with(
    state: &web::Data<AppState>,
    user: SessionUser,
    id: MappingId,
    comment: String,
    errors: ValidationErrors,
) -> Result<MappingPage, PageError> {
    let viewer = user.user().clone();
    let (incident, mapping, reviews, charge_citation, law) = state
        .run(move |conn| {
            let (incident, mapping, reviews) = service::mapping(conn, &viewer, id)?;
            let (_, charges, law) = service::charges(conn, &viewer, incident.number)?;
            let charge_citation = charges
                .iter()
                .find(|c| c.count == mapping.count)
                .and_then(|c| {
                    crate::domain::charge::charge_citation(&law, c)
                        .map(|citation| format!("Count {}: {citation} ({})", c.count, c.concerns))
                })
                .unwrap_or_default();
            Ok((incident, mapping, reviews, charge_citation, law))
        })
        .await?;
    let permission = policy::review_mapping(user.user(), &incident, &mapping);
    let why_not = permission.as_ref().err().map(|r| format!("{r}.")).unwrap_or_default();
    let can_review = permission.is_ok();
    let can_withdraw = policy::withdraw_mapping(user.user(), &incident, &mapping, !reviews.is_empty()).is_ok();
    let can_revoke = policy::revoke_mapping(user.user(), &incident, &mapping).is_ok();
    Ok(MappingPage {
        can_withdraw,
        can_revoke,
        mapping: mapping_view(&incident.number.to_string(), &mapping, &law),
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
    let id = mapping_id(&path)?;
    render(&mapping_page_with(&state, user, id, String::new(), ValidationErrors::new()).await?)
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
    let id = mapping_id(&path)?;
    let raw = RawReview { decision: form.decision.clone(), comment: form.comment.clone() };
    let actor = user.user().clone();
    match state.run(move |conn| service::review(conn, &actor, id, &raw)).await {
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

#[derive(Deserialize)]
struct CorrectionForm {
    #[serde(default)]
    reason: String,
}

async fn correct(
    state: web::Data<AppState>,
    user: SessionUser,
    id: MappingId,
    decision: crate::domain::charge::ReviewDecision,
    reason: String,
) -> Result<HttpResponse, PageError> {
    let actor = user.user().clone();
    match state.run(move |conn| service::correct(conn, &actor, id, decision, &reason)).await {
        Ok(m) => auth::flash(
            &user.session,
            FlashKind::Success,
            format!("{} for {} on count {}: {}.", m.exhibit, m.element_id, m.count, m.status.label().to_lowercase()),
        ),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Nothing changed: {}.", errors.messages()))
        }
        Err(AppError::Conflict { detail, .. }) => auth::flash(&user.session, FlashKind::Error, detail),
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/mappings/{id}")))
}

/// The proposer withdraws a proposal nobody has reviewed.
async fn withdraw(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<CorrectionForm>,
) -> Result<HttpResponse, PageError> {
    let id = mapping_id(&path)?;
    correct(state, user, id, crate::domain::charge::ReviewDecision::Withdrawn, form.reason).await
}

/// A supervisor revokes an acceptance, with the reason.
async fn revoke(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<CorrectionForm>,
) -> Result<HttpResponse, PageError> {
    let id = mapping_id(&path)?;
    correct(state, user, id, crate::domain::charge::ReviewDecision::Revoked, form.reason).await
}

#[derive(Template)]
#[template(path = "charges/queue.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<MappingView>,
    /// Mappings waiting in all, in words; the page shows them a page at a time, oldest first.
    total: String,
    any_waiting: bool,
    first_link: Option<String>,
    previous_link: Option<String>,
    next_link: Option<String>,
    reviewer: bool,
}

/// Mappings shown per page of the review queue.
const QUEUE_PER_PAGE: i64 = 25;

async fn queue_page(
    state: web::Data<AppState>,
    user: SessionUser,
    query: web::Query<super::CursorQuery>,
) -> Result<HttpResponse, PageError> {
    let position = query.position()?;
    let viewer = user.user().clone();
    let queue = state
        .run(move |conn| {
            service::review_queue(conn, &viewer, position, QUEUE_PER_PAGE, crate::domain::incident::COUNT_CAP)
        })
        .await?;
    render(&QueuePage {
        total: queue.total_words(),
        any_waiting: queue.total > 0,
        first_link: queue.previous.is_some().then(|| "/reviews".to_owned()),
        previous_link: queue.previous.as_ref().map(|id| format!("/reviews?before={id}")),
        next_link: queue.next.as_ref().map(|id| format!("/reviews?after={id}")),
        items: {
            let law = Law::catalog_only(service::catalog()?);
            queue.items.iter().map(|(incident, m)| mapping_view(incident, m, &law)).collect()
        },
        reviewer: policy::reviews(user.user()),
        chrome: user.chrome,
    })
}
