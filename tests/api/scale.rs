//! No cliffs at scale: numbers that do not run out, and start-up and pages that hold with more
//! rows than a statement could bind as parameters.

use crate::common::{Backend, PASSWORD, TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

on_both_backends!(
    the_server_starts_and_serves_with_more_accepted_mappings_than_a_statement_can_bind,
    incident_ten_thousand_of_a_year_is_opened_and_read_back_by_number,
    the_deadline_list_is_read_in_its_stored_order_and_placed_again_at_start,
    a_review_queue_longer_than_the_count_says_more_than_it_counted,
    a_member_of_many_teams_sees_exactly_their_teams_newest_first,
    forms_ask_for_a_typed_username_or_exhibit_when_there_are_too_many_to_list,
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

/// The deadline list as the API gives it: (incident, count, state, deadline).
async fn deadline_list(app: &TestApp, user: &crate::common::TestUser) -> Vec<(String, i64, String, Value)> {
    let body: Value = app.get(user, "/api/v1/deadlines").await.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["incident"].as_str().unwrap().to_owned(),
                d["count"].as_i64().unwrap(),
                d["limitation"]["state"].as_str().unwrap().to_owned(),
                d["limitation"]["deadline"].clone(),
            )
        })
        .collect()
}

async fn the_deadline_list_is_read_in_its_stored_order_and_placed_again_at_start(app: TestApp) {
    use custos::db::schema::charges;
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let charges_path = format!("/api/v1/incidents/{number}/charges");
    // Offense dates one, two and three years back: deadlines still years away, whatever year
    // the test runs in.
    let today = custos::domain::now_utc().date();
    let years_back = |years: i64| (today - time::Duration::days(366 * years)).to_string();
    for body in [
        json!({ "offense": "WIRE", "concerns": "The latest wire", "offense_date": years_back(1) }),
        json!({ "offense": "CFAA-A2", "concerns": "Mailbox intrusion", "offense_date": "2020-01-10" }),
        json!({ "offense": "WIRE", "concerns": "A wire not yet dated" }),
        json!({ "offense": "WIRE", "concerns": "An earlier wire", "offense_date": years_back(2) }),
        json!({ "offense": "WIRE", "concerns": "The earliest wire, to be dropped", "offense_date": years_back(3) }),
    ] {
        assert_eq!(app.post(&paula, &charges_path, &body).await.status(), 201, "{body}");
    }
    // Undated first, then soonest (here long passed) first, whatever order they were added in.
    let listed = deadline_list(&app, &paula).await;
    let order: Vec<(i64, &str)> = listed.iter().map(|d| (d.1, d.2.as_str())).collect();
    assert_eq!(order, vec![(3, "unknown"), (2, "passed"), (5, "open"), (4, "open"), (1, "open")]);
    assert!(listed.iter().all(|d| d.0 == number));
    assert_eq!(listed[0].3, Value::Null);
    assert_eq!(listed[1].3, "2025-01-10");
    let dated: Vec<&str> = listed[1..].iter().map(|d| d.3.as_str().unwrap()).collect();
    assert!(dated.windows(2).all(|w| w[0] < w[1]), "{dated:?}");
    let r = app.post(&paula, &format!("{charges_path}/5/drop"), &json!({ "reason": "Folded into count 4" })).await;
    assert_eq!(r.status(), 200);
    let kept: Vec<_> = listed.iter().filter(|d| d.1 != 5).cloned().collect();
    assert_eq!(deadline_list(&app, &paula).await, kept, "a dropped count leaves the list");

    // As counts written before the listing was stored (or under another catalog): not listed
    // until a start places them again, each where it belongs.
    diesel::update(charges::table)
        .set((charges::limitation_listed.eq(0), charges::limitation_catalog.eq("")))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(deadline_list(&app, &paula).await, vec![]);
    app.restart().expect("the server starts");
    assert_eq!(deadline_list(&app, &paula).await, kept, "placed again at start; the dropped count stays off");
    let placed: Vec<String> = charges::table.select(charges::limitation_catalog).load(&mut app.conn()).unwrap();
    let version = custos::statutes::catalog().unwrap().version.clone();
    assert!(placed.iter().all(|v| *v == version), "{placed:?}");
}

