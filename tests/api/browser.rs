//! The investigator's and prosecutor's day in a real browser: Debian's chromium, headless,
//! driven through chromedriver against the real app on port 0. Screenshots of each main page
//! are saved under `target/screenshots/` for inspection. Skipped where chromium or
//! chromedriver is missing, except under CI (`CI=true`).

use crate::common::{Backend, PASSWORD};
use custos::domain::user::Role;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but chromium or chromedriver is missing (.ci/run installs them)");
        }
        eprintln!("skipped: browser test (install chromium and chromium-driver)");
    }
    present
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { child, port }
}

async fn open_browser(driver: &Driver, profile: &std::path::Path) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM).unwrap();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1280,1000",
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display())).unwrap();
    WebDriver::new(format!("http://127.0.0.1:{}", driver.port), caps).await.expect("start chromium")
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// axe-core's browser script (npm `axe-core`, installed by .ci/run and named by
/// `CUSTOS_AXE_JS`), or None where it is missing outside CI.
fn axe_source() -> Option<String> {
    let path = std::env::var("CUSTOS_AXE_JS").ok().filter(|p| std::path::Path::new(p).exists());
    match path {
        Some(path) => Some(std::fs::read_to_string(path).unwrap()),
        None => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but CUSTOS_AXE_JS does not name axe.min.js (.ci/run installs axe-core)");
            }
            eprintln!("skipped: accessibility checks (set CUSTOS_AXE_JS to axe-core's axe.min.js)");
            None
        }
    }
}

/// Serious and critical accessibility violations on the current page (WCAG 2 A and AA rules),
/// or None where axe-core is unavailable.
async fn axe_violations(browser: &WebDriver) -> Option<Vec<String>> {
    let axe = axe_source()?;
    browser.execute(&axe, Vec::new()).await.unwrap();
    let result = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] })
                 .then(r => done(r.violations
                   .filter(v => v.impact === "serious" || v.impact === "critical")
                   .map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).join(", "))))
                 .catch(e => done(["axe failed: " + e]));"#,
            Vec::new(),
        )
        .await
        .unwrap();
    Some(result.convert().unwrap())
}

/// Saves a screenshot of the page and checks it has no serious or critical accessibility
/// violations.
async fn shot(browser: &WebDriver, name: &str) {
    browser.screenshot(&screenshots().join(format!("{name}.png"))).await.unwrap();
    if let Some(violations) = axe_violations(browser).await {
        assert!(violations.is_empty(), "{name}: serious or critical accessibility violations: {violations:#?}");
    }
}

