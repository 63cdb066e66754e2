//! AI evidence through the real HTTP API, on both backends: agent-run records parsed into
//! timelines (and refused, changing nothing, when damaged), their steps suggested for elements
//! and cited by span, and C2PA content credentials read from uploaded media.

use crate::common::{TestApp, TestUser, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    agent_run_records_become_timelines_and_damaged_ones_change_nothing,
    content_credentials_are_read_on_upload,
    an_analysis_of_a_changed_file_records_the_mismatch_and_keeps_nothing,
);

mod in_a_bucket {
    in_a_bucket_too!(
        agent_run_records_become_timelines_and_damaged_ones_change_nothing,
        content_credentials_are_read_on_upload
    );
}

pub(crate) const DEMO_TRACE: &[u8] = include_bytes!("../../fixtures/demo/evidence/agent-run-otel-trace.json");

/// Uploads `bytes` with its media type, as a browser or an evidence tool would.
pub(crate) async fn upload_typed(
    app: &TestApp,
    user: &TestUser,
    incident: &str,
    kind: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> Value {
    let mut metadata = sample_exhibit();
    metadata["kind"] = json!(kind);
    let r = app.upload_as(user, incident, metadata, name, Some(mime), bytes).await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn analyse(app: &TestApp, user: &TestUser, exhibit: &str, kind: &str) -> reqwest::Response {
    app.post(user, &format!("/api/v1/exhibits/{exhibit}/analyses"), &json!({ "kind": kind })).await
}

async fn custody_len(app: &TestApp, user: &TestUser, exhibit: &str) -> usize {
    let body: Value = app.get(user, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    body["custody"].as_array().unwrap().len()
}

async fn agent_run_records_become_timelines_and_damaged_ones_change_nothing(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "CFAA-A5A", "concerns": "Encryption of the hospital's servers" }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let run =
        upload_typed(&app, &dana, &number, "agent_trace", "export.json", "application/json", DEMO_TRACE.to_vec()).await;
    let run = run["number"].as_str().unwrap().to_owned();
    let r = analyse(&app, &dana, &run, "agent_run").await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["analysis"], 1);
    assert_eq!(first["tool"], "Custos agent-run parser");
    // The answer carries the preview: the instructions and the tool executions.
    assert_eq!(first["result_is_preview"], true);
    let whole: Value = app.get(&dana, &format!("/api/v1/exhibits/{run}/analyses/1")).await.json().await.unwrap();
    assert_eq!(whole["result"]["steps"].as_array().unwrap().len(), 20, "every step, model turns included");
    let steps = first["result"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 14, "1 set of system instructions, 4 instructions, 9 tool executions");
    let instructions: Vec<&Value> = steps.iter().filter(|s| s["kind"] == "instruction").collect();
    assert_eq!(instructions.len(), 4);
    assert!(instructions[0]["text"].as_str().unwrap().starts_with("Get into Cascade Valley Health"));
    // Ordered by start time though the file lists spans in the order they ended.
    let tools: Vec<&str> =
        steps.iter().filter(|s| s["kind"] == "tool_call").map(|s| s["tool"].as_str().unwrap()).collect();
    assert_eq!(tools[..3], ["recon.scan", "exploit.run", "creds.dump"]);

    // Recorded like custody: an `analyzed` event on the exhibit's chain binds the digest it
    // read (the exhibit's) and the result's digest, in the ledger.
    let exhibit: Value = app.get(&dana, &format!("/api/v1/exhibits/{run}")).await.json().await.unwrap();
    let event = exhibit["custody"].as_array().unwrap().iter().find(|e| e["action"] == "analyzed").unwrap().clone();
    assert_eq!(event["digest_observed"], exhibit["sha256"]);
    assert_eq!(event["digest_matched"], true);
    assert!(event["notes"].as_str().unwrap().contains(first["result_sha256"].as_str().unwrap()));
    assert_eq!(first["exhibit_sha256"], exhibit["sha256"]);

    // The same file again gives the same result.
    let again: Value = analyse(&app, &dana, &run, "agent_run").await.json().await.unwrap();
    assert_eq!(again["analysis"], 2);
    assert_eq!(again["result_sha256"], first["result_sha256"]);

    // Suggestions: steps against the incident's counts, never proposed on their own.
    let timeline: Value = app.get(&paula, &format!("/api/v1/exhibits/{run}/timeline")).await.json().await.unwrap();
    assert_eq!(timeline["complete"], true);
    let suggestions = timeline["suggestions"].as_array().unwrap();
    let deploy = suggestions
        .iter()
        .find(|s| s["pin_cite"] == "c200000000000001" && s["element_id"] == "CFAA-A5A-E2")
        .expect("the destructive ransom.deploy step is suggested for the damage element");
    assert_eq!(deploy["pin_kind"], "span");
    let mappings: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/mappings")).await.json().await.unwrap();
    assert_eq!(mappings["items"].as_array().map_or(0, Vec::len), 0, "a suggestion proposes nothing");

    // A span cite is checked against the timeline.
    let propose = |cite: &str| {
        json!({ "count": 1, "element": "CFAA-A5A-E2", "exhibit": run, "pin": { "kind": "span", "cite": cite },
                "rationale": deploy["rationale"] })
    };
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/mappings"), &propose("00000000000000ff")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("span 00000000000000ff is not in the agent-run timeline"));
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/mappings"), &propose("c200000000000001")).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mapping: Value = r.json().await.unwrap();
    assert_eq!(mapping["status"], "proposed");

    // A truncated record is refused with its line; nothing is recorded.
    let cut = DEMO_TRACE[..DEMO_TRACE.len() / 3].to_vec();
    let broken = upload_typed(&app, &dana, &number, "agent_trace", "cut.json", "application/json", cut.clone()).await;
    let broken = broken["number"].as_str().unwrap().to_owned();
    // The background SHA-1/MD5 pass records an event of its own: let it, first.
    app.wait_for_legacy_digests(&dana, &broken).await;
    let before = (app.snapshot(), custody_len(&app, &dana, &broken).await);
    let r = analyse(&app, &dana, &broken, "agent_run").await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let detail = problem.to_string();
    let last_line = String::from_utf8(cut).unwrap().lines().count();
    assert!(detail.contains(&format!("line {last_line}")) && detail.contains("ends early"), "{detail}");
    assert_eq!((app.snapshot(), custody_len(&app, &dana, &broken).await), before);

    // An unknown format is refused too: the demo's older, home-grown trace format.
    let home_grown = include_bytes!("../../fixtures/demo/evidence/agent-execution-trace.jsonl").to_vec();
    let other = upload_typed(&app, &dana, &number, "agent_trace", "trace.jsonl", "application/jsonl", home_grown).await;
    let r = analyse(&app, &dana, other["number"].as_str().unwrap(), "agent_run").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("line 1: not a message of a known transcript format"));

    // A result edited in the database, behind Custos's back, is found by `custos verify`.
    let verify = || {
        let out = app.custos(&["verify"]);
        (
            out.status.code().unwrap(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (code, out) = verify();
    assert_eq!(code, 0, "{out}");
    let execute = |sql: &str| {
        use diesel::connection::SimpleConnection;
        app.conn().batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    match app.backend {
        crate::common::Backend::Postgres => execute("ALTER TABLE analyses DISABLE TRIGGER analyses_append_only"),
        crate::common::Backend::Sqlite => execute("DROP TRIGGER analyses_no_update"),
    }
    execute("UPDATE analyses SET result = REPLACE(result, 'exploit.run', 'nothing.run') WHERE seq = 1");
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("an analysis's stored result does not hash to the digest recorded with it") && out.contains(&run),
        "{out}"
    );
    // And a preview (what the exhibit page and the memo read) edited apart from its result.
    execute("UPDATE analyses SET preview = REPLACE(preview, 'exploit.run', 'nothing.run') WHERE seq = 2");
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("an analysis's stored preview is not the one its result gives"), "{out}");

    // The pages: the timeline, and the exhibit's list of analyses.
    let browser = app.browser();
    app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    let page = browser.get(app.url(&format!("/exhibits/{run}/timeline"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Instruction, agent steps, effect"));
    assert!(page.contains("Get into Cascade Valley Health"));
    assert!(page.contains("span c100000000000002"));
    assert!(page.contains("No part of the record is known to be missing"));
    let page = browser.get(app.url(&format!("/exhibits/{run}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Agent-run timeline")
            && page.contains("4 operator instruction(s), 1 set(s) of system instructions, 9 tool execution(s)"),
        "{page}"
    );
    // The exhibit page draws the chains too: the operator's words, then the agent's acts.
    assert!(page.contains("Agent run: instruction, agent steps, effect"));
    let said = page.find("They have not paid").unwrap();
    assert!(page[said..].contains("ran ransom.deploy"), "the act follows the instruction that caused it");
}

async fn wait_for_credentials(app: &TestApp, user: &TestUser, exhibit: &str) -> Value {
    for _ in 0..100 {
        let list: Value = app.get(user, &format!("/api/v1/exhibits/{exhibit}/analyses")).await.json().await.unwrap();
        if let Some(first) = list["items"].as_array().and_then(|a| a.first()) {
            let seq = first["analysis"].as_i64().unwrap();
            return app.get(user, &format!("/api/v1/exhibits/{exhibit}/analyses/{seq}")).await.json().await.unwrap();
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the content credentials of {exhibit} were not read after its upload");
}

/// A small PNG, made here.
pub(crate) fn png() -> Vec<u8> {
    hex::decode(
        "89504e470d0a1a0a0000000d494844520000000400000004080200000026930929000000294944415478da0dc7310100\
         000cc23084551867452170cb9724121b1713048be353a9adeb67323b370fa7631341061a2b550000000049454e44ae426082",
    )
    .unwrap()
}

async fn content_credentials_are_read_on_upload(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    // Signed here, with a certificate chain generated here: no network, no authority.
    let signed =
        custos::analysis::credentials::sign_as_ai_generated("image/png", &png(), "test signer", "FaceForge").unwrap();
    let mut changed = signed.clone();
    let idat = changed.windows(4).position(|w| w == b"IDAT").unwrap();
    changed[idat + 6] ^= 0x01;

    let mut read = Vec::new();
    for (name, bytes) in [("signed.png", signed), ("changed.png", changed), ("plain.png", png())] {
        let exhibit = upload_typed(&app, &dana, &number, "ai_generated_content", name, "image/png", bytes).await;
        let exhibit = exhibit["number"].as_str().unwrap().to_owned();
        let analysis = wait_for_credentials(&app, &dana, &exhibit).await;
        assert_eq!(analysis["kind"], "content_credentials");
        assert!(analysis["caution"].as_str().unwrap().contains("absence of content credentials proves nothing"));
        read.push((exhibit, analysis));
    }
    let signed = &read[0].1;
    assert_eq!(signed["result"]["outcome"], "read");
    assert_eq!(
        signed["result"]["ai_declared"],
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    );
    assert_eq!(signed["result"]["binding"], "holds");
    assert_eq!(signed["result"]["signer"]["status"], "not_on_trust_list");
    assert!(signed["result_summary"].as_str().unwrap().contains("declares the content AI-generated"));
    let changed = &read[1].1;
    assert_eq!(changed["result"]["binding"], "fails");
    assert!(
        changed["result"]["failures"].as_array().unwrap().iter().any(|f| f["code"] == "assertion.dataHash.mismatch")
    );
    let plain = &read[2].1;
    assert_eq!(plain["result"]["outcome"], "no_credentials");
    assert!(plain["result_summary"].as_str().unwrap().contains("no content credentials"));

    // The exhibit page shows the reading, and the caution; a non-media file is refused.
    let browser = app.browser();
    app.sign_in(&browser, "dana", crate::common::PASSWORD).await;
    let page = browser.get(app.url(&format!("/exhibits/{}", read[0].0))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("The manifest declares this content AI-generated."), "{page}");
    assert!(page.contains("not on a trust list"));
    assert!(page.contains("The absence of content credentials proves nothing"));
    let page = browser.get(app.url(&format!("/exhibits/{}", read[1].0))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("FAILS: the file&#39;s bytes were changed after the manifest was signed")
            || page.contains("FAILS: the file's bytes were changed after the manifest was signed")
    );
    let text = app.upload(&dana, &number, sample_exhibit(), b"not an image".to_vec()).await;
    let text: Value = text.json().await.unwrap();
    let r = analyse(&app, &dana, text["number"].as_str().unwrap(), "content_credentials").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("content credentials are read from image, audio and video files"));
}

/// The stored file changed behind Custos's back: the analysis records, in the custody chain,
/// that the bytes it read are not the exhibit's (impairing it), keeps no result, and says so.
async fn an_analysis_of_a_changed_file_records_the_mismatch_and_keeps_nothing(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let run =
        upload_typed(&app, &dana, &number, "agent_trace", "export.json", "application/json", DEMO_TRACE.to_vec()).await;
    let (exhibit, sha256) = (run["number"].as_str().unwrap().to_owned(), run["sha256"].as_str().unwrap().to_owned());
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(&sha256);
    let changed = String::from_utf8(DEMO_TRACE.to_vec()).unwrap().replacen("exploit.run", "nothing.run", 1);
    std::fs::write(&blob, changed).unwrap();

    let r = analyse(&app, &dana, &exhibit, "agent_run").await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("no longer hashes to the exhibit's SHA-256"));
    let body: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    let event = body["custody"].as_array().unwrap().iter().find(|e| e["action"] == "analyzed").unwrap().clone();
    assert_eq!(event["digest_matched"], false);
    assert_ne!(event["digest_observed"], json!(sha256));
    assert_eq!(body["custody_status"]["sound"], false, "{}", body["custody_status"]);
    let list: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/analyses")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "no analysis kept");
}
