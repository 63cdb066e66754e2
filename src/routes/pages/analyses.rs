use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{format_time, redirect, render};
use crate::analysis::agent_run::{Step, StepKind, StepStatus, Timeline};
use crate::domain::analysis::{AnalysisKind, RawAnalysisRequest};
use crate::domain::policy::{self, CaseWork};
use crate::error::{AppError, PageError};
use crate::routes::api::analyses::{run_analysis, timeline_of};
use crate::routes::auth::{self, Chrome, CsrfForm, FlashKind, SessionUser};
use crate::routes::exhibit_number;
use crate::services::analyses::Trigger;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/exhibits/{exhibit}/analyses", web::post().to(create))
        .route("/exhibits/{exhibit}/timeline", web::get().to(timeline));
}

#[derive(Deserialize)]
struct AnalysisForm {
    #[serde(default)]
    kind: String,
}

async fn create(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<AnalysisForm>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let raw = RawAnalysisRequest { kind: form.kind };
    match run_analysis(&state, user.user().clone(), number, raw, Trigger::OnRequest).await {
        Ok(analysis) => {
            let r = &analysis.record;
            auth::flash(
                &user.session,
                FlashKind::Success,
                format!("Analysis {} recorded as custody event {}: {}", r.seq, r.custody_seq, r.summary),
            );
            Ok(match r.kind {
                AnalysisKind::AgentRun => redirect(&format!("/exhibits/{number}/timeline?analysis={}", r.seq)),
                AnalysisKind::ContentCredentials => redirect(&format!("/exhibits/{number}#credentials")),
            })
        }
        // A refused record changes nothing: the exhibit page says why, with the line.
        Err(AppError::Validation(errors)) => {
            auth::flash(&user.session, FlashKind::Error, format!("Nothing was recorded: {}", errors.messages()));
            Ok(redirect(&format!("/exhibits/{number}#analyses")))
        }
        Err(AppError::Conflict { detail, .. }) => {
            auth::flash(&user.session, FlashKind::Error, detail);
            Ok(redirect(&format!("/exhibits/{number}")))
        }
        Err(other) => Err(other.into()),
    }
}

/// One step as the page shows it.
pub(super) struct StepView {
    pub(super) n: u32,
    pub(super) depth: u32,
    pub(super) kind: &'static str,
    pub(super) kind_code: &'static str,
    pub(super) at: String,
    pub(super) cite: String,
    pub(super) summary: String,
    pub(super) targets: String,
    pub(super) status: &'static str,
    pub(super) result: String,
    pub(super) signals: Vec<&'static str>,
    pub(super) shortened: bool,
}

pub(super) fn step_view(s: &Step) -> StepView {
    StepView {
        n: s.n,
        depth: s.depth.min(6),
        kind: s.kind.label(),
        kind_code: match s.kind {
            StepKind::Instruction | StepKind::SystemInstruction => "instruction",
            StepKind::ToolCall => "tool",
            _ => "other",
        },
        at: s.at.clone().unwrap_or_else(|| "time not recorded".into()),
        cite: s.cite.text(),
        summary: match s.kind {
            StepKind::Instruction | StepKind::SystemInstruction => s.quoted(),
            _ => s.summary(),
        },
        targets: s.targets.join(", "),
        // A tool's success or failure is in its summary; only a missing outcome is said here.
        status: match (s.kind, s.status) {
            (StepKind::ToolCall, StepStatus::Unset) => "outcome not recorded",
            _ => "",
        },
        result: match s.kind {
            StepKind::ToolCall | StepKind::ModelTurn => s.text.clone().unwrap_or_default(),
            _ => String::new(),
        },
        signals: s.signals.iter().map(|g| g.label()).collect(),
        shortened: s.shortened,
    }
}

pub(super) struct ChainView {
    pub(super) instruction: Option<StepView>,
    pub(super) steps: Vec<StepView>,
}

struct SuggestionRow {
    step: u32,
    count: i32,
    offense: String,
    element: String,
    element_text: String,
    because: String,
    link: String,
}

