//! Retention: how long each kind of record is kept, and the sweep that deletes what is past it
//! (run by [`crate::sweeper`]).

use super::{DAY, Pool, Storage, StorageError};
use crate::clock::UnixSeconds;
use crate::rate_limit::windows::HOUR;

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

impl Storage {
    /// Deletes every record past its retention at `now`: a record is kept while
    /// `now - created_at <= retention` (for counters, counted from the window's start). One
    /// transaction: a sweep is reported done only once all of it is stored.
    pub async fn sweep(
        &self,
        now: UnixSeconds,
        policy: RetentionPolicy,
    ) -> Result<SweepReport, StorageError> {
        let tables = [
            (
                "rate_limit_counters",
                "hour_start",
                policy.rate_limit_counters,
            ),
            ("security_events", "created_at", policy.security_events),
            ("widget_sessions", "created_at", policy.widget_sessions),
            ("render_events", "created_at", policy.render_events),
            ("analytics_events", "created_at", policy.analytics_events),
        ];
        let deleted = in_transaction!(self, tx => {
            let mut deleted = [0; 5];
            for ((table, column, retention), count) in tables.iter().zip(&mut deleted) {
                let sql = format!("DELETE FROM {table} WHERE {column} < $1");
                *count = sqlx::query(&sql)
                    .bind(now - retention)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            deleted
        });
        let [
            rate_limit_counters,
            security_events,
            widget_sessions,
            render_events,
            analytics_events,
        ] = deleted;
        Ok(SweepReport {
            rate_limit_counters,
            security_events,
            widget_sessions,
            render_events,
            analytics_events,
        })
    }
}
