//! The retention sweeper: deletes every record past its retention on a schedule.
//!
//! The promises (rate-limit counters 48 h, security logs 30 days, widget sessions 12 months,
//! render metadata and analytics 24 months) are the [`RetentionPolicy`] defaults. A record becomes
//! due at `created + retention`, but is only deleted at the next sweep; so the sweeper sweeps with
//! every retention shortened by its own interval, and "deleted within 48 hours" holds even for a
//! record that falls due just after a sweep.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::storage::{RetentionPolicy, Storage, StorageError, SweepReport};

/// How often the sweeper runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The policy a sweep running every `interval` must apply for `promised` to hold.
pub fn effective_policy(promised: RetentionPolicy, interval: Duration) -> RetentionPolicy {
    let slack = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
    let shorten = |retention: i64| retention.saturating_sub(slack).max(0);
    RetentionPolicy {
        rate_limit_counters: shorten(promised.rate_limit_counters),
        security_events: shorten(promised.security_events),
        widget_sessions: shorten(promised.widget_sessions),
        render_events: shorten(promised.render_events),
        analytics_events: shorten(promised.analytics_events),
    }
}

/// One sweep at the clock's current time, logged by count only.
pub async fn sweep_once(
    storage: &Storage,
    clock: &dyn Clock,
    policy: RetentionPolicy,
) -> Result<SweepReport, StorageError> {
    let report = storage.sweep(clock.now(), policy).await?;
    tracing::info!(
        rate_limit_counters = report.rate_limit_counters,
        security_events = report.security_events,
        widget_sessions = report.widget_sessions,
        render_events = report.render_events,
        analytics_events = report.analytics_events,
        "retention sweep"
    );
    Ok(report)
}

/// Sweeps now and then every `interval` until `stop` turns true. A failed sweep is logged and
/// retried at the next tick; it never stops the server.
pub async fn run(
    storage: Storage,
    clock: Arc<dyn Clock>,
    interval: Duration,
    stop: watch::Receiver<bool>,
) {
    let stopped = crate::shutdown::signalled(stop);
    tokio::pin!(stopped);
    let policy = effective_policy(RetentionPolicy::default(), interval);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(error) = sweep_once(&storage, clock.as_ref(), policy).await {
                    tracing::error!(error = %error, "retention sweep failed");
                }
            }
            () = &mut stopped => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeping_every_interval_keeps_the_promise() {
        let promised = RetentionPolicy::default();
        let effective = effective_policy(promised, SWEEP_INTERVAL);
        let interval = 300;
        assert_eq!(effective.rate_limit_counters + interval, 48 * 3600);
        assert_eq!(effective.security_events + interval, 30 * 86_400);
        assert_eq!(effective.widget_sessions + interval, 365 * 86_400);
        assert_eq!(effective.render_events + interval, 730 * 86_400);
        assert_eq!(effective.analytics_events + interval, 730 * 86_400);
        let absurd = effective_policy(promised, Duration::from_secs(u64::MAX));
        assert_eq!(absurd.rate_limit_counters, 0);
    }
}
