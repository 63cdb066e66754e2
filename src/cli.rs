//! The command line: what an operator scripts. Command and flag names are a fixed contract.

use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{FileSettings, Overrides, Settings};
use crate::domain::user::{NewPassword, Role};
use crate::{demo, services, startup, telemetry};

#[derive(Debug, Parser)]
#[command(name = "custos", version, about = "Case management for prosecuting AI-enabled cybercrime")]
pub struct Cli {
    /// Data directory: SQLite database, keys, evidence blobs [default: ./custos-data]
    #[arg(long, global = true, env = "CUSTOS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://... for PostgreSQL, or a SQLite file path [default: SQLite in the data directory]
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Settings file (TOML; keys as the long flags with '_' for '-') [default: ./custos.toml if present]
    #[arg(long, global = true, env = "CUSTOS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Evidence in an S3-compatible bucket, s3://bucket/prefix (endpoint, region and keys from
    /// AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) [default: the
    /// data directory]
    #[arg(long, global = true, env = "CUSTOS_BLOB_STORE", value_name = "URL")]
    pub blob_store: Option<String>,
    /// The ledger's signing key (or CUSTOS_LEDGER_KEY holding it) [default: ledger.key in the
    /// data directory]; every instance of one deployment must have the same
    #[arg(long, global = true, env = "CUSTOS_LEDGER_KEY_FILE", value_name = "FILE")]
    pub ledger_key_file: Option<PathBuf>,
    /// The key that signs sign-in cookies (or CUSTOS_SESSION_KEY holding it, in hex) [default:
    /// session.key in the data directory]; every instance must have the same
    #[arg(long, global = true, env = "CUSTOS_SESSION_KEY_FILE", value_name = "FILE")]
    pub session_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the web application
    Serve(ServeArgs),
    /// Applies pending database migrations
    Migrate,
    /// Manages users
    #[command(subcommand)]
    User(UserCommand),
    /// Manages API bearer tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Re-hashes evidence files and checks every custody chain and the ledger; exit 0 all
    /// good, 1 problems found, 2 could not run
    Verify {
        /// Only this incident's exhibits (the ledger is still checked whole)
        #[arg(long, value_name = "NUMBER")]
        incident: Option<String>,
        /// A signed checkpoint kept elsewhere (e.g. from an exported memo or case bundle):
        /// the ledger must still contain it
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<std::path::PathBuf>,
        /// Remove evidence files that no exhibit references and that are over an hour old
        /// (left by interrupted uploads); each removal is printed
        #[arg(long)]
        clean_orphans: bool,
    },
    /// The tamper-evident ledger
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Charging memos
    #[command(subcommand)]
    Memo(MemoCommand),
    /// Writes an incident's case bundle: manifest with proofs, CASE/UCO graph, and the
    /// evidence files with --with-files
    Export {
        #[arg(long, value_name = "NUMBER")]
        incident: String,
        /// A new folder for the bundle
        #[arg(long, value_name = "PATH")]
        out: std::path::PathBuf,
        #[arg(long)]
        with_files: bool,
    },
    /// Generates a synthetic dataset: N incidents with exhibits, custody, counts and mappings
    Demo {
        /// How many incidents
        #[arg(long, value_name = "N")]
        scale: usize,
        /// Exhibits per incident
        #[arg(long, value_name = "K", default_value_t = 5)]
        exhibits: usize,
    },
    /// Checks a case bundle offline; exit 0 all good, 1 problems found, 2 could not run
    VerifyBundle {
        #[arg(value_name = "PATH")]
        path: std::path::PathBuf,
    },
    /// The evidence store
    #[command(subcommand)]
    Blobs(BlobsCommand),
}

