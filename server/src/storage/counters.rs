//! The rate limit's counter rows: one per (retailer, visitor address hash), holding the visitor's
//! current hour and day windows and their counts (the window arithmetic is
//! [`crate::rate_limit::windows`]).
//!
//! # Exact rate limits
//! [`Storage::count_batch`] counts a batch of renders (the rate limiter queues concurrent requests
//! into batches) in one transaction:
//! 1. a multi-row upsert that changes nothing (`ON CONFLICT DO UPDATE SET count = count`) creates
//!    missing rows and takes every row's write lock, returning what is stored;
//! 2. each request, in arrival order, is allowed if both windows have room (a window that has
//!    ended counts zero) and then counted, or refused and counts nothing;
//! 3. the changed rows are written back, the allowed renders' events inserted, and it commits.
//! - On SQLite the transaction starts with `BEGIN IMMEDIATE`: it takes the database's write lock
//!   up front, so writers are serialised and the read-decide-write cannot interleave
//!   (`busy_timeout` makes contenders wait instead of failing).
//! - On PostgreSQL (READ COMMITTED) the upsert locks each row (a concurrent insert of the same key
//!   waits for the first to commit, then takes the update path and locks the row), so the counts
//!   read in step 1 cannot change before commit. Every batch locks its rows in one global order
//!   (retailer, then hash), so concurrent batches — in one process or several — cannot deadlock.
//!   The counting transaction commits with `synchronous_commit = off` (see `count_batch`).
//! - A batch is three statements whatever its size (rows padded to a few fixed shapes, so each
//!   connection prepares them once and reuses them).
//!
//! The statements are written once, generic over the sqlx database ([`Batch`]); only the
//! placeholder style differs between the dialects ([`Dialect`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use sqlx::{
    Database, Encode, Executor, FromRow, IntoArguments, Postgres, Sqlite, Transaction, Type,
};

use super::{CounterState, Decision, Limits, Pool, RetailerId, Storage, StorageError, Windows};
use crate::clock::UnixSeconds;

/// One render to count, for [`Storage::count_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRequest {
    /// The retailer.
    pub retailer: RetailerId,
    /// The keyed hash of the visitor's address (never the address).
    pub address_hash: Vec<u8>,
    /// The retailer's limits.
    pub limits: Limits,
    /// The product, recorded as a render event if the request is allowed.
    pub product: Option<String>,
}

/// A visitor's counter row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCounter {
    /// The retailer.
    pub retailer: RetailerId,
    /// The keyed hash of the visitor's address.
    pub address_hash: Vec<u8>,
    /// The windows and counts.
    pub state: CounterState,
}

/// A `rate_limit_counters` row as read.
#[derive(Debug, sqlx::FromRow)]
struct CounterRow {
    retailer_id: i64,
    address_hash: Vec<u8>,
    hour_start: i64,
    hour_count: i64,
    day_start: i64,
    day_count: i64,
}

impl CounterRow {
    fn state(&self) -> CounterState {
        CounterState {
            hour_start: self.hour_start,
            hour_count: self.hour_count,
            day_start: self.day_start,
            day_count: self.day_count,
        }
    }
}

/// A counter row to write: (retailer id, address hash, windows and counts).
type CounterWrite<'a> = (i64, &'a [u8], CounterState);
/// A render event to insert: (retailer id, product, created_at).
type RenderEvent<'a> = (i64, &'a str, UnixSeconds);

impl Storage {
    /// Counts one render for `address_hash` (an HMAC of the visitor's address, never the address)
    /// against the hour and day windows containing `now`, if both have room: a batch of one.
    pub async fn increment_and_check(
        &self,
        retailer: RetailerId,
        address_hash: &[u8],
        now: UnixSeconds,
        limits: Limits,
    ) -> Result<Decision, StorageError> {
        let request = CountRequest {
            retailer,
            address_hash: address_hash.to_vec(),
            limits,
            product: None,
        };
        let mut decisions = self
            .count_batch(std::slice::from_ref(&request), now)
            .await?;
        decisions.pop().ok_or(StorageError::NoSuchRetailer)
    }

