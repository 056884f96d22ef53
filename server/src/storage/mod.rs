//! Storage: retailers, their keys and origins, rate-limit counters, the event logs and their
//! retention, on SQLite (the embedded default: one file, WAL) or PostgreSQL (several server
//! processes sharing one database). The database URL chooses the backend.
//!
//! One module per aggregate holds its types, its SQL and its `impl Storage` block: `retailers`,
//! `keys` (publishable and secret), `origins`, `counters` (the rate limit's rows), `products`,
//! `gallery`, `leads`, `analytics`, `security_events`, `widget_usage` (sessions and render
//! records) and `retention` (the sweep). This file holds what they share: the pool, the
//! error type, and the two ways of running a statement.
//!
//! # Why an enum over two pools, not `AnyPool`
//! [`Storage`] holds either a `SqlitePool` or a `PgPool`. Most statements are written once and run
//! on either pool through the `on_pool!` (reads) and `in_transaction!` (writes) macros: both
//! dialects accept `$1` placeholders, `RETURNING` and `ON CONFLICT … DO UPDATE`. Where the dialects
//! must differ (how a transaction begins, the migrations), the `match` says so in one place.
//! `AnyPool` would erase the types (its `AnyValue` knows no BLOB/BYTEA difference in older
//! versions, and every value goes through a dynamic layer) and would hide the dialect behind
//! strings, which is exactly where exactness under concurrency is decided.
//!
//! # Every write commits, checked, before it is reported done
//! A statement run on the pool outside a transaction commits on SQLite when the statement is
//! *reset*, and sqlx drops an error there (sqlx issues 2099 and 3430): on a full disk an
//! `INSERT … RETURNING` handed back its new id while nothing was stored. So every write runs in
//! an explicit transaction (`in_transaction!`) and succeeds only after `COMMIT` has, and a
//! database that cannot store answers [`StorageError::Unwritable`] (the API's 503
//! `storage_unavailable`). Reads need no transaction: they change nothing that could be lost.
//!
//! # Scoping
//! Every statement that touches a retailer's data takes a [`RetailerId`] and filters on it; a key,
//! origin or counter of one retailer cannot be read, revoked or removed through another's id.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::keys::KeyError;

