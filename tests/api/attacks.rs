//! The red team's probes, kept as tests so that what they broke stays fixed: bounded request
//! bodies, verification that neither cries wolf under concurrent writes nor misses a
//! rollback, malformed bodies that change nothing. On both backends.

use crate::common::{Backend, TestApp, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    verifications_during_writes_all_report_intact,
    a_rolled_back_or_rewritten_ledger_is_found,
    altered_or_deleted_checkpoints_are_found,
    malformed_memo_bodies_change_nothing,
    dates_outside_a_sane_range_are_refused,
    read_only_roles_get_no_forms_and_pages_are_not_cached,
    case_files_are_owner_only,
    damaged_records_are_reported_never_crash,
    unreferenced_files_are_reported_and_cleaned_on_request,
    altered_or_deleted_audit_records_are_named_by_their_leaves
);

/// Runs SQL as an attacker with database access would: with the append-only triggers off.
pub(crate) fn as_attacker(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let mut conn = app.conn();
    match app.backend {
        Backend::Postgres => conn
            .batch_execute(&format!(
                "SET session_replication_role = replica; {sql}; SET session_replication_role = origin;"
            ))
            .unwrap_or_else(|e| panic!("{sql}: {e}")),
        Backend::Sqlite => {
            #[derive(diesel::QueryableByName)]
            struct Trigger {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
                #[diesel(sql_type = diesel::sql_types::Text)]
                sql: String,
            }
            let custos::db::DbConnection::Sqlite(sqlite) = &mut *conn else { unreachable!() };
            let triggers: Vec<Trigger> =
                diesel::sql_query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").load(sqlite).unwrap();
            for t in &triggers {
                sqlite.batch_execute(&format!("DROP TRIGGER {}", t.name)).unwrap();
            }
            sqlite.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            for t in &triggers {
                sqlite.batch_execute(&t.sql).unwrap();
            }
        }
    }
}

pub(crate) fn verify(app: &TestApp, args: &[&str]) -> (i32, String) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let out = app.custos(&all);
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// The server's resident memory, in KiB: `custos serve` runs as a process of its own here,
/// so that nothing else in the test process is counted.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn many_multipart_parts_are_refused_without_growing_memory(backend: Backend) {
    let pg = match backend {
        Backend::Postgres => match crate::common::PgTestDatabase::create() {
            Some(pg) => Some(pg),
            None => return,
        },
        Backend::Sqlite => None,
    };
    let root = tempfile::tempdir().unwrap();
    let (mut child, url) = crate::common::serve_demo(&root.path().join("data"), pg.as_ref().map(|p| p.url.as_str()));
    let pid = child.id();
    let outcome = actix_web::rt::System::new().block_on(async {
        let sign_in = |username: &'static str| {
            let url = url.clone();
            async move {
                let browser = reqwest::Client::builder()
                    .cookie_store(true)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let login = browser.get(format!("{url}/login")).send().await.unwrap().text().await.unwrap();
                let csrf = crate::common::csrf_from(&login);
                let r = browser
                    .post(format!("{url}/login"))
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("username", username),
                        ("password", custos::demo::DEMO_PASSWORD),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "{username} signs in");
                browser
            }
        };
        let prosecutor = sign_in("marcus.chen").await;
        let incidents = prosecutor.get(format!("{url}/incidents")).send().await.unwrap().text().await.unwrap();
        let number = incidents
            .split("/incidents/")
            .skip(1)
            .map(|rest| rest.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect::<String>())
            .find(|n| n.len() >= 9)
            .expect("an incident of the prosecutor's");
        // 2,000 text parts of 16 KiB: 32 MiB the server must not keep.
        let boundary = "custosboundary7d2f";
        let value = "x".repeat(16 * 1024);
        let mut body = Vec::with_capacity(2_000 * (value.len() + 100));
        for i in 0..2_000 {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"field{i}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let body = bytes::Bytes::from(body);
        let before = rss_kib(pid);
        let mut statuses = Vec::new();
        for target in [format!("{url}/incidents/{number}/exhibits"), format!("{url}/incidents/1999-0001/exhibits")] {
            for _ in 0..3 {
                let r = prosecutor
                    .post(&target)
                    .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
                    .body(body.clone())
                    .send()
                    .await;
                // The server may answer and close before the client has sent everything.
                statuses.push(r.map(|r| r.status().as_u16()).unwrap_or(0));
            }
        }
        let after = rss_kib(pid);
        let still_serving = prosecutor.get(format!("{url}/incidents")).send().await.unwrap().status().as_u16();
        (before, after, statuses, still_serving)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let (before, after, statuses, still_serving) = outcome;
    assert!(before > 0, "could not read the server's memory");
    assert!(after < before + 4 * 1024, "server memory grew from {before} KiB to {after} KiB");
    assert!(statuses[..3].iter().all(|s| [413, 0].contains(s)), "too many parts: {statuses:?}");
    assert!(statuses[3..].iter().all(|s| [404, 0].contains(s)), "no such incident: {statuses:?}");
    assert!(statuses.iter().any(|s| *s != 0), "no answer at all: {statuses:?}");
    assert_eq!(still_serving, 200);
}

