//! Analytics events (see `migrations/*/0005_analytics_events.sql`): stored from checked beacons,
//! read back only as per-day counts for the retailer whose events they are.

use vitrine_core::analytics::events::Event;

use super::{DAY, Pool, RetailerId, Storage, StorageError};
use crate::clock::UnixSeconds;

/// Columns one stored event takes in the insert statement.
const COLUMNS: usize = 13;

/// The identifiers stored with a consented beacon's events. Without consent there is no value
/// of this type to pass, and the rows get none (the database's CHECK says the same).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentedIdentity {
    /// The anonymous id (32 hex).
    pub anonymous_id: Option<String>,
    /// The hashed user id (64 hex), hashed in the browser.
    pub user_hash: Option<String>,
    /// The keyed hash of the visitor's address under the retailer's own key (64 hex).
    pub visitor_hash: Option<String>,
}

/// Events counted per day and name.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyEventCount {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// The event's name.
    pub name: String,
    /// How many.
    pub events: i64,
    /// How many were the first of their name in their widget session.
    pub first_in_session: i64,
}

/// A reason or kind code counted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ErrorKindCount {
    /// `photo_rejected` or `render_failed`.
    pub event: String,
    /// The code.
    pub kind: String,
    /// How many.
    #[sqlx(rename = "n")]
    pub count: i64,
}

/// Renders of one product.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductRenders {
    /// The product's SKU.
    pub product: String,
    /// How many renders (on the server and on devices).
    #[sqlx(rename = "n")]
    pub renders: i64,
}

/// Purchases in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// How many orders.
    pub orders: i64,
    /// Their summed value.
    pub value: f64,
}

/// A per-day count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct DailyCount {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// The count.
    #[sqlx(rename = "n")]
    pub count: i64,
}

#[derive(sqlx::FromRow)]
struct DailyEventRow {
    day: i64,
    name: String,
    events: i64,
    /// NULL when no row of the group says (a SUM over nothing).
    firsts: Option<i64>,
}

impl From<DailyEventRow> for DailyEventCount {
    fn from(row: DailyEventRow) -> Self {
        Self {
            day: row.day,
            name: row.name,
            events: row.events,
            first_in_session: row.firsts.unwrap_or(0),
        }
    }
}

#[derive(sqlx::FromRow)]
struct PurchaseRow {
    currency: String,
    n: i64,
    /// NULL when no order of the currency has an amount.
    total: Option<f64>,
}

impl From<PurchaseRow> for PurchaseTotal {
    fn from(row: PurchaseRow) -> Self {
        Self {
            currency: row.currency,
            orders: row.n,
            value: row.total.unwrap_or(0.0),
        }
    }
}

#[derive(sqlx::FromRow)]
struct VisitorTotals {
    distinct_visitors: i64,
    returning_visitors: i64,
}

/// Everything the aggregates endpoint reports, for days `[first_day, last_day]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalyticsCounts {
    /// Events per day and name.
    pub events: Vec<DailyEventCount>,
    /// Error kinds over the whole range.
    pub error_kinds: Vec<ErrorKindCount>,
    /// Renders per product over the whole range, most first (at most 100).
    pub renders_per_product: Vec<ProductRenders>,
    /// Renders per day.
    pub renders: Vec<DailyCount>,
    /// Purchases per currency over the whole range.
    pub purchases: Vec<PurchaseTotal>,
    /// Distinct consented visitors per day.
    pub visitors: Vec<DailyCount>,
    /// Per day, distinct consented visitors seen on an earlier day too.
    pub returning_visitors: Vec<DailyCount>,
    /// Distinct consented visitors over the range.
    pub distinct_visitors: i64,
    /// Distinct consented visitors over the range seen on at least two days.
    pub distinct_returning_visitors: i64,
}

