//! Rate-limit counters: exact under concurrency (two pools on one database), refusals
//! count nothing, batches count in order, windows roll over.

use std::collections::HashMap;

use crate::common::{DAY, HOUR, T0, TestDb};
use vitrine_server::clock::{Clock, ManualClock};
use vitrine_server::storage::{CountRequest, Limits, RetailerId, Storage};

/// 1,000 concurrent requests from 50 addresses, through two independent pools on one database
/// (as two server processes would be), with a limit of 10/hour: exactly 10 allowed per address.
pub async fn rate_limit_exact_under_concurrency(db: TestDb) {
    let s = &db.storage;
    let other = Storage::connect(&db.url).await.expect("a second pool");
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits::new(10, 20);
    let mut tasks = Vec::new();
    for i in 0..1_000u32 {
        let s = if i % 2 == 0 { s.clone() } else { other.clone() };
        let address = vec![u8::try_from(i % 50).expect("small"); 32];
        tasks.push(tokio::spawn(async move {
            let decision = s
                .increment_and_check(a, &address, T0 + 5, limits)
                .await
                .expect("count");
            (address[0], decision.allowed)
        }));
    }
    let mut allowed: HashMap<u8, u32> = HashMap::new();
    for task in tasks {
        let (address, ok) = task.await.expect("task");
        *allowed.entry(address).or_default() += u32::from(ok);
    }
    assert_eq!(allowed.len(), 50);
    for (address, count) in allowed {
        assert_eq!(count, 10, "address {address} was allowed {count} times");
    }
    // The counters agree with the decisions: 10 per address in the hour and in the day.
    assert_eq!(
        s.scalar_for_tests(
            "SELECT CAST(SUM(hour_count + day_count) AS BIGINT) FROM rate_limit_counters"
        )
        .await
        .expect("sum"),
        1_000
    );
}

pub async fn refused_requests_consume_nothing(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits::new(2, 3);
    let clock = ManualClock::new(T0 + 100);
    let addr = b"hmac-of-an-address";
    for _ in 0..2 {
        assert!(
            s.increment_and_check(a, addr, clock.now(), limits)
                .await
                .expect("count")
                .allowed
        );
    }
    // The hour is full: many refusals must not eat into the day.
    for _ in 0..5 {
        let d = s
            .increment_and_check(a, addr, clock.now(), limits)
            .await
            .expect("count");
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Some(HOUR - 100));
    }
    clock.advance(HOUR);
    let d = s
        .increment_and_check(a, addr, clock.now(), limits)
        .await
        .expect("count");
    assert!(d.allowed, "the day still has room for one");
    let d = s
        .increment_and_check(a, addr, clock.now(), limits)
        .await
        .expect("count");
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Some(DAY - HOUR - 100), "the day is full now");
    assert_eq!(
        s.scalar_for_tests("SELECT CAST(SUM(day_count) AS BIGINT) FROM rate_limit_counters",)
            .await
            .expect("sum"),
        3
    );
}

pub async fn a_batch_counts_in_order_and_records_allowed_renders(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("A");
    let b = s.create_retailer("B", T0).await.expect("B");
    let tight = Limits::new(3, 5);
    let request = |retailer, visitor: u8, product: Option<&str>| CountRequest {
        retailer,
        address_hash: vec![visitor; 32],
        limits: tight,
        product: product.map(str::to_owned),
    };
    // One batch: visitor 1 at A five times (3 allowed, in order), visitor 1 at B twice (its own
    // allowance), visitor 2 at A once without a product.
    let batch = vec![
        request(a, 1, Some("rug")),
        request(b, 1, Some("lamp")),
        request(a, 1, Some("rug")),
        request(a, 2, None),
        request(a, 1, Some("sofa")),
        request(a, 1, Some("refused")),
        request(b, 1, Some("lamp")),
        request(a, 1, Some("refused")),
    ];
    let decisions = s.count_batch(&batch, T0 + 60).await.expect("batch");
    let allowed: Vec<bool> = decisions.iter().map(|d| d.allowed).collect();
    assert_eq!(allowed, [true, true, true, true, true, false, true, false]);
    assert_eq!(decisions[4].used_this_hour, 3);
    assert_eq!(decisions[5].retry_after, Some(HOUR - 60));
    assert_eq!(decisions[6].used_this_hour, 2);
    // Render events: one per allowed request naming a product, none for the refused.
    assert_eq!(
        s.scalar_for_tests("SELECT COUNT(*) FROM render_events")
            .await
            .expect("count"),
        5
    );
    assert_eq!(
        s.scalar_for_tests("SELECT COUNT(*) FROM render_events WHERE product = 'refused'")
            .await
            .expect("count"),
        0
    );
    // A second batch continues from the stored counts: the day (5) runs out for visitor 1 at A
    // in the next hour after two more.
    let next = vec![request(a, 1, None); 3];
    let decisions = s.count_batch(&next, T0 + HOUR).await.expect("batch");
    let allowed: Vec<bool> = decisions.iter().map(|d| d.allowed).collect();
    assert_eq!(allowed, [true, true, false]);
    assert_eq!(decisions[2].retry_after, Some(DAY - HOUR));
    // An empty batch is nothing.
    assert!(s.count_batch(&[], T0).await.expect("empty").is_empty());
}

/// How many of `attempts` renders at `now` are allowed.
async fn allowed_of(
    s: &Storage,
    retailer: RetailerId,
    address: &[u8],
    now: i64,
    limits: Limits,
    attempts: u32,
) -> u32 {
    let mut allowed = 0;
    for _ in 0..attempts {
        allowed += u32::from(
            s.increment_and_check(retailer, address, now, limits)
                .await
                .expect("count")
                .allowed,
        );
    }
    allowed
}

pub async fn rate_limit_windows_roll_over(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits::new(10, 20);
    let clock = ManualClock::new(T0 + 30 * 60);
    let addr = [7u8; 32];
    assert_eq!(allowed_of(s, a, &addr, clock.now(), limits, 15).await, 10);
    // 29:59 later: still the same hour.
    clock.advance(29 * 60 + 59);
    let d = s
        .increment_and_check(a, &addr, clock.now(), limits)
        .await
        .expect("c");
    assert_eq!((d.allowed, d.retry_after), (false, Some(1)));
    // The next hour: ten more, then the day (20) is exhausted.
    clock.advance(1);
    assert_eq!(allowed_of(s, a, &addr, clock.now(), limits, 15).await, 10);
    clock.advance(HOUR);
    let d = s
        .increment_and_check(a, &addr, clock.now(), limits)
        .await
        .expect("c");
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Some(DAY - 2 * HOUR));
    // The next UTC day starts afresh.
    clock.set(T0 + DAY);
    assert!(
        s.increment_and_check(a, &addr, clock.now(), limits)
            .await
            .expect("c")
            .allowed
    );
}

#[test]
fn the_manual_clock_is_a_clock() {
    let _: std::sync::Arc<dyn Clock> = std::sync::Arc::new(ManualClock::new(T0));
}
