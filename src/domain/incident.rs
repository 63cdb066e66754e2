//! Incidents: the catalog entry a case is built around.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use time::Date;

use super::approx::{Amount, Headcount, OffenseDate, Period};
use super::{ValidationErrors, bounded_text, required_line};

vocabulary!(
    /// Where an incident stands. Moves only along `can_move_to`.
    IncidentStatus, "a status" {
        Intake => ("intake", "Intake"),
        Investigating => ("investigating", "Investigating"),
        ChargingReview => ("charging_review", "Charging review"),
        Charged => ("charged", "Charged"),
        Declined => ("declined", "Declined"),
        Closed => ("closed", "Closed"),
    }
);

vocabulary!(
    /// How artificial intelligence was used in the offense.
    AiModality, "an AI modality" {
        AutonomousAgentIntrusion => ("autonomous_agent_intrusion", "Autonomous agent intrusion"),
        AiPhishing => ("ai_phishing", "AI-generated phishing or social engineering"),
        DeepfakeImpersonation => ("deepfake_impersonation", "Deepfake voice or video impersonation"),
        AiWrittenMalware => ("ai_written_malware", "AI-written malware or exploit"),
        SyntheticIdentity => ("synthetic_identity", "Synthetic identity"),
        AiCredentialAttacks => ("ai_credential_attacks", "AI-automated credential attacks"),
        Other => ("other", "Other AI use"),
    }
);

vocabulary!(
    /// Who a victim is; a financial institution victim lengthens the wire-fraud limitation period.
    VictimKind, "a victim kind" {
        Individual => ("individual", "Individual"),
        Business => ("business", "Business"),
        FinancialInstitution => ("financial_institution", "Financial institution"),
        UsGovernment => ("us_government", "U.S. government"),
        Other => ("other", "Other"),
    }
);

impl IncidentStatus {
    /// The sensible next steps. A declined or closed case can be reopened for investigation;
    /// a charged case can only be closed.
    pub fn can_move_to(self, next: IncidentStatus) -> bool {
        use IncidentStatus::*;
        matches!(
            (self, next),
            (Intake, Investigating | Declined | Closed)
                | (Investigating, ChargingReview | Declined | Closed)
                | (ChargingReview, Investigating | Charged | Declined)
                | (Charged, Closed)
                | (Declined, Investigating | Closed)
                | (Closed, Investigating)
        )
    }

    /// Moving to charged or declined records a charging decision.
    pub fn is_charging_decision(self) -> bool {
        matches!(self, IncidentStatus::Charged | IncidentStatus::Declined)
    }

    pub fn next_steps(self) -> Vec<IncidentStatus> {
        Self::ALL.iter().copied().filter(|s| self.can_move_to(*s)).collect()
    }
}

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 20_000;
pub const DISTRICT_MAX: usize = 100;
pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const PARTIES_MAX: usize = 500;
/// Individually named victims; a larger group is recorded as a class with its size.
pub const VICTIMS_MAX: usize = 10_000;
/// Ten trillion dollars, in cents: anything larger is a typing error.
pub const LOSS_MAX_CENTS: i64 = 1_000_000_000_000_000;

/// A victim, or a class of victims counted together ("identity-theft victims", 80 or more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Victim {
    pub name: String,
    pub kind: VictimKind,
    /// The victim's loss (for a class, the class's total), exact or a lower bound.
    pub loss: Option<Amount>,
    /// The defendant's gain from this victim, kept apart from the victim's loss.
    pub gain: Option<Amount>,
    /// For a class of victims: how many.
    pub class_size: Option<Headcount>,
    pub notes: String,
}

impl Victim {
    /// The fewest people this entry stands for.
    pub fn headcount_minimum(&self) -> i64 {
        self.class_size.map_or(1, |h| h.minimum())
    }

    /// Whether the entry is one person, whose name may be sensitive.
    pub fn is_individual_person(&self) -> bool {
        self.kind == VictimKind::Individual && self.class_size.is_none()
    }

    /// The name as pages and documents show it: an individual's initials only where the
    /// prosecutor marked the incident's victim names as sensitive.
    pub fn shown_name(&self, names_sensitive: bool) -> String {
        if names_sensitive && self.is_individual_person() { initials(&self.name) } else { self.name.clone() }
    }

