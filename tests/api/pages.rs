//! The browser side: sign-in, sessions, CSRF, forms that keep what was typed, headers.

use crate::common::{PASSWORD, TestApp, csrf_from};
use custos::domain::user::Role;

on_both_backends!(
    sign_in_and_out,
    forms_without_the_csrf_token_are_refused,
    incident_forms_create_edit_and_keep_typed_input,
    health_headers_and_error_pages,
);

async fn sign_in_and_out(app: TestApp) {
    app.user("marcus", Role::Prosecutor);
    let browser = app.browser();

    // Signed out: pages redirect to the sign-in page.
    let response = browser.get(app.url("/incidents")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");

    let login = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_from(&login);
    let wrong = browser
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "marcus"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("Unknown username or wrong password"));
    assert!(page.contains("value=\"marcus\""), "the username is kept");
    assert_eq!(browser.get(app.url("/incidents")).send().await.unwrap().status(), 303);

    let csrf = app.sign_in(&browser, "marcus", PASSWORD).await;
    let list = browser.get(app.url("/incidents")).send().await.unwrap();
    assert_eq!(list.status(), 200);
    assert!(list.text().await.unwrap().contains("marcus"));

    let out = browser.post(app.url("/logout")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(browser.get(app.url("/incidents")).send().await.unwrap().status(), 303, "signed out");
}

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    app.user("dana", Role::Investigator);
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "dana", PASSWORD).await;
    let before = app.snapshot();

    let form = [("title", "Forged incident"), ("summary", "posted from another site")];
    let missing = browser.post(app.url("/incidents")).form(&form).send().await.unwrap();
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("Form expired"));
    let wrong = browser
        .post(app.url("/incidents"))
        .form(&[("csrf_token", "not-the-token"), ("title", "Forged incident")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    // Another browser's valid token does not work in this session either.
    let other = app.browser();
    let other_token = csrf_from(&other.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
    let crossed = browser
        .post(app.url("/incidents"))
        .form(&[("csrf_token", other_token.as_str()), ("title", "Forged incident")])
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), 403);
    // Nor does sign-in without one.
    let login = app
        .browser()
        .post(app.url("/login"))
        .form(&[("username", "dana"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403);
    assert_eq!(app.snapshot(), before);

    let accepted = browser
        .post(app.url("/incidents"))
        .form(&[("csrf_token", csrf.as_str()), ("title", "Real incident")])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
}

async fn incident_forms_create_edit_and_keep_typed_input(app: TestApp) {
    app.user("dana", Role::Investigator);
    app.user("marcus", Role::Prosecutor);
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "dana", PASSWORD).await;
    let before = app.snapshot();

    // Invalid: every problem shown, typed values kept, nothing stored.
    let invalid = browser
        .post(app.url("/incidents"))
        .body(format!(
            "csrf_token={csrf}&title=&summary=Typed+summary&district=N.D.+Cal.&ai_modalities=deepfake_impersonation\
             &victim_name=Acme+Corp&victim_kind=business&victim_loss=12.345&subject_name=&subject_description=\
             &first_offense_date=2026-13-01&last_offense_date="
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let page = invalid.text().await.unwrap();
    assert!(page.contains("Title is required"), "{page}");
    assert!(page.contains("First offense date &#39;2026-13-01&#39; is not a date") || page.contains("is not a date"));
    assert!(page.contains("Victim 1: estimated loss"));
    assert!(page.contains("Typed summary"));
    assert!(page.contains("value=\"Acme Corp\""));
    assert!(page.contains("value=\"deepfake_impersonation\" checked"));
    assert_eq!(app.snapshot(), before);

    let created = browser
        .post(app.url("/incidents"))
        .body(format!(
            "csrf_token={csrf}&title=Deepfake+CFO+call&summary=Cloned+voice&district=N.D.+Cal.&ai_modalities=deepfake_impersonation\
             &ai_modalities=ai_phishing&victim_name=Acme+Corp&victim_kind=business&victim_loss=250%2C000\
             &victim_gain=more+than+100000&victim_class_size=&victim_notes=Wire+of+2026-03-04\
             &victim_name=&victim_kind=&victim_loss=&first_offense_date=in+or+about+March+2026&last_offense_date=2026-03-04"
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Deepfake CFO call"));
    assert!(page.contains("<td class=\"num\">$250,000</td>"), "{page}");
    assert!(page.contains("more than $100,000"), "the gain, kept apart from the loss: {page}");
    assert!(page.contains("from in or about March 2026 through 2026-03-04"), "{page}");
    assert!(page.contains("Deepfake voice or video impersonation"));
    assert!(page.contains("opened."), "flash after creating");

    // Add a member from the page.
    let added = browser
        .post(app.url(&format!("{location}/members")))
        .form(&[("csrf_token", csrf.as_str()), ("username", "marcus")])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("marcus added to the team"));

    // Edit: the form carries the version; a second, stale submission is refused.
    let edit = browser.get(app.url(&format!("{location}/edit"))).send().await.unwrap().text().await.unwrap();
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let save = |title: &'static str, status: &'static str| {
        browser
            .post(app.url(&format!("{location}/edit")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("version", "1"),
                ("title", title),
                ("status", status),
                ("victim_name", "Acme Corp"),
                ("victim_kind", "business"),
                ("victim_loss", "250000"),
            ])
            .send()
    };
    assert_eq!(save("Deepfake CFO call, N.D. Cal.", "investigating").await.unwrap().status(), 303);
    let before = app.snapshot();
    let stale = save("Someone else's older view", "intake").await.unwrap();
    assert_eq!(stale.status(), 422);
    let page = stale.text().await.unwrap();
    assert!(page.contains("Someone else saved incident"));
    assert!(
        page.contains("Someone else&#39;s older view") || page.contains("Someone else's older view"),
        "typed title kept"
    );
    assert_eq!(app.snapshot(), before);
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Deepfake CFO call, N.D. Cal."));
    assert!(page.contains("Investigating"));
}

async fn health_headers_and_error_pages(app: TestApp) {
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = match app.backend {
        crate::common::Backend::Sqlite => "sqlite",
        crate::common::Backend::Postgres => "postgresql",
    };
    assert_eq!(body["database"]["backend"], expected);
    assert_eq!(body["evidence_store"], serde_json::json!({ "kind": "directory", "status": "ok" }));
    // An evidence store that stops answering takes the instance out of the balancer's rotation.
    let folder = app.data_dir.path().join("blobs").join("sha256");
    std::fs::rename(&folder, folder.with_extension("away")).unwrap();
    let down = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["evidence_store"]["status"].as_str()),
        (Some("unavailable"), Some("unreachable"))
    );
    std::fs::rename(folder.with_extension("away"), &folder).unwrap();

    let login = app.client.get(app.url("/login")).send().await.unwrap();
    let headers = login.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));

    let css = app.client.get(app.url("/static/custos.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));

    let missing = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let api_missing = app.client.get(app.url("/api/v1/no-such-route")).send().await.unwrap();
    assert_eq!(api_missing.status(), 404);
    assert_eq!(api_missing.headers()["content-type"], "application/problem+json");
}
