//! Custody events: every hand-over and every touch of an exhibit, append-only.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use std::str::FromStr;
use time::PrimitiveDateTime;

use super::evidence::{Exhibit, canonical_time, parse_sha256, parse_time};
use super::{ValidationErrors, bounded_text};

vocabulary!(
    /// What happened to an exhibit.
    CustodyAction, "a custody action" {
        Acquired => ("acquired", "Acquired"),
        Transferred => ("transferred", "Transferred"),
        CheckedOut => ("checked_out", "Checked out"),
        CheckedIn => ("checked_in", "Checked in"),
        Analyzed => ("analyzed", "Analyzed"),
        HashVerified => ("hash_verified", "Hash verified"),
        Sealed => ("sealed", "Sealed"),
        Unsealed => ("unsealed", "Unsealed"),
        Exported => ("exported", "Exported"),
        Released => ("released", "Released"),
        Disposed => ("disposed", "Disposed"),
        Discrepancy => ("discrepancy", "Discrepancy found"),
        Resolved => ("resolved", "Discrepancy resolved"),
    }
);

impl CustodyAction {
    /// Actions a person records by hand; `acquired` comes with registration, and
    /// `hash_verified` may be recorded by hand or by Custos itself.
    pub fn recordable(self) -> bool {
        !matches!(self, CustodyAction::Acquired)
    }

    /// Irreversible: the page asks for confirmation first.
    pub fn irreversible(self) -> bool {
        matches!(self, CustodyAction::Released | CustodyAction::Disposed)
    }
}

/// A custody event as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustodyEvent {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from_custodian: Option<String>,
    #[serde(default)]
    pub to_custodian: Option<String>,
    /// When it happened; defaults to now.
    #[serde(default)]
    pub occurred_at: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub authority: Option<String>,
    #[serde(default)]
    pub seal_number: Option<String>,
    #[serde(default)]
    pub seal_condition: Option<String>,
    /// The SHA-256 the custodian observed, compared with the exhibit's.
    #[serde(default)]
    pub digest_observed: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The details of one custody event, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustodyDetails {
    pub from_custodian: Option<String>,
    pub to_custodian: Option<String>,
    pub location: Option<String>,
    pub purpose: Option<String>,
    pub authority: Option<String>,
    pub seal_number: Option<String>,
    pub seal_condition: Option<String>,
    pub digest_observed: Option<String>,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEventDraft {
    pub action: CustodyAction,
    pub occurred_at: PrimitiveDateTime,
    pub details: CustodyDetails,
}

fn optional_line(errors: &mut ValidationErrors, field: &str, value: &Option<String>, max: usize) -> Option<String> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    errors.check(field, bounded_text(value, max, false))
}

