//! Evidence intake and the chain of custody, through the real HTTP API, on both backends.

use crate::common::{TestApp, independent_digests, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};
use std::io::Write;

on_both_backends!(
    uploads_are_hashed_as_they_stream_and_digests_match,
    a_claimed_digest_that_differs_stores_nothing,
    an_interrupted_upload_leaves_no_row_and_no_blob,
    custody_events_chain_and_follow_the_rules,
    tampering_is_found_by_custos_verify,
    evidence_files_download_and_view_safely_and_are_recorded,
);

mod in_a_bucket {
    in_a_bucket_too!(
        custody_events_chain_and_follow_the_rules,
        evidence_files_download_and_view_safely_and_are_recorded
    );
}

fn sample_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

async fn incident(app: &TestApp) -> (crate::common::TestUser, String) {
    let dana = app.user("dana", Role::Investigator);
    let incident = app.open_incident(&dana, sample_incident()).await;
    (dana, incident["number"].as_str().unwrap().to_owned())
}

async fn uploads_are_hashed_as_they_stream_and_digests_match(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let bytes = sample_bytes(3 * 1024 * 1024 + 17);
    let (sha256, md5, sha1) = independent_digests(&bytes);

    let response = app.upload(&dana, &number, sample_exhibit(), bytes.clone()).await;
    assert_eq!(response.status(), 201);
    let exhibit: Value = response.json().await.unwrap();
    assert_eq!(exhibit["number"], format!("{number}-E001"));
    assert_eq!(exhibit["sha256"], sha256);
    assert_eq!(exhibit["file"]["size"], bytes.len());
    assert_eq!(exhibit["file"]["name"], "evidence.bin");
    assert_eq!(exhibit["custody"][0]["action"], "acquired");
    assert_eq!(exhibit["custody"][0]["digest_observed"], sha256);
    assert_eq!(exhibit["custodian"], "SA Dana Reyes");

    // The background pass adds MD5 and SHA-1, as a custody event of its own.
    let exhibit = app.wait_for_legacy_digests(&dana, &format!("{number}-E001")).await;
    assert_eq!(exhibit["md5"], md5);
    assert_eq!(exhibit["sha1"], sha1);
    let pass = &exhibit["custody"][1];
    assert_eq!(pass["action"], "hash_verified");
    assert_eq!(pass["actor"], "custos");
    assert_eq!(pass["digest_matched"], true);

    // Raw PUT with a correct claimed digest; the same content again is its own exhibit.
    let metadata = json!({ "kind": "disk_image", "description": "Image of the AP clerk's laptop", "sha256": sha256,
        "acquisition": { "method": "Physical image", "acquired_by": "SA Dana Reyes", "acquired_at": "2026-02-13T10:00:00Z" } });
    let response = app
        .client
        .put(app.url(&format!("/api/v1/incidents/{number}/exhibits")))
        .query(&[("metadata", metadata.to_string())])
        .bearer_auth(&dana.token)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["number"], format!("{number}-E002"));
    assert_eq!(second["sha256"], sha256);
    assert_eq!(second["custody"][0]["digest_matched"], true);

    // Stored once, under its content address, byte for byte.
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(&sha256);
    assert_eq!(std::fs::read(&blob).unwrap(), bytes);

    // An item without a file (a seized laptop), and its image as a child exhibit.
    let laptop = app
        .client
        .post(app.url(&format!("/api/v1/incidents/{number}/exhibits")))
        .bearer_auth(&dana.token)
        .multipart(reqwest::multipart::Form::new().text("metadata", json!({ "kind": "physical_item", "description": "Dell laptop, S/N 8H2K9Q3",
            "acquisition": { "method": "Seized under warrant", "acquired_by": "SA Dana Reyes", "acquired_at": "2026-02-13T09:00:00Z", "legal_authority": "Warrant 26-MJ-0412" } }).to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(laptop.status(), 201);
    let laptop: Value = laptop.json().await.unwrap();
    assert!(laptop["sha256"].is_null());
    let mut child = sample_exhibit();
    child["parent"] = laptop["number"].clone();
    let image: Value = app.upload(&dana, &number, child, b"image bytes".to_vec()).await.json().await.unwrap();
    assert_eq!(image["parent"], laptop["number"]);

    let list: Value = app.get(&dana, &format!("/api/v1/incidents/{number}/exhibits")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 4);

    // Strangers see none of it.
    let outsider = app.user("outsider", Role::Investigator);
    assert_eq!(app.get(&outsider, &format!("/api/v1/exhibits/{number}-E001")).await.status(), 404);
    assert_eq!(app.upload(&outsider, &number, sample_exhibit(), b"x".to_vec()).await.status(), 404);
    let auditor = app.user("audrey", Role::Auditor);
    app.post(&dana, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": "audrey" })).await;
    assert_eq!(app.upload(&auditor, &number, sample_exhibit(), b"x".to_vec()).await.status(), 403);
    assert_eq!(app.get(&auditor, &format!("/api/v1/exhibits/{number}-E001")).await.status(), 200);
}

async fn a_claimed_digest_that_differs_stores_nothing(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let before = app.snapshot();
    let mut metadata = sample_exhibit();
    metadata["sha256"] = json!("0".repeat(64));
    let response = app.upload(&dana, &number, metadata, sample_bytes(100_000)).await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "digest_mismatch");
    assert_eq!(app.snapshot(), before);
    let blobs = walk(&app.data_dir.path().join("blobs"));
    assert!(blobs.is_empty(), "files left behind: {blobs:?}");

    // Bad metadata is refused before the file is read, and stores nothing either.
    let mut bad = sample_exhibit();
    bad["kind"] = json!("hologram");
    bad["acquisition"]["acquired_at"] = json!("last tuesday");
    let response = app.upload(&dana, &number, bad, sample_bytes(10)).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"kind") && fields.contains(&"acquisition.acquired_at"), "{fields:?}");
    assert_eq!(app.snapshot(), before);
    assert!(walk(&app.data_dir.path().join("blobs")).is_empty());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

