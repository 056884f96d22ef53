//! Storage: retailers, their keys and origins, rate-limit counters, the event logs and their
//! retention, on SQLite (the embedded default: one file, WAL) or PostgreSQL (several server
//! processes sharing one database). The database URL chooses the backend.
//!
//! # Why an enum over two pools, not `AnyPool`
//! [`Storage`] holds either a `SqlitePool` or a `PgPool`. Most statements are written once and run
//! on either pool through the `on_pool!` macro (both dialects accept `$1` placeholders, `RETURNING`
//! and `ON CONFLICT … DO UPDATE`). Where the dialects must differ (the SQLite transaction is
//! `BEGIN IMMEDIATE`, the migrations), the `match` says so in one place. `AnyPool` would erase the
//! types (its `AnyValue` knows no BLOB/BYTEA difference in older versions, and every value goes
//! through a dynamic layer) and would hide the dialect behind strings, which is exactly where
//! exactness under concurrency is decided.
//!
//! # Exact rate limits
//! [`Storage::increment_and_check`] counts a request against an hour window and a day window. A
//! refused request consumes nothing in either window; an allowed one consumes one in both. In one
//! transaction it (1) upserts both counter rows *without changing them*
//! (`ON CONFLICT DO UPDATE SET count = count`), which creates missing rows and takes each row's
//! write lock, returning the current counts, (2) compares both counts with the limits, and (3) only
//! if both are below, adds one to both rows, then commits.
//! - On SQLite the transaction starts with `BEGIN IMMEDIATE`: it takes the database's write lock
//!   up front, so writers are serialised and the read-compare-write cannot interleave
//!   (`busy_timeout` makes contenders wait instead of failing).
//! - On PostgreSQL (READ COMMITTED) the upsert locks each row (a concurrent insert of the same key
//!   waits for the first to commit, then takes the update path and locks the row), so the counts
//!   read in step (1) cannot change before commit. Every transaction locks the hour row before the
//!   day row, so two transactions cannot deadlock over them.
//!
//! # Scoping
//! Every statement that touches a retailer's data takes a [`RetailerId`] and filters on it; a key,
//! origin or counter of one retailer cannot be read, revoked or removed through another's id.
//!
//! # Secrets
//! Secret keys are 256 bits from the OS's random source. They are stored as a plain SHA-256: with
//! 2^256 possible secrets neither brute force nor a dictionary applies, so a slow password hash
//! (argon2) would only cost time on every API call. Publishable keys are public by design and
//! stored as they are.

use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, migrate::Migrator};

use crate::clock::UnixSeconds;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long SQLite waits for the write lock before reporting "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

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
    Database(#[from] sqlx::Error),
    /// The operating system's random source failed.
    #[error("the OS random source failed: {0}")]
    Random(getrandom::Error),
    /// The retailer does not exist.
    #[error("no such retailer")]
    NoSuchRetailer,
    /// The origin is neither `scheme://host[:port]` nor `scheme://*.host[:port]`.
    #[error("invalid origin: {0:?}")]
    InvalidOrigin(String),
}

/// A retailer's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RetailerId(pub i64);

/// A retailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retailer {
    /// Its id.
    pub id: RetailerId,
    /// Its display name.
    pub name: String,
    /// When it was created.
    pub created_at: UnixSeconds,
    /// Renders allowed per visitor address per hour.
    pub renders_per_hour: i64,
    /// Renders allowed per visitor address per day.
    pub renders_per_day: i64,
}

/// A publishable key as listed to its retailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey {
    /// The key itself (`pk_…`); publishable keys are public.
    pub key: String,
    /// When it was created.
    pub created_at: UnixSeconds,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixSeconds>,
}

/// A secret key as listed to its retailer: never the secret, only its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyInfo {
    /// Its id.
    pub id: i64,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    /// When it was created.
    pub created_at: UnixSeconds,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixSeconds>,
}

/// A newly created secret key: the only time its plaintext exists outside the caller's hands.
pub struct NewSecretKey {
    /// Its id.
    pub id: i64,
    /// The secret (`sk_…`), to be shown once.
    pub secret: String,
}

impl std::fmt::Debug for NewSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecretKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An allowed origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    /// Its id.
    pub id: i64,
    /// `scheme://host[:port]`, or `scheme://*.host[:port]` for the host's subdomains.
    pub origin: String,
}

