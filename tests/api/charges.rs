//! Charges, evidence-to-element mappings, prosecutor review, coverage and limitation
//! deadlines, through the real HTTP API, on both backends.

use crate::common::{TestApp, TestUser, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    counts_keep_the_prosecutors_order,
    the_catalog_is_served_with_its_labels,
    only_another_prosecutor_may_review_a_mapping,
    coverage_shows_proven_proposed_and_missing_elements,
    an_accepted_mapping_returns_to_review_when_custody_fails,
    an_accepted_mapping_returns_to_review_when_the_catalog_changes_its_element,
    wire_fraud_limitation_with_and_without_a_financial_institution,
    bad_charges_and_mappings_change_nothing,
    mistakes_are_corrected_without_erasing_them,
);

/// An incident opened by investigator Dana, with prosecutors Paula and Quinn on the team and
/// one uploaded exhibit (E001).
struct Case {
    dana: TestUser,
    paula: TestUser,
    quinn: TestUser,
    number: String,
}

async fn case(app: &TestApp, incident: Value) -> Case {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let quinn = app.user("quinn", Role::Prosecutor);
    let number = app.open_incident(&dana, incident).await["number"].as_str().unwrap().to_owned();
    for who in ["paula", "quinn"] {
        let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": who })).await;
        assert_eq!(r.status(), 201);
    }
    let r = app.upload(&dana, &number, sample_exhibit(), b"recording of the cloned CFO".to_vec()).await;
    assert_eq!(r.status(), 201);
    Case { dana, paula, quinn, number }
}

