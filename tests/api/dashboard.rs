//! The dashboard after sign-in: my incidents, reviews waiting for me, the nearest deadlines,
//! exhibits whose verification failed and recent activity; on both backends.

use crate::common::{PASSWORD, TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(the_dashboard_shows_what_needs_attention);

async fn the_dashboard_shows_what_needs_attention(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    app.user("olga", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    let upload: Value =
        app.upload(&dana, &number, sample_exhibit(), b"call recording".to_vec()).await.json().await.unwrap();
    let exhibit = upload["number"].as_str().unwrap().to_owned();
    app.post(
        &paula,
        &format!("/api/v1/incidents/{number}/charges"),
        &json!({ "offense": "WIRE", "concerns": "Wire", "offense_date": "2026-02-11" }),
    )
    .await;
    app.post(
        &dana,
        &format!("/api/v1/incidents/{number}/mappings"),
        &json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "The call." }),
    )
    .await;

    let browser = app.browser();
    app.sign_in(&browser, "paula", PASSWORD).await;
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("My incidents") && html.contains(&number));
    assert!(html.contains(&format!("{exhibit} → WIRE-E1")), "Dana's proposal waits for Paula");
    assert!(html.contains("2031-02-11"), "the count's deadline");
    assert!(html.contains("proposed") && html.contains("for WIRE-E1 on count 1"), "recent activity in words");
    assert!(!html.contains("Exhibits whose custody is impaired"));

    // A prosecutor on no team sees none of it.
    let stranger = app.browser();
    app.sign_in(&stranger, "olga", PASSWORD).await;
    let html = stranger.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(&number) && html.contains("You are on no incident yet."));

    // A blob damaged on disk: the exhibit is impaired, and stays on the dashboard.
    let sha256 = upload["sha256"].as_str().unwrap();
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(sha256);
    std::fs::write(&blob, b"call recordinG").unwrap();
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], false);
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Exhibits whose custody is impaired") && html.contains(&format!("/exhibits/{exhibit}")));
    // Restored and verified again: the alert clears.
    std::fs::write(&blob, b"call recording").unwrap();
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], true);
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Exhibits whose custody is impaired"));
}
