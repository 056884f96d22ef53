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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorKindCount {
    /// `photo_rejected` or `render_failed`.
    pub event: String,
    /// The code.
    pub kind: String,
    /// How many.
    pub count: i64,
}

/// Renders of one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRenders {
    /// The product's SKU.
    pub product: String,
    /// How many renders (on the server and on devices).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCount {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// The count.
    pub count: i64,
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
        let mut stored = 0;
        // SQLite allows 32766 bound values; a beacon has at most 50 events, but be general.
        for chunk in events.chunks(500) {
            let sql = insert_sql(chunk.len());
            let consented = i32::from(identity.is_some());
            stored += on_pool!(self, pool => {
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
                query.execute(pool).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(stored)
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
        let events: Vec<(i64, String, i64, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT created_at / 86400 AS day, name, COUNT(*) AS events, \
                    SUM(first_in_session) AS firsts \
             FROM analytics_events WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
             GROUP BY created_at / 86400, name ORDER BY day, name",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let events = events
            .into_iter()
            .map(|(day, name, events, firsts)| DailyEventCount {
                day,
                name,
                events,
                first_in_session: firsts.unwrap_or(0),
            })
            .collect();
        let error_kinds: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT name, detail, COUNT(*) AS n FROM analytics_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
               AND name IN ('photo_rejected', 'render_failed') AND detail IS NOT NULL \
             GROUP BY name, detail ORDER BY n DESC, name, detail",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let error_kinds = error_kinds
            .into_iter()
            .map(|(event, kind, count)| ErrorKindCount { event, kind, count })
            .collect();
        let renders_per_product: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT product, COUNT(*) AS n FROM render_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
             GROUP BY product ORDER BY n DESC, product LIMIT 100",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let renders_per_product = renders_per_product
            .into_iter()
            .map(|(product, renders)| ProductRenders { product, renders })
            .collect();
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
        let purchases: Vec<(String, i64, Option<f64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT currency, COUNT(*) AS n, SUM(amount) AS total FROM analytics_events \
             WHERE retailer_id = $1 AND created_at >= $2 AND created_at < $3 \
               AND name = 'purchase' AND currency IS NOT NULL \
             GROUP BY currency ORDER BY currency",
        )
        .bind(r).bind(from).bind(until)
        .fetch_all(pool).await)?;
        let purchases = purchases
            .into_iter()
            .map(|(currency, orders, total)| PurchaseTotal {
                currency,
                orders,
                value: total.unwrap_or(0.0),
            })
            .collect();
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
        let (distinct_visitors, distinct_returning_visitors): (i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN days >= 2 THEN 1 ELSE 0 END), 0) FROM \
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
            distinct_visitors,
            distinct_returning_visitors,
        })
    }

    async fn daily_counts(
        &self,
        sql: &'static str,
        retailer: i64,
        from: UnixSeconds,
        until: UnixSeconds,
    ) -> Result<Vec<DailyCount>, StorageError> {
        let rows: Vec<(i64, i64)> = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(retailer).bind(from).bind(until)
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| DailyCount { day, count })
            .collect())
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

type EventRow = (
    String,
    i64,
    i32,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<String>,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Storage {
    /// The retailer's most recent stored events, newest first, every column.
    pub async fn analytics_events(
        &self,
        retailer: RetailerId,
        limit: i64,
    ) -> Result<Vec<StoredAnalyticsEvent>, StorageError> {
        let rows: Vec<EventRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT name, created_at, first_in_session, detail, product, amount, currency, \
                    consented, session_id, anonymous_id, user_hash, visitor_hash \
             FROM analytics_events WHERE retailer_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(retailer.0)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| StoredAnalyticsEvent {
                name: r.0,
                created_at: r.1,
                first_in_session: r.2 == 1,
                detail: r.3,
                product: r.4,
                amount: r.5,
                currency: r.6,
                consented: r.7 == 1,
                session_id: r.8,
                anonymous_id: r.9,
                user_hash: r.10,
                visitor_hash: r.11,
            })
            .collect())
    }
}
