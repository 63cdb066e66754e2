//! Sessions that end: signing out ends the session on the server (a copied cookie no longer
//! works), administrators list and revoke sessions, disabling an account ends its sessions
//! and tokens at once, tokens are revoked by id, and failed sign-ins are throttled and kept
//! in the audit trail. On both backends.

use crate::common::{PASSWORD, TestApp};
use custos::domain::user::Role;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use std::sync::Arc;

on_both_backends!(
    a_copied_cookie_stops_working_when_its_session_ends,
    rapid_wrong_passwords_are_throttled_and_recorded,
    disabling_an_account_ends_its_sessions_and_tokens
);

/// A browser whose cookies the test can read, to replay them elsewhere.
fn browser_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

/// What a page request with exactly this Cookie header gets: 200, or 303 to the sign-in.
async fn with_cookie(app: &TestApp, cookie: &str) -> u16 {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client.get(app.url("/incidents")).header("Cookie", cookie).send().await.unwrap().status().as_u16()
}

fn cookie_of(app: &TestApp, jar: &reqwest::cookie::Jar) -> String {
    let url: reqwest::Url = app.url("/").parse().unwrap();
    jar.cookies(&url).unwrap().to_str().unwrap().to_owned()
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    use custos::db::schema::audit_events;
    use diesel::prelude::*;
    audit_events::table.filter(audit_events::action.eq(action)).count().get_result(&mut app.conn()).unwrap()
}

async fn a_copied_cookie_stops_working_when_its_session_ends(app: TestApp) {
    app.user("dana", Role::Investigator);
    let root = app.user("root", Role::Admin);
    let (browser, jar) = browser_with_jar();
    let csrf = app.sign_in(&browser, "dana", PASSWORD).await;
    let copied = cookie_of(&app, &jar);
    assert_eq!(with_cookie(&app, &copied).await, 200, "the copied cookie works while the session lives");

    // Signing out ends the session on the server: the copy no longer works.
    let r = browser.post(app.url("/logout")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(with_cookie(&app, &copied).await, 303, "a replayed cookie after sign-out was accepted");

    // An administrator sees live sessions and ends one.
    let (second, jar) = browser_with_jar();
    app.sign_in(&second, "dana", PASSWORD).await;
    let copied = cookie_of(&app, &jar);
    let dana = app.user("dana2", Role::Investigator);
    assert_eq!(app.get(&dana, "/api/v1/sessions").await.status(), 403, "only administrators list sessions");
    let live: Value = app.get(&root, "/api/v1/sessions").await.json().await.unwrap();
    let items = live["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{live}");
    assert_eq!(items[0]["username"], "dana");
    let id = items[0]["id"].as_str().unwrap();
    let r = app.post(&root, &format!("/api/v1/sessions/{id}/revoke"), &serde_json::json!({})).await;
    assert_eq!(r.status(), 204);
    assert_eq!(with_cookie(&app, &copied).await, 303, "a revoked session still works");
    assert_eq!(app.post(&root, &format!("/api/v1/sessions/{id}/revoke"), &serde_json::json!({})).await.status(), 404);
    assert_eq!(audit_count(&app, "session.revoked"), 1);
}

async fn rapid_wrong_passwords_are_throttled_and_recorded(app: TestApp) {
    app.user("dana", Role::Investigator);
    let (browser, _) = browser_with_jar();
    let page = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::common::csrf_from(&page);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..20 {
        let r = browser
            .post(app.url("/login"))
            .form(&[("csrf_token", csrf.as_str()), ("username", "dana"), ("password", "wrong password here")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    }
    assert_eq!(statuses[0], 401);
    assert_eq!(statuses[19], 429, "the 20th rapid wrong password: {statuses:?}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&seconds), "{seconds}");
    // While the address waits, even the right password is not tried.
    let r = browser
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "dana"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Each refused password is an audit record (throttled attempts check no password).
    let failures = audit_count(&app, "user.sign_in_failed");
    assert!((5..20).contains(&failures), "{failures} failed sign-ins recorded");
}

async fn disabling_an_account_ends_its_sessions_and_tokens(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let (browser, jar) = browser_with_jar();
    app.sign_in(&browser, "dana", PASSWORD).await;
    let copied = cookie_of(&app, &jar);
    assert_eq!(app.get(&dana, "/api/v1/incidents").await.status(), 200);

    // A second token, revoked by its id as printed when it was made.
    let made = app.custos(&["token", "create", "--username", "dana"]);
    assert!(made.status.success());
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    let stderr = String::from_utf8(made.stderr).unwrap();
    let id = stderr.split_whitespace().nth(2).unwrap().to_owned();
    let by_token = |token: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/incidents");
        async move { client.get(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(by_token(token.clone()).await, 200);
    let revoked = app.custos(&["token", "revoke", &id]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(by_token(token).await, 401);
    assert_eq!(app.custos(&["token", "revoke", &id]).status.code(), Some(1), "already revoked");

    let disabled = app.custos(&["user", "disable", "--username", "dana"]);
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stderr));
    assert!(String::from_utf8_lossy(&disabled.stdout).contains("1 sessions ended"));
    assert_eq!(with_cookie(&app, &copied).await, 303, "a disabled account's session still works");
    assert_eq!(app.get(&dana, "/api/v1/incidents").await.status(), 401, "a disabled account's token still works");
    let (again, _) = browser_with_jar();
    let page = again.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::common::csrf_from(&page);
    let r = again
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "dana"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a disabled account signed in");
    assert_eq!(audit_count(&app, "user.disabled"), 1);
}
