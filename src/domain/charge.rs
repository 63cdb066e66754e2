//! Charges under consideration, evidence-to-element mappings, their review, coverage and
//! limitation deadlines. Pure rules: the catalog is passed in, nothing is read here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, PrimitiveDateTime};

use super::ValidationErrors;
use super::approx::{Amount, OffenseDate};
use super::evidence::ExhibitNumber;
use super::ids::{ChargeId, ExhibitId, MappingId, PersonId, UserId};
use crate::statutes::{
    ElementKind, Law, LimitationRule, Maximum, OTHER_PREFIX, Offense, falls_under, limitation_deadline,
    limitation_period,
};

// Dates leave as "YYYY-MM-DD", as people and scripts write them.
time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

vocabulary!(
    /// Whether a candidate count is still under consideration.
    ChargeStatus, "a charge status" {
        Candidate => ("candidate", "Candidate"),
        Dropped => ("dropped", "Dropped"),
    }
);

vocabulary!(
    /// Where a mapping stands. Only an accepted mapping with intact custody proves an element.
    MappingStatus, "a mapping status" {
        Proposed => ("proposed", "Proposed"),
        Accepted => ("accepted", "Accepted"),
        Rejected => ("rejected", "Rejected"),
        NeedsMoreEvidence => ("needs_more_evidence", "Needs more evidence"),
        Withdrawn => ("withdrawn", "Withdrawn by its proposer"),
        Revoked => ("revoked", "Acceptance revoked"),
    }
);

vocabulary!(
    /// A reviewer's decision, or the system sending a mapping back to review.
    ReviewDecision, "a review decision" {
        Accepted => ("accepted", "Accepted"),
        Rejected => ("rejected", "Rejected"),
        NeedsMoreEvidence => ("needs_more_evidence", "Needs more evidence"),
        Reopened => ("reopened", "Returned to review"),
        Withdrawn => ("withdrawn", "Withdrawn by the proposer"),
        Revoked => ("revoked", "Acceptance revoked"),
    }
);

vocabulary!(
    /// The charging document whose filing stops a count's limitation clock.
    ChargingInstrument, "a charging instrument" {
        Indictment => ("indictment", "Indictment"),
        Information => ("information", "Information"),
    }
);

vocabulary!(
    /// Which way a count moves in the prosecutor's order.
    MoveDirection, "a direction" {
        Up => ("up", "Up"),
        Down => ("down", "Down"),
    }
);

vocabulary!(
    /// What a pin cite points at inside an exhibit.
    PinKind, "a pin cite kind" {
        Page => ("page", "Page"),
        Line => ("line", "Line"),
        Row => ("row", "Spreadsheet row"),
        Bates => ("bates", "Bates number"),
        Offset => ("offset", "Byte offset or range"),
        Timestamp => ("timestamp", "Media time"),
        Region => ("region", "Image region"),
        Span => ("span", "Trace span"),
    }
);

impl ReviewDecision {
    pub fn status(self) -> MappingStatus {
        match self {
            ReviewDecision::Accepted => MappingStatus::Accepted,
            ReviewDecision::Rejected => MappingStatus::Rejected,
            ReviewDecision::NeedsMoreEvidence => MappingStatus::NeedsMoreEvidence,
            ReviewDecision::Reopened => MappingStatus::Proposed,
            ReviewDecision::Withdrawn => MappingStatus::Withdrawn,
            ReviewDecision::Revoked => MappingStatus::Revoked,
        }
    }
}

/// A candidate count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Charge {
    #[serde(skip)]
    pub id: ChargeId,
    /// The count's number within the incident: Count 1, Count 2...
    pub count: i32,
    pub offense_id: String,
    pub object_offense_id: Option<String>,
    pub concerns: String,
    /// When the count's offense happened: a day, "in or about" a month or year, or a range.
    pub offense_date: Option<OffenseDate>,
    pub affects_financial_institution: bool,
    /// Penalty facts to be pleaded (ids such as `WIRE-P1`).
    pub penalty_facts: Vec<String>,
    pub status: ChargeStatus,
    pub drop_reason: Option<String>,
    /// The defendants the count charges (none yet: "defendant not chosen").
    pub defendants: Vec<PersonId>,
    /// § 1028A: the count of the predicate felony.
    #[serde(skip)]
    pub predicate: Option<ChargeId>,
    /// When the indictment or information charging this count was filed, and which it was.
    #[serde(with = "iso_date::option")]
    pub charged_on: Option<Date>,
    pub charging_instrument: Option<ChargingInstrument>,
    /// The gross gain and gross loss of the count's offense, as pleaded (§ 3571(d)): exact or
    /// "more than" / "at least" a figure.
    pub gain: Option<Amount>,
    pub loss: Option<Amount>,
    #[serde(skip)]
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
}

/// A charge as typed by a person or a script, before any checking.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawCharge {
    #[serde(default)]
    pub offense: String,
    #[serde(default)]
    pub object_offense: Option<String>,
    #[serde(default)]
    pub concerns: String,
    #[serde(default)]
    pub offense_date: Option<String>,
    #[serde(default)]
    pub affects_financial_institution: Option<bool>,
    #[serde(default)]
    pub penalty_facts: Vec<String>,
    /// Ids of the incident's defendants the count charges.
    #[serde(default)]
    pub defendants: Vec<String>,
    /// § 1028A: the number of the count charging the predicate felony.
    #[serde(default)]
    pub predicate: Option<i32>,
    /// The gross gain and gross loss of the count's offense, in dollars ("10200000"), for the
    /// § 3571(d) alternative fine.
    #[serde(default)]
    pub gain: Option<String>,
    #[serde(default)]
    pub loss: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeDraft {
    pub offense_id: String,
    pub object_offense_id: Option<String>,
    pub concerns: String,
    pub offense_date: Option<OffenseDate>,
    pub affects_financial_institution: bool,
    pub penalty_facts: Vec<String>,
    pub gain: Option<Amount>,
    pub loss: Option<Amount>,
}

