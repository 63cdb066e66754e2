use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

use super::views::Choice;
use super::{format_time, redirect, render, render_with};
use crate::domain::ValidationErrors;
use crate::domain::analysis::{AnalysisKind, AnalysisRecord};
use crate::domain::custody::{CustodyAction, CustodyEvent, RawCustodyEvent, current_custodian, in_time_order};
use crate::domain::evidence::{Exhibit, ExhibitKind, RawAcquisition, RawExhibit};
use crate::domain::ids::IncidentNumber;
use crate::domain::policy::{self, CaseWork};
use crate::error::{AppError, PageError};
use crate::routes::api::evidence::run_verification;
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::upload::{read_form_fields, stream_to_blob};
use crate::routes::{exhibit_number, incident_number};
use crate::services::verify::VerificationReport;
use crate::services::{evidence as service, incidents};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents/{incident}/exhibits", web::get().to(list))
        .route("/incidents/{incident}/exhibits/new", web::get().to(new_form))
        .route("/incidents/{incident}/exhibits", web::post().to(upload))
        .route("/exhibits/{exhibit}", web::get().to(show))
        .route("/exhibits/{exhibit}/custody", web::post().to(record_custody))
        .route("/exhibits/{exhibit}/verify", web::post().to(verify))
        .route("/exhibits/{exhibit}/proof.json", web::get().to(proof))
        .route("/exhibits/{exhibit}/download", web::get().to(download))
        .route("/exhibits/{exhibit}/parent", web::post().to(set_parent))
        .route("/exhibits/{exhibit}/view", web::get().to(view));
}

/// The upload form's typed values, kept when it is shown again.
#[derive(Default)]
struct UploadForm {
    kind: String,
    description: String,
    source: String,
    method: String,
    tool: String,
    acquired_by: String,
    acquired_at: String,
    location: String,
    legal_authority: String,
    parent: String,
    sha256: String,
}

impl UploadForm {
    fn from_fields(fields: &HashMap<String, String>) -> Self {
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        UploadForm {
            kind: get("kind"),
            description: get("description"),
            source: get("source"),
            method: get("method"),
            tool: get("tool"),
            acquired_by: get("acquired_by"),
            acquired_at: get("acquired_at"),
            location: get("location"),
            legal_authority: get("legal_authority"),
            parent: get("parent"),
            sha256: get("sha256"),
        }
    }

    fn to_raw(&self) -> RawExhibit {
        let optional = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        RawExhibit {
            kind: self.kind.clone(),
            description: self.description.clone(),
            source: self.source.clone(),
            acquisition: RawAcquisition {
                method: self.method.clone(),
                tool: self.tool.clone(),
                acquired_by: self.acquired_by.clone(),
                acquired_at: self.acquired_at.clone(),
                location: self.location.clone(),
                legal_authority: self.legal_authority.clone(),
            },
            parent: optional(&self.parent),
            sha256: optional(&self.sha256),
            file_name: None,
            media_type: None,
        }
    }
}

/// Exhibits listed per page.
const EXHIBITS_PER_PAGE: i64 = 50;

/// An exhibit as a list shows it.
pub(super) struct ExhibitLine {
    pub number: String,
    pub kind: &'static str,
    pub description: String,
    pub file: String,
    pub sha256: String,
    pub acquired: String,
}

impl ExhibitLine {
    pub fn new(e: &Exhibit) -> ExhibitLine {
        ExhibitLine {
            number: e.number.to_string(),
            kind: e.kind.label(),
            description: e.description.clone(),
            file: e.file.as_ref().map_or_else(
                || "No file".into(),
                |f| format!("{} ({})", f.name.as_deref().unwrap_or("unnamed"), size_text(f.size)),
            ),
            sha256: e.file.as_ref().map_or_else(|| "no file".into(), |f| f.sha256.clone()),
            acquired: format_time(e.acquisition.acquired_at),
        }
    }
}

#[derive(Template)]
#[template(path = "exhibits/list.html")]
struct ListPage {
    chrome: Chrome,
    number: String,
    title: String,
    exhibits: Vec<ExhibitLine>,
    total: i64,
    first: i64,
    page: i64,
    page_count: i64,
    kinds: Vec<Choice>,
    /// "count 3, element WIRE-E2" where the list is narrowed to one element.
    offered_for: Option<(i32, String)>,
    /// The query string of the filters, for the pager's links.
    filter_query: String,
    can_write: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    element: String,
    #[serde(default)]
    page: String,
}