impl CustodyEventDraft {
    /// Checks the event against the exhibit's history: `disposed` is final, a transfer names
    /// who received the item, and the sender defaults to the current custodian.
    pub fn parse(
        raw: &RawCustodyEvent,
        now: PrimitiveDateTime,
        history: &[CustodyEvent],
    ) -> Result<CustodyEventDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let action = errors.check("action", raw.action.trim().parse::<CustodyAction>());
        if action == Some(CustodyAction::Acquired) {
            errors.add("action", "acquisition is recorded when the exhibit is registered");
        }
        if history.iter().any(|e| e.action == CustodyAction::Disposed) {
            errors.add("action", "the exhibit was disposed of; it takes no further custody events");
        }
        let occurred_at = match raw.occurred_at.as_deref().map(str::trim) {
            None | Some("") => Some(now),
            Some(t) => errors.check("occurred_at", parse_time(t, now)),
        };
        if let (Some(at), Some(last)) = (occurred_at, history.last())
            && at < history.first().map(|e| e.occurred_at).unwrap_or(last.occurred_at)
        {
            errors.add("occurred_at", "is before the exhibit was acquired");
        }
        let mut details = CustodyDetails {
            from_custodian: optional_line(&mut errors, "from_custodian", &raw.from_custodian, 200),
            to_custodian: optional_line(&mut errors, "to_custodian", &raw.to_custodian, 200),
            location: optional_line(&mut errors, "location", &raw.location, 300),
            purpose: optional_line(&mut errors, "purpose", &raw.purpose, 500),
            authority: optional_line(&mut errors, "authority", &raw.authority, 300),
            seal_number: optional_line(&mut errors, "seal_number", &raw.seal_number, 100),
            seal_condition: optional_line(&mut errors, "seal_condition", &raw.seal_condition, 200),
            digest_observed: match raw.digest_observed.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(d) => errors.check("digest_observed", parse_sha256(d)),
            },
            notes: raw
                .notes
                .as_deref()
                .map(|n| errors.check("notes", bounded_text(n.trim(), 4_000, true)).unwrap_or_default())
                .unwrap_or_default(),
        };
        if matches!(action, Some(CustodyAction::Transferred | CustodyAction::Released))
            && details.to_custodian.is_none()
        {
            errors.add("to_custodian", "is required: name who received the item");
        }
        if matches!(action, Some(CustodyAction::Sealed | CustodyAction::Unsealed)) && details.seal_number.is_none() {
            errors.add("seal_number", "is required when sealing or unsealing");
        }
        if action == Some(CustodyAction::HashVerified) && details.digest_observed.is_none() {
            errors.add("digest_observed", "is required: the SHA-256 the verifier computed");
        }
        if matches!(action, Some(CustodyAction::Discrepancy | CustodyAction::Resolved))
            && details.notes.trim().is_empty()
        {
            errors.add("notes", "is required: explain what was found, or how it was resolved");
        }
        if action == Some(CustodyAction::Resolved) && open_discrepancies(history).is_empty() {
            errors.add("action", "there is no discrepancy to resolve");
        }
        if matches!(action, Some(CustodyAction::Transferred | CustodyAction::Released)) {
            // Continuity: only the current custodian hands the item on.
            let current = current_custodian(history);
            match (&details.from_custodian, &current) {
                (None, _) => details.from_custodian = current,
                (Some(from), Some(current)) if !same_person(from, current) => errors.add(
                    "from_custodian",
                    format!("the item is in the custody of {current}, not {from}: record the transfer from {current}, or record a discrepancy"),
                ),
                _ => {}
            }
        }
        errors.into_result()?;
        match (action, occurred_at) {
            (Some(action), Some(occurred_at)) => Ok(CustodyEventDraft { action, occurred_at, details }),
            _ => Err(ValidationErrors::single("event", "could not be read")),
        }
    }
}

/// A recorded custody event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEvent {
    pub id: String,
    pub seq: i32,
    pub action: CustodyAction,
    pub actor: String,
    pub occurred_at: PrimitiveDateTime,
    pub recorded_at: PrimitiveDateTime,
    pub details: CustodyDetails,
    pub digest_matched: Option<bool>,
    pub prev_hash: String,
    pub event_hash: String,
    pub ledger_index: i64,
}

/// The events in the order they happened (ties in the order recorded): an event entered
/// late, dated back, takes its place in time.
pub fn in_time_order(history: &[CustodyEvent]) -> Vec<&CustodyEvent> {
    let mut ordered: Vec<&CustodyEvent> = history.iter().collect();
    ordered.sort_by_key(|e| (e.occurred_at, e.seq));
    ordered
}

/// Who holds the item now: the receiver of the latest event (in time) that names one.
pub fn current_custodian(history: &[CustodyEvent]) -> Option<String> {
    in_time_order(history).into_iter().rev().find_map(|e| e.details.to_custodian.clone())
}

/// Two ways of writing one custodian's name are the same person: case and spacing aside.
fn same_person(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}