/// The timeline's chains as a page shows them, at most `limit` lines (instructions and steps),
/// and whether any were left out (here, or already from the preview it was made of).
pub(super) fn chain_views(t: &Timeline, limit: usize) -> (Vec<ChainView>, bool) {
    let mut shown = 0usize;
    let mut chains = Vec::new();
    let mut left_out = t.omitted > 0;
    for c in t.chains() {
        if shown >= limit {
            left_out = true;
            break;
        }
        let room = limit.saturating_sub(shown + 1);
        left_out |= c.steps.len() > room;
        let steps: Vec<StepView> = c.steps.into_iter().take(room).map(step_view).collect();
        shown += steps.len() + 1;
        chains.push(ChainView { instruction: c.instruction.map(step_view), steps });
    }
    (chains, left_out)
}

/// Steps shown on one page; the rest are named, never silently left out.
const STEPS_SHOWN: usize = 2000;

#[derive(Template)]
#[template(path = "exhibits/timeline.html")]
struct TimelinePage {
    chrome: Chrome,
    number: String,
    incident_number: String,
    description: String,
    seq: i32,
    tool: String,
    exhibit_sha256: String,
    result_sha256: String,
    custody_seq: i32,
    ledger_index: i64,
    recorded_by: String,
    recorded_at: String,
    format: &'static str,
    dialect: String,
    complete: bool,
    gaps: Vec<String>,
    instructions: usize,
    tools: usize,
    chains: Vec<ChainView>,
    /// The chains stop at `STEPS_SHOWN` lines.
    chains_cut: bool,
    steps: Vec<StepView>,
    steps_left_out: usize,
    suggestions: Vec<SuggestionRow>,
    suggestions_not_listed: usize,
    can_propose: bool,
}

#[derive(Debug, Default, Deserialize)]
struct TimelineQuery {
    #[serde(default)]
    analysis: Option<i32>,
}

fn counts(t: &Timeline) -> (usize, usize) {
    (t.count(StepKind::Instruction), t.count(StepKind::ToolCall))
}

async fn timeline(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let (incident, exhibit, analysis, (suggestions, suggestions_not_listed)) =
        timeline_of(&state, user.user().clone(), number, query.analysis).await?;
    let can_propose = policy::work_on(user.user(), &incident, CaseWork::ProposeMappings).is_ok();
    let Some(t) = analysis.timeline() else { return Err(AppError::NotFound("agent-run timeline").into()) };
    let r = &analysis.record;
    let (instructions, tools) = counts(t);
    let (chains, chains_cut) = chain_views(t, STEPS_SHOWN);
    let suggestions = suggestions
        .into_iter()
        .map(|s| SuggestionRow {
            link: format!(
                "/incidents/{}/mappings/new?{}",
                incident.number,
                serde_html_form::to_string([
                    ("count", s.count.to_string()),
                    ("element", s.element_id.clone()),
                    ("exhibit", number.to_string()),
                    ("pin_kind", s.pin_kind.to_owned()),
                    ("pin_cite", s.pin_cite.clone()),
                    ("rationale", s.rationale.clone()),
                ])
                .unwrap_or_default()
            ),
            step: s.step,
            count: s.count,
            offense: s.offense,
            element: s.element_id,
            element_text: s.element_text,
            because: s.because,
        })
        .collect();
    render(&TimelinePage {
        chrome: user.chrome,
        number: number.to_string(),
        incident_number: incident.number.to_string(),
        description: exhibit.description.clone(),
        seq: r.seq,
        tool: format!("{} {}", r.tool, r.tool_version),
        exhibit_sha256: r.exhibit_sha256.clone(),
        result_sha256: r.result_sha256.clone(),
        custody_seq: r.custody_seq,
        ledger_index: r.ledger_index,
        recorded_by: r.recorded_by.clone(),
        recorded_at: format_time(r.recorded_at),
        format: t.format.label(),
        dialect: t.dialect.clone(),
        complete: t.is_complete(),
        gaps: t.gaps.clone(),
        instructions,
        tools,
        chains,
        chains_cut,
        steps: t.steps.iter().take(STEPS_SHOWN).map(step_view).collect(),
        steps_left_out: t.steps.len().saturating_sub(STEPS_SHOWN),
        suggestions,
        suggestions_not_listed,
        can_propose,
    })
}
