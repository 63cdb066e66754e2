//! Outside verification: a Go program built only from the Go team's `x/mod/sumdb/note` and
//! `tlog` (Debian's golang-golang-x-mod-dev) checks Custos's signed checkpoints, an inclusion
//! proof and a consistency proof, and rejects tampered ones. Needs `go` and that package;
//! skipped without them, except under CI.

use crate::common::{Backend, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const GOPATH: &str = "/usr/share/gocode";

fn go_verifier(out: &Path) -> Option<PathBuf> {
    let available = Command::new("go").arg("version").output().is_ok_and(|o| o.status.success())
        && Path::new(GOPATH).join("src/golang.org/x/mod/sumdb/tlog").is_dir();
    if !available {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but go or golang-golang-x-mod-dev is missing");
        }
        eprintln!("skipped: Go interop test (install golang-go and golang-golang-x-mod-dev)");
        return None;
    }
    let binary = out.join("verify");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/verify.go");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", out.join("gocache"))
        .output()
        .unwrap();
    assert!(built.status.success(), "go build failed: {}", String::from_utf8_lossy(&built.stderr));
    Some(binary)
}

fn run(verifier: &Path, dir: &Path) -> (bool, String) {
    let out = Command::new(verifier).arg(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An app on SQLite with one investigator, an incident holding one exhibit, and the ledger
/// head after it.
async fn app_with_an_exhibit() -> (crate::common::TestApp, crate::common::TestUser, String, Value) {
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let dana = app.user("dana", Role::Investigator);
    let incident = app.open_incident(&dana, sample_incident()).await;
    let number = incident["number"].as_str().unwrap();
    let exhibit: Value =
        app.upload(&dana, number, sample_exhibit(), b"recording bytes".to_vec()).await.json().await.unwrap();
    let exhibit = exhibit["number"].as_str().unwrap().to_owned();
    let old: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    (app, dana, exhibit, old)
}

#[actix_web::test]
async fn go_x_mod_verifies_checkpoints_and_proofs() {
    let work = tempfile::tempdir().unwrap();
    let Some(verifier) = go_verifier(work.path()) else { return };
    let (app, dana, exhibit, old) = app_with_an_exhibit().await;

    let custody = format!("/api/v1/exhibits/{exhibit}/custody");
    app.post(&dana, &custody, &json!({ "action": "transferred", "to_custodian": "Lab" })).await;
    app.post(&dana, &custody, &json!({ "action": "analyzed" })).await;
    let bundle: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/proof")).await.json().await.unwrap();
    let new_size = bundle["tree_size"].as_i64().unwrap();
    let old_size = old["tree_size"].as_i64().unwrap();
    assert!(new_size > old_size);
    let consistency: Value = app
        .get(&dana, &format!("/api/v1/ledger/consistency?from={old_size}&to={new_size}"))
        .await
        .json()
        .await
        .unwrap();

    let dir = work.path().join("proof");
    std::fs::create_dir(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    let key = app.custos(&["ledger", "key"]);
    let key = String::from_utf8(key.stdout).unwrap();
    assert_eq!(key.trim(), bundle["verifier_key"].as_str().unwrap(), "the CLI and the bundle name the same key");
    write("verifier.key", &key);
    write("checkpoint-new.txt", bundle["checkpoint"].as_str().unwrap());
    write("checkpoint-old.txt", old["checkpoint"].as_str().unwrap());
    let event = &bundle["events"][1];
    write("leaf.txt", event["canonical"].as_str().unwrap());
    write("leaf.index", &event["ledger_index"].to_string());
    let lines =
        |v: &Value| v.as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect::<Vec<_>>().join("\n");
    write("inclusion.txt", &lines(&event["inclusion_proof"]));
    write("consistency.txt", &lines(&consistency["proof"]));

    let (ok, out) = run(&verifier, &dir);
    assert!(ok, "the Go verifier rejected Custos's proofs:\n{out}");
    assert!(out.contains("OK inclusion") && out.contains("OK consistency"), "{out}");

    // The C2SP tlog-proof carries the same index, path and checkpoint.
    let tlog = event["tlog_proof"].as_str().unwrap();
    assert!(tlog.starts_with(&format!("c2sp.org/tlog-proof@v1\nindex {}\n", event["ledger_index"])));
    assert!(tlog.ends_with(bundle["checkpoint"].as_str().unwrap()));

    // Tampering with any part is caught.
    let tampered = event["canonical"]
        .as_str()
        .unwrap()
        .replace("\"analyzed\"", "\"disposed\"")
        .replace("\"transferred\"", "\"released\"");
    write("leaf.txt", &tampered);
    assert!(!run(&verifier, &dir).0, "a tampered leaf passed");
    write("leaf.txt", event["canonical"].as_str().unwrap());

    let forged = bundle["checkpoint"].as_str().unwrap().replacen(
        &format!("\n{new_size}\n"),
        &format!("\n{}\n", new_size + 1),
        1,
    );
    write("checkpoint-new.txt", &forged);
    let (ok, out) = run(&verifier, &dir);
    assert!(!ok && out.contains("checkpoint-new.txt"), "a forged checkpoint passed: {out}");
    write("checkpoint-new.txt", bundle["checkpoint"].as_str().unwrap());

    let mut proof = lines(&consistency["proof"]);
    proof = proof.replacen(|c: char| c.is_ascii_alphabetic(), "0", 1);
    write("consistency.txt", &proof);
    assert!(!run(&verifier, &dir).0, "a tampered consistency proof passed");
    write("consistency.txt", &lines(&consistency["proof"]));
    assert!(run(&verifier, &dir).0, "restored proofs verify again");
}

/// A standard tlog-tiles client (x/mod's tile reader, which checks every tile it reads
/// against the signed root) reads the log over HTTP past the second tile level, proves a
/// leaf into it and an older checkpoint a prefix of it from the tiles alone, and refuses a
/// leaf that was altered.
#[actix_web::test]
async fn go_x_mod_reads_the_log_as_tlog_tiles() {
    let work = tempfile::tempdir().unwrap();
    let Some(verifier) = go_verifier(work.path()) else { return };
    let (app, dana, exhibit, old) = app_with_an_exhibit().await;
    // Past 65,536 leaves: a full level-1 tile and a level-2 entry above it.
    crate::tiles::seed_leaves(&app, 66_000);
    let custody = format!("/api/v1/exhibits/{exhibit}/custody");
    app.post(&dana, &custody, &json!({ "action": "analyzed" })).await;
    let bundle: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/proof")).await.json().await.unwrap();
    assert!(bundle["tree_size"].as_i64().unwrap() > 65_536);
    let event = bundle["events"].as_array().unwrap().last().unwrap().clone();

    let dir = work.path().join("tiles");
    std::fs::create_dir(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("verifier.key", bundle["verifier_key"].as_str().unwrap());
    write("checkpoint-old.txt", old["checkpoint"].as_str().unwrap());
    write("leaf.txt", event["canonical"].as_str().unwrap());
    write("leaf.index", &event["ledger_index"].to_string());
    let client = |dir: &Path| {
        let out = Command::new(&verifier)
            .args(["tiles", &app.url("/api/v1/ledger")])
            .arg(dir)
            .env("CUSTOS_TOKEN", &dana.token)
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (ok, out) = client(&dir);
    assert!(ok, "the tlog-tiles client rejected the log:\n{out}");
    assert!(out.contains("OK tiles") && out.contains("OK inclusion") && out.contains("OK consistency"), "{out}");

    write("leaf.txt", &format!("{} ", event["canonical"].as_str().unwrap()));
    let (ok, out) = client(&dir);
    assert!(!ok && out.contains("inclusion of leaf"), "an altered leaf passed:\n{out}");
}
