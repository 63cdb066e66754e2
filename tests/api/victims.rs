//! Victims at scale and approximate facts: a CSV sheet of 200 victims is checked row by row
//! before anything is saved, then saved in one step; classes, bounds and sensitive names; and
//! the memo states approximate dates and amounts as an indictment would.

use serde_json::{Value, json};

use crate::common::{TestApp, csrf_from, pdf_raw_text, sample_incident};
use custos::domain::user::Role;

on_both_backends!(
    a_sheet_of_200_victims_is_refused_whole_until_every_row_passes,
    the_victims_page_previews_a_sheet_and_saves_it_on_confirmation,
    only_a_prosecutor_marks_names_sensitive_and_then_initials_are_shown,
    the_memo_states_approximate_dates_and_amounts_as_an_indictment_would,
);

/// 200 victims; `bad` rows (1-based victim numbers) carry a fault each, of five kinds.
fn sheet(bad: &[usize]) -> String {
    let mut csv = String::from("name,kind,loss,gain,class_size,notes\n");
    for n in 1..=200 {
        let row = match bad.iter().position(|b| *b == n) {
            Some(0) => format!("Victim {n},spaceship,100,,,\n"),
            Some(1) => format!("Victim {n},individual,a lot,,,\n"),
            Some(2) => ",individual,100,,,\n".to_owned(),
            Some(3) => "Victim 1,individual,100,,,\n".to_owned(),
            Some(_) => format!("Victim {n},individual,100,,-3,\n"),
            None if n == 200 => {
                "Identity-theft victims,individual,at least 400000,,80+,counted by the bank\n".to_owned()
            }
            None => format!("Victim {n},individual,\"1,000.50\",,,\n"),
        };
        csv.push_str(&row);
    }
    csv
}