    /// "Identity-theft victims (at least 80)": a class with its size.
    pub fn describe(&self, names_sensitive: bool) -> String {
        match self.class_size {
            Some(size) => format!("{} (class of {size})", self.name),
            None => self.shown_name(names_sensitive),
        }
    }
}

/// The fewest people `victims` stand for (a class counts its size): "at least" that many when
/// any class size is a lower bound.
pub fn headcount(victims: &[Victim]) -> Headcount {
    let count = victims.iter().map(Victim::headcount_minimum).sum();
    let bound = victims.iter().any(|v| v.class_size.is_some_and(|h| !h.bound.is_exact()));
    Headcount { count, bound: if bound { super::approx::Bound::AtLeast } else { super::approx::Bound::Exact } }
}

/// "J.D." for "John Doe", "J.Q.P." for "Jane Q. Public"; a name already given as initials
/// stays as it is.
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split(|c: char| c.is_whitespace() || c == '.' || c == '-')
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .flat_map(|c| c.to_uppercase().chain(std::iter::once('.')))
        .collect();
    if letters.is_empty() { "(name withheld)".into() } else { letters }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub name: String,
    pub description: String,
}

/// An incident as typed by a person or a script, before any checking. Amounts are dollar
/// texts such as "243,000.50" or "more than 10000000"; dates are a day, month or year
/// ("2017-03-04", "2017-03", "in or about 2017"); empty means absent.
#[derive(Debug, Clone, Default)]
pub struct RawIncident {
    pub title: String,
    pub summary: String,
    pub district: String,
    pub ai_modalities: Vec<String>,
    pub victims: Vec<RawVictim>,
    pub subjects: Vec<RawSubject>,
    pub first_offense_date: String,
    pub last_offense_date: String,
    pub victim_names_sensitive: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawVictim {
    pub name: String,
    pub kind: String,
    pub estimated_loss: String,
    pub gain: String,
    /// For a class of victims: how many ("80", "80+", "more than 80").
    pub class_size: String,
    pub notes: String,
}

impl RawVictim {
    pub fn is_blank(&self) -> bool {
        [&self.name, &self.kind, &self.estimated_loss, &self.gain, &self.class_size, &self.notes]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

#[derive(Debug, Clone, Default)]
pub struct RawSubject {
    pub name: String,
    pub description: String,
}

/// A checked incident description, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDraft {
    pub title: String,
    pub summary: String,
    pub district: Option<String>,
    pub ai_modalities: BTreeSet<AiModality>,
    pub victims: Vec<Victim>,
    pub subjects: Vec<Subject>,
    pub first_offense_date: Option<Period>,
    pub last_offense_date: Option<Period>,
    pub victim_names_sensitive: bool,
}

impl IncidentDraft {
    /// Checks every field and reports every problem at once. `today` bounds the offense dates:
    /// an offense cannot have happened in the future.
    pub fn parse(raw: &RawIncident, today: Date) -> Result<IncidentDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = errors.check("title", required_line(&raw.title, TITLE_MAX));
        let summary = errors.check("summary", bounded_text(raw.summary.trim(), SUMMARY_MAX, true));
        // One of the 94 districts, stored by its abbreviation; it gives the circuit.
        let district = errors.check("district", optional_line(&raw.district, DISTRICT_MAX)).map(|d| {
            d.and_then(|text| match crate::statutes::catalog().ok().and_then(|c| c.district(&text)) {
                Some((_, district)) => Some(district.abbr.clone()),
                None => {
                    errors.add(
                        "district",
                        format!("'{text}' is not one of the 94 federal districts: use its abbreviation, such as S.D.N.Y. or D. Mass."),
                    );
                    None
                }
            })
        });

        let mut ai_modalities = BTreeSet::new();
        for code in &raw.ai_modalities {
            if let Some(m) = errors.check("ai_modalities", code.trim().parse::<AiModality>()) {
                ai_modalities.insert(m);
            }
        }