async fn a_review_queue_longer_than_the_count_says_more_than_it_counted(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"the wire".to_vec()).await.status(), 201);
    let charges_path = format!("/api/v1/incidents/{number}/charges");
    let r = app.post(&paula, &charges_path, &json!({ "offense": "WIRE", "concerns": "The wire" })).await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            &dana,
            &format!("/api/v1/incidents/{number}/mappings"),
            &json!({ "count": 1, "element": "WIRE-E3", "exhibit": format!("{number}-E001"), "rationale": "The wire itself." }),
        )
        .await;
    let template = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let queue: Value = app.get(&paula, "/api/v1/reviews").await.json().await.unwrap();
    assert_eq!((queue["total"].as_i64(), queue["total_capped"].as_bool()), (Some(1), Some(false)));

    // 1,200 more proposals waiting: more than the queue counts.
    let mut conn = app.conn();
    let id = match app.backend {
        Backend::Sqlite => "printf('22222222-0000-4000-8000-%012d', n)".to_owned(),
        Backend::Postgres => "'22222222-0000-4000-8000-' || lpad(n::text, 12, '0')".to_owned(),
    };
    diesel::sql_query(format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1200) \
         INSERT INTO mappings (id, incident_id, charge_id, element_id, exhibit_id, pin_kind, pin_cite, \
         rationale, status, status_reason, proposed_by, proposed_at, updated_at, catalog_checked) \
         SELECT {id}, m.incident_id, m.charge_id, m.element_id, m.exhibit_id, m.pin_kind, m.pin_cite, \
         m.rationale, m.status, m.status_reason, m.proposed_by, m.proposed_at, m.updated_at, '' \
         FROM seq, mappings m WHERE m.id = '{template}'"
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);
    let queue: Value = app.get(&paula, "/api/v1/reviews?per_page=500").await.json().await.unwrap();
    assert_eq!((queue["total"].as_i64(), queue["total_capped"].as_bool()), (Some(1000), Some(true)));
    assert_eq!(queue["items"].as_array().unwrap().len(), 500);
    assert_eq!(queue["previous_before"], Value::Null, "the queue starts here");
    // Past the count, the stretches still lead on, read by key: 1,201 proposals that share one
    // proposal time are each read once, in id order within it, and the third stretch ends it.
    let ids = |stretch: &Value| -> Vec<String> {
        stretch["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
    };
    let mut read = ids(&queue);
    let mut stretch = queue.clone();
    let mut stretches = 1;
    while let Some(after) = stretch["next_after"].as_str() {
        stretch = app.get(&paula, &format!("/api/v1/reviews?per_page=500&after={after}")).await.json().await.unwrap();
        read.extend(ids(&stretch));
        stretches += 1;
    }
    assert_eq!((stretches, ids(&stretch).len()), (3, 201));
    let mut distinct = read.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 1201, "no proposal read twice or skipped");
    // Back from the last stretch: the one before it, exactly as read forward.
    let before = stretch["previous_before"].as_str().unwrap();
    let second: Value =
        app.get(&paula, &format!("/api/v1/reviews?per_page=500&before={before}")).await.json().await.unwrap();
    assert_eq!(ids(&second), read[500..1000].to_vec());
    assert_eq!(second["previous_before"].as_str(), Some(read[500].as_str()));
    for bad in ["after=nonsense", "after=1&before=2", "per_page=0"] {
        assert_eq!(app.get(&paula, &format!("/api/v1/reviews?{bad}")).await.status(), 422, "{bad}");
    }
    assert_eq!(app.get(&paula, "/api/v1/reviews?page=2").await.status(), 400, "pages are read by key now");
    let browser = app.browser();
    app.sign_in(&browser, "paula", PASSWORD).await;
    let page = browser.get(app.url("/reviews")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("more than 1000 waiting"), "{page}");
    let next = format!("/reviews?after={}", read[24]);
    assert!(page.contains(&format!("href=\"{next}\" rel=\"next\"")), "{page}");
    let page = browser.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/mappings/{}", read[25])) && !page.contains(&format!("/mappings/{}\"", read[24])));
    assert!(page.contains(&format!("href=\"/reviews?before={}\" rel=\"prev\"", read[25])), "{page}");
    let dashboard = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    // The dashboard is a glance: it counts to 100, not 1,000.
    assert!(dashboard.contains("(more than 100 waiting)"), "{dashboard}");
    // Dana proposed them all: none of them waits for her.
    let own: Value = app.get(&dana, "/api/v1/reviews").await.json().await.unwrap();
    assert_eq!((own["total"].as_i64(), own["total_capped"].as_bool()), (Some(0), Some(false)));
}