/// Something in an exhibit's record that stops it being cited as proof, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impairment {
    /// The custody event it concerns, when there is one.
    pub event: Option<i32>,
    pub reason: String,
}

impl Impairment {
    /// "event 4: discrepancy: ...", or the reason alone where no event is concerned.
    pub fn describe(&self) -> String {
        match self.event {
            Some(seq) => format!("event {seq}: {}", self.reason),
            None => self.reason.clone(),
        }
    }
}

/// An exhibit's latest verification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestVerification {
    pub at: PrimitiveDateTime,
    pub intact: bool,
    pub problem: Option<String>,
}

/// Whether an exhibit may be relied on: *sound* only when its hash chain recomputes, no
/// custody event records a digest that did not match, no discrepancy is open, custody passed
/// from custodian to custodian without a break, and its latest verification (if it has been
/// verified) passed. Computed here alone, for every page, the API, `verify`, the coverage
/// matrix, the memo and the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustodyStatus {
    pub impairments: Vec<Impairment>,
}

impl CustodyStatus {
    pub fn sound(&self) -> bool {
        self.impairments.is_empty()
    }

    /// The reasons in one line, for a memo or a review note.
    pub fn summary(&self) -> String {
        self.impairments.iter().map(Impairment::describe).collect::<Vec<_>>().join("; ")
    }
}

/// What the events themselves record against the exhibit and no resolution has answered:
/// digests that did not match, discrepancies, breaks in continuity. A supervisor's resolution
/// answers everything recorded before it; nothing is edited away.
pub fn open_discrepancies(history: &[CustodyEvent]) -> Vec<Impairment> {
    let mut open = Vec::new();
    let mut custodian: Option<String> = None;
    for event in in_time_order(history) {
        if event.digest_matched == Some(false) {
            open.push(Impairment {
                event: Some(event.seq),
                reason: format!(
                    "{} recorded SHA-256 {}, which does not match the exhibit's",
                    event.action.label().to_lowercase(),
                    event.details.digest_observed.as_deref().unwrap_or("(none)")
                ),
            });
        }
        match event.action {
            CustodyAction::Discrepancy => open
                .push(Impairment { event: Some(event.seq), reason: format!("discrepancy: {}", event.details.notes) }),
            CustodyAction::Resolved => open.clear(),
            CustodyAction::Transferred | CustodyAction::Released => {
                if let (Some(from), Some(current)) = (&event.details.from_custodian, &custodian)
                    && !same_person(from, current)
                {
                    open.push(Impairment {
                        event: Some(event.seq),
                        reason: format!("break in continuity: handed on by {from}, but {current} held the item"),
                    });
                }
            }
            _ => {}
        }
        if let Some(to) = &event.details.to_custodian {
            custodian = Some(to.clone());
        }
    }
    open
}

/// The exhibit's custody status from its stored events and latest verification.
pub fn custody_status(
    exhibit: &Exhibit,
    history: &[CustodyEvent],
    latest: Option<&LatestVerification>,
) -> CustodyStatus {
    let mut impairments = Vec::new();
    match super::verification::check_chain(exhibit, history) {
        Ok((findings, _)) => {
            impairments.extend(findings.into_iter().map(|f| Impairment {
                event: f.event,
                reason: format!("the custody record was altered: {}", f.problem),
            }))
        }
        Err(e) => {
            impairments.push(Impairment { event: None, reason: format!("the custody record cannot be checked: {e}") })
        }
    }
    impairments.extend(open_discrepancies(history));
    if let Some(latest) = latest.filter(|l| !l.intact) {
        impairments.push(Impairment {
            event: None,
            reason: format!(
                "its latest verification ({}) failed: {}",
                super::format_time(latest.at),
                latest.problem.as_deref().unwrap_or("see the verification report")
            ),
        });
    }
    CustodyStatus { impairments }
}