        let victims = parse_parties(&mut errors, "victims", &raw.victims, VICTIMS_MAX, parse_victim);
        let subjects = parse_parties(&mut errors, "subjects", &raw.subjects, PARTIES_MAX, |errors, field, s| {
            let name = errors.check(&format!("{field}.name"), required_line(&s.name, NAME_MAX));
            let description = errors
                .check(&format!("{field}.description"), bounded_text(s.description.trim(), DESCRIPTION_MAX, true));
            Some(Subject { name: name?, description: description? })
        });

        let first = errors.check("first_offense_date", parse_period(&raw.first_offense_date, today)).flatten();
        let last = errors.check("last_offense_date", parse_period(&raw.last_offense_date, today)).flatten();
        if let (Some(first), Some(last)) = (first, last)
            && last.latest() < first.earliest()
        {
            errors.add("last_offense_date", "is before the first offense date");
        }

        errors.into_result()?;
        // Every field is present here: a missing one recorded an error above.
        match (title, summary, district) {
            (Some(title), Some(summary), Some(district)) => Ok(IncidentDraft {
                title,
                summary,
                district,
                ai_modalities,
                victims,
                subjects,
                first_offense_date: first,
                last_offense_date: last,
                victim_names_sensitive: raw.victim_names_sensitive,
            }),
            _ => Err(ValidationErrors::single("incident", "could not be read")),
        }
    }

    /// Total loss over victims whose loss is recorded, with its bound; `None` when none is.
    pub fn total_loss(&self) -> Option<Amount> {
        Amount::sum(self.victims.iter().filter_map(|v| v.loss.as_ref()))
    }

    /// The defendants' total gain from the victims, kept apart from their losses.
    pub fn total_gain(&self) -> Option<Amount> {
        Amount::sum(self.victims.iter().filter_map(|v| v.gain.as_ref()))
    }

    /// One page of the victims (`page` from 1), in their recorded order.
    pub fn victims_page(&self, page: i64, per_page: i64) -> Page<Victim> {
        let per_page = per_page.max(1);
        let page = page.max(1);
        let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(per_page).unwrap_or(usize::MAX);
        Page {
            items: self.victims.iter().skip(skip).take(take).cloned().collect(),
            total: i64::try_from(self.victims.len()).unwrap_or(i64::MAX),
            page,
            per_page,
        }
    }

    /// The fewest people the victim entries stand for (a class counts its size).
    pub fn victim_headcount(&self) -> Headcount {
        headcount(&self.victims)
    }

    /// "in or about March 2017 through 2018-06-30", "from 2026-01-05", or "".
    pub fn offense_dates(&self) -> String {
        describe_offense_dates(self.first_offense_date, self.last_offense_date)
    }

    /// The same incident in raw form, for editing or patching.
    pub fn to_raw(&self) -> RawIncident {
        RawIncident {
            title: self.title.clone(),
            summary: self.summary.clone(),
            district: self.district.clone().unwrap_or_default(),
            ai_modalities: self.ai_modalities.iter().map(|m| m.as_str().to_owned()).collect(),
            victims: self.victims.iter().map(Victim::to_raw).collect(),
            subjects: self
                .subjects
                .iter()
                .map(|s| RawSubject { name: s.name.clone(), description: s.description.clone() })
                .collect(),
            first_offense_date: self.first_offense_date.map(|d| d.canonical()).unwrap_or_default(),
            last_offense_date: self.last_offense_date.map(|d| d.canonical()).unwrap_or_default(),
            victim_names_sensitive: self.victim_names_sensitive,
        }
    }
}

impl Victim {
    /// The victim in raw form; it parses back to itself.
    pub fn to_raw(&self) -> RawVictim {
        RawVictim {
            name: self.name.clone(),
            kind: self.kind.as_str().to_owned(),
            estimated_loss: self.loss.map(|a| a.plain()).unwrap_or_default(),
            gain: self.gain.map(|a| a.plain()).unwrap_or_default(),
            class_size: self.class_size.map(|h| h.plain()).unwrap_or_default(),
            notes: self.notes.clone(),
        }
    }
}

/// Checks one victim; problems are recorded under `field` (`victims[3].estimated_loss`).
pub fn parse_victim(errors: &mut ValidationErrors, field: &str, v: &RawVictim) -> Option<Victim> {
    let name = errors.check(&format!("{field}.name"), required_line(&v.name, NAME_MAX));
    let kind = errors.check(&format!("{field}.kind"), v.kind.trim().parse::<VictimKind>());
    let loss = errors.check(&format!("{field}.estimated_loss"), Amount::parse(&v.estimated_loss));
    let gain = errors.check(&format!("{field}.gain"), Amount::parse(&v.gain));
    let class_size = errors.check(&format!("{field}.class_size"), Headcount::parse(&v.class_size));
    let notes = errors.check(&format!("{field}.notes"), bounded_text(v.notes.trim(), DESCRIPTION_MAX, true));
    Some(Victim { name: name?, kind: kind?, loss: loss?, gain: gain?, class_size: class_size?, notes: notes? })
}

fn parse_parties<R, T>(
    errors: &mut ValidationErrors,
    field: &str,
    raw: &[R],
    max: usize,
    mut parse_one: impl FnMut(&mut ValidationErrors, &str, &R) -> Option<T>,
) -> Vec<T> {
    if raw.len() > max {
        errors.add(field, format!("at most {max} entries: record a larger group as a class of victims"));
        return Vec::new();
    }
    raw.iter().enumerate().filter_map(|(i, r)| parse_one(errors, &format!("{field}[{i}]"), r)).collect()
}

fn optional_line(value: &str, max: usize) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    required_line(value, max).map(Some)
}

