//! The incident catalog and its access rules, through the real HTTP API, on both backends.

use crate::common::{TestApp, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    incidents_are_numbered_listed_filtered_and_edited,
    access_is_per_incident_and_by_role,
    status_moves_only_along_sensible_transitions,
    bad_requests_change_nothing,
    team_members_are_added_once,
    every_change_is_audited_and_the_audit_trail_is_append_only,
);

fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

async fn incidents_are_numbered_listed_filtered_and_edited(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let first = app.open_incident(&dana, sample_incident()).await;
    assert_eq!(first["number"], format!("{}-0001", this_year()));
    assert_eq!(first["status"], "intake");
    assert_eq!(first["version"], 1);
    assert_eq!(first["victims"][0]["estimated_loss_cents"], 418_000_000);
    assert_eq!(first["team"][0]["username"], "dana");
    assert_eq!(first["ai_modalities"], json!(["ai_phishing", "deepfake_impersonation"]));

    let second = app
        .open_incident(
            &dana,
            json!({ "title": "Synthetic identity loan ring", "summary": "Credit union loans", "district": "S.D. Tex.",
                    "ai_modalities": ["synthetic_identity"] }),
        )
        .await;
    let number = second["number"].as_str().unwrap().to_owned();
    assert_eq!(number, format!("{}-0002", this_year()));

    let fetched: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert_eq!(fetched["title"], "Synthetic identity loan ring");

    let list = |query: String| {
        let app = &app;
        let dana = &dana;
        async move {
            let body: Value = app.get(dana, &format!("/api/v1/incidents{query}")).await.json().await.unwrap();
            let numbers: Vec<String> =
                body["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect();
            (numbers, body)
        }
    };
    let (all, body) = list("".into()).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], number, "newest first");
    assert_eq!(body["total"], 2);
    assert_eq!(list("?ai_modality=synthetic_identity".into()).await.0, vec![number.clone()]);
    assert_eq!(list("?district=n.d.%20ill.".into()).await.0, vec![first["number"].as_str().unwrap().to_owned()]);
    assert_eq!(list("?q=CFO".into()).await.0.len(), 1, "search is case-insensitive over title");
    assert_eq!(list("?q=credit%20union".into()).await.0, vec![number.clone()], "search covers the summary");
    assert_eq!(list("?q=100%25".into()).await.0.len(), 0, "LIKE wildcards in the search are literal");
    assert_eq!(list("?assignee=dana&status=intake".into()).await.0.len(), 2);
    assert_eq!(list("?status=charged".into()).await.0.len(), 0);
    // Read by key: the stretch after the newest is the older one, and the list ends there.
    let (newest, body) = list("?per_page=1".into()).await;
    assert_eq!((newest, body["previous_before"].clone()), (vec![number.clone()], Value::Null));
    assert_eq!(body["next_after"], json!(number));
    let (older, body) = list(format!("?per_page=1&after={number}")).await;
    assert_eq!(older, vec![first["number"].as_str().unwrap().to_owned()]);
    assert_eq!((body["next_after"].clone(), body["previous_before"].clone()), (Value::Null, first["number"].clone()));
    let (back, _) = list(format!("?per_page=1&before={}", first["number"].as_str().unwrap())).await;
    assert_eq!(back, vec![number.clone()]);

    // An edit with the version it saw succeeds and bumps the version.
    let edited = app
        .patch(
            &dana,
            &format!("/api/v1/incidents/{number}"),
            &json!({ "version": 1, "title": "Synthetic identity loan fraud ring", "status": "investigating" }),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["status"], "investigating");
    assert_eq!(edited["district"], "S.D. Tex.", "fields not in the patch are kept");

    // A second edit based on the old version is refused, and changes nothing.
    let before = app.snapshot();
    let stale =
        app.patch(&dana, &format!("/api/v1/incidents/{number}"), &json!({ "version": 1, "title": "Overwrite" })).await;
    assert_eq!(stale.status(), 409);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["code"], "stale_version");
    assert_eq!(app.snapshot(), before);
    let fetched: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert_eq!(fetched["title"], "Synthetic identity loan fraud ring");
}

