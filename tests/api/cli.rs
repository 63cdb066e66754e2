//! The `custos` binary as an operator uses it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

fn custos(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custos"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("CUSTOS_DATA_DIR")
        .env_remove("CUSTOS_CONFIG")
        .current_dir(data_dir.parent().unwrap())
        .arg("--data-dir")
        .arg(data_dir);
    command
}

fn run_with_stdin(mut command: Command, stdin: &str) -> Output {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn add_user(data_dir: &std::path::Path, username: &str, role: &str, password: &str) -> Output {
    let mut command = custos(data_dir);
    command.args([
        "user",
        "add",
        "--username",
        username,
        "--role",
        role,
        "--full-name",
        "Dana Reyes",
        "--password-stdin",
    ]);
    run_with_stdin(command, &format!("{password}\n"))
}

#[test]
fn users_and_tokens_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");

    let migrate = custos(&data_dir).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert!(data_dir.join("custos.db").exists());

    let created = add_user(&data_dir, "dana", "investigator", crate::common::PASSWORD);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert_eq!(
        add_user(&data_dir, "dana", "investigator", crate::common::PASSWORD).status.code(),
        Some(1),
        "duplicate"
    );
    assert_eq!(add_user(&data_dir, "short", "investigator", "short").status.code(), Some(1), "short password");
    let bad_role = add_user(&data_dir, "x", "overlord", crate::common::PASSWORD);
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("not a role"));

    let token = custos(&data_dir).args(["token", "create", "--username", "dana"]).output().unwrap();
    assert!(token.status.success());
    let stdout = String::from_utf8(token.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the token and nothing else: {stdout:?}");
    assert!(lines[0].starts_with("cst_") && lines[0].len() > 40);
    let unknown = custos(&data_dir).args(["token", "create", "--username", "nobody"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));

    // The token works against a server on the same data directory.
    let settings = crate::common::test_settings(&data_dir, None);
    actix_web::rt::System::new().block_on(async move {
        let app = custos::startup::Application::build(settings).unwrap();
        let port = app.port();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/api/v1/incidents");
        let ok = client.get(&url).bearer_auth(lines[0]).send().await.unwrap();
        assert_eq!(ok.status(), 200);
    });
}

#[test]
fn settings_layer_file_then_environment_then_flags() {
    let root = tempfile::tempdir().unwrap();
    let from_file = root.path().join("from-file");
    let from_env = root.path().join("from-env");
    let config = root.path().join("custos.toml");
    std::fs::write(&config, format!("data_dir = {:?}\n", from_file.display().to_string())).unwrap();

    let base = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_custos"));
        command.env_remove("DATABASE_URL").env_remove("CUSTOS_DATA_DIR").current_dir(root.path());
        command
    };
    // custos.toml in the working directory is read.
    assert!(base().arg("migrate").output().unwrap().status.success());
    assert!(from_file.join("custos.db").exists());
    // The environment beats the file.
    assert!(base().env("CUSTOS_DATA_DIR", &from_env).arg("migrate").output().unwrap().status.success());
    assert!(from_env.join("custos.db").exists());
    // A flag beats both.
    let from_flag = root.path().join("from-flag");
    assert!(
        base()
            .env("CUSTOS_DATA_DIR", &from_env)
            .arg("--data-dir")
            .arg(&from_flag)
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(from_flag.join("custos.db").exists());

    // A misspelt key is an error, not silently ignored.
    std::fs::write(&config, "data_dri = \"x\"\n").unwrap();
    let typo = base().arg("migrate").output().unwrap();
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("unknown field"));

    // `serve --help` documents every setting with its variable.
    let help = String::from_utf8(base().args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    for setting in [
        "--bind",
        "CUSTOS_BIND",
        "--workers",
        "--pool-size",
        "--session-ttl-minutes",
        "--secure-cookies",
        "--log",
        "--demo",
        "--data-dir",
        "CUSTOS_DATA_DIR",
        "--database-url",
        "DATABASE_URL",
        "--config",
    ] {
        assert!(help.contains(setting), "serve --help lacks {setting}");
    }
}

