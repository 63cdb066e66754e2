//! The ledger's Merkle tree stored as C2SP `tlog-tiles`: full tiles written once as leaves
//! fill them, served at `/api/v1/ledger/tile/...` beside the checkpoint, read by a second
//! instance without rebuilding the tree, and checked by `verify`. Roots and proofs are
//! checked here against the leaves themselves (a streaming RFC 6962 root and ct-merkle's
//! proof checks), not against the tile code. On both backends.

use crate::attacks::{as_attacker, verify};
use crate::common::{Backend, TestApp, TestUser, sample_exhibit, sample_incident};
use base64::Engine;
use custos::domain::user::Role;
use custos::ledger::tree::{StreamingRoot, leaf_hash, verify_consistency, verify_inclusion};
use diesel::prelude::*;
use serde_json::{Value, json};

on_both_backends!(
    the_tree_is_stored_as_tiles_that_clients_proofs_and_a_second_instance_read,
    a_damaged_tile_is_named_by_verify_and_never_signed_into_a_root,
    one_exhibits_check_proves_its_leaves_against_the_signed_checkpoint,
);

/// Appends `count` leaves straight to the ledger table, in one statement (no tiles yet: the
/// server writes them when it next reads the ledger).
pub(crate) fn seed_leaves(app: &TestApp, count: i64) {
    use custos::db::schema::ledger_leaves;
    let mut conn = app.conn();
    let base: i64 = ledger_leaves::table.count().get_result(&mut conn).unwrap();
    diesel::sql_query(format!(
        "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {last}) \
         INSERT INTO ledger_leaves (idx, kind, leaf, recorded_at) \
         SELECT {base} + n, 'seeded', '{{\"seeded\":' || n || '}}', CURRENT_TIMESTAMP FROM seq",
        last = count - 1
    ))
    .execute(&mut conn)
    .unwrap();
}

/// Every stored leaf, in order.
fn leaves(app: &TestApp) -> Vec<String> {
    use custos::db::schema::ledger_leaves;
    ledger_leaves::table.order(ledger_leaves::idx.asc()).select(ledger_leaves::leaf).load(&mut app.conn()).unwrap()
}

/// The RFC 6962 root of the first `size` stored leaves, from the leaves alone.
fn root_of_leaves(app: &TestApp, size: usize) -> [u8; 32] {
    let mut root = StreamingRoot::new();
    for leaf in leaves(app).iter().take(size) {
        root.push_hash(leaf_hash(leaf.as_bytes()));
    }
    root.root()
}

fn stored_tiles(app: &TestApp, level: i32) -> i64 {
    use custos::db::schema::ledger_tiles;
    ledger_tiles::table.filter(ledger_tiles::level.eq(level)).count().get_result(&mut app.conn()).unwrap()
}

async fn get_at(app: &TestApp, base: &str, user: &TestUser, path: &str) -> reqwest::Response {
    app.client.get(format!("{base}{path}")).bearer_auth(&user.token).send().await.unwrap()
}