async fn add_charge(app: &TestApp, user: &TestUser, number: &str, body: Value) -> Value {
    let r = app.post(user, &format!("/api/v1/incidents/{number}/charges"), &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn propose(app: &TestApp, user: &TestUser, number: &str, count: i64, element: &str, exhibit: &str) -> Value {
    let body = json!({ "count": count, "element": element, "exhibit": exhibit,
        "pin": { "kind": "timestamp", "cite": "00:01:23" },
        "rationale": "The cloned voice names itself as the CFO and asks for the wire." });
    let r = app.post(user, &format!("/api/v1/incidents/{number}/mappings"), &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn review(app: &TestApp, user: &TestUser, mapping: &str, decision: &str) -> reqwest::Response {
    app.post(
        user,
        &format!("/api/v1/mappings/{mapping}/review"),
        &json!({ "decision": decision, "comment": "Checked against the recording." }),
    )
    .await
}

async fn coverage(app: &TestApp, user: &TestUser, number: &str) -> Value {
    let r = app.get(user, &format!("/api/v1/incidents/{number}/coverage")).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn cell<'a>(charge: &'a Value, element: &str) -> &'a Value {
    charge["cells"].as_array().unwrap().iter().find(|c| c["element_id"] == element).unwrap()
}

async fn the_catalog_is_served_with_its_labels(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let catalog: Value = app.get(&dana, "/api/v1/statutes").await.json().await.unwrap();
    assert!(!catalog["version"].as_str().unwrap().is_empty());
    assert_eq!(
        catalog["offenses"].as_array().unwrap().len(),
        26,
        "with § 1028(f) conspiracy and attempt and § 1028A(a)(2)"
    );
    let a2: Value = app.get(&dana, "/api/v1/statutes/CFAA-A2").await.json().await.unwrap();
    assert_eq!(a2["citation"], "18 U.S.C. § 1030(a)(2)(A)/(B)/(C)");
    assert_eq!(a2["max_years"], 1);
    assert_eq!(a2["penalty_facts"][0]["raises_max_years"], 5);
    let e3 = a2["elements"].as_array().unwrap().iter().find(|e| e["id"] == "CFAA-A2-E2").unwrap();
    assert_eq!(e3["label"], "UNVERIFIED");
    assert_eq!(e3["verify_before_relying"], true);
    assert!(!e3["sources"].as_array().unwrap().is_empty());
    assert_eq!(app.get(&dana, "/api/v1/statutes/NOPE").await.status(), 404);
}

async fn only_another_prosecutor_may_review_a_mapping(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "WIRE", "concerns": "Wire of $4.18M to the mule account" }),
    )
    .await;
    let exhibit = format!("{}-E001", c.number);
    let by_dana = propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await;
    let by_paula = propose(&app, &c.paula, &c.number, 1, "WIRE-E2", &exhibit).await;
    assert_eq!(by_dana["status"], "proposed");

    // An investigator cannot review; the proposer cannot review their own.
    let r = review(&app, &c.dana, by_dana["id"].as_str().unwrap(), "accepted").await;
    assert_eq!(r.status(), 403);
    let r = review(&app, &c.paula, by_paula["id"].as_str().unwrap(), "accepted").await;
    assert_eq!(r.status(), 403);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("You proposed this mapping"));
    // Nothing changed.
    let mappings: Value =
        app.get(&c.quinn, &format!("/api/v1/incidents/{}/mappings", c.number)).await.json().await.unwrap();
    assert!(mappings["items"].as_array().unwrap().iter().all(|m| m["status"] == "proposed"));

    // Paula's queue has Dana's proposal, not her own; Quinn's has both.
    let queue: Value = app.get(&c.paula, "/api/v1/reviews").await.json().await.unwrap();
    let ids: Vec<&str> = queue["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![by_dana["id"].as_str().unwrap()]);
    let queue: Value = app.get(&c.quinn, "/api/v1/reviews").await.json().await.unwrap();
    assert_eq!(queue["items"].as_array().unwrap().len(), 2);

    // Paula accepts Dana's; the review records what she saw.
    let r = review(&app, &c.paula, by_dana["id"].as_str().unwrap(), "accepted").await;
    assert_eq!(r.status(), 200);
    let reviewed: Value = r.json().await.unwrap();
    assert_eq!(reviewed["status"], "accepted");
    let saw = &reviewed["reviews"][0];
    assert_eq!(saw["reviewer"], "paula");
    let exhibit_json: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    assert_eq!(saw["exhibit_sha256"], exhibit_json["sha256"]);
    let catalog: Value = app.get(&c.dana, "/api/v1/statutes").await.json().await.unwrap();
    assert_eq!(saw["catalog_version"], catalog["version"]);
    assert_eq!(saw["element_fingerprint"].as_str().unwrap().len(), 64);
    // A decided mapping is not decided again.
    assert_eq!(review(&app, &c.quinn, by_dana["id"].as_str().unwrap(), "rejected").await.status(), 409);
    // Rejecting needs a reason.
    let r = app
        .post(
            &c.quinn,
            &format!("/api/v1/mappings/{}/review", by_paula["id"].as_str().unwrap()),
            &json!({ "decision": "rejected" }),
        )
        .await;
    assert_eq!(r.status(), 422);

    // Reviews are audit records, hence ledger leaves: the whole log still verifies.
    let out = app.custos(&["verify", "--incident", &c.number]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

async fn coverage_shows_proven_proposed_and_missing_elements(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    add_charge(&app, &c.paula, &c.number, json!({ "offense": "WIRE", "concerns": "Wire of $4.18M" })).await;
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "CFAA-A6", "concerns": "Sale of the AP clerk's password" }),
    )
    .await;
    let exhibit = format!("{}-E001", c.number);
    let e1 = propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await;
    propose(&app, &c.dana, &c.number, 1, "WIRE-E2", &exhibit).await;
    let e3 = propose(&app, &c.dana, &c.number, 1, "WIRE-E3", &exhibit).await;
    assert_eq!(review(&app, &c.paula, e1["id"].as_str().unwrap(), "accepted").await.status(), 200);
    assert_eq!(review(&app, &c.paula, e3["id"].as_str().unwrap(), "rejected").await.status(), 200);

    let cov = coverage(&app, &c.dana, &c.number).await;
    let charges = cov["charges"].as_array().unwrap();
    // In the prosecutor's order: count 1, wire fraud (20 years), then 1030(a)(6) (1 year).
    assert_eq!(charges[0]["charge"]["offense_id"], "WIRE");
    assert_eq!(charges[0]["maximum"], json!({ "years": 20 }));
    assert_eq!(charges[1]["charge"]["offense_id"], "CFAA-A6");
    let wire = &charges[0];
    assert_eq!(cell(wire, "WIRE-E1")["state"], "proven");
    assert_eq!(cell(wire, "WIRE-E1")["proven_by"], json!([exhibit]));
    assert_eq!(cell(wire, "WIRE-E2")["state"], "proposed");
    assert_eq!(cell(wire, "WIRE-E3")["state"], "gap", "a rejected mapping proves nothing");
    assert_eq!(cell(wire, "WIRE-E4")["state"], "gap");
    assert_eq!(cell(wire, "WIRE-P1")["required"], false, "an unpleaded penalty fact is not required");
    assert_eq!(wire["gaps"], 3);
    assert_eq!(wire["readily_provable"], false);
    assert!(charges.iter().all(|c| c["most_serious"] == false));

    // Prove the rest of count 2 (CFAA-A6): it becomes the most serious readily provable count.
    for element in ["CFAA-A6-E1", "CFAA-A6-E2", "CFAA-A6-E3", "CFAA-A6-E4"] {
        let m = propose(&app, &c.dana, &c.number, 2, element, &exhibit).await;
        assert_eq!(review(&app, &c.quinn, m["id"].as_str().unwrap(), "accepted").await.status(), 200);
    }
    let cov = coverage(&app, &c.dana, &c.number).await;
    let a6 = cov["charges"].as_array().unwrap().iter().find(|c| c["charge"]["offense_id"] == "CFAA-A6").unwrap();
    assert_eq!(a6["readily_provable"], true);
    assert_eq!(a6["most_serious"], true);

    // The coverage page shows the same.
    let browser = app.browser();
    app.sign_in(&browser, "dana", crate::common::PASSWORD).await;
    let page = browser.get(app.url(&format!("/incidents/{}/coverage", c.number))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Most serious readily provable"));
    assert!(html.contains("cell cell-gap"));
    assert!(html.contains(&format!("/incidents/{}/mappings/new?count=1&amp;element=WIRE-E4", c.number)));
}