#[derive(Debug, Subcommand)]
pub enum BlobsCommand {
    /// Copies every evidence file of the data directory (and the witnessed checkpoints) into
    /// a bucket, hashing each as it streams and storing it only if its SHA-256 is its name;
    /// files already there are checked, not copied again. Exit 0 all copied, 1 a file failed
    /// its digest, 2 could not run
    Migrate {
        /// The bucket, s3://bucket/prefix
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemoCommand {
    /// Writes a memo version as PDF (the latest unless --version is given); the export is
    /// recorded in the audit trail with the PDF's SHA-256, which is printed
    Export {
        #[arg(long, value_name = "NUMBER")]
        incident: String,
        #[arg(long, value_name = "V")]
        version: Option<i32>,
        #[arg(long, value_name = "FILE.pdf")]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prints the ledger's verifier key (signed-note format), for outside verifiers, and says
    /// where the signing key comes from
    Key {
        /// Instead, writes a new signing key and session key to DIR/ledger.key and
        /// DIR/session.key (readable by their owner only; never over existing files), to give
        /// every instance of a deployment the same keys
        #[arg(long, value_name = "DIR")]
        generate: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "CUSTOS_BIND", value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// HTTP worker threads [default: 2]
    #[arg(long, env = "CUSTOS_WORKERS")]
    pub workers: Option<usize>,
    /// Database connections in the pool [default: 8]
    #[arg(long, env = "CUSTOS_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// Minutes a sign-in lasts, 5 to 10080 [default: 480]
    #[arg(long, env = "CUSTOS_SESSION_TTL_MINUTES", value_name = "MINUTES")]
    pub session_ttl_minutes: Option<u64>,
    /// Send the session cookie only over HTTPS (set true behind TLS) [default: false]
    #[arg(long, env = "CUSTOS_SECURE_COOKIES", value_name = "true|false")]
    pub secure_cookies: Option<bool>,
    /// Largest evidence upload accepted, in bytes [default: 68719476736 (64 GiB)]
    #[arg(long, env = "CUSTOS_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Log filter, e.g. info or custos=debug [default: info]
    #[arg(long, env = "CUSTOS_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Load the demo dataset (users, incidents) into an empty data directory
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates a user; the password is read from a prompt or, with --password-stdin, stdin
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Full name as shown to colleagues [default: the username]
        #[arg(long)]
        full_name: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disables an account: it can no longer sign in, and its sessions and tokens end now
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Prints a new API bearer token for the user, and nothing else, on stdout
    Create {
        #[arg(long)]
        username: String,
    },
    /// Revokes a token by its id (printed on stderr when it was created)
    Revoke {
        #[arg(value_name = "TOKEN_ID")]
        id: String,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.parse()
}

/// Exit codes: 0 done; 1 the command ran and refused (bad input, conflict); 2 could not run.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let log = match &cli.command {
        Command::Serve(args) => args.log.clone(),
        _ => None,
    };
    let settings = match settings(&cli) {
        Ok(s) => s,
        Err(message) => return fail(2, &message),
    };
    telemetry::init(log.as_deref().unwrap_or(match cli.command {
        Command::Serve(_) => settings.log.as_str(),
        _ => "warn",
    }));
    match cli.command {
        Command::Serve(args) => serve(settings, args.demo),
        Command::Migrate => match startup::open_connection(&settings) {
            Ok(_) => {
                println!("database {} is up to date", settings.database.redacted());
                ExitCode::SUCCESS
            }
            Err(message) => fail(2, &message),
        },
        Command::User(UserCommand::Add { username, role, full_name, password_stdin }) => {
            let password = match read_password(password_stdin) {
                Ok(p) => p,
                Err(message) => return fail(1, &message),
            };
            with_connection(&settings, |conn| {
                let full_name = full_name.clone().unwrap_or_else(|| username.clone());
                services::users::create(conn, None, &username, &full_name, role, password)
                    .map(|user| println!("created {} ({})", user.username, user.role))
            })
        }
        Command::Verify { incident, checkpoint, clean_orphans } => {
            verify(&settings, incident.as_deref(), checkpoint.as_deref(), clean_orphans)
        }
        Command::Memo(MemoCommand::Export { incident, version, out }) => {
            memo_export(&settings, &incident, version, &out)
        }
        Command::Export { incident, out, with_files } => export(&settings, &incident, &out, with_files),
        Command::VerifyBundle { path } => verify_bundle(&path),
        Command::Demo { scale, exhibits } => demo_scale(&settings, scale, exhibits),
        Command::Ledger(LedgerCommand::Key { generate: Some(dir) }) => match startup::generate_keys(&dir) {
            Ok(verifier) => {
                println!("{verifier}");
                eprintln!(
                    "wrote {0}/ledger.key and {0}/session.key; start every instance with --ledger-key-file {0}/ledger.key \
                     --session-key-file {0}/session.key (or CUSTOS_LEDGER_KEY and CUSTOS_SESSION_KEY holding them)",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(message) => fail(2, &message),
        },
        Command::Ledger(LedgerCommand::Key { generate: None }) => match startup::ledger_key(&settings) {
            Ok((key, source)) => {
                println!("{}", key.verifier_key());
                eprintln!(
                    "signing key: {source}; every instance must use the same one (--ledger-key-file or CUSTOS_LEDGER_KEY, and the same --session-key-file or CUSTOS_SESSION_KEY)"
                );
                ExitCode::SUCCESS
            }
            Err(message) => fail(2, &message),
        },
        Command::Blobs(BlobsCommand::Migrate { to }) => blobs_migrate(&settings, &to),
        Command::Token(TokenCommand::Create { username }) => with_connection(&settings, |conn| {
            services::users::issue_token(conn, &username).map(|issued| {
                println!("{}", issued.token);
                eprintln!("token id {} (custos token revoke {} ends it)", issued.id, issued.id);
            })
        }),
        Command::Token(TokenCommand::Revoke { id }) => with_connection(&settings, |conn| {
            services::users::revoke_token(conn, None, &id).map(|()| println!("revoked token {id}"))
        }),
        Command::User(UserCommand::Disable { username }) => with_connection(&settings, |conn| {
            services::users::disable(conn, None, &username).map(|(sessions, tokens)| {
                println!("disabled {username}: {sessions} sessions ended, {tokens} tokens revoked")
            })
        }),
    }
}

fn settings(cli: &Cli) -> Result<Settings, String> {
    let file = FileSettings::read(cli.config.as_deref())?;
    let mut overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        blob_store: cli.blob_store.clone(),
        ledger_key_file: cli.ledger_key_file.clone(),
        session_key_file: cli.session_key_file.clone(),
        ..Default::default()
    };
    if let Command::Serve(args) = &cli.command {
        overrides.bind = args.bind.clone();
        overrides.workers = args.workers;
        overrides.pool_size = args.pool_size;
        overrides.session_ttl_minutes = args.session_ttl_minutes;
        overrides.secure_cookies = args.secure_cookies;
        overrides.log = args.log.clone();
        overrides.max_upload_bytes = args.max_upload_bytes;
    }
    Settings::resolve(file, overrides)
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("custos: {message}");
    ExitCode::from(code)
}

fn with_connection(
    settings: &Settings,
    work: impl FnOnce(&mut crate::db::DbConnection) -> Result<(), crate::error::AppError>,
) -> ExitCode {
    let mut conn = match startup::open_connection(settings) {
        Ok(conn) => conn,
        Err(message) => return fail(2, &message),
    };
    match work(&mut conn) {
        Ok(()) => ExitCode::SUCCESS,
        Err(crate::error::AppError::Internal(cause)) => fail(2, &cause),
        Err(error) => fail(1, &error.to_string()),
    }
}

fn read_password(from_stdin: bool) -> Result<NewPassword, String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        if !std::io::stdin().is_terminal() {
            return Err("no terminal to prompt for the password; use --password-stdin".into());
        }
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the passwords differ".into());
        }
        first
    };
    NewPassword::parse(password).map_err(|e| format!("password {e}"))
}

fn serve(settings: Settings, load_demo: bool) -> ExitCode {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let pool = match startup::open_database(&settings) {
            Ok(pool) => pool,
            Err(message) => return fail(2, &message),
        };
        if load_demo {
            let loaded = startup::open_store(&settings).and_then(|store| {
                let ledger = startup::open_ledger(&settings, store.as_ref())?;
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                demo::load_if_empty(&mut conn, store.as_ref(), &ledger).map_err(|e| e.with_cause())
            });
            match loaded {
                Ok(Some(summary)) => {
                    println!(
                        "Loaded the demo dataset: {} incidents, {} exhibits, {} users.",
                        summary.incidents,
                        summary.exhibits,
                        summary.users.len()
                    );
                    println!("Demo sign-ins (password for all: {}):", demo::DEMO_PASSWORD);
                    for (username, role) in &summary.users {
                        println!("  {username:<16} {role}");
                    }
                }
                Ok(None) => println!("The data directory already holds data; the demo dataset was not loaded."),
                Err(message) => return fail(2, &format!("loading the demo dataset: {message}")),
            }
        }
        let bind = settings.bind.clone();
        let app = match startup::Application::build_with_pool(settings, pool) {
            Ok(app) => app,
            Err(message) => return fail(2, &message),
        };
        let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
        let host = if host == "0.0.0.0" || host == "[::]" { "127.0.0.1" } else { host };
        println!("Custos is serving on http://{host}:{}/", app.port());
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(2, &e.to_string()),
        }
    })
}

