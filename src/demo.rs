//! The demo dataset of `custos serve --demo`: users for every role and realistic AI-enabled
//! incidents, loaded through the same services a person would use, so every record carries
//! its audit trail.

use serde::Deserialize;
use std::collections::HashMap;

use crate::db::repo::{incidents as incident_repo, users as user_repo};
use crate::db::{self, DbConnection};
use crate::domain::charge::{RawCharge, RawMapping, RawReview};
use crate::domain::evidence::{ExhibitNumber, RawExhibit};
use crate::domain::ids::IncidentNumber;
use crate::domain::incident::{IncidentPatch, IncidentStatus, RawIncident, RawSubject, RawVictim};
use crate::domain::person::RawPerson;
use crate::domain::user::{NewPassword, Role, User};
use crate::error::AppError;
use crate::services;
use crate::services::ledger::Ledger;
use crate::storage::BlobStore;

/// Every demo user's password. Demo data only: never for a real deployment.
pub const DEMO_PASSWORD: &str = "custos-demo-2026";

const USERS: &str = include_str!("../fixtures/demo/users.json");
const INCIDENTS: &str = include_str!("../fixtures/demo/incidents.json");
const EXHIBITS: &str = include_str!("../fixtures/demo/exhibits.json");
const CHARGES: &str = include_str!("../fixtures/demo/charges.json");
const MAPPINGS: &str = include_str!("../fixtures/demo/mappings.json");