async fn sign_in(browser: &WebDriver, base: &str, username: &str) {
    browser.goto(format!("{base}/login")).await.unwrap();
    browser.find(By::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    browser.find(By::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    click_through(browser, "button[type=submit]").await;
}

/// Clicks what `css` selects and waits until the browser has left the current page (a form
/// submission or a link), so that nothing is read from the page being replaced.
async fn click_through(browser: &WebDriver, css: &str) {
    let old = browser.find(By::Css("html")).await.unwrap();
    browser.find(By::Css(css)).await.unwrap().click().await.unwrap();
    for _ in 0..300 {
        match old.tag_name().await {
            Err(_) => {
                browser.find(By::Css("footer")).await.unwrap();
                return;
            }
            _ => actix_web::rt::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("clicking {css} did not leave the page");
}

async fn fill(browser: &WebDriver, id: &str, text: &str) {
    let field = browser.find(By::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn page_text(browser: &WebDriver) -> String {
    browser.find(By::Css("body")).await.unwrap().text().await.unwrap()
}

#[actix_web::test]
async fn investigator_and_prosecutor_work_a_case_in_the_browser() {
    if !browser_available() {
        return;
    }
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let base = app.address.clone();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path()).await;

    // The investigator signs in, lands on the dashboard and opens an incident from the form.
    sign_in(&browser, &base, "dana").await;
    shot(&browser, "dashboard-empty").await;
    assert!(page_text(&browser).await.contains("My incidents"));
    browser.goto(format!("{base}/incidents/new")).await.unwrap();
    fill(&browser, "title", "Voice-cloned CFO orders wire").await;
    fill(&browser, "summary", "A cloned voice of the CFO asked accounts payable for an urgent wire.").await;
    fill(&browser, "district", "N.D. Ill.").await;
    click_through(&browser, "button.primary").await;
    let heading = browser.find(By::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Voice-cloned CFO orders wire");
    let url = browser.current_url().await.unwrap();
    let number = url.path().trim_start_matches("/incidents/").to_owned();
    assert!(page_text(&browser).await.contains("Incident created") || page_text(&browser).await.contains(&number));
    // Paula joins the team from the incident page.
    browser.find(By::Css("#member-username option[value='paula']")).await.unwrap().click().await.unwrap();
    click_through(&browser, "form[action$='/members'] button").await;
    assert!(page_text(&browser).await.contains("paula"));
    shot(&browser, "incident").await;

    // Upload evidence through the form: the progress bar shows, then the exhibit page with its SHA-256.
    let evidence_dir = tempfile::tempdir().unwrap();
    let file = evidence_dir.path().join("call-recording.wav");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let (sha256, _, _) = crate::common::independent_digests(&bytes);
    browser.goto(format!("{base}/incidents/{number}/exhibits/new")).await.unwrap();
    browser.find(By::Css("#kind option[value='deepfake_media']")).await.unwrap().click().await.unwrap();
    fill(&browser, "description", "Recording of the cloned CFO's call").await;
    fill(&browser, "method", "Copy from the voicemail server, write-blocked").await;
    // Date-time inputs take typed text in the browser's locale; set the value directly.
    browser.execute("document.getElementById('acquired_at').value = '2026-03-01T10:00';", Vec::new()).await.unwrap();
    browser.find(By::Id("file")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    browser.find(By::Css("button.primary")).await.unwrap().click().await.unwrap();
    // The script sends the file with a progress bar, then follows the redirect to the exhibit.
    let progress = browser.find(By::Css("form[data-upload-progress] .progress")).await.unwrap();
    let _ = progress.attr("hidden").await;
    for _ in 0..200 {
        if browser.current_url().await.unwrap().path().starts_with("/exhibits/") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(browser.current_url().await.unwrap().path().starts_with("/exhibits/"), "the upload did not finish");
    let text = page_text(&browser).await;
    assert!(text.contains(&sha256), "the exhibit page shows the file's SHA-256");
    let exhibit = format!("{number}-E001");
    assert!(text.contains(&exhibit));

    // Record a transfer to the lab.
    browser.find(By::Css("#action option[value='transferred']")).await.unwrap().click().await.unwrap();
    fill(&browser, "to_custodian", "CART examiner L. Moreno").await;
    fill(&browser, "purpose", "Voice-clone analysis").await;
    click_through(&browser, "form.record button.primary").await;
    let text = page_text(&browser).await;
    assert!(
        text.contains("Transferred") && text.contains("To CART examiner L. Moreno")
            || text.contains("to CART examiner L. Moreno"),
        "{text}"
    );
    shot(&browser, "exhibit").await;

    // A count and a proposal (arranged through the API), then the coverage matrix.
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "WIRE", "concerns": "Wire of $1.24M", "offense_date": "2026-02-11" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/mappings"), &json!({ "count": 1, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "The cloned voice asks for the wire." })).await;
    let mapping: Value = r.json().await.unwrap();
    browser.goto(format!("{base}/incidents/{number}/coverage")).await.unwrap();
    assert!(page_text(&browser).await.contains("Count 1"));
    shot(&browser, "coverage").await;
    browser.delete_all_cookies().await.unwrap();

    // The prosecutor accepts the mapping from the review queue.
    sign_in(&browser, &base, "paula").await;
    browser.goto(format!("{base}/reviews")).await.unwrap();
    shot(&browser, "review-queue").await;
    let id = mapping["id"].as_str().unwrap();
    browser.find(By::Css(format!("#d-{id} option[value='accepted']"))).await.unwrap().click().await.unwrap();
    click_through(&browser, &format!("form[action='/mappings/{id}/review'] button")).await;
    assert!(page_text(&browser).await.contains("accepted"));
    let after: Value = app.get(&paula, &format!("/api/v1/mappings/{id}")).await.json().await.unwrap();
    assert_eq!(after["status"], "accepted");

    // Edit and save the memo, then export it as PDF.
    browser.goto(format!("{base}/incidents/{number}/memo")).await.unwrap();
    fill(&browser, "executive_summary", "A cloned voice of the CFO ordered a $1.24M wire.").await;
    click_through(&browser, "form[action$='/memos'] button.primary").await;
    let text = page_text(&browser).await;
    assert!(text.contains("Memo version 1 saved") && text.contains("A cloned voice of the CFO ordered a $1.24M wire."));
    shot(&browser, "memo").await;
    let link = browser.find(By::LinkText("Export PDF")).await.unwrap().attr("href").await.unwrap().unwrap();
    let cookies = browser.get_all_cookies().await.unwrap();
    let session = cookies.iter().find(|c| c.name == "custos_session").unwrap();
    let pdf = reqwest::Client::new()
        .get(format!("{base}{link}"))
        .header("Cookie", format!("custos_session={}", session.value))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    crate::common::qpdf_check(&bytes);

    // The prosecutor's dashboard, with the case on it.
    browser.goto(format!("{base}/")).await.unwrap();
    assert!(page_text(&browser).await.contains(&number));
    shot(&browser, "dashboard").await;

    // An offense outside the catalog, entered from its page, then the count form it leads to.
    browser.goto(format!("{base}/incidents/{number}/other-statutes")).await.unwrap();
    shot(&browser, "other-statutes").await;
    fill(&browser, "citation", "18 U.S.C. § 1956(h)").await;
    fill(&browser, "title", "Money-laundering conspiracy").await;
    fill(&browser, "max_years", "20").await;
    fill(&browser, "elements", "Two or more persons agreed to launder the proceeds.\nThe defendant joined willfully.")
        .await;
    click_through(&browser, "form[action$='/other-statutes'] button.primary").await;
    let text = page_text(&browser).await;
    assert!(text.contains("entered as OTHER-1") && text.contains("not from the built-in catalog"), "{text}");
    shot(&browser, "other-statute-count").await;

    // On a tablet (820 px wide, portrait) the pages reflow: no sideways scrolling.
    browser.set_window_rect(0, 0, 820, 1180).await.unwrap();
    for (path, name) in [
        (format!("{base}/incidents/{number}/coverage"), "tablet-coverage"),
        (format!("{base}/exhibits/{exhibit}"), "tablet-exhibit"),
    ] {
        browser.goto(path).await.unwrap();
        shot(&browser, name).await;
        let overflow: bool = browser
            .execute(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1;",
                Vec::new(),
            )
            .await
            .unwrap()
            .convert()
            .unwrap();
        assert!(!overflow, "{name}: the page is wider than the tablet's screen");
    }
    browser.set_window_rect(0, 0, 1280, 1000).await.unwrap();

    // An HTML file uploaded as evidence cannot run script when viewed: its script would set a
    // marker in Custos's origin and retitle the page; both must stay as they were.
    let mut lure = crate::common::sample_exhibit();
    lure["file_name"] = json!("lure.html");
    lure["media_type"] = json!("text/html");
    let html = b"<html><body><script>localStorage.setItem('custos-pwned','1');document.title='PWNED';</script><p>Pay now</p></body></html>";
    let r = app.upload(&dana, &number, lure, html.to_vec()).await;
    assert_eq!(r.status(), 201);
    let lure = r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    browser.goto(format!("{base}/exhibits/{lure}/view")).await.unwrap();
    assert_ne!(browser.title().await.unwrap(), "PWNED", "the file's script did not run");
    assert!(page_text(&browser).await.contains("<script>"), "the HTML is shown as text");
    browser.goto(format!("{base}/")).await.unwrap();
    let marker: Option<String> = browser
        .execute("return window.localStorage.getItem('custos-pwned');", Vec::new())
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(marker, None, "nothing reached Custos's origin");

    // The accessibility check does find problems: an input without a label is one.
    browser
        .execute("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=\"text\">');", Vec::new())
        .await
        .unwrap();
    if let Some(violations) = axe_violations(&browser).await {
        assert!(violations.iter().any(|v| v.starts_with("label")), "{violations:?}");
    }
    browser.quit().await.unwrap();
}

/// Rows of the tables in the page's main content.
async fn table_rows(browser: &WebDriver) -> usize {
    browser.find_all(By::Css("main table tbody tr")).await.unwrap().len()
}

/// The page's size in characters: what a page that grows without bound would show.
async fn html_size(browser: &WebDriver) -> usize {
    let size: i64 = browser
        .execute("return document.documentElement.outerHTML.length;", Vec::new())
        .await
        .unwrap()
        .convert()
        .unwrap();
    usize::try_from(size).unwrap()
}

/// A case of real size, 200 victims, 100 exhibits and 20 counts: the incident, evidence,
/// victims, coverage and memo pages list a page at a time, reach everything through their
/// pagers and links, and pass the accessibility checks at that size.
#[actix_web::test]
async fn a_case_of_real_size_reads_a_page_at_a_time() {
    if !browser_available() {
        return;
    }
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let base = app.address.clone();
    let started = std::time::Instant::now();

    // The record, arranged through the API: 200 victims from a sheet, 100 exhibits, 20 counts.
    let mut body = crate::common::sample_incident();
    body["victims"] = json!([]);
    let opened = app.open_incident(&dana, body).await;
    let number = opened["number"].as_str().unwrap().to_owned();
    let version = opened["version"].as_i64().unwrap();
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert!(r.status().is_success(), "{}", r.status());
    let mut sheet = String::from("name,kind,loss,gain,class_size,notes\n");
    for n in 1..=200 {
        sheet.push_str(&format!("Victim {n:03},individual,{}.00,,,\n", 1000 + n));
    }
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/incidents/{number}/victims/import?version={version}")))
        .bearer_auth(&dana.token)
        .header("content-type", "text/csv")
        .body(sheet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for n in 1..=100 {
        let mut meta = crate::common::sample_exhibit();
        meta["description"] = json!(format!("Wire confirmation {n:03}"));
        let r = app.upload(&dana, &number, meta, format!("wire {n}\n").into_bytes()).await;
        assert_eq!(r.status(), 201);
    }
    let defendant = app.defendant(&paula, &number, "Rowan Vale").await;
    for n in 1..=20 {
        let r = app
            .post(
                &paula,
                &format!("/api/v1/incidents/{number}/charges"),
                &json!({ "offense": "WIRE", "concerns": format!("Wire {n} of $41,800"), "offense_date": "2026-02-11", "defendants": [defendant] }),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    // Count 1's first element is offered by twelve exhibits, three accepted; each other count
    // by one.
    let mut offered = Vec::new();
    for (count, exhibit) in (1..=12).map(|e| (1, e)).chain((2..=20).map(|c| (c, 12 + c))) {
        let r = app
            .post(
                &dana,
                &format!("/api/v1/incidents/{number}/mappings"),
                &json!({ "count": count, "element": "WIRE-E1", "exhibit": format!("{number}-E{exhibit:03}"), "rationale": "The confirmation records the scheme's wire." }),
            )
            .await;
        assert_eq!(r.status(), 201);
        offered.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    for id in &offered[..3] {
        let r = app
            .post(
                &paula,
                &format!("/api/v1/mappings/{id}/review"),
                &json!({ "decision": "accepted", "comment": "Checked." }),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);

    eprintln!("arranged in {:?}", started.elapsed());
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path()).await;
    sign_in(&browser, &base, "paula").await;

    // The incident page: ten victims and ten exhibits, each list linking to the rest.
    browser.goto(format!("{base}/incidents/{number}")).await.unwrap();
    shot(&browser, "size-incident").await;
    let text = page_text(&browser).await;
    assert!(text.contains("200 victims"), "{text}");
    assert!(text.contains("190 more entries on the victims page"), "{text}");
    assert!(text.contains("All 100 exhibits on the evidence page"), "{text}");
    assert_eq!(browser.find_all(By::Css("section[aria-labelledby=evidence] tbody tr")).await.unwrap().len(), 10);
    let incident_size = html_size(&browser).await;
    eprintln!("incident page checked at {:?}", started.elapsed());

    // The evidence page, fifty at a time.
    click_through(&browser, "a[href$='/exhibits']").await;
    shot(&browser, "size-evidence").await;
    assert_eq!(table_rows(&browser).await, 50);
    let text = page_text(&browser).await;
    assert!(text.contains("100 exhibits, 1–50 shown") && text.contains("Page 1 of 2"), "{text}");
    click_through(&browser, "a[rel=next]").await;
    let text = page_text(&browser).await;
    assert!(text.contains(&format!("{number}-E100")) && !text.contains(&format!("{number}-E050 ")), "{text}");
    assert_eq!(table_rows(&browser).await, 50);

    // The victims page, fifty at a time.
    browser.goto(format!("{base}/incidents/{number}/victims")).await.unwrap();
    shot(&browser, "size-victims").await;
    assert!(page_text(&browser).await.contains("Page 1 of 4"));

    // Coverage: an overview of all twenty counts, then ten counts in full per page.
    browser.goto(format!("{base}/incidents/{number}/coverage")).await.unwrap();
    shot(&browser, "size-coverage").await;
    let glance = browser.find_all(By::Css("section[aria-labelledby=glance] tbody tr")).await.unwrap();
    assert_eq!(glance.len(), 20);
    let counts = browser.find_all(By::Css("section.charge")).await.unwrap();
    assert_eq!(counts.len(), 10);
    let text = page_text(&browser).await;
    assert!(text.contains("Counts page 1 of 2"), "{text}");
    // Count 1's first element lists six of its twelve exhibits and links to all of them.
    let more = browser.find(By::Css("#count-1 a[href*='element=WIRE-E1']")).await.unwrap();
    assert_eq!(more.text().await.unwrap(), "and 6 more");
    // The overview reaches a count on the second page.
    click_through(&browser, "section[aria-labelledby=glance] a[href$='#count-17']").await;
    assert!(browser.current_url().await.unwrap().as_str().contains("page=2"));
    browser.find(By::Id("count-17")).await.unwrap();
    assert_eq!(browser.find_all(By::Css("section.charge")).await.unwrap().len(), 10);
    shot(&browser, "size-coverage-page-2").await;
    browser.goto(format!("{base}/incidents/{number}/coverage")).await.unwrap();
    click_through(&browser, "#count-1 a[href*='element=WIRE-E1']").await;
    let text = page_text(&browser).await;
    assert!(text.contains("Exhibits offered for count 1, element WIRE-E1") && text.contains("12 exhibits"), "{text}");
    assert_eq!(table_rows(&browser).await, 12);
    shot(&browser, "size-offered").await;

    // The memo: contents first, the victims appendix fifty rows at a time.
    browser.goto(format!("{base}/incidents/{number}/memo")).await.unwrap();
    shot(&browser, "size-memo-home").await;
    browser.goto(format!("{base}/incidents/{number}/memos/1")).await.unwrap();
    shot(&browser, "size-memo").await;
    let contents = browser.find_all(By::Css("nav[aria-labelledby=contents] li a")).await.unwrap();
    assert!(contents.len() >= 10, "{}", contents.len());
    let appendix = browser.find(By::XPath("//nav[contains(., 'of 200')]")).await.unwrap();
    assert!(appendix.text().await.unwrap().contains("Rows 1–50 of 200"));
    let next = appendix.find(By::Css("a[rel=next]")).await.unwrap().attr("href").await.unwrap().unwrap();
    browser.goto(format!("{base}{next}")).await.unwrap();
    let appendix = browser.find(By::XPath("//nav[contains(., 'of 200')]")).await.unwrap();
    assert!(appendix.text().await.unwrap().contains("Rows 51–100 of 200"));
    assert!(page_text(&browser).await.contains("Victim 051") && !page_text(&browser).await.contains("Victim 050"));

    // A page does not grow with the record: ten times the victims and exhibits would add
    // nothing to the incident page beyond its totals.
    assert!(incident_size < 120_000, "the incident page is {incident_size} characters");
    browser.quit().await.unwrap();
}

/// AI evidence in the browser: an investigator parses an agent-run record from its exhibit
/// page and reads the timeline; a prosecutor opens a suggested mapping, filled in with the
/// step's span; the content credentials of an uploaded image show on its page. Each page is
/// screenshotted and checked with axe-core.
#[actix_web::test]
async fn an_agent_run_timeline_and_content_credentials_in_the_browser() {
    if !browser_available() {
        return;
    }
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let dana = app.user("dana", Role::Investigator);
    let paula = app.user("paula", Role::Prosecutor);
    let base = app.address.clone();
    let number =
        app.open_incident(&dana, crate::common::sample_incident()).await["number"].as_str().unwrap().to_owned();
    let r = app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "paula" })).await;
    assert!(r.status().is_success());
    let r = app
        .post(
            &paula,
            &format!("/api/v1/incidents/{number}/charges"),
            &json!({ "offense": "CFAA-A5A", "concerns": "Encryption of the servers" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let trace = crate::analyses::DEMO_TRACE.to_vec();
    let run =
        crate::analyses::upload_typed(&app, &dana, &number, "agent_trace", "export.json", "application/json", trace)
            .await;
    let run = run["number"].as_str().unwrap().to_owned();
    let signed = custos::analysis::credentials::sign_as_ai_generated(
        "image/png",
        &crate::analyses::png(),
        "test signer",
        "FaceForge",
    )
    .unwrap();
    let image =
        crate::analyses::upload_typed(&app, &dana, &number, "ai_generated_content", "face.png", "image/png", signed)
            .await;
    let image = image["number"].as_str().unwrap().to_owned();

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path()).await;
    sign_in(&browser, &base, "dana").await;
    browser.goto(format!("{base}/exhibits/{run}")).await.unwrap();
    click_through(&browser, "form[action$='/analyses'] input[value='agent_run'] ~ button").await;
    assert!(browser.current_url().await.unwrap().path().ends_with("/timeline"));
    let text = page_text(&browser).await;
    assert!(text.contains("Instruction, agent steps, effect"));
    assert!(text.contains("Get into Cascade Valley Health"));
    assert!(text.contains("ran exploit.run"));
    assert!(text.contains("span c100000000000002"));
    shot(&browser, "agent-run-timeline").await;

    // The prosecutor follows a suggestion: the mapping form opens filled in, nothing proposed.
    sign_in(&browser, &base, "paula").await;
    browser.goto(format!("{base}/exhibits/{run}/timeline")).await.unwrap();
    click_through(&browser, "section[aria-labelledby='suggested'] a.small").await;
    assert!(browser.current_url().await.unwrap().path().ends_with("/mappings/new"));
    let cite = browser.find(By::Id("pin_cite")).await.unwrap().value().await.unwrap().unwrap_or_default();
    assert_eq!(cite.len(), 16, "the step's span id: {cite}");
    shot(&browser, "mapping-from-agent-step").await;

    // The image's content credentials, read when it was uploaded.
    for _ in 0..100 {
        browser.goto(format!("{base}/exhibits/{image}")).await.unwrap();
        if page_text(&browser).await.contains("The manifest declares this content AI-generated.") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let text = page_text(&browser).await;
    assert!(text.contains("The manifest declares this content AI-generated."), "{text}");
    assert!(text.contains("The absence of content credentials proves nothing"));
    shot(&browser, "content-credentials").await;
    browser.quit().await.unwrap();
}