/// An incident's exhibits in pages, optionally of one kind or offered for one element.
async fn list(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let kind = match query.kind.trim() {
        "" => None,
        k => Some(k.parse::<ExhibitKind>().map_err(|e| AppError::bad_request("invalid_kind", e))?),
    };
    let offered_for = match (query.count.trim(), query.element.trim()) {
        ("", "") => None,
        (count, element) if !element.is_empty() => {
            let count =
                count.parse::<i32>().ok().filter(|c| *c > 0).ok_or_else(|| {
                    AppError::bad_request("invalid_count", format!("'{count}' is not a count number"))
                })?;
            Some((count, element.to_owned()))
        }
        _ => return Err(AppError::bad_request("invalid_element", "name both the count and the element").into()),
    };
    let exhibit_query = service::ExhibitQuery {
        kind,
        offered_for: offered_for.clone(),
        page: super::page_number(&query.page)?,
        per_page: EXHIBITS_PER_PAGE,
    };
    let viewer = user.user().clone();
    let (incident, page) = state.run(move |conn| service::page(conn, &viewer, number, &exhibit_query)).await?;
    // The filters again, for the pager's links.
    let mut filters: Vec<(&str, String)> = Vec::new();
    if let Some(k) = kind {
        filters.push(("kind", k.as_str().to_owned()));
    }
    if let Some((count, element)) = &offered_for {
        filters.push(("count", count.to_string()));
        filters.push(("element", element.clone()));
    }
    let filter_query =
        serde_html_form::to_string(&filters).map_err(|e| AppError::internal(format!("query string: {e}")))?;
    render(&ListPage {
        number: incident.number.to_string(),
        title: incident.details.title.clone(),
        exhibits: page.items.iter().map(ExhibitLine::new).collect(),
        total: page.total,
        first: (page.page - 1) * page.per_page + 1,
        page: page.page,
        page_count: page.page_count(),
        kinds: ExhibitKind::ALL
            .iter()
            .map(|k| Choice { code: k.as_str(), label: k.label(), selected: Some(*k) == kind })
            .collect(),
        offered_for,
        filter_query,
        can_write: policy::work_on(user.user(), &incident, CaseWork::AddEvidence).is_ok(),
        chrome: user.chrome,
    })
}

#[derive(Template)]
#[template(path = "exhibits/new.html")]
struct NewPage {
    chrome: Chrome,
    incident_number: String,
    kinds: Vec<Choice>,
    form: UploadForm,
    errors: ValidationErrors,
    error: Option<String>,
}

fn new_page(
    chrome: Chrome,
    number: IncidentNumber,
    form: UploadForm,
    errors: ValidationErrors,
    error: Option<String>,
) -> NewPage {
    let kinds = ExhibitKind::ALL
        .iter()
        .map(|k| Choice { code: k.as_str(), label: k.label(), selected: k.as_str() == form.kind })
        .collect();
    NewPage { chrome, incident_number: number.to_string(), kinds, form, errors, error }
}

async fn new_form(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    let viewer = user.user().clone();
    let incident = state.run(move |conn| incidents::get(conn, &viewer, number)).await?;
    policy::work_on(user.user(), &incident, CaseWork::AddEvidence)?;
    let form = UploadForm { acquired_by: user.user().full_name.clone(), ..Default::default() };
    render(&new_page(user.chrome, number, form, ValidationErrors::new(), None))
}

