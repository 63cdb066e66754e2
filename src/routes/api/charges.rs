//! Statute catalog, charges under consideration, mappings, review and coverage.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rfc3339;
use crate::domain::charge::{Charge, ChargeCoverage, Mapping, RawCharge, RawMapping, RawReview, Review};
use crate::domain::other_statute::{OtherStatute, RawOtherStatute};
use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::routes::{incident_number, mapping_id};
use crate::services::charges as service;
use crate::startup::AppState;
use crate::statutes::{Law, Offense};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/statutes", web::get().to(statutes))
        .route("/statutes/{offense}", web::get().to(statute))
        .route("/incidents/{incident}/other-statutes", web::get().to(list_other_statutes))
        .route("/incidents/{incident}/other-statutes", web::post().to(enter_other_statute))
        .route("/incidents/{incident}/charges", web::get().to(list_charges))
        .route("/incidents/{incident}/charges", web::post().to(add_charge))
        .route("/incidents/{incident}/charges/{count}/drop", web::post().to(drop_charge))
        .route("/incidents/{incident}/charges/{count}/move", web::post().to(move_charge))
        .route("/incidents/{incident}/charges/{count}/charged", web::post().to(record_charging))
        .route("/incidents/{incident}/mappings", web::get().to(list_mappings))
        .route("/incidents/{incident}/mappings", web::post().to(propose))
        .route("/incidents/{incident}/coverage", web::get().to(coverage))
        .route("/mappings/{id}", web::get().to(show_mapping))
        .route("/mappings/{id}/review", web::post().to(review))
        .route("/mappings/{id}/withdraw", web::post().to(withdraw))
        .route("/mappings/{id}/revoke", web::post().to(revoke))
        .route("/reviews", web::get().to(queue))
        .route("/deadlines", web::get().to(deadlines));
}

/// An offense as the API shows it: everything in the catalog plus its citation.
fn offense_json(offense: &Offense) -> serde_json::Value {
    let mut value = serde_json::to_value(offense).unwrap_or_default();
    value["citation"] = json!(offense.citation());
    value["elements"] = json!(offense.elements.iter().map(element_json).collect::<Vec<_>>());
    value["penalty_facts"] = json!(offense.penalty_facts.iter().map(element_json).collect::<Vec<_>>());
    value
}

fn element_json(element: &crate::statutes::Element) -> serde_json::Value {
    let mut value = serde_json::to_value(element).unwrap_or_default();
    value["verify_before_relying"] = json!(element.label.verify_before_relying());
    value["label_meaning"] = json!(element.label.meaning());
    value
}

async fn statutes(ApiUser(_): ApiUser) -> Result<HttpResponse, AppError> {
    let catalog = service::catalog()?;
    Ok(HttpResponse::Ok().json(json!({
        "version": catalog.version,
        "dated": catalog.dated,
        "statute_text_as_of": catalog.statute_text_as_of,
        "notice": catalog.notice,
        "offenses": catalog.offenses.iter().map(offense_json).collect::<Vec<_>>(),
        "related": catalog.related,
        "circuits": catalog.circuits,
        "guidelines": catalog.guidelines,
    })))
}

/// An out-of-catalog offense as the API shows it: as entered, its elements with their ids and
/// the ENTERED label, and its provenance.
fn other_statute_json(other: &OtherStatute) -> serde_json::Value {
    let offense = other.offense();
    let mut value = serde_json::to_value(other).unwrap_or_default();
    value["entered_at"] = json!(rfc3339(other.entered_at));
    value["provenance"] = json!(other.provenance());
    value["elements"] = json!(offense.elements.iter().map(element_json).collect::<Vec<_>>());
    value
}

async fn list_other_statutes(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let (_, others) = state.run(move |conn| crate::services::other_statutes::list(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": others.iter().map(other_statute_json).collect::<Vec<_>>() })))
}

async fn enter_other_statute(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<RawOtherStatute>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let raw = body.into_inner();
    let other = state.run(move |conn| crate::services::other_statutes::enter(conn, &user, number, &raw)).await?;
    Ok(HttpResponse::Created().json(other_statute_json(&other)))
}

async fn statute(ApiUser(_): ApiUser, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let catalog = service::catalog()?;
    let offense = catalog.offense(&path).ok_or(AppError::NotFound("offense"))?;
    let mut body = offense_json(offense);
    body["catalog_version"] = json!(catalog.version);
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize)]
struct ChargeBody<'a> {
    #[serde(flatten)]
    charge: &'a Charge,
    citation: String,
    created_at: String,
}

fn charge_json(charge: &Charge, law: &Law) -> serde_json::Value {
    let citation = crate::domain::charge::charge_citation(law, charge).unwrap_or_default();
    let mut value = serde_json::to_value(ChargeBody { charge, citation, created_at: rfc3339(charge.created_at) })
        .unwrap_or_default();
    value["not_ready"] = json!(crate::domain::charge::not_ready(law, charge));
    value["provenance"] = json!(law.offense(&charge.offense_id).and_then(|o| o.provenance.clone()));
    value
}

