//! The charging memo: its recorded content (what a version froze) and how that content reads
//! as a document. Pure: the service gathers the facts, this module arranges them.

use serde::{Deserialize, Serialize};

use crate::pdf::{Block, Column, Document, Table};

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
    /// "intact", or what is wrong.
    pub custody: String,
    pub custodian: String,
    pub acquired: String,
    pub authority: String,
    /// "FRE 902(14)", "FRE 902(13)", "FRE 902(11)" or "witness".
    pub authentication: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoProof {
    pub exhibit: String,
    pub sha256: Option<String>,
    pub pin: Option<String>,
    pub custody: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoElement {
    pub id: String,
    pub text: String,
    pub label: String,
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
    pub offense_dates: String,
    pub status: String,
    pub subjects: Vec<(String, String)>,
    pub victims: Vec<(String, String, String)>,
    pub ai_modalities: Vec<String>,
    pub chronology: Vec<(String, String)>,
    pub charges: Vec<MemoCharge>,
    pub defenses: Vec<MemoDefense>,
    pub exhibits: Vec<MemoExhibit>,
    pub narratives: Narratives,
    pub catalog_version: String,
    pub checkpoint_size: i64,
    pub checkpoint_root: String,
    pub checkpoint_note: String,
    pub approvals_needed: Vec<String>,
}

/// Who wrote a version, when, and what it hashes to: printed on every page.
pub struct VersionStamp<'a> {
    pub version: i32,
    pub author: &'a str,
    pub created_at: time::PrimitiveDateTime,
    pub content_sha256: &'a str,
}

pub const WORK_PRODUCT: &str = "PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT - DRAFT";

fn paragraphs(text: &str) -> Vec<Block> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| Block::Paragraph(p.to_owned())).collect()
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
                        .map(|ch| format!("Count {}: {}", ch.count, ch.citation))
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ),
            ("Version".into(), format!("{} by {}, {} UTC", stamp.version, stamp.author, stamp.created_at.date())),
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
        b.push(Block::Heading(2, "Chronology".into()));
        b.push(Block::Table(Table {
            columns: vec![Column::text("Date (UTC)", 0.2), Column::text("Event", 0.8)],
            rows: c.chronology.iter().map(|(d, e)| vec![vec![d.clone()], vec![e.clone()]]).collect(),
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

    b.push(Block::Heading(1, "6. Element-by-element analysis".into()));
    b.push(Block::Plain(
        "Only evidence a prosecutor accepted, with custody intact, is cited as proof. Proposals still in review are counted as gaps."
            .into(),
    ));
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
                    if e.label != "STAT" && e.label != "SRC" {
                        element.push("Verify before relying.".into());
                    }
                    let proof = if e.proof.is_empty() {
                        vec!["None accepted".into()]
                    } else {
                        e.proof
                            .iter()
                            .flat_map(|p| {
                                vec![
                                    format!(
                                        "{}{} ({})",
                                        p.exhibit,
                                        p.pin.as_ref().map(|x| format!(", {x}")).unwrap_or_default(),
                                        p.custody
                                    ),
                                    p.sha256.clone().unwrap_or_else(|| "(item without a file)".into()),
                                ]
                            })
                            .collect()
                    };
                    vec![element, proof, vec![e.gaps.clone()]]
                })
                .collect(),
        }));
    }

    b.push(Block::Heading(1, "7. Evidence and admissibility".into()));
    b.push(Block::Paragraph(
        "Authentication plan: forensic copies are authenticated by hash under FRE 902(14), system-generated records under FRE 902(13), business records under FRE 902(11), each with a qualified person's certification and the advance written notice of FRE 902(11); physical items through chain-of-custody testimony. Certification drafts can be exported from each exhibit's page.".into(),
    ));
    let problems: Vec<String> =
        c.exhibits.iter().filter(|x| x.custody != "intact").map(|x| format!("{}: {}", x.number, x.custody)).collect();
    if problems.is_empty() {
        b.push(Block::Plain(
            "Custody: every exhibit's chain verified intact against the ledger checkpoint below.".into(),
        ));
    } else {
        b.push(Block::Plain("Custody problems to resolve before relying on these exhibits:".into()));
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
                    vec![x.kind.clone(), x.description.clone()],
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

    b.push(Block::Heading(1, "13. Victims".into()));
    if c.victims.is_empty() {
        b.push(Block::Plain("No victims recorded.".into()));
    } else {
        b.push(Block::Table(Table {
            columns: vec![
                Column::text("Victim", 0.45),
                Column::text("Kind", 0.25),
                Column::text("Estimated loss", 0.3),
            ],
            rows: c.victims.iter().map(|(n, k, l)| vec![vec![n.clone()], vec![k.clone()], vec![l.clone()]]).collect(),
        }));
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
    b.push(Block::Facts(vec![
        ("Tree size".into(), c.checkpoint_size.to_string()),
        ("Root hash (base64)".into(), c.checkpoint_root.clone()),
        ("Statute catalog".into(), c.catalog_version.clone()),
    ]));
    b.push(Block::Plain(c.checkpoint_note.clone()));

    Document {
        title: format!("Prosecution memorandum: {} {}", c.incident, c.title),
        author: stamp.author.to_owned(),
        subject: format!("Charging memo draft, incident {}, version {}", c.incident, stamp.version),
        keywords: vec!["Custos".into(), c.incident.clone(), "work product".into()],
        header: WORK_PRODUCT.into(),
        footer: format!("Incident {} memo v{} · content SHA-256 {}", c.incident, stamp.version, stamp.content_sha256),
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
            custody: "intact".into(),
            custodian: "CART examiner L. Moreno".into(),
            acquired: "2026-03-01".into(),
            authority: "Search warrant 26-SW-1182".into(),
            authentication: "FRE 902(13)".into(),
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
                readily_provable: true,
                most_serious: c == 0,
                limitation: "2031-02-11: 5 years from 2026-02-11 (18 U.S.C. § 3282(a))".into(),
                guideline: "USSG §2B1.1".into(),
                elements: (0..4)
                    .map(|e| MemoElement {
                        id: format!("OFFENSE{}-E{}", c + 1, e + 1),
                        text: "The defendant knowingly devised or took part in a scheme to defraud, or to obtain money or property by false or fraudulent pretenses.".into(),
                        label: "SRC".into(),
                        penalty_fact: false,
                        proof: (0..5)
                            .map(|k| {
                                let i = (c * 20 + e * 5 + k) % exhibits.max(1);
                                MemoProof { exhibit: number(i), sha256: Some(sha(i)), pin: Some("p. 4".into()), custody: "custody intact".into() }
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
        offense_dates: "2026-01-05 to 2026-02-11".into(),
        status: "Charging review".into(),
        subjects: vec![("Operator 1".into(), "Ran the agent infrastructure".into())],
        victims: vec![("First Lakeshore Bank".into(), "Financial institution".into(), "$4,180,000.00".into())],
        ai_modalities: vec!["Autonomous agent intrusion".into()],
        chronology: (0..exhibits.min(40)).map(|i| ("2026-03-01".into(), format!("{} acquired", number(i)))).collect(),
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
        checkpoint_root: "n8cJ2w5Y3o0bJ9g0q3b7S6V1m2r8x0c4z5t6u7v8w9A=".into(),
        checkpoint_note: "custos ledger\n4242\nn8cJ2w5Y3o0bJ9g0q3b7S6V1m2r8x0c4z5t6u7v8w9A=".into(),
        approvals_needed: vec!["Supervisory approval".into()],
    }
}