async fn a_member_of_many_teams_sees_exactly_their_teams_newest_first(app: TestApp) {
    use custos::db::schema::{incident_members, incidents, users};
    let dana = app.user("dana", Role::Investigator);
    let ivan = app.user("ivan", Role::Investigator);
    let first = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let year: i32 = first[..4].parse().unwrap();
    // 300 more incidents of the year, copied from the first; Dana is on the team of every one
    // whose number is not a multiple of 7, Ivan on the others: past the point where a
    // member's lists are walked in order rather than gathered.
    let mut conn = app.conn();
    let (id, number) = match app.backend {
        Backend::Sqlite => {
            ("printf('33333333-0000-4000-8000-%012d', n)".to_owned(), format!("printf('{year}-%04d', n + 1)"))
        }
        Backend::Postgres => (
            "'33333333-0000-4000-8000-' || lpad(n::text, 12, '0')".to_owned(),
            format!("'{year}-' || lpad((n + 1)::text, 4, '0')"),
        ),
    };
    let numbers = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 300)";
    diesel::sql_query(format!(
        "{numbers} INSERT INTO incidents (id, number, year, seq, title, summary, status, district, \
         first_offense_date, last_offense_date, version, created_by, created_at, updated_by, updated_at, \
         first_offense_date_form, last_offense_date_form, victim_names_sensitive) \
         SELECT {id}, {number}, i.year, n + 1, i.title, i.summary, i.status, i.district, i.first_offense_date, \
         i.last_offense_date, i.version, i.created_by, i.created_at, i.updated_by, i.updated_at, \
         i.first_offense_date_form, i.last_offense_date_form, i.victim_names_sensitive \
         FROM seq, incidents i WHERE i.number = '{first}'"
    ))
    .execute(&mut conn)
    .unwrap();
    let user_id = |name: &str, conn: &mut _| -> String {
        users::table.filter(users::username.eq(name)).select(users::id).first(conn).unwrap()
    };
    let (dana_id, ivan_id) = (user_id("dana", &mut conn), user_id("ivan", &mut conn));
    let seeded: Vec<(String, i32)> = incidents::table
        .filter(incidents::number.ne(&first))
        .select((incidents::id, incidents::seq))
        .load(&mut conn)
        .unwrap();
    let now = custos::domain::now_utc();
    for (incident, seq) in &seeded {
        let member = if seq % 7 == 0 { &ivan_id } else { &dana_id };
        diesel::insert_into(incident_members::table)
            .values((
                incident_members::incident_id.eq(incident),
                incident_members::user_id.eq(member),
                incident_members::added_by.eq(&dana_id),
                incident_members::added_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    drop(conn);
    let mut expected: Vec<i32> = (1..=301).filter(|s| *s == 1 || s % 7 != 0).collect();
    expected.reverse();
    let expected: Vec<String> = expected.iter().map(|s| format!("{year}-{s:04}")).collect();
    let mut listed = Vec::new();
    let mut after = String::new();
    loop {
        let body: Value =
            app.get(&dana, &format!("/api/v1/incidents?per_page=100&after={after}")).await.json().await.unwrap();
        assert_eq!(body["total"].as_i64(), Some(i64::try_from(expected.len()).unwrap()));
        assert_eq!(body["total_capped"], false);
        listed.extend(body["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()));
        match body["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(listed, expected, "every one of Dana's teams, newest first, and none of Ivan's");
    // The page reads the same list by key: 25 a page, each next link just past the last shown.
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let page = browser.get(app.url("/incidents?status=intake")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("{} to {}", expected[0], expected[24])), "{page}");
    assert!(!page.contains("rel=\"prev\""), "the list's start has nothing before it");
    let next = format!("/incidents?status=intake&#38;after={}", expected[24]);
    assert!(page.contains(&format!("href=\"{next}\" rel=\"next\"")), "{page}");
    let page = browser.get(app.url(&next.replace("&#38;", "&"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("{} to {}", expected[25], expected[49])), "{page}");
    assert!(page.contains(&format!("href=\"/incidents?status=intake&#38;before={}\" rel=\"prev\"", expected[25])));
    let bad = browser.get(app.url("/incidents?after=nonsense")).send().await.unwrap().text().await.unwrap();
    assert!(bad.contains("The filter was ignored"), "{bad}");
    let filtered: Value = app.get(&dana, "/api/v1/incidents?per_page=100&status=intake").await.json().await.unwrap();
    assert_eq!(filtered["total"].as_i64(), Some(i64::try_from(expected.len()).unwrap()));
    let ivans: Value = app.get(&ivan, "/api/v1/incidents?per_page=100").await.json().await.unwrap();
    let ivans: Vec<&str> = ivans["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(ivans.len(), 43);
    assert!(ivans.iter().all(|n| n[5..].parse::<i32>().unwrap() % 7 == 0));
}

async fn forms_ask_for_a_typed_username_or_exhibit_when_there_are_too_many_to_list(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    app.user("ivan", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"the wire".to_vec()).await.status(), 201);
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert!(r.status().is_success());
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "The wire" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let get = |path: String| {
        let browser = browser.clone();
        let url = app.url(&path);
        async move { browser.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // A few users and exhibits: chosen from a list.
    let page = get(format!("/incidents/{number}")).await;
    assert!(page.contains("<select id=\"member-username\""), "{page}");
    assert!(page.contains("<option value=\"ivan\">"));
    let form = get(format!("/incidents/{number}/mappings/new?count=1&element=WIRE-E3")).await;
    assert!(form.contains("<select id=\"exhibit\""));

    // 250 more users and 250 more exhibits (copies of the first, seeded directly).
    let mut conn = app.conn();
    let ids = |prefix: &str| match app.backend {
        Backend::Sqlite => format!("printf('{prefix}-0000-4000-8000-%012d', n)"),
        Backend::Postgres => format!("'{prefix}-0000-4000-8000-' || lpad(n::text, 12, '0')"),
    };
    let text = |format: &str| match app.backend {
        Backend::Sqlite => format!("printf('{format}', n)"),
        Backend::Postgres => format!("'{}' || lpad(n::text, 4, '0')", format.trim_end_matches("%04d")),
    };
    let numbers = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 250)";
    diesel::sql_query(format!(
        "{numbers} INSERT INTO users (id, username, full_name, role, password_hash, active, created_at) \
         SELECT {}, {}, u.full_name, u.role, u.password_hash, u.active, u.created_at \
         FROM seq, users u WHERE u.username = 'paula'",
        ids("44444444"),
        text("analyst%04d"),
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "{numbers} INSERT INTO exhibits (id, incident_id, number, seq, parent_id, kind, description, source, \
         acquisition_method, acquisition_tool, acquired_by, acquired_at, acquisition_location, legal_authority, \
         file_name, media_type, size_bytes, sha256, sha1, md5, created_by, created_at) \
         SELECT {}, x.incident_id, {}, n + 1, x.parent_id, x.kind, x.description, x.source, x.acquisition_method, \
         x.acquisition_tool, x.acquired_by, x.acquired_at, x.acquisition_location, x.legal_authority, x.file_name, \
         x.media_type, x.size_bytes, x.sha256, x.sha1, x.md5, x.created_by, x.created_at \
         FROM seq, exhibits x WHERE x.number = '{number}-E001'",
        ids("55555555"),
        match app.backend {
            Backend::Sqlite => format!("printf('{number}-E%03d', n + 1)"),
            Backend::Postgres => format!("'{number}-E' || lpad((n + 1)::text, 3, '0')"),
        },
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);

    // Now the incident page asks for a username, and adds the one typed.
    let page = get(format!("/incidents/{number}")).await;
    assert!(!page.contains("<select id=\"member-username\""));
    assert!(page.contains("<input id=\"member-username\" name=\"username\""), "{page}");
    assert!(!page.contains("analyst0001"), "no user is listed");
    let csrf = crate::common::csrf_from(&page);
    let add = |username: &'static str| {
        let browser = browser.clone();
        let url = app.url(&format!("/incidents/{number}/members"));
        let csrf = csrf.clone();
        async move { browser.post(url).form(&[("csrf_token", csrf.as_str()), ("username", username)]).send().await.unwrap() }
    };
    let before = app.snapshot();
    let refused = add("nobody-by-that-name").await;
    assert_eq!(refused.status(), 303, "back to the incident page, with the reason");
    assert_eq!(app.snapshot(), before);
    let page = get(format!("/incidents/{number}")).await;
    assert!(page.contains("Not added: username: no active user named"), "{page}");
    assert_eq!(add("analyst0042").await.status(), 303);
    let members: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert!(members["team"].as_array().unwrap().iter().any(|m| m["username"] == "analyst0042"), "{members}");

    // The mapping form asks for an exhibit number, and proposes the one typed.
    let form = get(format!("/incidents/{number}/mappings/new?count=1&element=WIRE-E3")).await;
    assert!(!form.contains("<select id=\"exhibit\""));
    assert!(form.contains("<input id=\"exhibit\" name=\"exhibit\""), "{form}");
    assert!(!form.contains(&format!("{number}-E100")), "no exhibit is listed");
    let propose = |exhibit: String| {
        let browser = browser.clone();
        let url = app.url(&format!("/incidents/{number}/mappings"));
        let csrf = csrf.clone();
        async move {
            browser
                .post(url)
                .form(&[
                    ("csrf_token", csrf),
                    ("target", "1:WIRE-E3".to_owned()),
                    ("exhibit", exhibit),
                    ("pin_kind", String::new()),
                    ("pin_cite", String::new()),
                    ("rationale", "The wire itself.".to_owned()),
                    ("back", String::new()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let before = app.snapshot();
    let refused = propose(format!("{number}-E9999")).await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert_eq!(app.snapshot(), before);
    assert_eq!(propose(format!("{number}-E001")).await.status(), 303);
    let mappings: Value = app.get(&dana, &format!("/api/v1/incidents/{number}/mappings")).await.json().await.unwrap();
    assert_eq!(mappings["items"].as_array().unwrap().len(), 1, "{mappings}");
}