async fn an_accepted_mapping_returns_to_review_when_custody_fails(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    add_charge(&app, &c.paula, &c.number, json!({ "offense": "WIRE", "concerns": "Wire of $4.18M" })).await;
    let exhibit = format!("{}-E001", c.number);
    let m = propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await;
    let id = m["id"].as_str().unwrap();
    assert_eq!(review(&app, &c.paula, id, "accepted").await.status(), 200);

    // Flip a byte of the stored file, as a failing disk or an intruder would.
    let exhibit_json: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    let sha256 = exhibit_json["sha256"].as_str().unwrap().to_owned();
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(&sha256);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[3] ^= 0x20;
    std::fs::write(&blob, &bytes).unwrap();

    let report: Value = app.get(&c.dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], false);

    let after: Value = app.get(&c.dana, &format!("/api/v1/mappings/{id}")).await.json().await.unwrap();
    assert_eq!(after["status"], "proposed", "the mapping went back to review");
    assert!(after["status_reason"].as_str().unwrap().contains("custody verification"), "{after}");
    let last = after["reviews"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["decision"], "reopened");
    assert_eq!(last["reviewer"], Value::Null);
    let cov = coverage(&app, &c.dana, &c.number).await;
    assert_eq!(cell(&cov["charges"][0], "WIRE-E1")["state"], "proposed");
    // It is back in the queue of the prosecutor who did not propose it.
    let queue: Value = app.get(&c.paula, "/api/v1/reviews").await.json().await.unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id));
}