/// The sample evidence files (their SHA-256 sums are in fixtures/demo/evidence-SHA256SUMS).
pub const EVIDENCE_FILES: &[(&str, &[u8])] = &[
    ("cfo-call-invite.eml", include_bytes!("../fixtures/demo/evidence/cfo-call-invite.eml")),
    ("wire-confirmations.csv", include_bytes!("../fixtures/demo/evidence/wire-confirmations.csv")),
    ("lookalike-domain-whois.txt", include_bytes!("../fixtures/demo/evidence/lookalike-domain-whois.txt")),
    ("agent-execution-trace.jsonl", include_bytes!("../fixtures/demo/evidence/agent-execution-trace.jsonl")),
    ("vpn-appliance.log", include_bytes!("../fixtures/demo/evidence/vpn-appliance.log")),
    ("liveness-session-summary.json", include_bytes!("../fixtures/demo/evidence/liveness-session-summary.json")),
    ("loan-ledger-extract.csv", include_bytes!("../fixtures/demo/evidence/loan-ledger-extract.csv")),
    ("agent-run-otel-trace.json", include_bytes!("../fixtures/demo/evidence/agent-run-otel-trace.json")),
    ("synthetic-applicant-portrait.png", include_bytes!("../fixtures/demo/evidence/synthetic-applicant-portrait.png")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    username: String,
    full_name: String,
    role: Role,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoVictim {
    name: String,
    kind: String,
    estimated_loss_usd: String,
    #[serde(default)]
    gain_usd: String,
    /// For a class of victims: how many ("80+").
    #[serde(default)]
    class_size: String,
    #[serde(default)]
    notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSubject {
    name: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoIncident {
    opened_by: String,
    title: String,
    summary: String,
    district: String,
    ai_modalities: Vec<String>,
    victims: Vec<DemoVictim>,
    subjects: Vec<DemoSubject>,
    /// Defendants, co-conspirators and subjects; without it, the first subject is charged.
    #[serde(default)]
    people: Vec<RawPerson>,
    /// Offenses outside the catalog, entered before the counts that charge them (OTHER-1...).
    #[serde(default)]
    other_statutes: Vec<DemoOtherStatute>,
    first_offense_date: String,
    last_offense_date: String,
    members: Vec<String>,
    statuses: Vec<IncidentStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOtherStatute {
    entered_by: String,
    citation: String,
    title: String,
    max_years: u16,
    elements: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoExhibit {
    /// Position of its incident in incidents.json.
    incident: usize,
    registered_by: String,
    file: Option<String>,
    /// Position of the parent in this list.
    #[serde(default)]
    parent: Option<usize>,
    kind: String,
    description: String,
    source: String,
    acquisition: crate::domain::evidence::RawAcquisition,
    custody: Vec<crate::domain::custody::RawCustodyEvent>,
    /// Analyses recorded right after registration ("agent_run"); an image, audio or video
    /// file has its content credentials read in any case, as an upload would.
    #[serde(default)]
    analyze: Vec<crate::domain::analysis::AnalysisKind>,
    #[serde(default)]
    media_type: Option<String>,
    /// The file is given C2PA content credentials declaring it AI-generated when the demo
    /// loads, under a certificate generated then (see `analysis::credentials`): so its
    /// SHA-256 differs from load to load and is not in evidence-SHA256SUMS.
    #[serde(default)]
    sign_c2pa: Option<DemoSigning>,
}

#[derive(Deserialize)]
struct DemoSigning {
    signer: String,
    generator: String,
}

/// A candidate count of a demo incident (counts are numbered in file order per incident).
#[derive(Deserialize)]
struct DemoCharge {
    incident: usize,
    added_by: String,
    offense: String,
    concerns: String,
    offense_date: Option<String>,
    #[serde(default)]
    affects_financial_institution: Option<bool>,
    #[serde(default)]
    penalty_facts: Vec<String>,
    #[serde(default)]
    object_offense: Option<String>,
    /// Names of the people it charges; without it, the incident's charged defendants.
    #[serde(default)]
    defendants: Vec<String>,
    /// § 1028A: the number of the predicate felony's count.
    #[serde(default)]
    predicate: Option<i32>,
    /// Gross gain and loss of the count's offense, in dollars.
    #[serde(default)]
    gain: Option<String>,
    #[serde(default)]
    loss: Option<String>,
}

#[derive(Deserialize)]
struct DemoReview {
    by: String,
    decision: String,
    comment: String,
}

/// A mapping of a demo exhibit (index in exhibits.json) to an element of a count of its
/// incident, with the review it got, if any.
#[derive(Deserialize)]
struct DemoMapping {
    exhibit: usize,
    count: i32,
    element: String,
    by: String,
    #[serde(default)]
    pin: Option<(String, String)>,
    rationale: String,
    #[serde(default)]
    review: Option<DemoReview>,
    /// A correction after the fact: the proposer's withdrawal or a supervisor's revocation.
    #[serde(default)]
    correction: Option<DemoCorrection>,
}

#[derive(Deserialize)]
struct DemoCorrection {
    by: String,
    decision: crate::domain::charge::ReviewDecision,
    reason: String,
}

pub struct DemoSummary {
    pub users: Vec<(String, Role)>,
    pub incidents: usize,
    pub exhibits: usize,
}

/// Loads the demo dataset if the database holds no users and no incidents; `None` otherwise.
pub fn load_if_empty(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    ledger: &Ledger,
) -> Result<Option<DemoSummary>, AppError> {
    if user_repo::count(conn)? > 0 || incident_repo::count(conn)? > 0 {
        return Ok(None);
    }
    load(conn, store, ledger).map(Some)
}

fn bad_fixture(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("demo fixture: {e}"))
}

pub fn load(conn: &mut DbConnection, store: &dyn BlobStore, ledger: &Ledger) -> Result<DemoSummary, AppError> {
    let demo_users: Vec<DemoUser> = serde_json::from_str(USERS).map_err(bad_fixture)?;
    let demo_incidents: Vec<DemoIncident> = serde_json::from_str(INCIDENTS).map_err(bad_fixture)?;
    let mut users: Vec<User> = Vec::new();
    for u in &demo_users {
        let password = NewPassword::parse(DEMO_PASSWORD.to_owned()).map_err(bad_fixture)?;
        users.push(services::users::create(conn, None, &u.username, &u.full_name, u.role, password)?);
    }
    let find = |username: &str| {
        users
            .iter()
            .find(|u| u.username == username)
            .cloned()
            .ok_or_else(|| bad_fixture(format!("no demo user {username}")))
    };
    // A supervisor moves cases through charging decisions; the opener does the rest.
    let supervisor =
        users.iter().find(|u| u.role == Role::Supervisor).cloned().ok_or_else(|| bad_fixture("no supervisor"))?;
    let mut numbers = Vec::new();
    for i in &demo_incidents {
        let opener = find(&i.opened_by)?;
        let raw = RawIncident {
            title: i.title.clone(),
            summary: i.summary.clone(),
            district: i.district.clone(),
            ai_modalities: i.ai_modalities.clone(),
            victims: i
                .victims
                .iter()
                .map(|v| RawVictim {
                    name: v.name.clone(),
                    kind: v.kind.clone(),
                    estimated_loss: v.estimated_loss_usd.clone(),
                    gain: v.gain_usd.clone(),
                    class_size: v.class_size.clone(),
                    notes: v.notes.clone(),
                })
                .collect(),
            subjects: i
                .subjects
                .iter()
                .map(|s| RawSubject { name: s.name.clone(), description: s.description.clone() })
                .collect(),
            first_offense_date: i.first_offense_date.clone(),
            last_offense_date: i.last_offense_date.clone(),
            victim_names_sensitive: false,
        };
        let mut incident = services::incidents::create(conn, &opener, &raw)?;
        for member in &i.members {
            incident = services::incidents::add_member(conn, &opener, incident.number, member)?;
        }
        for status in &i.statuses {
            let actor = if status.is_charging_decision() { &supervisor } else { &opener };
            incident = services::incidents::update(
                conn,
                actor,
                incident.number,
                incident.version,
                Some(*status),
                &IncidentPatch::default(),
            )?;
        }
        numbers.push(incident.number);
    }
    let demo_exhibits: Vec<DemoExhibit> = serde_json::from_str(EXHIBITS).map_err(bad_fixture)?;
    let mut registered: Vec<ExhibitNumber> = Vec::new();
    for e in &demo_exhibits {
        let user = find(&e.registered_by)?;
        let incident = *numbers.get(e.incident).ok_or_else(|| bad_fixture("exhibit of an unknown incident"))?;
        let raw = RawExhibit {
            kind: e.kind.clone(),
            description: e.description.clone(),
            source: e.source.clone(),
            acquisition: e.acquisition.clone(),
            parent: e.parent.and_then(|p| registered.get(p)).map(|p| p.to_string()),
            sha256: None,
            file_name: e.file.clone(),
            media_type: e.media_type.clone(),
        };
        let prepared = services::evidence::prepare(conn, &user, incident, &raw)?;
        let blob = match &e.file {
            Some(name) => {
                let bytes = EVIDENCE_FILES
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, b)| *b)
                    .ok_or_else(|| bad_fixture(format!("no sample file {name}")))?;
                let bytes = match &e.sign_c2pa {
                    Some(s) => bytes::Bytes::from(
                        crate::analysis::credentials::sign_as_ai_generated(
                            e.media_type.as_deref().unwrap_or("application/octet-stream"),
                            bytes,
                            &s.signer,
                            &s.generator,
                        )
                        .map_err(bad_fixture)?,
                    ),
                    None => bytes::Bytes::from_static(bytes),
                };
                let mut writer = store.begin().map_err(bad_fixture)?;
                writer.write(bytes).map_err(bad_fixture)?;
                Some(writer.finish().map_err(bad_fixture)?)
            }
            None => None,
        };
        let exhibit = services::evidence::register(conn, store, prepared, blob)?;
        for event in &e.custody {
            services::evidence::record_custody(conn, &user, exhibit.number, event)?;
        }
        let media = exhibit.file.as_ref().and_then(|f| f.media_type.as_deref());
        if crate::analysis::credentials::applies_to(media) {
            let kind = crate::domain::analysis::AnalysisKind::ContentCredentials;
            services::analyses::run_now(
                conn,
                store,
                &user,
                exhibit.number,
                kind,
                services::analyses::Trigger::OnUpload,
            )?;
        }
        for kind in &e.analyze {
            services::analyses::run_now(
                conn,
                store,
                &user,
                exhibit.number,
                *kind,
                services::analyses::Trigger::OnRequest,
            )?;
        }
        registered.push(exhibit.number);
    }
    // The people of each demo incident as its fixture lists them; where it lists none, the
    // first recorded subject is the charged defendant and the others are uncharged subjects
    // (the demo's own choice, made here, never by a migration).
    let mut defendants_of: HashMap<IncidentNumber, Vec<String>> = HashMap::new();
    let mut person_ids: HashMap<(IncidentNumber, String), String> = HashMap::new();
    for (i, number) in numbers.iter().enumerate() {
        let incident = &demo_incidents[i];
        let people: Vec<RawPerson> = if incident.people.is_empty() {
            incident
                .subjects
                .iter()
                .enumerate()
                .map(|(n, s)| RawPerson {
                    name: s.name.clone(),
                    role: if n == 0 { "defendant".into() } else { "subject".into() },
                    placeholder: None,
                    aliases: None,
                })
                .collect()
        } else {
            incident.people.clone()
        };
        for raw in &people {
            let person = services::people::add(conn, &supervisor, *number, raw)?;
            if person.role == crate::domain::person::PersonRole::Defendant {
                defendants_of.entry(*number).or_default().push(person.id.to_string());
            }
            person_ids.insert((*number, person.name.clone()), person.id.to_string());
        }
    }
    for (i, number) in numbers.iter().enumerate() {
        for o in &demo_incidents[i].other_statutes {
            let raw = crate::domain::other_statute::RawOtherStatute {
                citation: o.citation.clone(),
                title: o.title.clone(),
                max_years: Some(o.max_years),
                elements: o.elements.clone(),
                ..Default::default()
            };
            services::other_statutes::enter(conn, &find(&o.entered_by)?, *number, &raw)?;
        }
    }
    let demo_charges: Vec<DemoCharge> = serde_json::from_str(CHARGES).map_err(bad_fixture)?;
    for c in &demo_charges {
        let incident = *numbers.get(c.incident).ok_or_else(|| bad_fixture("charge of an unknown incident"))?;
        let raw = RawCharge {
            offense: c.offense.clone(),
            object_offense: c.object_offense.clone(),
            predicate: c.predicate,
            gain: c.gain.clone(),
            loss: c.loss.clone(),
            concerns: c.concerns.clone(),
            offense_date: c.offense_date.clone(),
            affects_financial_institution: c.affects_financial_institution,
            penalty_facts: c.penalty_facts.clone(),
            defendants: if c.defendants.is_empty() {
                defendants_of.get(&incident).cloned().unwrap_or_default()
            } else {
                c.defendants
                    .iter()
                    .map(|name| {
                        person_ids
                            .get(&(incident, name.clone()))
                            .cloned()
                            .ok_or_else(|| bad_fixture(format!("no demo person {name}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            },
        };
        services::charges::add_charge(conn, &find(&c.added_by)?, incident, &raw)?;
    }
    let demo_mappings: Vec<DemoMapping> = serde_json::from_str(MAPPINGS).map_err(bad_fixture)?;
    for m in &demo_mappings {
        let exhibit = *registered.get(m.exhibit).ok_or_else(|| bad_fixture("mapping of an unknown exhibit"))?;
        let raw = RawMapping {
            count: Some(m.count),
            element: m.element.clone(),
            exhibit: exhibit.to_string(),
            pin_kind: m.pin.as_ref().map(|p| p.0.clone()),
            pin_cite: m.pin.as_ref().map(|p| p.1.clone()),
            rationale: m.rationale.clone(),
        };
        let mapping = services::charges::propose(conn, store, &find(&m.by)?, exhibit.incident, &raw)?;
        if let Some(r) = &m.review {
            let review = RawReview { decision: r.decision.clone(), comment: r.comment.clone() };
            services::charges::review(conn, &find(&r.by)?, mapping.id, &review)?;
        }
        if let Some(c) = &m.correction {
            services::charges::correct(conn, &find(&c.by)?, mapping.id, c.decision, &c.reason)?;
        }
    }
    // Every demo incident has a saved memo version, written by a prosecutor on the team (or
    // the supervisor where no prosecutor is).
    let prosecutor = find("marcus.chen")?;
    for number in &numbers {
        let author = match services::incidents::get(conn, &prosecutor, *number) {
            Ok(_) => &prosecutor,
            Err(_) => &supervisor,
        };
        services::memo::save_version(conn, ledger, author, *number, None)?;
    }
    Ok(DemoSummary {
        users: users.iter().map(|u| (u.username.clone(), u.role)).collect(),
        incidents: demo_incidents.len(),
        exhibits: registered.len(),
    })
}

/// What `custos demo --scale` added.
pub struct ScaleSummary {
    pub incidents: usize,
    pub exhibits: usize,
    pub mappings: usize,
}

/// A synthetic dataset of `incidents` cases, each with `exhibits` exhibits (small generated
/// files), a transfer of each to the lab, two candidate counts and mappings for every element,
/// every other one accepted; for trying Custos, and its speed, at a larger scale. Everything
/// goes through the services, so custody chains, the ledger and the audit trail are real.
pub fn scale(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    incidents: usize,
    exhibits: usize,
) -> Result<ScaleSummary, AppError> {
    let user = |conn: &mut DbConnection, username: &str, full: &str, role: Role| -> Result<User, AppError> {
        if let Some(found) = user_repo::find_by_username(conn, username)? {
            return Ok(found.to_user()?);
        }
        let password = NewPassword::parse(DEMO_PASSWORD.to_owned()).map_err(bad_fixture)?;
        services::users::create(conn, None, username, full, role, password)
    };
    let agent = user(conn, "scale.investigator", "Synthetic Investigator", Role::Investigator)?;
    let prosecutor = user(conn, "scale.prosecutor", "Synthetic Prosecutor", Role::Prosecutor)?;
    // Who sees every incident without being on its team, as an office's supervisors do.
    user(conn, "scale.supervisor", "Synthetic Supervisor", Role::Supervisor)?;
    let mut summary = ScaleSummary { incidents: 0, exhibits: 0, mappings: 0 };
    // Batched writes: each service call's transaction nests (as a savepoint) in one
    // transaction per `SCALE_BATCH` incidents, so the database commits once a batch rather than
    // at every step; chains, the ledger and the audit trail are written exactly as by hand.
    let mut first = 0;
    while first < incidents {
        let batch = first..incidents.min(first + SCALE_BATCH);
        first = batch.end;
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            for i in batch {
                scale_incident(conn, store, &agent, &prosecutor, i, exhibits, &mut summary)?;
            }
            Ok(())
        })?;
    }
    Ok(summary)
}

/// Incidents `custos demo --scale` writes in one transaction.
const SCALE_BATCH: usize = 100;

/// One synthetic incident of `custos demo --scale`, through the services.
fn scale_incident(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    agent: &User,
    prosecutor: &User,
    i: usize,
    exhibits: usize,
    summary: &mut ScaleSummary,
) -> Result<(), AppError> {
    {
        let raw = RawIncident {
            title: format!("Synthetic AI-enabled fraud case {}", i + 1),
            summary: "Generated by custos demo --scale.".into(),
            district: "N.D. Ill.".into(),
            ai_modalities: vec!["ai_phishing".into()],
            victims: vec![RawVictim {
                name: format!("Victim company {}", i + 1),
                kind: "business".into(),
                estimated_loss: "125000".into(),
                ..RawVictim::default()
            }],
            subjects: Vec::new(),
            first_offense_date: "2026-01-05".into(),
            last_offense_date: "2026-02-11".into(),
            victim_names_sensitive: false,
        };
        let incident = services::incidents::create(conn, agent, &raw)?;
        services::incidents::add_member(conn, agent, incident.number, &prosecutor.username)?;
        let mut numbers = Vec::new();
        for k in 0..exhibits {
            let raw = RawExhibit {
                kind: if k % 2 == 0 { "email".into() } else { "server_log".into() },
                description: format!("Synthetic exhibit {} of case {}", k + 1, i + 1),
                source: "Generated".into(),
                acquisition: crate::domain::evidence::RawAcquisition {
                    method: "Generated sample".into(),
                    tool: format!("custos {}", env!("CARGO_PKG_VERSION")),
                    acquired_by: agent.full_name.clone(),
                    acquired_at: "2026-03-01T10:00:00Z".into(),
                    location: String::new(),
                    legal_authority: "Consent".into(),
                },
                parent: None,
                sha256: None,
                file_name: Some(format!("sample-{}-{}.txt", i + 1, k + 1)),
                media_type: Some("text/plain".into()),
            };
            let prepared = services::evidence::prepare(conn, agent, incident.number, &raw)?;
            let text = format!("case {i} exhibit {k}\n").repeat(200);
            let mut writer = store.begin().map_err(bad_fixture)?;
            writer.write(bytes::Bytes::from(text)).map_err(bad_fixture)?;
            let blob = writer.finish().map_err(bad_fixture)?;
            let exhibit = services::evidence::register(conn, store, prepared, Some(blob))?;
            let transfer = crate::domain::custody::RawCustodyEvent {
                action: "transferred".into(),
                to_custodian: Some("Digital forensics lab".into()),
                purpose: Some("Examination".into()),
                ..Default::default()
            };
            services::evidence::record_custody(conn, agent, exhibit.number, &transfer)?;
            numbers.push(exhibit.number);
        }
        summary.exhibits += numbers.len();
        let defendant = services::people::add(
            conn,
            agent,
            incident.number,
            &RawPerson {
                name: format!("Synthetic defendant {}", i + 1),
                role: "defendant".into(),
                ..Default::default()
            },
        )?;
        for offense in ["WIRE", "CFAA-A2"] {
            let raw = RawCharge {
                offense: offense.into(),
                object_offense: None,
                concerns: format!("Synthetic count, case {}", i + 1),
                offense_date: Some("2026-02-11".into()),
                affects_financial_institution: None,
                penalty_facts: Vec::new(),
                defendants: vec![defendant.id.to_string()],
                predicate: None,
                gain: None,
                loss: None,
            };
            let charge = services::charges::add_charge(conn, prosecutor, incident.number, &raw)?;
            let catalog = services::charges::catalog()?;
            let offense = catalog.offense(offense).ok_or_else(|| bad_fixture("offense missing"))?;
            for (n, element) in offense.elements.iter().enumerate() {
                let Some(exhibit) = numbers.get(n % numbers.len().max(1)) else { continue };
                let raw = RawMapping {
                    count: Some(charge.count),
                    element: element.id.clone(),
                    exhibit: exhibit.to_string(),
                    pin_kind: None,
                    pin_cite: None,
                    rationale: "Synthetic mapping.".into(),
                };
                let mapping = services::charges::propose(conn, store, agent, incident.number, &raw)?;
                if n % 2 == 0 {
                    let review = RawReview { decision: "accepted".into(), comment: String::new() };
                    services::charges::review(conn, prosecutor, mapping.id, &review)?;
                }
                summary.mappings += 1;
            }
        }
        summary.incidents += 1;
    }
    Ok(())
}
