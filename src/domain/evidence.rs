//! Exhibits: evidence items, with or without a file, numbered `<incident>-E<nnn>`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::PrimitiveDateTime;

use super::ids::{ExhibitId, IncidentId, IncidentNumber, UserId};
use super::{ValidationErrors, bounded_text, required_line};

vocabulary!(
    /// What an exhibit is. The first five are the AI-specific kinds.
    ExhibitKind, "an exhibit kind" {
        AiChatLog => ("ai_chat_log", "AI-tool prompt or chat log"),
        AiGeneratedContent => ("ai_generated_content", "AI-generated content"),
        DeepfakeMedia => ("deepfake_media", "Deepfake audio or video"),
        AgentTrace => ("agent_trace", "Agent execution trace"),
        AiWrittenCode => ("ai_written_code", "AI-written code"),
        DiskImage => ("disk_image", "Disk image"),
        MobileExtraction => ("mobile_extraction", "Mobile device extraction"),
        ServerLog => ("server_log", "Server or cloud log"),
        Email => ("email", "Email"),
        NetworkCapture => ("network_capture", "Network capture"),
        FinancialRecord => ("financial_record", "Financial record"),
        Document => ("document", "Document"),
        PhysicalItem => ("physical_item", "Physical item"),
        Other => ("other", "Other"),
    }
);

/// An exhibit number, `2026-0007-E003`: the incident's number and the exhibit's sequence in it,
/// three digits wide and wider past 999 (`E1000`). Ordered by incident, then sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExhibitNumber {
    pub incident: IncidentNumber,
    pub seq: i32,
}

impl ExhibitNumber {
    /// Eight digits: more exhibits than any incident will hold.
    pub const MAX_SEQ: i32 = 99_999_999;

    pub fn new(incident: IncidentNumber, seq: i32) -> Option<Self> {
        (1..=Self::MAX_SEQ).contains(&seq).then_some(Self { incident, seq })
    }
}

impl fmt::Display for ExhibitNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-E{:03}", self.incident, self.seq)
    }
}

impl FromStr for ExhibitNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not an exhibit number (expected YYYY-NNNN-ENNN)");
        let (incident, seq) = s.rsplit_once("-E").ok_or_else(bad)?;
        if !(3..=8).contains(&seq.len()) || !seq.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let incident: IncidentNumber = incident.parse().map_err(|_| bad())?;
        let seq: i32 = seq.parse().map_err(|_| bad())?;
        let number = Self::new(incident, seq).ok_or_else(bad)?;
        // One spelling per exhibit: E007, never E0007.
        if number.to_string() != s {
            return Err(bad());
        }
        Ok(number)
    }
}

impl Serialize for ExhibitNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// "2026-03-01T14:05:00.000000Z": how times are logged and hashed, always six fraction digits.
pub fn canonical_time(at: PrimitiveDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.format(&format).unwrap_or_else(|_| at.to_string())
}

/// Parses a time as typed: RFC 3339 with an offset, or "YYYY-MM-DDTHH:MM[:SS]" taken as UTC.
/// The result is UTC, truncated to microseconds. A time after `now` is refused.
pub fn parse_time(value: &str, now: PrimitiveDateTime) -> Result<PrimitiveDateTime, String> {
    let value = value.trim();
    let bad = || format!("'{value}' is not a time (such as 2026-03-01T14:05:00Z)");
    let utc = if let Ok(at) = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339) {
        let at = at.to_offset(time::UtcOffset::UTC);
        PrimitiveDateTime::new(at.date(), at.time())
    } else {
        let with_seconds = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let without = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        PrimitiveDateTime::parse(value, with_seconds)
            .or_else(|_| PrimitiveDateTime::parse(value, without))
            .map_err(|_| bad())?
    };
    let utc = utc.replace_microsecond(utc.microsecond()).map_err(|_| bad())?;
    if utc.year() < super::EARLIEST_YEAR {
        return Err(format!("is before {}: check the year", super::EARLIEST_YEAR));
    }
    if utc > now + time::Duration::minutes(5) {
        return Err("is in the future".into());
    }
    Ok(utc)
}

/// How an exhibit was acquired, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcquisition {
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub acquired_by: String,
    #[serde(default)]
    pub acquired_at: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub legal_authority: String,
}

/// An exhibit's description as typed (the API's `metadata` part, or the upload form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExhibit {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub acquisition: RawAcquisition,
    /// The exhibit this one was derived from (an image of a seized laptop, an extraction).
    #[serde(default)]
    pub parent: Option<String>,
    /// The SHA-256 the sender computed, to be compared with the server's.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquisition {
    pub method: String,
    pub tool: String,
    pub acquired_by: String,
    pub acquired_at: PrimitiveDateTime,
    pub location: String,
    pub legal_authority: String,
}

