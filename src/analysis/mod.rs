//! Analyses of an exhibit's file that never change the file: an AI agent's run record parsed
//! into a timeline (`agent_run`), and the C2PA content credentials of a media file read
//! offline (`credentials`). A leaf: it knows nothing of HTTP, the database or the case; the
//! service records each result, bound to the exhibit's SHA-256, as a custody event.

pub mod agent_run;
pub mod credentials;

use std::fmt;

/// Why a record was refused, and where: the line (and column, where the reader knows it) of
/// the file, or none when the problem is the record as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub reason: String,
}

impl Refusal {
    pub fn at(line: u64, reason: impl Into<String>) -> Refusal {
        Refusal { line: Some(line), column: None, reason: reason.into() }
    }

    pub fn whole(reason: impl Into<String>) -> Refusal {
        Refusal { line: None, column: None, reason: reason.into() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.reason),
            (Some(l), None) => write!(f, "line {l}: {}", self.reason),
            _ => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for Refusal {}