fn export(settings: &Settings, incident: &str, out: &std::path::Path, with_files: bool) -> ExitCode {
    let Ok(number) = incident.parse() else { return fail(2, &format!("'{incident}' is not an incident number")) };
    let opened = startup::open_connection(settings).and_then(|conn| {
        let store = startup::open_store(settings)?;
        let ledger = startup::open_ledger(settings, store.as_ref())?;
        Ok((conn, store, ledger))
    });
    let (mut conn, store, ledger) = match opened {
        Ok(parts) => parts,
        Err(message) => return fail(2, &message),
    };
    match services::bundle::export(&mut conn, store.as_ref(), &ledger, number, out, with_files) {
        Ok(summary) => {
            println!(
                "wrote {}: {} exhibits, {} custody events, {} files",
                out.display(),
                summary.exhibits,
                summary.events,
                summary.files
            );
            ExitCode::SUCCESS
        }
        Err(crate::error::AppError::NotFound(what)) => fail(2, &format!("no {what} {incident}")),
        Err(e) => fail(2, &e.with_cause()),
    }
}

fn demo_scale(settings: &Settings, incidents: usize, exhibits: usize) -> ExitCode {
    if exhibits == 0 || incidents == 0 {
        return fail(2, "--scale and --exhibits must be at least 1");
    }
    let store = match startup::open_store(settings) {
        Ok(store) => store,
        Err(message) => return fail(2, &message),
    };
    let started = std::time::Instant::now();
    with_connection(settings, |conn| {
        let summary = demo::scale(conn, store.as_ref(), incidents, exhibits)?;
        // A signed checkpoint over what was added, as the server signs after each write.
        startup::open_ledger(settings, store.as_ref()).map_err(crate::error::AppError::internal)?.checkpoint(conn)?;
        println!(
            "added {} incidents, {} exhibits, {} mappings in {:.1} s (users scale.investigator, scale.prosecutor and scale.supervisor, password {})",
            summary.incidents,
            summary.exhibits,
            summary.mappings,
            started.elapsed().as_secs_f64(),
            demo::DEMO_PASSWORD
        );
        Ok(())
    })
}

