//! Retention: the sweep deletes exactly what is past each table's retention.

use crate::common::{DAY, HOUR, T0, TestDb};
use vitrine_server::clock::{Clock, ManualClock};
use vitrine_server::storage::{Limits, RetentionPolicy, SweepReport};

pub async fn sweep_deletes_exactly_what_is_past_retention(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let policy = RetentionPolicy::default();
    let clock = ManualClock::new(T0);
    let now = T0 + 800 * DAY;
    // For each table, one record just past its retention and one just within it.
    let limits = Limits::default();
    for (visitor, age) in [(b"visitor-1", 48 * HOUR + 1), (b"visitor-2", 48 * HOUR)] {
        let t = now - age;
        s.increment_and_check(a, visitor, t - t.rem_euclid(HOUR), limits)
            .await
            .expect("count");
    }
    for age in [30 * DAY + 1, 30 * DAY] {
        s.record_security_event(Some(a), "bad_origin", now - age)
            .await
            .expect("event");
    }
    s.record_security_event(None, "unknown_key", now - 30 * DAY - 1)
        .await
        .expect("event");
    for age in [365 * DAY + 1, 365 * DAY] {
        s.record_widget_session(a, "session", now - age)
            .await
            .expect("session");
    }
    for age in [730 * DAY + 1, 730 * DAY] {
        s.record_render(a, "oak-floor", now - age)
            .await
            .expect("render");
        s.record_analytics_event(a, "render_shown", now - age)
            .await
            .expect("analytics");
    }
    // Nothing is due at the start.
    clock.set(now - 800 * DAY);
    assert_eq!(
        s.sweep(clock.now(), policy).await.expect("sweep"),
        SweepReport::default()
    );
    clock.set(now);
    let report = s.sweep(clock.now(), policy).await.expect("sweep");
    // A visitor last counted in the hour that started 48 h + 1 s ago is gone; one whose hour
    // started 48 h ago is kept.
    assert_eq!(report.rate_limit_counters, 1);
    assert_eq!(report.security_events, 2);
    assert_eq!(report.widget_sessions, 1);
    assert_eq!(report.render_events, 1);
    assert_eq!(report.analytics_events, 1);
    assert_eq!(
        s.scalar_for_tests(&format!(
            "SELECT COUNT(*) FROM rate_limit_counters WHERE hour_start < {}",
            now - 48 * HOUR
        ))
        .await
        .expect("count"),
        0
    );
    for table in [
        "security_events",
        "widget_sessions",
        "render_events",
        "analytics_events",
    ] {
        assert_eq!(
            s.count_rows_of(table, a).await.expect("count"),
            1,
            "{table}"
        );
    }
    // A second sweep finds nothing more.
    assert_eq!(
        s.sweep(clock.now(), policy).await.expect("sweep"),
        SweepReport::default()
    );
}