async fn wire_fraud_limitation_with_and_without_a_financial_institution(app: TestApp) {
    let mut incident = sample_incident();
    incident["victims"] = json!([
        { "name": "Lakeshore Precision LLC", "kind": "business" },
        { "name": "First Lakeshore Bank", "kind": "financial_institution" }
    ]);
    let c = case(&app, incident).await;
    // Not pleaded, though a bank is among the victims: five years (18 U.S.C. 3282); nothing is
    // inferred from the victims.
    let plain = add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "WIRE", "concerns": "Wire to the vendor", "offense_date": "2026-02-11" }),
    )
    .await;
    assert_eq!(plain["affects_financial_institution"], false);
    // Pleaded on the count: ten years (3293(2)), with the reference's note on "affects".
    let bank = add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "WIRE", "concerns": "Wire drawn on the bank", "offense_date": "2026-02-11", "affects_financial_institution": true }),
    )
    .await;
    assert_eq!(bank["affects_financial_institution"], true);
    let cov = coverage(&app, &c.dana, &c.number).await;
    let by_count =
        |n: i64| cov["charges"].as_array().unwrap().iter().find(|c| c["charge"]["count"] == n).unwrap().clone();
    let five = by_count(1)["limitation"].clone();
    let ten = by_count(2)["limitation"].clone();
    assert_eq!(five["years"], 5);
    assert_eq!(five["deadline"], "2031-02-11");
    assert_eq!(five["authority"], "18 U.S.C. § 3282(a)");
    assert_eq!(ten["years"], 10);
    assert_eq!(ten["deadline"], "2036-02-11");
    assert_eq!(ten["authority"], "18 U.S.C. § 3293(2)");
    assert!(ten["note"].as_str().unwrap().contains("Stargell"));
    // A count with an old offense date shows as passed; a count with none is unknown (the
    // incident's dates are never used) and leads the deadline list.
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "CFAA-A2", "concerns": "Mailbox intrusion", "offense_date": "2020-01-10" }),
    )
    .await;
    add_charge(&app, &c.paula, &c.number, json!({ "offense": "WIRE", "concerns": "A wire not yet dated" })).await;
    let deadlines: Value = app.get(&c.paula, "/api/v1/deadlines").await.json().await.unwrap();
    let items = deadlines["items"].as_array().unwrap();
    assert_eq!((items[0]["count"].as_i64(), items[0]["limitation"]["state"].as_str()), (Some(4), Some("unknown")));
    assert_eq!(items[0]["limitation"]["deadline"], Value::Null);
    assert_eq!(items[1]["offense"], "CFAA-A2");
    assert_eq!(items[1]["limitation"]["state"], "passed");
    assert_eq!(items[1]["limitation"]["deadline"], "2025-01-10");
    // Recording the indictment stops the clock, once; it leaves the deadline list.
    let charged = format!("/api/v1/incidents/{}/charges/1/charged", c.number);
    let before = app.snapshot();
    let r = app.post(&c.paula, &charged, &json!({ "date": "2099-01-01", "instrument": "indictment" })).await;
    assert_eq!(r.status(), 422, "a filing date in the future is refused");
    let r = app.post(&c.paula, &charged, &json!({ "date": "2026-03-02", "instrument": "complaint" })).await;
    assert_eq!(r.status(), 422, "a complaint does not stop the clock");
    assert_eq!(app.snapshot(), before);
    let r = app.post(&c.dana, &charged, &json!({ "date": "2026-03-02", "instrument": "indictment" })).await;
    assert_eq!(r.status(), 403, "charging decisions are the prosecutor's");
    let r = app.post(&c.paula, &charged, &json!({ "date": "2026-03-02", "instrument": "indictment" })).await;
    assert_eq!(r.status(), 200);
    let count: Value = r.json().await.unwrap();
    assert_eq!(
        (count["charged_on"].as_str(), count["charging_instrument"].as_str()),
        (Some("2026-03-02"), Some("indictment"))
    );
    let r = app.post(&c.paula, &charged, &json!({ "date": "2026-03-09", "instrument": "information" })).await;
    assert_eq!(r.status(), 409, "recorded once, never overwritten");
    let cov = coverage(&app, &c.dana, &c.number).await;
    let stopped =
        cov["charges"].as_array().unwrap().iter().find(|c| c["charge"]["count"] == 1).unwrap()["limitation"].clone();
    assert_eq!(stopped["state"], "charged");
    assert_eq!(stopped["charged_on"], "2026-03-02");
    let deadlines: Value = app.get(&c.paula, "/api/v1/deadlines").await.json().await.unwrap();
    assert!(
        deadlines["items"].as_array().unwrap().iter().all(|d| d["count"] != 1 || d["incident"] != c.number.as_str())
    );
}

