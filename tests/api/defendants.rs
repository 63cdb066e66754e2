//! Defendants: an incident's people, whom each count charges, coverage read per defendant, a
//! memo that proposes only counts naming their defendants and objects; and the upgrade of a
//! database whose counts predate defendants. On both backends.

use crate::common::{TestApp, pdf_text, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    counts_charge_named_defendants,
    a_conspiracy_to_damage_shows_the_objects_maximum,
    counts_from_before_defendants_are_carried_forward_without_guessing,
    defendants_from_the_pages,
    an_aggravated_identity_theft_count_links_a_felony_predicate
);

async fn counts_charge_named_defendants(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let people = format!("/api/v1/incidents/{number}/people");
    let add = |body: Value| {
        let people = people.clone();
        let paula = &paula;
        let app = &app;
        async move { app.post(paula, &people, &body).await }
    };
    let r = add(json!({ "name": "Jun Seong", "role": "co_conspirator" })).await;
    assert_eq!(r.status(), 422, "a co-conspirator needs a placeholder");
    let mut ids = Vec::new();
    for name in ["Carla Brandt", "Olek Dorn", "Minh Vo Tran"] {
        let r = add(json!({ "name": name, "role": "defendant", "aliases": "alias one; alias two" })).await;
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let cc: Value = add(json!({ "name": "Jun Seong", "role": "co_conspirator", "placeholder": "CC-1" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cc["document_name"], "CC-1", "documents name a co-conspirator by placeholder");
    assert_eq!(
        add(json!({ "name": "Park Jinsoo", "role": "co_conspirator", "placeholder": "cc-1" })).await.status(),
        422
    );

    // A count charging two defendants; one with none yet.
    let charges = format!("/api/v1/incidents/{number}/charges");
    let r = app
        .post(
            &paula,
            &charges,
            &json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "defendants": [ids[0], ids[1]] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.post(&paula, &charges, &json!({ "offense": "CFAA-A6", "concerns": "Password sale" })).await;
    assert_eq!(r.status(), 201);
    let r =
        app.post(&paula, &charges, &json!({ "offense": "CFAA-A6", "concerns": "x", "defendants": [cc["id"]] })).await;
    assert_eq!(r.status(), 422, "an unindicted co-conspirator is not charged");

    // Coverage per defendant.
    let only = |id: &str| format!("/api/v1/incidents/{number}/coverage?defendant={id}");
    let for_first: Value = app.get(&paula, &only(&ids[0])).await.json().await.unwrap();
    assert_eq!(for_first["charges"].as_array().unwrap().len(), 1);
    let for_third: Value = app.get(&paula, &only(&ids[2])).await.json().await.unwrap();
    assert!(for_third["charges"].as_array().unwrap().is_empty());

    // The memo proposes only the count that names its defendants.
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let memo: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1")).await.json().await.unwrap();
    let proposed: Vec<i64> =
        memo["content"]["charges"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).collect();
    assert_eq!(proposed, vec![1]);
    assert_eq!(memo["content"]["charges"][0]["defendants"], json!(["Carla Brandt", "Olek Dorn"]));
    assert!(
        memo["content"]["not_ready"][0].as_str().unwrap().contains("defendant not chosen"),
        "{}",
        memo["content"]["not_ready"]
    );
    let pdf = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.bytes().await.unwrap();
    if let Some(text) = pdf_text(&pdf) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("against Carla Brandt, Olek Dorn"), "the caption names the defendants");
        assert!(text.contains("defendant not chosen"), "{text}");
    }

    // Naming the defendant makes the count ready.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/incidents/{number}/charges/2/defendants")))
        .bearer_auth(&paula.token)
        .json(&json!({ "defendants": [ids[2]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let memo: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/2")).await.json().await.unwrap();
    assert_eq!(memo["content"]["charges"].as_array().unwrap().len(), 2);
    assert!(memo["content"]["not_ready"].as_array().unwrap().is_empty());
}

async fn a_conspiracy_to_damage_shows_the_objects_maximum(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "CFAA-B", "object_offense": "CFAA-A5A", "concerns": "Agreement to deploy ransomware",
                     "penalty_facts": ["CFAA-A5A-P1"] }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let coverage: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/coverage")).await.json().await.unwrap();
    let row = &coverage["charges"][0];
    assert_eq!(row["maximum"], json!({ "years": 10 }), "{row}");
    assert_eq!(row["citation"], "18 U.S.C. § 1030(b) (conspiracy to violate § 1030(a)(5)(A))");
}

/// A database of the previous release: counts, no people. The migration makes the sole
/// subject of an incident its counts' defendant and flags the rest "defendant not chosen".
async fn counts_from_before_defendants_are_carried_forward_without_guessing(app: TestApp) {
    use diesel_migrations::MigrationHarness;
    let paula = app.user("paula", Role::Prosecutor);
    let mut one = sample_incident();
    one["subjects"] = json!([{ "name": "Carla Brandt", "description": "Ran the laptop farm" }]);
    let single = app.open_incident(&paula, one).await["number"].as_str().unwrap().to_owned();
    let several = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let mut two = sample_incident();
    two["subjects"] = json!([
        { "name": "Olek Dorn", "description": "Sold identities" },
        { "name": "Minh Vo Tran", "description": "Posed as a developer" }
    ]);
    let two_number = app.open_incident(&paula, two).await["number"].as_str().unwrap().to_owned();
    for number in [&single, &several, &two_number] {
        let r = app
            .post(
                &paula,
                &format!("/api/v1/incidents/{number}/charges"),
                &json!({ "offense": "WIRE", "concerns": "A wire" }),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    // Back to the previous release's schema (its data stays), then forward again.
    {
        let mut conn = app.conn();
        match &mut *conn {
            // Back past every migration down to the defendants one (that release's schema).
            custos::db::DbConnection::Sqlite(c) => {
                while !c.revert_last_migration(custos::db::SQLITE_MIGRATIONS).unwrap().to_string().contains("000007") {}
            }
            custos::db::DbConnection::Postgresql(c) => {
                while !c.revert_last_migration(custos::db::POSTGRES_MIGRATIONS).unwrap().to_string().contains("000007")
                {
                }
            }
        }
        custos::db::migrate(&mut conn).unwrap();
    }
    let count_of = |number: String| {
        let app = &app;
        let paula = &paula;
        async move {
            let charges: Value =
                app.get(paula, &format!("/api/v1/incidents/{number}/charges")).await.json().await.unwrap();
            charges["items"][0].clone()
        }
    };
    let carried = count_of(single.clone()).await;
    assert_eq!(carried["defendants"].as_array().unwrap().len(), 1, "{carried}");
    assert!(carried["not_ready"].as_array().unwrap().is_empty());
    let people: Value = app.get(&paula, &format!("/api/v1/incidents/{single}/people")).await.json().await.unwrap();
    assert_eq!(people["items"][0]["name"], "Carla Brandt");
    assert_eq!(people["items"][0]["role"], "defendant");
    let flagged = count_of(two_number.clone()).await;
    assert!(flagged["defendants"].as_array().unwrap().is_empty(), "two subjects: nothing is guessed");
    assert_eq!(flagged["not_ready"], json!(["defendant not chosen"]));
    let people: Value = app.get(&paula, &format!("/api/v1/incidents/{two_number}/people")).await.json().await.unwrap();
    assert!(people["items"].as_array().unwrap().iter().all(|p| p["role"] == "subject"), "{people}");
}

async fn defendants_from_the_pages(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "A wire" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    // Add a defendant and a co-conspirator on the incident page.
    for (name, role, placeholder) in [("Carla Brandt", "defendant", ""), ("Jun Seong", "co_conspirator", "CC-1")] {
        let r = browser
            .post(app.url(&format!("/incidents/{number}/people")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", name),
                ("role", role),
                ("placeholder", placeholder),
                ("aliases", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    let page = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Carla Brandt") && page.contains("CC-1"), "the incident page lists its people");
    // The coverage page flags the count, then sets its defendant.
    let coverage =
        browser.get(app.url(&format!("/incidents/{number}/coverage"))).send().await.unwrap().text().await.unwrap();
    assert!(coverage.contains("No defendant chosen") && coverage.contains("defendant not chosen"));
    let people: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/people")).await.json().await.unwrap();
    let id = people["items"].as_array().unwrap().iter().find(|p| p["role"] == "defendant").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = browser
        .post(app.url(&format!("/incidents/{number}/charges/1/defendants")))
        .form(&[("csrf_token", csrf.as_str()), ("defendants", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let coverage =
        browser.get(app.url(&format!("/incidents/{number}/coverage"))).send().await.unwrap().text().await.unwrap();
    assert!(!coverage.contains("No defendant chosen"), "the count now charges its defendant");
    assert!(coverage.contains("Carla Brandt"));
}

async fn an_aggravated_identity_theft_count_links_a_felony_predicate(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let d = app.defendant(&paula, &number, "Carla Brandt").await;
    let charges = format!("/api/v1/incidents/{number}/charges");
    // Count 1: § 1030(a)(2) with no penalty fact pleaded (a misdemeanor); count 2: § 1343.
    for body in [
        json!({ "offense": "CFAA-A2", "concerns": "Access to the payroll portal", "defendants": [d] }),
        json!({ "offense": "WIRE", "concerns": "Salary wires", "defendants": [d] }),
    ] {
        assert_eq!(app.post(&paula, &charges, &body).await.status(), 201);
    }
    let agg = |predicate: Option<i64>| json!({ "offense": "AGG-ID", "concerns": "A real person's SSN", "defendants": [d], "predicate": predicate });
    let r = app.post(&paula, &charges, &agg(None)).await;
    assert_eq!(r.status(), 422, "a § 1028A count needs its predicate");
    let before = app.snapshot();
    let r = app.post(&paula, &charges, &agg(Some(1))).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let why = problem["errors"].to_string();
    assert!(why.contains("misdemeanor"), "the refusal says why: {why}");
    assert_eq!(app.snapshot(), before, "a refused count changes nothing");
    let r = app.post(&paula, &charges, &agg(Some(2))).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let memo: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1")).await.json().await.unwrap();
    let agg_count = memo["content"]["charges"].as_array().unwrap().iter().find(|c| c["count"] == 3).unwrap().clone();
    assert_eq!(agg_count["predicate"], "During and in relation to Count 2 (18 U.S.C. § 1343)");
}
