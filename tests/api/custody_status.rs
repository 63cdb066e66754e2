//! One custody status per exhibit, reaching every place that states it: an exhibit impaired
//! by a recorded digest mismatch, by an unresolved discrepancy or by a failed verification is
//! shown as impaired on its page and in the API, by `custos verify`, on the dashboard, in the
//! coverage matrix, in the memo and by the 902(14) draft; its accepted mappings go back to
//! review. On both backends.

use crate::common::{PASSWORD, TestApp, TestUser, pdf_text, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    a_recorded_mismatch_impairs_everywhere,
    an_unresolved_discrepancy_impairs_until_a_supervisor_resolves_it,
    a_failed_verification_impairs_until_a_verification_passes,
    a_transfer_must_come_from_the_current_custodian
);

struct Case {
    dana: TestUser,
    paula: TestUser,
    sam: TestUser,
    number: String,
    exhibit: String,
    sha256: String,
    mapping: String,
}

/// An incident with one exhibit accepted as proof of wire-fraud element 1.
async fn case(app: &TestApp) -> Case {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let sam = app.user("sam", Role::Supervisor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(r.status(), 201);
    let uploaded: Value = app
        .upload(&dana, &number, sample_exhibit(), b"recording of the cloned CFO".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let exhibit = uploaded["number"].as_str().unwrap().to_owned();
    let sha256 = uploaded["sha256"].as_str().unwrap().to_owned();
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    let defendant = app.defendant(&paula, &number, "John Doe").await;
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "defendants": [defendant] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let proposed: Value = app
        .post(
            &dana,
            &format!("/api/v1/incidents/{number}/mappings"),
            &json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "The cloned voice asks for the wire." }),
        )
        .await
        .json()
        .await
        .unwrap();
    let mapping = proposed["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &paula,
            &format!("/api/v1/mappings/{mapping}/review"),
            &json!({ "decision": "accepted", "comment": "Checked." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    Case { dana, paula, sam, number, exhibit, sha256, mapping }
}

async fn custody_of(app: &TestApp, c: &Case) -> Value {
    let body: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{}", c.exhibit)).await.json().await.unwrap();
    body["custody_status"].clone()
}

async fn proven(app: &TestApp, c: &Case) -> bool {
    let coverage: Value =
        app.get(&c.paula, &format!("/api/v1/incidents/{}/coverage", c.number)).await.json().await.unwrap();
    let cells = coverage["charges"][0]["cells"].as_array().unwrap();
    cells.iter().find(|cell| cell["element_id"] == "WIRE-E1").unwrap()["state"] == "proven"
}

/// Every place that states the exhibit's custody says it is impaired, for `why`.
async fn impaired_everywhere(app: &TestApp, c: &Case, why: &str) {
    // 1. The API and 2. the exhibit page.
    let status = custody_of(app, c).await;
    assert_eq!(status["sound"], false, "{status}");
    let reasons = status["impairments"].to_string();
    assert!(reasons.contains(why), "{reasons}");
    let browser = app.browser();
    app.sign_in(&browser, "paula", PASSWORD).await;
    let page = browser.get(app.url(&format!("/exhibits/{}", c.exhibit))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Custody impaired"), "the exhibit page");
    // 3. custos verify.
    let out = app.custos(&["verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&c.exhibit), "{text}");
    // 4. The dashboard.
    let dashboard = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let listed = dashboard.split("Exhibits whose custody is impaired").nth(1).unwrap_or("");
    assert!(listed.contains(&c.exhibit), "the dashboard does not list {}", c.exhibit);
    // 5. The coverage matrix, and the accepted mapping went back to review.
    assert!(!proven(app, c).await, "an impaired exhibit still proves the element");
    let mapping: Value = app.get(&c.paula, &format!("/api/v1/mappings/{}", c.mapping)).await.json().await.unwrap();
    assert_eq!(mapping["status"], "proposed", "{mapping}");
    // 6. The memo.
    let r = app.post(&c.paula, &format!("/api/v1/incidents/{}/memos", c.number), &json!({})).await;
    assert_eq!(r.status(), 201);
    let version: Value = r.json().await.unwrap();
    let v = version["version"].as_i64().unwrap();
    let memo: Value =
        app.get(&c.paula, &format!("/api/v1/incidents/{}/memos/{v}", c.number)).await.json().await.unwrap();
    let content = &memo["content"];
    assert!(content["exhibits"][0]["custody"].as_str().unwrap().starts_with("IMPAIRED"), "{}", content["exhibits"]);
    for element in content["charges"][0]["elements"].as_array().unwrap() {
        assert!(element["proof"].as_array().unwrap().is_empty(), "an impaired exhibit is cited as proof: {element}");
    }
    let pdf = app.get(&c.paula, &format!("/api/v1/incidents/{}/memos/{v}.pdf", c.number)).await.bytes().await.unwrap();
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("Custody problems"), "the memo's custody section");
        assert!(!text.contains("no exhibit's record shows a problem"), "the memo says custody is fine");
        assert!(!text.contains("custody sound"), "the memo cites sound custody");
    }
    // 7. The FRE 902(14) draft is refused, saying why.
    let r = app.get(&c.dana, &format!("/api/v1/exhibits/{}/certificate.pdf?certifier=dana", c.exhibit)).await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "custody_impaired", "{problem}");
}

async fn a_recorded_mismatch_impairs_everywhere(app: TestApp) {
    let c = case(&app).await;
    assert_eq!(custody_of(&app, &c).await["sound"], true);
    assert!(proven(&app, &c).await);
    let r = app
        .post(
            &c.dana,
            &format!("/api/v1/exhibits/{}/custody", c.exhibit),
            &json!({ "action": "hash_verified", "digest_observed": "ab".repeat(32) }),
        )
        .await;
    assert_eq!(r.status(), 201);
    impaired_everywhere(&app, &c, "does not match").await;
}

async fn an_unresolved_discrepancy_impairs_until_a_supervisor_resolves_it(app: TestApp) {
    let c = case(&app).await;
    let custody = format!("/api/v1/exhibits/{}/custody", c.exhibit);
    let r = app.post(&c.dana, &custody, &json!({ "action": "discrepancy" })).await;
    assert_eq!(r.status(), 422, "a discrepancy needs its explanation");
    let r = app
        .post(&c.dana, &custody, &json!({ "action": "discrepancy", "notes": "Seal S-0091 found broken in locker 4" }))
        .await;
    assert_eq!(r.status(), 201);
    impaired_everywhere(&app, &c, "Seal S-0091 found broken").await;

    // Only a supervisor resolves it; the resolution is an event, nothing is edited away.
    let resolution =
        json!({ "action": "resolved", "notes": "Re-hashed: matches; seal broken in transit, see report 12" });
    assert_eq!(app.post(&c.dana, &custody, &resolution).await.status(), 403);
    app.post(&c.dana, &format!("/api/v1/incidents/{}/members", c.number), &json!({ "username": "sam" })).await;
    assert_eq!(app.post(&c.sam, &custody, &resolution).await.status(), 201);
    assert_eq!(custody_of(&app, &c).await["sound"], true, "resolved: sound again");
    let events: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{}", c.exhibit)).await.json().await.unwrap();
    let actions: Vec<&str> =
        events["custody"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"discrepancy") && actions.contains(&"resolved"), "{actions:?}");
    // The mapping still needs a fresh review before it proves anything.
    let mapping: Value = app.get(&c.paula, &format!("/api/v1/mappings/{}", c.mapping)).await.json().await.unwrap();
    assert_eq!(mapping["status"], "proposed");
    assert!(!proven(&app, &c).await);
    let out = app.custos(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let r = app.post(&c.dana, &custody, &resolution).await;
    assert_eq!(r.status(), 422, "nothing left to resolve");
}

async fn a_failed_verification_impairs_until_a_verification_passes(app: TestApp) {
    let c = case(&app).await;
    let blob = app.data_dir.path().join("blobs/sha256").join(&c.sha256[0..2]).join(&c.sha256[2..4]).join(&c.sha256);
    let original = std::fs::read(&blob).unwrap();
    let mut flipped = original.clone();
    flipped[3] ^= 0x20;
    std::fs::write(&blob, &flipped).unwrap();
    let report: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{}/verify", c.exhibit)).await.json().await.unwrap();
    assert_eq!(report["intact"], false);
    impaired_everywhere(&app, &c, "latest verification").await;
    // The file restored and verified again: sound, but the mapping waits for a fresh review.
    std::fs::write(&blob, &original).unwrap();
    let report: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{}/verify", c.exhibit)).await.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(custody_of(&app, &c).await["sound"], true);
    assert!(!proven(&app, &c).await);
}

async fn a_transfer_must_come_from_the_current_custodian(app: TestApp) {
    let c = case(&app).await;
    let custody = format!("/api/v1/exhibits/{}/custody", c.exhibit);
    let r = app
        .post(
            &c.dana,
            &custody,
            &json!({ "action": "transferred", "from_custodian": "SA Someone Else", "to_custodian": "Lab" }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let message = problem["errors"].to_string();
    assert!(message.contains("SA Dana Reyes"), "the refusal names the current custodian: {message}");
    let before = app.snapshot();
    assert_eq!(app.snapshot(), before);
    // From the custodian (as written, or left to default) it is recorded.
    let r = app
        .post(
            &c.dana,
            &custody,
            &json!({ "action": "transferred", "from_custodian": "sa dana reyes", "to_custodian": "Lab" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.post(&c.dana, &custody, &json!({ "action": "transferred", "to_custodian": "Evidence room" })).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["from_custodian"], "Lab");
    assert_eq!(custody_of(&app, &c).await["sound"], true);
}