/// An incident's first and last offense dates as documents state them: "in or about 2017",
/// "from in or about March 2017 through 2018-06-30", "from 2026-01-05", or "".
pub fn describe_offense_dates(first: Option<Period>, last: Option<Period>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f == l => f.describe(),
        (Some(f), Some(l)) => OffenseDate { from: f, through: Some(l) }.describe(),
        (Some(f), None) => format!("from {}", f.describe()),
        (None, Some(l)) => format!("through {}", l.describe()),
        (None, None) => String::new(),
    }
}

/// Parses a day, month or year ("2017-03-04", "2017-03", "in or about 2017"); empty means
/// no date. A date after `today` is refused.
pub fn parse_period(value: &str, today: Date) -> Result<Option<Period>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    Period::parse(value)?.check(today).map(Some)
}

/// Parses "YYYY-MM-DD"; empty means no date. A date after `today` is refused.
pub fn parse_date(value: &str, today: Date) -> Result<Option<Date>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(value, format).map_err(|_| format!("'{value}' is not a date (YYYY-MM-DD)"))?;
    if date > today {
        return Err("is in the future".into());
    }
    if date.year() < super::EARLIEST_YEAR {
        return Err(format!("is before {}: check the year", super::EARLIEST_YEAR));
    }
    Ok(Some(date))
}

/// Parses a dollar amount such as "243,000.50", "$1200" or "99.9" into cents; empty means unknown.
pub fn parse_dollars(value: &str) -> Result<Option<i64>, String> {
    let cleaned: String = value.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let bad = || format!("'{}' is not a dollar amount (such as 243000.50)", value.trim());
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 15 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let cents = whole.checked_mul(100).and_then(|c| c.checked_add(frac)).ok_or_else(bad)?;
    if cents > LOSS_MAX_CENTS {
        return Err(bad());
    }
    Ok(Some(cents))
}

/// "$1,234.56": for people.
pub fn format_dollars(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{:02}", cents % 100)
}

/// "1234.56": for form fields and round trips.
pub fn format_cents_plain(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A partial change: absent fields keep their value; lists replace the whole list.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub district: Option<String>,
    pub ai_modalities: Option<Vec<String>>,
    pub victims: Option<Vec<RawVictim>>,
    pub subjects: Option<Vec<RawSubject>>,
    pub first_offense_date: Option<String>,
    pub last_offense_date: Option<String>,
    pub victim_names_sensitive: Option<bool>,
}

impl IncidentPatch {
    /// A patch that sets every field: what a full edit form submits.
    pub fn replacing(raw: RawIncident) -> Self {
        IncidentPatch {
            title: Some(raw.title),
            summary: Some(raw.summary),
            district: Some(raw.district),
            ai_modalities: Some(raw.ai_modalities),
            victims: Some(raw.victims),
            subjects: Some(raw.subjects),
            first_offense_date: Some(raw.first_offense_date),
            last_offense_date: Some(raw.last_offense_date),
            victim_names_sensitive: Some(raw.victim_names_sensitive),
        }
    }

