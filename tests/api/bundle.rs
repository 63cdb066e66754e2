//! Case bundles: `custos export` writes an incident's custody record with proofs, a CASE/UCO
//! graph and the files; `custos verify-bundle` checks it offline and names what was altered.

use crate::common::{TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(a_bundle_verifies_offline_and_names_what_was_altered);

mod in_a_bucket {
    in_a_bucket_too!(a_bundle_verifies_offline_and_names_what_was_altered);
}

fn run_ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_bundle_verifies_offline_and_names_what_was_altered(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let bytes = b"recording of the cloned CFO".to_vec();
    let (sha256, _, _) = crate::common::independent_digests(&bytes);
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), bytes.clone()).await.status(), 201);
    let exhibit = format!("{number}-E001");
    let r = app
        .post(
            &dana,
            &format!("/api/v1/exhibits/{exhibit}/custody"),
            &json!({ "action": "transferred", "to_custodian": "CART examiner L. Moreno", "purpose": "analysis" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let laptop = json!({ "kind": "physical_item", "description": "Subject's laptop", "acquisition": { "method": "Seized", "acquired_by": "SA Dana Reyes", "acquired_at": "2026-02-12T15:30:00Z" } });
    assert_eq!(app.upload(&dana, &number, laptop, Vec::new()).await.status(), 201);
    // An agent-run record and its timeline: the bundle carries the analysis, bound to its event.
    let trace = crate::analyses::DEMO_TRACE.to_vec();
    crate::analyses::upload_typed(&app, &dana, &number, "agent_trace", "export.json", "application/json", trace).await;
    let run = format!("{number}-E003");
    let r = app.post(&dana, &format!("/api/v1/exhibits/{run}/analyses"), &json!({ "kind": "agent_run" })).await;
    assert_eq!(r.status(), 201);
    let analysis: Value = r.json().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let bundle_text = bundle.to_str().unwrap();
    let out = run_ok(&app.custos(&["export", "--incident", &number, "--out", bundle_text, "--with-files"]));
    assert!(out.contains("3 exhibits"), "{out}");
    assert_eq!(std::fs::read(bundle.join("files").join(&sha256)).unwrap(), bytes);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "custos-case-bundle/1");
    assert_eq!(manifest["exhibits"][0]["events"].as_array().unwrap().len(), 2);
    // Never written over.
    let again = app.custos(&["export", "--incident", &number, "--out", bundle_text]);
    assert_eq!(again.status.code(), Some(2));

    // Verifies offline: the bundle alone, no data directory.
    let ok =
        std::process::Command::new(env!("CARGO_BIN_EXE_custos")).arg("verify-bundle").arg(&bundle).output().unwrap();
    assert!(run_ok(&ok).contains("3 exhibits"));
    let result = bundle.join("analyses").join(format!("{run}-1.json"));
    let (result_sha256, _, _) = crate::common::independent_digests(&std::fs::read(&result).unwrap());
    assert_eq!(result_sha256, analysis["result_sha256"].as_str().unwrap());
    assert_eq!(manifest["exhibits"][2]["analyses"][0]["custody_event"], analysis["custody_event"]);

    // The CASE/UCO graph conforms, by the CASE community's own validator (PyPI case-utils).
    if crate::common::tool_available("case_validate", "--help") {
        let report = std::process::Command::new("case_validate").arg(bundle.join("case.jsonld")).output().unwrap();
        assert!(
            report.status.success(),
            "{}{}",
            String::from_utf8_lossy(&report.stdout),
            String::from_utf8_lossy(&report.stderr)
        );
    }

    // A byte flipped in a file: exit 1, naming the exhibit.
    let file = bundle.join("files").join(&sha256);
    let mut damaged = bytes.clone();
    damaged[0] ^= 1;
    std::fs::write(&file, &damaged).unwrap();
    let bad = app.custos(&["verify-bundle", bundle_text]);
    assert_eq!(bad.status.code(), Some(1));
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(report.contains(&format!("exhibit {exhibit}")) && report.contains("SHA-256 differs"), "{report}");
    std::fs::write(&file, &bytes).unwrap();

    // An event rewritten in the manifest (its hash left as it was): exit 1, naming the event.
    let text = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    let altered = text.replacen("CART examiner L. Moreno", "CART examiner X. Someone", 1);
    assert_ne!(altered, text);
    std::fs::write(bundle.join("manifest.json"), altered).unwrap();
    let bad = app.custos(&["verify-bundle", bundle_text]);
    assert_eq!(bad.status.code(), Some(1));
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(report.contains(&format!("exhibit {exhibit}, custody event 2")), "{report}");
    std::fs::write(bundle.join("manifest.json"), text).unwrap();
    run_ok(&app.custos(&["verify-bundle", bundle_text]));

    // An analysis's result edited in the bundle: exit 1, naming the exhibit and the event.
    let original = std::fs::read_to_string(&result).unwrap();
    std::fs::write(&result, original.replacen("exploit.run", "nothing.run", 1)).unwrap();
    let bad = app.custos(&["verify-bundle", bundle_text]);
    assert_eq!(bad.status.code(), Some(1));
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(report.contains(&format!("exhibit {run}")) && report.contains("result does not hash"), "{report}");
    std::fs::write(&result, original).unwrap();
    run_ok(&app.custos(&["verify-bundle", bundle_text]));

    // Not a bundle at all: exit 2.
    assert_eq!(app.custos(&["verify-bundle", dir.path().to_str().unwrap()]).status.code(), Some(2));
}