fn verify_bundle(path: &std::path::Path) -> ExitCode {
    match services::bundle::verify_bundle(path) {
        Ok((checked, findings)) if findings.is_empty() => {
            println!("{}: {checked} exhibits, every signature, hash, link, proof and file verifies", path.display());
            ExitCode::SUCCESS
        }
        Ok((checked, findings)) => {
            println!("{}: {checked} exhibits, {} problem(s):", path.display(), findings.len());
            for f in &findings {
                println!("{f}");
            }
            ExitCode::from(1)
        }
        Err(message) => fail(2, &message),
    }
}

fn memo_export(settings: &Settings, incident: &str, version: Option<i32>, out: &std::path::Path) -> ExitCode {
    let Ok(number) = incident.parse() else { return fail(2, &format!("'{incident}' is not an incident number")) };
    let mut conn = match startup::open_connection(settings) {
        Ok(conn) => conn,
        Err(message) => return fail(2, &message),
    };
    match services::memo::export_pdf_as_operator(&mut conn, number, version) {
        Ok((found, bytes, sha)) => {
            // Write beside the target, then rename: a reader never sees half a file.
            let partial = out.with_extension("pdf.part");
            let written = std::fs::write(&partial, &bytes).and_then(|_| std::fs::rename(&partial, out));
            match written {
                Ok(()) => {
                    println!("{sha}  {}", out.display());
                    eprintln!("memo {incident} version {} ({} bytes)", found.version, bytes.len());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, &format!("cannot write {}: {e}", out.display())),
            }
        }
        Err(crate::error::AppError::NotFound(what)) => fail(2, &format!("no {what} for {incident}")),
        Err(e) => fail(2, &e.with_cause()),
    }
}