/// The browser's multipart upload: text fields (the CSRF token first), then the file. The
/// token and the description are checked before the file is read.
async fn upload(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let number = incident_number(&path)?;
    // Who may add evidence here is settled before a byte of the body is read.
    let viewer = user.user().clone();
    let incident = state.run(move |conn| incidents::get(conn, &viewer, number)).await?;
    policy::work_on(user.user(), &incident, CaseWork::AddEvidence)?;
    let (fields, file) = read_form_fields(&mut payload, "file").await?;
    let sent = fields.get("csrf_token").cloned().unwrap_or_default();
    if !auth::csrf_matches(&user.chrome.csrf, &sent) {
        return Err(AppError::CsrfRejected.into());
    }
    let form = UploadForm::from_fields(&fields);
    let mut raw = form.to_raw();
    // A file input left empty still sends a part, with no file name.
    let file = file.filter(|f| f.content_disposition().and_then(|cd| cd.get_filename()).is_some_and(|n| !n.is_empty()));
    if let Some(f) = &file {
        raw.file_name = f.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        raw.media_type = f.content_type().map(|m| m.to_string());
    }
    let actor = user.user().clone();
    let prepared = match state.run(move |conn| service::prepare(conn, &actor, number, &raw)).await {
        Ok(prepared) => prepared,
        Err(AppError::Validation(errors)) => {
            return render_with(StatusCode::UNPROCESSABLE_ENTITY, &new_page(user.chrome, number, form, errors, None));
        }
        Err(other) => return Err(other.into()),
    };
    let blob = match file {
        Some(f) => Some(stream_to_blob(state.store.clone(), f, state.settings.max_upload_bytes).await?),
        None => None,
    };
    let store = state.store.clone();
    let ledger = state.ledger.clone();
    let result = state
        .run(move |conn| {
            let exhibit = service::register(conn, store.as_ref(), prepared, blob)?;
            ledger.checkpoint(conn)?;
            Ok(exhibit)
        })
        .await;
    match result {
        Ok(exhibit) => {
            crate::routes::api::analyses::read_credentials_after_upload(&state, user.user(), &exhibit);
            let digest = exhibit.file.as_ref().map(|f| format!(" SHA-256 {}.", f.sha256)).unwrap_or_default();
            auth::flash(&user.session, FlashKind::Success, format!("Exhibit {} registered.{digest}", exhibit.number));
            Ok(redirect(&format!("/exhibits/{}", exhibit.number)))
        }
        Err(AppError::Conflict { detail, .. }) => render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(user.chrome, number, form, ValidationErrors::new(), Some(detail)),
        ),
        Err(other) => Err(other.into()),
    }
}

struct FileView {
    name: String,
    size: String,
    sha256: String,
    sha1: String,
    md5: String,
}

struct EventView {
    seq: i32,
    /// Its place in time, where that differs from the order it was recorded in (`seq`).
    happened_as: Option<usize>,
    action: &'static str,
    occurred_at: String,
    recorded_at: String,
    actor: String,
    movement: String,
    lines: Vec<String>,
    digest: Option<String>,
    event_hash: String,
    ledger_index: i64,
}

struct FindingView {
    place: String,
    problem: String,
    expected: String,
    found: String,
}

struct VerificationView {
    intact: bool,
    at: String,
    /// What the file check established, in a clause.
    file: &'static str,
    /// What the ledger check established, in a clause.
    ledger: String,
    findings: Vec<FindingView>,
}

#[derive(Default)]
struct CustodyForm {
    occurred_at: String,
    from_custodian: String,
    to_custodian: String,
    location: String,
    purpose: String,
    authority: String,
    seal_number: String,
    seal_condition: String,
    digest_observed: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "exhibits/show.html")]
struct ShowPage {
    chrome: Chrome,
    /// Whether the exhibit may be relied on, and if not, why.
    sound: bool,
    /// "last verified 2026-11-27 19:47 UTC", or that it has not been.
    last_verified: String,
    impairments: Vec<String>,
    /// Why no FRE 902(14) certification can be drafted, if it cannot.
    cannot_certify: Option<String>,
    number: String,
    incident_number: String,
    kind: &'static str,
    description: String,
    source: String,
    method: String,
    tool: String,
    acquired_by: String,
    acquired_at: String,
    location: String,
    authority: String,
    parent: Option<String>,
    custodian: String,
    file: Option<FileView>,
    disposed: bool,
    events: Vec<EventView>,
    verification: Option<VerificationView>,
    verifier_key: String,
    can_record: bool,
    can_write: bool,
    mappings: Vec<super::views::MappingView>,
    tags: Vec<String>,
    suggestions: Vec<SuggestionView>,
    has_charges: bool,
    actions: Vec<Choice>,
    /// An image, audio or video file: content credentials apply.
    media: bool,
    can_analyse: bool,
    analyses: Vec<AnalysisRow>,
    credentials: Option<CredentialsView>,
    caution: &'static str,
    /// The latest agent-run timeline, drawn as its chains (the first `RUN_LINES` lines).
    run: Option<RunView>,
    form: CustodyForm,
    errors: ValidationErrors,
}

