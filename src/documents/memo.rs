//! The charging memo as a document: what it says, composed from the recorded facts (pure,
//! unit-tested without a database), and how it is laid out for the PDF and the HTML pages.

use askama::Template;
use std::collections::HashMap;

use super::model::{Block, Column, Document, Table};
use crate::analysis::agent_run::{Step, StepKind};
use crate::domain::analysis::{Analysis, Finding};
use crate::domain::charge::{CellState, Charge, ChargeStatus, DeadlineState, Mapping, MappingStatus, coverage};
use crate::domain::custody::{
    CustodyAction, CustodyEvent, Impairment, LatestVerification, current_custodian, custody_status,
};
use crate::domain::evidence::{Exhibit, ExhibitKind, ExhibitNumber};
use crate::domain::ids::MappingId;
use crate::domain::incident::Incident;
use crate::domain::memo::{MemoCharge, MemoContent, MemoDefense, MemoElement, MemoExhibit, MemoProof, Narratives};
use crate::domain::person::Person;
use crate::statutes::{ElementKind, Law, defense_prompt};

/// How an exhibit of this kind is usually authenticated.
fn authentication(exhibit: &Exhibit) -> &'static str {
    match (exhibit.kind, exhibit.file.is_some()) {
        (ExhibitKind::PhysicalItem, _) => "Chain-of-custody testimony",
        (ExhibitKind::ServerLog | ExhibitKind::AgentTrace | ExhibitKind::NetworkCapture, _) => "FRE 902(13)",
        (ExhibitKind::FinancialRecord, _) => "FRE 902(11)",
        (_, true) => "FRE 902(14)",
        (_, false) => "Witness",
    }
}

/// Which circuit's law governs and which pattern instructions to check: the catalog's element
/// formulations cite the Ninth Circuit's model instructions, which are the law of no other
/// circuit (reference §9A). Flags § 1349's overt-act question outside the circuits that held.
fn circuit_paragraph(law: &Law, district: Option<&str>, charges: &[MemoCharge]) -> String {
    let Some(text) = district else {
        return "No district is recorded: the circuit, and so the pattern jury instructions that govern, are not known. The element formulations below cite the Ninth Circuit's model instructions.".into();
    };
    let Some((circuit, district)) = law.catalog.district(text) else {
        return format!(
            "The recorded district, \u{201c}{text}\u{201d}, is not one of the 94 districts: the circuit, and so the pattern jury instructions that govern, are not known. The element formulations below cite the Ninth Circuit's model instructions."
        );
    };
    let mut out = if circuit.short == "9th" {
        format!(
            "Venue: {} ({}), in the Ninth Circuit. The element formulations below cite its {}; check the live instruction.",
            district.abbr,
            district.name,
            circuit.instructions_text()
        )
    } else {
        format!(
            "Venue: {} ({}), in the {}. The element formulations below cite the Ninth Circuit's model instructions, which do not govern a case in the {}: check {} and {} case law.",
            district.abbr,
            district.name,
            circuit.name,
            circuit.name,
            circuit.instructions_text(),
            circuit.name
        )
    };
    let conspiracy_1349 = charges.iter().any(|c| c.citation.starts_with("18 U.S.C. § 1349 (conspiracy"));
    if conspiracy_1349 && !["2d", "6th", "10th"].contains(&circuit.short.as_str()) {
        out.push_str(" Section 1349 overt act: held not required in the 2d, 6th and 10th Circuits [SRC]; check the law of this circuit.");
    }
    out
}

/// "charged on ..." -> "Charged on ...", for a sentence of its own.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn date_text(at: time::PrimitiveDateTime) -> String {
    at.date().to_string()
}

/// What the memo is written from: the incident's record as it stands, loaded by the service.
pub struct MemoFacts {
    pub incident: Incident,
    pub charges: Vec<Charge>,
    pub mappings: Vec<Mapping>,
    /// Each exhibit with its custody events and latest verification, in exhibit order.
    pub exhibits: Vec<(Exhibit, Vec<CustodyEvent>, Option<LatestVerification>)>,
    /// What the reviewer noted when accepting each accepted mapping.
    pub review_notes: HashMap<MappingId, String>,
    /// The incident's people, for the defendants of each count.
    pub people: Vec<Person>,
    /// The latest analysis of each kind of each exhibit that has one (agent-run timelines,
    /// content credentials), in exhibit order.
    pub analyses: Vec<Analysis>,
}

/// Agent steps the chronology lists at most; the rest are counted and left to the timelines.
const AGENT_LINES_MAX: usize = 300;

/// A timeline step's time as the chronology sorts and states it.
fn step_time(step: &Step) -> Option<time::PrimitiveDateTime> {
    let t = time::OffsetDateTime::parse(step.at.as_deref()?, &time::format_description::well_known::Rfc3339).ok()?;
    let t = t.to_offset(time::UtcOffset::UTC);
    Some(time::PrimitiveDateTime::new(t.date(), t.time()))
}

/// The chronology's lines from the agent-run timelines: each operator instruction and each
/// tool execution, citing its exhibit, its step's place and the analysis; an incomplete record
/// is said to be so. Steps the record gives no time sort last, as "time not recorded".
fn agent_chronology(
    analyses: &[Analysis],
    intact: &HashMap<ExhibitNumber, bool>,
) -> Vec<(time::PrimitiveDateTime, String, String)> {
    let mut out = Vec::new();
    let mut listed = 0usize;
    for a in analyses {
        let Some(t) = a.timeline() else { continue };
        let r = &a.record;
        let impaired = if intact.get(&r.exhibit).copied().unwrap_or(false) {
            String::new()
        } else {
            format!(" {} is IMPAIRED: not to be relied on until its custody is cleared.", r.exhibit)
        };
        let first = t.steps.iter().find_map(step_time);
        if !t.is_complete() {
            out.push((
                first.unwrap_or(time::PrimitiveDateTime::MIN),
                first.map_or_else(|| "time not recorded".to_owned(), date_text),
                format!(
                    "The agent-run record {} is INCOMPLETE (analysis {}): {}.",
                    r.exhibit,
                    r.seq,
                    t.gaps.join("; ")
                ),
            ));
        }
        let steps: Vec<&Step> = t
            .steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Instruction | StepKind::SystemInstruction | StepKind::ToolCall))
            .collect();
        let room = AGENT_LINES_MAX.saturating_sub(listed);
        for step in steps.iter().take(room) {
            let what = match step.kind {
                StepKind::Instruction => format!("Operator instruction to the agent: {}", step.quoted()),
                StepKind::SystemInstruction => format!("Standing instructions given to the agent: {}", step.quoted()),
                _ => {
                    let mut line = format!("Agent {}", step.summary());
                    if !step.targets.is_empty() {
                        line.push_str(&format!("; target {}", step.targets.join(", ")));
                    }
                    line
                }
            };
            let cite = format!("[Ex. {}, {}; analysis {}]", r.exhibit, step.cite.text(), r.seq);
            let (sort, when) = match step_time(step) {
                Some(at) => (at, format!("{} {}", at.date(), at.time().format(&TIME_OF_DAY).unwrap_or_default())),
                None => (time::PrimitiveDateTime::MAX, "time not recorded".to_owned()),
            };
            out.push((sort, when, format!("{what} {cite}{impaired}")));
        }
        listed += steps.len().min(room);
        let left_out = steps.len().saturating_sub(room) + t.omitted;
        if left_out > 0 {
            out.push((
                time::PrimitiveDateTime::MAX,
                "\u{2014}".to_owned(),
                format!(
                    "{} further operator instructions and agent tool executions of {} are not listed here; its timeline (analysis {}) has every one.",
                    left_out,
                    r.exhibit,
                    r.seq
                ),
            ));
        }
    }
    out
}