async fn access_is_per_incident_and_by_role(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let outsider = app.user("outsider", Role::Investigator);
    let auditor = app.user("audrey", Role::Auditor);
    let supervisor = app.user("chief", Role::Supervisor);
    let admin = app.user("root", Role::Admin);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let number = incident["number"].as_str().unwrap();
    let path = format!("/api/v1/incidents/{number}");
    assert_eq!(app.post(&dana, &format!("{path}/members"), &json!({ "username": "audrey" })).await.status(), 201);

    // Not on the team: the incident does not exist, as far as they can tell.
    for stranger in [&outsider, &admin] {
        let response = app.get(stranger, &path).await;
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert_eq!(app.patch(stranger, &path, &json!({ "version": 1, "title": "x" })).await.status(), 404);
        assert_eq!(
            app.post(stranger, &format!("{path}/members"), &json!({ "username": "outsider" })).await.status(),
            404
        );
        let list: Value = app.get(stranger, "/api/v1/incidents").await.json().await.unwrap();
        assert_eq!(list["total"], 0);
    }
    // The same for a number that really does not exist.
    assert_eq!(app.get(&outsider, "/api/v1/incidents/2019-0042").await.status(), 404);

    // An auditor on the team reads, never writes.
    assert_eq!(app.get(&auditor, &path).await.status(), 200);
    let before = app.snapshot();
    let refused = app.patch(&auditor, &path, &json!({ "version": 1, "title": "Auditor edit" })).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["code"], "forbidden");
    assert_eq!(app.post(&auditor, &format!("{path}/members"), &json!({ "username": "outsider" })).await.status(), 403);
    assert_eq!(app.post(&auditor, "/api/v1/incidents", &sample_incident()).await.status(), 403);
    assert_eq!(app.post(&admin, "/api/v1/incidents", &sample_incident()).await.status(), 403);
    assert_eq!(app.snapshot(), before);

    // A supervisor sees and edits every incident of the office.
    assert_eq!(app.get(&supervisor, &path).await.status(), 200);
    let list: Value = app.get(&supervisor, "/api/v1/incidents").await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(app.patch(&supervisor, &path, &json!({ "version": 1, "district": "D. Mass." })).await.status(), 200);

    // The same rules on the pages: a stranger's browser gets the 404 page.
    let browser = app.browser();
    app.sign_in(&browser, "outsider", crate::common::PASSWORD).await;
    let page = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Not found"));

    // Without a token, or with a wrong one, the API answers 401.
    let anonymous = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged = app.client.get(app.url(&path)).bearer_auth("cst_forged").send().await.unwrap();
    assert_eq!(forged.status(), 401);
}

async fn status_moves_only_along_sensible_transitions(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let prosecutor = app.user("marcus", Role::Prosecutor);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let number = incident["number"].as_str().unwrap();
    let path = format!("/api/v1/incidents/{number}");
    app.post(&dana, &format!("{path}/members"), &json!({ "username": "marcus" })).await;

    let jump = app.patch(&dana, &path, &json!({ "version": 1, "status": "charged" })).await;
    assert_eq!(jump.status(), 422);
    let problem: Value = jump.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "status");

    let unknown = app.patch(&dana, &path, &json!({ "version": 1, "status": "open" })).await;
    assert_eq!(unknown.status(), 422);

    for (status, version) in [("investigating", 1), ("charging_review", 2)] {
        let moved = app.patch(&dana, &path, &json!({ "version": version, "status": status })).await;
        assert_eq!(moved.status(), 200, "{status}");
    }
    // Charging decisions belong to prosecutors.
    let declined = app.patch(&dana, &path, &json!({ "version": 3, "status": "declined" })).await;
    assert_eq!(declined.status(), 403);
    let charged = app.patch(&prosecutor, &path, &json!({ "version": 3, "status": "charged" })).await;
    assert_eq!(charged.status(), 200);
    let body: Value = charged.json().await.unwrap();
    assert_eq!(body["next_statuses"], json!(["closed"]));
    let back = app.patch(&prosecutor, &path, &json!({ "version": 4, "status": "intake" })).await;
    assert_eq!(back.status(), 422);
}

