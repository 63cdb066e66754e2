//! The database: one connection type over SQLite and PostgreSQL, its pool and migrations.
//! Repository functions in `repo/` take a connection and return `QueryResult`.

pub mod repo;
pub mod schema;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::path::PathBuf;
use std::time::Duration;

/// A connection to either backend. One `schema.rs` and one set of repository functions
/// serve both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type DbPool = Pool<ConnectionManager>;
pub type PooledDb = PooledConnection<ConnectionManager>;

/// Inserts `rows` (a `Vec` of value tuples) into `table` in one statement. A `MultiConnection`
/// has no multi-row insert, but each backend does; where one statement a row is one round trip
/// a row on PostgreSQL, this is the way to write many. The caller bounds `rows` (a chunk).
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConnection::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// `query` with at most `limit` rows, the limit written into the statement as a number rather
/// than bound as a parameter. PostgreSQL keeps one plan for a prepared statement only when it
/// costs no more than planning it afresh for each call's values; with the limit unknown it
/// costs a plan for a tenth of the table, so a statement that lists a page was planned again on
/// every request (0.5-1 ms each, most of a page's database time). A page size is a number the
/// code chose or parsed, never text from a request.
pub fn limited<Q>(query: Q, limit: i64) -> Limited<Q> {
    Limited { query, limit }
}

/// A query with its limit written in: see `limited`.
#[derive(Debug, Clone, Copy)]
pub struct Limited<Q> {
    query: Q,
    limit: i64,
}

impl<Q> diesel::query_builder::QueryId for Limited<Q> {
    // The statement's text names its limit: cached by that text, one per page size.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for Limited<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

/// Which database to open. Chosen from the URL's scheme, never by trial: a PostgreSQL server
/// that is down must be an error, not a new SQLite file named after its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseTarget {
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DatabaseTarget::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            DatabaseTarget::Sqlite(PathBuf::from(path))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseTarget::Postgres(_) => "postgresql",
            DatabaseTarget::Sqlite(_) => "sqlite",
        }
    }

    /// The target with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseTarget::Sqlite(path) => path.display().to_string(),
            DatabaseTarget::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    let userinfo = &url[scheme_end + 3..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

/// Opens connections of the configured backend.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: DatabaseTarget,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.target {
            DatabaseTarget::Postgres(url) => diesel::PgConnection::establish(url).map(DbConnection::Postgresql),
            DatabaseTarget::Sqlite(path) => {
                diesel::SqliteConnection::establish(&path.to_string_lossy()).map(DbConnection::Sqlite)
            }
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// SQLite settings for every new connection (the wait first, so that switching to WAL waits
/// for a concurrent connection instead of failing): write-ahead log, enforced foreign keys, a wait
/// rather than an error when another writer holds the lock, and full fsync on commit,
/// because a custody record acknowledged to a user must survive a power cut.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// One connection, without a pool: for command-line work that must not leave pool threads
/// connecting in the background when the process exits (libpq and OpenSSL do not survive that).
pub fn establish(target: &DatabaseTarget) -> Result<DbConnection, String> {
    create_sqlite_folder(target)?;
    let mut conn = ConnectionManager { target: target.clone() }
        .connect()
        .map_err(|e| format!("cannot open the database {}: {e}", target.redacted()))?;
    SqlitePragmas.on_acquire(&mut conn).map_err(|e| format!("cannot configure the database: {e}"))?;
    Ok(conn)
}

/// The SQLite file's folder, and the file itself owner-only before SQLite opens it (its
/// write-ahead log and index files take the database file's permissions).
fn create_sqlite_folder(target: &DatabaseTarget) -> Result<(), String> {
    if let DatabaseTarget::Sqlite(path) = target {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the folder {}: {e}", parent.display()))?;
        }
        crate::storage::create_private_file(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Opens the pool. SQLite's file and folder are created as needed.
pub fn connect(target: &DatabaseTarget, max_size: u32) -> Result<DbPool, String> {
    create_sqlite_folder(target)?;
    let manager = ConnectionManager { target: target.clone() };
    // One direct attempt first: it fails at once with the real reason (refused, bad
    // password), where the pool would wait out its timeout and report only that.
    manager.connect().map_err(|e| format!("cannot open the database {}: {e}", target.redacted()))?;
    Pool::builder()
        .max_size(max_size.max(1))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(15))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| format!("cannot open the database {}: {e}", target.redacted()))
}

/// Applies pending migrations; returns the names of those applied.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| format!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Runs `f` as the only writer: the first statement of the transaction takes the sequencer
/// row, so on both backends writes run one at a time and in one order. On SQLite this also
/// takes the write lock up front, where `busy_timeout` waits for it, instead of failing a
/// read-then-write transaction halfway.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // A write nested in another on the same connection already holds the sequencer row: taking
    // it again would only add a row version per nested write, and on PostgreSQL every update of
    // one row inside one transaction walks the versions before it (a batch of N writes then
    // costs N^2).
    let key = std::ptr::from_ref::<DbConnection>(conn) as usize;
    if SEQUENCED.with(|held| held.borrow().contains(&key)) {
        return conn.transaction(f);
    }
    conn.transaction(|conn| {
        use schema::write_sequencer::dsl::*;
        diesel::update(write_sequencer.filter(id.eq(1))).set(generation.eq(generation + 1)).execute(conn)?;
        let _held = Sequenced::hold(key);
        f(conn)
    })
}

