//! The key and origin gate: unknown, malformed and revoked keys, exact origins, CORS preflights, one retailer's key never another's.

use crate::harness::*;

on_both!(
    unknown_malformed_and_revoked_keys_are_refused,
    origins_are_checked_exactly,
    cors_preflight_echoes_only_the_allowed_origin,
    retailers_cannot_use_each_others_keys,
);

async fn unknown_malformed_and_revoked_keys_are_refused(db: TestDb) {
    let api = api(db).await;
    for key in [
        "pk_0000000000000000000000000000000A".to_owned(),
        "not-a-key".to_owned(),
        "sk_".to_owned() + &"a".repeat(43),
    ] {
        let answer = api.send(api.config(&key, Some(SHOP))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key}");
        assert_eq!(answer.code(), "unknown_key");
        assert_eq!(
            answer.allow_origin(),
            None,
            "no CORS grant for a refused key"
        );
    }
    // Rotation: a second key works beside the first; revoking the first refuses it at once.
    let second = api
        .db
        .storage
        .add_publishable_key(api.retailer, T0)
        .await
        .unwrap();
    assert_eq!(
        api.send(api.config(&api.key, Some(SHOP))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.send(api.config(&second, Some(SHOP))).await.status,
        StatusCode::OK
    );
    assert!(
        api.db
            .storage
            .revoke_publishable_key(api.retailer, &api.key, T0 + 60)
            .await
            .unwrap()
    );
    let answer = api.send(api.config(&api.key, Some(SHOP))).await;
    answer.assert_refused(StatusCode::UNAUTHORIZED, "unknown_key");
    assert_eq!(
        api.send(api.config(&second, Some(SHOP))).await.status,
        StatusCode::OK
    );
    // Each refusal is in the security log, without address, key or origin.
    let events = api
        .count("SELECT COUNT(*) FROM security_events WHERE kind = 'unknown_key'")
        .await;
    assert_eq!(events, 4);
}

async fn origins_are_checked_exactly(db: TestDb) {
    let api = api(db).await;
    let ok = api.send(api.config(&api.key, Some(SHOP))).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.allow_origin(), Some(SHOP));
    assert_eq!(ok.json["renders_per_hour"], 10);
    assert_eq!(ok.json["renders_per_day"], 20);
    assert_eq!(ok.json["max_photo_bytes"], MAX_BODY);
    let sub = api
        .send(api.config(&api.key, Some("https://eu.brand.example")))
        .await;
    assert_eq!(sub.status, StatusCode::OK);
    assert_eq!(sub.allow_origin(), Some("https://eu.brand.example"));

    let missing = api.send(api.config(&api.key, None)).await;
    missing.assert_refused(StatusCode::FORBIDDEN, "origin_missing");
    for origin in [
        "http://shop.example",         // another scheme
        "https://shop.example:8443",   // another port
        "https://evilshop.example",    // a suffix
        "https://shop.example.evil",   // a prefix
        "https://brand.example",       // the wildcard's apex is not its subdomain
        "https://eu.brand.example.io", // not under the wildcard
        "null",                        // sandboxed frames, file: pages
    ] {
        let answer = api.send(api.config(&api.key, Some(origin))).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(answer.code(), "origin_not_allowed", "{origin}");
        assert_eq!(answer.allow_origin(), None, "{origin}");
    }
}

async fn cors_preflight_echoes_only_the_allowed_origin(db: TestDb) {
    let api = api(db).await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri(format!("/v1/widget/{}/device-renders", api.key))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let ok = api.send(preflight(SHOP)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(ok.allow_origin(), Some(SHOP));
    let h = &ok.headers;
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, POST");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "content-type");
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
    assert!(
        h.get_all(header::VARY)
            .iter()
            .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("origin"))
    );
    let refused = api.send(preflight("https://evil.example")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.allow_origin(), None);
    // The real request's answer carries the same single origin, never `*`.
    let answer = api.send(api.render(SHOP, None)).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.allow_origin(), Some(SHOP));
    assert_eq!(
        answer.headers[header::ACCESS_CONTROL_EXPOSE_HEADERS],
        "retry-after, vitrine-renders-left-this-hour, vitrine-renders-left-today"
    );
}

async fn retailers_cannot_use_each_others_keys(db: TestDb) {
    let api = api(db).await;
    let (b, b_key) = api.retailer_b().await;
    // A's key from B's origin, and B's key from A's origin: both refused.
    let answer = api
        .send(api.config(&api.key, Some("https://b.example")))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = api.send(api.config(&b_key, Some(SHOP))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // B's limits are B's.
    api.db
        .storage
        .set_limits(b, Limits::new(3, 4))
        .await
        .unwrap();
    let a_config = api.send(api.config(&api.key, Some(SHOP))).await;
    let b_config = api
        .send(api.config(&b_key, Some("https://b.example")))
        .await;
    assert_eq!(a_config.json["renders_per_hour"], 10);
    assert_eq!(b_config.json["renders_per_hour"], 3);
    // Deleting A leaves B working and A's key dead.
    assert!(api.db.storage.delete_retailer(api.retailer).await.unwrap());
    assert_eq!(
        api.send(api.config(&api.key, Some(SHOP))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.send(api.config(&b_key, Some("https://b.example")))
            .await
            .status,
        StatusCode::OK
    );
}