/// Records an analysis of `exhibit` through the instance at `base`.
async fn analyzed_at(app: &TestApp, base: &str, user: &TestUser, exhibit: &str) {
    let r = app
        .client
        .post(format!("{base}/api/v1/exhibits/{exhibit}/custody"))
        .bearer_auth(&user.token)
        .json(&json!({ "action": "analyzed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

fn hashes(value: &Value) -> Vec<[u8; 32]> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let raw = base64::engine::general_purpose::STANDARD.decode(h.as_str().unwrap()).unwrap();
            <[u8; 32]>::try_from(raw.as_slice()).unwrap()
        })
        .collect()
}

fn root_hex(head: &Value) -> [u8; 32] {
    <[u8; 32]>::try_from(hex::decode(head["root_hash"].as_str().unwrap()).unwrap().as_slice()).unwrap()
}

/// An exhibit with three custody events (received, the SHA-1/MD5 pass, a transfer), and the
/// ledger head after them.
async fn exhibit_with_events(app: &TestApp, user: &TestUser) -> (String, Value) {
    let incident = app.open_incident(user, sample_incident()).await;
    let number = incident["number"].as_str().unwrap();
    let exhibit: Value = app.upload(user, number, sample_exhibit(), b"tile bytes".to_vec()).await.json().await.unwrap();
    let exhibit = exhibit["number"].as_str().unwrap().to_owned();
    // The background pass records SHA-1 and MD5 as a custody event of its own: waited for
    // here, so that no leaf is appended behind the test's back between two reads of the head.
    app.wait_for_legacy_digests(user, &exhibit).await;
    let custody = format!("/api/v1/exhibits/{exhibit}/custody");
    assert_eq!(
        app.post(user, &custody, &json!({ "action": "transferred", "to_custodian": "Lab" })).await.status(),
        201
    );
    let head: Value = app.get(user, "/api/v1/ledger").await.json().await.unwrap();
    (exhibit, head)
}

async fn the_tree_is_stored_as_tiles_that_clients_proofs_and_a_second_instance_read(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let (exhibit, old) = exhibit_with_events(&app, &dana).await;
    seed_leaves(&app, 700);
    let head: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    let size = head["tree_size"].as_i64().unwrap();
    assert_eq!(size, old["tree_size"].as_i64().unwrap() + 700);
    let size_u = usize::try_from(size).unwrap();
    assert_eq!(root_hex(&head), root_of_leaves(&app, size_u), "the signed root is the leaves' root");
    assert_eq!(stored_tiles(&app, 0), size / 256, "every full level-0 tile is stored, and only those");
    assert_eq!(stored_tiles(&app, 1), 0);

    // The checkpoint, as a tlog client reads it.
    let r = get_at(&app, &app.address, &dana, "/api/v1/ledger/checkpoint").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(r.text().await.unwrap(), head["checkpoint"].as_str().unwrap());

    // A full tile: 256 leaf hashes, cacheable for good.
    let all = leaves(&app);
    let r = get_at(&app, &app.address, &dana, "/api/v1/ledger/tile/0/001").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let tile = r.bytes().await.unwrap();
    assert_eq!(tile.len(), 256 * 32);
    for (i, hash) in tile.chunks(32).enumerate() {
        assert_eq!(hash, leaf_hash(all[256 + i].as_bytes()), "hash {i} of tile 0/001");
    }
    // The partial tile at the right edge, and the level-1 tile above: the roots of the full
    // level-0 tiles.
    let (full, width) = (size / 256, size % 256);
    let r = get_at(&app, &app.address, &dana, &format!("/api/v1/ledger/tile/0/{full:03}.p/{width}")).await;
    assert_eq!(r.status(), 200);
    assert!(!r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let partial = r.bytes().await.unwrap();
    assert_eq!(partial.len(), usize::try_from(width).unwrap() * 32);
    assert_eq!(&partial[partial.len() - 32..], leaf_hash(all[size_u - 1].as_bytes()));
    let r = get_at(&app, &app.address, &dana, &format!("/api/v1/ledger/tile/1/000.p/{full}")).await;
    let level1 = r.bytes().await.unwrap();
    for (t, entry) in level1.chunks(32).enumerate() {
        let mut root = StreamingRoot::new();
        for leaf in &all[t * 256..(t + 1) * 256] {
            root.push_hash(leaf_hash(leaf.as_bytes()));
        }
        assert_eq!(entry, root.root(), "entry {t} of tile 1/000 is the root of tile 0/{t:03}");
    }
    // Past the edge, malformed, or without a token: refused, nothing invented.
    for path in [
        format!("0/{full:03}"),
        format!("0/{full:03}.p/{}", width + 1),
        format!("0/{:03}", full + 1),
        "1/000".into(),
        "0/1".into(),
        "0/x000/001".into(),
        "9/000".into(),
        "0/000.p/256".into(),
        "entries/000".into(),
    ] {
        let r = get_at(&app, &app.address, &dana, &format!("/api/v1/ledger/tile/{path}")).await;
        assert_eq!(r.status(), 404, "tile/{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "tile/{path}");
    }
    let r = app.client.get(app.url("/api/v1/ledger/tile/0/000")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Proofs made from the tiles verify against the signed root, by ct-merkle's checks.
    let bundle: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}/proof")).await.json().await.unwrap();
    let bundle_size = bundle["tree_size"].as_u64().unwrap();
    let bundle_root = root_of_leaves(&app, usize::try_from(bundle_size).unwrap());
    for event in bundle["events"].as_array().unwrap() {
        let index = event["ledger_index"].as_u64().unwrap();
        let proof = hashes(&event["inclusion_proof"]);
        assert!(
            verify_inclusion(&bundle_root, bundle_size, index, event["canonical"].as_str().unwrap().as_bytes(), &proof),
            "inclusion of leaf {index}"
        );
    }
    let from = old["tree_size"].as_u64().unwrap();
    let consistency: Value =
        app.get(&dana, &format!("/api/v1/ledger/consistency?from={from}&to={bundle_size}")).await.json().await.unwrap();
    assert!(verify_consistency(&root_hex(&old), from, &bundle_root, bundle_size, &hashes(&consistency["proof"])));

    // A second instance on the same database reads the tiles instead of the leaves, and the
    // two go on writing one log.
    let second = app.restart().unwrap();
    seed_leaves(&app, 300);
    analyzed_at(&app, &second, &dana, &exhibit).await;
    let at_second: Value = get_at(&app, &second, &dana, "/api/v1/ledger").await.json().await.unwrap();
    let at_first: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    let size = at_first["tree_size"].as_i64().unwrap();
    assert_eq!(at_second["tree_size"], at_first["tree_size"]);
    assert_eq!(root_hex(&at_second), root_of_leaves(&app, usize::try_from(size).unwrap()));
    assert_eq!(at_first["root_hash"], at_second["root_hash"]);
    assert_eq!(stored_tiles(&app, 0), size / 256, "each tile stored once, whichever instance filled it");
    let (code, out) = verify(&app, &[]);
    assert!(!out.contains("ledger tile"), "verify finds fault with good tiles (exit {code}):\n{out}");
}

async fn a_damaged_tile_is_named_by_verify_and_never_signed_into_a_root(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let (exhibit, _) = exhibit_with_events(&app, &dana).await;
    seed_leaves(&app, 600);
    let head: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    assert!(head["tree_size"].as_i64().unwrap() > 512);
    let (_, out) = verify(&app, &[]);
    assert!(!out.contains("ledger tile"), "{out}");

    // Tile 0/1's hash 5 is overwritten, as someone with database access could.
    let mut tile = custos::db::repo::ledger::tile(&mut app.conn(), 0, 1).unwrap().unwrap();
    tile[5 * 32..6 * 32].fill(0);
    let damaged = match app.backend {
        Backend::Sqlite => format!("X'{}'", hex::encode(&tile)),
        Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(&tile)),
    };
    as_attacker(&app, &format!("UPDATE ledger_tiles SET hashes = {damaged} WHERE level = 0 AND idx = 1"));
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("stored ledger tile 0/1 differs"), "{out}");
    assert!(out.contains(&hex::encode(leaf_hash(leaves(&app)[256 + 5].as_bytes()))), "the good hash is named:\n{out}");

    // A new instance resumes from the tiles, finds they do not give the signed root, and
    // makes its edge from the leaves: what it signs next is the leaves' root.
    let second = app.restart().unwrap();
    analyzed_at(&app, &second, &dana, &exhibit).await;
    let head: Value = get_at(&app, &second, &dana, "/api/v1/ledger").await.json().await.unwrap();
    let size = usize::try_from(head["tree_size"].as_i64().unwrap()).unwrap();
    assert_eq!(root_hex(&head), root_of_leaves(&app, size));
    let (_, out) = verify(&app, &[]);
    assert!(out.contains("stored ledger tile 0/1 differs"), "{out}");
    assert!(!out.contains("Merkle root differs"), "no checkpoint was signed over the damaged tile:\n{out}");
}

/// Runs as an attacker who knows how records are hashed: the exhibit's last custody event and
/// its ledger leaf rewritten together, so that its chain and its leaf still agree.
fn rewrite_event_and_leaf(app: &TestApp, index: i64, from: &str, to: &str) {
    let leaf = custos::db::repo::ledger::leaf(&mut app.conn(), index).unwrap().unwrap();
    let rewritten = leaf.replace(&format!("\"to_custodian\":\"{from}\""), &format!("\"to_custodian\":\"{to}\""));
    assert_ne!(leaf, rewritten, "the leaf names the custodian: {leaf}");
    as_attacker(
        app,
        &format!(
            "UPDATE custody_events SET to_custodian = '{to}', event_hash = '{hash}' WHERE ledger_index = {index}; \
             UPDATE ledger_leaves SET leaf = '{rewritten}' WHERE idx = {index}",
            hash = custos::ledger::event_hash(&rewritten),
        ),
    );
}

/// The check of one exhibit (the API's and the page's "Verify now") proves each of its leaves
/// into the latest signed checkpoint from the stored tiles, and holds that checkpoint to the
/// witness file's, instead of reading the whole ledger: a record rewritten together with its
/// leaf (which its chain and its leaf alone cannot show) fails its proof, as does a damaged
/// tile on its path; damage elsewhere in the ledger is `custos verify`'s to find.
async fn one_exhibits_check_proves_its_leaves_against_the_signed_checkpoint(app: TestApp) {
    let dana = app.user("dana", Role::Investigator);
    let (exhibit, _) = exhibit_with_events(&app, &dana).await;
    let verify_one = format!("/api/v1/exhibits/{exhibit}/verify");
    let check = |report: &Value| report["report"].clone();
    let intact: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(intact["intact"], true, "{intact}");
    let head: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    assert_eq!(check(&intact)["checkpoint_size"], head["tree_size"], "{intact}");
    assert_eq!(check(&intact)["leaves_checked"], 3, "its three events' leaves: {intact}");
    assert_eq!(check(&intact)["leaves_proved"], 3, "{intact}");

    // The transfer and its leaf rewritten together: only the proof can tell.
    let events: Value = app.get(&dana, &format!("/api/v1/exhibits/{exhibit}")).await.json().await.unwrap();
    let transfer = events["custody"].as_array().unwrap().iter().find(|e| e["action"] == "transferred").unwrap();
    let index = transfer["ledger_index"].as_i64().unwrap();
    rewrite_event_and_leaf(&app, index, "Lab", "Evidence locker");
    let report: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(report["intact"], false, "{report}");
    let found = check(&report);
    let problems: Vec<&str> =
        found["findings"].as_array().unwrap().iter().map(|f| f["problem"].as_str().unwrap()).collect();
    assert_eq!(problems.len(), 1, "{report}");
    assert!(problems[0].contains("is not the one signed in the stored checkpoint"), "{report}");
    assert_eq!(check(&report)["findings"][0]["ledger_index"], index, "{report}");
    assert_eq!(check(&report)["leaves_proved"], 2, "{report}");
    // The incident's check proves the same way; the whole check finds the root changed.
    let incident = &exhibit[..exhibit.rfind('-').unwrap()];
    let (code, out) = verify(&app, &["--incident", incident]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not the one signed in the stored checkpoint") && out.contains(&exhibit), "{out}");
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Merkle root differs"), "{out}");
    rewrite_event_and_leaf(&app, index, "Evidence locker", "Lab");
    let (code, out) = verify(&app, &["--incident", incident]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 of those leaves proved into the signed checkpoint"), "{out}");
    let report: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(report["intact"], true, "restored: {report}");

    // Its leaves in a full tile, then that tile damaged where the exhibit's proofs pass.
    seed_leaves(&app, 600);
    let head: Value = app.get(&dana, "/api/v1/ledger").await.json().await.unwrap();
    assert!(head["tree_size"].as_i64().unwrap() > 512);
    let report: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(check(&report)["checkpoint_size"], head["tree_size"], "{report}");
    let original = custos::db::repo::ledger::tile(&mut app.conn(), 0, 0).unwrap().unwrap();
    let write_tile = |bytes: &[u8]| {
        let value = match app.backend {
            Backend::Sqlite => format!("X'{}'", hex::encode(bytes)),
            Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(bytes)),
        };
        as_attacker(&app, &format!("UPDATE ledger_tiles SET hashes = {value} WHERE level = 0 AND idx = 0"));
    };
    let mut damaged = original.clone();
    // A hash beside the exhibit's leaves, on the path of their proofs.
    let sibling = usize::try_from(index ^ 1).unwrap();
    damaged[sibling * 32..(sibling + 1) * 32].fill(0);
    write_tile(&damaged);
    let report: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(report["intact"], false, "{report}");
    assert!(report.to_string().contains("not the one signed"), "{report}");
    write_tile(&original);

    // A leaf of someone else's record altered: not this exhibit's proofs, which still hold;
    // the whole-ledger check finds it.
    as_attacker(&app, "UPDATE ledger_leaves SET leaf = '{\"seeded\":-1}' WHERE idx = 600");
    let report: Value = app.get(&dana, &verify_one).await.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    let (code, out) = verify(&app, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Merkle root differs"), "{out}");
}