/// An element the exhibit might prove, for a candidate count.
struct SuggestionView {
    count: i32,
    element: String,
    text: String,
    because: String,
}

fn or_dash(value: &str) -> String {
    if value.trim().is_empty() { "—".into() } else { value.to_owned() }
}

/// "1,234,567 bytes (1.2 MiB)"
fn size_text(bytes: i64) -> String {
    let digits = bytes.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let units = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    let size = u64::try_from(bytes).unwrap_or(0);
    match units.iter().find(|(_, unit)| size >= *unit) {
        Some((name, unit)) => format!("{grouped} bytes ({:.1} {name})", size as f64 / *unit as f64),
        None => format!("{grouped} bytes"),
    }
}

fn event_view(e: &CustodyEvent) -> EventView {
    let d = &e.details;
    let movement = match (&d.from_custodian, &d.to_custodian) {
        (Some(from), Some(to)) => format!("From {from} to {to}"),
        (None, Some(to)) => format!("To {to}"),
        (Some(from), None) => format!("From {from}"),
        (None, None) => String::new(),
    };
    let mut lines = Vec::new();
    for (label, value) in [("Location", &d.location), ("Purpose", &d.purpose), ("Authority", &d.authority)] {
        if let Some(v) = value {
            lines.push(format!("{label}: {v}"));
        }
    }
    if let Some(seal) = &d.seal_number {
        lines.push(format!("Seal {seal}{}", d.seal_condition.as_ref().map(|c| format!(", {c}")).unwrap_or_default()));
    }
    if !d.notes.is_empty() {
        lines.push(d.notes.clone());
    }
    EventView {
        seq: e.seq,
        happened_as: None,
        action: e.action.label(),
        occurred_at: format_time(e.occurred_at),
        recorded_at: format_time(e.recorded_at),
        actor: e.actor.clone(),
        movement,
        lines,
        digest: d.digest_observed.as_ref().map(|digest| match e.digest_matched {
            Some(true) => format!("SHA-256 observed {digest}: matches"),
            Some(false) => format!("SHA-256 observed {digest}: DOES NOT MATCH the recorded digest"),
            None => format!("SHA-256 observed {digest}"),
        }),
        event_hash: e.event_hash.clone(),
        ledger_index: e.ledger_index,
    }
}

fn verification_view(report: &VerificationReport) -> VerificationView {
    VerificationView {
        intact: report.intact(),
        at: format_time(crate::domain::now_utc()),
        file: if report.blobs_checked > 0 {
            "the file re-hashes to its recorded SHA-256"
        } else {
            "it has no file to re-hash"
        },
        ledger: match report.checkpoint_size {
            Some(size) if report.leaves_proved == report.leaves_checked => format!(
                "each of its {} ledger leaves is proved, by an inclusion proof, to be in the ledger's signed checkpoint of size {size}",
                report.leaves_checked
            ),
            Some(size) => format!(
                "{} of its {} ledger leaves are proved, by inclusion proofs, to be in the ledger's signed checkpoint of size {size}; the others were recorded after it",
                report.leaves_proved, report.leaves_checked
            ),
            None => "the ledger has no signed checkpoint yet to prove its leaves against".into(),
        },
        findings: report
            .findings
            .iter()
            .map(|f| FindingView {
                place: match (&f.exhibit, f.event) {
                    (Some(x), Some(e)) => format!("{x}, custody event {e}"),
                    (Some(x), None) => x.clone(),
                    _ => f.ledger_index.map(|i| format!("ledger leaf {i}")).unwrap_or_else(|| "ledger".into()),
                },
                problem: f.problem.clone(),
                expected: f.expected.clone(),
                found: f.found.clone(),
            })
            .collect(),
    }
}