/// Runs the same statement-building code on whichever pool this is: for reads.
macro_rules! on_pool {
    ($storage:expr, $pool:ident => $body:expr) => {
        match &$storage.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a transaction on whichever pool this is (`$tx` names the open transaction;
/// statements run on `&mut *$tx`), commits it, and evaluates to the body's value only once the
/// commit succeeded. A `?` in the body leaves early and the transaction is rolled back. The
/// default beginnings: `BEGIN IMMEDIATE` on SQLite takes the write lock up front, so a write that
/// reads first cannot fail later on a lock upgrade (`busy_timeout` makes contenders wait). The
/// connection is a [`WriteConnection`]: one that does not see its transaction end is closed.
macro_rules! in_transaction {
    (@on $pool:ident, $begin:expr, $tx:ident => $body:expr) => {{
        let mut connection = $crate::storage::WriteConnection::acquire($pool).await?;
        let mut $tx = sqlx::Connection::begin_with(connection.raw(), $begin)
            .await
            .map_err($crate::storage::StorageError::from)?;
        // Rolled back here, not left to the transaction's drop: a dropped transaction only
        // queues its ROLLBACK for the connection's next use, and the idle SQLite connection
        // would keep the write lock meanwhile.
        let outcome: Result<_, $crate::storage::StorageError> = async { Ok($body) }.await;
        match outcome {
            Ok(value) => {
                $tx.commit()
                    .await
                    .map_err($crate::storage::StorageError::Unwritable)?;
                connection.ended();
                value
            }
            Err(error) => {
                if $tx.rollback().await.is_ok() {
                    connection.ended();
                }
                return Err(error.into());
            }
        }
    }};
    ($storage:expr, sqlite: $sqlite:expr, postgres: $postgres:expr, $tx:ident => $body:expr) => {
        match &$storage.pool {
            Pool::Sqlite(pool) => in_transaction!(@on pool, $sqlite, $tx => $body),
            Pool::Postgres(pool) => in_transaction!(@on pool, $postgres, $tx => $body),
        }
    };
    ($storage:expr, $tx:ident => $body:expr) => {
        in_transaction!($storage, sqlite: "BEGIN IMMEDIATE", postgres: "BEGIN", $tx => $body)
    };
}

mod analytics;
mod counters;
mod gallery;
mod keys;
mod leads;
mod origins;
mod products;
mod retailers;
mod retention;
mod security_events;
mod widget_usage;

pub use crate::rate_limit::windows::{CounterState, DAY, Decision, Limits, Windows};
pub use analytics::{
    AnalyticsCounts, ConsentedIdentity, DailyCount, DailyEventCount, ErrorKindCount,
    ProductRenders, PurchaseTotal,
};
pub use counters::{CountRequest, StoredCounter};
pub use gallery::{GalleryItem, GalleryStatus, MAX_STORED_RENDER_BYTES};
pub use keys::{KeyHolder, MAX_LIVE_PUBLISHABLE_KEYS, NewSecretKey, PublishableKey, SecretKeyInfo};
pub use leads::Lead;
pub use origins::AllowedOrigin;
pub use products::{BackendChoice, MAX_TEXTURE_BYTES, Product, Surface};
pub use retailers::{RETAILER_TABLES, Retailer};
pub use retention::{RetentionPolicy, SweepReport};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long SQLite waits for the write lock before reporting "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors from storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL scheme (expected sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// The database URL could not be parsed.
    #[error("invalid database URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database cannot store anything now (full disk, read-only file system or database, I/O
    /// error), or a commit failed: nothing of the write was stored. Not logged here: every
    /// caller logs the error it is handed, once; the text names no request data.
    #[error("the database cannot store: {0}")]
    Unwritable(#[source] sqlx::Error),
    /// A key could not be generated (the OS random source failed).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The retailer does not exist.
    #[error("no such retailer")]
    NoSuchRetailer,
    /// The retailer already has the most live publishable keys allowed (a rotation: new and old).
    #[error(
        "the retailer already has {MAX_LIVE_PUBLISHABLE_KEYS} live publishable keys: revoke the old one first"
    )]
    TooManyLiveKeys,
    /// [`Storage::count_rows_of`] was asked about a table that holds no retailer data.
    #[error("not a retailer table: {0:?}")]
    UnknownTable(String),
    /// A product's texture file is over [`MAX_TEXTURE_BYTES`].
    #[error("the texture is {size} bytes, over the limit of {limit} bytes")]
    TextureTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A stored value is not one this version writes.
    #[error("unexpected stored value: {0}")]
    Corrupt(String),
    /// The allowlist entry does not parse as an origin (see [`crate::origins`]).
    #[error("invalid origin: {reason}")]
    InvalidOrigin {
        /// The entry as given.
        entry: String,
        /// Why it was refused.
        reason: crate::origins::OriginError,
    },
}

impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> Self {
        if cannot_store(&error) {
            Self::Unwritable(error)
        } else {
            Self::Database(error)
        }
    }
}

/// Whether an error says the database cannot store at all now, rather than that one statement
/// was wrong. SQLite reports extended result codes, whose low byte is the primary code: READONLY
/// (8), IOERR (10), FULL (13), CANTOPEN (14). PostgreSQL reports SQLSTATEs: class 53
/// (insufficient resources: disk full, out of memory), class 58 (I/O), 25006 (a read-only
/// transaction, as on a standby).
fn cannot_store(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    let Some(code) = error.code() else {
        return false;
    };
    match code.parse::<i32>() {
        Ok(sqlite) => matches!(sqlite & 0xff, 8 | 10 | 13 | 14),
        Err(_) => code.starts_with("53") || code.starts_with("58") || code == "25006",
    }
}