const TIME_OF_DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[hour]:[minute]:[second]");

/// How the memo cites an analysis beside its exhibit.
fn analysis_citation(a: &Analysis) -> String {
    let r = &a.record;
    let found = match &a.finding {
        Finding::ContentCredentials(c) => format!("{}. {}", c.summary(), crate::analysis::credentials::ABSENCE_CAUTION),
        Finding::AgentRun(_) => r.summary.clone(),
    };
    format!(
        "{} {} (analysis {}; {} {}; result SHA-256 {}): {found}",
        r.kind.label(),
        r.exhibit,
        r.seq,
        r.tool,
        r.tool_version,
        r.result_sha256
    )
}

/// What the memo says about the incident as it stands, everything but the narratives: a pure
/// function of the recorded facts, the law the incident charges under (the catalog and its
/// entered offenses) and the date.
pub fn compose(facts: &MemoFacts, law: &Law, today: time::Date) -> MemoContent {
    let incident = &facts.incident;
    let d = &incident.details;
    let charge_list = &facts.charges;
    let mappings = &facts.mappings;

    let mut intact: HashMap<ExhibitNumber, bool> = HashMap::new();
    let mut memo_exhibits = Vec::new();
    // (when it sorts, the date as the memo states it, what happened)
    let mut chronology: Vec<(time::PrimitiveDateTime, String, String)> = Vec::new();
    let mut handling: Vec<(time::PrimitiveDateTime, String)> = Vec::new();
    for (x, events, latest) in &facts.exhibits {
        let status = custody_status(x, events, latest.as_ref());
        let ok = status.sound();
        intact.insert(x.number, ok);
        let state = events.iter().rev().find(|e| matches!(e.action, CustodyAction::Disposed | CustodyAction::Released));
        let custody = match (ok, state) {
            (false, _) => format!("IMPAIRED: {}", status.summary()),
            (true, Some(e)) => format!("sound; {} {}", e.action.label().to_lowercase(), date_text(e.occurred_at)),
            (true, None) => "sound".to_owned(),
        };
        for e in events {
            let line = match e.action {
                CustodyAction::Acquired => {
                    Some(format!("{} acquired by {} ({})", x.number, x.acquisition.acquired_by, x.acquisition.method))
                }
                CustodyAction::Transferred => Some(format!(
                    "{} transferred from {} to {}",
                    x.number,
                    e.details.from_custodian.as_deref().unwrap_or("?"),
                    e.details.to_custodian.as_deref().unwrap_or("?")
                )),
                CustodyAction::Analyzed => {
                    Some(format!("{} analyzed: {}", x.number, e.details.purpose.as_deref().unwrap_or("analysis")))
                }
                _ => None,
            };
            if let Some(line) = line {
                handling.push((e.occurred_at, line));
            }
        }
        memo_exhibits.push(MemoExhibit {
            number: x.number.to_string(),
            kind: x.kind.label().to_owned(),
            description: x.description.clone(),
            sha256: x.file.as_ref().map(|f| f.sha256.clone()),
            custody,
            impairments: status.impairments.iter().map(Impairment::describe).collect(),
            custodian: current_custodian(events).unwrap_or_else(|| "unknown".into()),
            acquired: date_text(x.acquisition.acquired_at),
            authority: x.acquisition.legal_authority.clone(),
            authentication: authentication(x).to_owned(),
            analyses: facts.analyses.iter().filter(|a| a.record.exhibit == x.number).map(analysis_citation).collect(),
        });
    }
    // An approximate date sorts by its first day and is stated as recorded ("in or about 2017").
    if let Some(first) = d.first_offense_date {
        chronology.push((
            first.earliest().midnight(),
            first.describe(),
            "First known offense conduct (as recorded)".into(),
        ));
    }
    if let Some(last) = d.last_offense_date {
        chronology.push((
            last.earliest().midnight(),
            last.describe(),
            "Last known offense conduct (as recorded)".into(),
        ));
    }
    for charge in charge_list.iter().filter(|c| c.status == ChargeStatus::Candidate) {
        if let Some(date) = charge.offense_date {
            chronology.push((
                date.earliest().midnight(),
                date.describe(),
                format!("Count {} offense date: {}", charge.count, charge.concerns),
            ));
        }
    }
    chronology.extend(agent_chronology(&facts.analyses, &intact));
    chronology.sort_by_key(|entry| entry.0);
    handling.sort_by_key(|entry| entry.0);

    let sha_of: HashMap<ExhibitNumber, Option<String>> =
        facts.exhibits.iter().map(|(x, _, _)| (x.number, x.file.as_ref().map(|f| f.sha256.clone()))).collect();
    let all_rows =
        coverage(law, charge_list, mappings, &|n| intact.get(&n).copied().unwrap_or(false), &d.victims, today);
    // A count goes into the memo as proposed only when it names whom it charges and, for a
    // conspiracy or attempt, what its object was; the others are listed, with why.
    let name_of = |id: &crate::domain::ids::PersonId| {
        facts
            .people
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.document_name())
            .unwrap_or_else(|| "(unknown person)".into())
    };
    let mut not_ready = Vec::new();
    let mut rows = Vec::new();
    for row in all_rows {
        let missing = crate::domain::charge::not_ready(law, &row.charge);
        if missing.is_empty() {
            rows.push(row);
        } else {
            not_ready.push(format!("Count {} ({}): {}", row.charge.count, row.citation, missing.join("; ")));
        }
    }
    // The most serious readily provable count among those proposed.
    let ranking = crate::domain::charge::mark_most_serious(&mut rows);
    let defendants: Vec<Person> =
        facts.people.iter().filter(|p| p.role == crate::domain::person::PersonRole::Defendant).cloned().collect();
    let exposure = crate::domain::exposure::exposure(law, &rows, &defendants, &d.victims);
    let mut by_defendant: Vec<(String, String)> = Vec::new();
    for person in facts.people.iter().filter(|p| p.role == crate::domain::person::PersonRole::Defendant) {
        let counts: Vec<String> = rows
            .iter()
            .filter(|r| r.charge.defendants.contains(&person.id))
            .map(|r| {
                if r.readily_provable {
                    format!("Count {} (readily provable)", r.charge.count)
                } else {
                    format!("Count {} ({} element(s) to prove)", r.charge.count, r.gaps)
                }
            })
            .collect();
        let aliases =
            if person.aliases.is_empty() { String::new() } else { format!(" (aka {})", person.aliases.join("; ")) };
        let summary = if counts.is_empty() {
            "No proposed count charges this defendant yet".to_owned()
        } else {
            counts.join("; ")
        };
        by_defendant.push((format!("{}{aliases}", person.document_name()), summary));
    }
    let mut memo_charges = Vec::new();
    let mut defenses: Vec<(String, Vec<i32>)> = Vec::new();
    let mut approvals = vec![
        "Supervisory approval of the charges (JM 9-27.300) [SRC via summaries; current text UNVERIFIED]".to_owned(),
    ];
    for row in &rows {
        let Some(offense) = law.offense(&row.charge.offense_id) else { continue };
        for key in &offense.defenses {
            match defenses.iter_mut().find(|(k, _)| k == key) {
                Some((_, counts)) => counts.push(row.charge.count),
                None => defenses.push((key.clone(), vec![row.charge.count])),
            }
        }
        if offense.statute.contains("1030") {
            let ccips = "Consultation with CCIPS before any § 1030 count (JM 9-48.000) [SRC]".to_owned();
            if !approvals.contains(&ccips) {
                approvals.push(ccips);
            }
        }
        if offense.id == "CFAA-A1" {
            approvals.push(
                "National Security Division consultation for a § 1030(a)(1) count (JM 9-48.000) [SRC via summary]"
                    .into(),
            );
        }
        let elements = row
            .cells
            .iter()
            .map(|cell| {
                let proof: Vec<MemoProof> = mappings
                    .iter()
                    .filter(|m| {
                        m.charge_id == row.charge.id
                            && m.element_id == cell.element_id
                            && m.status == MappingStatus::Accepted
                            && intact.get(&m.exhibit).copied().unwrap_or(false)
                    })
                    .map(|m| MemoProof {
                        exhibit: m.exhibit.to_string(),
                        sha256: sha_of.get(&m.exhibit).cloned().flatten(),
                        pin: m.pin(),
                        custody: "custody sound".into(),
                        rationale: m.rationale.clone(),
                        review_note: facts.review_notes.get(&m.id).cloned().unwrap_or_default(),
                    })
                    .collect();
                let gaps = match (cell.state, cell.required) {
                    (CellState::Proven, _) => String::new(),
                    (_, false) => "Not pleaded".to_owned(),
                    (CellState::Proposed, true) => {
                        "Gap: evidence offered but not yet accepted by a reviewer".to_owned()
                    }
                    (CellState::Gap, true) => "Gap: no evidence accepted".to_owned(),
                };
                MemoElement {
                    id: cell.element_id.clone(),
                    text: cell.text.clone(),
                    label: cell.label.to_owned(),
                    provenance: cell.provenance.clone(),
                    penalty_fact: cell.kind == ElementKind::PenaltyFact,
                    proof,
                    gaps,
                }
            })
            .collect();
        let l = &row.limitation;
        let mut limitation = match (l.state, l.years, l.deadline) {
            (DeadlineState::NotComputed, _, _) => "Not computed: the count or its object is outside the catalog, and Custos holds no limitation rule for it; determine the period before relying on any date".to_owned(),
            (DeadlineState::Charged | DeadlineState::NoLimit, _, _) => format!("{} ({})", capitalized(&l.describe()), l.authority),
            (_, Some(years), Some(deadline)) => format!(
                "{deadline}: {years} years from {} ({}){}{}",
                l.offense_date.map(|d| d.to_string()).unwrap_or_default(),
                l.authority,
                match l.state {
                    DeadlineState::Passed => "; PASSED",
                    DeadlineState::Warning => "; within 180 days",
                    _ => "",
                },
                l.date_basis.as_ref().map(|b| format!("; {b}")).unwrap_or_default()
            ),
            (_, Some(years), None) => format!("Unknown: enter the count's offense date ({years} years, {})", l.authority),
            (_, None, _) => format!("{} ({})", capitalized(&l.describe()), l.authority),
        };
        if let Some(note) = l.note {
            limitation.push_str(". ");
            limitation.push_str(note);
        }
        memo_charges.push(MemoCharge {
            count: row.charge.count,
            citation: row.citation.clone(),
            title: row.title.clone(),
            concerns: row.charge.concerns.clone(),
            unit: offense.unit.clone(),
            maximum: row.maximum_text.clone(),
            minimum: match (row.minimum_years, row.consecutive) {
                (0, _) => String::new(),
                (n, true) => format!("mandatory {n} years, consecutive to any other sentence"),
                (n, false) => format!("mandatory minimum {n} years"),
            },
            penalty_facts: row
                .charge
                .penalty_facts
                .iter()
                .map(|id| {
                    let text = law.element(id).map(|(_, e)| e.text.clone()).unwrap_or_default();
                    format!("{id}: {text}")
                })
                .collect(),
            readily_provable: row.readily_provable,
            most_serious: row.most_serious,
            limitation,
            guideline: offense.guideline.clone(),
            elements,
            defendants: row.charge.defendants.iter().map(name_of).collect(),
            predicate: row
                .charge
                .predicate
                .and_then(|id| charge_list.iter().find(|c| c.id == id))
                .map(|p| {
                    let citation = crate::domain::charge::charge_citation(law, p).unwrap_or_default();
                    format!("During and in relation to Count {} ({citation})", p.count)
                })
                .unwrap_or_default(),
            provenance: row.provenance.clone(),
        });
        if offense.min_years > 0 {
            let note =
                "Mandatory-minimum charging considerations (JM 9-27.310) [SRC title; content UNVERIFIED]".to_owned();
            if !approvals.contains(&note) {
                approvals.push(note);
            }
        }
    }
    let memo_defenses = defenses
        .into_iter()
        .filter_map(|(key, counts)| {
            defense_prompt(&key).map(|(title, prompt)| MemoDefense {
                title: title.to_owned(),
                prompt: prompt.to_owned(),
                counts: format!(
                    "count{} {}",
                    if counts.len() > 1 { "s" } else { "" },
                    counts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            })
        })
        .collect();
    MemoContent {
        incident: incident.number.to_string(),
        title: d.title.clone(),
        district: d.district.clone().unwrap_or_else(|| "Not yet determined".into()),
        circuit: circuit_paragraph(law, d.district.as_deref(), &memo_charges),
        offense_dates: match d.offense_dates() {
            dates if dates.is_empty() => "Not recorded".into(),
            dates => capitalized(&dates),
        },
        status: incident.status.label().to_owned(),
        subjects: d.subjects.iter().map(|s| (s.name.clone(), s.description.clone())).collect(),
        victims: d
            .victims
            .iter()
            .map(|v| {
                let loss = v.loss.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into());
                (
                    v.describe(d.victim_names_sensitive),
                    v.kind.label().to_owned(),
                    match v.gain {
                        Some(gain) => format!("{loss}; gain to the defendants {gain}"),
                        None => loss,
                    },
                )
            })
            .collect(),
        victim_summary: victim_summary(incident),
        ai_modalities: d.ai_modalities.iter().map(|m| m.label().to_owned()).collect(),
        chronology: chronology.into_iter().map(|(_, when, text)| (when, text)).collect(),
        evidence_handling: handling.into_iter().map(|(at, text)| (date_text(at), text)).collect(),
        charges: memo_charges,
        defenses: memo_defenses,
        exhibits: memo_exhibits,
        narratives: Narratives::default(),
        catalog_version: law.catalog.version.clone(),
        checkpoint_size: 0,
        checkpoint_root: String::new(),
        checkpoint_note: String::new(),
        approvals_needed: approvals,
        not_ready,
        by_defendant,
        exposure,
        ranking,
    }
}