    pub fn apply(&self, raw: &mut RawIncident) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        set(&mut raw.title, &self.title);
        set(&mut raw.summary, &self.summary);
        set(&mut raw.district, &self.district);
        set(&mut raw.ai_modalities, &self.ai_modalities);
        set(&mut raw.victims, &self.victims);
        set(&mut raw.subjects, &self.subjects);
        set(&mut raw.first_offense_date, &self.first_offense_date);
        set(&mut raw.last_offense_date, &self.last_offense_date);
        set(&mut raw.victim_names_sensitive, &self.victim_names_sensitive);
    }
}

/// An incident as stored, with its team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: super::ids::IncidentId,
    pub number: super::ids::IncidentNumber,
    pub status: IncidentStatus,
    pub details: IncidentDraft,
    pub version: i32,
    pub created_by: String,
    pub created_at: time::PrimitiveDateTime,
    pub updated_by: String,
    pub updated_at: time::PrimitiveDateTime,
    pub members: Vec<Member>,
}

impl Incident {
    pub fn has_member(&self, user: super::ids::UserId) -> bool {
        self.members.iter().any(|m| m.user_id == user)
    }

    /// Total loss over victims whose loss is recorded, with its bound; `None` when none is.
    pub fn total_loss(&self) -> Option<Amount> {
        self.details.total_loss()
    }
}

/// A team member of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: super::ids::UserId,
    pub username: String,
    pub full_name: String,
    pub role: super::user::Role,
    pub added_at: time::PrimitiveDateTime,
}

/// One line of an incident list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSummary {
    pub number: super::ids::IncidentNumber,
    pub title: String,
    pub status: IncidentStatus,
    pub district: Option<String>,
    pub ai_modalities: Vec<AiModality>,
    pub first_offense_date: Option<Period>,
    pub last_offense_date: Option<Period>,
    pub updated_at: time::PrimitiveDateTime,
}

/// One page of a list bounded by one incident (its exhibits, memo versions, victims), counted
/// in full, with the total across all pages. Lists that grow with the office are read by key
/// instead (`Slice`).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// One stretch of a list that grows with the office (incidents, the review queue), read by
/// key from a cursor rather than by offset, so that the thousandth page costs what the first
/// does; with the cursors of the stretches on either side and the total, counted up to a cap.
#[derive(Debug, Clone)]
pub struct Slice<T> {
    pub items: Vec<T>,
    pub per_page: i64,
    pub total: i64,
    /// Counting stopped at `total`: the list holds more than that.
    pub capped: bool,
    /// What to pass as `after` to read the next stretch; `None` at the list's end.
    pub next: Option<String>,
    /// What to pass as `before` to read the stretch before; `None` at the list's start.
    pub previous: Option<String>,
}

impl<T> Slice<T> {
    /// The total as pages state it: "1000" or "more than 1000".
    pub fn total_words(&self) -> String {
        if self.capped { format!("more than {}", self.total) } else { self.total.to_string() }
    }
}

/// Where in a keyed list a stretch starts: at the start, just after a key (the next stretch),
/// or just before one (the stretch before it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Position<K> {
    #[default]
    Start,
    After(K),
    Before(K),
}

impl<K> Position<K> {
    /// Rows read from this position in its own direction, one past a page (the query's
    /// limit), as the stretch in the list's order, and whether the list goes on beyond it in
    /// the direction read. Read before a key, rows come nearest first and are turned round.
    pub fn stretch<T>(&self, mut rows: Vec<T>, per_page: i64) -> (Vec<T>, bool) {
        let page = usize::try_from(per_page).unwrap_or(usize::MAX);
        let more = rows.len() > page;
        rows.truncate(page);
        if matches!(self, Position::Before(_)) {
            rows.reverse();
        }
        (rows, more)
    }