mod many_multipart_parts {
    #[test]
    fn sqlite() {
        super::many_multipart_parts_are_refused_without_growing_memory(crate::common::Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        super::many_multipart_parts_are_refused_without_growing_memory(crate::common::Backend::Postgres);
    }
}

async fn verifications_during_writes_all_report_intact(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"seized phone image".to_vec()).await.json().await.unwrap();
    let exhibit = exhibit["number"].as_str().unwrap().to_owned();
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    let custody = format!("/api/v1/exhibits/{exhibit}/custody");
    let verify = format!("/api/v1/exhibits/{exhibit}/verify");
    // Three writers at once, each recording custody events and registering exhibits...
    let writer = |w: usize| {
        let (app, dana, custody, number) = (&app, &dana, custody.clone(), number.clone());
        async move {
            for i in 0..10 {
                let purpose = format!("writer {w} pass {i}");
                let r = app.post(dana, &custody, &json!({ "action": "analyzed", "purpose": purpose })).await;
                assert_eq!(r.status(), 201);
                let r = app.upload(dana, &number, sample_exhibit(), purpose.into_bytes()).await;
                assert_eq!(r.status(), 201);
            }
        }
    };
    let writes = async {
        tokio::join!(writer(1), writer(2), writer(3));
    };
    // ...while 40 verifications run, ten at a time.
    let verifications = async {
        let mut reports = Vec::new();
        for _ in 0..4 {
            // A 503 ("try again shortly") is an honest answer from a pool starved by the
            // writers on a loaded machine, not a report: the client tries again, as told.
            // What must never happen is a report of damage that is not there.
            let batch = (0..10).map(|_| async {
                for _ in 0..5 {
                    let r = app.get(&dana, &verify).await;
                    if r.status() != 503 {
                        assert_eq!(r.status(), 200);
                        return r.json::<Value>().await.unwrap();
                    }
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                panic!("the verification stayed unavailable through five attempts");
            });
            reports.extend(futures_util::future::join_all(batch).await);
        }
        reports
    };
    let ((), reports) = tokio::join!(writes, verifications);
    for report in &reports {
        assert_eq!(report["intact"], true, "a verification during writes reported damage: {report}");
    }
    // Nothing was sent back to review, and the command line agrees.
    let (code, out) = verify_cli(&app);
    assert_eq!(code, 0, "{out}");
}

fn verify_cli(app: &TestApp) -> (i32, String) {
    verify(app, &[])
}

async fn a_rolled_back_or_rewritten_ledger_is_found(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"ransom note".to_vec()).await.json().await.unwrap();
    let exhibit = exhibit["number"].as_str().unwrap().to_owned();
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    // Keep the checkpoint as a prosecutor would find it printed in a memo or bundle.
    let before_transfer: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    let r = app
        .post(
            &dana,
            &format!("/api/v1/exhibits/{exhibit}/custody"),
            &json!({ "action": "transferred", "to_custodian": "Lab" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let transfer: Value = r.json().await.unwrap();
    let after_transfer: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    let saved = app.data_dir.path().join("saved-checkpoint.txt");
    std::fs::write(&saved, after_transfer["checkpoint"].as_str().unwrap()).unwrap();
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(before_transfer["tree_size"].as_i64() < after_transfer["tree_size"].as_i64());

    // 1. Roll back: delete the transfer, its ledger leaf and everything after, and the
    // checkpoints above what is left. The database alone is consistent again.
    let index = transfer["ledger_index"].as_i64().expect("the event's ledger index");
    let snapshot_dir = tempfile::tempdir().unwrap();
    let witness = app.data_dir.path().join("checkpoints.witness");
    std::fs::copy(&witness, snapshot_dir.path().join("witness")).unwrap();
    as_attacker(
        &app,
        &format!(
            "DELETE FROM custody_events WHERE ledger_index >= {index}; \
             DELETE FROM ledger_leaves WHERE idx >= {index}; \
             DELETE FROM ledger_checkpoints WHERE tree_size > {index}"
        ),
    );
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "the rollback went unnoticed: {out}");
    assert!(out.contains("rolled back"), "{out}");
    // One exhibit's check, which reads only the witness file's last checkpoint, sees it too.
    let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(report["intact"], false, "{report}");
    assert!(report.to_string().contains("rolled back"), "{report}");
    // Without the witness file the database alone cannot show it; a checkpoint kept
    // elsewhere can.
    std::fs::remove_file(&witness).unwrap();
    let (code, out) = verify(&app, &["--checkpoint", saved.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("saved-checkpoint.txt"), "{out}");
    std::fs::copy(snapshot_dir.path().join("witness"), &witness).unwrap();
}

async fn malformed_memo_bodies_change_nothing(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let sam = app.user("sam", Role::Supervisor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let memos = format!("/api/v1/incidents/{number}/memos");
    assert_eq!(app.post(&paula, &memos, &json!({})).await.status(), 201);
    let approve = format!("{memos}/1/approve");
    let before = app.snapshot();
    let send = |path: String, content_type: &'static str, body: Vec<u8>, user: &crate::common::TestUser| {
        app.client.post(app.url(&path)).bearer_auth(&user.token).header("Content-Type", content_type).body(body).send()
    };
    for (path, user) in [(memos.clone(), &paula), (approve.clone(), &sam)] {
        for (content_type, body, expected) in [
            ("application/json", b"{not json".to_vec(), 400),
            ("application/json", br#"{"comment": 5, "narratives": 5}"#.to_vec(), 400),
            ("application/json", br#"{"unknown": "key"}"#.to_vec(), 400),
            ("text/plain", br#"{}"#.to_vec(), 400),
            ("application/json", vec![b' '; 2 << 20], 413),
        ] {
            let r = send(path.clone(), content_type, body, user).await.unwrap();
            assert_eq!(r.status().as_u16(), expected, "{path} {content_type}");
            let problem: Value = r.json().await.unwrap();
            assert!(problem["code"].is_string(), "{problem}");
        }
    }
    assert_eq!(app.snapshot(), before, "a malformed body changed something");
    let versions: Value = app.get(&paula, &memos).await.json().await.unwrap();
    assert_eq!(versions["items"][0]["approved"], Value::Null);
}

async fn dates_outside_a_sane_range_are_refused(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let before = app.snapshot();
    for date in ["0001-01-01", "1899-12-31", "9999-12-31"] {
        let mut incident = sample_incident();
        incident["first_offense_date"] = json!(date);
        let r = app.post(&dana, "/api/v1/incidents", &incident).await;
        assert_eq!(r.status(), 422, "{date}");
    }
    assert_eq!(app.snapshot(), before);
}

async fn read_only_roles_get_no_forms_and_pages_are_not_cached(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    app.user("ada", Role::Auditor);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "ada" })).await;
    let auditor = app.browser();
    app.sign_in(&auditor, "ada", crate::common::PASSWORD).await;
    for form in [
        format!("/incidents/{number}/mappings/new"),
        format!("/incidents/{number}/exhibits/new"),
        format!("/incidents/{number}/charges/new?offense=WIRE"),
        format!("/incidents/{number}/edit"),
        "/incidents/new".to_owned(),
    ] {
        let r = auditor.get(app.url(&form)).send().await.unwrap();
        assert_eq!(r.status(), 403, "an auditor was given the form {form}");
    }
    let page = auditor.get(app.url(&format!("/incidents/{number}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let api = app.get(&dana, &format!("/api/v1/incidents/{number}")).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
}

async fn case_files_are_owner_only(app: TestApp) {
    use std::os::unix::fs::PermissionsExt;
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"chat export".to_vec()).await.json().await.unwrap();
    let sha = exhibit["sha256"].as_str().unwrap();
    let data = app.data_dir.path();
    let mode = |path: std::path::PathBuf| std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(data.to_path_buf()), 0o700, "the data directory");
    for key in ["ledger.key", "session.key", "checkpoints.witness"] {
        assert_eq!(mode(data.join(key)), 0o600, "{key}");
    }
    let blob = data.join("blobs/sha256").join(&sha[0..2]).join(&sha[2..4]).join(sha);
    assert_eq!(mode(blob.clone()), 0o600, "an evidence file");
    assert_eq!(mode(blob.parent().unwrap().to_path_buf()), 0o700, "an evidence folder");
    assert_eq!(mode(data.join("blobs")), 0o700, "the evidence store");
    if app.backend == Backend::Sqlite {
        assert_eq!(mode(data.join("custos.db")), 0o600, "the database");
    }
}

async fn damaged_records_are_reported_never_crash(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"server log".to_vec()).await.json().await.unwrap();
    let exhibit = exhibit["number"].as_str().unwrap().to_owned();
    app.wait_for_legacy_digests(&dana, &exhibit).await;
    let r = app
        .post(
            &dana,
            &format!("/api/v1/exhibits/{exhibit}/custody"),
            &json!({ "action": "transferred", "to_custodian": "Lab" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "{out}");

    let mut damage = vec![
        (
            "an unknown action",
            "UPDATE custody_events SET action = 'teleported' WHERE seq = 3",
            "UPDATE custody_events SET action = 'transferred' WHERE seq = 3",
        ),
        (
            "an empty action",
            "UPDATE custody_events SET action = '' WHERE seq = 3",
            "UPDATE custody_events SET action = 'transferred' WHERE seq = 3",
        ),
    ];
    if app.backend == Backend::Sqlite {
        // Only SQLite lets a time column hold something that is not a time.
        damage.push((
            "a non-time in a time column",
            "UPDATE custody_events SET occurred_at = 'last Tuesday' WHERE seq = 3",
            "",
        ));
    }
    for (what, sql, repair) in damage {
        let before: Option<String> = if repair.is_empty() {
            use custos::db::schema::custody_events;
            use diesel::prelude::*;
            let at: time::PrimitiveDateTime = custody_events::table
                .filter(custody_events::seq.eq(3))
                .select(custody_events::occurred_at)
                .first(&mut app.conn())
                .unwrap();
            Some(at.to_string())
        } else {
            None
        };
        as_attacker(&app, sql);
        let (code, out) = verify(&app, &[]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains(&exhibit) && out.contains("no longer reads"), "{what}: {out}");
        for path in [format!("/api/v1/exhibits/{exhibit}"), format!("/api/v1/exhibits/{exhibit}/proof")] {
            let r = app.get(&dana, &path).await;
            assert_eq!(r.status(), 409, "{what}: {path}");
            assert_eq!(r.json::<Value>().await.unwrap()["code"], "record_damaged");
        }
        let report: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
        assert_eq!(report["intact"], false, "{what}: {report}");
        let page = app.browser();
        app.sign_in(&page, "dana", crate::common::PASSWORD).await;
        let r = page.get(app.url(&format!("/exhibits/{exhibit}"))).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{what}: the exhibit page answered {}", r.status());
        let repair = match before {
            Some(at) => format!("UPDATE custody_events SET occurred_at = '{at}' WHERE seq = 3"),
            None => repair.to_owned(),
        };
        as_attacker(&app, &repair);
    }

    // A missing row: the exhibit's record deleted with its events.
    as_attacker(
        &app,
        &format!(
            "DELETE FROM exhibit_verifications WHERE exhibit_id IN (SELECT id FROM exhibits WHERE number = '{exhibit}'); \
             DELETE FROM exhibit_last_verified WHERE exhibit_id IN (SELECT id FROM exhibits WHERE number = '{exhibit}'); \
             DELETE FROM verification_runs WHERE exhibit_id IN (SELECT id FROM exhibits WHERE number = '{exhibit}'); \
             DELETE FROM custody_events WHERE exhibit_id IN (SELECT id FROM exhibits WHERE number = '{exhibit}'); \
             DELETE FROM exhibits WHERE number = '{exhibit}'"
        ),
    );
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&exhibit) && out.contains("missing from the database"), "{out}");
}

async fn unreferenced_files_are_reported_and_cleaned_on_request(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"kept evidence".to_vec()).await.json().await.unwrap();
    app.wait_for_legacy_digests(&dana, exhibit["number"].as_str().unwrap()).await;
    let store = app.data_dir.path().join("blobs/sha256");
    let place = |sha: &str| store.join(&sha[0..2]).join(&sha[2..4]).join(sha);
    // What an upload interrupted between storing the file and recording the exhibit leaves.
    let (old, _, _) = crate::common::independent_digests(b"left by an interrupted upload");
    let (new, _, _) = crate::common::independent_digests(b"an upload finishing right now");
    for (sha, content, age) in
        [(&old, "left by an interrupted upload", 7_200), (&new, "an upload finishing right now", 0)]
    {
        std::fs::create_dir_all(place(sha).parent().unwrap()).unwrap();
        std::fs::write(place(sha), content).unwrap();
        let file = std::fs::File::options().write(true).open(place(sha)).unwrap();
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(age)).unwrap();
    }
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "unreferenced files are not evidence problems: {out}");
    assert!(out.contains(&old) && out.contains(&new), "{out}");
    assert!(place(&old).exists() && place(&new).exists(), "verify removed a file without being asked");
    let (code, out) = verify(&app, &["--clean-orphans"]);
    assert_eq!(code, 0, "{out}");
    assert!(!place(&old).exists(), "the old unreferenced file is still there: {out}");
    assert!(place(&new).exists(), "a recent file was removed: {out}");
    let kept = exhibit["sha256"].as_str().unwrap();
    assert!(place(kept).exists(), "evidence was removed");
}