/// Lists evidence files no exhibit references and, if asked, removes the old ones. They are
/// not evidence (no exhibit, no custody), so they do not change verify's verdict.
fn report_orphans(conn: &mut crate::db::DbConnection, store: &dyn crate::storage::BlobStore, clean: bool) {
    let orphans = match services::verify::orphan_files(conn, store) {
        Ok(orphans) => orphans,
        Err(e) => {
            println!("could not look for unreferenced evidence files: {e}");
            return;
        }
    };
    let leftovers = match store.leftovers() {
        Ok(leftovers) => leftovers,
        Err(e) => {
            println!("could not look for interrupted uploads: {e}");
            Vec::new()
        }
    };
    if orphans.is_empty() && leftovers.is_empty() {
        return;
    }
    let hour_ago = std::time::SystemTime::now() - services::verify::ORPHAN_GRACE;
    if !orphans.is_empty() {
        println!("evidence files that no exhibit references: {}", orphans.len());
    }
    for orphan in &orphans {
        let note = if orphan.recent { " (written within the hour: perhaps an upload finishing; kept)" } else { "" };
        println!("- {} ({} bytes){note}", orphan.sha256, orphan.bytes);
        if clean && !orphan.recent {
            match store.remove(&orphan.sha256) {
                Ok(()) => {
                    tracing::warn!(sha256 = %orphan.sha256, bytes = orphan.bytes, "removed an unreferenced evidence file");
                    println!("  removed");
                }
                Err(e) => println!("  could not remove it: {e}"),
            }
        }
    }
    if !leftovers.is_empty() {
        println!("temporary files of interrupted uploads in {}: {}", store.location(), leftovers.len());
    }
    for leftover in &leftovers {
        let recent = leftover.modified > hour_ago;
        let note = if recent { " (written within the hour: perhaps an upload in progress; kept)" } else { "" };
        println!("- tmp/{} ({} bytes){note}", leftover.name, leftover.size);
        if clean && !recent {
            match store.remove_leftover(&leftover.name) {
                Ok(()) => {
                    tracing::warn!(name = %leftover.name, bytes = leftover.size, "removed a temporary file of an interrupted upload");
                    println!("  removed");
                }
                Err(e) => println!("  could not remove it: {e}"),
            }
        }
    }
    if !clean {
        println!("(custos verify --clean-orphans removes those over an hour old)");
    }
}

