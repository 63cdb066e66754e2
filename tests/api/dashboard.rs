//! The dashboard after sign-in: my incidents, reviews waiting for me, the nearest deadlines,
//! exhibits whose verification failed and recent activity; on both backends.

use crate::common::{PASSWORD, TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    the_dashboard_shows_what_needs_attention,
    verification_history_grows_by_runs_and_changes_not_by_exhibits,
    the_impaired_list_is_bounded_and_resolved_problems_leave_it
);

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

    // A blob damaged on disk: the exhibit is impaired, and stays on the dashboard. (The
    // background SHA-1/MD5 pass is waited for first: reading the damaged file, it would record
    // the mismatch in the custody chain itself, which only a supervisor's resolution clears.)
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    let sha256 = upload["sha256"].as_str().unwrap();
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(sha256);
    std::fs::write(&blob, b"call recordinG").unwrap();
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], false);
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Exhibits whose custody is impaired") && html.contains(&format!("/exhibits/{exhibit}")));
    // Someone on no team of hers is told nothing of it, though the office now has one.
    let html = stranger.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Exhibits whose custody is impaired") && !html.contains(&exhibit), "{html}");
    // Restored and verified again: the alert clears.
    std::fs::write(&blob, b"call recording").unwrap();
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Exhibits whose custody is impaired"));
}

/// Rows of each verification table: runs, recorded results, last-verified times.
fn verification_rows(app: &TestApp) -> (i64, i64, i64) {
    use custos::db::schema::{exhibit_last_verified, exhibit_verifications, verification_runs};
    use diesel::prelude::*;
    let mut conn = app.conn();
    (
        verification_runs::table.count().get_result(&mut conn).unwrap(),
        exhibit_verifications::table.count().get_result(&mut conn).unwrap(),
        exhibit_last_verified::table.count().get_result(&mut conn).unwrap(),
    )
}