async fn altered_or_deleted_checkpoints_are_found(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let exhibit: Value =
        app.upload(&dana, &number, sample_exhibit(), b"wallet export".to_vec()).await.json().await.unwrap();
    app.wait_for_legacy_digests(&dana, exhibit["number"].as_str().unwrap()).await;
    let head: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    let size = head["tree_size"].as_i64().unwrap();
    let root = head["root_hash"].as_str().unwrap().to_owned();
    let note = head["checkpoint"].as_str().unwrap().to_owned();
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "{out}");

    // 1. The stored root beside an intact signed note.
    as_attacker(
        &app,
        &format!("UPDATE ledger_checkpoints SET root_hash = '{}' WHERE tree_size = {size}", "0".repeat(64)),
    );
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("differs from its own signed note"), "{out}");
    as_attacker(&app, &format!("UPDATE ledger_checkpoints SET root_hash = '{root}' WHERE tree_size = {size}"));
    assert_eq!(verify(&app, &[]).0, 0);

    // 2. The signed note itself.
    let forged = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1).replace('\'', "''");
    as_attacker(&app, &format!("UPDATE ledger_checkpoints SET signed_note = '{forged}' WHERE tree_size = {size}"));
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signature does not verify"), "{out}");
    let original = note.replace('\'', "''");
    as_attacker(&app, &format!("UPDATE ledger_checkpoints SET signed_note = '{original}' WHERE tree_size = {size}"));
    assert_eq!(verify(&app, &[]).0, 0);

    // 3. The checkpoint deleted: the witness file still has it.
    as_attacker(&app, &format!("DELETE FROM ledger_checkpoints WHERE tree_size = {size}"));
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("no checkpoint of size {size}")), "{out}");
}