async fn bad_charges_and_mappings_change_nothing(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    let before = app.snapshot();
    let path = format!("/api/v1/incidents/{}/charges", c.number);
    let r =
        app.post(&c.paula, &path, &json!({ "offense": "CFAA-B", "concerns": "", "penalty_facts": ["WIRE-P1"] })).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["object_offense", "penalty_facts", "concerns"]);
    let r = app.post(&c.paula, &path, &json!({ "offense": "WIRE", "concerns": "x", "surprise": 1 })).await;
    assert_eq!(r.status(), 400);
    assert_eq!(app.snapshot(), before, "refused requests changed nothing");

    add_charge(&app, &c.paula, &c.number, json!({ "offense": "WIRE", "concerns": "Wire of $4.18M" })).await;
    let before = app.snapshot();
    let mappings = format!("/api/v1/incidents/{}/mappings", c.number);
    let exhibit = format!("{}-E001", c.number);
    // An element of another offense; an exhibit of another incident; a bad pin cite.
    for (body, field) in [
        (json!({ "count": 1, "element": "CFAA-A2-E1", "exhibit": exhibit, "rationale": "r" }), "element"),
        (json!({ "count": 1, "element": "WIRE-E1", "exhibit": "2020-0001-E001", "rationale": "r" }), "exhibit"),
        (
            json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "r", "pin": { "kind": "page", "cite": "zero" } }),
            "pin_cite",
        ),
        (json!({ "count": 9, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "r" }), "count"),
    ] {
        let r = app.post(&c.dana, &mappings, &body).await;
        assert_eq!(r.status(), 422, "{body}");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(app.snapshot(), before, "refused mappings changed nothing");
    // An auditor reads but cannot propose.
    let audrey = app.user("audrey", Role::Auditor);
    let r =
        app.post(&c.dana, &format!("/api/v1/incidents/{}/members", c.number), &json!({ "username": "audrey" })).await;
    assert_eq!(r.status(), 201);
    let before_audit = app.snapshot();
    let r = app
        .post(&audrey, &mappings, &json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "r" }))
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.snapshot(), before_audit);

    // The same exhibit twice for the same element: refused.
    propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await;
    let body = json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "again",
        "pin": { "kind": "timestamp", "cite": "00:01:23" } });
    assert_eq!(app.post(&c.dana, &mappings, &body).await.status(), 409);

    // Dropping a count needs a reason; then it leaves the coverage matrix.
    let drop = format!("/api/v1/incidents/{}/charges/1/drop", c.number);
    assert_eq!(app.post(&c.paula, &drop, &json!({ "reason": " " })).await.status(), 422);
    assert_eq!(app.post(&c.paula, &drop, &json!({ "reason": "Folded into count 2" })).await.status(), 200);
    assert_eq!(app.post(&c.paula, &drop, &json!({ "reason": "again" })).await.status(), 409);
    let cov = coverage(&app, &c.dana, &c.number).await;
    assert!(cov["charges"].as_array().unwrap().is_empty());
}

async fn an_accepted_mapping_returns_to_review_when_the_catalog_changes_its_element(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    add_charge(&app, &c.paula, &c.number, json!({ "offense": "WIRE", "concerns": "Wire of $4.18M" })).await;
    let exhibit = format!("{}-E001", c.number);
    let id = propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await["id"].as_str().unwrap().to_owned();
    assert_eq!(review(&app, &c.paula, &id, "accepted").await.status(), 200);

    // Nothing changed: starting up again leaves the acceptance alone.
    assert_eq!(custos::services::charges::reconcile_with_catalog(&mut app.conn()).unwrap(), 0);

    // As if the review had been made under an older catalog whose WIRE-E1 read differently:
    // record the acceptance again with another fingerprint (reviews are append-only).
    {
        use custos::db::schema::{mapping_reviews, mappings};
        use diesel::prelude::*;
        let mut conn = app.conn();
        let (reviewer, sha): (Option<String>, Option<String>) = mapping_reviews::table
            .filter(mapping_reviews::mapping_id.eq(&id))
            .select((mapping_reviews::reviewer_id, mapping_reviews::exhibit_sha256))
            .first(&mut conn)
            .unwrap();
        diesel::insert_into(mapping_reviews::table)
            .values((
                mapping_reviews::id.eq(uuid::Uuid::new_v4().to_string()),
                mapping_reviews::mapping_id.eq(&id),
                mapping_reviews::seq.eq(2),
                mapping_reviews::reviewer_id.eq(reviewer),
                mapping_reviews::decision.eq("accepted"),
                mapping_reviews::comment.eq(""),
                mapping_reviews::exhibit_sha256.eq(sha),
                mapping_reviews::catalog_version.eq("2025.01.01-1"),
                mapping_reviews::element_fingerprint.eq("0".repeat(64)),
                mapping_reviews::reviewed_at.eq(custos::domain::now_utc()),
            ))
            .execute(&mut conn)
            .unwrap();
        // The check is incremental: an acceptance known to hold under this catalog version is
        // not read again, so the changed fingerprint goes unseen...
        assert_eq!(custos::services::charges::reconcile_with_catalog(&mut conn).unwrap(), 0);
        // ...until the acceptance is one last checked under an older catalog, as every
        // acceptance is when a new catalog version is released.
        diesel::update(mappings::table.filter(mappings::id.eq(&id)))
            .set(mappings::catalog_checked.eq("2025.01.01-1"))
            .execute(&mut conn)
            .unwrap();
    }
    // The start-up check (run by every `serve`) sends it back to review, saying why.
    assert_eq!(custos::services::charges::reconcile_with_catalog(&mut app.conn()).unwrap(), 1);
    let after: Value = app.get(&c.dana, &format!("/api/v1/mappings/{id}")).await.json().await.unwrap();
    assert_eq!(after["status"], "proposed");
    assert!(after["status_reason"].as_str().unwrap().contains("changed element WIRE-E1"), "{after}");
    let cov = coverage(&app, &c.dana, &c.number).await;
    assert_eq!(cell(&cov["charges"][0], "WIRE-E1")["state"], "proposed");

    // An element a new catalog removed (as the revision removed the overt-act elements): an
    // accepted mapping to it is revoked by Custos, saying why, and a proposal to it cannot be
    // reviewed (409, not an error of the server).
    let second = propose(&app, &c.dana, &c.number, 1, "WIRE-E2", &exhibit).await["id"].as_str().unwrap().to_owned();
    assert_eq!(review(&app, &c.paula, &second, "accepted").await.status(), 200);
    let third = propose(&app, &c.dana, &c.number, 1, "WIRE-E3", &exhibit).await["id"].as_str().unwrap().to_owned();
    {
        use custos::db::schema::mappings;
        use diesel::prelude::*;
        for (mapping, element) in [(&second, "WIRE-1349-E3"), (&third, "CFAA-B-E3")] {
            diesel::update(mappings::table.filter(mappings::id.eq(mapping)))
                .set((mappings::element_id.eq(element), mappings::catalog_checked.eq("2025.01.01-1")))
                .execute(&mut app.conn())
                .unwrap();
        }
    }
    assert_eq!(custos::services::charges::reconcile_with_catalog(&mut app.conn()).unwrap(), 1);
    let retired: Value = app.get(&c.dana, &format!("/api/v1/mappings/{second}")).await.json().await.unwrap();
    assert_eq!(retired["status"], "revoked");
    assert!(retired["status_reason"].as_str().unwrap().contains("no longer has element WIRE-1349-E3"), "{retired}");
    let r = review(&app, &c.paula, &third, "accepted").await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("no longer has element CFAA-B-E3"));
}

