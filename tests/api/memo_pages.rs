//! The charging memo from the browser side: edit the narrative, save versions, read one,
//! approve it with a confirmation, download the PDF and an exhibit's certification draft.

use crate::common::{PASSWORD, TestApp, csrf_from, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::json;

on_both_backends!(the_memo_from_the_pages, memo_versions_are_listed_newest_first_a_page_at_a_time);

async fn the_memo_from_the_pages(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    app.user("paula", Role::Prosecutor);
    app.user("sam", Role::Supervisor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"recording".to_vec()).await.status(), 201);

    // An investigator reads the memo page but has no edit form.
    let investigator = app.browser();
    app.sign_in(&investigator, "dana", PASSWORD).await;
    let page =
        investigator.get(app.url(&format!("/incidents/{number}/memo"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("No version saved yet") && !page.contains("Save as a new version"));

    let prosecutor = app.browser();
    app.sign_in(&prosecutor, "paula", PASSWORD).await;
    let page =
        prosecutor.get(app.url(&format!("/incidents/{number}/memo"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Save as a new version"));
    assert!(page.contains("Deepfake CFO call directs wire transfer"), "the template text is filled with case data");
    let csrf = csrf_from(&page);
    let too_long = "x".repeat(20_001);
    let refused = prosecutor
        .post(app.url(&format!("/incidents/{number}/memos")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("executive_summary", too_long.as_str()),
            ("venue", "Chicago, where the wires were received."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused.text().await.unwrap().contains("Chicago, where the wires were received."),
        "what was typed is kept"
    );
    let saved = prosecutor
        .post(app.url(&format!("/incidents/{number}/memos")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("executive_summary", "A cloned CFO voice ordered the wire."),
            ("venue", "Chicago."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()["location"], format!("/incidents/{number}/memos/1"));
    let page =
        prosecutor.get(app.url(&format!("/incidents/{number}/memos/1"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Memo version 1 saved") && page.contains("A cloned CFO voice ordered the wire."));
    assert!(page.contains("PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT - DRAFT"));
    assert!(!page.contains("Approve this version"), "a prosecutor cannot approve");

    let pdf = prosecutor.get(app.url(&format!("/incidents/{number}/memos/1.pdf"))).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    crate::common::qpdf_check(&bytes);

    // The supervisor approves, after confirming.
    let supervisor = app.browser();
    app.sign_in(&supervisor, "sam", PASSWORD).await;
    let page =
        supervisor.get(app.url(&format!("/incidents/{number}/memos/1"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Approve this version"));
    let csrf = csrf_from(&page);
    let unconfirmed = supervisor
        .post(app.url(&format!("/incidents/{number}/memos/1/approve")))
        .form(&[("csrf_token", csrf.as_str()), ("comment", "ok")])
        .send()
        .await
        .unwrap();
    assert_eq!(unconfirmed.status(), 303);
    let page =
        supervisor.get(app.url(&format!("/incidents/{number}/memos/1"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Not approved: tick the confirmation box.") && page.contains("Draft"));
    supervisor
        .post(app.url(&format!("/incidents/{number}/memos/1/approve")))
        .form(&[("csrf_token", csrf.as_str()), ("comment", "Cleared."), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    let page =
        supervisor.get(app.url(&format!("/incidents/{number}/memos/1"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Approved by sam"));

    // The exhibit page links its certification draft: a form asks who certifies, and the
    // draft downloads as a PDF naming that person.
    let exhibit =
        investigator.get(app.url(&format!("/exhibits/{number}-E001"))).send().await.unwrap().text().await.unwrap();
    assert!(exhibit.contains(&format!("/exhibits/{number}-E001/certificate")));
    let form = investigator
        .get(app.url(&format!("/exhibits/{number}-E001/certificate")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("value=\"dana\""), "the team is offered as certifiers");
    let missing = investigator.get(app.url(&format!("/exhibits/{number}-E001/certificate.pdf"))).send().await.unwrap();
    assert_eq!(missing.status(), 422, "no certifier named");
    let cert = investigator
        .get(app.url(&format!("/exhibits/{number}-E001/certificate.pdf?certifier=dana&qualifications=")))
        .send()
        .await
        .unwrap();
    assert_eq!(cert.status(), 200);
    crate::common::qpdf_check(&cert.bytes().await.unwrap());
}

/// Twenty-three saved versions: the memo page lists the newest twenty and pages to the rest.
async fn memo_versions_are_listed_newest_first_a_page_at_a_time(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    for _ in 0..23 {
        assert_eq!(app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await.status(), 201);
    }
    let browser = app.browser();
    app.sign_in(&browser, "paula", PASSWORD).await;
    let versions = |page: &str| -> Vec<u32> {
        page.split(&format!("<td><a href=\"/incidents/{number}/memos/"))
            .skip(1)
            .filter_map(|s| s.split('"').next().unwrap().parse().ok())
            .collect()
    };
    let page = browser.get(app.url(&format!("/incidents/{number}/memo"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(versions(&page), (4..=23).rev().collect::<Vec<_>>());
    assert!(page.contains("Page 1 of 2 (23 versions)"), "{page}");
    let page =
        browser.get(app.url(&format!("/incidents/{number}/memo?page=2"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(versions(&page), vec![3, 2, 1]);
    let r = browser.get(app.url(&format!("/incidents/{number}/memo?page=-1"))).send().await.unwrap();
    assert_eq!(r.status(), 400);
}