async fn verification_history_grows_by_runs_and_changes_not_by_exhibits(app: TestApp) {
    use custos::db::schema::{exhibit_last_verified, verification_runs};
    use diesel::prelude::*;
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let first: Value =
        app.upload(&dana, &number, sample_exhibit(), b"call recording".to_vec()).await.json().await.unwrap();
    let second: Value =
        app.upload(&dana, &number, sample_exhibit(), b"server log".to_vec()).await.json().await.unwrap();
    let exhibit = first["number"].as_str().unwrap().to_owned();
    // The files are damaged below only once the keeper has read them for their legacy digests
    // (a file it finds altered is a custody problem recorded for good).
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    app.wait_for_legacy_digests(&dana, second["number"].as_str().unwrap()).await;
    let verify = || crate::attacks::verify(&app, &[]).0;
    assert_eq!(verify(), 0);
    assert_eq!(verification_rows(&app), (1, 2, 2), "the first run records both results");
    assert_eq!(verify(), 0);
    assert_eq!(verification_rows(&app), (2, 2, 2), "a run that finds nothing new adds only itself");
    // Each exhibit's last verification is the latest run's, which the page states.
    let (latest_run, last_verified): (time::PrimitiveDateTime, Vec<time::PrimitiveDateTime>) = {
        let mut conn = app.conn();
        (
            verification_runs::table
                .select(diesel::dsl::max(verification_runs::finished_at))
                .first::<Option<_>>(&mut conn)
                .unwrap()
                .unwrap(),
            exhibit_last_verified::table.select(exhibit_last_verified::verified_at).load(&mut conn).unwrap(),
        )
    };
    assert!(last_verified.iter().all(|at| *at == latest_run), "{last_verified:?} against {latest_run}");
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let page = browser.get(app.url(&format!("/exhibits/{exhibit}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("last verified {}", custos::domain::format_time(latest_run))), "{page}");

    // Damaged: one row for the failure, and none for the same failure found again.
    let sha256 = first["sha256"].as_str().unwrap();
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(sha256);
    std::fs::write(&blob, b"call recordinG").unwrap();
    assert_eq!(verify(), 1);
    assert_eq!(verification_rows(&app), (3, 3, 2));
    assert_eq!(verify(), 1);
    assert_eq!(verification_rows(&app), (4, 3, 2), "the same failure again is not a new result");
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Exhibits whose custody is impaired") && html.contains(&format!("/exhibits/{exhibit}")));
    let page = browser.get(app.url(&format!("/exhibits/{exhibit}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("failed"), "{page}");

    // Restored: the intact result is recorded, and one exhibit verified alone is a run of its own.
    std::fs::write(&blob, b"call recording").unwrap();
    assert_eq!(verify(), 0);
    assert_eq!(verification_rows(&app), (5, 4, 2));
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Exhibits whose custody is impaired"));
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], true);
    assert_eq!(verification_rows(&app), (6, 4, 2));
    let covered: Vec<Option<String>> = {
        let mut conn = app.conn();
        verification_runs::table
            .order(verification_runs::finished_at.asc())
            .select(verification_runs::exhibit_id)
            .load(&mut conn)
            .unwrap()
    };
    assert!(covered[..5].iter().all(Option::is_none) && covered[5].is_some(), "{covered:?}");
    // The runs are kept as recorded.
    let mut conn = app.conn();
    assert!(diesel::sql_query("UPDATE verification_runs SET failed = 0").execute(&mut conn).is_err());
    assert!(diesel::sql_query("DELETE FROM verification_runs").execute(&mut conn).is_err());
}

/// The dashboard's impaired exhibits panel, as the HTML gives it.
fn impaired_panel(html: &str) -> &str {
    let Some(start) = html.find("id=\"impaired\"") else { return "" };
    let end = html[start..].find("</section>").map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The impaired list reads a bounded number of candidates and lists at most twelve, saying
/// that others exist; a problem a supervisor resolved is no longer a candidate.
async fn the_impaired_list_is_bounded_and_resolved_problems_leave_it(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let sam = app.user("sam", Role::Supervisor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "sam" })).await;
    let mut exhibits = Vec::new();
    for i in 0..14 {
        let upload: Value = app
            .upload(&dana, &number, sample_exhibit(), format!("seized drive {i}").into_bytes())
            .await
            .json()
            .await
            .unwrap();
        let exhibit = upload["number"].as_str().unwrap().to_owned();
        let discrepancy = json!({ "action": "discrepancy", "notes": format!("Seal of item {i} found broken") });
        assert_eq!(app.post(&dana, &format!("/api/v1/exhibits/{exhibit}/custody"), &discrepancy).await.status(), 201);
        exhibits.push(exhibit);
    }
    let resolve = |exhibit: &str| {
        let (app, sam, exhibit) = (&app, &sam, exhibit.to_owned());
        async move {
            let resolution = json!({ "action": "resolved", "notes": "Re-hashed: matches; broken in transit" });
            assert_eq!(app.post(sam, &format!("/api/v1/exhibits/{exhibit}/custody"), &resolution).await.status(), 201);
        }
    };
    resolve(&exhibits[0]).await;
    let browser = app.browser();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let panel = impaired_panel(&html);
    let listed: Vec<&String> = exhibits.iter().filter(|x| panel.contains(&format!("/exhibits/{x}\""))).collect();
    assert_eq!(listed, exhibits[1..13].iter().collect::<Vec<_>>(), "the first twelve unresolved, in number order");
    assert!(
        panel.contains(
            "12 are listed here; other exhibits have a failed latest verification or an unresolved custody problem too"
        ),
        "{panel}"
    );

    resolve(&exhibits[1]).await;
    resolve(&exhibits[2]).await;
    let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let panel = impaired_panel(&html);
    let listed: Vec<&String> = exhibits.iter().filter(|x| panel.contains(&format!("/exhibits/{x}\""))).collect();
    assert_eq!(listed, exhibits[3..].iter().collect::<Vec<_>>(), "all eleven left");
    assert!(!panel.contains("other exhibits"), "{panel}");
}
