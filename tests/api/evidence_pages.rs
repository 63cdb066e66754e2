//! Evidence from the browser side: the upload form (multipart with CSRF), the custody form,
//! confirmation of irreversible events, and the verification button.

use crate::common::{PASSWORD, TestApp, independent_digests, sample_incident};
use custos::domain::user::Role;

on_both_backends!(evidence_from_the_pages);

fn upload_form(csrf: Option<&str>, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(csrf) = csrf {
        form = form.text("csrf_token", csrf.to_owned());
    }
    form.text("kind", "ai_chat_log")
        .text("description", "Prompt log of the subject's AI assistant account")
        .text("source", "Provider production, account 7781")
        .text("method", "Provider production under 2703(d) order")
        .text("tool", "")
        .text("acquired_by", "SA Dana Reyes")
        .text("acquired_at", "2026-03-01T12:00")
        .text("location", "")
        .text("legal_authority", "2703(d) order 26-MC-77")
        .text("parent", "")
        .text("sha256", "")
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name("prompts.jsonl"))
}

async fn evidence_from_the_pages(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let number = incident["number"].as_str().unwrap();
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "dana", PASSWORD).await;
    let form_page = browser.get(app.url(&format!("/incidents/{number}/exhibits/new"))).send().await.unwrap();
    assert_eq!(form_page.status(), 200);
    assert!(form_page.text().await.unwrap().contains("data-upload-progress"));

    let bytes = b"{\"prompt\":\"write an urgent wire request in the CFO's voice\"}\n".repeat(500);
    let (sha256, _, _) = independent_digests(&bytes);
    let before = app.snapshot();
    let refused = browser
        .post(app.url(&format!("/incidents/{number}/exhibits")))
        .multipart(upload_form(None, bytes.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(app.snapshot(), before, "an upload without the CSRF token stored something");

    let uploaded = browser
        .post(app.url(&format!("/incidents/{number}/exhibits")))
        .multipart(upload_form(Some(&csrf), bytes))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 303);
    let location = uploaded.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/exhibits/{number}-E001"));
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&sha256), "the page shows the SHA-256");
    assert!(page.contains("AI-tool prompt or chat log"));
    assert!(page.contains("registered."), "flash after upload");

    // A transfer from the custody form.
    let custody = app.url(&format!("{location}/custody"));
    let recorded = browser
        .post(&custody)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "transferred"),
            ("to_custodian", "Lab examiner M. Ortiz"),
            ("seal_number", "S-17"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), 303);
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("From SA Dana Reyes to Lab examiner M. Ortiz"));

    // Disposal needs the confirmation box; without it nothing is recorded.
    let before = app.snapshot();
    let unconfirmed =
        browser.post(&custody).form(&[("csrf_token", csrf.as_str()), ("action", "disposed")]).send().await.unwrap();
    assert_eq!(unconfirmed.status(), 422);
    assert!(unconfirmed.text().await.unwrap().contains("must be confirmed"));
    assert_eq!(app.snapshot(), before);

    // Verification from the page.
    let verified = browser
        .post(app.url(&format!("{location}/verify")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    assert!(verified.text().await.unwrap().contains("the file re-hashes to its recorded SHA-256"));

    // The proof bundle downloads from the page too.
    let bundle = browser.get(app.url(&format!("{location}/proof.json"))).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    let bundle: serde_json::Value = bundle.json().await.unwrap();
    assert_eq!(bundle["sha256"], sha256);

    // The incident page lists the exhibit.
    let page = browser.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("{number}-E001")));
}