async fn bad_requests_change_nothing(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let path = format!("/api/v1/incidents/{}", incident["number"].as_str().unwrap());
    let before = app.snapshot();

    let send_raw = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&dana.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let malformed = send_raw("{\"title\": ").await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");
    assert_eq!(malformed.json::<Value>().await.unwrap()["code"], "invalid_json");

    let mut cases: Vec<(Value, u16, &str)> = Vec::new();
    let with = |key: &str, value: Value| {
        let mut body = sample_incident();
        body[key] = value;
        body
    };
    cases.push((with("unexpected", json!(1)), 400, "invalid_json"));
    cases.push((with("title", json!("x".repeat(201))), 422, "validation_failed"));
    cases.push((with("title", json!("   ")), 422, "validation_failed"));
    cases.push((with("title", json!(42)), 400, "invalid_json"));
    cases.push((with("first_offense_date", json!("2026-02-30")), 422, "validation_failed"));
    cases.push((with("last_offense_date", json!("2999-01-01")), 422, "validation_failed"));
    cases.push((with("ai_modalities", json!(["telepathy"])), 422, "validation_failed"));
    cases.push((with("victims", json!([{ "name": "V", "kind": "alien" }])), 422, "validation_failed"));
    cases.push((
        with("victims", json!([{ "name": "V", "kind": "business", "estimated_loss_usd": "-5" }])),
        422,
        "validation_failed",
    ));
    cases.push((with("summary", json!("y".repeat(20_001))), 422, "validation_failed"));
    for (body, status, code) in cases {
        let response = app.post(&dana, "/api/v1/incidents", &body).await;
        assert_eq!(response.status().as_u16(), status, "for {body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "for {body}");
        assert_eq!(problem["status"], status);
    }

    // A patch with a bad field changes nothing either, though its other fields are fine.
    let response = app
        .patch(&dana, &path, &json!({ "version": 1, "title": "Fine title", "first_offense_date": "yesterday" }))
        .await;
    assert_eq!(response.status(), 422);
    let response = app.patch(&dana, &path, &json!({ "title": "No version" })).await;
    assert_eq!(response.status(), 400);

    assert_eq!(app.snapshot(), before, "a refused request changed the database");
    let fetched: Value = app.get(&dana, &path).await.json().await.unwrap();
    assert_eq!(fetched["title"], incident["title"]);
    assert_eq!(fetched["version"], 1);
}

async fn team_members_are_added_once(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let marcus = app.user("marcus", Role::Prosecutor);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let path = format!("/api/v1/incidents/{}", incident["number"].as_str().unwrap());

    assert_eq!(app.get(&marcus, &path).await.status(), 404);
    let added = app.post(&dana, &format!("{path}/members"), &json!({ "username": "marcus" })).await;
    assert_eq!(added.status(), 201);
    let body: Value = added.json().await.unwrap();
    let team: Vec<&str> = body["team"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect();
    assert_eq!(team, vec!["dana", "marcus"]);
    assert_eq!(app.get(&marcus, &path).await.status(), 200);

    let before = app.snapshot();
    let again = app.post(&dana, &format!("{path}/members"), &json!({ "username": "marcus" })).await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<Value>().await.unwrap()["code"], "already_member");
    let nobody = app.post(&dana, &format!("{path}/members"), &json!({ "username": "nobody" })).await;
    assert_eq!(nobody.status(), 422);
    assert_eq!(app.snapshot(), before);
}

async fn every_change_is_audited_and_the_audit_trail_is_append_only(app: TestApp) {
    use custos::db::schema::audit_events;
    use diesel::prelude::*;

    let dana = app.user("dana", Role::Investigator);
    app.user("marcus", Role::Prosecutor);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let path = format!("/api/v1/incidents/{}", incident["number"].as_str().unwrap());
    app.post(&dana, &format!("{path}/members"), &json!({ "username": "marcus" })).await;
    app.patch(&dana, &path, &json!({ "version": 1, "title": "Renamed" })).await;

    let mut conn = app.conn();
    let actions: Vec<(String, Option<String>, String)> = audit_events::table
        .filter(audit_events::incident_id.is_not_null())
        .order(audit_events::id.asc())
        .select((audit_events::action, audit_events::actor_id, audit_events::detail))
        .load(&mut conn)
        .unwrap();
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, vec!["incident.created", "incident.member_added", "incident.updated"]);
    assert!(actions.iter().all(|a| a.1.is_some()), "every change names who made it");
    let update: Value = serde_json::from_str(&actions[2].2).unwrap();
    assert_eq!(update["changed"], json!(["title"]));
    assert_eq!(update["before"]["title"], incident["title"]);
    assert_eq!(update["after"]["title"], "Renamed");

    // The database itself refuses to rewrite or erase the trail.
    let rewrite = diesel::update(audit_events::table).set(audit_events::action.eq("forged")).execute(&mut conn);
    assert!(rewrite.is_err(), "UPDATE on audit_events was allowed");
    let erase = diesel::delete(audit_events::table).execute(&mut conn);
    assert!(erase.is_err(), "DELETE on audit_events was allowed");
    let count: i64 = audit_events::table.count().get_result(&mut conn).unwrap();
    assert!(count >= 3);
}
