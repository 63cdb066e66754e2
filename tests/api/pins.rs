//! Pin cites: each kind parsed, checked against the exhibit's file where the file can tell,
//! and written in the memo as a court filing writes it.

use serde_json::{Value, json};

use crate::common::{TestApp, pdf_raw_text, sample_exhibit, sample_incident};
use custos::domain::user::Role;

on_both_backends!(a_pin_cite_is_checked_against_the_file_and_cited_in_court_form);

async fn a_pin_cite_is_checked_against_the_file_and_cited_in_court_form(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let mut sheet = sample_exhibit();
    sheet["media_type"] = json!("text/csv");
    let r = app
        .upload(&paula, &number, sheet, b"date,amount,to\n2026-02-11,4180000,mule\n2026-02-12,1,mule\n".to_vec())
        .await;
    assert_eq!(r.status(), 201);
    let mut log = sample_exhibit();
    log["media_type"] = json!("text/plain");
    assert_eq!(app.upload(&paula, &number, log, b"line one\nline two\nline three\n".to_vec()).await.status(), 201);
    let defendant = app.defendant(&paula, &number, "John Doe").await;
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "Wire of $4.18M", "offense_date": "2026-02-11", "defendants": [defendant] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let propose = |exhibit: u32, kind: &str, cite: &str| {
        let body = json!({ "count": 1, "element": "WIRE-E4", "exhibit": format!("{number}-E{exhibit:03}"),
                           "pin": { "kind": kind, "cite": cite }, "rationale": "Shows the wire." });
        let (app, paula, path) = (&app, &paula, format!("/api/v1/incidents/{number}/mappings"));
        async move { app.post(paula, &path, &body).await }
    };
    let before = app.snapshot();
    for (exhibit, kind, cite, why) in [
        (1, "row", "4", "row 4 is past the end: the file has 3"),
        (1, "row", "2:E", "no column"),
        (2, "line", "3-4", "line 4 is past the end: the file has 3"),
        (2, "offset", "0x100", "past the end"),
        (2, "bates", "ABC000130-XYZ000131", "Bates"),
    ] {
        let r = propose(exhibit, kind, cite).await;
        assert_eq!(r.status(), 422, "{kind} {cite}");
        let problem: Value = r.json().await.unwrap();
        assert!(problem.to_string().contains(why), "{kind} {cite}: {problem}");
    }
    assert_eq!(app.snapshot(), before, "a refused pin cite saves nothing");
    let mut ids = Vec::new();
    for (exhibit, kind, cite) in [(1, "row", "2:B"), (2, "line", "2-3")] {
        let r = propose(exhibit, kind, cite).await;
        assert_eq!(r.status(), 201, "{kind} {cite}: {}", r.text().await.unwrap());
        ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    // Each pin cite opens the file at its place, marked; file text is escaped, never markup.
    let browser = app.browser();
    app.sign_in(&browser, "paula", crate::common::PASSWORD).await;
    let exhibit_page =
        browser.get(app.url(&format!("/exhibits/{number}-E002"))).send().await.unwrap().text().await.unwrap();
    let link = format!("/exhibits/{number}-E002/at?kind=line&#38;cite=2-3");
    assert!(exhibit_page.contains(&link), "the exhibit page links its pin cite");
    let at = |kind: &str, cite: &str, exhibit: u32| {
        let url = app.url(&format!("/exhibits/{number}-E{exhibit:03}/at?kind={kind}&cite={cite}"));
        let browser = &browser;
        async move { browser.get(url).send().await.unwrap() }
    };
    let lines = at("line", "2-3", 2).await;
    assert_eq!(lines.status(), 200);
    let lines = lines.text().await.unwrap();
    assert!(lines.contains("<mark>line two</mark>") && lines.contains("<mark>line three</mark>"), "{lines}");
    assert!(lines.contains(">line one<") && !lines.contains("<mark>line one"), "context, unmarked");
    let row = at("row", "2:B", 1).await.text().await.unwrap();
    assert!(row.contains("<mark>4180000</mark>") && row.contains("<td>2026-02-11</td>"), "{row}");
    let bytes = at("offset", "0x5-0x6", 2).await.text().await.unwrap();
    assert!(bytes.contains("0x00000000") && bytes.contains("<mark>"), "{bytes}");
    assert_eq!(at("line", "zero", 2).await.status(), 400);
    let outsider = app.user("otto", Role::Investigator);
    let other = app.browser();
    app.sign_in(&other, &outsider.username, crate::common::PASSWORD).await;
    let r = other.get(app.url(&format!("/exhibits/{number}-E002/at?kind=line&cite=2"))).send().await.unwrap();
    assert_eq!(r.status(), 404, "off the team");

    // Someone other than the proposer reviews.
    let marcus = app.user("marcus", Role::Prosecutor);
    app.post(&paula, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "marcus" })).await;
    for id in &ids {
        let r = app.post(&marcus, &format!("/api/v1/mappings/{id}/review"), &json!({ "decision": "accepted" })).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await.status(), 201);
    let pdf = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.bytes().await.unwrap();
    let Some(text) = pdf_raw_text(&pdf) else { return };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("row 2, col. B"), "{text}");
    assert!(text.contains("ll. 2\u{2013}3"), "{text}");
}