#[test]
fn an_unreachable_postgres_is_an_error_not_a_sqlite_file() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let output =
        custos(&data_dir).args(["--database-url", "postgres://nobody@127.0.0.1:1/custos", "migrate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!data_dir.join("custos.db").exists());
    let leftovers: Vec<_> =
        std::fs::read_dir(root.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(leftovers.iter().all(|name| name == "data"), "stray files: {leftovers:?}");
}

#[test]
fn serve_demo_serves_the_login_page_and_the_demo_cases() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let mut child = custos(&data_dir)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--log", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    let mut url = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Custos is serving on ") {
            url = Some(rest.trim().trim_end_matches('/').to_owned());
            break;
        }
        printed.push(line);
    }
    let url = url.expect("no serving line");
    let printed = printed.join("\n");
    assert!(printed.contains("marcus.chen") && printed.contains("prosecutor"), "{printed}");
    assert!(printed.contains(custos::demo::DEMO_PASSWORD));

    let result = actix_web::rt::System::new().block_on(async {
        let browser =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let login = browser.get(format!("{url}/login")).send().await.unwrap();
        assert_eq!(login.status(), 200);
        let csrf = crate::common::csrf_from(&login.text().await.unwrap());
        let signed_in = browser
            .post(format!("{url}/login"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("username", "marcus.chen"),
                ("password", custos::demo::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 303);
        browser.get(format!("{url}/incidents")).send().await.unwrap().text().await.unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(result.contains("Deepfake CFO video call"), "{result}");
    assert!(result.contains("Autonomous agent intrusion"));
    assert!(result.contains("Synthetic-identity loan fraud ring"));
    assert!(!result.contains("credential stuffing"), "the prosecutor is not on that team");
}

/// `verify` reads the exhibits a chunk of 500 at a time while another thread checks the chunk
/// before: over more than one chunk, everything verifies, and an event whose ledger leaf was
/// rewritten is named, in exhibit order, with the leaf's text beside the event's.
#[test]
fn verify_names_rewritten_event_leaves_across_chunks() {
    use custos::db::schema::{custody_events, exhibits};
    use diesel::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = custos(&data).args(["demo", "--scale", "170", "--exhibits", "3"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let verified = custos(&data).arg("verify").output().unwrap();
    let report = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert_eq!(verified.status.code(), Some(0), "{report}");
    assert!(report.contains("checked 510 exhibits, 1020 custody events"), "{report}");

    let mut conn = SqliteConnection::establish(data.join("custos.db").to_str().unwrap()).unwrap();
    let transfers: Vec<(String, i64)> = custody_events::table
        .inner_join(exhibits::table)
        .filter(custody_events::action.eq("transferred"))
        .order(custody_events::ledger_index.asc())
        .select((exhibits::number, custody_events::ledger_index))
        .load(&mut conn)
        .unwrap();
    let (first, last) = (transfers.first().unwrap().clone(), transfers.last().unwrap().clone());
    diesel::sql_query("DROP TRIGGER ledger_leaves_no_update").execute(&mut conn).unwrap();
    diesel::sql_query(format!(
        "UPDATE ledger_leaves SET leaf = replace(leaf, 'Digital forensics lab', 'A lab of my own') \
         WHERE idx IN ({}, {})",
        first.1, last.1
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);

    let verified = custos(&data).arg("verify").output().unwrap();
    let report = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert_eq!(verified.status.code(), Some(1), "{report}");
    assert_eq!(report.matches("the event differs from its ledger leaf").count(), 2, "{report}");
    assert!(report.contains("A lab of my own"), "the leaf as stored is shown: {report}");
    let (at_first, at_last) = (report.find(&first.0).unwrap(), report.find(&last.0).unwrap());
    assert!(at_first < at_last, "findings in exhibit order ({} then {}): {report}", first.0, last.0);
}

#[test]
fn demo_scale_generates_a_dataset_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = custos(&data).args(["demo", "--scale", "3", "--exhibits", "2"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("added 3 incidents, 6 exhibits, 21 mappings"), "{text}");
    // Running it again adds more, reusing the synthetic users.
    let again = custos(&data).args(["demo", "--scale", "1", "--exhibits", "1"]).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    // Every file, chain and the ledger verify.
    let verified = custos(&data).arg("verify").output().unwrap();
    let report = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert_eq!(verified.status.code(), Some(0), "{report}");
    // The generator signs a checkpoint over everything it added.
    let leaves = report.split(" ledger leaves").next().unwrap().rsplit(' ').next().unwrap();
    assert!(report.contains(&format!("latest checkpoint: size {leaves},")), "{report}");
    let refused = custos(&data).args(["demo", "--scale", "0"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
