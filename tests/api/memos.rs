//! Charging memos: versions built from accepted mappings only, reproducible PDFs checked by
//! qpdf and pdftotext, approval, the audit record of each export, FRE 902(14) certification
//! drafts and the command-line export; on both backends.

use crate::common::{TestApp, pdf_text, qpdf_check, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    memo_versions_cite_only_accepted_evidence_and_export_reproducibly,
    memo_permissions_and_approval,
    two_approvals_at_once_give_one_success_and_one_conflict,
    a_case_in_another_circuit_is_pointed_to_its_own_instructions
);

async fn bytes_of(app: &TestApp, user: &crate::common::TestUser, path: &str) -> (u16, Vec<u8>) {
    let r = app.get(user, path).await;
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

async fn memo_versions_cite_only_accepted_evidence_and_export_reproducibly(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let mut shas = Vec::new();
    for content in ["recording of the cloned CFO", "wire confirmations", "whois of the lookalike domain"] {
        let r = app.upload(&dana, &number, sample_exhibit(), content.as_bytes().to_vec()).await;
        shas.push(r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_owned());
    }
    let e = |n: usize| format!("{number}-E{n:03}");
    let defendant = app.defendant(&paula, &number, "John Doe").await;
    app.post(
        &paula,
        &format!("/api/v1/incidents/{number}/charges"),
        &json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "offense_date": "2026-02-11", "defendants": [defendant] }),
    )
    .await;
    app.post(
        &paula,
        &format!("/api/v1/incidents/{number}/charges"),
        &json!({ "offense": "AGG-ID", "concerns": "CFO's name and likeness", "offense_date": "2026-02-11", "defendants": [defendant], "predicate": 1 }),
    )
    .await;
    let propose = |count: i64, element: &str, exhibit: String| {
        let body = json!({ "count": count, "element": element, "exhibit": exhibit, "rationale": "Shows it." });
        let path = format!("/api/v1/incidents/{number}/mappings");
        let app = &app;
        let dana = &dana;
        async move { app.post(dana, &path, &body).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned() }
    };
    for (element, exhibit) in [("WIRE-E1", 1), ("WIRE-E4", 2)] {
        let id = propose(1, element, e(exhibit)).await;
        let r = app.post(&paula, &format!("/api/v1/mappings/{id}/review"), &json!({ "decision": "accepted" })).await;
        assert_eq!(r.status(), 200);
    }
    // Exhibit 3 is only proposed, for WIRE-E3: it must not appear as proof.
    propose(1, "WIRE-E3", e(3)).await;

    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/memos"),
            &json!({ "narratives": { "executive_summary": "A cloned voice of the CFO ordered the wire." } }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v1: Value = r.json().await.unwrap();
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["content"]["narratives"]["executive_summary"], "A cloned voice of the CFO ordered the wire.");
    assert!(
        !v1["content"]["narratives"]["recommendation"].as_str().unwrap().is_empty(),
        "a left-out section takes the template's text"
    );
    let proofs: Vec<String> = v1["content"]["charges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["elements"].as_array().unwrap().iter())
        .flat_map(|el| el["proof"].as_array().unwrap().iter())
        .map(|p| p["exhibit"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(proofs, vec![e(1), e(2)], "only accepted mappings are proof");
    assert!(v1["checkpoint"]["tree_size"].as_i64().unwrap() > 0);

    // Two exports of one version are byte-identical, and qpdf finds nothing wrong.
    let path = format!("/api/v1/incidents/{number}/memos/1.pdf");
    let (status, first) = bytes_of(&app, &paula, &path).await;
    assert_eq!(status, 200);
    let (_, second) = bytes_of(&app, &paula, &path).await;
    assert!(first == second, "two exports of version 1 differ");
    assert!(first.starts_with(b"%PDF-"));
    qpdf_check(&first);
    if let Some(text) = pdf_text(&first) {
        assert!(text.contains("PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT - DRAFT"));
        assert!(text.contains("Page 1 of"));
        for n in 1..=3 {
            assert!(text.contains(&e(n)), "exhibit {} missing", e(n));
            assert!(text.contains(&shas[n - 1]), "SHA-256 of {} missing or broken across lines", e(n));
        }
        for element in ["WIRE-E1", "WIRE-E2", "WIRE-E3", "WIRE-E4", "AGG-ID-E1", "AGG-ID-E2", "AGG-ID-E3", "AGG-ID-E4"]
        {
            assert!(text.contains(element), "element {element} missing");
        }
        let analysis = &text
            [text.find("6. Element-by-element analysis").unwrap()..text.find("7. Evidence and admissibility").unwrap()];
        assert!(analysis.contains(&e(1)) && analysis.contains(&e(2)));
        assert!(!analysis.contains(&e(3)), "a proposed mapping appears as proof");
    }
    if let Some(raw) = crate::common::pdf_raw_text(&first) {
        let flat = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("Gap: evidence offered but not yet accepted"), "{flat}");
    }

    // The export is in the audit trail with the PDF's SHA-256.
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&first))
    };
    let exported: i64 = {
        use custos::db::schema::audit_events;
        use diesel::prelude::*;
        audit_events::table
            .filter(audit_events::action.eq("memo.exported"))
            .filter(audit_events::detail.like(format!("%{sha}%")))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(exported, 2, "each export is recorded with the PDF's SHA-256");

    // A second version; the versions list and a readable comparison.
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/memos"),
            &json!({ "narratives": { "executive_summary": "A deepfake of the CFO ordered five wires." } }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let list: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos")).await.json().await.unwrap();
    let versions: Vec<i64> = list["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![2, 1]);
    let browser = app.browser();
    app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    let diff =
        browser.get(app.url(&format!("/incidents/{number}/memos/2/diff"))).send().await.unwrap().text().await.unwrap();
    assert!(diff.contains("<del>− A cloned voice of the CFO ordered the wire.</del>"), "{diff}");
    assert!(diff.contains("<ins>+ A deepfake of the CFO ordered five wires.</ins>"));
    // Version 1 is unchanged by version 2.
    let (_, again) = bytes_of(&app, &paula, &path).await;
    assert!(again == first);
    // The database refuses to change a saved version.
    {
        use diesel::connection::SimpleConnection;
        let refused = app.conn().batch_execute("UPDATE memo_versions SET content = '{}'");
        assert!(refused.is_err(), "a memo version was changed in place");
    }

    // The FRE 902(14) certification draft of exhibit 1.
    let (status, cert) = bytes_of(
        &app,
        &dana,
        &format!(
            "/api/v1/exhibits/{}/certificate.pdf?certifier_name=L.%20Moreno&qualifications=CART%20examiner%2C%20FBI",
            e(1)
        ),
    )
    .await;
    assert_eq!(status, 200);
    qpdf_check(&cert);
    if let Some(text) = pdf_text(&cert) {
        assert!(text.contains(&e(1)) && text.contains(&shas[0]));
        assert!(text.contains("28 U.S.C. § 1746") && text.contains("true and accurate copy"));
        assert!(text.contains("I, L. Moreno, CART examiner, FBI, am a qualified person"), "{text}");
        assert!(text.contains("The two SHA-256 values match"));
    }

    // The command line writes the same bytes as the API.
    let out = app.data_dir.path().join("memo.pdf");
    let run = app.custos(&["memo", "export", "--incident", &number, "--version", "1", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(std::fs::read(&out).unwrap() == first, "the CLI export differs from the API's");
    assert!(String::from_utf8_lossy(&run.stdout).starts_with(&sha));
    let missing =
        app.custos(&["memo", "export", "--incident", &number, "--version", "9", "--out", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
}

async fn memo_permissions_and_approval(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let sam = app.user("sam", Role::Supervisor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let before = app.snapshot();
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 403, "an investigator does not write charging memos");
    let r = app
        .post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({ "narratives": { "nonsense": "x" } }))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.snapshot(), before);
    assert_eq!(app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.status(), 404);

    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let approve = format!("/api/v1/incidents/{number}/memos/1/approve");
    assert_eq!(app.post(&paula, &approve, &json!({})).await.status(), 403, "a prosecutor does not approve");
    let r = app.post(&sam, &approve, &json!({ "comment": "Cleared to present." })).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["approved"]["by"], "sam");
    assert_eq!(app.post(&sam, &approve, &json!({})).await.status(), 409);
}

/// The "already approved" check is read inside the approval's transaction: of two supervisors
/// approving one version at the same moment, one succeeds and the other is told it is taken.
async fn two_approvals_at_once_give_one_success_and_one_conflict(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let sam = app.user("sam", Role::Supervisor);
    let sue = app.user("sue", Role::Supervisor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await.status(), 201);
    let approve = format!("/api/v1/incidents/{number}/memos/1/approve");
    for round in 0..3 {
        // A fresh version each round, so that each round races from the start.
        let version = round + 1;
        if round > 0 {
            assert_eq!(app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await.status(), 201);
        }
        let path = approve.replace("/memos/1/", &format!("/memos/{version}/"));
        let (by_sam, by_sue) = (json!({ "comment": "sam" }), json!({ "comment": "sue" }));
        let (a, b) = tokio::join!(app.post(&sam, &path, &by_sam), app.post(&sue, &path, &by_sue));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: two approvals at once");
        let conflict = if a.status() == 409 { a } else { b };
        let problem: Value = conflict.json().await.unwrap();
        assert_eq!(problem["code"], "already_approved", "{problem}");
    }
    // Each version carries exactly one approval.
    let approvals = app.snapshot().into_iter().find(|(table, _)| table == "memo_approvals").map(|(_, n)| n);
    assert_eq!(approvals, Some(3));
}

/// The district is one of the 94 and gives the circuit: a case in D. Mass. is pointed to the
/// First Circuit's pattern instructions, never to the Ninth Circuit's as the law of the case.
/// A district recorded before districts were a choice is flagged, not guessed.
async fn a_case_in_another_circuit_is_pointed_to_its_own_instructions(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let mut incident = sample_incident();
    incident["district"] = json!("N.D. Calif");
    let r = app.post(&paula, "/api/v1/incidents", &incident).await;
    assert_eq!(r.status(), 422, "not one of the 94: refused, not guessed");
    incident["district"] = json!("District of Massachusetts");
    let created = app.open_incident(&paula, incident).await;
    assert_eq!(created["district"], "D. Mass.", "stored by its abbreviation");
    let number = created["number"].as_str().unwrap().to_owned();
    let d = app.defendant(&paula, &number, "Carla Brandt").await;
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE-1349", "object_offense": "WIRE", "concerns": "Agreement", "defendants": [d] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await.status(), 201);
    let memo: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1")).await.json().await.unwrap();
    let circuit = memo["content"]["circuit"].as_str().unwrap();
    assert!(circuit.contains("in the First Circuit"), "{circuit}");
    assert!(circuit.contains("Pattern Criminal Jury Instructions for the District Courts of the First Circuit"));
    assert!(circuit.contains("Ninth Circuit's model instructions, which do not govern"), "{circuit}");
    assert!(circuit.contains("Section 1349 overt act"), "the First Circuit has no holding: {circuit}");
    let (_, pdf) = bytes_of(&app, &paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await;
    if let Some(text) = pdf_text(&pdf) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("in the First Circuit"), "the PDF says so too");
    }
    // A district recorded as free text by an earlier release: flagged on the incident page.
    {
        use diesel::prelude::*;
        let mut conn = app.conn();
        diesel::update(custos::db::schema::incidents::table.filter(custos::db::schema::incidents::number.eq(&number)))
            .set(custos::db::schema::incidents::district.eq("Boston federal court"))
            .execute(&mut *conn)
            .unwrap();
    }
    let browser = app.browser();
    app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    let html = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("is not one of the 94 districts"), "flagged, not guessed");
}