    /// Counts a batch of renders in one transaction (see the module doc), in the order given,
    /// and records a render event for each allowed request that names a product. Returns one
    /// decision per request.
    pub async fn count_batch(
        &self,
        requests: &[CountRequest],
        now: UnixSeconds,
    ) -> Result<Vec<Decision>, StorageError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        // Counters are abuse protection, not records: on PostgreSQL a crash may lose the last
        // moments of counts, and in exchange a commit does not wait for the WAL to reach disk.
        // (Exactness is unaffected: it comes from the row locks, not from durability.) One round
        // trip for both statements.
        Ok(in_transaction!(self,
            sqlite: "BEGIN IMMEDIATE",
            postgres: "BEGIN; SET LOCAL synchronous_commit = off",
            tx => Batch { tx: &mut tx }.count(requests, now).await?))
    }

    /// Counter rows whose day window starts at or after `day_start`: the ones that still count.
    pub async fn load_counters(
        &self,
        day_start: UnixSeconds,
    ) -> Result<Vec<StoredCounter>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, CounterRow>(
            "SELECT retailer_id, address_hash, hour_start, hour_count, day_start, day_count \
             FROM rate_limit_counters WHERE day_start >= $1",
        )
        .bind(day_start)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|row| StoredCounter {
                retailer: RetailerId(row.retailer_id),
                state: row.state(),
                address_hash: row.address_hash,
            })
            .collect())
    }

    /// Stores counter rows (absolute values, as counted in memory by the single process that owns
    /// an SQLite database) and render events, in one transaction. Rows and events of retailers
    /// deleted meanwhile are skipped.
    pub async fn store_counts(
        &self,
        counters: &[StoredCounter],
        events: &[(RetailerId, String, UnixSeconds)],
    ) -> Result<(), StorageError> {
        if counters.is_empty() && events.is_empty() {
            return Ok(());
        }
        let rows: Vec<CounterWrite<'_>> = counters
            .iter()
            .map(|c| (c.retailer.0, c.address_hash.as_slice(), c.state))
            .collect();
        let events: Vec<RenderEvent<'_>> = events
            .iter()
            .map(|(retailer, product, at)| (retailer.0, product.as_str(), *at))
            .collect();
        in_transaction!(self, tx => {
            let mut batch = Batch { tx: &mut tx };
            batch.write_counter_rows(&rows).await?;
            batch.insert_render_events(&events).await?;
        });
        Ok(())
    }
}

/// How each dialect writes a statement's parameters.
pub(super) trait Dialect: Database {
    /// The style.
    const PLACEHOLDERS: Placeholders;
}

impl Dialect for Sqlite {
    const PLACEHOLDERS: Placeholders = Placeholders::Positional;
}

impl Dialect for Postgres {
    const PLACEHOLDERS: Placeholders = Placeholders::Numbered;
}

/// The batch statements in an open transaction, written once for both databases: everything
/// they need of a database is said once, in the bounds of this `impl`.
struct Batch<'t, 'c, DB: Database> {
    tx: &'t mut Transaction<'c, DB>,
}