/// "4 victims (3 individuals, 1 business); recorded losses total $1,200.00 (2 victims' losses
/// not yet recorded)": what the record holds, and what it does not.
fn victim_summary(incident: &Incident) -> String {
    let victims = &incident.details.victims;
    if victims.is_empty() {
        return "No victim has been recorded yet.".into();
    }
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for v in victims {
        let label = v.kind.label().to_lowercase();
        match kinds.iter_mut().find(|(k, _)| *k == label) {
            Some((_, n)) => *n += 1,
            None => kinds.push((label, 1)),
        }
    }
    let kinds = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ");
    let unrecorded = victims.iter().filter(|v| v.loss.is_none()).count();
    let losses = match (incident.total_loss(), unrecorded) {
        (None, _) => "no loss has been recorded yet".to_owned(),
        (Some(total), 0) => format!("recorded losses total {total}"),
        (Some(total), n) => format!(
            "recorded losses total {total} ({n} entr{}' losses not yet recorded)",
            if n == 1 { "y" } else { "ies" }
        ),
    };
    // The defendants' gain is a different fact from the victims' loss and is never added to it.
    let gain =
        incident.details.total_gain().map(|g| format!("; the defendants' recorded gain is {g}")).unwrap_or_default();
    let entries = victims.len();
    let headcount = incident.details.victim_headcount();
    let classes = victims.iter().filter(|v| v.class_size.is_some()).count();
    let count = if classes == 0 {
        format!("{entries} victim{} recorded ({kinds})", if entries == 1 { "" } else { "s" })
    } else {
        format!(
            "{} victim{} recorded in {entries} entr{}, {classes} of them a class ({kinds})",
            headcount,
            if headcount.count == 1 { "" } else { "s" },
            if entries == 1 { "y" } else { "ies" },
        )
    };
    format!("{count}; {losses}{gain}.")
}

