//! Render limits per visitor: `Retry-After`, per retailer and adjustable, `X-Forwarded-For` believed only from trusted proxies.

use crate::harness::*;

on_both!(
    rate_limit_refuses_with_retry_after,
    rate_limits_are_per_retailer_and_adjustable,
    forwarded_for_is_ignored_from_untrusted_peers,
);

async fn rate_limit_refuses_with_retry_after(db: TestDb) {
    let api = api(db).await;
    for n in 1..=10 {
        let answer = api.send(api.render(SHOP, None)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "render {n}");
        assert_eq!(answer.json["renders_left_this_hour"], 10 - n);
        assert_eq!(answer.json["renders_left_today"], 20 - n);
    }
    let refused = api.send(api.render(SHOP, None)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "rate_limited");
    // Ten minutes into the hour: fifty minutes to wait, in the header and the body.
    assert_eq!(refused.headers[header::RETRY_AFTER], "3000");
    assert_eq!(refused.json["error"]["retry_after_seconds"], 3000);
    assert_eq!(refused.json["error"]["retry_at"], T0 + HOUR);
    assert_eq!(
        refused.allow_origin(),
        Some(SHOP),
        "the widget can read the 429"
    );
    // Another visitor is unaffected.
    let other = api
        .send_from("192.0.2.11:50000", api.render(SHOP, None))
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    // The next hour allows ten more, then the day (20) is used up until midnight UTC.
    api.clock.set(T0 + HOUR);
    for n in 1..=10 {
        let answer = api.send(api.render(SHOP, None)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "hour 2, render {n}");
    }
    api.clock.set(T0 + 2 * HOUR + 60);
    let day_full = api.send(api.render(SHOP, None)).await;
    assert_eq!(day_full.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(day_full.json["error"]["retry_at"], T0 + 24 * HOUR);
    // Refusals are counted in the metrics.
    let metrics = api.metrics.render();
    assert!(
        metrics.contains(r#"vitrine_refusals_total{reason="rate_limited"} 2"#),
        "{metrics}"
    );
    // (On SQLite the counts live in memory and are written behind: write them now.)
    api.limiter.flush().await.unwrap();
    let counters = api.count("SELECT COUNT(*) FROM rate_limit_counters").await;
    // One row per visitor, holding both windows; a render event per allowed render.
    assert_eq!(counters, 2);
    let renders = api
        .count("SELECT COUNT(*) FROM render_events WHERE product = 'OAK-190'")
        .await;
    assert_eq!(renders, 21);
}

async fn rate_limits_are_per_retailer_and_adjustable(db: TestDb) {
    let api = api(db).await;
    api.db
        .storage
        .set_limits(api.retailer, Limits::new(2, 3))
        .await
        .unwrap();
    let config = api.send(api.config(&api.key, Some(SHOP))).await;
    assert_eq!(config.json["renders_per_hour"], 2);
    for _ in 0..2 {
        assert_eq!(
            api.send(api.render(SHOP, None)).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        api.send(api.render(SHOP, None)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The same visitor at another retailer has its own allowance.
    let other = api.db.storage.create_retailer("Other", T0).await.unwrap();
    let other_key = api.db.storage.add_publishable_key(other, T0).await.unwrap();
    api.db
        .storage
        .add_origin(other, "https://other.example")
        .await
        .unwrap();
    let request = Request::post(format!("/v1/widget/{other_key}/device-renders"))
        .header(header::ORIGIN, "https://other.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"product":"X"}"#))
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json["renders_left_this_hour"], 9);
}

async fn forwarded_for_is_ignored_from_untrusted_peers(db: TestDb) {
    let api = api(db).await;
    // An untrusted peer cannot escape its limit by inventing X-Forwarded-For values.
    for n in 0..10 {
        let spoof = format!("198.51.100.{n}");
        let answer = api.send(api.render(SHOP, Some(&spoof))).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let answer = api.send(api.render(SHOP, Some("198.51.100.99"))).await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted by peer"
    );
    // Behind the trusted proxy, the right-most untrusted entry is the visitor: a spoofed entry
    // on the left changes nothing.
    for n in 0..10 {
        let xff = format!("203.0.113.{n}, 198.51.100.7");
        let answer = api.send_from(PROXY, api.render(SHOP, Some(&xff))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "visitor render {n}");
    }
    let answer = api
        .send_from(PROXY, api.render(SHOP, Some("198.51.100.7")))
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let another = api
        .send_from(PROXY, api.render(SHOP, Some("198.51.100.8")))
        .await;
    assert_eq!(another.status, StatusCode::CREATED);
    // IPv6 visitors are counted per /64.
    for n in 0..10 {
        let xff = format!("2001:db8:5:6::{n:x}");
        let answer = api.send_from(PROXY, api.render(SHOP, Some(&xff))).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let answer = api
        .send_from(PROXY, api.render(SHOP, Some("2001:db8:5:6:ffff::1")))
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
}