async fn page(
    state: &web::Data<AppState>,
    user: SessionUser,
    number: crate::domain::evidence::ExhibitNumber,
    verification: Option<VerificationReport>,
    form: CustodyForm,
    errors: ValidationErrors,
) -> Result<ShowPage, PageError> {
    let viewer = user.user().clone();
    let (incident, exhibit, events, (status, latest), elements, (analyses, credentials, run)): (
        _,
        Exhibit,
        Vec<CustodyEvent>,
        _,
        _,
        _,
    ) = state
        .run(move |conn| {
            let (incident, exhibit) = service::get(conn, &viewer, number)?;
            let events = service::events(conn, &exhibit)?;
            let status = service::custody_status_of(conn, &exhibit, &events)?;
            let latest = service::latest_verification(conn, &exhibit)?;
            let elements = crate::services::charges::for_exhibit(conn, &incident, &exhibit)?;
            let analyses = crate::services::analyses::of(conn, &exhibit)?;
            let credentials =
                crate::services::analyses::latest_preview(conn, &exhibit, AnalysisKind::ContentCredentials)?;
            let run = match analyses.iter().any(|a| a.kind == AnalysisKind::AgentRun) {
                true => crate::services::analyses::latest_preview(conn, &exhibit, AnalysisKind::AgentRun)?,
                false => None,
            };
            Ok((incident, exhibit, events, (status, latest), elements, (analyses, credentials, run)))
        })
        .await?;
    let incident_text = incident.number.to_string();
    let mut suggestions = Vec::new();
    for s in &elements.suggestions {
        for charge in elements.charges.iter().filter(|c| c.offense_id == s.offense.id) {
            let already = elements.mappings.iter().any(|m| m.count == charge.count && m.element_id == s.element.id);
            if !already {
                suggestions.push(SuggestionView {
                    count: charge.count,
                    element: s.element.id.clone(),
                    text: s.element.text.clone(),
                    because: s.because.to_owned(),
                });
            }
        }
    }
    let can_write = policy::work_on(user.user(), &incident, CaseWork::RecordCustody).is_ok();
    let disposed = events.iter().any(|e| e.action == CustodyAction::Disposed);
    let a = &exhibit.acquisition;
    Ok(ShowPage {
        number: exhibit.number.to_string(),
        incident_number: incident.number.to_string(),
        kind: exhibit.kind.label(),
        description: exhibit.description.clone(),
        source: or_dash(&exhibit.source),
        method: or_dash(&a.method),
        tool: or_dash(&a.tool),
        acquired_by: a.acquired_by.clone(),
        acquired_at: format_time(a.acquired_at),
        location: or_dash(&a.location),
        authority: or_dash(&a.legal_authority),
        parent: exhibit.parent.map(|p| p.to_string()),
        custodian: current_custodian(&events).unwrap_or_else(|| "—".into()),
        file: exhibit.file.as_ref().map(|f| FileView {
            name: f.name.clone().unwrap_or_else(|| "—".into()),
            size: size_text(f.size),
            sha256: f.sha256.clone(),
            sha1: f.sha1.clone().unwrap_or_else(|| "being computed…".into()),
            md5: f.md5.clone().unwrap_or_else(|| "being computed…".into()),
        }),
        disposed,
        events: in_time_order(&events)
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let mut view = event_view(e);
                view.happened_as = (usize::try_from(e.seq).ok() != Some(i + 1)).then_some(i + 1);
                view
            })
            .collect(),
        sound: status.sound(),
        last_verified: match &latest {
            Some(v) if v.intact => format!("last verified {}", format_time(v.at)),
            Some(v) => format!("last verification, {}, failed", format_time(v.at)),
            None => "not yet re-verified against the ledger".into(),
        },
        impairments: status
            .impairments
            .iter()
            .map(|i| match i.event {
                Some(seq) => format!("Event #{seq}: {}", i.reason),
                None => i.reason.clone(),
            })
            .collect(),
        cannot_certify: crate::domain::policy::certify(&exhibit, &status).err().map(|r| r.to_string()),
        verification: verification.as_ref().map(verification_view),
        verifier_key: state.ledger.verifier_key().to_owned(),
        can_record: !disposed && can_write,
        can_write,
        mappings: elements
            .mappings
            .iter()
            .map(|m| super::views::mapping_view(&incident_text, m, &elements.law))
            .collect(),
        tags: elements.tags.clone(),
        suggestions,
        has_charges: !elements.charges.is_empty(),
        actions: CustodyAction::ALL
            .iter()
            .filter(|a| a.recordable())
            .map(|a| Choice { code: a.as_str(), label: a.label(), selected: false })
            .collect(),
        media: crate::analysis::credentials::applies_to(exhibit.file.as_ref().and_then(|f| f.media_type.as_deref())),
        can_analyse: can_write && !disposed && exhibit.file.is_some(),
        analyses: analyses.iter().map(analysis_row).collect(),
        credentials: credentials.as_ref().and_then(credentials_view),
        caution: crate::analysis::credentials::ABSENCE_CAUTION,
        run: run.as_ref().and_then(|a| {
            let t = a.timeline()?;
            let (chains, more) = super::analyses::chain_views(t, RUN_LINES);
            Some(RunView { seq: a.record.seq, complete: t.is_complete(), chains, more })
        }),
        form,
        errors,
        chrome: user.chrome,
    })
}