/// A checked exhibit description, ready to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExhibitDraft {
    pub kind: ExhibitKind,
    pub description: String,
    pub source: String,
    pub acquisition: Acquisition,
    pub parent: Option<ExhibitNumber>,
    pub claimed_sha256: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
}

pub fn parse_sha256(value: &str) -> Result<String, String> {
    let value = value.trim().to_ascii_lowercase();
    if value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value)
    } else {
        Err("is not a SHA-256 digest (64 hexadecimal digits)".into())
    }
}

fn optional(value: &Option<String>, max: usize) -> Result<Option<String>, String> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_line(v, max).map(Some),
    }
}

impl ExhibitDraft {
    pub fn parse(raw: &RawExhibit, now: PrimitiveDateTime) -> Result<ExhibitDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let kind = errors.check("kind", raw.kind.trim().parse::<ExhibitKind>());
        let description = errors.check("description", required_line(&raw.description, 2_000));
        let source = errors.check("source", bounded_text(raw.source.trim(), 500, false));
        let a = &raw.acquisition;
        let method = errors.check("acquisition.method", required_line(&a.method, 300));
        let tool = errors.check("acquisition.tool", bounded_text(a.tool.trim(), 200, false));
        let acquired_by = errors.check("acquisition.acquired_by", required_line(&a.acquired_by, 200));
        let acquired_at = errors.check("acquisition.acquired_at", parse_time(&a.acquired_at, now));
        let location = errors.check("acquisition.location", bounded_text(a.location.trim(), 300, false));
        let legal_authority =
            errors.check("acquisition.legal_authority", bounded_text(a.legal_authority.trim(), 300, false));
        let parent = match raw.parent.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(p) => errors.check("parent", p.parse::<ExhibitNumber>().map(Some)),
        };
        let claimed = match raw.sha256.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(d) => errors.check("sha256", parse_sha256(d).map(Some)),
        };
        let file_name = errors.check("file_name", optional(&raw.file_name, 255));
        let media_type = errors.check("media_type", optional(&raw.media_type, 255));
        errors.into_result()?;
        match (
            kind,
            description,
            source,
            method,
            tool,
            acquired_by,
            acquired_at,
            location,
            legal_authority,
            parent,
            claimed,
            file_name,
            media_type,
        ) {
            (
                Some(kind),
                Some(description),
                Some(source),
                Some(method),
                Some(tool),
                Some(acquired_by),
                Some(acquired_at),
                Some(location),
                Some(legal_authority),
                Some(parent),
                Some(claimed_sha256),
                Some(file_name),
                Some(media_type),
            ) => Ok(ExhibitDraft {
                kind,
                description,
                source,
                acquisition: Acquisition { method, tool, acquired_by, acquired_at, location, legal_authority },
                parent,
                claimed_sha256,
                file_name,
                media_type,
            }),
            _ => Err(ValidationErrors::single("exhibit", "could not be read")),
        }
    }
}

/// The file behind an exhibit, as the server measured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExhibitFile {
    pub name: Option<String>,
    pub media_type: Option<String>,
    pub size: i64,
    pub sha256: String,
    /// Computed by the background pass; `None` until it has run.
    pub sha1: Option<String>,
    pub md5: Option<String>,
}

/// An exhibit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhibit {
    pub id: ExhibitId,
    pub number: ExhibitNumber,
    pub incident_id: IncidentId,
    pub kind: ExhibitKind,
    pub description: String,
    pub source: String,
    pub acquisition: Acquisition,
    pub parent: Option<ExhibitNumber>,
    pub file: Option<ExhibitFile>,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
}

/// Who certifies an exhibit under FRE 902(14), as asked for: a member of the incident's team
/// (by username), or a person typed in by name, who must then be described.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCertifier {
    #[serde(default)]
    pub certifier: Option<String>,
    #[serde(default)]
    pub certifier_name: Option<String>,
    #[serde(default)]
    pub qualifications: Option<String>,
}

/// The certifier, checked: the qualified person who did the work, never simply whoever asks
/// for the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertifierChoice {
    /// A team member, by username; their qualifications, if given.
    TeamMember { username: String, qualifications: Option<String> },
    /// Someone outside Custos (a lab examiner), named with their qualifications.
    Named { name: String, qualifications: String },
}