/// Runs a change to the incident's counts, then reads the law they are charged under (for
/// their citations), on one connection.
async fn changed<T: Send + 'static>(
    state: &web::Data<AppState>,
    user: crate::domain::user::User,
    number: crate::domain::ids::IncidentNumber,
    change: impl FnOnce(&mut crate::db::DbConnection, &crate::domain::user::User) -> Result<T, AppError> + Send + 'static,
) -> Result<(T, Law<'static>), AppError> {
    state
        .run(move |conn| {
            let done = change(conn, &user)?;
            Ok((done, service::law_for(conn, &user, number)?))
        })
        .await
}

async fn list_charges(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let (_, charges, law) = state.run(move |conn| service::charges(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": charges.iter().map(|c| charge_json(c, &law)).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    offense: String,
    #[serde(default)]
    object_offense: Option<String>,
    #[serde(default)]
    concerns: String,
    #[serde(default)]
    offense_date: Option<String>,
    #[serde(default)]
    affects_financial_institution: Option<bool>,
    #[serde(default)]
    penalty_facts: Vec<String>,
    /// Ids of the incident's defendants the count charges.
    #[serde(default)]
    defendants: Vec<String>,
    /// § 1028A: the number of the count charging the predicate felony.
    #[serde(default)]
    predicate: Option<i32>,
    /// Gross gain and gross loss of the count's offense, in dollars (§ 3571(d)).
    #[serde(default)]
    gain: Option<String>,
    #[serde(default)]
    loss: Option<String>,
}

async fn add_charge(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<ChargeRequest>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let b = body.into_inner();
    let raw = RawCharge {
        offense: b.offense,
        object_offense: b.object_offense,
        concerns: b.concerns,
        offense_date: b.offense_date,
        affects_financial_institution: b.affects_financial_institution,
        penalty_facts: b.penalty_facts,
        defendants: b.defendants,
        predicate: b.predicate,
        gain: b.gain,
        loss: b.loss,
    };
    let (charge, law) =
        changed(&state, user, number, move |conn, user| service::add_charge(conn, user, number, &raw)).await?;
    Ok(HttpResponse::Created().json(charge_json(&charge, &law)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropRequest {
    reason: String,
}

async fn drop_charge(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, i32)>,
    body: web::Json<DropRequest>,
) -> Result<HttpResponse, AppError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let reason = body.into_inner().reason;
    let (charge, law) =
        changed(&state, user, number, move |conn, user| service::drop_charge(conn, user, number, count, &reason))
            .await?;
    Ok(HttpResponse::Ok().json(charge_json(&charge, &law)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargedRequest {
    date: String,
    instrument: String,
}

/// Records the filing that charged a count (its limitation clock stops); once only.
async fn record_charging(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, i32)>,
    body: web::Json<ChargedRequest>,
) -> Result<HttpResponse, AppError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let b = body.into_inner();
    let (charge, law) = changed(&state, user, number, move |conn, user| {
        service::record_charging(conn, user, number, count, &b.date, &b.instrument)
    })
    .await?;
    Ok(HttpResponse::Ok().json(charge_json(&charge, &law)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    direction: String,
}

/// Moves a count up or down in the prosecutor's order; answers with the counts as renumbered.
async fn move_charge(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<(String, i32)>,
    body: web::Json<MoveRequest>,
) -> Result<HttpResponse, AppError> {
    let (incident, count) = path.into_inner();
    let number = incident_number(&incident)?;
    let direction = body
        .into_inner()
        .direction
        .parse::<crate::domain::charge::MoveDirection>()
        .map_err(|e| crate::domain::ValidationErrors::single("direction", e))?;
    let (charges, law) =
        changed(&state, user, number, move |conn, user| service::move_count(conn, user, number, count, direction))
            .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": charges.iter().map(|c| charge_json(c, &law)).collect::<Vec<_>>() })))
}

fn mapping_json(mapping: &Mapping, reviews: Option<&[Review]>) -> serde_json::Value {
    let mut value = serde_json::to_value(mapping).unwrap_or_default();
    value["proposed_at"] = json!(rfc3339(mapping.proposed_at));
    value["updated_at"] = json!(rfc3339(mapping.updated_at));
    if let Some(reviews) = reviews {
        value["reviews"] = json!(
            reviews
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    v["reviewed_at"] = json!(rfc3339(r.reviewed_at));
                    v
                })
                .collect::<Vec<_>>()
        );
    }
    value
}

async fn list_mappings(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let mappings = state.run(move |conn| service::mappings(conn, &user, number)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": mappings.iter().map(|m| mapping_json(m, None)).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinBody {
    kind: String,
    cite: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingRequest {
    count: i32,
    element: String,
    exhibit: String,
    #[serde(default)]
    pin: Option<PinBody>,
    #[serde(default)]
    rationale: String,
}

async fn propose(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<MappingRequest>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let b = body.into_inner();
    let raw = RawMapping {
        count: Some(b.count),
        element: b.element,
        exhibit: b.exhibit,
        pin_kind: b.pin.as_ref().map(|p| p.kind.clone()),
        pin_cite: b.pin.map(|p| p.cite),
        rationale: b.rationale,
    };
    let store = state.store.clone();
    let mapping = state.run(move |conn| service::propose(conn, store.as_ref(), &user, number, &raw)).await?;
    Ok(HttpResponse::Created().json(mapping_json(&mapping, Some(&[]))))
}

async fn show_mapping(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = mapping_id(&path)?;
    let (incident, mapping, reviews) = state.run(move |conn| service::mapping(conn, &user, id)).await?;
    let mut body = mapping_json(&mapping, Some(&reviews));
    body["incident"] = json!(incident.number);
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn review(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, AppError> {
    let id = mapping_id(&path)?;
    let b = body.into_inner();
    let raw = RawReview { decision: b.decision, comment: b.comment };
    let (mapping, reviews) = state
        .run(move |conn| {
            let mapping = service::review(conn, &user, id, &raw)?;
            let (_, _, reviews) = service::mapping(conn, &user, id)?;
            Ok((mapping, reviews))
        })
        .await?;
    Ok(HttpResponse::Ok().json(mapping_json(&mapping, Some(&reviews))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    #[serde(default)]
    reason: String,
}

async fn correct(
    state: web::Data<AppState>,
    user: crate::domain::user::User,
    id: crate::domain::ids::MappingId,
    decision: crate::domain::charge::ReviewDecision,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let (mapping, reviews) = state
        .run(move |conn| {
            let mapping = service::correct(conn, &user, id, decision, &reason)?;
            let (_, _, reviews) = service::mapping(conn, &user, id)?;
            Ok((mapping, reviews))
        })
        .await?;
    Ok(HttpResponse::Ok().json(mapping_json(&mapping, Some(&reviews))))
}

/// The proposer withdraws a proposal nobody has reviewed; kept, with its history.
async fn withdraw(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<CorrectionRequest>,
) -> Result<HttpResponse, AppError> {
    let id = mapping_id(&path)?;
    correct(state, user, id, crate::domain::charge::ReviewDecision::Withdrawn, body.into_inner().reason).await
}

/// A supervisor revokes an acceptance, with the reason; kept, with its history.
async fn revoke(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    body: web::Json<CorrectionRequest>,
) -> Result<HttpResponse, AppError> {
    let id = mapping_id(&path)?;
    correct(state, user, id, crate::domain::charge::ReviewDecision::Revoked, body.into_inner().reason).await
}

fn coverage_json(row: &ChargeCoverage, law: &Law) -> serde_json::Value {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    value["charge"] = charge_json(&row.charge, law);
    value
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// Only the counts that charge this defendant (a person id).
    #[serde(default)]
    defendant: Option<String>,
}

async fn coverage(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    path: web::Path<String>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = incident_number(&path)?;
    let defendant = match query.into_inner().defendant.filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(
            d.trim()
                .parse::<crate::domain::ids::PersonId>()
                .map_err(|_| crate::domain::ValidationErrors::single("defendant", "is not a person id"))?,
        ),
        None => None,
    };
    let (incident, rows, law, people) = state
        .run(move |conn| {
            let service::Coverage { incident, rows, law, .. } = service::coverage(conn, &user, number)?;
            let people = crate::services::people::of_incident(conn, &incident)?;
            Ok((incident, rows, law, people))
        })
        .await?;
    let charged: Vec<_> = people
        .into_iter()
        .filter(|p| p.role == crate::domain::person::PersonRole::Defendant && defendant.is_none_or(|d| d == p.id))
        .collect();
    let exposure = crate::domain::exposure::exposure(&law, &rows, &charged, &incident.details.victims);
    let rows: Vec<&ChargeCoverage> =
        rows.iter().filter(|r| defendant.is_none_or(|d| r.charge.defendants.contains(&d))).collect();
    Ok(HttpResponse::Ok().json(json!({
        "incident": incident.number,
        "catalog_version": service::catalog()?.version,
        "defendant": defendant,
        "charges": rows.into_iter().map(|r| coverage_json(r, &law)).collect::<Vec<_>>(),
        "exposure": exposure,
    })))
}

/// The review queue is listed in pages: a busy office's can hold thousands.
const QUEUE_PER_PAGE_MAX: i64 = 500;

async fn queue(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    query: web::Query<super::SliceQuery>,
) -> Result<HttpResponse, AppError> {
    let (position, per_page) = query.parse(QUEUE_PER_PAGE_MAX)?;
    let queue = state
        .run(move |conn| service::review_queue(conn, &user, position, per_page, crate::domain::incident::COUNT_CAP))
        .await?;
    Ok(HttpResponse::Ok().json(super::SliceBody::of(queue, |(incident, m)| {
        let mut v = mapping_json(&m, None);
        v["incident"] = json!(incident);
        v
    })))
}

async fn deadlines(state: web::Data<AppState>, ApiUser(user): ApiUser) -> Result<HttpResponse, AppError> {
    let items = state.run(move |conn| service::nearest_deadlines(conn, &user, 50)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