thread_local! {
    /// The connections (by address) whose transaction on this thread holds the sequencer row.
    static SEQUENCED: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Marks a connection as holding the sequencer row while its write transaction runs, and
/// unmarks it when that ends, however it ends.
struct Sequenced(usize);

impl Sequenced {
    fn hold(key: usize) -> Sequenced {
        SEQUENCED.with(|held| held.borrow_mut().push(key));
        Sequenced(key)
    }
}

impl Drop for Sequenced {
    fn drop(&mut self) {
        SEQUENCED.with(|held| held.borrow_mut().retain(|k| *k != self.0));
    }
}

/// Runs `f` in one read-only transaction over one consistent snapshot of the database: what
/// it reads was all committed before it began, and nothing committed later is seen. On
/// SQLite (write-ahead log) a read transaction is such a snapshot; on PostgreSQL it takes
/// REPEATABLE READ. Verification reads this way, so concurrent writes never look like damage.
pub fn read_snapshot<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Postgresql(_)) {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        f(conn)
    })
}

/// Maps an SQLite database file into memory for this connection's reads: a pass over the
/// whole database (`custos verify`) then takes its pages from the page cache with the
/// kernel's read-ahead, instead of one read call per 4 KiB page (measured on a million
/// leaves: the records phase from 12 s to under 6 s from a cold cache). Only for a
/// command-line connection: a disk error on a mapped page ends the process instead of
/// failing one query, which a server must not risk. Nothing to do on PostgreSQL.
pub fn map_reads(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(conn) => conn.batch_execute("PRAGMA mmap_size = 1099511627776"),
        DbConnection::Postgresql(_) => Ok(()),
    }
}

/// A trivial query: whether the database answers.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Whether an error is a unique-constraint violation (a duplicate name or number).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_query_states_its_limit_as_a_number_and_binds_only_its_own_values() {
        use schema::users;
        let query = limited(users::table.filter(users::username.eq("dana")).select(users::id), 26);
        let pg = diesel::debug_query::<diesel::pg::Pg, _>(&query).to_string();
        assert!(pg.contains("WHERE (\"users\".\"username\" = $1) LIMIT 26 --"), "{pg}");
        assert!(pg.ends_with("binds: [\"dana\"]"), "{pg}");
        let sqlite = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
        assert!(sqlite.contains("= ?) LIMIT 26 --"), "{sqlite}");
    }

    #[test]
    fn targets_are_chosen_by_scheme() {
        assert_eq!(
            DatabaseTarget::from_url("postgres://u:secret@h/db"),
            DatabaseTarget::Postgres("postgres://u:secret@h/db".into())
        );
        assert_eq!(DatabaseTarget::from_url("data/custos.db"), DatabaseTarget::Sqlite("data/custos.db".into()));
        assert_eq!(DatabaseTarget::from_url("postgres://u:secret@h/db").redacted(), "postgres://u@h/db");
    }
}