impl CertifierChoice {
    pub fn parse(raw: &RawCertifier) -> Result<CertifierChoice, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let qualifications = raw
            .qualifications
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .and_then(|q| errors.check("qualifications", bounded_text(q, 500, false)));
        let username = raw.certifier.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let name = raw.certifier_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let choice = match (username, name) {
            (Some(username), None) => {
                Some(CertifierChoice::TeamMember { username: username.to_lowercase(), qualifications })
            }
            (None, Some(name)) => match (errors.check("certifier_name", required_line(name, 200)), qualifications) {
                (Some(name), Some(qualifications)) => Some(CertifierChoice::Named { name, qualifications }),
                (Some(_), None) => {
                    errors.add(
                        "qualifications",
                        "are required for a certifier outside the team: title, employer, training",
                    );
                    None
                }
                _ => None,
            },
            (Some(_), Some(_)) => {
                errors.add("certifier", "choose a team member or type a name, not both");
                None
            }
            (None, None) => {
                errors.add("certifier", "is required: the qualified person who made or checked the copy");
                None
            }
        };
        errors.into_result()?;
        choice.ok_or_else(|| ValidationErrors::single("certifier", "is required"))
    }
}

/// Every exhibit kind the statute catalog's suggestions name must be one Custos knows, or a
/// suggestion would never be offered. Checked at start-up, from this side, so that the
/// catalog module needs nothing of the domain.
pub fn check_suggested_kinds(catalog: &crate::statutes::Catalog) -> Result<(), String> {
    let unknown: Vec<String> = catalog
        .suggestions
        .iter()
        .flat_map(|s| s.kinds.iter().map(move |kind| (s, kind)))
        .filter(|(_, kind)| kind.parse::<ExhibitKind>().is_err())
        .map(|(s, kind)| format!("suggestion '{}' names unknown exhibit kind {kind}", s.evidence))
        .collect();
    if unknown.is_empty() { Ok(()) } else { Err(format!("statute catalog: {}", unknown.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_catalog_suggests_only_known_exhibit_kinds() {
        let mut catalog = crate::statutes::catalog().unwrap().clone();
        assert_eq!(check_suggested_kinds(&catalog), Ok(()));
        catalog.suggestions[0].kinds.push("hologram".into());
        assert!(check_suggested_kinds(&catalog).unwrap_err().contains("unknown exhibit kind hologram"));
    }

    #[test]
    fn exhibit_numbers_round_trip() {
        let n: ExhibitNumber = "2026-0007-E003".parse().unwrap();
        assert_eq!(n.seq, 3);
        assert_eq!(n.to_string(), "2026-0007-E003");
        assert_eq!("2026-0007-E1234".parse::<ExhibitNumber>().unwrap().seq, 1234);
        let wide: ExhibitNumber = "2026-10000-E100000".parse().unwrap();
        assert_eq!((wide.incident.seq(), wide.seq), (10_000, 100_000));
        assert_eq!(wide.to_string(), "2026-10000-E100000");
        let (e999, e1000): (ExhibitNumber, ExhibitNumber) =
            ("2026-0007-E999".parse().unwrap(), "2026-0007-E1000".parse().unwrap());
        assert!(e999 < e1000 && n < wide, "ordered by incident and sequence, not as text");
        for bad in
            ["2026-0007-E03", "2026-0007-E0003", "2026-0007E003", "2026-0007-E000", "x-E001", "2026-0007-E123456789"]
        {
            assert!(bad.parse::<ExhibitNumber>().is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_read_as_utc() {
        let now = datetime!(2026-11-27 12:00);
        assert_eq!(parse_time("2026-03-01T09:05:00-05:00", now).unwrap(), datetime!(2026-03-01 14:05));
        assert_eq!(parse_time("2026-03-01T14:05", now).unwrap(), datetime!(2026-03-01 14:05));
        assert!(parse_time("2027-01-01T00:00Z", now).is_err());
        assert!(parse_time("yesterday", now).is_err());
        assert_eq!(canonical_time(datetime!(2026-03-01 14:05:00.5)), "2026-03-01T14:05:00.500000Z");
    }

    #[test]
    fn drafts_report_every_problem() {
        let raw = RawExhibit {
            kind: "hologram".into(),
            sha256: Some("abc".into()),
            parent: Some("E1".into()),
            ..Default::default()
        };
        let errors = ExhibitDraft::parse(&raw, datetime!(2026-11-27 12:00)).unwrap_err();
        for field in [
            "kind",
            "description",
            "acquisition.method",
            "acquisition.acquired_by",
            "acquisition.acquired_at",
            "parent",
            "sha256",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors}");
        }
    }
}