/// Render limits per visitor address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per clock hour.
    pub per_hour: i64,
    /// Per UTC day.
    pub per_day: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_hour: 10,
            per_day: 20,
        }
    }
}

/// The answer of [`Storage::increment_and_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (and was counted).
    pub allowed: bool,
    /// When refused: seconds until the exhausted window(s) end.
    pub retry_after: Option<i64>,
}

/// How long each kind of record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Rate-limit counters, counted from their window's start.
    pub rate_limit_counters: i64,
    /// Security events.
    pub security_events: i64,
    /// Widget session logs.
    pub widget_sessions: i64,
    /// Render metadata.
    pub render_events: i64,
    /// Analytics events.
    pub analytics_events: i64,
}

impl Default for RetentionPolicy {
    /// 48 hours, 30 days, 12 months (365 days), 24 months (730 days), 24 months.
    fn default() -> Self {
        Self {
            rate_limit_counters: 48 * HOUR,
            security_events: 30 * DAY,
            widget_sessions: 365 * DAY,
            render_events: 730 * DAY,
            analytics_events: 730 * DAY,
        }
    }
}

/// Rows deleted by [`Storage::sweep`], per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// From `rate_limit_counters`.
    pub rate_limit_counters: u64,
    /// From `security_events`.
    pub security_events: u64,
    /// From `widget_sessions`.
    pub widget_sessions: u64,
    /// From `render_events`.
    pub render_events: u64,
    /// From `analytics_events`.
    pub analytics_events: u64,
}