/// Everything about an event that its hash covers, as JSON to be canonicalized. The first
/// event (`acquired`) also covers the exhibit's description and acquisition, so that an edit
/// of those stored facts breaks the chain.
#[allow(clippy::too_many_arguments)]
pub fn event_record(
    exhibit: &Exhibit,
    seq: i32,
    action: CustodyAction,
    actor: &str,
    occurred_at: PrimitiveDateTime,
    recorded_at: PrimitiveDateTime,
    details: &CustodyDetails,
    digest_matched: Option<bool>,
    prev_hash: &str,
) -> Value {
    let item = (seq == 1).then(|| {
        json!({
            "kind": exhibit.kind.as_str(),
            "description": exhibit.description,
            "source": exhibit.source,
            "parent": exhibit.parent.map(|p| p.to_string()),
            "acquisition": {
                "method": exhibit.acquisition.method,
                "tool": exhibit.acquisition.tool,
                "acquired_by": exhibit.acquisition.acquired_by,
                "acquired_at": canonical_time(exhibit.acquisition.acquired_at),
                "location": exhibit.acquisition.location,
                "legal_authority": exhibit.acquisition.legal_authority,
            },
            "file": exhibit.file.as_ref().map(|f| json!({
                "name": f.name,
                "media_type": f.media_type,
                "size": f.size,
                "sha256": f.sha256,
            })),
        })
    });
    json!({
        "type": "custody_event",
        "version": 1,
        "exhibit": exhibit.number.to_string(),
        "seq": seq,
        "action": action.as_str(),
        "actor": actor,
        "occurred_at": canonical_time(occurred_at),
        "recorded_at": canonical_time(recorded_at),
        "from_custodian": details.from_custodian,
        "to_custodian": details.to_custodian,
        "location": details.location,
        "purpose": details.purpose,
        "authority": details.authority,
        "seal_number": details.seal_number,
        "seal_condition": details.seal_condition,
        "digest_observed": details.digest_observed,
        "digest_matched": digest_matched,
        "notes": details.notes,
        "prev_hash": prev_hash,
        "item": item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(action: CustodyAction, to: Option<&str>) -> CustodyEvent {
        CustodyEvent {
            id: "e".into(),
            seq: 1,
            action,
            actor: "dana".into(),
            occurred_at: datetime!(2026-03-01 10:00),
            recorded_at: datetime!(2026-03-01 10:00),
            details: CustodyDetails { to_custodian: to.map(Into::into), ..Default::default() },
            digest_matched: None,
            prev_hash: String::new(),
            event_hash: String::new(),
            ledger_index: 0,
        }
    }

    #[test]
    fn transfers_need_a_receiver_and_default_the_sender() {
        let history = vec![event(CustodyAction::Acquired, Some("SA Reyes"))];
        let now = datetime!(2026-11-27 12:00);
        let raw = RawCustodyEvent { action: "transferred".into(), ..Default::default() };
        let errors = CustodyEventDraft::parse(&raw, now, &history).unwrap_err();
        assert!(errors.for_field("to_custodian").is_some());
        let raw =
            RawCustodyEvent { action: "transferred".into(), to_custodian: Some("Lab".into()), ..Default::default() };
        let draft = CustodyEventDraft::parse(&raw, now, &history).unwrap();
        assert_eq!(draft.details.from_custodian.as_deref(), Some("SA Reyes"));
    }

    #[test]
    fn disposal_is_final_and_acquisition_is_not_recordable() {
        let now = datetime!(2026-11-27 12:00);
        let history = vec![event(CustodyAction::Acquired, None), event(CustodyAction::Disposed, None)];
        let raw = RawCustodyEvent { action: "analyzed".into(), ..Default::default() };
        assert!(CustodyEventDraft::parse(&raw, now, &history).is_err());
        let raw = RawCustodyEvent { action: "acquired".into(), ..Default::default() };
        assert!(CustodyEventDraft::parse(&raw, now, &history[..1]).is_err());
    }
}
