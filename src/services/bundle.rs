//! Case bundles: one incident's evidence record in a folder an outside party can check with no
//! access to Custos: `manifest.json` (each exhibit's digests, its custody events as canonical
//! bytes with hashes, inclusion proofs and the signed checkpoint, and the verifier key),
//! `case.jsonld` (the chain of custody in CASE/UCO), and, on request, the evidence files.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::db::DbConnection;
use crate::db::repo::evidence as evidence_repo;
use crate::domain::analysis::AnalysisRecord;
use crate::domain::audit::AuditAction;
use crate::domain::custody::CustodyEvent;
use crate::domain::evidence::Exhibit;
use crate::domain::ids::IncidentNumber;
use crate::domain::verification::Finding;
use crate::error::AppError;
use crate::ledger::note::VerifierKey;
use crate::ledger::tree::verify_inclusion;
use crate::ledger::{GENESIS_HASH, event_hash};
use crate::services::evidence;
use crate::services::ledger::Ledger;
use crate::storage::{BlobStore, sha256_of};

pub const FORMAT: &str = "custos-case-bundle/1";

/// What an export wrote.
pub struct ExportSummary {
    pub exhibits: usize,
    pub events: usize,
    pub files: usize,
}

/// A UUID derived from a name, so that the same record gets the same IRI in every export.
fn iri(kind: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\0{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!("kb:{kind}-{}", uuid::Builder::from_random_bytes(bytes).into_uuid())
}

fn xsd_time(at: time::PrimitiveDateTime) -> Value {
    json!({ "@type": "xsd:dateTime", "@value": crate::domain::evidence::canonical_time(at) })
}

/// The chain of custody as a CASE/UCO graph: each custody event an InvestigativeAction whose
/// result is a ProvenanceRecord naming the exhibit, each action informed by the one before.
fn case_graph(incident: &str, title: &str, exhibits: &[(Exhibit, Vec<CustodyEvent>, Vec<AnalysisRecord>)]) -> Value {
    let mut graph: Vec<Value> = Vec::new();
    let tool = iri("Tool", "custos");
    graph.push(json!({ "@id": tool, "@type": "uco-tool:Tool", "uco-core:name": "Custos", "uco-tool:version": env!("CARGO_PKG_VERSION") }));
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    let mut person = |name: &str, graph: &mut Vec<Value>| -> String {
        people
            .entry(name.to_owned())
            .or_insert_with(|| {
                let id = iri("Person", name);
                graph.push(json!({ "@id": id, "@type": "uco-identity:Person", "uco-core:name": name }));
                id
            })
            .clone()
    };
    let mut records = Vec::new();
    for (x, events, _) in exhibits {
        let number = x.number.to_string();
        let item = iri(if x.file.is_some() { "File" } else { "ObservableObject" }, &number);
        let mut node = json!({ "@id": item, "uco-core:name": x.description });
        if let Some(f) = &x.file {
            node["@type"] = json!("uco-observable:File");
            let mut hashes = vec![("SHA256", f.sha256.clone())];
            hashes.extend(f.sha1.clone().filter(|h| h.len() == 40).map(|h| ("SHA1", h)));
            hashes.extend(f.md5.clone().filter(|h| h.len() == 32).map(|h| ("MD5", h)));
            let facet = iri("ContentDataFacet", &number);
            node["uco-core:hasFacet"] = json!([{
                "@id": facet,
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:sizeInBytes": f.size,
                "uco-observable:hash": hashes.iter().map(|(method, value)| json!({
                    "@id": iri("Hash", &format!("{number}/{method}")),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": method,
                    "uco-types:hashValue": { "@type": "xsd:hexBinary", "@value": value },
                })).collect::<Vec<_>>(),
            }]);
        } else {
            node["@type"] = json!("uco-observable:ObservableObject");
        }
        graph.push(node);
        let root = x.parent.map_or_else(|| number.clone(), |p| p.to_string());
        let mut previous: Option<(String, String)> = None;
        for e in events {
            let key = format!("{number}/{}", e.seq);
            let action = iri("InvestigativeAction", &key);
            let record = iri("ProvenanceRecord", &key);
            let performer = person(&e.actor, &mut graph);
            let mut objects = vec![json!({ "@id": item })];
            let mut act = json!({
                "@id": action,
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": e.action.as_str(),
                "uco-core:description": format!("{} {}", e.action.label(), number),
                "uco-action:startTime": xsd_time(e.occurred_at),
                "uco-action:performer": { "@id": performer },
                "uco-action:instrument": [{ "@id": tool }],
                "uco-action:result": [{ "@id": record }],
            });
            if let Some(to) = &e.details.to_custodian {
                let receiver = person(to, &mut graph);
                act["uco-action:participant"] = json!([{ "@id": receiver }]);
            }
            if let Some((prev_action, prev_record)) = &previous {
                objects.push(json!({ "@id": prev_record }));
                act["case-investigation:wasInformedBy"] = json!([{ "@id": prev_action }]);
            }
            act["uco-action:object"] = json!(objects);
            graph.push(act);
            graph.push(json!({
                "@id": record,
                "@type": "case-investigation:ProvenanceRecord",
                "case-investigation:exhibitNumber": number,
                "case-investigation:rootExhibitNumber": root,
                "uco-core:object": [{ "@id": item }],
            }));
            records.push(json!({ "@id": record }));
            previous = Some((action, record));
        }
    }
    if !records.is_empty() {
        graph.push(json!({
            "@id": iri("Investigation", incident),
            "@type": "case-investigation:Investigation",
            "uco-core:name": format!("{incident} {title}"),
            "uco-core:object": records,
        }));
    }
    json!({
        "@context": {
            "kb": "http://example.org/kb/",
            "case-investigation": "https://ontology.caseontology.org/case/investigation/",
            "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
            "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": graph,
    })
}

fn write_json(path: &Path, value: &Value) -> Result<(), AppError> {
    let text = serde_json::to_string_pretty(value).map_err(AppError::internal)?;
    std::fs::write(path, text + "\n").map_err(|e| AppError::internal(format!("cannot write {}: {e}", path.display())))
}

/// Where an analysis's result lies in a bundle.
fn analysis_path(exhibit: &str, seq: i32) -> String {
    format!("analyses/{exhibit}-{seq}.json")
}

/// Writes the bundle of one incident into `out`, a folder that must not exist yet (so nothing
/// is ever written over). For the operator, who holds the data directory.
pub fn export(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    ledger: &Ledger,
    number: IncidentNumber,
    out: &Path,
    with_files: bool,
) -> Result<ExportSummary, AppError> {
    let incident = crate::db::repo::incidents::load(conn, number)?.ok_or(AppError::NotFound("incident"))?;
    if out.exists() {
        return Err(AppError::conflict("exists", format!("{} already exists; choose a new folder", out.display())));
    }
    let exhibits = evidence_repo::for_incident(conn, &incident.id.to_string())?;
    let mut with_events = Vec::new();
    let mut items = Vec::new();
    let mut events = 0;
    for x in exhibits {
        let history = evidence_repo::events_of(conn, x.id)?;
        events += history.len();
        let mut proof = evidence::exhibit_proof(conn, ledger, &x, &history)?;
        proof["kind"] = json!(x.kind.as_str());
        proof["description"] = json!(x.description);
        proof["file"] = json!(x.file.as_ref().map(|f| json!({
            "name": f.name, "size": f.size, "sha256": f.sha256, "sha1": f.sha1, "md5": f.md5,
            "path": with_files.then(|| format!("files/{}", f.sha256)),
        })));
        // Each analysis of the exhibit: its record here, its whole result as a file of its
        // own (written below), bound to the custody event that records its digest.
        let analyses = crate::db::repo::analyses::of_exhibit(conn, x.id, i64::MAX)?;
        proof["analyses"] = json!(
            analyses
                .iter()
                .rev()
                .map(|a| json!({
                    "analysis": a.seq, "kind": a.kind.as_str(), "tool": a.tool, "tool_version": a.tool_version,
                    "exhibit_sha256": a.exhibit_sha256, "result_sha256": a.result_sha256, "summary": a.summary,
                    "custody_event": a.custody_seq, "path": analysis_path(&a.exhibit.to_string(), a.seq),
                }))
                .collect::<Vec<_>>()
        );
        items.push(proof);
        with_events.push((x, history, analyses));
    }
    // Build everything in a temporary folder beside the target, then rename: a reader never
    // sees half a bundle.
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let _ = std::fs::remove_dir_all(&partial);
    let io = |e: std::io::Error| AppError::internal(format!("cannot write the bundle: {e}"));
    std::fs::create_dir_all(&partial).map_err(io)?;
    // Analyses' results, one file each, read one at a time (a timeline can be tens of MB).
    std::fs::create_dir_all(partial.join("analyses")).map_err(io)?;
    for a in with_events.iter().flat_map(|(_, _, analyses)| analyses) {
        let whole = crate::db::repo::analyses::result_text(conn, &a.id)?.ok_or(AppError::NotFound("analysis"))?;
        std::fs::write(partial.join(analysis_path(&a.exhibit.to_string(), a.seq)), whole).map_err(io)?;
    }
    let mut files = 0;
    if with_files {
        std::fs::create_dir_all(partial.join("files")).map_err(io)?;
        let mut sums = String::new();
        for (x, _, _) in &with_events {
            let Some(f) = &x.file else { continue };
            let target = partial.join("files").join(&f.sha256);
            if !target.exists() {
                let mut source = store.open(&f.sha256).map_err(io)?;
                let mut dest = std::fs::File::create(&target).map_err(io)?;
                std::io::copy(&mut source, &mut dest).map_err(io)?;
                dest.sync_all().map_err(io)?;
                files += 1;
            }
            sums.push_str(&format!("{}  files/{}\n", f.sha256, f.sha256));
        }
        std::fs::write(partial.join("SHA256SUMS"), sums).map_err(io)?;
    }
    let manifest = json!({
        "format": FORMAT,
        "incident": { "number": incident.number, "title": incident.details.title, "district": incident.details.district },
        "exported_at": crate::domain::evidence::canonical_time(crate::domain::now_utc()),
        "verifier_key": ledger.verifier_key(),
        "exhibits": items,
    });
    write_json(&partial.join("manifest.json"), &manifest)?;
    write_json(
        &partial.join("case.jsonld"),
        &case_graph(&incident.number.to_string(), &incident.details.title, &with_events),
    )?;
    std::fs::rename(&partial, out).map_err(io)?;
    crate::db::write_transaction(conn, |conn| {
        crate::services::audit::record(
            conn,
            None,
            AuditAction::IncidentExported,
            Some(incident.id),
            json!({ "exhibits": with_events.len(), "events": events, "with_files": with_files }),
        )
    })?;
    Ok(ExportSummary { exhibits: with_events.len(), events, files })
}

fn finding(
    exhibit: Option<&str>,
    event: Option<i32>,
    problem: &str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Finding {
    Finding::new(exhibit.map(str::to_owned), event, None, problem, expected, found)
}

/// A finding, at `(exhibit, event)`, if the bundle's file `rel` (in the bundle `dir`) does
/// not hash to `expected` (`differs`) or cannot be read (`missing`, naming the file).
fn digest_differs(
    dir: &Path,
    rel: &str,
    expected: &str,
    (exhibit, event): (Option<&str>, Option<i32>),
    differs: &str,
    missing: &str,
) -> Option<Finding> {
    match std::fs::File::open(dir.join(rel)).and_then(|f| sha256_of(std::io::BufReader::new(f), |_| {})) {
        Ok((found, _)) if found == expected => None,
        Ok((found, _)) => Some(finding(exhibit, event, differs, expected, found)),
        Err(e) => Some(finding(exhibit, event, missing, rel, e.to_string())),
    }
}

fn decode_hash(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()?.try_into().ok()
}

/// Checks a bundle offline: every checkpoint's signature against the bundle's verifier key,
/// every event's hash and link, every inclusion proof, and every file present against its
/// SHA-256. Err when the bundle cannot be read at all.
pub fn verify_bundle(path: &Path) -> Result<(usize, Vec<Finding>), String> {
    let text = std::fs::read_to_string(path.join("manifest.json"))
        .map_err(|e| format!("cannot read {}/manifest.json: {e}", path.display()))?;
    let manifest: Value = serde_json::from_str(&text).map_err(|e| format!("manifest.json is not JSON: {e}"))?;
    if manifest["format"] != FORMAT {
        return Err(format!("not a {FORMAT} bundle"));
    }
    let key = VerifierKey::parse(manifest["verifier_key"].as_str().unwrap_or_default())
        .map_err(|e| format!("verifier key: {e}"))?;
    let mut findings = Vec::new();
    let mut checked = 0;
    for x in manifest["exhibits"].as_array().map(Vec::as_slice).unwrap_or_default() {
        checked += 1;
        let number = x["exhibit"].as_str().unwrap_or("?");
        let checkpoint = match key.open_checkpoint(x["checkpoint"].as_str().unwrap_or_default()) {
            Ok(c) => Some(c),
            Err(e) => {
                findings.push(finding(
                    Some(number),
                    None,
                    "the checkpoint's signature does not verify",
                    "a valid signature by the bundle's key",
                    e.to_string(),
                ));
                None
            }
        };
        let mut prev = GENESIS_HASH.to_owned();
        for e in x["events"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let seq = e["seq"].as_i64().and_then(|s| i32::try_from(s).ok());
            let canonical = e["canonical"].as_str().unwrap_or_default();
            let recorded = e["event_hash"].as_str().unwrap_or_default();
            let computed = event_hash(canonical);
            if computed != recorded {
                findings.push(finding(
                    Some(number),
                    seq,
                    "the event's canonical bytes do not match its hash",
                    recorded,
                    computed,
                ));
            }
            let inner: Value = serde_json::from_str(canonical).unwrap_or_default();
            let link = inner["prev_hash"].as_str().unwrap_or_default();
            if link != prev {
                findings.push(finding(
                    Some(number),
                    seq,
                    "the link to the previous event is broken",
                    prev.clone(),
                    link,
                ));
            }
            prev = recorded.to_owned();
            if let Some(cp) = &checkpoint {
                let proof: Option<Vec<[u8; 32]>> = e["inclusion_proof"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|h| h.as_str().and_then(decode_hash)).collect());
                let index = e["ledger_index"].as_u64().unwrap_or(u64::MAX);
                let included =
                    proof.is_some_and(|p| verify_inclusion(&cp.root, cp.size, index, canonical.as_bytes(), &p));
                if !included {
                    findings.push(finding(
                        Some(number),
                        seq,
                        "the event is not proved to be in the signed log",
                        format!("leaf {index} of {} leaves", cp.size),
                        "the inclusion proof fails",
                    ));
                }
            }
        }
        // Each analysis's result re-hashes to its digest, and that digest is the one its custody
        // event (checked above against its hash and the signed log) records.
        for a in x["analyses"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let rel = a["path"].as_str().unwrap_or_default();
            let expected = a["result_sha256"].as_str().unwrap_or_default();
            let event = a["custody_event"].as_i64().and_then(|s| i32::try_from(s).ok());
            findings.extend(digest_differs(
                path,
                rel,
                expected,
                (Some(number), event),
                "an analysis's result does not hash to its recorded digest",
                "an analysis's result is missing",
            ));
            let recorded = x["events"]
                .as_array()
                .and_then(|events| events.iter().find(|e| e["seq"].as_i64() == event.map(i64::from)))
                .and_then(|e| serde_json::from_str::<Value>(e["canonical"].as_str().unwrap_or_default()).ok())
                .and_then(|c| c["notes"].as_str().map(|n| n.contains(&format!("Result SHA-256 {expected}"))));
            if recorded != Some(true) {
                findings.push(finding(
                    Some(number),
                    event,
                    "an analysis's digest is not the one its custody event records",
                    format!("Result SHA-256 {expected} in custody event {}", event.unwrap_or(0)),
                    "not there",
                ));
            }
        }
        if let Some(file) = x["file"].as_object()
            && let Some(rel) = file.get("path").and_then(Value::as_str)
        {
            let expected = file.get("sha256").and_then(Value::as_str).unwrap_or_default();
            findings.extend(digest_differs(
                path,
                rel,
                expected,
                (Some(number), None),
                "the file's SHA-256 differs from the recorded one",
                "the file is missing or unreadable",
            ));
        }
    }
    Ok((checked, findings))
}