/// Tables holding retailer data, for [`Storage::count_rows_of`].
pub const RETAILER_TABLES: &[&str] = &[
    "retailers",
    "publishable_keys",
    "secret_keys",
    "allowed_origins",
    "rate_limit_counters",
    "security_events",
    "widget_sessions",
    "render_events",
    "analytics_events",
];

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same statement-building code on whichever pool this is.
macro_rules! on_pool {
    ($storage:expr, $pool:ident => $body:expr) => {
        match &$storage.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
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

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
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

    // ---- retailers ----

    /// Creates a retailer with the default limits.
    pub async fn create_retailer(
        &self,
        name: &str,
        now: UnixSeconds,
    ) -> Result<RetailerId, StorageError> {
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO retailers (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(pool)
        .await)?;
        Ok(RetailerId(id))
    }

    /// One retailer.
    pub async fn retailer(&self, id: RetailerId) -> Result<Option<Retailer>, StorageError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, (i64, String, i64, i64, i64)>(
            "SELECT id, name, created_at, renders_per_hour, renders_per_day \
             FROM retailers WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(retailer_from_row))
    }

    /// All retailers, by id.
    pub async fn list_retailers(&self) -> Result<Vec<Retailer>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, (i64, String, i64, i64, i64)>(
            "SELECT id, name, created_at, renders_per_hour, renders_per_day \
             FROM retailers ORDER BY id",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(retailer_from_row).collect())
    }

    /// Sets a retailer's render limits.
    pub async fn set_limits(&self, id: RetailerId, limits: Limits) -> Result<(), StorageError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE retailers SET renders_per_hour = $1, renders_per_day = $2 WHERE id = $3",
        )
        .bind(limits.per_hour)
        .bind(limits.per_day)
        .bind(id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StorageError::NoSuchRetailer);
        }
        Ok(())
    }

    /// Deletes a retailer and, by `ON DELETE CASCADE`, every record of it. Returns whether it
    /// existed.
    pub async fn delete_retailer(&self, id: RetailerId) -> Result<bool, StorageError> {
        let deleted = on_pool!(self, pool => sqlx::query("DELETE FROM retailers WHERE id = $1")
            .bind(id.0)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(deleted > 0)
    }

    /// How many rows of `table` (one of [`RETAILER_TABLES`]) belong to the retailer: for tests
    /// and for a deletion's audit.
    pub async fn count_rows_of(&self, table: &str, id: RetailerId) -> Result<i64, StorageError> {
        let Some(table) = RETAILER_TABLES.iter().find(|t| **t == table) else {
            return Err(StorageError::Database(sqlx::Error::Protocol(format!(
                "unknown table {table}"
            ))));
        };
        let column = if *table == "retailers" {
            "id"
        } else {
            "retailer_id"
        };
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(&sql)
            .bind(id.0)
            .fetch_one(pool)
            .await)?;
        Ok(count)
    }

    // ---- publishable keys ----

    /// Adds a publishable key (the old ones stay live until revoked: rotation).
    pub async fn add_publishable_key(
        &self,
        retailer: RetailerId,
        now: UnixSeconds,
    ) -> Result<String, StorageError> {
        let key = format!("pk_{}", random_base62(32)?);
        let inserted = on_pool!(self, pool => sqlx::query(
            "INSERT INTO publishable_keys (key, retailer_id, created_at) \
             SELECT $1, id, $2 FROM retailers WHERE id = $3",
        )
        .bind(&key)
        .bind(now)
        .bind(retailer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 0 {
            return Err(StorageError::NoSuchRetailer);
        }
        Ok(key)
    }

    /// Revokes one of the retailer's keys. Returns whether a live key of this retailer was
    /// revoked.
    pub async fn revoke_publishable_key(
        &self,
        retailer: RetailerId,
        key: &str,
        now: UnixSeconds,
    ) -> Result<bool, StorageError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE publishable_keys SET revoked_at = $1 \
             WHERE key = $2 AND retailer_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(key)
        .bind(retailer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// The retailer's publishable keys, revoked ones included, oldest first.
    pub async fn list_publishable_keys(
        &self,
        retailer: RetailerId,
    ) -> Result<Vec<PublishableKey>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, (String, i64, Option<i64>)>(
            "SELECT key, created_at, revoked_at FROM publishable_keys \
             WHERE retailer_id = $1 ORDER BY created_at, key",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(key, created_at, revoked_at)| PublishableKey {
                key,
                created_at,
                revoked_at,
            })
            .collect())
    }

    /// The retailer behind a live publishable key, with its allowed origins. A revoked or unknown
    /// key resolves to nothing.
    pub async fn resolve_publishable_key(
        &self,
        key: &str,
    ) -> Result<Option<(RetailerId, Vec<String>)>, StorageError> {
        let retailer: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT retailer_id FROM publishable_keys WHERE key = $1 AND revoked_at IS NULL",
        )
        .bind(key)
        .fetch_optional(pool)
        .await)?;
        let Some(retailer) = retailer.map(RetailerId) else {
            return Ok(None);
        };
        let origins = self
            .list_origins(retailer)
            .await?
            .into_iter()
            .map(|o| o.origin)
            .collect();
        Ok(Some((retailer, origins)))
    }

    // ---- secret keys ----

    /// Creates a secret key; its plaintext is returned now and never again.
    pub async fn create_secret_key(
        &self,
        retailer: RetailerId,
        now: UnixSeconds,
    ) -> Result<NewSecretKey, StorageError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(StorageError::Random)?;
        let secret = format!("sk_{}", hex(&bytes));
        let prefix = secret[..11].to_owned();
        let hash = Sha256::digest(secret.as_bytes()).to_vec();
        let id: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO secret_keys (retailer_id, secret_sha256, prefix, created_at) \
             SELECT id, $1, $2, $3 FROM retailers WHERE id = $4 RETURNING id",
        )
        .bind(&hash)
        .bind(&prefix)
        .bind(now)
        .bind(retailer.0)
        .fetch_optional(pool)
        .await)?;
        let id = id.ok_or(StorageError::NoSuchRetailer)?;
        Ok(NewSecretKey { id, secret })
    }

    /// The retailer a live secret key belongs to; `None` for a wrong or revoked secret.
    pub async fn verify_secret_key(
        &self,
        secret: &str,
    ) -> Result<Option<RetailerId>, StorageError> {
        let hash = Sha256::digest(secret.as_bytes()).to_vec();
        let retailer: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT retailer_id FROM secret_keys WHERE secret_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(pool)
        .await)?;
        Ok(retailer.map(RetailerId))
    }

    /// Revokes one of the retailer's secret keys. Returns whether one was revoked.
    pub async fn revoke_secret_key(
        &self,
        retailer: RetailerId,
        id: i64,
        now: UnixSeconds,
    ) -> Result<bool, StorageError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE secret_keys SET revoked_at = $1 \
             WHERE id = $2 AND retailer_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(retailer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// The retailer's secret keys (prefixes only).
    pub async fn list_secret_keys(
        &self,
        retailer: RetailerId,
    ) -> Result<Vec<SecretKeyInfo>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, (i64, String, i64, Option<i64>)>(
            "SELECT id, prefix, created_at, revoked_at FROM secret_keys \
             WHERE retailer_id = $1 ORDER BY id",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, prefix, created_at, revoked_at)| SecretKeyInfo {
                id,
                prefix,
                created_at,
                revoked_at,
            })
            .collect())
    }

    // ---- origins ----

    /// Adds an origin to the retailer's allowlist (adding it twice is a no-op). Only the shape is
    /// checked here; full parsing and normalisation belong to the origins module.
    pub async fn add_origin(&self, retailer: RetailerId, origin: &str) -> Result<(), StorageError> {
        if !plausible_origin(origin) {
            return Err(StorageError::InvalidOrigin(origin.to_owned()));
        }
        if self.retailer(retailer).await?.is_none() {
            return Err(StorageError::NoSuchRetailer);
        }
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO allowed_origins (retailer_id, origin) VALUES ($1, $2) \
             ON CONFLICT (retailer_id, origin) DO NOTHING",
        )
        .bind(retailer.0)
        .bind(origin)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Removes an origin from the retailer's allowlist. Returns whether it was there.
    pub async fn remove_origin(
        &self,
        retailer: RetailerId,
        origin: &str,
    ) -> Result<bool, StorageError> {
        let done = on_pool!(self, pool => sqlx::query(
            "DELETE FROM allowed_origins WHERE retailer_id = $1 AND origin = $2",
        )
        .bind(retailer.0)
        .bind(origin)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// The retailer's allowed origins, alphabetically.
    pub async fn list_origins(
        &self,
        retailer: RetailerId,
    ) -> Result<Vec<AllowedOrigin>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, (i64, String)>(
            "SELECT id, origin FROM allowed_origins WHERE retailer_id = $1 ORDER BY origin",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, origin)| AllowedOrigin { id, origin })
            .collect())
    }

    // ---- rate limits ----

    /// Counts one render for `address_hash` (an HMAC of the visitor's address, never the address)
    /// against the hour and day windows containing `now`, if both have room. See the module doc
    /// for why this is exact under concurrency on both databases.
    pub async fn increment_and_check(
        &self,
        retailer: RetailerId,
        address_hash: &[u8],
        now: UnixSeconds,
        limits: Limits,
    ) -> Result<Decision, StorageError> {
        let hour_start = now - now.rem_euclid(HOUR);
        let day_start = now - now.rem_euclid(DAY);
        // Create-or-lock, unchanged: returns the current count and holds the row's write lock.
        const LOCK: &str = "INSERT INTO rate_limit_counters \
             (retailer_id, address_hash, window_kind, window_start, count) \
             VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (retailer_id, address_hash, window_kind, window_start) \
             DO UPDATE SET count = rate_limit_counters.count RETURNING count";
        const BUMP: &str = "UPDATE rate_limit_counters SET count = count + 1 \
             WHERE retailer_id = $1 AND address_hash = $2 AND window_kind = $3 \
             AND window_start = $4";
        macro_rules! body {
            ($tx:ident) => {{
                let hour: i64 = sqlx::query_scalar(LOCK)
                    .bind(retailer.0)
                    .bind(address_hash)
                    .bind("hour")
                    .bind(hour_start)
                    .fetch_one(&mut *$tx)
                    .await?;
                let day: i64 = sqlx::query_scalar(LOCK)
                    .bind(retailer.0)
                    .bind(address_hash)
                    .bind("day")
                    .bind(day_start)
                    .fetch_one(&mut *$tx)
                    .await?;
                let hour_full = hour >= limits.per_hour;
                let day_full = day >= limits.per_day;
                if !hour_full && !day_full {
                    for (kind, start) in [("hour", hour_start), ("day", day_start)] {
                        sqlx::query(BUMP)
                            .bind(retailer.0)
                            .bind(address_hash)
                            .bind(kind)
                            .bind(start)
                            .execute(&mut *$tx)
                            .await?;
                    }
                }
                $tx.commit().await?;
                (hour_full, day_full)
            }};
        }
        let (hour_full, day_full) = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                body!(tx)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                body!(tx)
            }
        };
        if !hour_full && !day_full {
            return Ok(Decision {
                allowed: true,
                retry_after: None,
            });
        }
        let mut wait = 0;
        if hour_full {
            wait = wait.max(hour_start + HOUR - now);
        }
        if day_full {
            wait = wait.max(day_start + DAY - now);
        }
        Ok(Decision {
            allowed: false,
            retry_after: Some(wait),
        })
    }

    // ---- event logs ----

    /// Records a security event (`retailer` is `None` when no retailer could be identified).
    pub async fn record_security_event(
        &self,
        retailer: Option<RetailerId>,
        kind: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO security_events (retailer_id, kind, created_at) VALUES ($1, $2, $3)",
        )
        .bind(retailer.map(|r| r.0))
        .bind(kind)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Records a widget session.
    pub async fn record_widget_session(
        &self,
        retailer: RetailerId,
        session_id: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("widget_sessions", "session_id", retailer, session_id, now)
            .await
    }

    /// Records a render's metadata.
    pub async fn record_render(
        &self,
        retailer: RetailerId,
        product: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("render_events", "product", retailer, product, now)
            .await
    }

    /// Records an analytics event.
    pub async fn record_analytics_event(
        &self,
        retailer: RetailerId,
        name: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("analytics_events", "name", retailer, name, now)
            .await
    }

    /// `table` and `column` are constants of this module, never input.
    async fn insert_event(
        &self,
        table: &'static str,
        column: &'static str,
        retailer: RetailerId,
        value: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        let sql = format!(
            "INSERT INTO {table} (retailer_id, {column}, created_at) \
             SELECT id, $1, $2 FROM retailers WHERE id = $3"
        );
        let done = on_pool!(self, pool => sqlx::query(&sql)
            .bind(value)
            .bind(now)
            .bind(retailer.0)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StorageError::NoSuchRetailer);
        }
        Ok(())
    }

    // ---- retention ----

    /// Deletes every record past its retention at `now`: a record is kept while
    /// `now - created_at <= retention` (for counters, counted from the window's start).
    pub async fn sweep(
        &self,
        now: UnixSeconds,
        policy: RetentionPolicy,
    ) -> Result<SweepReport, StorageError> {
        let mut report = SweepReport::default();
        for (table, column, retention, slot) in [
            (
                "rate_limit_counters",
                "window_start",
                policy.rate_limit_counters,
                &mut report.rate_limit_counters,
            ),
            (
                "security_events",
                "created_at",
                policy.security_events,
                &mut report.security_events,
            ),
            (
                "widget_sessions",
                "created_at",
                policy.widget_sessions,
                &mut report.widget_sessions,
            ),
            (
                "render_events",
                "created_at",
                policy.render_events,
                &mut report.render_events,
            ),
            (
                "analytics_events",
                "created_at",
                policy.analytics_events,
                &mut report.analytics_events,
            ),
        ] {
            let sql = format!("DELETE FROM {table} WHERE {column} < $1");
            *slot = on_pool!(self, pool => sqlx::query(&sql)
                .bind(now - retention)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(report)
    }

    /// Reads a row count with any SQL (tests only).
    #[doc(hidden)]
    pub async fn scalar_for_tests(&self, sql: &str) -> Result<i64, StorageError> {
        let value = on_pool!(self, pool => sqlx::query(sql)
            .fetch_one(pool)
            .await
            .and_then(|row| row.try_get::<i64, _>(0)))?;
        Ok(value)
    }
}

fn retailer_from_row(
    (id, name, created_at, renders_per_hour, renders_per_day): (i64, String, i64, i64, i64),
) -> Retailer {
    Retailer {
        id: RetailerId(id),
        name,
        created_at,
        renders_per_hour,
        renders_per_day,
    }
}

/// `scheme://host[:port]` or `scheme://*.host[:port]`, nothing more (no path, no user info).
fn plausible_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let host = rest.strip_prefix("*.").unwrap_or(rest);
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `len` characters from `[0-9A-Za-z]`, uniformly, by rejection sampling of OS random bytes.
fn random_base62(len: usize) -> Result<String, StorageError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf).map_err(StorageError::Random)?;
        // 248 = 4 × 62: bytes at or above it would bias the first characters.
        for b in buf.into_iter().filter(|b| *b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_keys_have_the_length_and_alphabet() {
        let key = random_base62(32).expect("OS randomness");
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(key, random_base62(32).expect("OS randomness"));
    }

    #[test]
    fn origin_shapes() {
        assert!(plausible_origin("https://shop.example"));
        assert!(plausible_origin("https://*.shop.example"));
        assert!(plausible_origin("http://127.0.0.1:8788"));
        assert!(!plausible_origin("https://shop.example/path"));
        assert!(!plausible_origin("shop.example"));
        assert!(!plausible_origin("https://user@shop.example"));
        assert!(!plausible_origin("ftp://shop.example"));
    }
}
