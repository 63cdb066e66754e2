//! What verification finds, and the custody-chain check that needs nothing but an exhibit's
//! stored events: pure, so that pages, memos, certificates and `verify` all judge a chain the
//! same way.

use serde::Serialize;

use super::custody::{CustodyAction, CustodyEvent, event_record};
use super::evidence::Exhibit;
use crate::ledger::canonical::{FloatNotAllowed, to_canonical};
use crate::ledger::{GENESIS_HASH, event_hash};

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub exhibit: Option<String>,
    pub event: Option<i32>,
    pub ledger_index: Option<i64>,
    pub problem: String,
    pub expected: String,
    pub found: String,
    /// A problem the custody record itself states (a digest that did not match, an open
    /// discrepancy), as opposed to something found altered or missing.
    pub recorded: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut place = Vec::new();
        if let Some(exhibit) = &self.exhibit {
            place.push(format!("exhibit {exhibit}"));
        }
        if let Some(event) = self.event {
            place.push(format!("custody event {event}"));
        }
        if let Some(index) = self.ledger_index {
            place.push(format!("ledger leaf {index}"));
        }
        let place = if place.is_empty() { "ledger".to_owned() } else { place.join(", ") };
        write!(f, "{place}: {}\n    expected: {}\n    found:    {}", self.problem, self.expected, self.found)
    }
}

impl Finding {
    /// A problem with an exhibit (by number), one of its events, or a ledger leaf.
    pub fn new(
        exhibit: Option<String>,
        event: Option<i32>,
        ledger_index: Option<i64>,
        problem: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Finding {
        Finding {
            exhibit,
            event,
            ledger_index,
            problem: problem.to_owned(),
            expected: expected.into(),
            found: found.into(),
            recorded: false,
        }
    }
}

/// A finding about `exhibit` (when there is one), one of its events or a ledger leaf.
pub fn finding(
    exhibit: Option<&Exhibit>,
    event: Option<i32>,
    index: Option<i64>,
    problem: &str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Finding {
    Finding::new(exhibit.map(|e| e.number.to_string()), event, index, problem, expected, found)
}

/// Checks one exhibit's custody chain from its stored events alone: numbering, links, the
/// acquisition first, and each event's hash over its canonical bytes. Returns the findings
/// and each event's canonical bytes (for the comparison with the ledger).
pub fn check_chain(exhibit: &Exhibit, events: &[CustodyEvent]) -> Result<(Vec<Finding>, Vec<String>), FloatNotAllowed> {
    let mut findings = Vec::new();
    let mut canonicals = Vec::with_capacity(events.len());
    if events.is_empty() {
        findings.push(finding(
            Some(exhibit),
            Some(1),
            None,
            "the exhibit has no custody events",
            "an acquired event",
            "none",
        ));
    }
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1;
    for event in events {
        if event.seq != expected_seq {
            findings.push(finding(
                Some(exhibit),
                Some(expected_seq),
                None,
                "a custody event is missing",
                format!("event {expected_seq}"),
                format!("event {}", event.seq),
            ));
        }
        expected_seq = event.seq + 1;
        if event.prev_hash != prev_hash {
            findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the link to the previous event is broken",
                &prev_hash,
                &event.prev_hash,
            ));
        }
        if event.seq == 1 && event.action != CustodyAction::Acquired {
            findings.push(finding(
                Some(exhibit),
                Some(1),
                Some(event.ledger_index),
                "the first event is not the acquisition",
                "acquired",
                event.action.as_str(),
            ));
        }
        let record = event_record(
            exhibit,
            event.seq,
            event.action,
            &event.actor,
            event.occurred_at,
            event.recorded_at,
            &event.details,
            event.digest_matched,
            &event.prev_hash,
        );
        let canonical = to_canonical(&record)?;
        let recomputed = event_hash(&canonical);
        if recomputed != event.event_hash {
            findings.push(finding(
                Some(exhibit),
                Some(event.seq),
                Some(event.ledger_index),
                "the event's stored contents do not match its hash",
                &event.event_hash,
                recomputed,
            ));
        }
        canonicals.push(canonical);
        prev_hash = event.event_hash.clone();
    }
    Ok((findings, canonicals))
}

/// Whether an exhibit's custody chain holds, from its stored events (no file re-hashing).
pub fn chain_intact(exhibit: &Exhibit, events: &[CustodyEvent]) -> Result<bool, FloatNotAllowed> {
    Ok(check_chain(exhibit, events)?.0.is_empty())
}