fn trimmed(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ChargeDraft {
    /// "Affects a financial institution" counts only when pleaded on the count: it is never
    /// inferred from the victims.
    pub fn parse(raw: &RawCharge, law: &Law, today: Date) -> Result<ChargeDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let offense = law.offense(raw.offense.trim());
        if offense.is_none() {
            errors.add(
                "offense",
                format!("'{}' is not an offense in the catalog or entered for this incident", raw.offense.trim()),
            );
        }
        let object = trimmed(&raw.object_offense);
        if let Some(offense) = offense {
            match (offense.same_as_object, object) {
                (true, None) => {
                    errors.add("object_offense", "name the offense that was the object of the conspiracy or attempt")
                }
                (true, Some(o)) if o.starts_with(OTHER_PREFIX) => match law.offense(o) {
                    None => errors.add("object_offense", format!("{o} is not an offense entered for this incident")),
                    Some(other) if !offense.other_objects.iter().any(|p| falls_under(&other.statute, p)) => errors.add(
                        "object_offense",
                        if offense.other_objects.is_empty() {
                            format!("{} takes only a catalog offense as its object", offense.id)
                        } else {
                            format!(
                                "{} cannot be the object of {}: outside the catalog it takes {}",
                                other.statute,
                                offense.id,
                                offense.other_objects.join(", ")
                            )
                        },
                    ),
                    Some(_) => {}
                },
                (true, Some(o)) if !offense.objects.iter().any(|x| x == o) => {
                    errors.add("object_offense", format!("{o} cannot be the object of {}", offense.id))
                }
                (false, Some(_)) => errors.add("object_offense", format!("{} takes no object offense", offense.id)),
                _ => {}
            }
            // A conspiracy or attempt that takes its object's penalties pleads the object's
            // penalty facts (§ 1030(b): "punished as provided in subsection (c)").
            let object_offense = object.filter(|_| offense.same_as_object).and_then(|o| law.offense(o));
            for fact in &raw.penalty_facts {
                // A theory the count rests on is pleaded like a fact (§ 1030(a)(4)'s E5).
                let own = offense.penalty_facts.iter().any(|p| &p.id == fact)
                    || offense.elements.iter().any(|e| &e.id == fact && e.theory.is_some());
                let object_fact = object_offense.is_some_and(|o| o.penalty_facts.iter().any(|p| &p.id == fact));
                if !own && !object_fact {
                    errors.add(
                        "penalty_facts",
                        match object_offense {
                            Some(o) => {
                                format!("{fact} is not a penalty fact of {} or of its object {}", offense.id, o.id)
                            }
                            None => format!("{fact} is not a penalty fact of {}", offense.id),
                        },
                    );
                }
            }
        }
        let concerns = raw.concerns.trim();
        if concerns.is_empty() {
            errors.add("concerns", "say which victim, wire or means of identification this count concerns");
        } else if concerns.chars().count() > 500 {
            errors.add("concerns", "must be at most 500 characters");
        }
        let offense_date = errors
            .check("offense_date", OffenseDate::parse(raw.offense_date.as_deref().unwrap_or(""), today))
            .flatten();
        let gain = errors.check("gain", Amount::parse(raw.gain.as_deref().unwrap_or(""))).flatten();
        let loss = errors.check("loss", Amount::parse(raw.loss.as_deref().unwrap_or(""))).flatten();
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut penalty_facts = raw.penalty_facts.clone();
        penalty_facts.sort();
        penalty_facts.dedup();
        Ok(ChargeDraft {
            offense_id: raw.offense.trim().to_owned(),
            object_offense_id: object.map(str::to_owned),
            concerns: concerns.to_owned(),
            offense_date,
            affects_financial_institution: raw.affects_financial_institution.unwrap_or(false),
            penalty_facts,
            gain,
            loss,
        })
    }
}