async fn an_interrupted_upload_leaves_no_row_and_no_blob(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let before = app.snapshot();
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let metadata = url_encode(&sample_exhibit().to_string());
    {
        let mut socket = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        write!(
            socket,
            "PUT /api/v1/incidents/{number}/exhibits?metadata={metadata} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Length: 10000000\r\n\r\n",
            dana.token
        )
        .unwrap();
        socket.write_all(&sample_bytes(2_000_000)).unwrap();
        socket.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        // The connection drops here, 8 MB short.
    }
    for _ in 0..50 {
        if walk(&app.data_dir.path().join("blobs")).is_empty() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(walk(&app.data_dir.path().join("blobs")).is_empty(), "a partial upload left files behind");
    assert_eq!(app.snapshot(), before);
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn custody_events_chain_and_follow_the_rules(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let bytes = sample_bytes(5000);
    let (sha256, _, _) = independent_digests(&bytes);
    app.upload(&dana, &number, sample_exhibit(), bytes).await;
    let exhibit = format!("{number}-E001");
    let custody = format!("/api/v1/exhibits/{exhibit}/custody");
    app.wait_for_legacy_digests(&dana, &exhibit).await;

    let before = app.snapshot();
    let no_receiver = app.post(&dana, &custody, &json!({ "action": "transferred" })).await;
    assert_eq!(no_receiver.status(), 422);
    let unknown = app.post(&dana, &custody, &json!({ "action": "teleported" })).await;
    assert_eq!(unknown.status(), 422);
    let extra = app.post(&dana, &custody, &json!({ "action": "analyzed", "colour": "red" })).await;
    assert_eq!(extra.status(), 400);
    assert_eq!(app.snapshot(), before);

    let transfer = app
        .post(&dana, &custody, &json!({ "action": "transferred", "to_custodian": "Digital Evidence Lab, M. Ortiz",
            "location": "Chicago Field Office", "purpose": "Forensic analysis", "seal_number": "S-0091", "seal_condition": "intact",
            "digest_observed": sha256 }))
        .await;
    assert_eq!(transfer.status(), 201);
    let transfer: Value = transfer.json().await.unwrap();
    assert_eq!(transfer["seq"], 3);
    assert_eq!(transfer["from_custodian"], "SA Dana Reyes", "the sender defaults to the current custodian");
    assert_eq!(transfer["digest_matched"], true);

    let wrong_digest =
        app.post(&dana, &custody, &json!({ "action": "hash_verified", "digest_observed": "ab".repeat(32) })).await;
    let wrong_digest: Value = wrong_digest.json().await.unwrap();
    assert_eq!(wrong_digest["digest_matched"], false, "a mismatch is recorded, never hidden");

    let disposed =
        app.post(&dana, &custody, &json!({ "action": "disposed", "notes": "Destroyed per court order" })).await;
    assert_eq!(disposed.status(), 201);
    let after = app.post(&dana, &custody, &json!({ "action": "analyzed" })).await;
    assert_eq!(after.status(), 422);

    // Each event links to the one before it.
    let body: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    let events = body["custody"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["prev_hash"], "0".repeat(64));
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["event_hash"]);
    }
    assert_eq!(body["disposed"], true);

    // The database refuses to rewrite custody.
    {
        use custos::db::schema::custody_events;
        use diesel::prelude::*;
        let mut conn = app.conn();
        assert!(diesel::update(custody_events::table).set(custody_events::notes.eq("x")).execute(&mut conn).is_err());
        assert!(diesel::delete(custody_events::table).execute(&mut conn).is_err());
    }

    // Nothing was tampered with, but the record states a problem: the mismatched hash check
    // (event 4) impairs the exhibit, and verification says so.
    let verified: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await.json().await.unwrap();
    assert_eq!(verified["intact"], false, "{verified}");
    let findings = verified["report"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{verified}");
    assert_eq!(findings[0]["event"], 4);
    assert!(findings[0]["problem"].as_str().unwrap().contains("does not match"), "{verified}");
    assert_eq!(body["custody_status"]["sound"], false);
}

/// Runs `custos verify` and returns (exit code, output).
fn verify(app: &TestApp) -> (i32, String) {
    let out = app.custos(&["verify"]);
    (
        out.status.code().unwrap(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

fn execute(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    app.conn().batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// What an attacker with database access does first: switch off the append-only triggers.
fn triggers(app: &TestApp, on: bool) {
    match app.backend {
        crate::common::Backend::Postgres => {
            let verb = if on { "ENABLE" } else { "DISABLE" };
            execute(app, &format!("ALTER TABLE custody_events {verb} TRIGGER custody_events_append_only"));
        }
        crate::common::Backend::Sqlite => {
            if on {
                execute(
                    app,
                    "CREATE TRIGGER custody_events_no_update BEFORE UPDATE ON custody_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                     CREATE TRIGGER custody_events_no_delete BEFORE DELETE ON custody_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;",
                );
            } else {
                execute(app, "DROP TRIGGER custody_events_no_update; DROP TRIGGER custody_events_no_delete;");
            }
        }
    }
}

async fn tampering_is_found_by_custos_verify(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let bytes = sample_bytes(70_000);
    let exhibit: Value = app.upload(&dana, &number, sample_exhibit(), bytes.clone()).await.json().await.unwrap();
    let exhibit_number = exhibit["number"].as_str().unwrap().to_owned();
    let sha256 = exhibit["sha256"].as_str().unwrap().to_owned();
    app.wait_for_legacy_digests(&dana, &exhibit_number).await;
    let custody = format!("/api/v1/exhibits/{exhibit_number}/custody");
    app.post(
        &dana,
        &custody,
        &json!({ "action": "transferred", "to_custodian": "Lab", "location": "Evidence room 2" }),
    )
    .await;
    app.post(&dana, &custody, &json!({ "action": "analyzed", "purpose": "Voice-clone artifacts" })).await;

    let (code, out) = verify(&app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK"));

    // 1. Change a custody row behind Custos's back.
    triggers(&app, false);
    execute(&app, "UPDATE custody_events SET location = 'Somewhere else' WHERE seq = 3");
    let (code, out) = verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&exhibit_number) && out.contains("custody event 3"), "{out}");
    assert!(out.contains("do not match its hash"), "{out}");
    execute(&app, "UPDATE custody_events SET location = 'Evidence room 2' WHERE seq = 3");
    let (code, out) = verify(&app);
    assert_eq!(code, 0, "restored: {out}");

    // 2. Delete the last custody row.
    let full_row: custos::db::repo::evidence::CustodyEventRow = {
        use custos::db::schema::custody_events::dsl::*;
        use diesel::prelude::*;
        custody_events
            .filter(seq.eq(4))
            .select(custos::db::repo::evidence::CustodyEventRow::as_select())
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(full_row.seq, 4);
    execute(&app, "DELETE FROM custody_events WHERE seq = 4");
    let (code, out) = verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&exhibit_number) && out.contains("custody event 4"), "{out}");
    custos::db::repo::evidence::insert_event(&mut app.conn(), &full_row).unwrap();
    triggers(&app, true);
    let (code, out) = verify(&app);
    assert_eq!(code, 0, "restored: {out}");

    // 3. Flip one byte of the evidence file.
    let blob = app.data_dir.path().join("blobs/sha256").join(&sha256[0..2]).join(&sha256[2..4]).join(&sha256);
    let mut tampered = bytes.clone();
    tampered[12_345] ^= 0x01;
    std::fs::write(&blob, &tampered).unwrap();
    let (code, out) = verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&exhibit_number) && out.contains(&sha256), "{out}");
    let api: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit_number}/verify")).await.json().await.unwrap();
    assert_eq!(api["intact"], false);
    std::fs::write(&blob, &bytes).unwrap();
    let (code, out) = verify(&app);
    assert_eq!(code, 0, "restored: {out}");

    // A scoped run names an unknown incident as an error it could not run.
    let unknown = app.custos(&["verify", "--incident", "1999-0001"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", String::from_utf8_lossy(&unknown.stderr));
}

/// The SHA-1/MD5 pass keeps its work list in the database: evidence ingested while no server
/// ran (or before a crash) is picked up when one starts.
#[actix_web::test]
async fn the_digest_pass_resumes_after_a_restart() {
    use custos::domain::evidence::RawExhibit;
    let data_dir = tempfile::tempdir().unwrap();
    let settings = crate::common::test_settings(data_dir.path(), None);
    let pool = custos::startup::open_database(&settings).unwrap();
    let mut conn = pool.get().unwrap();
    let password = custos::domain::user::NewPassword::parse(crate::common::PASSWORD.into()).unwrap();
    let dana = custos::services::users::create(&mut conn, None, "dana", "Dana", Role::Investigator, password).unwrap();
    let token = custos::services::users::create_token(&mut conn, "dana").unwrap();
    let raw_incident = custos::domain::incident::RawIncident { title: "Resume".into(), ..Default::default() };
    let incident = custos::services::incidents::create(&mut conn, &dana, &raw_incident).unwrap();
    let store = custos::storage::LocalBlobStore::open(data_dir.path().join("blobs")).unwrap();
    let raw: RawExhibit = serde_json::from_value(sample_exhibit()).unwrap();
    let prepared = custos::services::evidence::prepare(&mut conn, &dana, incident.number, &raw).unwrap();
    let bytes = sample_bytes(123_457);
    let mut writer = custos::storage::BlobStore::begin(&store).unwrap();
    writer.write(bytes::Bytes::from(bytes.clone())).unwrap();
    let exhibit =
        custos::services::evidence::register(&mut conn, &store, prepared, Some(writer.finish().unwrap())).unwrap();
    assert!(exhibit.file.as_ref().unwrap().sha1.is_none(), "no server yet, so no digest pass");
    drop(conn);

    // Now a server starts on the same data directory and database.
    let app = custos::startup::Application::build_with_pool(settings, pool).unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let (_, md5, sha1) = independent_digests(&bytes);
    let client = reqwest::Client::new();
    let mut body = Value::Null;
    for _ in 0..100 {
        body = client
            .get(format!("{url}/api/v1/exhibits/{}", exhibit.number))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !body["sha1"].is_null() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(body["sha1"], sha1);
    assert_eq!(body["md5"], md5);
    assert_eq!(body["custody"][1]["action"], "hash_verified");
}

/// Re-hashing a file for verification holds no pooled connection: with a pool of one, a
/// request made while a large file is being re-hashed is answered before the verification
/// ends, and both succeed.
async fn verification_holds_no_pooled_connection_while_hashing(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&dana, sample_incident()).await["number"].as_str().unwrap().to_owned();
    // 512 MiB: long enough to re-hash that a request can be made in the middle.
    let mut bytes = vec![0u8; 512 << 20];
    for (i, block) in bytes.chunks_mut(4096).enumerate() {
        block[..8].copy_from_slice(&(i as u64).to_le_bytes());
    }
    let r = app.upload(&dana, &number, sample_exhibit(), bytes).await;
    assert_eq!(r.status(), 201);
    let exhibit = r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    // Let the background digest pass finish first, so that only the verification hashes.
    app.wait_for_legacy_digests(&dana, &exhibit).await;

    let started = std::time::Instant::now();
    let verify = async {
        let r = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/verify")).await;
        let at = started.elapsed();
        (r.status().as_u16(), r.json::<Value>().await.unwrap(), at)
    };
    let probe = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        let r = app.get(&dana, &format!("/api/v1/incidents/{number}")).await;
        (r.status().as_u16(), started.elapsed())
    };
    let ((verify_status, report, verified_at), (probe_status, probed_at)) = tokio::join!(verify, probe);
    assert_eq!(verify_status, 200, "{report}");
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["report"]["bytes_hashed"], 512u64 << 20);
    assert_eq!(probe_status, 200);
    assert!(
        probed_at < verified_at,
        "the request waited for the verification ({probed_at:?} vs {verified_at:?}): hashing held the only connection"
    );
}