/// `verify` matches audit records to their leaves as stored, in order, without reading a leaf
/// twice: an edited or deleted record, or one stored in another form, must still be judged by
/// its leaf, and the records after it still matched.
async fn altered_or_deleted_audit_records_are_named_by_their_leaves(app: TestApp) {
    use diesel::prelude::*;
    let dana = app.user("dana", Role::Investigator);
    for _ in 0..4 {
        app.open_incident(&dana, sample_incident()).await;
    }
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "{out}");
    let ids: Vec<i64> = {
        use custos::db::schema::audit_events;
        audit_events::table.order(audit_events::id.asc()).select(audit_events::id).load(&mut app.conn()).unwrap()
    };
    assert!(ids.len() >= 4, "one audit record per incident at least: {ids:?}");
    let (edited, deleted, respaced) = (ids[0], ids[1], ids[2]);

    // The same detail stored with other spacing: the same record, so no finding.
    let detail: String = {
        use custos::db::schema::audit_events;
        audit_events::table.find(respaced).select(audit_events::detail).first(&mut app.conn()).unwrap()
    };
    let spaced: Value = serde_json::from_str(&detail).unwrap();
    let spaced = serde_json::to_string_pretty(&spaced).unwrap().replace('\'', "''");
    as_attacker(&app, &format!("UPDATE audit_events SET detail = '{spaced}' WHERE id = {respaced}"));
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 0, "a record stored in another form but the same is not damage: {out}");

    // One record's action rewritten, the next deleted.
    as_attacker(&app, &format!("UPDATE audit_events SET action = 'incident.forged' WHERE id = {edited}"));
    as_attacker(&app, &format!("DELETE FROM audit_events WHERE id = {deleted}"));
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("audit record {edited} differs from its ledger leaf")), "{out}");
    assert!(out.contains("incident.forged"), "what was found is shown: {out}");
    assert!(out.contains(&format!("audit record {deleted} differs from its ledger leaf")), "{out}");
    assert!(out.contains("no such record"), "{out}");
    assert_eq!(out.matches("audit record").count(), 2, "the records after them still match their leaves: {out}");
}