async fn import(
    app: &TestApp,
    user: &crate::common::TestUser,
    number: &str,
    query: &str,
    csv: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/incidents/{number}/victims/import?{query}")))
        .bearer_auth(&user.token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

async fn a_sheet_of_200_victims_is_refused_whole_until_every_row_passes(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let mut body = sample_incident();
    body["victims"] = json!([]);
    let number = app.open_incident(&dana, body).await["number"].as_str().unwrap().to_owned();
    let before = app.snapshot();

    // Five bad rows: the preview names each, by its line in the sheet (the header is line 1).
    let bad = [17, 42, 99, 150, 181];
    let preview = import(&app, &dana, &number, "dry_run=true", &sheet(&bad)).await;
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.unwrap();
    assert_eq!(preview["saved"], false);
    assert_eq!(preview["rows"], 200);
    assert_eq!(preview["accepted"], 195);
    let lines: Vec<u64> = preview["refused"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, bad.iter().map(|n| *n as u64 + 1).collect::<Vec<_>>());
    let reasons: Vec<String> =
        preview["refused"].as_array().unwrap().iter().map(|r| r["reasons"][0].as_str().unwrap().to_owned()).collect();
    assert!(reasons[0].starts_with("kind "), "{reasons:?}");
    assert!(reasons[1].contains("not a dollar amount"), "{reasons:?}");
    assert!(reasons[2].starts_with("name "), "{reasons:?}");
    assert!(reasons[3].contains("also on line 2"), "{reasons:?}");
    assert!(reasons[4].starts_with("class size "), "{reasons:?}");
    assert_eq!(app.snapshot(), before, "a preview saves nothing");

    // Importing it anyway is refused whole, every bad row named; still nothing saved.
    let refused = import(&app, &dana, &number, "version=1", &sheet(&bad)).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sheet.line[18]", "sheet.line[43]", "sheet.line[100]", "sheet.line[151]", "sheet.line[182]"]);
    assert_eq!(app.snapshot(), before, "a refused import saves nothing");

    // Fixed, all 200 are saved in one step: one new version.
    let fixed = import(&app, &dana, &number, "version=1", &sheet(&[])).await;
    assert_eq!(fixed.status(), 200, "{}", fixed.text().await.unwrap());
    let fixed: Value = fixed.json().await.unwrap();
    assert_eq!(
        (fixed["saved"].clone(), fixed["accepted"].clone(), fixed["version"].clone()),
        (json!(true), json!(200), json!(2))
    );
    let incident: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    let victims = incident["victims"].as_array().unwrap();
    assert_eq!(victims.len(), 200);
    assert_eq!(victims[0]["estimated_loss_cents"], 100_050);
    let class = &victims[199];
    assert_eq!((class["class_size"].clone(), class["class_size_bound"].clone()), (json!(80), json!("at_least")));
    assert_eq!(class["loss_bound"], "at_least");
    assert_eq!(class["notes"], "counted by the bank");

    // The same sheet again would count every victim twice: refused.
    let again = import(&app, &dana, &number, "version=2", &sheet(&[])).await;
    assert_eq!(again.status(), 422);

    // Paged, not all at once.
    let page: Value =
        app.get(&dana, &format!("/api/v1/incidents/{number}/victims?page=4&per_page=50")).await.json().await.unwrap();
    assert_eq!((page["total"].clone(), page["pages"].clone()), (json!(200), json!(4)));
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert_eq!(page["items"][49]["name"], "Identity-theft victims");
    assert_eq!(app.get(&dana, &format!("/api/v1/incidents/{number}/victims?per_page=100000")).await.status(), 422);

    // The audit record names the sheet by its digest.
    {
        use custos::db::schema::audit_events;
        use diesel::prelude::*;
        let details: Vec<String> = audit_events::table
            .filter(audit_events::action.eq("incident.updated"))
            .select(audit_events::detail)
            .load(&mut app.conn())
            .unwrap();
        let sources: Vec<Value> =
            details.iter().map(|d| serde_json::from_str::<Value>(d).unwrap()["source"].clone()).collect();
        assert!(
            sources
                .iter()
                .any(|s| s["victims_imported"] == 200 && s["sheet_sha256"].as_str().is_some_and(|h| h.len() == 64)),
            "{sources:?}"
        );
    }

    // Off the team: 404, as for everything else.
    let outsider = app.user("otto", Role::Investigator);
    assert_eq!(import(&app, &outsider, &number, "dry_run=true", &sheet(&[])).await.status(), 404);
    assert_eq!(app.get(&outsider, &format!("/api/v1/incidents/{number}/victims")).await.status(), 404);
}

async fn the_victims_page_previews_a_sheet_and_saves_it_on_confirmation(app: TestApp) {
    app.user("dana", Role::Investigator);
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "dana", crate::common::PASSWORD).await;
    let dana = app.user("dana2", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "dana" })).await;
    let before = app.snapshot();

    let send = |csv: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part("sheet", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("victims.csv"));
        browser.post(app.url(&format!("/incidents/{number}/victims/preview"))).multipart(form).send()
    };
    let refused = send(sheet(&[3, 9, 27, 81, 162])).await.unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("5 rows would be refused"), "{page}");
    for line in [4, 10, 28, 82, 163] {
        assert!(page.contains(&format!("<td class=\"num\">{line}</td>")), "line {line} not named");
    }
    assert!(!page.contains("Add all"), "no way to save a sheet with refused rows");
    assert_eq!(app.snapshot(), before, "a preview saves nothing");

    let clean = send(sheet(&[])).await.unwrap();
    assert_eq!(clean.status(), 200);
    let page = clean.text().await.unwrap();
    assert!(page.contains("Add all 200 victims"), "{page}");
    assert_eq!(app.snapshot(), before, "a preview saves nothing");
    let encoded = page.split("name=\"sheet\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let version = page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let saved = browser
        .post(app.url(&format!("/incidents/{number}/victims/import")))
        .form(&[("csrf_token", csrf.as_str()), ("version", version.as_str()), ("sheet", encoded.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let page =
        browser.get(app.url(&format!("/incidents/{number}/victims"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("200 victims added"), "flash");
    assert!(page.contains("at least 280 victims in 201 entries (1 class)"), "{page}");
    assert!(page.contains("Page 1 of 5"));
    let incident: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert_eq!(incident["victims"].as_array().unwrap().len(), 201);
    // The incident page lists a few and points to the rest; its edit form leaves them alone.
    let show = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(show.contains("191 more entries on the victims page"), "{show}");
    let edit = browser.get(app.url(&format!("/incidents/{number}/edit"))).send().await.unwrap().text().await.unwrap();
    assert!(edit.contains("name=\"victims_elsewhere\""));
    assert!(!edit.contains("name=\"victim_name\""));
    let csrf_edit = csrf_from(&edit);
    let r = browser
        .post(app.url(&format!("/incidents/{number}/edit")))
        .form(&[
            ("csrf_token", csrf_edit.as_str()),
            ("version", "2"),
            ("title", "Retitled"),
            ("victims_elsewhere", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let incident: Value = app.get(&dana, &format!("/api/v1/incidents/{number}")).await.json().await.unwrap();
    assert_eq!(incident["title"], "Retitled");
    assert_eq!(incident["victims"].as_array().unwrap().len(), 201, "the form kept every victim");
}

async fn only_a_prosecutor_marks_names_sensitive_and_then_initials_are_shown(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let mut body = sample_incident();
    body["victims"] = json!([
        { "name": "Jane Q. Public", "kind": "individual", "estimated_loss_usd": "1200" },
        { "name": "First Lakeshore Bank", "kind": "financial_institution" },
    ]);
    let number = app.open_incident(&dana, body.clone()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let before = app.snapshot();
    let r = app
        .patch(&dana, &format!("/api/v1/incidents/{number}"), &json!({ "version": 1, "victim_names_sensitive": true }))
        .await;
    assert_eq!(r.status(), 403, "an investigator does not decide what is disclosed");
    assert_eq!(app.snapshot(), before);
    let mut sensitive = body.clone();
    sensitive["victim_names_sensitive"] = json!(true);
    assert_eq!(app.post(&dana, "/api/v1/incidents", &sensitive).await.status(), 403);

    let r = app
        .patch(&paula, &format!("/api/v1/incidents/{number}"), &json!({ "version": 1, "victim_names_sensitive": true }))
        .await;
    assert_eq!(r.status(), 200);
    let incident: Value = r.json().await.unwrap();
    assert_eq!(incident["victims"][0]["shown_name"], "J.Q.P.");
    assert_eq!(incident["victims"][0]["name"], "Jane Q. Public", "the record keeps the name");
    assert_eq!(incident["victims"][1]["shown_name"], "First Lakeshore Bank", "only individuals");

    let browser = app.browser();
    app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    for path in [format!("/incidents/{number}"), format!("/incidents/{number}/victims")] {
        let page = browser.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("J.Q.P."), "{path}");
        assert!(!page.contains("Jane Q. Public"), "{path} shows the sensitive name");
    }
}

async fn the_memo_states_approximate_dates_and_amounts_as_an_indictment_would(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let mut body = sample_incident();
    body["first_offense_date"] = json!("in or about 2017");
    body["last_offense_date"] = json!("about 2018-06");
    body["victim_names_sensitive"] = json!(true);
    body["victims"] = json!([
        { "name": "First Lakeshore Bank", "kind": "financial_institution", "estimated_loss_usd": "more than 10000000", "gain_usd": "at least 2500000" },
        { "name": "Jane Q. Public", "kind": "individual", "estimated_loss_usd": "1200" },
        { "name": "Identity-theft victims", "kind": "individual", "estimated_loss_usd": "at least 400000", "class_size": "80+" },
    ]);
    let incident = app.open_incident(&paula, body).await;
    let number = incident["number"].as_str().unwrap().to_owned();
    assert_eq!(incident["first_offense_date"], "about 2017");
    assert_eq!(incident["offense_dates"], "from in or about 2017 through in or about June 2018");
    let defendant = app.defendant(&paula, &number, "John Doe").await;
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "Wires to the mule accounts", "offense_date": "in or about 2017",
                     "defendants": [defendant], "loss": "more than 10000000" }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let charge: Value = r.json().await.unwrap();
    assert_eq!(charge["offense_date"], "about 2017");
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let pdf = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.bytes().await.unwrap();
    let Some(text) = pdf_raw_text(&pdf) else { return };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "From in or about 2017 through in or about June 2018",
        "more than $10,000,000",
        "at least $2,500,000",
        "recorded losses total more than $10,401,200",
        "the defendants' recorded gain is at least $2,500,000",
        "at least 82 victims recorded in 3 entries",
        "Identity-theft victims (class of at least 80)",
        "J.Q.P.",
        "the earliest day \u{201c}in or about 2017\u{201d} names",
    ] {
        assert!(text.contains(expected), "the memo lacks \u{201c}{expected}\u{201d}:\n{text}");
    }
    assert!(!text.contains("Jane Q. Public"), "a sensitive name in the memo");
    assert!(!text.contains("2017-01-01 to"), "an approximate date stated as a day");
}
