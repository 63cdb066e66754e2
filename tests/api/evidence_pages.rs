//! Evidence from the browser side: the upload form (multipart with CSRF), the custody form,
//! confirmation of irreversible events, and the verification button.

use crate::common::{PASSWORD, TestApp, independent_digests, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::json;

on_both_backends!(evidence_from_the_pages, the_evidence_list_pages_filters_and_narrows_to_an_element);

mod in_a_bucket {
    in_a_bucket_too!(evidence_from_the_pages);
}

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

/// The evidence page lists an incident's exhibits fifty at a time, by kind, or only those
/// offered for one element of one count (found by a sub-query, on both backends).
async fn the_evidence_list_pages_filters_and_narrows_to_an_element(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let number = incident["number"].as_str().unwrap().to_owned();
    for n in 1..=55 {
        let mut meta = sample_exhibit();
        if n % 5 == 0 {
            meta["kind"] = json!("ai_chat_log");
        }
        let r = app.upload(&dana, &number, meta, format!("exhibit {n}").into_bytes()).await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .post(
            &dana,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "The wire" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    for e in [3, 54] {
        let r = app
            .post(
                &dana,
                &format!("/api/v1/incidents/{number}/mappings"),
                &json!({ "count": 1, "element": "WIRE-E2", "exhibit": format!("{number}-E{e:03}"), "rationale": "Shows the scheme." }),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let get = |path: String| {
        let browser = browser.clone();
        let url = app.url(&path);
        async move {
            let r = browser.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let rows = |page: &str| page.matches("<tr><td class=\"mono\"><a href=\"/exhibits/").count();

    let (status, page) = get(format!("/incidents/{number}/exhibits")).await;
    assert_eq!(status, 200);
    assert_eq!(rows(&page), 50);
    assert!(page.contains("55 exhibits, 1–50 shown") && page.contains("Page 1 of 2"), "{page}");
    assert!(page.contains(&format!("{number}-E050")) && !page.contains(&format!("{number}-E051")));
    let (_, page) = get(format!("/incidents/{number}/exhibits?page=2")).await;
    assert_eq!(rows(&page), 5);
    assert!(page.contains(&format!("{number}-E055")) && !page.contains(&format!("{number}-E050<")));

    let (_, page) = get(format!("/incidents/{number}/exhibits?kind=ai_chat_log")).await;
    assert_eq!(rows(&page), 11, "{page}");
    assert!(page.contains(&format!("{number}-E005")) && !page.contains(&format!("{number}-E001<")));

    let (_, page) = get(format!("/incidents/{number}/exhibits?count=1&element=WIRE-E2")).await;
    assert_eq!(rows(&page), 2, "{page}");
    assert!(page.contains(&format!("{number}-E003")) && page.contains(&format!("{number}-E054")));
    let (_, page) = get(format!("/incidents/{number}/exhibits?count=1&element=WIRE-E1")).await;
    assert_eq!(rows(&page), 0);

    // The incident page lists ten and links to the rest.
    let (_, page) = get(format!("/incidents/{number}")).await;
    assert!(page.contains("All 55 exhibits on the evidence page"));

    // Bad filters are refused with a readable page.
    for bad in ["page=0", "page=x", "kind=spaceship", "element=WIRE-E1", "count=9&element=WIRE-E1"] {
        let (status, page) = get(format!("/incidents/{number}/exhibits?{bad}")).await;
        assert!(status == 400 || status == 404, "{bad}: {status}");
        assert!(page.contains("<html"), "{bad}: an HTML page");
    }
}