impl Storage {
    /// Stores checked events of one beacon; `identity` is `Some` only for a consented beacon.
    /// `created_at` of each is its own time in seconds. Returns how many were stored.
    pub async fn insert_analytics_events(
        &self,
        retailer: RetailerId,
        events: &[Event],
        identity: Option<&ConsentedIdentity>,
    ) -> Result<u64, StorageError> {
        let consented = i32::from(identity.is_some());
        let stored = in_transaction!(self, tx => {
            let mut stored = 0;
            // SQLite allows 32766 bound values; a beacon has at most 50 events, but be general.
            for chunk in events.chunks(500) {
                let sql = insert_sql(chunk.len());
                let mut query = sqlx::query(&sql);
                for event in chunk {
                    query = query
                        .bind(retailer.0)
                        .bind(event.name.as_str())
                        .bind(i64::try_from(event.at / 1000).unwrap_or(i64::MAX))
                        .bind(i32::from(event.first))
                        .bind(event.detail.as_deref())
                        .bind(event.product.as_deref())
                        .bind(event.amount)
                        .bind(event.currency.as_deref())
                        .bind(consented)
                        .bind(identity.and(event.session.as_deref()))
                        .bind(identity.and_then(|i| i.anonymous_id.as_deref()))
                        .bind(identity.and_then(|i| i.user_hash.as_deref()))
                        .bind(identity.and_then(|i| i.visitor_hash.as_deref()));
                }
                stored += query.execute(&mut *tx).await?.rows_affected();
            }
            stored
        });
        Ok(stored)
    }

    /// Records one analytics event with its name only (for events the server itself counts,
    /// such as a withdrawn share).
    pub async fn record_analytics_event(
        &self,
        retailer: RetailerId,
        name: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("analytics_events", "name", retailer, name, now)
            .await
    }

