//! The FRE 902(14) certification draft of one exhibit, laid out as a document: what it says
//! follows from the exhibit's record alone.

use super::model::{Block, Column, Document, Table};
use crate::domain::custody::{CustodyAction, CustodyEvent, LatestVerification, in_time_order};
use crate::domain::evidence::Exhibit;
use crate::domain::format_time;
use crate::domain::incident::Incident;

/// The qualified person who certifies: who did or checked the copying, not who downloads the
/// draft.
pub struct Certifier<'a> {
    pub name: &'a str,
    /// Title, employer, training, as given; blanks to fill in when not.
    pub qualifications: Option<&'a str>,
}

/// An FRE 902(14) certification draft for one exhibit whose custody is sound, for a qualified
/// person to complete and sign: the checklist of the statutes reference, section 6. `latest`
/// is the exhibit's latest verification, if it was ever verified (it passed: an exhibit whose
/// verification failed is impaired and is not certified).
pub fn document(
    incident: &Incident,
    exhibit: &Exhibit,
    events: &[CustodyEvent],
    latest: Option<&LatestVerification>,
    who: &Certifier<'_>,
) -> Document {
    let certifier = who.name;
    let qualified = match who.qualifications {
        Some(q) => format!("I, {certifier}, {q}, am a qualified person"),
        None => format!(
            "I, {certifier}, am a qualified person: ____________________ (title, employer), with ____________________ (training and experience in digital forensics)"
        ),
    };
    let verified = match latest {
        Some(v) if v.intact => format!(
            "and its latest verification, on {}, re-hashed the file and checked the chain against the signed ledger without finding a problem",
            format_time(v.at)
        ),
        _ => "but the file has not yet been re-verified against the signed ledger: run a verification before signing"
            .to_owned(),
    };
    let a = &exhibit.acquisition;
    let file = exhibit.file.as_ref();
    let sha = file
        .map(|f| f.sha256.clone())
        .unwrap_or_else(|| "(no file: this item cannot be certified under 902(14))".into());
    let original = events
        .iter()
        .find(|e| e.action == CustodyAction::Acquired)
        .and_then(|e| e.details.digest_observed.clone())
        .unwrap_or_else(|| sha.clone());
    let matches = file.is_some_and(|f| f.sha256 == original);
    let mut custody_rows = Vec::new();
    for e in in_time_order(events) {
        let who = match (&e.details.from_custodian, &e.details.to_custodian) {
            (Some(f), Some(t)) => format!("{f} to {t}"),
            (None, Some(t)) => format!("to {t}"),
            (Some(f), None) => format!("from {f}"),
            (None, None) => e.actor.clone(),
        };
        custody_rows.push(vec![
            vec![e.seq.to_string()],
            vec![format!("{} UTC", e.occurred_at.date())],
            vec![e.action.label().to_owned()],
            vec![who],
        ]);
    }
    let blocks = vec![
        Block::Title("Certification of data copied from an electronic device, storage medium or file (FRE 902(14))".into()),
        Block::Plain("UNITED STATES DISTRICT COURT".into()),
        Block::Plain(format!("{}  ·  United States v. ____________________  ·  Incident {}", incident.details.district.clone().unwrap_or_else(|| "District: ________".into()), incident.number)),
        Block::Heading(1, "1. Certifier".into()),
        Block::Paragraph(format!("{qualified}. I make this certification from my own knowledge and from records kept in the ordinary course.")),
        Block::Heading(1, "2. The source and how it was obtained".into()),
        Block::Facts(vec![
            ("Exhibit".into(), exhibit.number.to_string()),
            ("Description".into(), exhibit.description.clone()),
            ("Kind".into(), exhibit.kind.label().to_owned()),
            ("Source".into(), exhibit.source.clone()),
            ("Acquired".into(), format!("{} by {}", format_time(a.acquired_at), a.acquired_by)),
            ("Place".into(), a.location.clone()),
            ("Legal authority".into(), a.legal_authority.clone()),
            ("Method".into(), a.method.clone()),
            ("Tool and version".into(), if a.tool.is_empty() { "________".into() } else { a.tool.clone() }),
        ]),
        Block::Heading(1, "3. Process of digital identification".into()),
        Block::Paragraph("The copy was identified by its SHA-256 hash value, computed over every byte as the copy was received and recorded before any other use. SHA-256 is a cryptographic hash function: two different files with the same SHA-256 value are not known to exist. MD5 and SHA-1 values, computed for legacy tools, are listed for matching only.".into()),
        Block::Table(Table {
            columns: vec![Column::text("Value", 0.3), Column::mono("SHA-256 (hex)", 0.7)],
            rows: vec![
                vec![vec!["Original (at acquisition)".into()], vec![original.clone()]],
                vec![vec!["Copy offered as this exhibit".into()], vec![sha.clone()]],
                vec![vec!["SHA-1 / MD5 of the copy".into()], vec![file.and_then(|f| f.sha1.clone()).unwrap_or_else(|| "n/a".into()), file.and_then(|f| f.md5.clone()).unwrap_or_else(|| "n/a".into())]],
            ],
        }),
        Block::Plain(if matches { "The two SHA-256 values match: the copy is identical to the original.".into() } else { "THE VALUES DO NOT MATCH (or no original value was recorded): do not certify until this is resolved.".into() }),
        Block::Heading(1, "4. Chain of custody".into()),
        Block::Plain(format!("Custos's custody record of this exhibit is sound: its hash chain recomputes from the stored events, and no event records a digest that did not match, an open discrepancy or a break in continuity; {verified}. Storage controls: the file is kept in a content-addressed store; every custody event is hash-chained and entered in a signed, append-only ledger. Events are listed in the order they happened.")),
        Block::Table(Table {
            columns: vec![Column::text("#", 0.07), Column::text("Date", 0.2), Column::text("Event", 0.23), Column::text("Custodian", 0.5)],
            rows: custody_rows,
        }),
        Block::Heading(1, "5. Statement".into()),
        Block::Paragraph(format!("Exhibit {} is a true and accurate copy of the data identified above. I certify that the foregoing is true and correct, and that I would so testify if called as a witness.", exhibit.number)),
        Block::Paragraph("I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct (28 U.S.C. § 1746).".into()),
        Block::Plain("Executed on ______________ (date) at ______________ (place).".into()),
        Block::Signature(vec![format!("{certifier}, certifier"), "Title: ____________________".into()]),
        Block::Heading(2, "Notice (FRE 902(11))".into()),
        Block::Plain("Written notice of intent to offer this record served on ______________; record and certification made available for inspection on ______________.".into()),
    ];
    Document {
        title: format!("FRE 902(14) certification draft: exhibit {}", exhibit.number),
        author: certifier.to_owned(),
        subject: format!("Certification of exhibit {} (SHA-256 {})", exhibit.number, sha),
        keywords: vec!["FRE 902(14)".into(), exhibit.number.to_string()],
        header: "DRAFT FOR REVIEW - FRE 902(14) CERTIFICATION - NOT SIGNED".into(),
        footer: format!("Exhibit {} · SHA-256 {}", exhibit.number, sha),
        date: exhibit.created_at.assume_utc(),
        blocks,
    }
}
