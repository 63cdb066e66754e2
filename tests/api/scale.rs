//! No cliffs at scale: numbers that do not run out, and start-up and pages that hold with more
//! rows than a statement could bind as parameters.

use crate::common::{Backend, PASSWORD, TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

on_both_backends!(
    the_server_starts_and_serves_with_more_accepted_mappings_than_a_statement_can_bind,
    incident_ten_thousand_of_a_year_is_opened_and_read_back_by_number,
);

/// More than PostgreSQL's 65,535 bind parameters (and SQLite's 32,766).
const ACCEPTED: i64 = 66_000;

/// Copies one accepted mapping and its accepting review `ACCEPTED` times, in two statements.
fn seed_accepted_mappings(app: &TestApp, template: &str) {
    let mut conn = app.conn();
    // Ids that parse as UUIDs: a fixed prefix and the row's number.
    let id = |prefix: &str| match app.backend {
        Backend::Sqlite => format!("printf('{prefix}-0000-4000-8000-%012d', n)"),
        Backend::Postgres => format!("'{prefix}-0000-4000-8000-' || lpad(n::text, 12, '0')"),
    };
    let numbers = format!("WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {ACCEPTED})");
    let mapping_id = id("00000000");
    let review_id = id("11111111");
    diesel::sql_query(format!(
        "{numbers} INSERT INTO mappings (id, incident_id, charge_id, element_id, exhibit_id, pin_kind, pin_cite, \
         rationale, status, status_reason, proposed_by, proposed_at, updated_at, catalog_checked) \
         SELECT {mapping_id}, m.incident_id, m.charge_id, m.element_id, m.exhibit_id, m.pin_kind, m.pin_cite, \
         m.rationale, m.status, m.status_reason, m.proposed_by, m.proposed_at, m.updated_at, '' \
         FROM seq, mappings m WHERE m.id = '{template}'"
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "{numbers} INSERT INTO mapping_reviews (id, mapping_id, seq, reviewer_id, decision, comment, exhibit_sha256, \
         catalog_version, element_fingerprint, reviewed_at) \
         SELECT {review_id}, {mapping_id}, r.seq, r.reviewer_id, r.decision, r.comment, r.exhibit_sha256, \
         r.catalog_version, r.element_fingerprint, r.reviewed_at \
         FROM seq, mapping_reviews r WHERE r.mapping_id = '{template}'"
    ))
    .execute(&mut conn)
    .unwrap();
}

fn unchecked(app: &TestApp) -> i64 {
    use custos::db::schema::mappings;
    let version = custos::statutes::catalog().unwrap().version.clone();
    mappings::table
        .filter(mappings::status.eq("accepted"))
        .filter(mappings::catalog_checked.ne(version))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn the_server_starts_and_serves_with_more_accepted_mappings_than_a_statement_can_bind(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"the wire".to_vec()).await.status(), 201);
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "The wire" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            &dana,
            &format!("/api/v1/incidents/{number}/mappings"),
            &json!({ "count": 1, "element": "WIRE-E3", "exhibit": format!("{number}-E001"), "rationale": "The wire itself." }),
        )
        .await;
    let template = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&paula, &format!("/api/v1/mappings/{template}/review"), &json!({ "decision": "accepted", "comment": "" }))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(unchecked(&app), 0, "an acceptance holds under the catalog it was made under");
    seed_accepted_mappings(&app, &template);
    assert_eq!(unchecked(&app), ACCEPTED, "as rows written before the check was incremental");

    // A start reads them all, a batch at a time, and finds every one still holds.
    let address = app.restart().expect("the server starts");
    assert_eq!(unchecked(&app), 0);
    // The next start reads none of them.
    let started = std::time::Instant::now();
    let address_again = app.restart().expect("the server starts again");
    eprintln!("a start with an unchanged catalog took {:?}", started.elapsed());

    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = browser.get(format!("{address_again}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::common::csrf_from(&login);
    let r = browser
        .post(format!("{address_again}/login"))
        .form(&[("username", "paula"), ("password", PASSWORD), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    for path in [
        "/".to_owned(),
        "/incidents".to_owned(),
        format!("/incidents/{number}"),
        format!("/incidents/{number}/exhibits"),
        format!("/incidents/{number}/coverage"),
        format!("/incidents/{number}/memo"),
        format!("/exhibits/{number}-E001"),
        "/reviews".to_owned(),
        "/statutes".to_owned(),
    ] {
        let r = browser.get(format!("{address_again}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let page = r.text().await.unwrap();
        if path.ends_with("/coverage") {
            // 66,001 acceptances of one exhibit for one element: listed once, never 66,001 times.
            assert!(page.matches(&format!("href=\"/exhibits/{number}-E001\"")).count() < 10, "{path}");
        }
    }
    let r = app.get(&paula, &format!("/api/v1/incidents/{number}/coverage")).await;
    assert_eq!(r.status(), 200);
    let _ = address;
}

async fn incident_ten_thousand_of_a_year_is_opened_and_read_back_by_number(app: TestApp) {
    use custos::db::schema::incidents;
    let dana = app.user("dana", Role::Investigator);
    let first = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let year = &first[..4];
    // As if the office had already opened 9,999 incidents this year.
    let ninety_nine = format!("{year}-9999");
    diesel::update(incidents::table.filter(incidents::number.eq(&first)))
        .set((incidents::seq.eq(9999), incidents::number.eq(&ninety_nine)))
        .execute(&mut app.conn())
        .unwrap();

    let opened = app.open_incident(&dana, sample_incident()).await;
    let number = opened["number"].as_str().unwrap().to_owned();
    assert_eq!(number, format!("{year}-10000"));
    let read: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert_eq!(read["number"], number.as_str());
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"the wire".to_vec()).await.status(), 201);
    let exhibit: Value = app.get(&dana, &format!("/api/v1/exhibits/{number}-E001")).await.json().await.unwrap();
    assert_eq!(exhibit["number"], format!("{number}-E001"));
    // Newest first, by number: 10000 before 9999, which text order would put the other way.
    let list: Value = app.get(&dana, "/api/v1/incidents").await.json().await.unwrap();
    let numbers: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec![number.as_str(), ninety_nine.as_str()]);
    // The pages read it too, and a zero-padded spelling is not another incident.
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let page = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&format!("{number}-E001")));
    let padded = app.get(&dana, &format!("/api/v1/incidents/{year}-010000")).await;
    assert_eq!(padded.status(), 404, "one spelling per incident");
}