    /// The retailer's counts for days `first_day..=last_day` (days since the epoch, UTC).
    pub async fn analytics_counts(
        &self,
        retailer: RetailerId,
        first_day: i64,
        last_day: i64,
    ) -> Result<AnalyticsCounts, StorageError> {
        let from = first_day * DAY;
        let until = (last_day + 1) * DAY;
        let r = retailer.0;
        let events = on_pool!(self, pool => sqlx::query_as::<_, DailyEventRow>(
            "SELECT created_at / 86400 AS day, name, COUNT(*) AS events, \
                    SUM(first_in_session) AS firsts \
             FROM analytics_events WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
             GROUP BY created_at / 86400, name ORDER BY day, name",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let events = events.into_iter().map(DailyEventCount::from).collect();
        let error_kinds = on_pool!(self, pool => sqlx::query_as::<_, ErrorKindCount>(
            "SELECT name AS event, detail AS kind, COUNT(*) AS n FROM analytics_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
               AND name IN ('photo_rejected', 'render_failed') AND detail IS NOT NULL \
             GROUP BY name, detail ORDER BY n DESC, name, detail",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let renders_per_product = on_pool!(self, pool => sqlx::query_as::<_, ProductRenders>(
            "SELECT product, COUNT(*) AS n FROM render_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
             GROUP BY product ORDER BY n DESC, product LIMIT 100",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let renders = self
            .daily_counts(
                "SELECT created_at / 86400 AS day, COUNT(*) AS n FROM render_events \
                 WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
                 GROUP BY created_at / 86400 ORDER BY day",
                r,
                from,
                until,
            )
            .await?;
        let purchases = on_pool!(self, pool => sqlx::query_as::<_, PurchaseRow>(
            "SELECT currency, COUNT(*) AS n, SUM(amount) AS total FROM analytics_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
               AND name = 'purchase' AND currency IS NOT NULL \
             GROUP BY currency ORDER BY currency",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let purchases = purchases.into_iter().map(PurchaseTotal::from).collect();
        let visitors = self
            .daily_counts(
                "SELECT created_at / 86400 AS day, COUNT(DISTINCT visitor_hash) AS n \
                 FROM analytics_events \
                 WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
                   AND visitor_hash IS NOT NULL \
                 GROUP BY created_at / 86400 ORDER BY day",
                r,
                from,
                until,
            )
            .await?;
        // A visitor returns on a day if the same visitor hash was seen on any earlier day.
        let returning_visitors = self
            .daily_counts(
                "SELECT seen.day AS day, COUNT(*) AS n FROM \
                   (SELECT DISTINCT created_at / 86400 AS day, visitor_hash FROM analytics_events \
                    WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
                      AND visitor_hash IS NOT NULL) AS seen \
                 WHERE EXISTS (SELECT 1 FROM analytics_events earlier \
                               WHERE earlier.retailer_id = $1 \
                                 AND earlier.visitor_hash = seen.visitor_hash \
                                 AND earlier.created_at < seen.day * 86400) \
                 GROUP BY seen.day ORDER BY day",
                r,
                from,
                until,
            )
            .await?;
        let totals = on_pool!(self, pool => sqlx::query_as::<_, VisitorTotals>(
            "SELECT COUNT(*) AS distinct_visitors, \
                    COALESCE(SUM(CASE WHEN days >= 2 THEN 1 ELSE 0 END), 0) AS returning_visitors \
             FROM \
               (SELECT visitor_hash, COUNT(DISTINCT created_at / 86400) AS days, \
                       MAX(created_at) AS last_seen \
                FROM analytics_events \
                WHERE retailer_id = $1 AND created_at < $3 AND visitor_hash IS NOT NULL \
                GROUP BY visitor_hash) AS per_visitor \
             WHERE last_seen >= $2 AND EXISTS (SELECT 1 FROM analytics_events inside \
                   WHERE inside.retailer_id = $1 AND inside.visitor_hash = per_visitor.visitor_hash \
                     AND inside.created_at >= $2 AND inside.created_at < $3)",
        )
        .bind(r).bind(from).bind(until)
        .fetch_one(pool).await)?;
        Ok(AnalyticsCounts {
            events,
            error_kinds,
            renders_per_product,
            renders,
            purchases,
            visitors,
            returning_visitors,
            distinct_visitors: totals.distinct_visitors,
            distinct_returning_visitors: totals.returning_visitors,
        })
    }

    async fn daily_counts(
        &self,
        sql: &'static str,
        retailer: i64,
        from: UnixSeconds,
        until: UnixSeconds,
    ) -> Result<Vec<DailyCount>, StorageError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, DailyCount>(sql)
            .bind(retailer).bind(from).bind(until)
            .fetch_all(pool).await)?)
    }
}

/// `INSERT INTO analytics_events (…) VALUES (…), …` for `rows` events.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO analytics_events (retailer_id, name, created_at, first_in_session, detail, \
         product, amount, currency, consented, session_id, anonymous_id, user_hash, visitor_hash) \
         VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(row * COLUMNS + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// One stored analytics event, every column (for the retailer's export and the tests).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredAnalyticsEvent {
    /// The event's name.
    pub name: String,
    /// Its time, Unix seconds.
    pub created_at: i64,
    /// Whether it was the first of its name in its widget session.
    pub first_in_session: bool,
    /// Its code or text field.
    pub detail: Option<String>,
    /// Its product.
    pub product: Option<String>,
    /// Its number.
    pub amount: Option<f64>,
    /// Its currency.
    pub currency: Option<String>,
    /// Whether the beacon said `consent: 1`.
    pub consented: bool,
    /// The widget session id (consented only).
    pub session_id: Option<String>,
    /// The anonymous id (consented only).
    pub anonymous_id: Option<String>,
    /// The hashed user id (consented only).
    pub user_hash: Option<String>,
    /// The keyed visitor hash (consented only).
    pub visitor_hash: Option<String>,
}

/// An `analytics_events` row as read: the flags are stored as 0/1 integers.
#[derive(sqlx::FromRow)]
struct EventRow {
    name: String,
    created_at: i64,
    first_in_session: i32,
    detail: Option<String>,
    product: Option<String>,
    amount: Option<f64>,
    currency: Option<String>,
    consented: i32,
    session_id: Option<String>,
    anonymous_id: Option<String>,
    user_hash: Option<String>,
    visitor_hash: Option<String>,
}

impl From<EventRow> for StoredAnalyticsEvent {
    fn from(row: EventRow) -> Self {
        Self {
            name: row.name,
            created_at: row.created_at,
            first_in_session: row.first_in_session == 1,
            detail: row.detail,
            product: row.product,
            amount: row.amount,
            currency: row.currency,
            consented: row.consented == 1,
            session_id: row.session_id,
            anonymous_id: row.anonymous_id,
            user_hash: row.user_hash,
            visitor_hash: row.visitor_hash,
        }
    }
}

impl Storage {
    /// The retailer's most recent stored events, newest first, every column.
    pub async fn analytics_events(
        &self,
        retailer: RetailerId,
        limit: i64,
    ) -> Result<Vec<StoredAnalyticsEvent>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, EventRow>(
            "SELECT name, created_at, first_in_session, detail, product, amount, currency, \
                    consented, session_id, anonymous_id, user_hash, visitor_hash \
             FROM analytics_events WHERE retailer_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(retailer.0)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(StoredAnalyticsEvent::from).collect())
    }
}