/// Lines of the agent-run chains the exhibit page draws; the timeline page has every one.
const RUN_LINES: usize = 40;

struct RunView {
    seq: i32,
    complete: bool,
    chains: Vec<super::analyses::ChainView>,
    more: bool,
}

/// One recorded analysis, as the exhibit page lists it.
struct AnalysisRow {
    seq: i32,
    kind: &'static str,
    tool: String,
    summary: String,
    recorded: String,
    custody_seq: i32,
    link: Option<String>,
}

fn analysis_row(r: &AnalysisRecord) -> AnalysisRow {
    AnalysisRow {
        seq: r.seq,
        kind: r.kind.label(),
        tool: format!("{} {}", r.tool, r.tool_version),
        summary: r.summary.clone(),
        recorded: format!("{}, {}", r.recorded_by, format_time(r.recorded_at)),
        custody_seq: r.custody_seq,
        link: (r.kind == AnalysisKind::AgentRun)
            .then(|| format!("/exhibits/{}/timeline?analysis={}", r.exhibit, r.seq)),
    }
}

/// The latest content-credentials reading, as the exhibit page shows it.
struct CredentialsView {
    seq: i32,
    summary: String,
    read: bool,
    ai_declared: Option<String>,
    binding: &'static str,
    binding_holds: bool,
    claim_generator: String,
    signer: String,
    signer_status: &'static str,
    signed_at: String,
    actions: Vec<String>,
    failures: Vec<String>,
    recorded: String,
    tool: String,
}

fn credentials_view(a: &crate::domain::analysis::Analysis) -> Option<CredentialsView> {
    use crate::analysis::credentials::{Binding, Outcome};
    let c = a.credentials()?;
    let dash = || "\u{2014}".to_owned();
    Some(CredentialsView {
        seq: a.record.seq,
        summary: c.summary(),
        read: c.outcome == Outcome::Read,
        ai_declared: c.ai_declared.clone(),
        binding: match c.binding {
            Binding::Holds => "holds: the file's bytes hash as the manifest recorded them",
            Binding::Fails => "FAILS: the file's bytes were changed after the manifest was signed",
            Binding::NotChecked => "not checked by the reader",
        },
        binding_holds: c.binding == Binding::Holds,
        claim_generator: c.claim_generator.clone().unwrap_or_else(dash),
        signer: c
            .signer
            .as_ref()
            .map(|s| match (&s.common_name, &s.issuer) {
                (Some(cn), Some(issuer)) => format!("{cn} (issued by {issuer})"),
                (Some(cn), None) => cn.clone(),
                (None, Some(issuer)) => format!("issued by {issuer}"),
                (None, None) => dash(),
            })
            .unwrap_or_else(dash),
        signer_status: c.signer.as_ref().map_or("", |s| s.status.label()),
        signed_at: c.signer.as_ref().and_then(|s| s.signed_at.clone()).unwrap_or_else(|| "no time stamp".into()),
        actions: c
            .actions
            .iter()
            .map(|x| {
                let mut line = x.action.clone();
                if let Some(t) = &x.digital_source_type {
                    line.push_str(&format!(" \u{b7} source type {t}"));
                }
                if let Some(agent) = &x.software_agent {
                    line.push_str(&format!(" \u{b7} by {agent}"));
                }
                line
            })
            .collect(),
        failures: c
            .failures
            .iter()
            .map(|f| match &f.explanation {
                Some(e) => format!("{} ({e})", f.code),
                None => f.code.clone(),
            })
            .collect(),
        recorded: format!("{}, {}", a.record.recorded_by, format_time(a.record.recorded_at)),
        tool: format!("{} {}", a.record.tool, a.record.tool_version),
    })
}

