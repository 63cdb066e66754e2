//! Charges and mappings from the browser side: the catalog pages, adding a count, proposing
//! evidence for a gap, a form shown again with its errors, and review from the queue.

use crate::common::{PASSWORD, TestApp, csrf_from, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(charging_from_the_pages);

async fn charging_from_the_pages(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"call recording".to_vec()).await.status(), 201);
    let exhibit = format!("{number}-E001");

    let investigator = app.browser();
    let csrf = app.sign_in(&investigator, "dana", PASSWORD).await;
    let get = |client: &reqwest::Client, path: String| {
        let url = app.url(&path);
        let client = client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // The catalog, with its verification labels.
    let (status, html) = get(&investigator, "/statutes".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Verify before relying") && html.contains("CFAA-A5A"));
    let (status, html) = get(&investigator, "/statutes/CFAA-A2".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains("label-UNVERIFIED"), "the viewing-as-obtaining point is flagged");
    let (_, html) = get(&investigator, "/statutes/CFAA-B".into()).await;
    assert!(html.contains("No overt-act element") && html.contains("Judge-made doctrine"));
    assert_eq!(get(&investigator, "/statutes/NOPE".into()).await.0, 404);

    // Add a wire-fraud count: the form for the offense, then the post.
    let (status, html) = get(&investigator, format!("/incidents/{number}/charges/new?offense=WIRE")).await;
    assert_eq!(status, 200);
    assert!(html.contains("WIRE-P1") && html.contains("affects_financial_institution"));
    let bad = investigator
        .post(app.url(&format!("/incidents/{number}/charges")))
        .form(&[("csrf_token", csrf.as_str()), ("offense", "WIRE"), ("concerns", ""), ("offense_date", "2026-02-11")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("say which victim, wire or means of identification"));
    assert!(html.contains("value=\"2026-02-11\""), "the typed date is kept");
    let added = investigator
        .post(app.url(&format!("/incidents/{number}/charges")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("offense", "WIRE"),
            ("concerns", "Wire of $4.18M"),
            ("offense_date", "2026-02-11"),
            ("penalty_facts", "WIRE-P1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);

    // The coverage matrix shows four gaps and the pleaded penalty fact, each with a link.
    let (status, html) = get(&investigator, format!("/incidents/{number}/coverage")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Count 1 added"), "flash after the action");
    assert!(html.contains("30 years"), "the pleaded financial-institution tier raises the maximum");
    assert_eq!(
        html.matches("<td><span class=\"cell cell-gap\">").count(),
        5,
        "four elements and the pleaded penalty fact"
    );
    assert!(html.contains(&format!("/incidents/{number}/mappings/new?count=1&amp;element=WIRE-E1")));

    // The exhibit page suggests elements from the exhibit's kind (deepfake media).
    let (_, html) = get(&investigator, format!("/exhibits/{exhibit}")).await;
    assert!(html.contains("Suggested elements") && html.contains("Count 1 · WIRE-E1"));

    // Propose from the gap: a bad pin cite is shown again with what was typed.
    let (status, html) = get(&investigator, format!("/incidents/{number}/mappings/new?count=1&element=WIRE-E1")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"1:WIRE-E1\" selected"));
    let form = |pin: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("target", "1:WIRE-E1".to_owned()),
            ("exhibit", exhibit.clone()),
            ("pin_kind", "timestamp".to_owned()),
            ("pin_cite", pin.to_owned()),
            ("rationale", "The cloned CFO asks for the urgent wire at 00:01:23.".to_owned()),
            ("back", format!("/incidents/{number}/coverage")),
        ]
    };
    let before = app.snapshot();
    let bad =
        investigator.post(app.url(&format!("/incidents/{number}/mappings"))).form(&form("soon")).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("a media time is hh:mm:ss"));
    assert!(html.contains("The cloned CFO asks for the urgent wire"), "the rationale is kept");
    assert_eq!(app.snapshot(), before);
    let proposed = investigator
        .post(app.url(&format!("/incidents/{number}/mappings")))
        .form(&form("00:01:23"))
        .send()
        .await
        .unwrap();
    assert_eq!(proposed.status(), 303);
    let (_, html) = get(&investigator, format!("/incidents/{number}/coverage")).await;
    assert!(
        html.contains("It waits for a prosecutor&#39;s review") || html.contains("It waits for a prosecutor's review")
    );
    assert_eq!(html.matches("<td><span class=\"cell cell-proposed\">").count(), 1);

    // The investigator's queue is empty: they do not review.
    let (_, html) = get(&investigator, "/reviews".into()).await;
    assert!(html.contains("Only prosecutors and supervisors review mappings."));

    // The prosecutor reviews from the queue; rejecting without a reason is refused.
    let prosecutor = app.browser();
    app.sign_in(&prosecutor, "paula", PASSWORD).await;
    let (_, queue) = get(&prosecutor, "/reviews".into()).await;
    let csrf = csrf_from(&queue[queue.find("/review\"").unwrap() - 200..]);
    let mappings: Value = app.get(&dana, &format!("/api/v1/incidents/{number}/mappings")).await.json().await.unwrap();
    let id = mappings["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(queue.contains(&format!("/mappings/{id}/review")));
    let refused = prosecutor
        .post(app.url(&format!("/mappings/{id}/review")))
        .form(&[("csrf_token", csrf.as_str()), ("decision", "rejected"), ("comment", ""), ("back", "/reviews")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("say why"));
    let accepted = prosecutor
        .post(app.url(&format!("/mappings/{id}/review")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("decision", "accepted"),
            ("comment", "Heard it."),
            ("back", "/reviews"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    assert_eq!(accepted.headers()["location"], "/reviews");
    let (_, queue) = get(&prosecutor, "/reviews".into()).await;
    assert!(queue.contains("accepted") && queue.contains("Nothing waits for your review."));
    let (_, html) = get(&prosecutor, format!("/mappings/{id}")).await;
    assert!(html.contains("Accepted") && html.contains("Heard it."));
    let (_, html) = get(&investigator, format!("/incidents/{number}/coverage")).await;
    assert_eq!(html.matches("<td><span class=\"cell cell-proven\">").count(), 1);

    // The incident list shows the count's limitation deadline: five years, as the box for a
    // financial institution was not ticked.
    let (_, html) = get(&prosecutor, "/incidents".into()).await;
    assert!(html.contains("Nearest limitation deadlines") && html.contains("2031-02-11"), "{html}");
}
