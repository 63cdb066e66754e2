//! The harness: every test starts the real application on port 0 with its own database, a
//! fresh SQLite file, or a fresh PostgreSQL database when `CUSTOS_TEST_PG_URL` is set.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use custos::config::{FileSettings, Overrides, Settings};
use custos::db::{DbConnection, DbPool};
use custos::domain::user::{NewPassword, Role};
use custos::startup::{self, Application};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The PostgreSQL server for tests, if any. Under CI (`CI=true`) it must be configured.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("CUSTOS_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but CUSTOS_TEST_PG_URL is not set: PostgreSQL tests must run under CI");
            }
            eprintln!("skipped: PostgreSQL test (set CUSTOS_TEST_PG_URL to run it)");
            None
        }
    }
}

/// A database of its own for one test, dropped when the test ends.
pub struct PgTestDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgTestDatabase {
    pub fn create() -> Option<PgTestDatabase> {
        let admin_url = pg_admin_url()?;
        let name = format!("custos_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).expect("connect to CUSTOS_TEST_PG_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
        let url = format!("{base}/{name}");
        Some(PgTestDatabase { admin_url, name, url })
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub pool: DbPool,
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub database_url: Option<String>,
    pub settings: Settings,
    _pg: Option<PgTestDatabase>,
}

/// Settings for a test: port 0, one worker, a temporary data directory.
pub fn test_settings(data_dir: &std::path::Path, database_url: Option<String>) -> Settings {
    let overrides = Overrides {
        data_dir: Some(data_dir.to_path_buf()),
        database_url,
        bind: Some("127.0.0.1:0".into()),
        workers: Some(1),
        pool_size: Some(4),
        log: Some("warn".into()),
        ..Default::default()
    };
    Settings::resolve(FileSettings::default(), overrides).unwrap()
}

/// With `TEST_LOG` set (to `1`, or to a filter such as `custos=debug`), the server's logs go
/// to the test's captured output, which the harness prints when the test fails: a 500 shows
/// its cause there. Set up once per test binary.
pub fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(value) = std::env::var("TEST_LOG") else { return };
        let filter = if value.trim().is_empty() || value == "1" || value == "true" { "info" } else { value.as_str() };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

/// Starts the app, or returns `None` when the backend is not available here (PostgreSQL
/// without `CUSTOS_TEST_PG_URL`, outside CI).
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with_pool(backend, 4).await
}

/// The same, with a pool of `pool_size` connections (1 shows whether long work holds one).
pub async fn spawn_with_pool(backend: Backend, pool_size: u32) -> Option<TestApp> {
    init_test_log();
    let data_dir = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Postgres => Some(PgTestDatabase::create()?),
        Backend::Sqlite => None,
    };
    let mut settings = test_settings(data_dir.path(), pg.as_ref().map(|p| p.url.clone()));
    settings.pool_size = pool_size;
    Some(start(settings, data_dir, backend, pg))
}

fn start(settings: Settings, data_dir: tempfile::TempDir, backend: Backend, pg: Option<PgTestDatabase>) -> TestApp {
    let pool = startup::open_database(&settings).unwrap();
    let app = Application::build_with_pool(settings.clone(), pool.clone()).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let database_url = pg.as_ref().map(|p| p.url.clone());
    TestApp { address, pool, backend, data_dir, client, database_url, settings, _pg: pg }
}

/// The S3-compatible bucket for tests (`CUSTOS_TEST_S3`, e.g. `s3://custos-test`, with the
/// endpoint and keys in the `AWS_*` variables), as a fresh prefix of its own for one test. Under
/// CI it must be configured; elsewhere a test without it is skipped.
pub fn bucket_for_test() -> Option<String> {
    match std::env::var("CUSTOS_TEST_S3") {
        Ok(base) if !base.trim().is_empty() => {
            Some(format!("{}/test-{}", base.trim().trim_end_matches('/'), uuid::Uuid::new_v4().simple()))
        }
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but CUSTOS_TEST_S3 is not set: the object-storage tests must run under CI");
            }
            eprintln!("skipped: object-storage test (set CUSTOS_TEST_S3 and the AWS_* variables to run it)");
            None
        }
    }
}