async fn counts_keep_the_prosecutors_order(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    let defendant = app.defendant(&c.paula, &c.number, "John Doe").await;
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "CFAA-A6", "concerns": "Sale of the AP clerk's password", "defendants": [defendant] }),
    )
    .await;
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "defendants": [defendant] }),
    )
    .await;
    let exhibit = format!("{}-E001", c.number);
    let m = propose(&app, &c.dana, &c.number, 2, "WIRE-E1", &exhibit).await;
    // The more serious count stays where the prosecutor put it.
    let order = |cov: Value| -> Vec<(i64, String)> {
        cov["charges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["charge"]["count"].as_i64().unwrap(), r["charge"]["offense_id"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(order(coverage(&app, &c.dana, &c.number).await), vec![(1, "CFAA-A6".into()), (2, "WIRE".into())]);
    let moved = app
        .post(&c.paula, &format!("/api/v1/incidents/{}/charges/2/move", c.number), &json!({ "direction": "up" }))
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(order(coverage(&app, &c.dana, &c.number).await), vec![(1, "WIRE".into()), (2, "CFAA-A6".into())]);
    // The mapping follows its count.
    let mapping: Value =
        app.get(&c.paula, &format!("/api/v1/mappings/{}", m["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(mapping["count"], 1);
    let r = app
        .post(&c.paula, &format!("/api/v1/incidents/{}/charges/1/move", c.number), &json!({ "direction": "up" }))
        .await;
    assert_eq!(r.status(), 409, "the first count cannot move up");
    let r = app
        .post(&c.paula, &format!("/api/v1/incidents/{}/charges/1/move", c.number), &json!({ "direction": "sideways" }))
        .await;
    assert_eq!(r.status(), 422);
    // The memo's caption follows the same order.
    let r = app.post(&c.paula, &format!("/api/v1/incidents/{}/memos", c.number), &json!({})).await;
    assert_eq!(r.status(), 201);
    let memo: Value = app.get(&c.paula, &format!("/api/v1/incidents/{}/memos/1", c.number)).await.json().await.unwrap();
    let counts: Vec<i64> =
        memo["content"]["charges"].as_array().unwrap().iter().map(|ch| ch["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![1, 2]);
}

/// The proposer withdraws an unreviewed proposal; a supervisor revokes an acceptance with a
/// reason; a parent exhibit is recorded after upload, once. Each is kept in the history and
/// the audit trail, and nothing is erased.
async fn mistakes_are_corrected_without_erasing_them(app: TestApp) {
    let c = case(&app, sample_incident()).await;
    let sam = app.user("sam", Role::Supervisor);
    app.post(&c.dana, &format!("/api/v1/incidents/{}/members", c.number), &json!({ "username": "sam" })).await;
    add_charge(
        &app,
        &c.paula,
        &c.number,
        json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "offense_date": "2026-02-11" }),
    )
    .await;
    let exhibit = format!("{}-E001", c.number);
    let first = propose(&app, &c.dana, &c.number, 1, "WIRE-E1", &exhibit).await;
    let first = first["id"].as_str().unwrap().to_owned();
    let withdraw = |user: &crate::common::TestUser, id: &str| {
        let (app, user, path) = (&app, user.clone(), format!("/api/v1/mappings/{id}/withdraw"));
        async move { app.post(&user, &path, &json!({ "reason": "wrong exhibit" })).await }
    };
    assert_eq!(withdraw(&c.paula, &first).await.status(), 403, "only its proposer withdraws it");
    let r = withdraw(&c.dana, &first).await;
    assert_eq!(r.status(), 200);
    let withdrawn: Value = r.json().await.unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["reviews"][0]["decision"], "withdrawn");
    assert_eq!(review(&app, &c.paula, &first, "accepted").await.status(), 409, "a withdrawn proposal is not reviewed");

    // Accepted, then revoked by a supervisor with a reason.
    let second = propose(&app, &c.dana, &c.number, 1, "WIRE-E2", &exhibit).await;
    let second = second["id"].as_str().unwrap().to_owned();
    assert_eq!(review(&app, &c.paula, &second, "accepted").await.status(), 200);
    assert_eq!(withdraw(&c.dana, &second).await.status(), 409, "reviewed: no longer withdrawn");
    let revoke = format!("/api/v1/mappings/{second}/revoke");
    assert_eq!(app.post(&c.quinn, &revoke, &json!({ "reason": "x" })).await.status(), 403, "a supervisor's decision");
    let before = app.snapshot();
    assert_eq!(app.post(&sam, &revoke, &json!({ "reason": " " })).await.status(), 422, "a reason is required");
    assert_eq!(app.snapshot(), before);
    let r = app.post(&sam, &revoke, &json!({ "reason": "The recording's date does not match the wire" })).await;
    assert_eq!(r.status(), 200);
    let revoked: Value = r.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    let decisions: Vec<&str> =
        revoked["reviews"].as_array().unwrap().iter().map(|r| r["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, vec!["accepted", "revoked"], "the acceptance stays in the history");
    let cov = coverage(&app, &c.dana, &c.number).await;
    let cell =
        cov["charges"][0]["cells"].as_array().unwrap().iter().find(|x| x["element_id"] == "WIRE-E2").unwrap().clone();
    assert_eq!(cell["state"], "gap", "a revoked acceptance proves nothing");

    // A parent exhibit recorded after upload: once, same incident, no cycle.
    assert_eq!(app.upload(&c.dana, &c.number, sample_exhibit(), b"extracted chat log".to_vec()).await.status(), 201);
    let child = format!("{}-E002", c.number);
    let put = |on: &str, parent: &str| {
        let (app, dana, path, parent) =
            (&app, c.dana.clone(), format!("/api/v1/exhibits/{on}/parent"), parent.to_owned());
        async move {
            app.client
                .put(app.url(&path))
                .bearer_auth(&dana.token)
                .json(&json!({ "parent": parent }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put(&child, "2025-0001-E001").await.status(), 422, "another incident's exhibit");
    let r = put(&child, &exhibit).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["parent"], exhibit.as_str());
    assert_eq!(put(&child, &exhibit).await.status(), 409, "recorded once, never overwritten");
    assert_eq!(put(&exhibit, &child).await.status(), 422, "no cycle");

    use custos::db::schema::audit_events;
    use diesel::prelude::*;
    let actions: Vec<String> = audit_events::table
        .filter(audit_events::action.eq_any(["mapping.withdrawn", "mapping.revoked", "exhibit.parent_set"]))
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(actions, vec!["mapping.withdrawn", "mapping.revoked", "exhibit.parent_set"]);
}