fn verify(
    settings: &Settings,
    incident: Option<&str>,
    checkpoint: Option<&std::path::Path>,
    clean_orphans: bool,
) -> ExitCode {
    use crate::services::verify;

    let opened = startup::open_connection(settings).and_then(|conn| {
        let store = startup::open_store(settings)?;
        let ledger = startup::open_ledger(settings, store.as_ref())?;
        Ok((conn, store, ledger))
    });
    let (mut conn, store, ledger) = match opened {
        Ok(parts) => parts,
        Err(message) => return fail(2, &message),
    };
    if let Err(e) = crate::db::map_reads(&mut conn) {
        return fail(2, &format!("cannot configure the database: {e}"));
    }
    let given = match checkpoint {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(note) => Some((path.display().to_string(), note)),
            Err(e) => return fail(2, &format!("cannot read {}: {e}", path.display())),
        },
        None => None,
    };
    // A whole check holds the ledger to every witnessed checkpoint; an incident's, which
    // proves its leaves from the tiles, to the last (and any given).
    let witnessed = if incident.is_none() { verify::Witnessed::All } else { verify::Witnessed::Last };
    let outside =
        match verify::outside_checkpoints(&ledger, witnessed, given.as_ref().map(|(p, n)| (p.as_str(), n.clone()))) {
            Ok(outside) => outside,
            Err(e) => return fail(2, &e.with_cause()),
        };
    let scope = |conn: &mut crate::db::DbConnection| services::evidence::verification_scope(conn, incident);
    let started = std::time::Instant::now();
    let mut pending = match verify::check_records(&mut conn, &ledger, scope, incident.is_none(), &outside) {
        Ok(pending) => pending,
        Err(crate::error::AppError::NotFound(_)) => return fail(2, &format!("no incident {}", incident.unwrap_or(""))),
        Err(e) => return fail(2, &e.with_cause()),
    };
    let bar = byte_progress(verify::pending_bytes(&pending), "re-hashing evidence");
    let records_done = started.elapsed();
    verify::hash_files(&mut pending, store.as_ref(), &mut |n| bar.inc(n));
    bar.finish_and_clear();
    let files_done = started.elapsed();
    let result = verify::record_results(&mut conn, pending);
    match result {
        Ok(report) => {
            println!(
                "checked {} exhibits, {} custody events, {} files ({} bytes), {} ledger leaves",
                report.exhibits_checked,
                report.events_checked,
                report.blobs_checked,
                report.bytes_hashed,
                report.leaves_checked
            );
            if incident.is_some() {
                // A scoped check proves the incident's leaves into a checkpoint; it does not read
                // the rest of the ledger, and says so.
                println!(
                    "{} of those leaves proved into the signed checkpoint by inclusion proofs; the rest of the ledger is checked by `custos verify` without --incident",
                    report.leaves_proved
                );
            }
            // Where the time went, so that a slow run says which part to look at.
            let total = started.elapsed();
            println!(
                "took {:.2} s: records and ledger {:.2} s, files {:.2} s, results recorded {:.2} s",
                total.as_secs_f64(),
                records_done.as_secs_f64(),
                (files_done - records_done).as_secs_f64(),
                (total - files_done).as_secs_f64()
            );
            if let (Some(size), Some(root)) = (report.checkpoint_size, &report.checkpoint_root) {
                println!("latest checkpoint: size {size}, root {root}, key {}", ledger.verifier_key());
            }
            if incident.is_none() {
                report_orphans(&mut conn, store.as_ref(), clean_orphans);
            }
            if report.intact() {
                match incident {
                    Some(incident) => println!("OK: every file, custody chain and ledger leaf of {incident} verifies"),
                    None => println!("OK: every file, custody chain and ledger leaf verifies"),
                }
                ExitCode::SUCCESS
            } else {
                println!("PROBLEMS: {}", report.findings.len());
                for finding in &report.findings {
                    println!("- {finding}");
                }
                ExitCode::from(1)
            }
        }
        Err(e) => fail(2, &e.with_cause()),
    }
}