/// Starts the app as a stateless instance: PostgreSQL, evidence in a bucket of its own, and
/// keys given by file (as every instance of a deployment is given the same). `None` where
/// PostgreSQL or the bucket is not configured here (outside CI).
pub async fn spawn_on_bucket() -> Option<TestApp> {
    init_test_log();
    let bucket = bucket_for_test()?;
    let pg = PgTestDatabase::create()?;
    let data_dir = tempfile::tempdir().unwrap();
    let keys = data_dir.path().join("keys");
    startup::generate_keys(&keys).unwrap();
    let mut settings = test_settings(&data_dir.path().join("unused"), Some(pg.url.clone()));
    settings.blob_store = Some(bucket);
    settings.ledger_key_file = Some(keys.join("ledger.key"));
    settings.session_key_file = Some(keys.join("session.key"));
    Some(start(settings, data_dir, Backend::Postgres, Some(pg)))
}

/// Starts `custos serve --demo` as a process of its own on a free port, on `data_dir` (and
/// PostgreSQL at `database_url`, if given); returns the process and the URL it serves.
pub fn serve_demo(data_dir: &std::path::Path, database_url: Option<&str>) -> (std::process::Child, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_custos"));
    command
        .env_remove("DATABASE_URL")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--log", "warn"])
        .stderr(std::process::Stdio::null());
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    serving(command)
}

/// Starts a `custos serve` command (its stdout piped) and returns the process and the URL it
/// says it serves.
pub fn serving(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = command.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let url = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("Custos is serving on ").map(|u| u.trim().trim_end_matches('/').to_owned()))
        .expect("no serving line");
    (child, url)
}

/// Runs a scenario against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[actix_web::test]
                async fn sqlite() {
                    if let Some(app) = $crate::common::spawn($crate::common::Backend::Sqlite).await {
                        super::$scenario(app).await;
                    }
                }
                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = $crate::common::spawn($crate::common::Backend::Postgres).await {
                        super::$scenario(app).await;
                    }
                }
            }
        )*
    };
}

/// Runs a scenario once more on a stateless instance: PostgreSQL, evidence in a bucket.
#[macro_export]
macro_rules! in_a_bucket_too {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[actix_web::test]
                async fn postgres_and_a_bucket() {
                    if let Some(app) = $crate::common::spawn_on_bucket().await {
                        super::super::$scenario(app).await;
                    }
                }
            }
        )*
    };
}

/// A user with an API token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub token: String,
}

impl TestApp {
    /// Starts a second server on this app's database and data directory, as a restart would
    /// (running every start-up check again), and returns its address.
    pub fn restart(&self) -> Result<String, String> {
        let app = Application::build_with_pool(self.settings.clone(), self.pool.clone())?;
        let address = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        Ok(address)
    }

    pub fn conn(&self) -> diesel::r2d2::PooledConnection<custos::db::ConnectionManager> {
        self.pool.get().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn user(&self, username: &str, role: Role) -> TestUser {
        let mut conn = self.conn();
        custos::services::users::create(
            &mut conn,
            None,
            username,
            username,
            role,
            NewPassword::parse(PASSWORD.into()).unwrap(),
        )
        .unwrap();
        let token = custos::services::users::create_token(&mut conn, username).unwrap();
        TestUser { username: username.to_owned(), token }
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&user.token).send().await.unwrap()
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(&user.token).json(body).send().await.unwrap()
    }

    pub async fn patch(&self, user: &TestUser, path: &str, body: &Value) -> reqwest::Response {
        self.client.patch(self.url(path)).bearer_auth(&user.token).json(body).send().await.unwrap()
    }