async fn show(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    render(&page(&state, user, number, None, CustodyForm::default(), ValidationErrors::new()).await?)
}

#[derive(Deserialize)]
struct CustodyFormBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    from_custodian: String,
    #[serde(default)]
    to_custodian: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    seal_number: String,
    #[serde(default)]
    seal_condition: String,
    #[serde(default)]
    digest_observed: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    confirm: String,
}

async fn record_custody(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(body): CsrfForm<CustodyFormBody>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let some = |v: &str| Some(v.to_owned()).filter(|v| !v.trim().is_empty());
    let raw = RawCustodyEvent {
        action: body.action.clone(),
        from_custodian: some(&body.from_custodian),
        to_custodian: some(&body.to_custodian),
        occurred_at: some(&body.occurred_at),
        location: some(&body.location),
        purpose: some(&body.purpose),
        authority: some(&body.authority),
        seal_number: some(&body.seal_number),
        seal_condition: some(&body.seal_condition),
        digest_observed: some(&body.digest_observed),
        notes: some(&body.notes),
    };
    let form = CustodyForm {
        occurred_at: body.occurred_at,
        from_custodian: body.from_custodian,
        to_custodian: body.to_custodian,
        location: body.location,
        purpose: body.purpose,
        authority: body.authority,
        seal_number: body.seal_number,
        seal_condition: body.seal_condition,
        digest_observed: body.digest_observed,
        notes: body.notes,
    };
    let irreversible = body.action.parse::<CustodyAction>().is_ok_and(|a| a.irreversible());
    if irreversible && body.confirm != "yes" {
        let errors = ValidationErrors::single("confirm", "a release or disposal must be confirmed with the checkbox");
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, user, number, None, form, errors).await?);
    }
    let actor = user.user().clone();
    let ledger = state.ledger.clone();
    let result = state
        .run(move |conn| {
            let event = service::record_custody(conn, &actor, number, &raw)?;
            ledger.checkpoint(conn)?;
            Ok(event)
        })
        .await;
    match result {
        Ok(event) => {
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("{} recorded as custody event {}.", event.action.label(), event.seq),
            );
            Ok(redirect(&format!("/exhibits/{number}")))
        }
        Err(AppError::Validation(errors)) => {
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, user, number, None, form, errors).await?)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn verify(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let report = run_verification(&state, user.user().clone(), number).await?;
    render(&page(&state, user, number, Some(report), CustodyForm::default(), ValidationErrors::new()).await?)
}

async fn proof(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let ledger = state.ledger.clone();
    let viewer = user.user().clone();
    let bundle = state.run(move |conn| service::proof_bundle(conn, ledger.as_ref(), &viewer, number)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{number}-proof.json\"")))
        .json(bundle))
}

/// The exhibit's file, downloaded or viewed (each recorded in the audit trail).
async fn open_file(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    access: crate::services::evidence::FileAccess,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let user = user.user().clone();
    Ok(crate::routes::evidence_file::respond(req, state, user, number, access).await?)
}

/// The original file, downloaded.
async fn download(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    open_file(req, state, user, path, crate::services::evidence::FileAccess::Download).await
}

/// The file shown in the browser where it can be shown safely (text as plain text, images,
/// PDF, audio, video), a pin cite's place in the URL fragment; otherwise downloaded.
async fn view(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    open_file(req, state, user, path, crate::services::evidence::FileAccess::View).await
}

#[derive(Deserialize)]
struct ParentForm {
    #[serde(default)]
    parent: String,
}

/// Records, once, the exhibit this one was taken from.
async fn set_parent(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ParentForm>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let actor = user.user().clone();
    match state.run(move |conn| crate::services::evidence::set_parent(conn, &actor, number, &form.parent)).await {
        Ok(x) => auth::flash(
            &user.session,
            FlashKind::Success,
            format!("{number} recorded as taken from {}.", x.parent.map(|p| p.to_string()).unwrap_or_default()),
        ),
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Nothing changed: {}.", errors.messages()))
        }
        Err(AppError::Conflict { detail, .. }) => auth::flash(&user.session, FlashKind::Error, detail),
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/exhibits/{number}")))
}