/// The starting text of each narrative section, from the templates in `templates/memo/`.
#[derive(Template)]
#[template(path = "memo/narratives.txt", escape = "none")]
struct NarrativeTemplate<'a> {
    c: &'a MemoContent,
    section: &'a str,
    most_serious: Option<&'a MemoCharge>,
    /// The recorded losses in words: "$4,180,000.00", or "not yet recorded".
    total_loss: String,
    gap_count: usize,
    cfaa: bool,
}

/// The starting text of every narrative section for `content`.
pub fn default_narratives(content: &MemoContent, incident: &Incident) -> Result<Narratives, askama::Error> {
    let most_serious = content.charges.iter().find(|c| c.most_serious);
    let total_loss = incident.total_loss().map_or_else(|| "not yet recorded".to_owned(), |a| a.to_string());
    let gap_count = content
        .charges
        .iter()
        .flat_map(|c| c.elements.iter())
        .filter(|e| e.proof.is_empty() && !e.gaps.is_empty() && e.gaps != "Not pleaded")
        .count();
    let mut out = Narratives::default();
    for (name, _, _) in Narratives::default().fields() {
        let text = NarrativeTemplate {
            c: content,
            section: name,
            most_serious,
            total_loss: total_loss.clone(),
            gap_count,
            cfaa: content.charges.iter().any(|ch| ch.citation.contains("1030")),
        }
        .render()?;
        let tidy = text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_owned();
        out.set(name, tidy);
    }
    Ok(out)
}

/// Who wrote a version, when, what it hashes to, and who approved it: printed on every page.
pub struct VersionStamp<'a> {
    pub version: i32,
    pub author: &'a str,
    pub created_at: time::PrimitiveDateTime,
    pub content_sha256: &'a str,
    /// The supervisor who approved this version, and when; `None` while it is a draft.
    pub approval: Option<(&'a str, time::PrimitiveDateTime)>,
}

pub const WORK_PRODUCT: &str = "PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT";

fn paragraphs(text: &str) -> Vec<Block> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| Block::Paragraph(p.to_owned())).collect()
}

/// Every recorded victim, with kind and estimated loss.
fn victim_table(c: &MemoContent) -> Block {
    Block::Table(Table {
        columns: vec![
            Column::text("Victim", 0.4),
            Column::text("Kind", 0.2),
            Column::text("Loss to the victim (gain to the defendants)", 0.4),
        ],
        rows: c.victims.iter().map(|(n, k, l)| vec![vec![n.clone()], vec![k.clone()], vec![l.clone()]]).collect(),
    })
}

/// Impaired exhibits, each with why: what the memo must never cite as proof.
fn custody_problems(c: &MemoContent) -> Vec<String> {
    c.exhibits
        .iter()
        .filter(|x| {
            !x.impairments.is_empty() || x.custody.starts_with("IMPAIRED") || x.custody.starts_with("CHAIN BROKEN")
        })
        .map(|x| {
            if x.impairments.is_empty() {
                format!("{}: {}", x.number, x.custody)
            } else {
                format!("{}: {}", x.number, x.impairments.join("; "))
            }
        })
        .collect()
}

