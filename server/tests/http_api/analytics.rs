//! Analytics: identifiers kept only with consent, specific refusals, the retailer's own report.

use crate::harness::*;

on_both!(
    analytics_identifiers_are_kept_only_with_consent,
    analytics_ingest_refusals_are_specific,
    analytics_report_is_the_retailers_own,
);

const SESSION: &str = "0123456789abcdef0123456789abcdef";
const ANON: &str = "fedcba9876543210fedcba9876543210";
const USER_HASH: &str = "61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b";

fn beacon_request(key: &str, origin: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post(format!("/v1/widget/{key}/events"))
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

/// A beacon body with identifiers and `events` (JSON objects without their `at`, which is set to
/// `at_seconds`).
fn beacon(consent: u8, at_seconds: i64, events: &[Value]) -> String {
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e["at"] = json!(at_seconds * 1000);
            e
        })
        .collect();
    json!({"v": 1, "consent": consent, "ids": {"anonymous": ANON, "user": USER_HASH}, "events": events})
        .to_string()
}

fn widget_event(name: &str, first: bool) -> Value {
    json!({"name": name, "session": SESSION, "first": first})
}

impl Api {
    async fn send_beacon(&self, peer: &str, body: String) -> Answer {
        self.send_from(
            peer,
            beacon_request(&self.key, SHOP, "text/plain;charset=UTF-8", body),
        )
        .await
    }
}