    /// The cursors (`next`, `previous`) of a stretch read from this position, given the keys
    /// of its first and last items and whether `stretch` found more in the direction read.
    pub fn cursors(&self, more: bool, first: Option<String>, last: Option<String>) -> (Option<String>, Option<String>) {
        match self {
            Position::Start => (last.filter(|_| more), None),
            // Read forward from a key: the key's own stretch lies before.
            Position::After(_) => (last.filter(|_| more), first),
            // Read backward from a key: the key itself lies after.
            Position::Before(_) => (last, first.filter(|_| more)),
        }
    }
}

impl<K: FromStr> Position<K> {
    /// `after` and `before` as a query gives them (empty: absent); both at once is refused.
    pub fn parse(after: &str, before: &str, errors: &mut ValidationErrors) -> Position<K> {
        let key = |field: &str, value: &str, errors: &mut ValidationErrors| match value.trim() {
            "" => None,
            v => match v.parse::<K>() {
                Ok(key) => Some(key),
                Err(_) => {
                    errors.add(field, "is not a key of this list (take it from the list's own links)");
                    None
                }
            },
        };
        match (key("after", after, errors), key("before", before, errors)) {
            (Some(_), Some(_)) => {
                errors.add("before", "cannot be given with after");
                Position::Start
            }
            (Some(k), None) => Position::After(k),
            (None, Some(k)) => Position::Before(k),
            (None, None) => Position::Start,
        }
    }
}

/// What a list of incidents may be narrowed to, and where the stretch shown starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub ai_modality: Option<AiModality>,
    pub district: Option<String>,
    pub assignee: Option<String>,
    pub text: Option<String>,
    pub position: Position<super::ids::IncidentNumber>,
    pub per_page: i64,
    /// How far the matches are counted (`COUNT_CAP`; less where a glance will do).
    pub count_up_to: i64,
}

/// How far a list that grows with the office is counted (see `Slice::capped`): beyond it the
/// page says "more than", and counting costs no more however large the office grows.
pub const COUNT_CAP: i64 = 1000;
/// How far the dashboard counts: its lists are a glance, and on PostgreSQL the counting with
/// a team check on each row was most of the dashboard's time at 1,000.
pub const GLANCE_COUNT_CAP: i64 = 100;

pub const PER_PAGE_DEFAULT: i64 = 25;
pub const PER_PAGE_MAX: i64 = 100;

/// The raw query of an incident list: every value as typed, empty meaning "any".
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncidentFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ai_modality: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub district: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assignee: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// The incident number after which (older) the stretch shown starts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub after: String,
    /// The incident number before which (newer) the stretch shown ends.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub before: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub per_page: String,
}

