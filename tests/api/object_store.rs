//! Evidence in an S3-compatible bucket (Garage under CI), with PostgreSQL: ingest, download,
//! verification, bundle export, a server killed mid-upload, and two stateless instances
//! behind one address. Each test has a prefix of its own in the bucket. Skipped where
//! `CUSTOS_TEST_S3` or PostgreSQL is not configured, except under CI.

use crate::common::{PASSWORD, TestApp, independent_digests, sample_exhibit, sample_incident, spawn_on_bucket};
use custos::domain::user::Role;
use custos::storage::BlobStore;
use serde_json::Value;
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::Duration;

/// Bytes that differ at every position, so a misplaced part shows.
fn patterned(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 251) as u8 ^ seed).collect()
}

fn store(app: &TestApp) -> std::sync::Arc<dyn BlobStore> {
    custos::startup::open_store(&app.settings).unwrap()
}

/// Waits (up to ten seconds) until the bucket holds no temporary upload: a discarded one is
/// deleted in the background.
async fn no_leftovers(store: &dyn BlobStore) {
    for _ in 0..100 {
        if store.leftovers().unwrap().is_empty() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("temporary uploads left in the bucket: {:?}", store.leftovers().unwrap());
}

fn exit_code(output: &std::process::Output) -> (i32, String) {
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

/// Starts `custos serve` as a process of its own on this app's database, bucket and keys.
fn serve(app: &TestApp) -> (Child, String) {
    let mut command = app.command();
    command.args(["serve", "--bind", "127.0.0.1:0", "--log", "warn"]).stderr(Stdio::inherit());
    crate::common::serving(command)
}

async fn upload_to(base: &str, token: &str, incident: &str, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new()
        .part(
            "metadata",
            reqwest::multipart::Part::text(sample_exhibit().to_string()).mime_str("application/json").unwrap(),
        )
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name("evidence.bin"));
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/incidents/{incident}/exhibits"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "upload through {base}");
    response.json().await.unwrap()
}

#[actix_web::test]
async fn evidence_in_a_bucket_streams_in_downloads_verifies_and_exports() {
    let Some(app) = spawn_on_bucket().await else { return };
    let store = store(&app);
    let ivy = app.user("ivy", Role::Investigator);
    let incident = app.open_incident(&ivy, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let health: Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["evidence_store"], serde_json::json!({ "kind": "s3", "status": "ok" }));

    // 20 MiB and 5 bytes: two whole 8 MiB parts and a short last one.
    let bytes = patterned((20 << 20) + 5, 0);
    let (sha256, _, _) = independent_digests(&bytes);
    let response = app.upload(&ivy, &incident, sample_exhibit(), bytes.clone()).await;
    assert_eq!(response.status(), 201);
    let exhibit: Value = response.json().await.unwrap();
    assert_eq!(exhibit["sha256"], sha256.as_str());
    let number = exhibit["number"].as_str().unwrap().to_owned();
    assert!(store.contains(&sha256).unwrap(), "at its content address in the bucket");
    assert_eq!(store.stored().unwrap().len(), 1);
    no_leftovers(store.as_ref()).await;
    assert!(!app.data_dir.path().join("unused").exists(), "a stateless instance keeps nothing in a local directory");

    // Downloads stream from the bucket, whole and by range.
    let file = app.url(&format!("/api/v1/exhibits/{number}/file"));
    let whole = app.client.get(&file).bearer_auth(&ivy.token).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-length"], bytes.len().to_string().as_str());
    assert_eq!(whole.headers()["x-custos-sha256"], sha256.as_str());
    assert!(whole.bytes().await.unwrap() == bytes, "the whole file, byte for byte");
    let start = (8 << 20) - 3;
    let range = app
        .client
        .get(&file)
        .bearer_auth(&ivy.token)
        .header("range", format!("bytes={start}-{}", start + 9))
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.headers()["content-range"], format!("bytes {start}-{}/{}", start + 9, bytes.len()).as_str());
    assert_eq!(range.bytes().await.unwrap().as_ref(), &bytes[start..start + 10], "across a part boundary");
    let past = app.client.get(&file).bearer_auth(&ivy.token).header("range", "bytes=999999999-").send().await.unwrap();
    assert_eq!(past.status(), 416);
    // The background pass read the file back from the bucket for SHA-1 and MD5.
    let (_, md5, sha1) = independent_digests(&bytes);
    let digested = app.wait_for_legacy_digests(&ivy, &number).await;
    assert_eq!((digested["sha1"].as_str(), digested["md5"].as_str()), (Some(sha1.as_str()), Some(md5.as_str())));

    // A claimed digest that differs stores nothing, in the bucket either.
    let mut claimed = sample_exhibit();
    claimed["sha256"] = Value::String("0".repeat(64));
    let refused = app.upload(&ivy, &incident, claimed, patterned(3 << 20, 7)).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(store.stored().unwrap().len(), 1, "nothing at a content address");
    no_leftovers(store.as_ref()).await;

    // An upload cut off mid-stream leaves no exhibit and nothing in the bucket.
    let before = app.snapshot();
    cut_off_upload(&app.address, &ivy.token, &incident, 30 << 20, 12 << 20);
    no_leftovers(store.as_ref()).await;
    assert_eq!(store.stored().unwrap().len(), 1);
    assert_eq!(app.snapshot(), before, "no row");

    // custos verify re-hashes from the bucket.
    let (code, out) = exit_code(&app.custos(&["verify"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("1 files ({} bytes)", bytes.len())), "{out}");
    // The checkpoints were witnessed in the bucket, not in a local file.
    let bucket = store.as_bucket().unwrap();
    assert!(!bucket.names(&["witness"]).unwrap().is_empty());

    // A bundle with files, exported from the bucket, verifies offline.
    let out_dir = tempfile::tempdir().unwrap();
    let bundle = out_dir.path().join("bundle");
    let (code, out) =
        exit_code(&app.custos(&["export", "--incident", &incident, "--out", bundle.to_str().unwrap(), "--with-files"]));
    assert_eq!(code, 0, "{out}");
    assert!(std::fs::read(bundle.join("files").join(&sha256)).unwrap() == bytes);
    let (code, out) = exit_code(&app.custos(&["verify-bundle", bundle.to_str().unwrap()]));
    assert_eq!(code, 0, "{out}");

    // The object rewritten behind Custos's back is found, and named.
    bucket.put_small(&["sha256", &sha256[0..2], &sha256[2..4], &sha256], b"not the evidence".to_vec()).unwrap();
    let (code, out) = exit_code(&app.custos(&["verify"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&number), "{out}");
}

/// Sends the headers of a raw upload of `declared` bytes and `sent` of them, then closes the
/// connection.
fn cut_off_upload(base: &str, token: &str, incident: &str, declared: usize, sent: usize) {
    let metadata = "%7B%22kind%22%3A%22disk_image%22%2C%22description%22%3A%22Cut%20off%22%2C%22acquisition%22%3A%7B%22method%22%3A%22test%22%2C%22acquired_by%22%3A%22ivy%22%2C%22acquired_at%22%3A%222026-01-01T00%3A00%3A00Z%22%7D%7D";
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "PUT /api/v1/incidents/{incident}/exhibits?metadata={metadata} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
    )
    .unwrap();
    let chunk = patterned(1 << 20, 3);
    let mut written = 0;
    while written < sent {
        if stream.write_all(&chunk).is_err() {
            break; // refused early (an error answer) is also a cut-off
        }
        written += chunk.len();
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(stream);
}

#[actix_web::test]
async fn a_server_killed_mid_upload_leaves_no_exhibit_and_nothing_at_an_address() {
    let Some(app) = spawn_on_bucket().await else { return };
    let store = store(&app);
    let ivy = app.user("ivy", Role::Investigator);
    let incident = app.open_incident(&ivy, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let (mut server, base) = serve(&app);
    // 40 MiB declared, 24 MiB sent: several parts are in the bucket when the server dies.
    let (token, inc, url) = (ivy.token.clone(), incident.clone(), base.clone());
    let sender = std::thread::spawn(move || {
        let host = url.trim_start_matches("http://").to_owned();
        let metadata = "%7B%22kind%22%3A%22other%22%2C%22description%22%3A%22Killed%22%7D";
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        write!(
            stream,
            "PUT /api/v1/incidents/{inc}/exhibits?metadata={metadata} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
            40 << 20
        )
        .unwrap();
        let chunk = patterned(1 << 20, 9);
        let mut sent = 0;
        for _ in 0..24 {
            if stream.write_all(&chunk).is_err() {
                return sent;
            }
            sent += chunk.len();
        }
        // Wait for the server to die; the connection then ends.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        sent
    });
    std::thread::sleep(Duration::from_secs(2));
    server.kill().unwrap(); // SIGKILL: no clean-up runs in the server
    server.wait().unwrap();
    // Far more than socket buffers hold: the server was streaming the upload when it died.
    assert_eq!(sender.join().unwrap(), 24 << 20);

    // Restarted: no exhibit, nothing at a content address, no temporary object (the parts of
    // the incomplete multipart upload are invisible), and the records verify.
    let (mut again, base) = serve(&app);
    let listed: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/incidents/{incident}/exhibits"))
        .bearer_auth(&ivy.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(0), "{listed}");
    assert!(store.stored().unwrap().is_empty());
    assert!(store.leftovers().unwrap().is_empty());
    let (code, out) = exit_code(&app.custos(&["verify"]));
    assert_eq!(code, 0, "{out}");
    again.kill().unwrap();
    let _ = again.wait();

    // What a crash at a worse moment would leave, a completed temporary object or a file at its
    // address that no exhibit references, verify lists; a recent one is kept.
    let bucket = store.as_bucket().unwrap();
    bucket.put_small(&["tmp", "crashed.part"], b"half".to_vec()).unwrap();
    let (orphan, _, _) = independent_digests(b"orphan");
    bucket.put_small(&["sha256", &orphan[0..2], &orphan[2..4], &orphan], b"orphan".to_vec()).unwrap();
    let (code, out) = exit_code(&app.custos(&["verify", "--clean-orphans"]));
    assert_eq!(code, 0, "not evidence, so not a problem: {out}");
    assert!(out.contains(&orphan) && out.contains("tmp/crashed.part"), "{out}");
    assert!(out.contains("perhaps an upload"), "recent ones are kept: {out}");
    assert_eq!(store.leftovers().unwrap().len(), 1);
    assert_eq!(store.remove_leftovers(Duration::ZERO).unwrap(), 1, "once old enough they go");
    assert!(store.leftovers().unwrap().is_empty());
}

#[actix_web::test]
async fn two_instances_behind_one_address_share_sessions_and_one_ledger() {
    let Some(app) = spawn_on_bucket().await else { return };
    let ivy = app.user("ivy", Role::Investigator);
    let incident = app.open_incident(&ivy, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let (mut first, a) = serve(&app);
    let (mut second, b) = serve(&app);

    // One sign-in, at the first; the second honours the cookie, and a form posted to it with
    // the session's CSRF token is accepted.
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = browser.get(format!("{a}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::common::csrf_from(&login);
    let signed_in = browser
        .post(format!("{a}/login"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "ivy"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let page = browser.get(format!("{b}/incidents/{incident}")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the second instance knows the session");
    let csrf = crate::common::csrf_from(&page.text().await.unwrap());
    let opened = browser
        .post(format!("{b}/incidents"))
        .form(&[("csrf_token", csrf.as_str()), ("title", "Opened through the second instance")])
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303, "the session and its CSRF token hold across instances");
    let opened = opened.headers()["location"].to_str().unwrap().to_owned();
    let back = browser.get(format!("{a}{opened}")).send().await.unwrap();
    assert_eq!(back.status(), 200, "and back at the first");
    assert!(back.text().await.unwrap().contains("Opened through the second instance"));

    // Uploads through both at once, two of them the same file through each.
    let mut uploads = Vec::new();
    for i in 0..12u8 {
        let base = if i % 2 == 0 { a.clone() } else { b.clone() };
        let bytes = if i < 2 { patterned(9 << 20, 200) } else { patterned(((i as usize) << 18) + 17, i) };
        let (token, inc) = (ivy.token.clone(), incident.clone());
        uploads.push(actix_web::rt::spawn(async move { upload_to(&base, &token, &inc, bytes).await }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for upload in uploads {
        numbers.insert(upload.await.unwrap()["number"].as_str().unwrap().to_owned());
    }
    assert_eq!(numbers.len(), 12, "every upload its own exhibit number");
    let store = store(&app);
    assert_eq!(store.stored().unwrap().len(), 11, "the same file stored once");
    first.kill().unwrap();
    second.kill().unwrap();
    let _ = (first.wait(), second.wait());
    let (code, out) = exit_code(&app.custos(&["verify"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("checked 12 exhibits"), "{out}");
}

#[actix_web::test]
async fn a_data_directory_migrates_into_a_bucket_and_verifies_there() {
    let Some(bucket) = crate::common::bucket_for_test() else { return };
    // The demo dataset, on SQLite and the data directory, as `serve --demo` loads it.
    let data_dir = tempfile::tempdir().unwrap();
    let settings = crate::common::test_settings(data_dir.path(), None);
    let pool = custos::startup::open_database(&settings).unwrap();
    let local = custos::startup::open_store(&settings).unwrap();
    let ledger = custos::startup::open_ledger(&settings, local.as_ref()).unwrap();
    custos::demo::load_if_empty(&mut pool.get().unwrap(), local.as_ref(), &ledger).unwrap().unwrap();
    ledger.checkpoint(&mut pool.get().unwrap()).unwrap();
    let files = local.stored().unwrap();
    assert!(files.len() > 5, "the demo's evidence files");
    let custos = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_custos"));
        command.env_remove("DATABASE_URL").env_remove("CUSTOS_BLOB_STORE").arg("--data-dir").arg(data_dir.path());
        exit_code(&command.args(args).output().unwrap())
    };

    let (code, out) = custos(&["blobs", "migrate", "--to", &bucket]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("copied {} files", files.len())), "{out}");
    let (code, out) = custos(&["--blob-store", &bucket, "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: every file"), "{out}");
    let in_bucket = custos::storage::s3::S3BlobStore::open(&bucket, 1 << 30).unwrap();
    let moved: Vec<_> = in_bucket.stored().unwrap().into_iter().map(|b| (b.sha256, b.size)).collect();
    assert_eq!(moved, files.iter().map(|b| (b.sha256.clone(), b.size)).collect::<Vec<_>>());
    assert!(!in_bucket.names(&["witness"]).unwrap().is_empty(), "the witnessed checkpoints moved too");

    // Run again: nothing copied twice. A local file that no longer hashes to its name is named
    // and not copied, and the command says so.
    let (code, out) = custos(&["blobs", "migrate", "--to", &bucket]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("copied 0 files; {} were already", files.len())), "{out}");
    let damaged = format!("{bucket}-damaged");
    let victim = &files[0];
    let path =
        custos::storage::LocalBlobStore::open(data_dir.path().join("blobs")).unwrap().path_of(&victim.sha256).unwrap();
    std::fs::write(&path, b"rewritten").unwrap();
    let (code, out) = custos(&["blobs", "migrate", "--to", &damaged]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&victim.sha256) && out.contains("not copied"), "{out}");
    let other = custos::storage::s3::S3BlobStore::open(&damaged, 1 << 30).unwrap();
    assert!(!other.contains(&victim.sha256).unwrap(), "nothing stored under the digest it no longer has");

    // With evidence in a bucket an instance never makes its own keys.
    let empty = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_custos"));
    command.env_remove("CUSTOS_LEDGER_KEY").arg("--data-dir").arg(empty.path());
    let (code, out) = exit_code(&command.args(["--blob-store", &bucket, "ledger", "key"]).output().unwrap());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ledger key --generate"), "{out}");
    assert!(!empty.path().join("ledger.key").exists());
}

/// A reader that pauses longer than the client's 30 s request limit (a download to a slow
/// client, a verification waiting for a disk) still reads every byte, in order.
#[actix_web::test]
async fn a_read_paused_past_the_clients_request_limit_completes() {
    let Some(bucket) = crate::common::bucket_for_test() else { return };
    let store = custos::storage::s3::S3BlobStore::open(&bucket, 1 << 30).unwrap();
    let bytes = patterned(64 << 20, 1);
    let finished = store.begin().unwrap().copy_from(&bytes[..], |_| {}).unwrap();
    let sha256 = finished.sha256.clone();
    store.commit(finished).unwrap();
    let mut file = store.open(&sha256).unwrap();
    let mut read = vec![0u8; 1 << 20];
    file.read_exact(&mut read).unwrap();
    std::thread::sleep(Duration::from_secs(40));
    file.read_to_end(&mut read).unwrap();
    assert!(read == bytes, "every byte, in order, after the pause");
}

/// A TCP relay to the object store that can be broken: once `limit` bytes have gone up through
/// it, every connection is cut and new ones are refused, until it is mended.
struct Relay {
    port: u16,
    broken: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    limit: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Relay {
    fn start(upstream: String) -> Relay {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let broken = std::sync::Arc::new(AtomicBool::new(false));
        let sent = std::sync::Arc::new(AtomicU64::new(0));
        let limit = std::sync::Arc::new(AtomicU64::new(u64::MAX));
        let (b, s, l) = (broken.clone(), sent.clone(), limit.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if b.load(Ordering::SeqCst) {
                    continue; // refused: dropped at once
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream, up: bool| {
                    let (b, s, l) = (b.clone(), s.clone(), l.clone());
                    std::thread::spawn(move || {
                        let mut buffer = vec![0u8; 64 * 1024];
                        loop {
                            let n = match from.read(&mut buffer) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if up && s.fetch_add(n as u64, Ordering::SeqCst) + n as u64 > l.load(Ordering::SeqCst) {
                                b.store(true, Ordering::SeqCst);
                            }
                            if b.load(Ordering::SeqCst) || to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = from.shutdown(std::net::Shutdown::Both);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap(), true);
                pipe(server, client, false);
            }
        });
        Relay { port, broken, sent, limit }
    }

    fn break_after(&self, bytes: u64) {
        use std::sync::atomic::Ordering;
        self.limit.store(self.sent.load(Ordering::SeqCst) + bytes, Ordering::SeqCst);
    }

    fn mend(&self) {
        use std::sync::atomic::Ordering;
        self.limit.store(u64::MAX, Ordering::SeqCst);
        self.broken.store(false, Ordering::SeqCst);
    }
}

/// The object store failing in the middle of an upload (every connection to it cut, new ones
/// refused, through the client's retries): the upload fails, no exhibit is recorded, nothing
/// is at a content address and no temporary object is left. Once the store is back, the same
/// instance takes the same upload.
#[actix_web::test]
async fn a_store_failing_mid_upload_leaves_no_exhibit_and_no_object() {
    let Some(app) = spawn_on_bucket().await else { return };
    let store = store(&app);
    let ivy = app.user("ivy", Role::Investigator);
    let incident = app.open_incident(&ivy, sample_incident()).await["number"].as_str().unwrap().to_owned();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let relay = Relay::start(endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned());
    let mut command = app.command();
    command
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", relay.port))
        .args(["serve", "--bind", "127.0.0.1:0", "--log", "error"])
        .stderr(Stdio::null());
    let (mut server, base) = crate::common::serving(command);

    let before = app.snapshot();
    relay.break_after(12 << 20);
    let bytes = patterned(40 << 20, 11);
    let form = reqwest::multipart::Form::new()
        .part(
            "metadata",
            reqwest::multipart::Part::text(sample_exhibit().to_string()).mime_str("application/json").unwrap(),
        )
        .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("evidence.bin"));
    let failed = reqwest::Client::new()
        .post(format!("{base}/api/v1/incidents/{incident}/exhibits"))
        .bearer_auth(&ivy.token)
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = failed {
        assert_eq!(response.status(), 500, "the upload fails with the store");
    } // or the server closed the connection while the client was still sending
    assert!(relay.broken.load(std::sync::atomic::Ordering::SeqCst), "the store did fail mid-upload");
    assert_eq!(app.snapshot(), before, "no exhibit, no custody event");
    assert!(store.stored().unwrap().is_empty(), "nothing at a content address");
    no_leftovers(store.as_ref()).await;

    relay.mend();
    let exhibit = upload_to(&base, &ivy.token, &incident, bytes.clone()).await;
    assert_eq!(exhibit["sha256"], independent_digests(&bytes).0.as_str());
    assert_eq!(store.stored().unwrap().len(), 1);
    server.kill().unwrap();
    let _ = server.wait();
    let (code, out) = exit_code(&app.custos(&["verify"]));
    assert_eq!(code, 0, "{out}");
}
