//! The charging memo's recorded content: what a version froze. What it says is composed in
//! `documents::memo`, from the facts the service gathers.

use serde::{Deserialize, Serialize};

/// The sections a prosecutor writes in their own words. Each starts from a template filled
/// with case data and is edited in the browser before a version is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narratives {
    pub recommendation: String,
    pub executive_summary: String,
    pub facts: String,
    pub ai_use: String,
    pub federal_interest: String,
    pub venue: String,
    pub defenses: String,
}

impl Narratives {
    /// The editable sections, with their form names and headings.
    pub fn fields(&self) -> [(&'static str, &'static str, &str); 7] {
        [
            ("recommendation", "Recommendation", &self.recommendation),
            ("executive_summary", "Executive summary", &self.executive_summary),
            ("facts", "Statement of facts", &self.facts),
            ("ai_use", "How AI was used", &self.ai_use),
            ("federal_interest", "Substantial federal interest", &self.federal_interest),
            ("venue", "Venue", &self.venue),
            ("defenses", "Anticipated defenses: the prosecutor's assessment", &self.defenses),
        ]
    }

    /// Replaces the sections given (by form name); others stay.
    pub fn set(&mut self, name: &str, text: String) -> bool {
        let slot = match name {
            "recommendation" => &mut self.recommendation,
            "executive_summary" => &mut self.executive_summary,
            "facts" => &mut self.facts,
            "ai_use" => &mut self.ai_use,
            "federal_interest" => &mut self.federal_interest,
            "venue" => &mut self.venue,
            "defenses" => &mut self.defenses,
            _ => return false,
        };
        *slot = text;
        true
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoExhibit {
    pub number: String,
    pub kind: String,
    pub description: String,
    pub sha256: Option<String>,
    /// "sound", or "IMPAIRED" with what is wrong (versions saved before custody status was
    /// recorded say "intact" or "CHAIN BROKEN").
    pub custody: String,
    /// Why the exhibit may not be relied on; empty when its custody is sound.
    #[serde(default)]
    pub impairments: Vec<String>,
    pub custodian: String,
    pub acquired: String,
    pub authority: String,
    /// "FRE 902(14)", "FRE 902(13)", "FRE 902(11)" or "witness".
    pub authentication: String,
    /// The latest analysis of each kind run on its file, cited with tool, version and digests.
    #[serde(default)]
    pub analyses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoProof {
    pub exhibit: String,
    pub sha256: Option<String>,
    pub pin: Option<String>,
    pub custody: String,
    /// Why the proposer offered it.
    #[serde(default)]
    pub rationale: String,
    /// What the accepting reviewer noted (rationale, risks), if anything.
    #[serde(default)]
    pub review_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoElement {
    pub id: String,
    pub text: String,
    pub label: String,
    /// An element entered by a user for an out-of-catalog offense: who entered it, and that
    /// it is not from the built-in catalog.
    #[serde(default)]
    pub provenance: Option<String>,
    pub penalty_fact: bool,
    /// Accepted mappings whose custody holds: the only proof a memo cites.
    pub proof: Vec<MemoProof>,
    pub gaps: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoCharge {
    pub count: i32,
    pub citation: String,
    pub title: String,
    pub concerns: String,
    pub unit: String,
    pub maximum: String,
    pub minimum: String,
    pub penalty_facts: Vec<String>,
    pub readily_provable: bool,
    pub most_serious: bool,
    pub limitation: String,
    pub guideline: String,
    pub elements: Vec<MemoElement>,
    /// Whom the count charges, as a charging document names them.
    #[serde(default)]
    pub defendants: Vec<String>,
    /// § 1028A: "during and in relation to Count 1 (18 U.S.C. § 1343)".
    #[serde(default)]
    pub predicate: String,
    /// An out-of-catalog count: who entered its offense, and that it is not from the catalog.
    #[serde(default)]
    pub provenance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoDefense {
    pub title: String,
    pub prompt: String,
    pub counts: String,
}

/// Everything a memo version records: built from recorded facts and accepted mappings only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoContent {
    pub incident: String,
    pub title: String,
    pub district: String,
    /// The rule the "most serious readily provable" flag applied, as the memo states it.
    #[serde(default)]
    pub ranking: String,
    /// Each defendant's sentencing exposure over the proposed counts.
    #[serde(default)]
    pub exposure: Vec<crate::domain::exposure::DefendantExposure>,
    /// The circuit the district lies in and which pattern jury instructions to check there.
    #[serde(default)]
    pub circuit: String,
    pub offense_dates: String,
    pub status: String,
    pub subjects: Vec<(String, String)>,
    pub victims: Vec<(String, String, String)>,
    /// How many victims, by kind, and the total of the losses recorded: for the body.
    #[serde(default)]
    pub victim_summary: String,
    pub ai_modalities: Vec<String>,
    /// The offense conduct, from the recorded offense dates.
    pub chronology: Vec<(String, String)>,
    /// The handling of the evidence, from the custody record.
    #[serde(default)]
    pub evidence_handling: Vec<(String, String)>,
    pub charges: Vec<MemoCharge>,
    pub defenses: Vec<MemoDefense>,
    pub exhibits: Vec<MemoExhibit>,
    pub narratives: Narratives,
    pub catalog_version: String,
    pub checkpoint_size: i64,
    pub checkpoint_root: String,
    pub checkpoint_note: String,
    pub approvals_needed: Vec<String>,
    /// Counts that cannot be proposed yet, each with why ("defendant not chosen").
    #[serde(default)]
    pub not_ready: Vec<String>,
    /// Each defendant with the counts that charge them and where the proof stands.
    #[serde(default)]
    pub by_defendant: Vec<(String, String)>,
}