/// The memo as a document, section by section (the outline of the statutes reference, §8).
pub fn document(content: &MemoContent, stamp: &VersionStamp<'_>) -> Document {
    let c = content;
    let mut b = vec![
        Block::Title(format!("Prosecution memorandum: {}", c.title)),
        Block::Facts(vec![
            ("Incident".into(), c.incident.clone()),
            ("District".into(), c.district.clone()),
            ("Offense dates".into(), c.offense_dates.clone()),
            (
                "Subjects".into(),
                if c.subjects.is_empty() {
                    "Unidentified".into()
                } else {
                    c.subjects.iter().map(|s| s.0.clone()).collect::<Vec<_>>().join("; ")
                },
            ),
            (
                "Proposed charges".into(),
                if c.charges.is_empty() {
                    "None yet".into()
                } else {
                    c.charges
                        .iter()
                        .map(|ch| {
                            if ch.defendants.is_empty() {
                                format!("Count {}: {}", ch.count, ch.citation)
                            } else {
                                format!("Count {}: {}, against {}", ch.count, ch.citation, ch.defendants.join(", "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ),
            ("Version".into(), format!("{} by {}, {} UTC", stamp.version, stamp.author, stamp.created_at.date())),
            (
                "Approval".into(),
                match stamp.approval {
                    Some((by, at)) => format!("Approved by {by}, {}", crate::domain::format_time(at)),
                    None => "Not approved: draft".into(),
                },
            ),
        ]),
        Block::Heading(1, "1. Caption and recommendation".into()),
    ];
    b.extend(paragraphs(&c.narratives.recommendation));
    if !c.approvals_needed.is_empty() {
        b.push(Block::Plain("Approvals and consultations required:".into()));
        b.push(Block::Bullets(c.approvals_needed.clone()));
    }
    b.push(Block::Heading(1, "2. Executive summary".into()));
    b.extend(paragraphs(&c.narratives.executive_summary));

    b.push(Block::Heading(1, "3. Statement of facts".into()));
    b.extend(paragraphs(&c.narratives.facts));
    if !c.chronology.is_empty() {
        b.push(Block::Heading(2, "Chronology of the offense conduct".into()));
        b.push(Block::Table(Table {
            columns: vec![Column::text("Date (UTC)", 0.2), Column::text("Event", 0.8)],
            rows: c.chronology.iter().map(|(d, e)| vec![vec![d.clone()], vec![e.clone()]]).collect(),
        }));
    }
    if !c.evidence_handling.is_empty() {
        b.push(Block::Heading(2, "Handling of the evidence".into()));
        b.push(Block::Table(Table {
            columns: vec![Column::text("Date (UTC)", 0.2), Column::text("Event", 0.8)],
            rows: c.evidence_handling.iter().map(|(d, e)| vec![vec![d.clone()], vec![e.clone()]]).collect(),
        }));
    }
    b.push(Block::Heading(2, "Subjects".into()));
    if c.subjects.is_empty() {
        b.push(Block::Plain("No subject identified yet.".into()));
    } else {
        b.push(Block::Facts(c.subjects.clone()));
    }

    b.push(Block::Heading(1, "4. How AI was used".into()));
    b.extend(paragraphs(&c.narratives.ai_use));
    if !c.ai_modalities.is_empty() {
        b.push(Block::Bullets(c.ai_modalities.clone()));
    }

    b.push(Block::Heading(1, "5. Proposed charges".into()));
    if c.charges.is_empty() {
        b.push(Block::Plain("No candidate counts have been recorded.".into()));
    } else {
        b.push(Block::Table(Table {
            columns: vec![
                Column::text("Count", 0.09),
                Column::text("Statute and offense", 0.33),
                Column::text("Unit of prosecution", 0.2),
                Column::text("Maximum / minimum", 0.18),
                Column::text("Penalty facts to plead", 0.2),
            ],
            rows: c
                .charges
                .iter()
                .map(|ch| {
                    let mut offense =
                        vec![format!("{}: {}", ch.citation, ch.title), format!("Concerning {}", ch.concerns)];
                    if !ch.defendants.is_empty() {
                        offense.push(format!("Charges {}", ch.defendants.join(", ")));
                    }
                    if !ch.predicate.is_empty() {
                        offense.push(ch.predicate.clone());
                    }
                    if let Some(provenance) = &ch.provenance {
                        offense.push(format!("Out-of-catalog offense, {provenance}"));
                    }
                    if ch.most_serious {
                        offense.push("Most serious readily provable offense".into());
                    }
                    let max = if ch.minimum.is_empty() {
                        ch.maximum.clone()
                    } else {
                        format!("{}; {}", ch.maximum, ch.minimum)
                    };
                    let facts =
                        if ch.penalty_facts.is_empty() { vec!["None".into()] } else { ch.penalty_facts.clone() };
                    vec![vec![ch.count.to_string()], offense, vec![ch.unit.clone()], vec![max], facts]
                })
                .collect(),
        }));
    }

    if !c.ranking.is_empty() {
        b.push(Block::Plain(c.ranking.clone()));
    }
    if !c.not_ready.is_empty() {
        b.push(Block::Plain("Counts recorded but not yet ready to propose:".into()));
        b.push(Block::Bullets(c.not_ready.clone()));
    }
    if !c.by_defendant.is_empty() {
        b.push(Block::Heading(2, "By defendant".into()));
        b.push(Block::Facts(c.by_defendant.clone()));
    }

    b.push(Block::Heading(1, "6. Element-by-element analysis".into()));
    b.push(Block::Plain(
        "Only evidence a prosecutor accepted, whose custody is sound, is cited as proof. Proposals still in review, and evidence whose custody is impaired, are counted as gaps."
            .into(),
    ));
    if !c.circuit.is_empty() {
        b.push(Block::Plain(c.circuit.clone()));
    }
    for ch in &c.charges {
        b.push(Block::Heading(
            2,
            format!(
                "Count {}: {} ({})",
                ch.count,
                ch.citation,
                if ch.readily_provable { "readily provable" } else { "not yet provable" }
            ),
        ));
        b.push(Block::Table(Table {
            columns: vec![
                Column::text("Element", 0.27),
                Column::mono("Proof: exhibit, SHA-256, custody", 0.56),
                Column::text("Gaps and risks", 0.17),
            ],
            rows: ch
                .elements
                .iter()
                .map(|e| {
                    let mut element = vec![
                        format!("{} [{}]{}", e.id, e.label, if e.penalty_fact { " penalty fact" } else { "" }),
                        e.text.clone(),
                    ];
                    if let Some(provenance) = &e.provenance {
                        element.push(format!("Element {provenance}."));
                    }
                    if e.label != "STAT" && e.label != "SRC" {
                        element.push("Verify before relying.".into());
                    }
                    let proof = if e.proof.is_empty() {
                        vec!["None accepted".into()]
                    } else {
                        e.proof
                            .iter()
                            .flat_map(|p| {
                                let mut lines = vec![
                                    format!(
                                        "{}{} ({})",
                                        p.exhibit,
                                        p.pin.as_ref().map(|x| format!(", {x}")).unwrap_or_default(),
                                        p.custody
                                    ),
                                    p.sha256.clone().unwrap_or_else(|| "(item without a file)".into()),
                                ];
                                if !p.rationale.is_empty() {
                                    lines.push(format!("Offered: {}", p.rationale));
                                }
                                if !p.review_note.is_empty() {
                                    lines.push(format!("Reviewer: {}", p.review_note));
                                }
                                lines
                            })
                            .collect()
                    };
                    let mut risks = if e.gaps.is_empty() { Vec::new() } else { vec![e.gaps.clone()] };
                    if e.proof.len() == 1 {
                        risks.push("Proved by a single exhibit".into());
                    }
                    vec![element, proof, risks]
                })
                .collect(),
        }));
    }

    b.push(Block::Heading(1, "7. Evidence and admissibility".into()));
    b.push(Block::Paragraph(
        "Authentication plan: forensic copies are authenticated by hash under FRE 902(14) [SRC], system-generated records under FRE 902(13) [SRC], business records under FRE 902(11) [SRC], each with a qualified person's certification and the reasonable written notice of FRE 902(11) [SRC]; a certification establishes only authenticity, so hearsay and Confrontation Clause objections remain [SRC in substance]; physical items through chain-of-custody testimony. Certification drafts can be exported from each exhibit's page.".into(),
    ));
    let problems = custody_problems(c);
    if problems.is_empty() {
        b.push(Block::Plain(
            "Custody: no exhibit's record shows a problem. Each custody chain recomputes from its stored events; no custody event records a digest that did not match, an open discrepancy or a break in continuity; and no verification of the files has failed. The signed ledger checkpoint below fixes the record as of this version.".into(),
        ));
    } else {
        b.push(Block::Plain(
            "Custody problems: these exhibits are impaired and are not cited as proof until the problem is resolved and a prosecutor reviews them again:".into(),
        ));
        b.push(Block::Bullets(problems));
    }
    b.push(Block::Table(Table {
        columns: vec![
            Column::text("Exhibit", 0.18),
            Column::text("Kind and source", 0.42),
            Column::text("Authentication", 0.2),
            Column::text("Custodian", 0.2),
        ],
        rows: c
            .exhibits
            .iter()
            .map(|x| {
                vec![
                    vec![x.number.clone()],
                    [vec![x.kind.clone(), x.description.clone()], x.analyses.clone()].concat(),
                    vec![x.authentication.clone()],
                    vec![x.custodian.clone()],
                ]
            })
            .collect(),
    }));

    b.push(Block::Heading(1, "8. Anticipated defenses".into()));
    for d in &c.defenses {
        b.push(Block::Heading(2, format!("{} ({})", d.title, d.counts)));
        b.push(Block::Paragraph(d.prompt.clone()));
    }
    b.extend(paragraphs(&c.narratives.defenses));

    b.push(Block::Heading(1, "9. Substantial federal interest".into()));
    b.extend(paragraphs(&c.narratives.federal_interest));

    b.push(Block::Heading(1, "10. Venue".into()));
    b.extend(paragraphs(&c.narratives.venue));

    b.push(Block::Heading(1, "11. Statute of limitations".into()));
    if c.charges.is_empty() {
        b.push(Block::Plain("No counts recorded.".into()));
    } else {
        b.push(Block::Table(Table {
            columns: vec![Column::text("Count", 0.1), Column::text("Statute", 0.3), Column::text("Deadline", 0.6)],
            rows: c
                .charges
                .iter()
                .map(|ch| vec![vec![ch.count.to_string()], vec![ch.citation.clone()], vec![ch.limitation.clone()]])
                .collect(),
        }));
    }

    b.push(Block::Heading(1, "12. Sentencing exposure".into()));
    if !c.charges.is_empty() {
        b.push(Block::Table(Table {
            columns: vec![
                Column::text("Count", 0.1),
                Column::text("Statute", 0.3),
                Column::text("Statutory range", 0.3),
                Column::text("Guideline", 0.3),
            ],
            rows: c
                .charges
                .iter()
                .map(|ch| {
                    let range = if ch.minimum.is_empty() {
                        format!("0 to {}", ch.maximum)
                    } else {
                        format!("{}; maximum {}", ch.minimum, ch.maximum)
                    };
                    vec![vec![ch.count.to_string()], vec![ch.citation.clone()], vec![range], vec![ch.guideline.clone()]]
                })
                .collect(),
        }));
    }
    b.push(Block::Paragraph("Statutory figures assume the penalty facts listed in section 5 are pleaded and proved. Guideline references come from the statute catalog and must be checked against the current Statutory Index.".into()));
    if !c.exposure.is_empty() {
        b.push(Block::Heading(2, "Sentencing exposure by defendant".into()));
        b.push(Block::Plain("Each figure carries its citation and label from the legal reference.".into()));
        for e in &c.exposure {
            b.push(Block::Heading(3, e.defendant.clone()));
            b.push(Block::Table(Table {
                columns: vec![
                    Column::text("Count", 0.1),
                    Column::text("Prison", 0.2),
                    Column::text("Fine", 0.25),
                    Column::text("Supervised release; assessment", 0.2),
                    Column::text("Restitution; forfeiture", 0.25),
                ],
                rows: e
                    .counts
                    .iter()
                    .map(|x| {
                        let mut money = vec![x.restitution.clone()];
                        money.extend(x.forfeiture.iter().map(|f| format!("Forfeiture: {f}")));
                        vec![
                            vec![x.count.to_string(), x.citation.clone()],
                            vec![x.prison.clone(), x.guideline.clone()],
                            vec![x.fine.clone()],
                            vec![x.supervised_release.clone(), x.special_assessment.clone()],
                            money,
                        ]
                    })
                    .collect(),
            }));
            if e.consecutive_years > 0 {
                b.push(Block::Plain(format!(
                    "Mandatory consecutive terms: {} years in all, on top of any other sentence [STAT].",
                    e.consecutive_years
                )));
            }
            if !e.guidelines.is_empty() {
                b.push(Block::Plain("U.S.S.G. § 2B1.1 estimate:".into()));
                b.push(Block::Bullets(e.guidelines.clone()));
            }
        }
    }

    b.push(Block::Heading(1, "13. Victims".into()));
    if c.victims.is_empty() {
        b.push(Block::Plain("No victim has been recorded yet.".into()));
    } else if c.victim_summary.is_empty() {
        // A version saved before victim summaries: its list, as it was.
        b.push(victim_table(c));
    } else {
        b.push(Block::Plain(format!("{} The full list is in Appendix A.", c.victim_summary)));
    }

    b.push(Block::Heading(1, "14. Attachments: exhibit index".into()));
    b.push(Block::Table(Table {
        columns: vec![Column::text("Exhibit", 0.17), Column::mono("SHA-256", 0.58), Column::text("Custody", 0.25)],
        rows: c
            .exhibits
            .iter()
            .map(|x| {
                vec![
                    vec![x.number.clone()],
                    vec![x.sha256.clone().unwrap_or_else(|| "(item without a file)".into())],
                    vec![x.custody.clone()],
                ]
            })
            .collect(),
    }));
    b.push(Block::Heading(2, "Ledger checkpoint this memo was built against".into()));
    // Digests and signatures in Courier, each on one line, never broken.
    b.push(Block::Table(Table {
        columns: vec![Column::text("Checkpoint", 0.3), Column::mono("Value", 0.7)],
        rows: vec![
            vec![vec!["Tree size".into()], vec![c.checkpoint_size.to_string()]],
            vec![vec!["Root hash (SHA-256, hex)".into()], vec![c.checkpoint_root.clone()]],
            vec![vec!["Statute catalog".into()], vec![c.catalog_version.clone()]],
        ],
    }));
    b.push(Block::Table(Table {
        columns: vec![Column::mono("Signed note (C2SP checkpoint; its root in base64), line by line", 1.0)],
        rows: c.checkpoint_note.lines().filter(|l| !l.trim().is_empty()).map(|l| vec![vec![l.to_owned()]]).collect(),
    }));
    if !c.victim_summary.is_empty() && !c.victims.is_empty() {
        b.push(Block::Heading(1, "Appendix A: victims".into()));
        b.push(victim_table(c));
    }

    Document {
        title: format!("Prosecution memorandum: {} {}", c.incident, c.title),
        author: stamp.author.to_owned(),
        subject: format!("Charging memo draft, incident {}, version {}", c.incident, stamp.version),
        keywords: vec!["Custos".into(), c.incident.clone(), "work product".into()],
        header: match stamp.approval {
            Some(_) => WORK_PRODUCT.into(),
            None => format!("{WORK_PRODUCT} - DRAFT"),
        },
        footer: match stamp.approval {
            Some((by, at)) => format!(
                "Incident {} memo v{} · approved by {by} {} · content SHA-256 {}",
                c.incident,
                stamp.version,
                at.date(),
                stamp.content_sha256
            ),
            None => {
                format!("Incident {} memo v{} · content SHA-256 {}", c.incident, stamp.version, stamp.content_sha256)
            }
        },
        date: stamp.created_at.assume_utc(),
        blocks: b,
    }
}

/// A memo of `exhibits` exhibits and `charges` counts, every element proven by several
/// exhibits: the large case the benchmark and the pagination tests render.
pub fn sample_content(exhibits: usize, charges: usize) -> MemoContent {
    let number = |i: usize| format!("2026-0042-E{:03}", i + 1);
    let sha = |i: usize| {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(format!("exhibit {i}").as_bytes()))
    };
    let offenses = [
        ("18 U.S.C. § 1343", "Wire fraud"),
        ("18 U.S.C. § 1028A(a)(1)", "Aggravated identity theft"),
        ("18 U.S.C. § 1030(a)(2)(A)/(B)/(C)", "Obtaining information by unauthorized access"),
        ("18 U.S.C. § 1030(a)(5)(A)", "Knowingly transmitting code that causes damage"),
        ("18 U.S.C. § 1028(a)(7)", "Using another person's means of identification"),
    ];
    let exhibit_list: Vec<MemoExhibit> = (0..exhibits)
        .map(|i| MemoExhibit {
            number: number(i),
            kind: "Server or cloud log".into(),
            description: format!("Identity-provider sign-in log, export {} of the victim tenant", i + 1),
            sha256: Some(sha(i)),
            custody: "sound".into(),
            impairments: Vec::new(),
            custodian: "CART examiner L. Moreno".into(),
            acquired: "2026-03-01".into(),
            authority: "Search warrant 26-SW-1182".into(),
            authentication: "FRE 902(13)".into(),
            analyses: Vec::new(),
        })
        .collect();
    let charge_list = (0..charges)
        .map(|c| {
            let (citation, title) = offenses[c % offenses.len()];
            MemoCharge {
                count: i32::try_from(c + 1).unwrap_or(i32::MAX),
                citation: citation.into(),
                title: title.into(),
                concerns: format!("Wire {} of the scheme", c + 1),
                unit: "Each wire".into(),
                maximum: "20 years".into(),
                minimum: String::new(),
                penalty_facts: Vec::new(),
                defendants: vec!["Operator 1".into()],
                predicate: String::new(),
                provenance: None,
                readily_provable: true,
                most_serious: c == 0,
                limitation: "2031-02-11: 5 years from 2026-02-11 (18 U.S.C. § 3282(a))".into(),
                guideline: "USSG §2B1.1".into(),
                elements: (0..4)
                    .map(|e| MemoElement {
                        id: format!("OFFENSE{}-E{}", c + 1, e + 1),
                        text: "The defendant knowingly devised or took part in a scheme to defraud, or to obtain money or property by false or fraudulent pretenses.".into(),
                        label: "SRC".into(),
                        provenance: None,
                        penalty_fact: false,
                        proof: (0..5)
                            .map(|k| {
                                let i = (c * 20 + e * 5 + k) % exhibits.max(1);
                                MemoProof {
                                    exhibit: number(i),
                                    sha256: Some(sha(i)),
                                    pin: Some("p. 4".into()),
                                    custody: "custody sound".into(),
                                    rationale: "Shows the sign-in from the operator's address.".into(),
                                    review_note: String::new(),
                                }
                            })
                            .collect(),
                        gaps: String::new(),
                    })
                    .collect(),
            }
        })
        .collect();
    MemoContent {
        incident: "2026-0042".into(),
        title: "AI-automated account takeover ring".into(),
        district: "N.D. Ill.".into(),
        circuit: String::new(),
        exposure: Vec::new(),
        ranking: String::new(),
        offense_dates: "2026-01-05 to 2026-02-11".into(),
        status: "Charging review".into(),
        subjects: vec![("Operator 1".into(), "Ran the agent infrastructure".into())],
        victims: vec![("First Lakeshore Bank".into(), "Financial institution".into(), "$4,180,000.00".into())],
        victim_summary: "1 victim recorded (1 financial institution); recorded losses total $4,180,000.00.".into(),
        ai_modalities: vec!["Autonomous agent intrusion".into()],
        chronology: vec![("2026-01-05".into(), "First known offense conduct (as recorded)".into())],
        evidence_handling: (0..exhibits.min(40))
            .map(|i| ("2026-03-01".into(), format!("{} acquired", number(i))))
            .collect(),
        checkpoint_root: "9f3c0d7e8a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5".into(),
        charges: charge_list,
        defenses: Vec::new(),
        exhibits: exhibit_list,
        narratives: Narratives {
            recommendation: "Recommend indictment.".into(),
            executive_summary: "An autonomous agent took over accounts at scale. ".repeat(12),
            facts: "The facts. ".repeat(60),
            ai_use: "The AI did it at the operator's command. ".repeat(8),
            federal_interest: "Serious and novel. ".repeat(10),
            venue: "Northern District of Illinois.".into(),
            defenses: "None that hold. ".repeat(6),
        },
        catalog_version: "2026.11.27-1".into(),
        checkpoint_size: 4242,
        checkpoint_note: "custos ledger\n4242\nn8cJ2w5Y3o0bJ9g0q3b7S6V1m2r8x0c4z5t6u7v8w9A=".into(),
        approvals_needed: vec!["Supervisory approval".into()],
        not_ready: Vec::new(),
        by_defendant: vec![("Operator 1".into(), "Count 1 (readily provable)".into())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::approx::Period;
    use crate::domain::custody::{CustodyDetails, event_record};
    use crate::domain::evidence::{Acquisition, ExhibitFile};
    use crate::domain::ids::{ExhibitId, IncidentId, MappingId, PersonId, UserId};
    use crate::domain::incident::{IncidentDraft, IncidentStatus};
    use crate::domain::person::{Person, PersonRole};
    use crate::ledger::canonical::to_canonical;
    use crate::ledger::{GENESIS_HASH, event_hash};
    use time::macros::{date, datetime};

    fn exhibit(number: ExhibitNumber) -> Exhibit {
        Exhibit {
            id: ExhibitId::new(),
            number,
            incident_id: IncidentId::new(),
            kind: ExhibitKind::DeepfakeMedia,
            description: "Recording of the cloned voice".into(),
            source: "Victim's voicemail".into(),
            acquisition: Acquisition {
                method: "Export".into(),
                tool: String::new(),
                acquired_by: "SA Dana Reyes".into(),
                acquired_at: datetime!(2026-03-02 10:00),
                location: "Field office".into(),
                legal_authority: "Consent".into(),
            },
            parent: None,
            file: Some(ExhibitFile {
                name: None,
                media_type: None,
                size: 3,
                sha256: "ab".repeat(32),
                sha1: None,
                md5: None,
            }),
            created_by: UserId::new(),
            created_at: datetime!(2026-03-02 10:05),
        }
    }

    /// The acquisition event, hashed as the service would record it.
    fn acquired(x: &Exhibit) -> CustodyEvent {
        let details = CustodyDetails { to_custodian: Some("SA Dana Reyes".into()), ..Default::default() };
        let at = datetime!(2026-03-02 10:00);
        let record = event_record(x, 1, CustodyAction::Acquired, "dana", at, at, &details, None, GENESIS_HASH);
        CustodyEvent {
            id: "e1".into(),
            seq: 1,
            action: CustodyAction::Acquired,
            actor: "dana".into(),
            occurred_at: at,
            recorded_at: at,
            details,
            digest_matched: None,
            prev_hash: GENESIS_HASH.into(),
            event_hash: event_hash(&to_canonical(&record).unwrap()),
            ledger_index: 0,
        }
    }

    fn facts(tamper: bool) -> MemoFacts {
        let number = "2026-0042".parse().unwrap();
        let x = exhibit(ExhibitNumber::new(number, 1).unwrap());
        let mut event = acquired(&x);
        if tamper {
            event.details.to_custodian = Some("someone else".into());
        }
        let defendant = Person {
            id: PersonId::new(),
            name: "John Doe".into(),
            role: PersonRole::Defendant,
            placeholder: None,
            aliases: vec!["The Voice".into()],
        };
        let charge = Charge {
            concerns: "The CFO's company".into(),
            offense_date: Some(date!(2026 - 03 - 01).into()),
            defendants: vec![defendant.id],
            created_at: datetime!(2026-03-03 9:00),
            ..crate::domain::charge::sample_charge(1, "WIRE")
        };
        let mapping = Mapping {
            id: MappingId::new(),
            count: 1,
            charge_id: charge.id,
            element_id: "WIRE-E1".into(),
            exhibit: x.number,
            exhibit_id: x.id,
            pin_kind: None,
            pin_cite: None,
            rationale: "The call asks for a wire".into(),
            status: MappingStatus::Accepted,
            status_reason: None,
            proposed_by: UserId::new(),
            proposed_by_name: "Dana".into(),
            proposed_at: datetime!(2026-03-03 9:00),
            updated_at: datetime!(2026-03-03 9:00),
        };
        let incident = Incident {
            id: IncidentId::new(),
            number,
            status: IncidentStatus::Investigating,
            details: IncidentDraft {
                title: "Voice-clone CFO fraud".into(),
                summary: "A cloned voice asked for a wire.".into(),
                district: Some("N.D. Cal.".into()),
                ai_modalities: Default::default(),
                victims: Vec::new(),
                subjects: Vec::new(),
                first_offense_date: Some(Period::day(date!(2026 - 03 - 01))),
                last_offense_date: Some(Period::day(date!(2026 - 03 - 01))),
                victim_names_sensitive: false,
            },
            version: 1,
            created_by: String::new(),
            created_at: datetime!(2026-03-02 9:00),
            updated_by: String::new(),
            updated_at: datetime!(2026-03-02 9:00),
            members: Vec::new(),
        };
        MemoFacts {
            incident,
            charges: vec![charge],
            mappings: vec![mapping],
            exhibits: vec![(x, vec![event], None)],
            review_notes: HashMap::new(),
            people: vec![defendant],
            analyses: Vec::new(),
        }
    }

    fn law() -> Law<'static> {
        Law::catalog_only(crate::statutes::catalog().unwrap())
    }

    #[test]
    fn accepted_evidence_with_intact_custody_is_cited_as_proof() {
        let content = compose(&facts(false), &law(), date!(2026 - 06 - 01));
        assert_eq!(content.incident, "2026-0042");
        let element = content.charges[0].elements.iter().find(|e| e.id == "WIRE-E1").unwrap();
        assert_eq!(element.proof.len(), 1);
        assert_eq!(element.proof[0].exhibit, "2026-0042-E001");
        assert_eq!(element.proof[0].sha256.as_deref(), Some("ab".repeat(32).as_str()));
        assert_eq!(content.exhibits[0].custody, "sound");
        assert_eq!(content.exhibits[0].custodian, "SA Dana Reyes");
        // The composition is a function of its inputs: the same facts, the same memo.
        assert_eq!(content, compose(&facts(false), &law(), date!(2026 - 06 - 01)));
    }

    #[test]
    fn evidence_whose_chain_does_not_recompute_proves_nothing() {
        let content = compose(&facts(true), &law(), date!(2026 - 06 - 01));
        let element = content.charges[0].elements.iter().find(|e| e.id == "WIRE-E1").unwrap();
        assert!(element.proof.is_empty(), "a tampered exhibit was cited as proof");
        assert!(element.gaps.starts_with("Gap"), "{}", element.gaps);
        assert!(content.exhibits[0].custody.starts_with("IMPAIRED"), "{}", content.exhibits[0].custody);
    }

    #[test]
    fn the_limitation_deadline_follows_the_date_given() {
        let early = compose(&facts(false), &law(), date!(2026 - 06 - 01));
        let late = compose(&facts(false), &law(), date!(2036 - 06 - 01));
        assert!(!early.charges[0].limitation.contains("PASSED"), "{}", early.charges[0].limitation);
        assert!(late.charges[0].limitation.contains("PASSED"), "{}", late.charges[0].limitation);
    }

    #[test]
    fn starting_text_states_only_recorded_facts() {
        let facts = facts(false);
        let content = compose(&facts, &law(), date!(2026 - 06 - 01));
        let n = default_narratives(&content, &facts.incident).unwrap();
        let all = n.fields().iter().map(|f| f.2.to_owned()).collect::<Vec<_>>().join("\n");
        assert!(!all.contains("$0.00"), "{all}");
        assert!(n.executive_summary.contains("No victim has been recorded yet"), "{}", n.executive_summary);
        assert!(n.ai_use.starts_with("[No use of artificial intelligence is recorded"), "{}", n.ai_use);
        assert!(n.federal_interest.contains("Recorded losses: not yet recorded"), "{}", n.federal_interest);
        assert!(!all.contains("central to the scheme") && !all.contains("Venue lies"), "{all}");
        assert!(
            content.evidence_handling.iter().any(|(_, e)| e.contains("acquired by")),
            "{:?}",
            content.evidence_handling
        );
        assert!(content.chronology.iter().all(|(_, e)| !e.contains("acquired by")), "{:?}", content.chronology);
    }
}