async fn analytics_identifiers_are_kept_only_with_consent(db: TestDb) {
    let api = api(db).await;
    let now = T0 + 600;
    let events = [
        widget_event("opened", true),
        widget_event("consent_given", true),
        json!({"name": "search", "term": "oak flooring"}),
    ];
    // Consented: the ids as sent, and the visitor's keyed address hash.
    let answer = api.send_beacon(PEER, beacon(1, now, &events)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    assert_eq!(answer.json["stored"], 3);
    assert_eq!(
        api.count(&format!(
            "SELECT COUNT(*) FROM analytics_events WHERE consented = 1 AND anonymous_id = '{ANON}' \
             AND user_hash = '{USER_HASH}' AND LENGTH(visitor_hash) = 64"
        ))
        .await,
        3
    );
    assert_eq!(
        api.count(&format!(
            "SELECT COUNT(*) FROM analytics_events WHERE session_id = '{SESSION}'"
        ))
        .await,
        2
    );
    // Not consented (the same ids sent anyway): only the events.
    let answer = api.send_beacon(PEER, beacon(0, now, &events)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    assert_eq!(
        api.count(
            "SELECT COUNT(*) FROM analytics_events WHERE consented = 0 AND session_id IS NULL \
             AND anonymous_id IS NULL AND user_hash IS NULL AND visitor_hash IS NULL"
        )
        .await,
        3
    );
    assert_eq!(
        api.count("SELECT COUNT(*) FROM analytics_events WHERE name = 'search' AND detail = 'oak flooring'")
            .await,
        2
    );
    // The peer's address is nowhere, in any form.
    for needle in ["192.0.2.10", "192.0.2.0", "c0000"] {
        assert_eq!(
            api.count(&format!(
                "SELECT COUNT(*) FROM analytics_events WHERE COALESCE(visitor_hash, '') LIKE '%{needle}%' \
                 OR COALESCE(detail, '') LIKE '%{needle}%'"
            ))
            .await,
            0
        );
    }
    // Personal data in a field: that event is deleted on arrival, the rest kept, and counted.
    let answer = api
        .send_beacon(
            PEER,
            beacon(
                1,
                now,
                &[
                    json!({"name": "search", "term": "jane.doe@example.com"}),
                    json!({"name": "search", "term": "call +44 20 7946 0958"}),
                    json!({"name": "product_view", "product": "OAK-190"}),
                ],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.json["stored"], 1);
    assert_eq!(answer.json["deleted_personal_data"], 2);
    assert_eq!(
        api.count(
            "SELECT COUNT(*) FROM analytics_events WHERE detail LIKE '%@%' OR detail LIKE '%7946%'"
        )
        .await,
        0
    );
    let metrics = api.metrics.render();
    for line in [
        r#"vitrine_analytics_events_total{outcome="personal_data",kind="email"} 1"#,
        r#"vitrine_analytics_events_total{outcome="personal_data",kind="phone"} 1"#,
        r#"vitrine_analytics_events_total{outcome="stored",kind=""} 7"#,
    ] {
        assert!(metrics.contains(line), "{line} not in\n{metrics}");
    }
    // Events from outside the time window are dropped, not stored with a wrong day.
    let answer = api
        .send_beacon(PEER, beacon(0, now - 8 * 86_400, &events))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.json["stored"], 0);
    assert_eq!(answer.json["dropped_out_of_time"], 3);
}

async fn analytics_ingest_refusals_are_specific(db: TestDb) {
    let api = api(db).await;
    let now = T0 + 600;
    let opened = widget_event("opened", true);
    let many: Vec<Value> = (0..51).map(|_| opened.clone()).collect();
    for (body, status, code) in [
        (
            "{\"v\":1,".to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            beacon(0, now, &[json!({"name": "login"})]),
            StatusCode::BAD_REQUEST,
            "unknown_event",
        ),
        (
            beacon(
                0,
                now,
                &[json!({"name": "search", "term": "rug", "email": "x"})],
            ),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            beacon(0, now, &many),
            StatusCode::BAD_REQUEST,
            "too_many_events",
        ),
        (
            json!({"v": 1, "events": []}).to_string(),
            StatusCode::BAD_REQUEST,
            "missing_field",
        ),
        (
            " ".repeat(16 * 1024 + 1),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ] {
        let answer = api.send_beacon(PEER, body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{}",
            answer.json
        );
        // The shop's page can read why (CORS), though sendBeacon never looks.
        assert_eq!(answer.allow_origin(), Some(SHOP));
    }
    let good = beacon(0, now, std::slice::from_ref(&opened));
    let answer = api
        .send(beacon_request(
            &api.key,
            SHOP,
            "application/x-www-form-urlencoded",
            good.clone(),
        ))
        .await;
    assert_eq!(answer.code(), "unsupported_media_type");
    let answer = api
        .send(beacon_request(
            "pk_live_unknown",
            SHOP,
            "text/plain",
            good.clone(),
        ))
        .await;
    answer.assert_refused(StatusCode::UNAUTHORIZED, "unknown_key");
    let answer = api
        .send(beacon_request(
            &api.key,
            "https://evil.example",
            "text/plain",
            good.clone(),
        ))
        .await;
    answer.assert_refused(StatusCode::FORBIDDEN, "origin_not_allowed");
    assert_eq!(api.count("SELECT COUNT(*) FROM analytics_events").await, 0);
    // The beacon allowance: 60 a minute per visitor, then 429 with Retry-After; another visitor
    // is unaffected. (The refused beacons above were counted too: they had been admitted.)
    let mut accepted = 0;
    let mut refused = None;
    for _ in 0..70 {
        let answer = api.send_beacon("198.51.100.20:1000", good.clone()).await;
        match answer.status {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused = Some(answer);
                break;
            }
            other => panic!("{other}: {}", answer.json),
        }
    }
    assert_eq!(accepted, 60);
    let refused = refused.expect("the 61st beacon is refused");
    assert_eq!(refused.code(), "rate_limited");
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    let other = api.send_beacon("198.51.100.21:1000", good).await;
    assert_eq!(other.status, StatusCode::ACCEPTED);
}

async fn analytics_report_is_the_retailers_own(db: TestDb) {
    let api = api(db).await;
    let storage = &api.db.storage;
    let secret = storage
        .create_secret_key(api.retailer, T0)
        .await
        .unwrap()
        .secret;
    // A second retailer with its own key, origin, secret and events.
    let other = storage.create_retailer("Other Shop", T0).await.unwrap();
    let other_key = storage.add_publishable_key(other, T0).await.unwrap();
    storage
        .add_origin(other, "https://other.example")
        .await
        .unwrap();
    let other_secret = storage.create_secret_key(other, T0).await.unwrap().secret;
    api.add_product("OAK-190").await;

    let day1 = T0 + 600;
    let session = |n: u8| format!("{:032x}", n);
    let widget = |n: u8, name: &str, first: bool| json!({"name": name, "session": session(n), "first": first});
    // Day 1: two sessions from two visitors, one consented.
    let session_one = [
        widget(1, "opened", true),
        widget(1, "consent_given", true),
        widget(1, "uploaded", true),
        widget(1, "render_succeeded", true),
        widget(1, "render_succeeded", false),
        widget(1, "saved_on_device", true),
        json!({"name": "render_failed", "session": session(1), "kind": "backend_timeout"}),
    ];
    assert_eq!(
        api.send_beacon(PEER, beacon(1, day1, &session_one))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let session_two = [
        widget(2, "opened", true),
        json!({"name": "photo_rejected", "session": session(2), "reason": "person_detected"}),
        json!({"name": "purchase", "value": 120.5, "currency": "EUR"}),
    ];
    assert_eq!(
        api.send_beacon("198.51.100.7:1", beacon(0, day1, &session_two))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    // Two device renders are counted per product.
    for _ in 0..2 {
        assert_eq!(
            api.send(api.render(SHOP, None)).await.status,
            StatusCode::CREATED
        );
    }
    // On SQLite render events are written behind, every second: write them now.
    api.limiter.flush().await.unwrap();
    // Day 2: the consented visitor returns; a new consented visitor comes.
    api.clock.set(day1 + 86_400);
    let day2 = day1 + 86_400;
    let back = [widget(3, "opened", true), widget(3, "shared", true)];
    assert_eq!(
        api.send_beacon(PEER, beacon(1, day2, &back)).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        api.send_beacon(
            "203.0.113.50:1",
            beacon(1, day2, &[widget(4, "opened", true)])
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );
    // The other retailer: one session, one purchase.
    let other_answer = api
        .send(beacon_request(
            &other_key,
            "https://other.example",
            "text/plain",
            beacon(
                1,
                day2,
                &[
                    widget(9, "opened", true),
                    json!({"name": "purchase", "value": 999, "currency": "EUR"}),
                ],
            ),
        ))
        .await;
    assert_eq!(
        other_answer.status,
        StatusCode::ACCEPTED,
        "{}",
        other_answer.json
    );

    let report = |secret: &str, query: &str| {
        Request::get(format!("/v1/analytics{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(Body::empty())
            .unwrap()
    };
    let day1_text = "2026-11-24";
    let answer = api.send(report(&secret, "")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let totals = &answer.json["totals"];
    assert_eq!(totals["sessions"], 4, "{}", answer.json);
    assert_eq!(
        totals["funnel"],
        json!({"opened": 4, "consented": 1, "uploaded": 1, "rendered": 1, "saved": 1, "shared": 1, "emailed": 0})
    );
    assert_eq!(totals["events"]["render_succeeded"], 2);
    assert_eq!(
        totals["renders_per_product"],
        json!([{"product": "OAK-190", "renders": 2}])
    );
    assert_eq!(
        totals["error_kinds"],
        json!([
            {"event": "photo_rejected", "kind": "person_detected", "count": 1},
            {"event": "render_failed", "kind": "backend_timeout", "count": 1}
        ])
    );
    // Visitors: only consented ones are counted; one of the two came back.
    assert_eq!(totals["visitors"], 2);
    assert_eq!(totals["returning_visitors"], 1);
    assert_eq!(
        totals["purchases"],
        json!([{"currency": "EUR", "orders": 1, "value": 120.5}])
    );
    let days = answer.json["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["day"], day1_text);
    assert_eq!(days[0]["sessions"], 2);
    assert_eq!(days[0]["renders"], 2);
    assert_eq!(days[0]["visitors"], 1);
    assert_eq!(days[0]["returning_visitors"], 0);
    assert_eq!(days[1]["visitors"], 2);
    assert_eq!(days[1]["returning_visitors"], 1);
    // The other retailer sees only its own.
    let answer = api.send(report(&other_secret, "")).await;
    assert_eq!(answer.json["totals"]["sessions"], 1, "{}", answer.json);
    assert_eq!(
        answer.json["totals"]["purchases"],
        json!([{"currency": "EUR", "orders": 1, "value": 999.0}])
    );
    assert_eq!(answer.json["totals"]["renders_per_product"], json!([]));
    // A range without day 2.
    let answer = api
        .send(report(
            &secret,
            &format!("?from={day1_text}&to={day1_text}"),
        ))
        .await;
    assert_eq!(answer.json["totals"]["sessions"], 2);
    assert_eq!(answer.json["totals"]["returning_visitors"], 0);
    // Refusals.
    for (request, status, code) in [
        (
            Request::get("/v1/analytics").body(Body::empty()).unwrap(),
            StatusCode::UNAUTHORIZED,
            "unknown_secret_key",
        ),
        (
            report("sk_live_wrong", ""),
            StatusCode::UNAUTHORIZED,
            "unknown_secret_key",
        ),
        (
            report(&api.key, ""),
            StatusCode::UNAUTHORIZED,
            "unknown_secret_key",
        ),
        (
            report(&secret, "?from=2026-13-01"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            report(&secret, "?from=2026-11-25&to=2026-11-24"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            report(&secret, "?from=2020-01-01&to=2026-01-01"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let answer = api.send(request).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{}",
            answer.json
        );
        assert_eq!(answer.allow_origin(), None, "no CORS on the retailer API");
    }
    // The salt the widget hashes user ids under: per retailer.
    let salt = |key: &str, origin: &str| {
        Request::get(format!("/v1/widget/{key}/analytics/salt"))
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let mine = api.send(salt(&api.key, SHOP)).await;
    let theirs = api.send(salt(&other_key, "https://other.example")).await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.json["user_salt"].as_str().unwrap().to_owned();
    assert_eq!(mine.len(), 64);
    assert_ne!(Some(mine.as_str()), theirs.json["user_salt"].as_str());
}