/// A pooled connection for one write transaction, handed back to the pool only if the
/// transaction was seen to end (committed or rolled back); otherwise it is closed, which rolls
/// back whatever is open on it. Three ways a transaction can be left open on a connection:
/// - the caller's future is dropped mid-write (a client that goes away cancels its handler): if
///   that happens while `BEGIN IMMEDIATE` is with SQLite's worker thread, SQLite holds the write
///   lock on an idle pooled connection and every other writer waits out the busy timeout (a
///   Firefox walk found this: a beacon cancelled by the closing browser);
/// - `BEGIN` or `ROLLBACK` fails and sqlx's count of open transactions no longer matches;
/// - `COMMIT` fails: SQLite may or may not have rolled back itself (it does on a full disk).
pub(crate) struct WriteConnection<DB: sqlx::Database> {
    connection: PoolConnection<DB>,
    ended: bool,
}

impl<DB: sqlx::Database> WriteConnection<DB> {
    pub(crate) async fn acquire(pool: &sqlx::Pool<DB>) -> Result<Self, StorageError> {
        Ok(Self {
            connection: pool.acquire().await?,
            ended: false,
        })
    }

    pub(crate) fn raw(&mut self) -> &mut DB::Connection {
        &mut self.connection
    }

    /// The transaction committed or rolled back: the connection may serve again.
    pub(crate) fn ended(&mut self) {
        self.ended = true;
    }
}

impl<DB: sqlx::Database> Drop for WriteConnection<DB> {
    fn drop(&mut self) {
        if !self.ended {
            self.connection.close_on_drop();
        }
    }
}

/// For a write that names a retailer's row (or selects it to insert): a write that touched no
/// row found no retailer.
fn retailer_found(rows_affected: u64) -> Result<(), StorageError> {
    if rows_affected == 0 {
        return Err(StorageError::NoSuchRetailer);
    }
    Ok(())
}

/// A retailer's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RetailerId(pub i64);

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database: cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct Storage {
    pool: Pool,
}

impl Storage {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and applies the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let storage = Self::connect_without_migrating(url).await?;
        storage.migrate().await?;
        Ok(storage)
    }

    /// Connects without migrating.
    pub async fn connect_without_migrating(url: &str) -> Result<Self, StorageError> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StorageError::InvalidUrl)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .create_if_missing(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(StorageError::InvalidUrl)?;
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        Ok(Self { pool })
    }

    /// Applies the migrations not yet applied (a no-op the second time).
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers and can store (for `/readyz`): see
    /// [`Storage::check_writable`].
    pub async fn ping(&self) -> Result<(), StorageError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        self.check_writable().await
    }

    /// Whether a write can be committed now: one row of `write_checks` rewritten and committed.
    ///
    /// Why a committed write, not a rolled-back one: on SQLite in WAL mode a transaction's pages
    /// stay in the page cache until `COMMIT` appends them to the `-wal` file, so a transaction that
    /// is rolled back never touches the disk and succeeds on a full one. The commit is what
    /// needs room (a WAL that cannot grow, a read-only file system), so the commit is what is
    /// tried. (A WAL that was checkpointed and restarts from its beginning reuses its file and
    /// can take the write: then the database really can still store, and says so.) On
    /// PostgreSQL a committed write catches a read-only database (a standby, or
    /// `default_transaction_read_only`) and a server that cannot write its WAL; a full disk under
    /// the data files shows only once a table must grow, which one rewritten row may not need —
    /// there the failing write itself answers 503 `storage_unavailable`.
    pub async fn check_writable(&self) -> Result<(), StorageError> {
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO write_checks (id, writes) VALUES (1, 1) \
                 ON CONFLICT (id) DO UPDATE SET writes = write_checks.writes + 1",
            )
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }

    /// The backend's name: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Reads a row count with any SQL (tests only).
    #[doc(hidden)]
    pub async fn scalar_for_tests(&self, sql: &str) -> Result<i64, StorageError> {
        let value = on_pool!(self, pool => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await)?;
        Ok(value)
    }
}
