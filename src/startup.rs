//! Builds the application: pool, migrations, keys, routes; binds (port 0 in tests) and runs.

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;
use crate::ledger::note::LedgerKey;
use crate::routes;
use crate::services::evidence;
use crate::services::ledger::Ledger;
use crate::services::ledger::WitnessLog;
use crate::storage::s3::S3BlobStore;
use crate::storage::{BlobStore, LocalBlobStore};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub store: Arc<dyn BlobStore>,
    pub ledger: Arc<Ledger>,
}

impl AppState {
    /// Runs blocking database work off the async executor, with a pooled connection.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }
}

/// Opens the data directory and database and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<DbPool, String> {
    create_data_dir(settings)?;
    let pool = db::connect(&settings.database, settings.pool_size)?;
    let mut conn = pool.get().map_err(|e| format!("cannot connect to {}: {e}", settings.database.redacted()))?;
    migrate(&mut conn)?;
    Ok(pool)
}

/// Opens one connection and applies pending migrations: for the command line.
pub fn open_connection(settings: &Settings) -> Result<DbConnection, String> {
    create_data_dir(settings)?;
    let mut conn = db::establish(&settings.database)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Makes the data directory, unless the instance is stateless (PostgreSQL and a bucket), when
/// it keeps nothing there.
fn create_data_dir(settings: &Settings) -> Result<(), String> {
    if settings.blob_store.is_some() && !matches!(settings.database, crate::db::DatabaseTarget::Sqlite(_)) {
        return Ok(());
    }
    crate::storage::create_private_dir(&settings.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", settings.data_dir.display()))
}

fn migrate(conn: &mut DbConnection) -> Result<(), String> {
    for name in db::migrate(conn)? {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(())
}

/// Opens the evidence store the settings name: the data directory's `blobs`, or a bucket.
pub fn open_store(settings: &Settings) -> Result<Arc<dyn BlobStore>, String> {
    match &settings.blob_store {
        Some(address) => Ok(Arc::new(S3BlobStore::open(address, settings.max_upload_bytes)?)),
        None => LocalBlobStore::open(settings.data_dir.join("blobs"))
            .map(|store| Arc::new(store) as Arc<dyn BlobStore>)
            .map_err(|e| format!("cannot open the evidence store: {e}")),
    }
}

/// Opens the ledger: its signing key from the settings, its witness beside the evidence.
pub fn open_ledger(settings: &Settings, store: &dyn BlobStore) -> Result<Ledger, String> {
    let (key, _) = ledger_key(settings)?;
    let witness = match store.as_bucket() {
        Some(bucket) => WitnessLog::Bucket(bucket.clone()),
        None => WitnessLog::File(settings.data_dir.join(crate::services::ledger::WITNESS_FILE)),
    };
    Ok(Ledger::new(key, witness))
}

/// A secret's text, from the first of: the variable `variable` holding it, the file the
/// settings name, the data directory's file. Only a single instance with its evidence in the
/// data directory makes the data directory's file on first start; instances that keep their
/// evidence in a bucket must all be given the same keys, so none may invent its own.
fn secret(
    settings: &Settings,
    variable: &str,
    given: Option<&Path>,
    file: &str,
    make: impl FnOnce() -> Result<String, String>,
) -> Result<(String, String), String> {
    if let Ok(text) = std::env::var(variable)
        && !text.trim().is_empty()
    {
        return Ok((text, format!("the variable {variable}")));
    }
    let (path, may_create) = match given {
        Some(path) => (path.to_path_buf(), false),
        None => (settings.data_dir.join(file), settings.blob_store.is_none()),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((text, path.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
            let text = make()?;
            crate::storage::write_private(&path, text.as_bytes())?;
            Ok((text, path.display().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && given.is_none() => Err(format!(
            "no {file}: with evidence in a bucket every instance must be given the same keys \
             (custos ledger key --generate DIR writes a pair; then --ledger-key-file and --session-key-file, \
             or CUSTOS_LEDGER_KEY and CUSTOS_SESSION_KEY)"
        )),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The ledger's signing key and where it came from.
pub fn ledger_key(settings: &Settings) -> Result<(LedgerKey, String), String> {
    let (text, source) = secret(
        settings,
        "CUSTOS_LEDGER_KEY",
        settings.ledger_key_file.as_deref(),
        crate::services::ledger::KEY_FILE,
        new_ledger_key_text,
    )?;
    let key = LedgerKey::parse(&text).map_err(|e| format!("{source}: {e}"))?;
    Ok((key, source))
}

/// The key that signs session cookies: every instance behind one address must have the same,
/// so that a sign-in at one is good at all.
pub fn session_key(settings: &Settings) -> Result<Key, String> {
    let (text, source) =
        secret(settings, "CUSTOS_SESSION_KEY", settings.session_key_file.as_deref(), "session.key", || {
            Ok(new_session_key_text())
        })?;
    let bytes = hex::decode(text.trim()).map_err(|_| format!("{source} is not a hex key"))?;
    Key::try_from(bytes.as_slice()).map_err(|_| format!("{source} is too short for a session key (64 bytes)"))
}

fn new_ledger_key_text() -> Result<String, String> {
    let mut id = [0u8; 4];
    rand::fill(&mut id);
    let key = LedgerKey::generate(&format!("custos.ledger/{}", hex::encode(id))).map_err(|e| e.to_string())?;
    Ok(format!("{}\n", key.to_private_text()))
}

fn new_session_key_text() -> String {
    let mut bytes = [0u8; 64];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// Writes a new pair of keys, `ledger.key` and `session.key`, into `dir` (made if need be),
/// never over existing files; returns the ledger's verifier key.
pub fn generate_keys(dir: &Path) -> Result<String, String> {
    crate::storage::create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ledger = new_ledger_key_text()?;
    let verifier = LedgerKey::parse(&ledger).map_err(|e| e.to_string())?.verifier_key();
    crate::storage::write_private(&dir.join(crate::services::ledger::KEY_FILE), ledger.as_bytes())?;
    crate::storage::write_private(&dir.join("session.key"), new_session_key_text().as_bytes())?;
    Ok(verifier)
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Everything short of serving: open the database, bind the port.
    pub fn build(settings: Settings) -> Result<Application, String> {
        let pool = open_database(&settings)?;
        Self::build_with_pool(settings, pool)
    }

    pub fn build_with_pool(settings: Settings, pool: DbPool) -> Result<Application, String> {
        let key = session_key(&settings)?;
        let store = open_store(&settings)?;
        // One instance owns a data directory, so any temporary file there is from an upload
        // that died with it; a bucket is shared, and another instance may be uploading now.
        let grace = match settings.blob_store {
            Some(_) => crate::services::verify::ORPHAN_GRACE,
            None => std::time::Duration::ZERO,
        };
        let removed = store.remove_leftovers(grace).map_err(|e| format!("cannot clean the evidence store: {e}"))?;
        if removed > 0 {
            tracing::warn!(removed, "removed temporary files of interrupted uploads");
        }
        let ledger = open_ledger(&settings, store.as_ref())?;
        // A bad statute catalog stops the server before it serves anything; a new catalog
        // release sends mappings of changed elements back to review.
        let catalog = crate::statutes::catalog()?;
        crate::domain::evidence::check_suggested_kinds(catalog)?;
        let mut conn = pool.get().map_err(|e| format!("cannot connect to the database: {e}"))?;
        let reopened = crate::services::charges::reconcile_with_catalog(&mut conn)
            .map_err(|e| format!("checking accepted mappings against the statute catalog: {}", e.with_cause()))?;
        let ordered = crate::services::charges::order_limitations(&mut conn)
            .map_err(|e| format!("ordering counts by limitation deadline: {}", e.with_cause()))?;
        if ordered > 0 {
            tracing::info!(ordered, catalog = %catalog.version, "counts placed in the limitation-deadline list");
        }
        // The tree's edge, from the stored tiles (or, the first time, by tiling every leaf),
        // before the first request needs it.
        let started = std::time::Instant::now();
        let head = ledger
            .checkpoint(&mut conn)
            .map_err(|e| format!("reading the ledger's tiles: {}", e.with_cause()))?
            .map_or(0, |c| c.tree_size);
        tracing::info!(leaves = head, ms = started.elapsed().as_millis() as u64, "ledger tree ready");
        drop(conn);
        if reopened > 0 {
            tracing::warn!(reopened, catalog = %catalog.version, "mappings returned to review: the statute catalog changed their elements");
        }
        let listener =
            TcpListener::bind(&settings.bind).map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let state = AppState { pool, settings: Arc::new(settings), store, ledger: Arc::new(ledger) };
        actix_web::rt::spawn(keep_ledger(state.clone()));
        let server = serve(listener, state, key)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// How often the background keeper signs a checkpoint while it works through a backlog.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The background keeper: adds SHA-1 and MD5 to newly ingested evidence (recording each pass
/// as a custody event) and signs a checkpoint when the ledger has grown (at once when idle, once a second through a backlog). It picks up
/// where it left off after a restart, since its work list is in the database.
async fn keep_ledger(state: AppState) {
    let mut signed_at: Option<std::time::Instant> = None;
    loop {
        let work = state.clone();
        let due = signed_at.is_none_or(|at| at.elapsed() >= CHECKPOINT_EVERY);
        let result = state
            .run(move |conn| {
                let pending = evidence::awaiting_legacy_digests(conn)?;
                // Idle, a checkpoint is signed at once; through a backlog (every exhibit of a
                // large import) at most once per CHECKPOINT_EVERY, not once per exhibit.
                let sign = pending.is_none() || due;
                if sign {
                    work.ledger.checkpoint(conn)?;
                }
                Ok((pending, sign))
            })
            .await;
        let result = result.map(|(pending, signed)| {
            if signed {
                signed_at = Some(std::time::Instant::now());
            }
            pending
        });
        // The file is read with no pooled connection held, then the result recorded.
        let result = match result {
            Ok(Some((number, sha256))) => {
                let store = state.store.clone();
                let hashed = web::block(move || {
                    let digests = evidence::compute_legacy_digests(store.as_ref(), &sha256);
                    (sha256, digests)
                })
                .await;
                match hashed {
                    Ok((sha256, digests)) => state
                        .run(move |conn| evidence::record_legacy_digests(conn, number, &sha256, digests))
                        .await
                        .map(|()| true),
                    Err(e) => Err(e.into()),
                }
            }
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        };
        let pause = match result {
            Ok(true) => continue,
            Ok(false) => 300,
            Err(e) => {
                tracing::warn!(error = %e, "background ledger work failed; retrying");
                5_000
            }
        };
        actix_web::rt::time::sleep(std::time::Duration::from_millis(pause)).await;
    }
}

/// Content Security Policy: no inline script or style, nothing from elsewhere, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn serve(listener: TcpListener, state: AppState, key: Key) -> Result<Server, String> {
    let workers = state.settings.workers;
    let secure = state.settings.secure_cookies;
    let ttl = actix_web::cookie::time::Duration::seconds(
        i64::try_from(state.settings.session_ttl.as_secs()).unwrap_or(8 * 3600),
    );
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("custos_session".to_owned())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Strict)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(PersistentSession::default().session_ttl(ttl))
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(routes::json_config())
            .app_data(routes::payload_config())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            .wrap(sessions)
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CSP))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer"))
                    // Case pages and API answers are not to be kept by browsers or proxies;
                    // the stylesheet and scripts set their own caching.
                    .add(("Cache-Control", "no-store"))
                    .add(("Cross-Origin-Opener-Policy", "same-origin"))
                    .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()")),
            )
            .wrap(actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target("custos::http"))
            .configure(routes::configure)
    })
    .workers(workers)
    .listen(listener)
    .map_err(|e| e.to_string())?
    .run();
    Ok(server)
}