impl<DB> Batch<'_, '_, DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    CounterRow: for<'r> FromRow<'r, DB::Row>,
{
    /// Steps 1 to 3 of the module doc.
    async fn count(
        mut self,
        requests: &[CountRequest],
        now: UnixSeconds,
    ) -> Result<Vec<Decision>, sqlx::Error> {
        let windows = Windows::at(now);
        // Distinct visitors, in one global order, so that concurrent batches (in several
        // processes too) lock rows in the same order and cannot deadlock.
        let subjects: Vec<(i64, &[u8])> = requests
            .iter()
            .map(|r| (r.retailer.0, r.address_hash.as_slice()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // 1. Create missing rows (empty, at the current windows) and lock every row, reading
        //    what is stored.
        let fresh = CounterState {
            hour_start: windows.hour_start,
            hour_count: 0,
            day_start: windows.day_start,
            day_count: 0,
        };
        let wanted: Vec<CounterWrite<'_>> = subjects
            .iter()
            .map(|&(retailer, hash)| (retailer, hash, fresh))
            .collect();
        let stored = self.lock_rows(&wanted).await?;
        // 2. Decide every request in order against the counts as they stand.
        let before: Vec<CounterState> = subjects
            .iter()
            .map(|&(retailer, hash)| {
                stored
                    .get(&(retailer, hash.to_vec()))
                    .copied()
                    .unwrap_or_default()
                    .current(windows)
            })
            .collect();
        let mut after = before.clone();
        let index: HashMap<(i64, &[u8]), usize> =
            subjects.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        let decisions: Vec<Decision> = requests
            .iter()
            .map(|request| {
                let slot = index[&(request.retailer.0, request.address_hash.as_slice())];
                after[slot].decide(request.limits, now)
            })
            .collect();
        // 3. Write back the rows that changed, and the allowed renders' events.
        let changed: Vec<CounterWrite<'_>> = subjects
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(&(retailer, hash), (_, &a))| (retailer, hash, a))
            .collect();
        self.write_counter_rows(&changed).await?;
        let events: Vec<RenderEvent<'_>> = requests
            .iter()
            .zip(&decisions)
            .filter(|(_, d)| d.allowed)
            .filter_map(|(r, _)| r.product.as_deref().map(|p| (r.retailer.0, p, now)))
            .collect();
        self.insert_render_events(&events).await?;
        Ok(decisions)
    }

    /// Creates the missing rows as given and locks every row without changing it; returns the
    /// rows as stored.
    async fn lock_rows(
        &mut self,
        rows: &[CounterWrite<'_>],
    ) -> Result<HashMap<(i64, Vec<u8>), CounterState>, sqlx::Error> {
        let stored = self.upsert_counter_rows(rows, LOCK_ROWS).await?;
        Ok(stored
            .into_iter()
            .map(|row| {
                let state = row.state();
                ((row.retailer_id, row.address_hash), state)
            })
            .collect())
    }

    /// Writes counter rows, skipping retailers deleted meanwhile: upserts of absolute values.
    async fn write_counter_rows(&mut self, rows: &[CounterWrite<'_>]) -> Result<(), sqlx::Error> {
        self.upsert_counter_rows(rows, WRITE_ROWS).await?;
        Ok(())
    }

    /// `INSERT … ON CONFLICT … <action>` of the rows, in statements of fixed shapes; returns
    /// what the action's `RETURNING` (if any) returns.
    async fn upsert_counter_rows(
        &mut self,
        rows: &[CounterWrite<'_>],
        action: &str,
    ) -> Result<Vec<CounterRow>, sqlx::Error> {
        let mut returned = Vec::new();
        for chunk in rows.chunks(MAX_ROWS) {
            let shape = padded(chunk.len());
            let sql = counter_upsert_sql(DB::PLACEHOLDERS, shape, action);
            let mut upsert = sqlx::query_as::<DB, CounterRow>(&sql);
            for &(retailer, hash, state) in chunk {
                upsert = upsert
                    .bind(Some(retailer))
                    .bind(Some(hash))
                    .bind(Some(state.hour_start))
                    .bind(Some(state.hour_count))
                    .bind(Some(state.day_start))
                    .bind(Some(state.day_count));
            }
            for _ in chunk.len()..shape {
                upsert = upsert
                    .bind(None::<i64>)
                    .bind(None::<&[u8]>)
                    .bind(None::<i64>)
                    .bind(None::<i64>)
                    .bind(None::<i64>)
                    .bind(None::<i64>);
            }
            returned.extend(upsert.fetch_all(&mut **self.tx).await?);
        }
        Ok(returned)
    }

    /// Inserts render events, skipping retailers deleted meanwhile.
    async fn insert_render_events(
        &mut self,
        events: &[RenderEvent<'_>],
    ) -> Result<(), sqlx::Error> {
        for chunk in events.chunks(MAX_ROWS) {
            let shape = padded(chunk.len());
            let sql = render_events_insert_sql(DB::PLACEHOLDERS, shape);
            let mut insert = sqlx::query::<DB>(&sql);
            for &(retailer, product, at) in chunk {
                insert = insert
                    .bind(Some(retailer))
                    .bind(Some(product))
                    .bind(Some(at));
            }
            for _ in chunk.len()..shape {
                insert = insert
                    .bind(None::<i64>)
                    .bind(None::<&str>)
                    .bind(None::<i64>);
            }
            insert.execute(&mut **self.tx).await?;
        }
        Ok(())
    }
}

/// Statement sizes. A batch's rows go into one statement of the smallest of these sizes that
/// holds them, the unused rows bound as NULL and filtered out by the statement: so each
/// connection prepares four shapes of each statement once and reuses them, and a batch costs three
/// statements whatever its size (with the worker-thread hop of SQLite and the round trip of
/// PostgreSQL, the number of statements is what a batch costs).
const ROW_SHAPES: [usize; 4] = [4, 16, 64, MAX_ROWS];
/// The most rows in one statement.
const MAX_ROWS: usize = 256;

/// The statement size for `rows` rows (at most [`MAX_ROWS`]).
fn padded(rows: usize) -> usize {
    ROW_SHAPES
        .into_iter()
        .find(|&shape| shape >= rows)
        .unwrap_or(MAX_ROWS)
}

/// Lock-and-read: creates missing rows (as bound) and locks every row without changing it.
const LOCK_ROWS: &str = "DO UPDATE SET hour_count = rate_limit_counters.hour_count \
     RETURNING retailer_id, address_hash, hour_start, hour_count, day_start, day_count";
/// Write: stores the bound values into rows this transaction has locked.
const WRITE_ROWS: &str = "DO UPDATE SET hour_start = excluded.hour_start, \
     hour_count = excluded.hour_count, day_start = excluded.day_start, \
     day_count = excluded.day_count";

/// `INSERT INTO rate_limit_counters … SELECT … FROM (VALUES (…) × rows) WHERE not padding
/// ON CONFLICT (…) <action>`. (`column1`… are the names both dialects give VALUES columns.)
fn counter_upsert_sql(style: Placeholders, rows: usize, action: &str) -> String {
    let mut sql = String::from(
        "INSERT INTO rate_limit_counters \
         (retailer_id, address_hash, hour_start, hour_count, day_start, day_count) \
         SELECT column1, column2, column3, column4, column5, column6 FROM (VALUES ",
    );
    push_placeholders(&mut sql, style, rows, 6);
    let _ = write!(
        sql,
        ") AS v WHERE column1 IS NOT NULL \
         AND EXISTS (SELECT 1 FROM retailers WHERE retailers.id = column1) \
         ON CONFLICT (retailer_id, address_hash) {action}"
    );
    sql
}

/// `INSERT INTO render_events … SELECT … FROM (VALUES (…) × rows) WHERE not padding`.
fn render_events_insert_sql(style: Placeholders, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO render_events (retailer_id, product, created_at) \
         SELECT column1, column2, column3 FROM (VALUES ",
    );
    push_placeholders(&mut sql, style, rows, 3);
    sql.push_str(
        ") AS v WHERE column1 IS NOT NULL \
         AND EXISTS (SELECT 1 FROM retailers WHERE retailers.id = column1)",
    );
    sql
}

/// How a statement's parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite). For each numbered parameter sqlx asks SQLite its name, and SQLite finds
    /// it by a linear scan: quadratic in a statement with hundreds of parameters (measured: a
    /// quarter of the server's time under load). Anonymous parameters have no name to scan for.
    Positional,
}

/// `(…), (…)`: `rows` tuples of `columns` placeholders.
fn push_placeholders(sql: &mut String, style: Placeholders, rows: usize, columns: usize) {
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match style {
                Placeholders::Numbered => {
                    let _ = write!(sql, "${}", row * columns + column + 1);
                }
                Placeholders::Positional => sql.push('?'),
            }
        }
        sql.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_take_the_smallest_shape_that_holds_them() {
        assert_eq!(padded(1), 4);
        assert_eq!(padded(4), 4);
        assert_eq!(padded(5), 16);
        assert_eq!(padded(64), 64);
        assert_eq!(padded(65), MAX_ROWS);
        assert_eq!(padded(MAX_ROWS + 1), MAX_ROWS);
    }

    #[test]
    fn placeholders_are_numbered_for_postgres_and_anonymous_for_sqlite() {
        let mut numbered = String::new();
        push_placeholders(&mut numbered, Placeholders::Numbered, 2, 3);
        assert_eq!(numbered, "($1, $2, $3), ($4, $5, $6)");
        let mut positional = String::new();
        push_placeholders(&mut positional, Placeholders::Positional, 2, 2);
        assert_eq!(positional, "(?, ?), (?, ?)");
        let sql = render_events_insert_sql(Placeholders::Numbered, 1);
        assert!(
            sql.contains("(VALUES ($1, $2, $3)) AS v WHERE column1 IS NOT NULL"),
            "{sql}"
        );
        let sql = counter_upsert_sql(Placeholders::Positional, 1, WRITE_ROWS);
        assert!(sql.ends_with(&format!(
            "ON CONFLICT (retailer_id, address_hash) {WRITE_ROWS}"
        )));
    }
}