    /// Opens an incident through the API and returns its JSON.
    pub async fn open_incident(&self, user: &TestUser, body: Value) -> Value {
        let response = self.post(user, "/api/v1/incidents", &body).await;
        assert_eq!(response.status(), 201, "create failed: {}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// Runs the `custos` binary against this app's data directory and database.
    pub fn custos(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().unwrap()
    }

    /// The `custos` binary, set to this app's data directory, database, evidence store and keys.
    pub fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_custos"));
        command
            .env_remove("DATABASE_URL")
            .env_remove("CUSTOS_CONFIG")
            .env_remove("CUSTOS_BLOB_STORE")
            .arg("--data-dir")
            .arg(&self.settings.data_dir);
        if let Some(url) = &self.database_url {
            command.arg("--database-url").arg(url);
        }
        if let Some(bucket) = &self.settings.blob_store {
            command.arg("--blob-store").arg(bucket);
        }
        if let Some(key) = &self.settings.ledger_key_file {
            command.arg("--ledger-key-file").arg(key);
        }
        if let Some(key) = &self.settings.session_key_file {
            command.arg("--session-key-file").arg(key);
        }
        command
    }

    /// Records a charged defendant on the incident and returns their id, for counts to charge.
    pub async fn defendant(&self, user: &TestUser, incident: &str, name: &str) -> String {
        let r = self
            .post(
                user,
                &format!("/api/v1/incidents/{incident}/people"),
                &serde_json::json!({ "name": name, "role": "defendant" }),
            )
            .await;
        assert_eq!(r.status(), 201, "adding the defendant {name}");
        r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `bytes` as multipart (a `metadata` part, then a `file` part).
    pub async fn upload(&self, user: &TestUser, incident: &str, metadata: Value, bytes: Vec<u8>) -> reqwest::Response {
        self.upload_as(user, incident, metadata, "evidence.bin", None, bytes).await
    }

    /// Uploads `bytes` as multipart, the file part named `name` and, where given, of media
    /// type `mime` (as a browser or an evidence tool sends it).
    pub async fn upload_as(
        &self,
        user: &TestUser,
        incident: &str,
        metadata: Value,
        name: &str,
        mime: Option<&str>,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut file = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        if let Some(mime) = mime {
            file = file.mime_str(mime).unwrap();
        }
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(metadata.to_string()).mime_str("application/json").unwrap(),
            )
            .part("file", file);
        self.client
            .post(self.url(&format!("/api/v1/incidents/{incident}/exhibits")))
            .bearer_auth(&user.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Waits (up to ten seconds) for the background pass to add SHA-1 and MD5.
    pub async fn wait_for_legacy_digests(&self, user: &TestUser, exhibit: &str) -> Value {
        for _ in 0..100 {
            let body: Value = self.get(user, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
            if !body["sha1"].is_null() {
                return body;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the background digest pass did not run for {exhibit}");
    }

    /// Row counts of every table a request could change, to prove that one changed nothing.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        let mut conn = self.conn();
        table_counts(&mut conn)
    }

    /// A browser: keeps cookies, follows no redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Signs `browser` in and returns the session's CSRF token.
    pub async fn sign_in(&self, browser: &reqwest::Client, username: &str, password: &str) -> String {
        let page = browser.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_from(&page);
        let response = browser
            .post(self.url("/login"))
            .form(&[("csrf_token", csrf.as_str()), ("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "sign-in of {username} failed");
        let page = browser.get(self.url("/incidents")).send().await.unwrap().text().await.unwrap();
        csrf_from(&page)
    }
}

pub fn table_counts(conn: &mut DbConnection) -> Vec<(String, i64)> {
    use custos::db::schema::*;
    use diesel::prelude::*;
    vec![
        ("users".into(), users::table.count().get_result(conn).unwrap()),
        ("api_tokens".into(), api_tokens::table.count().get_result(conn).unwrap()),
        ("incidents".into(), incidents::table.count().get_result(conn).unwrap()),
        ("incident_ai_modalities".into(), incident_ai_modalities::table.count().get_result(conn).unwrap()),
        ("victims".into(), victims::table.count().get_result(conn).unwrap()),
        ("subjects".into(), subjects::table.count().get_result(conn).unwrap()),
        ("incident_members".into(), incident_members::table.count().get_result(conn).unwrap()),
        ("audit_events".into(), audit_events::table.count().get_result(conn).unwrap()),
        ("exhibits".into(), exhibits::table.count().get_result(conn).unwrap()),
        ("custody_events".into(), custody_events::table.count().get_result(conn).unwrap()),
        ("ledger_leaves".into(), ledger_leaves::table.count().get_result(conn).unwrap()),
        ("exhibit_tags".into(), exhibit_tags::table.count().get_result(conn).unwrap()),
        ("charges".into(), charges::table.count().get_result(conn).unwrap()),
        ("mappings".into(), mappings::table.count().get_result(conn).unwrap()),
        ("mapping_reviews".into(), mapping_reviews::table.count().get_result(conn).unwrap()),
        ("memo_versions".into(), memo_versions::table.count().get_result(conn).unwrap()),
        ("memo_approvals".into(), memo_approvals::table.count().get_result(conn).unwrap()),
        ("exhibit_verifications".into(), exhibit_verifications::table.count().get_result(conn).unwrap()),
        ("verification_runs".into(), verification_runs::table.count().get_result(conn).unwrap()),
        ("exhibit_last_verified".into(), exhibit_last_verified::table.count().get_result(conn).unwrap()),
    ]
}

/// The CSRF token in a page's first form.
pub fn csrf_from(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).unwrap_or_else(|| panic!("no CSRF token in page:\n{page}")) + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_owned()
}

pub fn sample_incident() -> Value {
    serde_json::json!({
        "title": "Deepfake CFO call directs wire transfer",
        "summary": "A cloned voice of the CFO ordered an urgent transfer.",
        "district": "N.D. Ill.",
        "ai_modalities": ["deepfake_impersonation", "ai_phishing"],
        "victims": [{ "name": "Lakeshore Precision LLC", "kind": "business", "estimated_loss_usd": "4180000.00" }],
        "subjects": [{ "name": "Unknown operator", "description": "Registered the lookalike domain." }],
        "first_offense_date": "2026-02-09",
        "last_offense_date": "2026-02-11"
    })
}

pub fn sample_exhibit() -> Value {
    serde_json::json!({
        "kind": "deepfake_media",
        "description": "Recording of the video call with the cloned CFO",
        "source": "Lakeshore Precision conference-room recorder",
        "acquisition": {
            "method": "Logical copy from the recorder's export, write-blocked",
            "tool": "FTK Imager 4.7.1",
            "acquired_by": "SA Dana Reyes",
            "acquired_at": "2026-02-12T15:30:00Z",
            "location": "Chicago Field Office, evidence room 2",
            "legal_authority": "Consent of Lakeshore Precision; grand jury subpoena 26-GJ-114"
        }
    })
}

/// Hex SHA-256, MD5 and SHA-1 of `bytes`, computed by coreutils, independently of Custos.
pub fn independent_digests(bytes: &[u8]) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample");
    std::fs::write(&path, bytes).unwrap();
    let run = |tool: &str| {
        let out = std::process::Command::new(tool).arg(&path).output().unwrap();
        String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
    };
    (run("sha256sum"), run("md5sum"), run("sha1sum"))
}

/// Whether an outside tool (qpdf, pdftotext) is installed. Missing, the caller skips its
/// check, except under CI (`CI=true`), where a missing tool is a failure.
pub fn tool_available(name: &str, probe: &str) -> bool {
    let ok = std::process::Command::new(name).arg(probe).output().is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {name} is missing (.ci/run installs it)");
        }
        eprintln!("skipped: checks with {name} (not installed)");
    }
    ok
}

/// `qpdf --check` on a PDF: panics with qpdf's report when the file is damaged.
pub fn qpdf_check(bytes: &[u8]) {
    if !tool_available("qpdf", "--version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("qpdf").arg("--check").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "qpdf --check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The text of a PDF as poppler's pdftotext reads it (layout kept), or None without pdftotext.
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    pdftotext(bytes, "-layout")
}

/// The text in the order it is drawn (`pdftotext -raw`): each table cell's lines together.
pub fn pdf_raw_text(bytes: &[u8]) -> Option<String> {
    pdftotext(bytes, "-raw")
}

fn pdftotext(bytes: &[u8], mode: &str) -> Option<String> {
    if !tool_available("pdftotext", "-v") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(mode).arg(&path).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