mod verification_without_a_pooled_connection {
    #[actix_web::test]
    async fn sqlite() {
        if let Some(app) = crate::common::spawn_with_pool(crate::common::Backend::Sqlite, 1).await {
            super::verification_holds_no_pooled_connection_while_hashing(app).await;
        }
    }

    #[actix_web::test]
    async fn postgres() {
        if let Some(app) = crate::common::spawn_with_pool(crate::common::Backend::Postgres, 1).await {
            super::verification_holds_no_pooled_connection_while_hashing(app).await;
        }
    }
}

/// A team member downloads an exhibit's file, whole or by `Range`, and gets the exact bytes
/// (compared by digest), the original name and the SHA-256 in headers; a file of HTML is viewed
/// as plain text in a sandbox, never as a page of Custos; every download and view is in the
/// audit trail; someone off the team gets 404.
async fn evidence_files_download_and_view_safely_and_are_recorded(app: TestApp) {
    let (dana, number) = incident(&app).await;
    let outsider = app.user("olga", Role::Investigator);
    let bytes = sample_bytes(300_000);
    let (sha256, _, _) = independent_digests(&bytes);
    let mut metadata = sample_exhibit();
    metadata["file_name"] = json!("../call \"CFO\" é.mp4");
    metadata["media_type"] = json!("video/mp4");
    assert_eq!(app.upload(&dana, &number, metadata, bytes.clone()).await.status(), 201);
    let url = format!("/api/v1/exhibits/{number}-E001/file");
    let whole = app.get(&dana, &url).await;
    assert_eq!(whole.status(), 200);
    let h = whole.headers().clone();
    assert_eq!(h["x-custos-sha256"], sha256.as_str());
    assert!(h["repr-digest"].to_str().unwrap().starts_with("sha-256=:"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment") && disposition.contains("call CFO _.mp4"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''call%20CFO%20%C3%A9.mp4"), "the original name: {disposition}");
    assert!(!disposition.contains(".."), "no path: {disposition}");
    let got = whole.bytes().await.unwrap();
    assert_eq!(independent_digests(&got).0, sha256, "the exact bytes");
    // A range: exactly those bytes, the whole file's digest still in the header.
    let part =
        app.client.get(app.url(&url)).bearer_auth(&dana.token).header("Range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["x-custos-sha256"], sha256.as_str());
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[1000..2000]);
    assert_eq!(app.get(&outsider, &url).await.status(), 404, "off the team: as if it did not exist");

    // An HTML file is viewed as plain text, in a sandbox.
    let mut page = sample_exhibit();
    page["file_name"] = json!("lure.html");
    page["media_type"] = json!("text/html");
    let html = b"<script>document.cookie='x'</script><h1>Pay now</h1>".to_vec();
    assert_eq!(app.upload(&dana, &number, page, html.clone()).await.status(), 201);
    let browser = app.browser();
    app.sign_in(&browser, "dana", crate::common::PASSWORD).await;
    let viewed = browser.get(app.url(&format!("/exhibits/{number}-E002/view"))).send().await.unwrap();
    assert_eq!(viewed.status(), 200);
    let h = viewed.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/plain"), "{:?}", h["content-type"]);
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert_eq!(viewed.bytes().await.unwrap().as_ref(), html.as_slice());
    let downloaded = browser.get(app.url(&format!("/exhibits/{number}-E002/download"))).send().await.unwrap();
    assert_eq!(downloaded.headers()["content-type"], "application/octet-stream");

    // Every download and view is in the audit trail (a range after the first byte is part of
    // a reading already recorded).
    use custos::db::schema::audit_events;
    use diesel::prelude::*;
    let mut conn = app.conn();
    let actions: Vec<String> = audit_events::table
        .filter(audit_events::action.like("exhibit.%ed"))
        .filter(audit_events::action.ne("exhibit.registered"))
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(actions, vec!["exhibit.downloaded", "exhibit.viewed", "exhibit.downloaded"]);
}
