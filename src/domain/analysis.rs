//! Analyses of an exhibit's file, as recorded: which tool, which version, on which bytes (by
//! SHA-256), with what result. Append-only; the latest of each kind is the one shown.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::PrimitiveDateTime;

use super::evidence::ExhibitNumber;
use crate::analysis::agent_run::Timeline;
use crate::analysis::credentials::Credentials;

vocabulary!(
    /// What an analysis reads from the file.
    AnalysisKind, "an analysis kind" {
        AgentRun => ("agent_run", "Agent-run timeline"),
        ContentCredentials => ("content_credentials", "Content credentials (C2PA)"),
    }
);

/// What a person asks for: the kind of analysis to run on an exhibit's file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalysisRequest {
    #[serde(default)]
    pub kind: String,
}

/// The result, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    AgentRun(Timeline),
    ContentCredentials(Box<Credentials>),
}

impl Finding {
    /// The tool and its version.
    pub fn tool(&self) -> (&'static str, &'static str) {
        match self {
            Finding::AgentRun(_) => (crate::analysis::agent_run::PARSER, crate::analysis::agent_run::PARSER_VERSION),
            Finding::ContentCredentials(_) => {
                (crate::analysis::credentials::READER, crate::analysis::credentials::READER_VERSION)
            }
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Finding::AgentRun(t) => serde_json::to_value(t).unwrap_or_default(),
            Finding::ContentCredentials(c) => serde_json::to_value(c).unwrap_or_default(),
        }
    }

    pub fn from_json(kind: AnalysisKind, value: &str) -> Result<Finding, serde_json::Error> {
        Ok(match kind {
            AnalysisKind::AgentRun => Finding::AgentRun(serde_json::from_str(value)?),
            AnalysisKind::ContentCredentials => Finding::ContentCredentials(Box::new(serde_json::from_str(value)?)),
        })
    }

    /// What the exhibit page and the memo read: the whole finding, but for a timeline only its
    /// first instructions and tool executions (`agent_run::PREVIEW_STEPS`).
    pub fn preview(&self) -> Finding {
        match self {
            Finding::AgentRun(t) => Finding::AgentRun(t.preview(crate::analysis::agent_run::PREVIEW_STEPS)),
            Finding::ContentCredentials(c) => Finding::ContentCredentials(c.clone()),
        }
    }

    /// One sentence of what the analysis found.
    pub fn summary(&self) -> String {
        use crate::analysis::agent_run::StepKind as K;
        match self {
            Finding::AgentRun(t) => {
                let whole = if t.is_complete() {
                    "no part of the record is known to be missing".to_owned()
                } else {
                    format!("INCOMPLETE: {} gap(s) in the record", t.gaps.len())
                };
                let system = match t.count(K::SystemInstruction) {
                    0 => String::new(),
                    n => format!(", {n} set(s) of system instructions"),
                };
                format!(
                    "{}: {} steps, {} operator instruction(s){system}, {} tool execution(s); {whole}",
                    t.format.label(),
                    t.steps.len(),
                    t.count(K::Instruction),
                    t.count(K::ToolCall)
                )
            }
            Finding::ContentCredentials(c) => c.summary(),
        }
    }
}

/// One analysis as recorded, without its result (which can be large): what lists show.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRecord {
    pub id: String,
    pub exhibit: ExhibitNumber,
    /// 1, 2, ... within the exhibit: "Analysis 2".
    pub seq: i32,
    pub kind: AnalysisKind,
    pub tool: String,
    pub tool_version: String,
    /// The SHA-256 of the bytes the analysis read (always the exhibit's: a mismatch is
    /// recorded in the custody chain and no analysis kept).
    pub exhibit_sha256: String,
    pub result_sha256: String,
    pub summary: String,
    /// The custody event that records it, by its sequence in the exhibit's chain.
    pub custody_seq: i32,
    pub ledger_index: i64,
    pub recorded_by: String,
    pub recorded_at: PrimitiveDateTime,
}

impl AnalysisRecord {
    /// How the memo and the pages cite it: "Ex. 2026-0002-E003, analysis 1 (Custos agent-run
    /// parser 1, run on SHA-256 ab12...)".
    pub fn citation(&self) -> String {
        format!(
            "Ex. {}, analysis {} ({} {}, run on SHA-256 {})",
            self.exhibit, self.seq, self.tool, self.tool_version, self.exhibit_sha256
        )
    }
}

/// One analysis with its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub record: AnalysisRecord,
    pub finding: Finding,
}

impl Analysis {
    pub fn timeline(&self) -> Option<&Timeline> {
        match &self.finding {
            Finding::AgentRun(t) => Some(t),
            Finding::ContentCredentials(_) => None,
        }
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        match &self.finding {
            Finding::ContentCredentials(c) => Some(c),
            Finding::AgentRun(_) => None,
        }
    }
}