/// A mapping of one exhibit to one element of one charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub id: MappingId,
    pub count: i32,
    #[serde(skip)]
    pub charge_id: ChargeId,
    pub element_id: String,
    pub exhibit: ExhibitNumber,
    #[serde(skip)]
    pub exhibit_id: ExhibitId,
    pub pin_kind: Option<PinKind>,
    pub pin_cite: Option<String>,
    pub rationale: String,
    pub status: MappingStatus,
    /// Why the mapping is back in review, when the system sent it back.
    pub status_reason: Option<String>,
    #[serde(skip)]
    pub proposed_by: UserId,
    pub proposed_by_name: String,
    pub proposed_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl Mapping {
    /// The pin cite as a court filing writes it ("pp. 4–6", "row 17, col. C", "Bates
    /// ABC000123"), or nothing.
    pub fn pin(&self) -> Option<String> {
        let cite = self.pin_cite.as_deref()?;
        Some(match self.pin_kind {
            Some(kind) => super::pin::Pin::parse(kind, cite)
                .map_or_else(|_| format!("{} {cite}", kind.label()), |p| p.court_form()),
            None => cite.to_owned(),
        })
    }

    /// The parsed pin, for a viewer opening the file at the cited place.
    pub fn parsed_pin(&self) -> Option<super::pin::Pin> {
        super::pin::Pin::parse(self.pin_kind?, self.pin_cite.as_deref()?).ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawMapping {
    #[serde(default)]
    pub count: Option<i32>,
    #[serde(default)]
    pub element: String,
    #[serde(default)]
    pub exhibit: String,
    #[serde(default)]
    pub pin_kind: Option<String>,
    #[serde(default)]
    pub pin_cite: Option<String>,
    #[serde(default)]
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingDraft {
    pub count: i32,
    pub element_id: String,
    pub exhibit: ExhibitNumber,
    pub pin_kind: Option<PinKind>,
    pub pin_cite: Option<String>,
    pub rationale: String,
}

impl MappingDraft {
    /// Checks the form; whether the element belongs to the count's offense is checked where
    /// the count is known.
    pub fn parse(raw: &RawMapping) -> Result<MappingDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if raw.count.is_none() {
            errors.add("count", "choose the count this evidence supports");
        }
        if raw.element.trim().is_empty() {
            errors.add("element", "choose the element this evidence proves");
        }
        let exhibit = errors.check("exhibit", raw.exhibit.trim().parse::<ExhibitNumber>());
        let pin_cite = trimmed(&raw.pin_cite).map(str::to_owned);
        let pin_kind = match trimmed(&raw.pin_kind) {
            Some(kind) => errors.check("pin_kind", kind.parse::<PinKind>()),
            None => None,
        };
        match (&pin_kind, &pin_cite) {
            (Some(_), None) => errors.add("pin_cite", "give the place in the exhibit, or clear the pin cite kind"),
            (None, Some(_)) => errors.add(
                "pin_kind",
                "say what the pin cite is: a page, line, row, Bates number, byte offset, media time, image region or trace span",
            ),
            _ => {}
        }
        if let (Some(kind), Some(cite)) = (pin_kind, &pin_cite)
            && let Err(message) = check_pin(kind, cite)
        {
            errors.add("pin_cite", message);
        }
        let rationale = raw.rationale.trim();
        if rationale.is_empty() {
            errors.add("rationale", "explain how this evidence proves the element");
        } else if rationale.chars().count() > 4000 {
            errors.add("rationale", "must be at most 4000 characters");
        }
        match (raw.count, exhibit) {
            (Some(count), Some(exhibit)) if errors.is_empty() => Ok(MappingDraft {
                count,
                element_id: raw.element.trim().to_owned(),
                exhibit,
                pin_kind,
                pin_cite,
                rationale: rationale.to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

fn check_pin(kind: PinKind, cite: &str) -> Result<(), String> {
    super::pin::Pin::parse(kind, cite).map(|_| ())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawReview {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDraft {
    pub decision: ReviewDecision,
    pub comment: String,
}

impl ReviewDraft {
    pub fn parse(raw: &RawReview) -> Result<ReviewDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let decision = errors.check("decision", raw.decision.trim().parse::<ReviewDecision>());
        if matches!(decision, Some(ReviewDecision::Reopened | ReviewDecision::Withdrawn | ReviewDecision::Revoked)) {
            errors.add("decision", "choose accepted, rejected or needs_more_evidence");
        }
        let comment = raw.comment.trim();
        if comment.chars().count() > 4000 {
            errors.add("comment", "must be at most 4000 characters");
        }
        if matches!(decision, Some(ReviewDecision::Rejected | ReviewDecision::NeedsMoreEvidence)) && comment.is_empty()
        {
            errors.add("comment", "say why, so the investigator knows what to do next");
        }
        match decision {
            Some(decision) if errors.is_empty() => Ok(ReviewDraft { decision, comment: comment.to_owned() }),
            _ => Err(errors),
        }
    }
}

/// One recorded review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub seq: i32,
    pub reviewer: Option<String>,
    pub decision: ReviewDecision,
    pub comment: String,
    pub exhibit_sha256: Option<String>,
    pub catalog_version: String,
    pub element_fingerprint: String,
    pub reviewed_at: PrimitiveDateTime,
}

/// The state of one element of one charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Accepted evidence with intact custody.
    Proven,
    /// Evidence offered, not yet accepted.
    Proposed,
    /// No evidence accepted or offered.
    Gap,
}

impl CellState {
    pub fn label(&self) -> &'static str {
        match self {
            CellState::Proven => "Proven",
            CellState::Proposed => "Proposed",
            CellState::Gap => "Gap",
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            CellState::Proven => "proven",
            CellState::Proposed => "proposed",
            CellState::Gap => "gap",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageCell {
    pub element_id: String,
    pub text: String,
    pub kind: ElementKind,
    pub label: &'static str,
    /// For an element entered by a user: who entered it and that it is not from the catalog.
    pub provenance: Option<String>,
    pub verify_before_relying: bool,
    /// Optional elements and penalty facts that are not pleaded do not decide provability.
    pub required: bool,
    pub state: CellState,
    pub proven_by: Vec<ExhibitNumber>,
    pub proposed_by: Vec<ExhibitNumber>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    Open,
    /// Inside 180 days.
    Warning,
    Passed,
    /// No offense date recorded for the count: no deadline can be computed.
    Unknown,
    /// Out of the catalog (the count or its object): Custos holds no rule and states none.
    NotComputed,
    /// No limit (§ 3286(b)).
    NoLimit,
    /// The count was charged (indictment or information filed): the clock has stopped.
    Charged,
}

/// The statute of limitations for one count.
#[derive(Debug, Clone, Serialize)]
pub struct Limitation {
    /// `None` when there is no limit, or no rule is known (see `state`).
    pub years: Option<u8>,
    pub authority: &'static str,
    /// The reference's caution on the rule applied, with its label.
    pub note: Option<&'static str>,
    /// The day the period runs from: the count's offense date, or the earliest day an
    /// approximate date or range can mean.
    #[serde(with = "iso_date::option")]
    pub offense_date: Option<Date>,
    /// When the offense date is not one exact day: which day the deadline runs from, and why.
    pub date_basis: Option<String>,
    #[serde(with = "iso_date::option")]
    pub deadline: Option<Date>,
    pub days_left: Option<i64>,
    pub state: DeadlineState,
    /// When the indictment or information charging the count was filed.
    #[serde(with = "iso_date::option")]
    pub charged_on: Option<Date>,
}

impl Limitation {
    /// The deadline in words, as pages and the memo state it.
    pub fn describe(&self) -> String {
        match (self.state, self.deadline, self.charged_on) {
            (DeadlineState::Charged, Some(deadline), Some(on)) if on > deadline => {
                format!("charged on {on}, after the limitation deadline of {deadline}")
            }
            (DeadlineState::Charged, _, Some(on)) => format!("charged on {on}: the clock has stopped"),
            (DeadlineState::NotComputed, _, _) => {
                "not computed: the count or its object is outside the catalog; determine the period".into()
            }
            (DeadlineState::NoLimit, _, _) => "no limitation period".into(),
            (DeadlineState::Unknown, _, _) => "unknown: enter the offense date".into(),
            (_, Some(deadline), _) => {
                let days = self.days_left.unwrap_or_default();
                let text = match self.state {
                    DeadlineState::Passed => format!("{deadline}: passed {} days ago", -days),
                    DeadlineState::Warning => format!("{deadline}: {days} days left"),
                    _ => format!("{deadline} ({days} days)"),
                };
                match &self.date_basis {
                    Some(basis) => format!("{text}; {basis}"),
                    None => text,
                }
            }
            _ => "unknown: enter the offense date".into(),
        }
    }
}

/// Days before a deadline at which it is shown as a warning.
pub const LIMITATION_WARNING_DAYS: i64 = 180;

/// The limitation deadline of one count, from its own offense date (for a conspiracy, the last
/// overt act or the end of the conspiracy): never the incident's dates, which could overstate
/// the time left. Stopped once the count was charged.
pub fn limitation_for(offense: &Offense, object: Option<&Offense>, charge: &Charge, today: Date) -> Limitation {
    let pleaded: Vec<&str> = charge.penalty_facts.iter().map(String::as_str).collect();
    // A conspiracy to commit an out-of-catalog offense may fall under another period (§ 1344:
    // § 3293(1)); Custos holds no rule for it and states none.
    let period = match object {
        Some(o) if o.limitation == LimitationRule::NotInCatalog => None,
        _ => limitation_period(offense, &pleaded, charge.affects_financial_institution),
    };
    let offense_date = charge.offense_date.map(|d| d.earliest());
    // An approximate date or a range runs from the earliest day it can mean, so the deadline
    // never overstates the time left; the page and memo say so.
    let date_basis = charge.offense_date.filter(|d| !d.is_exact_day()).map(|d| {
        format!(
            "computed from {}, the earliest day \u{201c}{}\u{201d} names; an act before it would make the deadline earlier [ANALYSIS]",
            d.earliest(),
            d.describe()
        )
    });
    let base = Limitation {
        years: None,
        authority: "none: out of the catalog, Custos holds no limitation rule for it",
        note: None,
        offense_date,
        date_basis,
        deadline: None,
        days_left: None,
        // A charged count's clock has stopped, whatever its rule.
        state: if charge.charged_on.is_some() { DeadlineState::Charged } else { DeadlineState::NotComputed },
        charged_on: charge.charged_on,
    };
    let Some(period) = period else { return base };
    let base = Limitation { years: period.years, authority: period.authority, note: period.note, ..base };
    let deadline = offense_date.zip(period.years).map(|(d, y)| limitation_deadline(d, y));
    let days_left = deadline.map(|d| (d - today).whole_days());
    let state = match (charge.charged_on, period.years, days_left) {
        (Some(_), _, _) => DeadlineState::Charged,
        (None, None, _) => DeadlineState::NoLimit,
        (None, Some(_), None) => DeadlineState::Unknown,
        (None, Some(_), Some(days)) if days < 0 => DeadlineState::Passed,
        (None, Some(_), Some(days)) if days <= LIMITATION_WARNING_DAYS => DeadlineState::Warning,
        (None, Some(_), Some(_)) => DeadlineState::Open,
    };
    Limitation { deadline, days_left, state, ..base }
}

/// Where a count stands in the office's list of nearest limitation deadlines: stored with the
/// count, so the list is read in order from an index instead of computed over every count.
/// Only the deadline is stored, never its state: "passed" or "inside 180 days" depends on the
/// day the list is read, and is computed then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineListing {
    /// Charged, dropped, out of the catalog (no rule), or no limit: not on the list.
    NotListed,
    /// A period applies but no offense date is recorded: listed first, the deadline unknown.
    Undated,
    /// Listed by its deadline, soonest (or long passed) first.
    Dated(Date),
}

impl DeadlineListing {
    /// The stored form: the list's rank (0 not listed) and the deadline.
    pub fn stored(self) -> (i32, Option<Date>) {
        match self {
            DeadlineListing::NotListed => (0, None),
            DeadlineListing::Undated => (1, None),
            DeadlineListing::Dated(d) => (2, Some(d)),
        }
    }

    /// The listing of a count, by the rule the list has always applied: candidate counts of the
    /// catalog (never an out-of-catalog count or object, for which no rule is held) whose
    /// period is known, charged counts and counts with no limit left out.
    pub fn of(law: &Law, charge: &Charge, today: Date) -> DeadlineListing {
        if charge.status != ChargeStatus::Candidate || charge.charged_on.is_some() {
            return DeadlineListing::NotListed;
        }
        let Some(offense) = law.offense(&charge.offense_id) else { return DeadlineListing::NotListed };
        if charge.object_offense_id.as_deref().is_some_and(|o| o.starts_with(crate::statutes::OTHER_PREFIX)) {
            return DeadlineListing::NotListed;
        }
        let limitation = limitation_for(offense, object_of(law, offense, charge), charge, today);
        match (limitation.state, limitation.deadline) {
            (DeadlineState::Unknown, _) => DeadlineListing::Undated,
            (DeadlineState::Open | DeadlineState::Warning | DeadlineState::Passed, Some(d)) => {
                DeadlineListing::Dated(d)
            }
            _ => DeadlineListing::NotListed,
        }
    }
}

/// What stops a count from being proposed in a memo: "defendant not chosen", "object offense
/// not chosen". Nothing is guessed for a count carried over from before these were recorded.
pub fn not_ready(law: &Law, charge: &Charge) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if charge.defendants.is_empty() {
        missing.push("defendant not chosen");
    }
    if law.offense(&charge.offense_id).is_some_and(|o| o.same_as_object) && charge.object_offense_id.is_none() {
        missing.push("object offense not chosen");
    }
    if law.offense(&charge.offense_id).is_some_and(|o| !o.predicates.is_empty()) && charge.predicate.is_none() {
        missing.push("predicate felony not linked");
    }
    // A fact the catalog has since retired (such as the old AGG-ID-P1, now § 1028A(a)(2)) no
    // longer sets the maximum: the count must be recharged, never silently read as less.
    if let Some(offense) = law.offense(&charge.offense_id) {
        let object = object_of(law, offense, charge);
        let known = |id: &str| {
            offense.penalty_facts.iter().any(|p| p.id == id)
                || offense.elements.iter().any(|e| e.id == id && e.theory.is_some())
                || object.is_some_and(|o| o.penalty_facts.iter().any(|p| p.id == id))
        };
        // Without its object a conspiracy's facts cannot be checked: "object offense not
        // chosen" already holds it back.
        let checkable = !offense.same_as_object || object.is_some();
        if checkable && charge.penalty_facts.iter().any(|id| !known(id)) {
            missing.push("pleads a penalty fact the catalog no longer has: recharge the count");
        }
    }
    missing
}

/// Whether `predicate` may be the predicate felony of a count of `offense` (§ 1028A): an
/// offense § 1028A(c) enumerates, charged as a felony (its maximum, with the penalty facts
/// pleaded on it, above one year), and charging the same defendant where both name theirs.
/// An out-of-catalog count qualifies only under a provision the catalog lists as named by
/// § 1028A(c) (`predicate_citations`). The refusal says why.
pub fn check_predicate(
    law: &Law,
    offense: &Offense,
    predicate: &Charge,
    defendants: &[PersonId],
) -> Result<(), String> {
    let Some(predicate_offense) = law.offense(&predicate.offense_id) else {
        return Err(format!("count {} names an offense Custos does not know", predicate.count));
    };
    let object = object_of(law, predicate_offense, predicate);
    let citation = count_citation(predicate_offense, object);
    if predicate.status != ChargeStatus::Candidate {
        return Err(format!("count {} ({citation}) was dropped", predicate.count));
    }
    if !predicate_offense.predicates.is_empty() {
        return Err(format!("count {} ({citation}) is itself a § 1028A count", predicate.count));
    }
    if predicate_offense.provenance.is_some() {
        if !offense.predicate_citations.iter().any(|p| falls_under(&predicate_offense.statute, p)) {
            return Err(if offense.predicate_citations.is_empty() {
                format!(
                    "count {} ({citation}) is outside the catalog, and the catalog lists no out-of-catalog predicate for {}",
                    predicate.count,
                    offense.citation()
                )
            } else {
                format!(
                    "count {} ({citation}) is outside the catalog, under no provision the catalog lists for § 1028A(c) ({}); chapters § 1028A(c) names as a whole are not checked section by section",
                    predicate.count,
                    offense.predicate_citations.join(", ")
                )
            });
        }
    } else if !offense.predicates.contains(&predicate_offense.id) {
        return Err(format!(
            "count {} ({citation}) is not a predicate § 1028A(c) enumerates (§ 1028(a)(7), for one, is excluded by name)",
            predicate.count
        ));
    }
    if object.is_some_and(|o| o.id == "ID-A7") {
        return Err(format!(
            "count {} ({citation}): whether a § 1028(f) count whose object is § 1028(a)(7) qualifies was not found decided [ANALYSIS]; Custos does not link it",
            predicate.count
        ));
    }
    let pleaded: Vec<&str> = predicate.penalty_facts.iter().map(String::as_str).collect();
    if offense.predicates_must_be_listed
        && !predicate_offense.listed_if.is_empty()
        && !predicate_offense.listed_if.iter().any(|id| pleaded.contains(&id.as_str()))
    {
        return Err(format!(
            "count {} ({citation}) is on the § 2332b(g)(5)(B) list only with {} pleaded on it",
            predicate.count,
            predicate_offense.listed_if.join(" or ")
        ));
    }
    let (maximum, _) = penalties(predicate_offense, object, &pleaded);
    if maximum <= Maximum::Years(1) {
        return Err(format!(
            "count {} ({citation}) is charged as a misdemeanor (maximum {maximum} with the penalty facts pleaded on it): only a felony is a predicate; plead the fact that makes it one",
            predicate.count
        ));
    }
    if !defendants.is_empty()
        && !predicate.defendants.is_empty()
        && !defendants.iter().any(|d| predicate.defendants.contains(d))
    {
        return Err(format!("count {} charges none of this count's defendants", predicate.count));
    }
    Ok(())
}

/// A count's citation, naming its object (see `count_citation`); `None` when the catalog has
/// no such offense.
pub fn charge_citation(law: &Law, charge: &Charge) -> Option<String> {
    law.offense(&charge.offense_id).map(|o| count_citation(o, object_of(law, o, charge)))
}

/// A count's statutory maximum and mandatory minimum with the penalty facts pleaded on it: a
/// conspiracy or attempt takes its object's penalties (and the object's pleaded facts), raised
/// only by penalty facts of its own that are pleaded: its own base maximum is no floor, since
/// an out-of-catalog object may carry less.
fn penalties(offense: &Offense, object: Option<&Offense>, pleaded: &[&str]) -> (Maximum, u16) {
    let Some(object) = object else {
        return (offense.maximum_with(pleaded.iter().copied()), offense.minimum_with(pleaded.iter().copied()));
    };
    let own: Vec<&str> =
        pleaded.iter().copied().filter(|id| offense.penalty_facts.iter().any(|p| p.id == *id)).collect();
    let mut maximum = object.maximum_with(pleaded.iter().copied());
    let mut minimum = object.minimum_with(pleaded.iter().copied());
    if !own.is_empty() {
        maximum = maximum.max(offense.maximum_with(own.iter().copied()));
        minimum = minimum.max(offense.minimum_with(own.iter().copied()));
    }
    (maximum, minimum)
}

/// Flags the most serious readily provable count among `rows` and clears the flag on the
/// others (the rows keep their order); returns the rule it applied, for the memo to state.
/// JM 9-27.300 ranks by the likely sentence (reference §8): where every candidate has a
/// § 2B1.1 estimate, by the estimated offense level, then the maximum as a cap; otherwise by
/// the statutory maximum, saying why. A § 1028A count's consecutive term is added to its
/// predicate's sentence, not ranked against it. Equal keys: the lower count number.
pub fn mark_most_serious(rows: &mut [ChargeCoverage]) -> String {
    let (top, rule) = most_serious(rows);
    for (i, row) in rows.iter_mut().enumerate() {
        row.most_serious = Some(i) == top;
    }
    rule
}

/// Which of `rows` is the most serious readily provable count (its index), and the rule that
/// chose it, without changing the rows (see `mark_most_serious`).
pub fn most_serious(rows: &[ChargeCoverage]) -> (Option<usize>, String) {
    let candidates: Vec<usize> =
        (0..rows.len()).filter(|&i| rows[i].readily_provable && !rows[i].consecutive).collect();
    let unestimated: Vec<i32> =
        candidates.iter().filter(|&&i| rows[i].guideline_level.is_none()).map(|&i| rows[i].charge.count).collect();
    let by_level = unestimated.is_empty();
    let top = candidates.iter().copied().max_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let level = if by_level { a.guideline_level.cmp(&b.guideline_level) } else { std::cmp::Ordering::Equal };
        level.then(a.maximum.cmp(&b.maximum)).then(b.charge.count.cmp(&a.charge.count))
    });
    let consecutive =
        " A § 1028A count's mandatory consecutive term is added to its predicate's sentence, not ranked against it.";
    let rule = if candidates.is_empty() {
        "No count is readily provable yet, so none is marked most serious.".into()
    } else if by_level {
        format!(
            "Most serious readily provable: ranked by the likely sentence as far as Custos can estimate it (JM 9-27.300 [SRC via summaries; current text UNVERIFIED]): the U.S.S.G. § 2B1.1 offense level estimated for each count (base, loss, victims), then the statutory maximum as a cap [ANALYSIS]. Custos holds no sentencing table and does not convert levels to months: confirm against the Guidelines range.{consecutive}"
        )
    } else {
        format!(
            "Most serious readily provable: ranked by statutory maximum, because count(s) {} have no guideline estimate in Custos (not referenced to § 2B1.1, or out of the catalog). JM 9-27.300 ranks by the likely sentence [SRC via summaries]: confirm the ranking against the Guidelines.{consecutive}",
            unestimated.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    (top, rule)
}

/// The object offense a conspiracy or attempt count names, if its offense takes one.
pub fn object_of<'a>(law: &'a Law, offense: &Offense, charge: &Charge) -> Option<&'a Offense> {
    charge.object_offense_id.as_deref().filter(|_| offense.same_as_object).and_then(|o| law.offense(o))
}

/// A count's citation as an indictment writes it, naming a conspiracy's or attempt's object:
/// "18 U.S.C. § 1030(b) (conspiracy to violate § 1030(a)(5)(A))".
pub fn count_citation(offense: &Offense, object: Option<&Offense>) -> String {
    let Some(object) = object else { return offense.citation() };
    let citation = if offense.subsection.starts_with('(') {
        // "(b) conspiracy" is the subsection and the kind: cite the subsection alone.
        let subsection = offense.subsection.split_whitespace().next().unwrap_or("");
        format!("{}{subsection}", offense.statute)
    } else {
        offense.statute.clone()
    };
    let kind = if offense.id.ends_with("-ATT") { "attempt" } else { "conspiracy" };
    // Within one title the object is cited by section alone.
    let object_citation = match (offense.statute.split_once('§'), object.citation().split_once('§')) {
        (Some((title, _)), Some((object_title, rest))) if title == object_title => format!("§{rest}"),
        _ => object.citation(),
    };
    format!("{citation} ({kind} to violate {object_citation})")
}

/// One candidate count's row of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeCoverage {
    pub charge: Charge,
    pub citation: String,
    pub title: String,
    pub maximum: Maximum,
    pub maximum_text: String,
    pub minimum_years: u16,
    pub consecutive: bool,
    pub cells: Vec<CoverageCell>,
    pub readily_provable: bool,
    /// The most serious readily provable offense of the incident.
    pub most_serious: bool,
    pub gaps: usize,
    pub limitation: Limitation,
    /// An out-of-catalog count: who entered its offense, and that it is not from the catalog.
    pub provenance: Option<String>,
    /// The U.S.S.G. § 2B1.1 offense level estimated for this count alone, where it is
    /// referenced to § 2B1.1 (see `exposure::count_level`): what "most serious" ranks by.
    pub guideline_level: Option<u8>,
}

/// Computes coverage for the candidate (not dropped) charges, in count order, the most serious
/// readily provable one flagged. `custody_intact(exhibit)` says whether an exhibit's custody
/// holds.
pub fn coverage(
    law: &Law,
    charges: &[Charge],
    mappings: &[Mapping],
    custody_intact: &dyn Fn(ExhibitNumber) -> bool,
    victims: &[super::incident::Victim],
    today: Date,
) -> Vec<ChargeCoverage> {
    let mut out = Vec::new();
    for charge in charges.iter().filter(|c| c.status == ChargeStatus::Candidate) {
        let Some(offense) = law.offense(&charge.offense_id) else { continue };
        let pleaded: Vec<&str> = charge.penalty_facts.iter().map(String::as_str).collect();
        let object = object_of(law, offense, charge);
        let (maximum, minimum_years) = penalties(offense, object, &pleaded);
        // The count's own elements, then the object's, which name what was agreed or attempted
        // (they need no proof as completed acts); pleaded object penalty facts must be proved.
        let rows =
            offense.rows().map(|e| (e, false)).chain(object.into_iter().flat_map(|o| o.rows().map(|e| (e, true))));
        let cells: Vec<CoverageCell> = rows
            .map(|(element, of_object)| {
                let mine = mappings.iter().filter(|m| m.charge_id == charge.id && m.element_id == element.id);
                let mut proven_by = Vec::new();
                let mut proposed_by = Vec::new();
                for m in mine {
                    match m.status {
                        MappingStatus::Accepted if custody_intact(m.exhibit) => proven_by.push(m.exhibit),
                        MappingStatus::Accepted | MappingStatus::Proposed => proposed_by.push(m.exhibit),
                        MappingStatus::Rejected
                        | MappingStatus::NeedsMoreEvidence
                        | MappingStatus::Withdrawn
                        | MappingStatus::Revoked => {}
                    }
                }
                let state = if !proven_by.is_empty() {
                    CellState::Proven
                } else if !proposed_by.is_empty() {
                    CellState::Proposed
                } else {
                    CellState::Gap
                };
                let required = match element.kind {
                    // An optional element is required when the count pleads its theory.
                    ElementKind::Element if element.optional => {
                        !of_object && element.theory.is_some() && pleaded.contains(&element.id.as_str())
                    }
                    ElementKind::Element => !of_object,
                    ElementKind::PenaltyFact => pleaded.contains(&element.id.as_str()),
                };
                CoverageCell {
                    element_id: element.id.clone(),
                    text: if of_object { format!("The object: {}", element.text) } else { element.text.clone() },
                    kind: element.kind,
                    label: element.label.as_str(),
                    provenance: if of_object {
                        object.and_then(|o| o.provenance.clone())
                    } else {
                        offense.provenance.clone()
                    },
                    verify_before_relying: element.label.verify_before_relying(),
                    required,
                    state,
                    proven_by,
                    proposed_by,
                }
            })
            .collect();
        let gaps = cells.iter().filter(|c| c.required && c.state != CellState::Proven).count();
        out.push(ChargeCoverage {
            citation: count_citation(offense, object),
            title: offense.title.clone(),
            maximum,
            maximum_text: maximum.to_string(),
            minimum_years,
            consecutive: offense.consecutive,
            readily_provable: gaps == 0,
            most_serious: false,
            gaps,
            limitation: limitation_for(offense, object, charge, today),
            provenance: offense.provenance.clone(),
            guideline_level: None,
            cells,
            charge: charge.clone(),
        });
    }
    // Counts stay in the prosecutor's order; the most serious readily provable one is a flag,
    // not the sort order.
    out.sort_by_key(|c| c.charge.count);
    for row in &mut out {
        row.guideline_level = super::exposure::count_level(law, row, victims);
    }
    mark_most_serious(&mut out);
    out
}

/// A candidate count for unit tests: the offense, nothing pleaded, no date, no defendant.
#[cfg(test)]
pub(crate) fn sample_charge(count: i32, offense: &str) -> Charge {
    Charge {
        id: ChargeId::new(),
        count,
        offense_id: offense.into(),
        object_offense_id: None,
        concerns: "Victim".into(),
        offense_date: None,
        affects_financial_institution: false,
        penalty_facts: Vec::new(),
        status: ChargeStatus::Candidate,
        drop_reason: None,
        defendants: Vec::new(),
        predicate: None,
        charged_on: None,
        charging_instrument: None,
        gain: None,
        loss: None,
        created_by: UserId::new(),
        created_at: time::macros::datetime!(2026-01-01 0:00),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statutes::Catalog;
    use time::macros::{date, datetime};

    fn catalog() -> &'static Catalog {
        crate::statutes::catalog().unwrap()
    }

    fn law() -> Law<'static> {
        Law::catalog_only(catalog())
    }

    fn charge(count: i32, offense: &str, facts: &[&str], fi: bool) -> Charge {
        Charge {
            affects_financial_institution: fi,
            penalty_facts: facts.iter().map(|s| s.to_string()).collect(),
            ..sample_charge(count, offense)
        }
    }

    fn mapping(charge: &Charge, element: &str, exhibit: i32, status: MappingStatus) -> Mapping {
        Mapping {
            id: MappingId::new(),
            count: charge.count,
            charge_id: charge.id,
            element_id: element.into(),
            exhibit: format!("2026-0001-E{exhibit:03}").parse().unwrap(),
            exhibit_id: ExhibitId::new(),
            pin_kind: None,
            pin_cite: None,
            rationale: "r".into(),
            status,
            status_reason: None,
            proposed_by: UserId::new(),
            proposed_by_name: "u".into(),
            proposed_at: datetime!(2026-01-01 0:00),
            updated_at: datetime!(2026-01-01 0:00),
        }
    }

    #[test]
    fn a_conspiracy_takes_its_objects_penalties_and_names_it() {
        let mut count = charge(1, "CFAA-B", &["CFAA-A5A-P1"], false);
        count.object_offense_id = Some("CFAA-A5A".into());
        let rows = coverage(&law(), &[count.clone()], &[], &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(rows[0].maximum, Maximum::Years(10), "(b) to violate (a)(5)(A) with a (c)(4)(B) harm factor");
        assert_eq!(rows[0].citation, "18 U.S.C. § 1030(b) (conspiracy to violate § 1030(a)(5)(A))");
        let object_rows: Vec<&CoverageCell> =
            rows[0].cells.iter().filter(|c| c.text.starts_with("The object: ")).collect();
        assert!(!object_rows.is_empty(), "the object's elements are listed");
        let pleaded = rows[0].cells.iter().find(|c| c.element_id == "CFAA-A5A-P1").unwrap();
        assert!(pleaded.required, "a pleaded object penalty fact must be proved");
        assert!(object_rows.iter().filter(|c| c.kind == ElementKind::Element).all(|c| !c.required));
        // Without the harm factor: the object's base maximum.
        count.penalty_facts.clear();
        let rows = coverage(&law(), &[count], &[], &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(rows[0].maximum, Maximum::Years(1));
        // The parser accepts the object's penalty facts on the conspiracy count, and only those.
        let raw = RawCharge {
            offense: "CFAA-B".into(),
            object_offense: Some("CFAA-A5A".into()),
            concerns: "Agreement to deploy the ransomware".into(),
            penalty_facts: vec!["CFAA-A5A-P1".into()],
            ..Default::default()
        };
        assert!(ChargeDraft::parse(&raw, &law(), date!(2026 - 06 - 01)).is_ok());
        let wrong = RawCharge { penalty_facts: vec!["WIRE-P1".into()], ..raw };
        assert!(ChargeDraft::parse(&wrong, &law(), date!(2026 - 06 - 01)).is_err());
    }

    #[test]
    fn a_wire_fraud_conspiracy_names_its_object_or_is_flagged() {
        let mut count = charge(1, "WIRE-1349", &["WIRE-P1"], true);
        count.defendants = vec![PersonId::new()];
        assert_eq!(not_ready(&law(), &count), vec!["object offense not chosen"], "a count from before objects");
        count.object_offense_id = Some("WIRE".into());
        assert!(not_ready(&law(), &count).is_empty());
        let rows = coverage(&law(), &[count], &[], &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(rows[0].citation, "18 U.S.C. § 1349 (conspiracy to violate § 1343)");
        assert_eq!(
            rows[0].maximum,
            Maximum::Years(30),
            "the object's financial-institution tier, pleaded on the count"
        );
    }

    #[test]
    fn an_identity_theft_conspiracy_takes_its_objects_tier() {
        let object = catalog().offense("ID-A7").unwrap();
        let fact = object.penalty_facts.iter().max_by_key(|p| p.raises_max_years).unwrap().id.clone();
        let mut count = charge(1, "ID-F-CONSP", &[fact.as_str()], false);
        count.object_offense_id = Some("ID-A7".into());
        let rows = coverage(&law(), &[count], &[], &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(rows[0].citation, "18 U.S.C. § 1028(f) (conspiracy to violate § 1028(a)(7))");
        assert_eq!(rows[0].maximum, object.maximum_with([fact.as_str()]), "§ 1028(f): the object's penalties");
        assert!(rows[0].maximum > Maximum::Years(1));
    }

    #[test]
    fn a_1028a_count_takes_only_an_enumerated_felony_as_its_predicate() {
        let agg = catalog().offense("AGG-ID").unwrap();
        let defendant = PersonId::new();
        let mut misdemeanor = charge(1, "CFAA-A2", &[], false);
        misdemeanor.defendants = vec![defendant];
        let why = check_predicate(&law(), agg, &misdemeanor, &[defendant]).unwrap_err();
        assert!(why.contains("misdemeanor") && why.contains("1 year"), "{why}");
        let felony_fact = catalog().offense("CFAA-A2").unwrap().penalty_facts[0].id.clone();
        let mut felony = charge(1, "CFAA-A2", &[felony_fact.as_str()], false);
        felony.defendants = vec![defendant];
        assert_eq!(check_predicate(&law(), agg, &felony, &[defendant]), Ok(()));
        let mut excluded = charge(2, "ID-A7", &[], false);
        excluded.defendants = vec![defendant];
        assert!(check_predicate(&law(), agg, &excluded, &[defendant]).unwrap_err().contains("not a predicate"));
        let mut wire = charge(3, "WIRE", &[], false);
        wire.defendants = vec![PersonId::new()];
        assert!(
            check_predicate(&law(), agg, &wire, &[defendant]).unwrap_err().contains("none of this count's defendants")
        );
        assert!(not_ready(&law(), &charge(5, "AGG-ID", &[], false)).contains(&"predicate felony not linked"));
        // § 1028A(a)(2) is its own offense: a § 2332b(g)(5)(B) felony only, five years.
        let a2 = catalog().offense("AGG-ID-A2").unwrap();
        assert_eq!((a2.min_years, a2.max_years, a2.consecutive), (5, 5, true));
        assert!(check_predicate(&law(), a2, &felony, &[defendant]).unwrap_err().contains("not a predicate"));
        let mut ransomware = charge(6, "CFAA-A5A", &["CFAA-A5A-P1"], false);
        ransomware.defendants = vec![defendant];
        let why = check_predicate(&law(), a2, &ransomware, &[defendant]).unwrap_err();
        assert!(why.contains("§ 2332b(g)(5)(B) list only with CFAA-A5A-P4"), "the $5,000 loss alone: {why}");
        ransomware.penalty_facts.push("CFAA-A5A-P4".into());
        assert_eq!(check_predicate(&law(), a2, &ransomware, &[defendant]), Ok(()));
    }

    fn entered(n: i32, citation: &str, maximum: Maximum) -> Offense {
        crate::domain::other_statute::OtherStatute {
            code: crate::domain::other_statute::code(n),
            citation: citation.into(),
            title: "Entered".into(),
            maximum,
            min_years: 0,
            elements: vec!["First.".into(), "Second.".into()],
            entered_by: UserId::new(),
            entered_by_name: "Paula Price".into(),
            entered_at: datetime!(2026-12-01 9:00),
        }
        .offense()
    }

    #[test]
    fn out_of_catalog_counts_and_objects_say_what_they_are() {
        let law = Law::new(
            catalog(),
            vec![
                entered(1, "18 U.S.C. § 1344", Maximum::Years(30)),
                entered(2, "18 U.S.C. § 1029(a)(2)", Maximum::Years(10)),
                entered(3, "50 U.S.C. § 1705", Maximum::Years(20)),
                entered(4, "18 U.S.C. § 1029(a)(9)", Maximum::Years(1)),
            ],
        );
        // A § 1349 conspiracy whose object is bank fraud, entered: the object's maximum, no
        // limitation rule, and the object's elements carry who entered them.
        let mut consp = charge(1, "WIRE-1349", &[], false);
        consp.object_offense_id = Some("OTHER-1".into());
        consp.offense_date = Some(date!(2024 - 01 - 01).into());
        let rows = coverage(&law, &[consp], &[], &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(rows[0].citation, "18 U.S.C. § 1349 (conspiracy to violate § 1344)");
        assert_eq!(rows[0].maximum, Maximum::Years(30));
        assert_eq!((rows[0].limitation.years, rows[0].limitation.deadline), (None, None), "no period is guessed");
        let object_cell = rows[0].cells.iter().find(|c| c.element_id == "OTHER-1-E1").unwrap();
        assert_eq!(object_cell.label, "ENTERED");
        assert!(object_cell.provenance.as_deref().unwrap().contains("entered by Paula Price"));
        let raw = |object: &str| RawCharge {
            offense: "WIRE-1349".into(),
            object_offense: Some(object.into()),
            concerns: "Agreement".into(),
            ..Default::default()
        };
        assert!(ChargeDraft::parse(&raw("OTHER-1"), &law, date!(2026 - 06 - 01)).is_ok());
        let refused = ChargeDraft::parse(&raw("OTHER-3"), &law, date!(2026 - 06 - 01)).unwrap_err();
        assert!(refused.for_field("object_offense").unwrap().contains("50 U.S.C. § 1705"));
        // The count's own base maximum is no floor under a lesser entered object.
        let mut small = charge(2, "WIRE-1349", &[], false);
        small.object_offense_id = Some("OTHER-4".into());
        assert_eq!(coverage(&law, &[small], &[], &|_| true, &[], date!(2026 - 06 - 01))[0].maximum, Maximum::Years(1));
        // A § 1028A predicate outside the catalog: a § 1029 felony qualifies, § 1705 does not,
        // nor a § 1029 count entered with a one-year maximum.
        let agg = catalog().offense("AGG-ID").unwrap();
        let d = PersonId::new();
        let mut access = charge(3, "OTHER-2", &[], false);
        access.defendants = vec![d];
        assert_eq!(check_predicate(&law, agg, &access, &[d]), Ok(()));
        let mut sanctions = charge(4, "OTHER-3", &[], false);
        sanctions.defendants = vec![d];
        assert!(check_predicate(&law, agg, &sanctions, &[d]).unwrap_err().contains("outside the catalog"));
        let mut petty = charge(5, "OTHER-4", &[], false);
        petty.defendants = vec![d];
        assert!(check_predicate(&law, agg, &petty, &[d]).unwrap_err().contains("misdemeanor"));
        let a2 = catalog().offense("AGG-ID-A2").unwrap();
        assert!(check_predicate(&law, a2, &access, &[d]).unwrap_err().contains("no out-of-catalog predicate"));
    }

    #[test]
    fn a_retired_fact_holds_a_count_back_and_a_theory_makes_its_element_required() {
        let mut old = charge(1, "AGG-ID", &["AGG-ID-P1"], false);
        old.defendants = vec![PersonId::new()];
        old.predicate = Some(ChargeId::new());
        assert_eq!(
            not_ready(&law(), &old),
            vec!["pleads a penalty fact the catalog no longer has: recharge the count"]
        );
        let plain = charge(2, "CFAA-A4", &[], false);
        let theft = charge(3, "CFAA-A4", &["CFAA-A4-E5"], false);
        let rows = coverage(&law(), &[plain, theft], &[], &|_| true, &[], date!(2026 - 06 - 01));
        let e5 = |row: &ChargeCoverage| row.cells.iter().find(|c| c.element_id == "CFAA-A4-E5").unwrap().required;
        assert!(!e5(&rows[0]), "only for the compute-use-only theory");
        assert!(e5(&rows[1]), "required when the count rests on it");
        let raw = RawCharge {
            offense: "CFAA-A4".into(),
            concerns: "Stolen cloud keys used to run models".into(),
            penalty_facts: vec!["CFAA-A4-E5".into()],
            ..Default::default()
        };
        assert!(ChargeDraft::parse(&raw, &law(), date!(2026 - 06 - 01)).is_ok(), "the theory is pleaded like a fact");
    }

    /// JM 9-27.300: by the likely sentence (the estimated § 2B1.1 level), not the maximum alone;
    /// § 1028A is never the most serious; a count with no estimate sends the ranking back to
    /// the maximum, and the rule says so.
    #[test]
    fn the_most_serious_count_follows_the_likely_sentence() {
        let proven = |c: &Charge| -> Vec<Mapping> {
            let offense = catalog().offense(&c.offense_id).unwrap();
            offense
                .elements
                .iter()
                .filter(|e| !e.optional)
                .map(|e| mapping(c, &e.id, 1, MappingStatus::Accepted))
                .collect()
        };
        let wire = charge(1, "WIRE", &[], false);
        let mut theft = charge(2, "CFAA-A4", &[], false);
        theft.loss = Some(Amount::exact(3_000_000 * 100));
        let agg = charge(3, "AGG-ID", &[], false);
        let maps: Vec<Mapping> = [&wire, &theft, &agg].into_iter().flat_map(&proven).collect();
        let mut rows = coverage(&law(), &[wire.clone(), theft, agg], &maps, &|_| true, &[], date!(2026 - 06 - 01));
        assert_eq!(
            (rows[0].guideline_level, rows[1].guideline_level, rows[2].guideline_level),
            (Some(7), Some(22), None)
        );
        assert!(rows[1].most_serious, "5 years, but level 22 against level 7");
        assert!(!rows[0].most_serious && !rows[2].most_serious);
        let rule = mark_most_serious(&mut rows);
        assert!(rule.contains("likely sentence") && rule.contains("does not convert levels to months"), "{rule}");
        // A provable count Custos cannot estimate (§ 1030(a)(1), §2M3.2): back to the maximum.
        let spy = charge(4, "CFAA-A1", &[], false);
        let mut maps = maps;
        maps.extend(proven(&spy));
        let mut theft = charge(2, "CFAA-A4", &[], false);
        theft.loss = Some(Amount::exact(3_000_000 * 100));
        let mut rows = coverage(&law(), &[wire, theft, spy], &maps, &|_| true, &[], date!(2026 - 06 - 01));
        let rule = mark_most_serious(&mut rows);
        assert!(rule.contains("ranked by statutory maximum, because count(s) 4"), "{rule}");
        assert!(rows[0].most_serious, "20 years");
    }

    #[test]
    fn coverage_marks_proven_proposed_and_gaps() {
        use MappingStatus::*;
        let wire = charge(1, "WIRE", &[], false);
        let maps = vec![
            mapping(&wire, "WIRE-E1", 1, Accepted),
            mapping(&wire, "WIRE-E2", 2, Proposed),
            mapping(&wire, "WIRE-E3", 3, Rejected),
            mapping(&wire, "WIRE-E4", 4, Accepted),
        ];
        // Exhibit 4's custody failed: its acceptance no longer proves anything.
        let intact = |n: ExhibitNumber| n.seq != 4;
        let cov = coverage(&law(), &[wire], &maps, &intact, &[], date!(2026 - 11 - 27));
        let states: Vec<CellState> = cov[0].cells.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            vec![CellState::Proven, CellState::Proposed, CellState::Gap, CellState::Proposed, CellState::Gap]
        );
        assert_eq!(cov[0].gaps, 3, "E2, E3 and E4 are unproven; the unpleaded P1 does not count");
        assert!(!cov[0].readily_provable);
        assert!(!cov[0].most_serious);
    }

    #[test]
    fn counts_keep_their_order_and_the_most_serious_provable_is_marked() {
        let wire = charge(1, "WIRE", &["WIRE-P1"], true);
        let a2 = charge(2, "CFAA-A2", &[], false);
        let agg = charge(3, "AGG-ID", &[], false);
        let mut maps = Vec::new();
        for id in ["CFAA-A2-E1", "CFAA-A2-E2", "CFAA-A2-E3"] {
            maps.push(mapping(&a2, id, 1, MappingStatus::Accepted));
        }
        let cov = coverage(&law(), &[a2, wire, agg], &maps, &|_| true, &[], date!(2026 - 11 - 27));
        // In count order, whatever order they were given in; the flag, not the order, marks
        // the most serious readily provable count.
        let order: Vec<&str> = cov.iter().map(|c| c.charge.offense_id.as_str()).collect();
        assert_eq!(order, vec!["WIRE", "CFAA-A2", "AGG-ID"]);
        assert_eq!(cov[0].maximum, Maximum::Years(30));
        assert!(cov[1].readily_provable && cov[1].most_serious);
        assert!(!cov[0].most_serious && !cov[2].most_serious);
        assert_eq!((cov[2].minimum_years, cov[2].consecutive), (2, true));
    }

    #[test]
    fn limitation_deadlines_never_overstate_the_time_left() {
        let today = date!(2026 - 01 - 15);
        let offense = |id: &str| catalog().offense(id).unwrap();
        // A § 1343 count with no date of its own: unknown, whatever the incident's dates.
        let undated = charge(1, "WIRE", &[], false);
        let l = limitation_for(offense("WIRE"), None, &undated, today);
        assert_eq!((l.state, l.deadline), (DeadlineState::Unknown, None));
        assert_eq!(l.describe(), "unknown: enter the offense date");
        // Five years, or ten under § 3293(2) only where "affects a financial institution" is
        // pleaded on the count.
        let mut wire = charge(2, "WIRE", &[], false);
        wire.offense_date = Some(date!(2021 - 06 - 01).into());
        let plain = limitation_for(offense("WIRE"), None, &wire, today);
        assert_eq!(
            (plain.years, plain.deadline, plain.state),
            (Some(5), Some(date!(2026 - 06 - 01)), DeadlineState::Warning)
        );
        wire.affects_financial_institution = true;
        let bank = limitation_for(offense("WIRE"), None, &wire, today);
        assert_eq!(
            (bank.years, bank.deadline, bank.state),
            (Some(10), Some(date!(2031 - 06 - 01)), DeadlineState::Open)
        );
        assert_eq!(bank.authority, "18 U.S.C. § 3293(2)");
        assert!(bank.note.unwrap().contains("Agne"), "with how the circuits read \"affects\"");
        // § 1349: a conspiracy pleading it gets ten; an attempt keeps five.
        let mut consp = charge(3, "WIRE-1349", &[], true);
        consp.object_offense_id = Some("WIRE".into());
        consp.offense_date = Some(date!(2021 - 06 - 01).into());
        assert_eq!(limitation_for(offense("WIRE-1349"), offense("WIRE").into(), &consp, today).years, Some(10));
        let mut attempt = consp.clone();
        attempt.offense_id = "WIRE-1349-ATT".into();
        assert_eq!(limitation_for(offense("WIRE-1349-ATT"), offense("WIRE").into(), &attempt, today).years, Some(5));
        // A financial-institution victim does not lengthen a CFAA count's period.
        let mut cfaa = charge(4, "CFAA-A4", &[], true);
        cfaa.offense_date = Some(date!(2021 - 06 - 01).into());
        assert_eq!(limitation_for(offense("CFAA-A4"), None, &cfaa, today).years, Some(5));
        // § 3286: eight years for § 1030(a)(5)(A) with a (c)(4)(A)(i)(V) harm (P4), none with
        // death, five on the $5,000 loss alone.
        let mut damage = charge(5, "CFAA-A5A", &["CFAA-A5A-P4"], false);
        damage.offense_date = Some(date!(2021 - 06 - 01).into());
        let listed = limitation_for(offense("CFAA-A5A"), None, &damage, today);
        assert_eq!((listed.years, listed.authority), (Some(8), "18 U.S.C. § 3286(a)"));
        assert_eq!(listed.deadline, Some(date!(2029 - 06 - 01)));
        damage.penalty_facts.push("CFAA-A5A-P3".into());
        let unlimited = limitation_for(offense("CFAA-A5A"), None, &damage, today);
        assert_eq!((unlimited.years, unlimited.state, unlimited.deadline), (None, DeadlineState::NoLimit, None));
        damage.penalty_facts = vec!["CFAA-A5A-P1".into()];
        assert_eq!(limitation_for(offense("CFAA-A5A"), None, &damage, today).years, Some(5));
        // Once the count is charged its clock stops, and says so.
        let mut charged = wire.clone();
        charged.affects_financial_institution = false;
        charged.charged_on = Some(date!(2026 - 01 - 10));
        let stopped = limitation_for(offense("WIRE"), None, &charged, today);
        assert_eq!(stopped.state, DeadlineState::Charged);
        assert_eq!(stopped.describe(), "charged on 2026-01-10: the clock has stopped");
        charged.charged_on = Some(date!(2026 - 07 - 01));
        assert!(
            limitation_for(offense("WIRE"), None, &charged, today).describe().contains("after the limitation deadline")
        );
    }

    #[test]
    fn drafts_report_every_problem() {
        let raw = RawCharge {
            offense: "CFAA-B".into(),
            penalty_facts: vec!["WIRE-P1".into()],
            offense_date: Some("2026-13-01".into()),
            ..Default::default()
        };
        let errors = ChargeDraft::parse(&raw, &law(), date!(2026 - 11 - 27)).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["object_offense", "penalty_facts", "concerns", "offense_date"]);
        let ok = ChargeDraft::parse(
            &RawCharge { offense: "WIRE".into(), concerns: "Wire of $243,000".into(), ..Default::default() },
            &law(),
            date!(2026 - 11 - 27),
        )
        .unwrap();
        assert!(!ok.affects_financial_institution, "never inferred: only pleaded");
    }

    #[test]
    fn pin_cites_are_checked_by_kind() {
        assert!(check_pin(PinKind::Page, "4-6").is_ok());
        assert!(check_pin(PinKind::Page, "0").is_err());
        assert!(check_pin(PinKind::Offset, "0x1F00").is_ok());
        assert!(check_pin(PinKind::Offset, "-3").is_err());
        assert!(check_pin(PinKind::Timestamp, "00:01:23").is_ok());
        assert!(check_pin(PinKind::Timestamp, "1:2:3").is_err());
        let raw = RawMapping {
            count: Some(1),
            element: "WIRE-E1".into(),
            exhibit: "2026-0001-E001".into(),
            pin_kind: Some("page".into()),
            ..Default::default()
        };
        let errors = MappingDraft::parse(&raw).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["pin_cite", "rationale"]);
    }

    #[test]
    fn reviews_that_send_work_back_need_a_reason() {
        let raw = RawReview { decision: "rejected".into(), comment: " ".into() };
        assert!(ReviewDraft::parse(&raw).is_err());
        let raw = RawReview { decision: "accepted".into(), comment: String::new() };
        assert_eq!(ReviewDraft::parse(&raw).unwrap().decision, ReviewDecision::Accepted);
        assert!(ReviewDraft::parse(&RawReview { decision: "reopened".into(), comment: "x".into() }).is_err());
    }
}