impl IncidentFilter {
    pub fn parse(raw: &RawIncidentFilter) -> Result<IncidentFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let non_empty = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        };
        let status = non_empty(&raw.status).and_then(|s| errors.check("status", s.parse()));
        let ai_modality = non_empty(&raw.ai_modality).and_then(|s| errors.check("ai_modality", s.parse()));
        let district =
            non_empty(&raw.district).and_then(|s| errors.check("district", bounded_text(&s, DISTRICT_MAX, false)));
        let assignee = non_empty(&raw.assignee).and_then(|s| errors.check("assignee", bounded_text(&s, 64, false)));
        let text = non_empty(&raw.q).and_then(|s| errors.check("q", bounded_text(&s, 200, false)));
        let number =
            |field: &str, value: &str, default: i64, max: i64, errors: &mut ValidationErrors| match non_empty(value) {
                None => default,
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if (1..=max).contains(&n) => n,
                    _ => {
                        errors.add(field, format!("must be a whole number from 1 to {max}"));
                        default
                    }
                },
            };
        let position = Position::parse(&raw.after, &raw.before, &mut errors);
        let per_page = number("per_page", &raw.per_page, PER_PAGE_DEFAULT, PER_PAGE_MAX, &mut errors);
        errors.into_result()?;
        Ok(IncidentFilter { status, ai_modality, district, assignee, text, position, per_page, count_up_to: COUNT_CAP })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn raw() -> RawIncident {
        RawIncident {
            title: "Deepfake CFO wire".into(),
            summary: "A cloned voice ordered a transfer.".into(),
            district: "N.D. Cal.".into(),
            ai_modalities: vec!["deepfake_impersonation".into()],
            victims: vec![RawVictim {
                name: "Acme".into(),
                kind: "business".into(),
                estimated_loss: "$243,000.5".into(),
                ..RawVictim::default()
            }],
            subjects: vec![RawSubject { name: "Unknown".into(), description: "".into() }],
            first_offense_date: "2026-03-01".into(),
            last_offense_date: "2026-03-04".into(),
            victim_names_sensitive: false,
        }
    }

    #[test]
    fn pages_are_counted_and_a_capped_count_is_stated_as_a_floor() {
        let page = |items: usize, total: i64| Page { items: vec![(); items], total, page: 1, per_page: 25 };
        assert_eq!(page(25, 60).page_count(), 3);
        assert_eq!(page(0, 0).page_count(), 1);
        let slice = |total: i64, capped: bool| Slice {
            items: vec![(); 25],
            per_page: 25,
            total,
            capped,
            next: None,
            previous: None,
        };
        assert_eq!(slice(60, false).total_words(), "60");
        assert_eq!(slice(1000, true).total_words(), "more than 1000");
    }

    #[test]
    fn a_good_incident_parses() {
        let draft = IncidentDraft::parse(&raw(), date!(2026 - 11 - 27)).unwrap();
        assert_eq!(draft.victims[0].loss, Some(Amount::exact(24_300_050)));
        assert!(draft.ai_modalities.contains(&AiModality::DeepfakeImpersonation));
        assert_eq!(IncidentDraft::parse(&draft.to_raw(), date!(2026 - 11 - 27)).unwrap(), draft);
    }

    #[test]
    fn every_problem_is_reported() {
        let mut r = raw();
        r.title = " ".into();
        r.ai_modalities.push("telepathy".into());
        r.victims[0].kind = "alien".into();
        r.victims[0].estimated_loss = "12.345".into();
        r.first_offense_date = "2026-02-30".into();
        r.last_offense_date = "2027-01-01".into();
        let errors = IncidentDraft::parse(&r, date!(2026 - 11 - 27)).unwrap_err();
        for field in [
            "title",
            "ai_modalities",
            "victims[0].kind",
            "victims[0].estimated_loss",
            "first_offense_date",
            "last_offense_date",
        ] {
            assert!(errors.for_field(field).is_some(), "no error for {field}: {errors}");
        }
    }

    #[test]
    fn approximate_facts_are_kept_as_recorded() {
        let mut r = raw();
        r.first_offense_date = "in or about 2017".into();
        r.last_offense_date = "about 2018-06".into();
        r.victims[0].estimated_loss = "more than $10,000,000".into();
        r.victims[0].gain = "at least 2500000".into();
        r.victims.push(RawVictim {
            name: "Identity-theft victims".into(),
            kind: "individual".into(),
            class_size: "80+".into(),
            estimated_loss: "at least 400000".into(),
            ..RawVictim::default()
        });
        let draft = IncidentDraft::parse(&r, date!(2026 - 11 - 27)).unwrap();
        assert_eq!(draft.offense_dates(), "from in or about 2017 through in or about June 2018");
        assert_eq!(draft.total_loss().map(|a| a.to_string()).as_deref(), Some("more than $10,400,000"));
        assert_eq!(draft.total_gain().map(|a| a.to_string()).as_deref(), Some("at least $2,500,000"));
        assert_eq!(draft.victim_headcount().count, 81);
        assert!(!draft.victim_headcount().bound.is_exact());
        assert_eq!(draft.victims[1].describe(true), "Identity-theft victims (class of at least 80)");
        assert_eq!(IncidentDraft::parse(&draft.to_raw(), date!(2026 - 11 - 27)).unwrap(), draft);
    }

    #[test]
    fn sensitive_names_show_initials_for_people_only() {
        let person = Victim {
            name: "Jane Q. Public".into(),
            kind: VictimKind::Individual,
            loss: None,
            gain: None,
            class_size: None,
            notes: String::new(),
        };
        assert_eq!(person.shown_name(true), "J.Q.P.");
        assert_eq!(person.shown_name(false), "Jane Q. Public");
        let bank =
            Victim { name: "First Lakeshore Bank".into(), kind: VictimKind::FinancialInstitution, ..person.clone() };
        assert_eq!(bank.shown_name(true), "First Lakeshore Bank");
        assert_eq!(initials("M. K."), "M.K.");
    }

    #[test]
    fn a_month_ending_before_the_first_day_is_refused() {
        let mut r = raw();
        r.first_offense_date = "2026-03".into();
        r.last_offense_date = "2026-02".into();
        assert!(IncidentDraft::parse(&r, date!(2026 - 11 - 27)).unwrap_err().for_field("last_offense_date").is_some());
        // A last date inside the first month is fine: both can be true.
        r.last_offense_date = "2026-03-15".into();
        assert!(IncidentDraft::parse(&r, date!(2026 - 11 - 27)).is_ok());
    }

    #[test]
    fn dates_must_be_in_order() {
        let mut r = raw();
        r.first_offense_date = "2026-03-05".into();
        let errors = IncidentDraft::parse(&r, date!(2026 - 11 - 27)).unwrap_err();
        assert!(errors.for_field("last_offense_date").is_some());
    }

    #[test]
    fn dollars_parse_and_format() {
        assert_eq!(parse_dollars("1,234.5"), Ok(Some(123_450)));
        assert_eq!(parse_dollars(""), Ok(None));
        assert_eq!(parse_dollars("7"), Ok(Some(700)));
        assert!(parse_dollars("-5").is_err());
        assert!(parse_dollars("1e9").is_err());
        assert!(parse_dollars("99999999999999999").is_err());
        assert_eq!(format_dollars(24_300_050), "$243,000.50");
        assert_eq!(format_dollars(5), "$0.05");
        assert_eq!(format_dollars(100_000_000), "$1,000,000.00");
    }

    #[test]
    fn status_moves_only_sensibly() {
        use IncidentStatus::*;
        assert!(Intake.can_move_to(Investigating));
        assert!(!Intake.can_move_to(Charged));
        assert!(!Charged.can_move_to(Intake));
        assert!(!Closed.can_move_to(Closed));
        assert!(ChargingReview.can_move_to(Charged));
        assert_eq!(Charged.next_steps(), vec![Closed]);
    }

    #[test]
    fn a_stretch_is_turned_into_list_order_and_its_cursors_follow_the_direction_read() {
        let (rows, more) = Position::<i32>::Start.stretch(vec![9, 8, 7], 2);
        assert_eq!((rows, more), (vec![9, 8], true));
        let before = Position::Before(5);
        let (rows, more) = before.stretch(vec![6, 7], 2);
        assert_eq!((rows, more), (vec![7, 6], false), "read nearest first, shown in list order");
        let key = |n: Option<&i32>| n.map(ToString::to_string);
        assert_eq!(before.cursors(more, key(Some(&7)), key(Some(&6))), (Some("6".into()), None));
        assert_eq!(before.cursors(true, key(Some(&7)), key(Some(&6))), (Some("6".into()), Some("7".into())));
        assert_eq!(Position::After(9).cursors(false, key(Some(&8)), key(Some(&7))), (None, Some("8".into())));
        assert_eq!(Position::<i32>::Start.cursors(true, key(Some(&9)), key(Some(&8))), (Some("8".into()), None));
    }

    #[test]
    fn filters_parse() {
        let f = IncidentFilter::parse(&RawIncidentFilter {
            status: "intake".into(),
            per_page: "10".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((f.status, f.position, f.per_page), (Some(IncidentStatus::Intake), Position::Start, 10));
        let after = |after: &str, before: &str| {
            IncidentFilter::parse(&RawIncidentFilter {
                after: after.into(),
                before: before.into(),
                ..Default::default()
            })
        };
        let key: crate::domain::ids::IncidentNumber = "2026-0042".parse().unwrap();
        assert_eq!(after("2026-0042", "").unwrap().position, Position::After(key));
        assert_eq!(after("", " 2026-0042 ").unwrap().position, Position::Before(key));
        assert!(after("2026-0042", "2026-0041").is_err(), "after and before at once");
        assert!(after("42", "").is_err(), "not an incident number");
        assert!(IncidentFilter::parse(&RawIncidentFilter { per_page: "1000".into(), ..Default::default() }).is_err());
        assert!(IncidentFilter::parse(&RawIncidentFilter { status: "open".into(), ..Default::default() }).is_err());
    }
}