/// `custos blobs migrate --to s3://...`: every file of the data directory's evidence store into
/// the bucket, each hashed as it streams and stored at its address only if its SHA-256 is its
/// name; then the witnessed checkpoints. Safe to run again: files already in the bucket are
/// not copied twice.
fn blobs_migrate(settings: &Settings, to: &str) -> ExitCode {
    use crate::storage::BlobStore;
    let source = match crate::storage::LocalBlobStore::open(settings.data_dir.join("blobs")) {
        Ok(store) => store,
        Err(e) => return fail(2, &format!("cannot open the data directory's evidence store: {e}")),
    };
    let target = match crate::storage::s3::S3BlobStore::open(to, settings.max_upload_bytes) {
        Ok(store) => store,
        Err(message) => return fail(2, &message),
    };
    let verifier = match startup::ledger_key(settings) {
        Ok((key, _)) => key.verifier_key(),
        Err(message) => return fail(2, &message),
    };
    let stored = match source.stored() {
        Ok(stored) => stored,
        Err(e) => return fail(2, &format!("cannot list {}: {e}", source.location())),
    };
    let total: u64 = stored.iter().map(|b| b.size).sum();
    println!(
        "copying {} evidence files ({total} bytes) from {} to {}",
        stored.len(),
        source.location(),
        target.location()
    );
    let bar = byte_progress(total, "copying evidence");
    let (mut copied, mut present, mut failed) = (0usize, 0usize, Vec::new());
    for blob in &stored {
        match copy_blob(&source, &target, blob, &bar) {
            Ok(true) => copied += 1,
            Ok(false) => present += 1,
            Err(why) => failed.push(format!("{}: {why}", blob.sha256)),
        }
    }
    bar.finish_and_clear();
    println!("copied {copied} files; {present} were already in the bucket at the same size");
    let witness = settings.data_dir.join(crate::services::ledger::WITNESS_FILE);
    let verifier = match crate::ledger::note::VerifierKey::parse(&verifier) {
        Ok(verifier) => verifier,
        Err(e) => return fail(2, &e.to_string()),
    };
    match crate::services::ledger::migrate_witness(&witness, &target, &verifier) {
        Ok((n, refused)) => {
            println!("copied {n} witnessed checkpoints");
            failed.extend(refused);
        }
        Err(message) => return fail(2, &message),
    }
    if failed.is_empty() {
        println!(
            "OK: every file's SHA-256 matched its name. Run Custos with --blob-store {} (and the same keys); custos verify re-hashes every file from the bucket",
            target.location()
        );
        ExitCode::SUCCESS
    } else {
        println!("PROBLEMS: {}", failed.len());
        for f in &failed {
            println!("- {f}");
        }
        ExitCode::from(1)
    }
}

/// Copies one blob; `Ok(false)` if the bucket already holds it at the same size.
fn copy_blob(
    source: &crate::storage::LocalBlobStore,
    target: &crate::storage::s3::S3BlobStore,
    blob: &crate::storage::StoredBlob,
    bar: &indicatif::ProgressBar,
) -> Result<bool, String> {
    use crate::storage::BlobStore;
    let there = target.open(&blob.sha256).map(|f| f.len());
    match there {
        Ok(size) if size == blob.size => {
            bar.inc(blob.size);
            return Ok(false);
        }
        Ok(size) => return Err(format!("the bucket holds {size} bytes under this address, not {}", blob.size)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.to_string()),
    }
    let file = source.open(&blob.sha256).map_err(|e| e.to_string())?;
    let finished =
        target.begin().and_then(|writer| writer.copy_from(file, |n| bar.inc(n))).map_err(|e| e.to_string())?;
    if finished.sha256 != blob.sha256 {
        // Dropped uncommitted: nothing is stored under either digest.
        return Err(format!("the file's SHA-256 is now {}; not copied", finished.sha256));
    }
    target.commit(finished).map_err(|e| e.to_string())?;
    Ok(true)
}

/// A progress bar over `total` bytes, for the long passes of `verify` and `blobs migrate`.
fn byte_progress(total: u64, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}
