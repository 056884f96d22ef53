//! The HTTP API in process (axum's router driven with `tower::ServiceExt::oneshot`), each test on
//! SQLite and on PostgreSQL: the key and origin gate, exact CORS, rate limits with `Retry-After`,
//! client addresses behind proxies, body limits, timeouts, cookies, operations endpoints.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{HOUR, T0, TestDb};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tower::ServiceExt;
use vitrine_server::address_hash::AddressHashKey;
use vitrine_server::app::{AppState, router};
use vitrine_server::client_address::TrustedProxies;
use vitrine_server::clock::ManualClock;
use vitrine_server::metrics::Metrics;
use vitrine_server::rate_limit::RateLimiter;
use vitrine_server::render::person_gate::PersonGate;
use vitrine_server::render::{RenderBackends, RenderService};
use vitrine_server::storage::{BackendChoice, Limits, Product, RetailerId, Surface};
use vitrine_server::widget_guard::KeyCache;

const SHOP: &str = "https://shop.example";
/// The peer every request comes from unless a test says otherwise.
const PEER: &str = "192.0.2.10:50000";
/// A configured trusted proxy.
const PROXY: &str = "10.0.0.5:41000";

/// An app over a test database, with one retailer allowing [`SHOP`] and `*.brand.example`.
struct Api {
    app: Router,
    db: TestDb,
    clock: Arc<ManualClock>,
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
    retailer: RetailerId,
    key: String,
}

/// The server's body limit in these tests: room for the fixture photos, small enough to exceed.
const MAX_BODY: usize = 1024 * 1024;

/// The person check, loaded once per test binary.
fn loaded_person_gate() -> PersonGate {
    static GATE: std::sync::OnceLock<PersonGate> = std::sync::OnceLock::new();
    GATE.get_or_init(|| {
        let gate = PersonGate::load(&common::workspace_root().join("target/models"));
        assert!(
            gate.is_ready(),
            "run `cargo xtask setup` to install the model: {gate:?}"
        );
        gate
    })
    .clone()
}

async fn api(db: TestDb) -> Api {
    api_with(db, loaded_person_gate()).await
}

async fn api_with(db: TestDb, person_gate: PersonGate) -> Api {
    // Ten minutes past the hour: a refusal waits fifty minutes.
    let clock = Arc::new(ManualClock::new(T0 + 600));
    let storage = db.storage.clone();
    let retailer = storage.create_retailer("Hearth & Loom", T0).await.unwrap();
    let key = storage.add_publishable_key(retailer, T0).await.unwrap();
    storage.add_origin(retailer, SHOP).await.unwrap();
    storage
        .add_origin(retailer, "https://*.brand.example")
        .await
        .unwrap();
    let metrics = Arc::new(Metrics::new());
    let rate_limiter = RateLimiter::start(
        &storage,
        AddressHashKey::from_bytes(vec![7; 32]).unwrap(),
        TrustedProxies::parse(["10.0.0.0/8"]).unwrap(),
        clock.clone(),
    )
    .await
    .unwrap();
    let limiter = Arc::new(rate_limiter);
    let state = AppState {
        storage: storage.clone(),
        rate_limiter: Arc::clone(&limiter),
        metrics: Arc::clone(&metrics),
        clock: clock.clone(),
        max_body_bytes: MAX_BODY,
        request_timeout: Duration::from_secs(2),
        // No caching: the tests revoke keys and expect the next request to see it.
        keys: Arc::new(KeyCache::new(Duration::ZERO)),
        render: Arc::new(RenderService::new(
            person_gate.clone(),
            RenderBackends::builtin_only(),
            2,
            MAX_BODY,
        )),
    };
    Api {
        app: router(state),
        db,
        clock,
        metrics,
        limiter,
        retailer,
        key,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.json["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
    fn allow_origin(&self) -> Option<&str> {
        self.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap())
    }
}

impl Api {
    async fn send(&self, request: Request<Body>) -> Answer {
        self.send_from(PEER, request).await
    }

    async fn send_from(&self, peer: &str, mut request: Request<Body>) -> Answer {
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    fn config(&self, key: &str, origin: Option<&str>) -> Request<Body> {
        let mut builder = Request::get(format!("/v1/widget/{key}/config"));
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(Body::empty()).unwrap()
    }

    fn render(&self, origin: &str, forwarded_for: Option<&str>) -> Request<Body> {
        let mut builder = Request::post(format!("/v1/widget/{}/device-renders", self.key))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(xff) = forwarded_for {
            builder = builder.header("x-forwarded-for", xff);
        }
        builder
            .body(Body::from(json!({"product": "OAK-190"}).to_string()))
            .unwrap()
    }
}

on_both!(
    unknown_malformed_and_revoked_keys_are_refused,
    origins_are_checked_exactly,
    cors_preflight_echoes_only_the_allowed_origin,
    rate_limit_refuses_with_retry_after,
    rate_limits_are_per_retailer_and_adjustable,
    forwarded_for_is_ignored_from_untrusted_peers,
    bodies_are_limited_and_checked,
    slow_requests_time_out,
    no_cookies_in_or_out,
    operations_endpoints,
    retailers_cannot_use_each_others_keys,
    renders_a_room_photo_clean_and_labelled,
    render_refusals_have_their_own_codes,
    render_checks_come_in_order,
    render_refused_when_the_person_check_is_missing,
    products_are_described_to_the_widget,
    shared_renders_are_rechecked_pending_and_withdrawable,
    leads_store_the_email_and_an_explicit_opt_in,
);

/// A 64×64 plank-ish texture tile as PNG.
fn texture_png() -> Vec<u8> {
    let tile = image::RgbImage::from_fn(64, 64, |x, y| {
        let seam = y % 16 == 0 || x == 0;
        if seam {
            image::Rgb([90, 60, 30])
        } else {
            image::Rgb([170, 120, 70])
        }
    });
    let mut out = Vec::new();
    tile.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

impl Api {
    async fn add_product(&self, sku: &str) {
        self.db
            .storage
            .put_product(
                self.retailer,
                &Product {
                    sku: sku.to_owned(),
                    name: "Oak plank".to_owned(),
                    surface: Surface::Floor,
                    tile_width_mm: 1200,
                    tile_height_mm: 800,
                    texture: texture_png(),
                    updated_at: T0,
                },
            )
            .await
            .unwrap();
    }

    fn photo_render(&self, origin: &str, query: &str, photo: Vec<u8>) -> Request<Body> {
        Request::post(format!("/v1/widget/{}/renders?{query}", self.key))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CONTENT_LENGTH, photo.len())
            .body(Body::from(photo))
            .unwrap()
    }

    async fn send_raw(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = request;
        request
            .extensions_mut()
            .insert(ConnectInfo(PEER.parse::<SocketAddr>().unwrap()));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 32 << 20)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }
}

/// exiftool's view of a file: every tag it finds, one `[Group] Name: value` per line.
fn exiftool_tags(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("render.jpg");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("exiftool")
        .args(["-a", "-G1", "-s"])
        .arg(&path)
        .output()
        .expect("exiftool is installed by `cargo xtask setup`");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn renders_a_room_photo_clean_and_labelled(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    // A real camera photo carrying GPS position, make, model and a thumbnail.
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    assert!(exiftool_tags(&photo).contains("GPSLatitude"));
    let (status, headers, body) = api
        .send_raw(api.photo_render(
            SHOP,
            "product=OAK-190&corners=0.1,0.55,0.9,0.55,1.1,1,-0.1,1&size=3x3",
            photo.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert_eq!(headers["vitrine-renders-left-this-hour"], "9");
    assert_eq!(headers["vitrine-renders-left-today"], "19");
    let exposed = headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("vitrine-renders-left-this-hour"),
        "{exposed}"
    );

    // exiftool, an independent reader: the AI label and nothing from the photo.
    let tags = exiftool_tags(&body);
    assert!(
        tags.contains(
            "[XMP-iptcExt]   DigitalSourceType               : http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
        ),
        "{tags}"
    );
    for group in [
        "[GPS]",
        "[IFD0]",
        "[ExifIFD]",
        "[IFD1]",
        "[MakerNotes",
        "[ICC",
        "[IPTC]",
        "[Photoshop]",
    ] {
        assert!(!tags.contains(group), "{group} survived:\n{tags}");
    }
    let xmp_tags: Vec<&str> = tags.lines().filter(|l| l.starts_with("[XMP")).collect();
    assert_eq!(
        xmp_tags.len(),
        1,
        "only the digital source type: {xmp_tags:?}"
    );
    // Our own parser agrees: besides our encoder's bare JFIF header, one carrier, our XMP.
    let inspection = vitrine_core::photo::inspect(&body, &Default::default()).unwrap();
    let kinds: Vec<_> = inspection
        .report
        .carriers
        .iter()
        .map(|c| c.kind)
        .filter(|k| *k != vitrine_core::photo::CarrierKind::Jfif)
        .collect();
    assert_eq!(
        kinds,
        vec![vitrine_core::photo::CarrierKind::Xmp],
        "{inspection:?}"
    );
    assert_eq!(
        vitrine_core::ai_label::stated_source_type(&body),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia")
    );

    // The render is the photo with the floor changed: the top is the photo's, the bottom is not.
    let original = image::load_from_memory(&photo).unwrap().to_rgb8();
    let rendered = image::load_from_memory(&body).unwrap().to_rgb8();
    assert_eq!(rendered.dimensions(), original.dimensions());
    let mean_difference = |y0: u32, y1: u32| {
        let mut total = 0u64;
        let mut count = 0u64;
        for y in y0..y1 {
            for x in 0..original.width() {
                for c in 0..3 {
                    total += u64::from(
                        original.get_pixel(x, y)[c].abs_diff(rendered.get_pixel(x, y)[c]),
                    );
                    count += 1;
                }
            }
        }
        total as f64 / count as f64
    };
    let h = original.height();
    let top = mean_difference(0, h * 2 / 5);
    let bottom = mean_difference(h * 7 / 10, h);
    assert!(
        top < 3.0,
        "the room above the floor is untouched (JPEG noise only): {top}"
    );
    assert!(bottom > 20.0, "the floor is the product's: {bottom}");
}

async fn render_refusals_have_their_own_codes(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let room = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let person = common::fixture_photo("ia__Konica_Minolta_DiMAGE_Z3.jpg");
    let mut truncated = room.clone();
    truncated.truncate(room.len() / 3);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "product=OAK-190",
            person,
            StatusCode::UNPROCESSABLE_ENTITY,
            "person_detected",
        ),
        (
            "product=NOPE",
            room.clone(),
            StatusCode::NOT_FOUND,
            "unknown_product",
        ),
        (
            "product=OAK-190",
            gif,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_format",
        ),
        (
            "product=OAK-190",
            truncated,
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated",
        ),
        (
            "product=OAK-190",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "product=OAK-190&corners=0,0,1",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        // Corners that cross (a bow tie): refused before any rendering.
        (
            "product=OAK-190&corners=0,0.5,1,1,1,0.5,0,1",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "product=OAK-190&size=0x4",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "product=OAK-190&colour=red",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (query, photo, status, code) in cases {
        let answer = api.send(api.photo_render(SHOP, query, photo)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{query}: {}",
            answer.json
        );
        assert_eq!(
            answer.allow_origin(),
            Some(SHOP),
            "{query}: the widget can read it"
        );
    }
    // A decompression bomb: a tiny PNG declaring 30000×30000 pixels is refused from its header.
    let mut bomb = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(
            &mut std::io::Cursor::new(&mut bomb),
            image::ImageFormat::Png,
        )
        .unwrap();
    bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", bomb))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_many_pixels"),
        "{}",
        answer.json
    );
}

/// CRC-32 (IEEE), for forging a PNG header in a test.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

async fn render_checks_come_in_order(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let oversized = vec![0u8; MAX_BODY + 1];
    // A stranger's oversized upload meets the gate first: 403, not 413.
    let answer = api
        .send(api.photo_render("https://evil.example", "product=OAK-190", oversized.clone()))
        .await;
    assert_eq!(answer.code(), "origin_not_allowed");
    // An allowed caller's oversized upload: 413, counted against the allowance.
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", oversized.clone()))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(answer.json["error"]["limit_bytes"], MAX_BODY);
    // Renders share the allowance with device renders: use it up, then the limit answers first,
    // before the body is looked at.
    api.db
        .storage
        .set_limits(
            api.retailer,
            Limits {
                per_hour: 3,
                per_day: 20,
            },
        )
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            api.send(api.render(SHOP, None)).await.status,
            StatusCode::CREATED
        );
    }
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", oversized))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(answer.headers.contains_key(header::RETRY_AFTER));
}

async fn render_refused_when_the_person_check_is_missing(db: TestDb) {
    let empty = tempfile::tempdir().unwrap();
    let gate = PersonGate::load(empty.path());
    assert!(!gate.is_ready());
    let api = api_with(db, gate).await;
    api.add_product("OAK-190").await;
    let answer = api
        .send(api.photo_render(
            SHOP,
            "product=OAK-190",
            common::fixture_photo("ia__gps_DSCN0010.jpg"),
        ))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "person_check_unavailable"),
        "a photo that cannot be checked is refused, never waved through"
    );
}

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
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "unknown_key")
    );
    assert_eq!(
        api.send(api.config(&second, Some(SHOP))).await.status,
        StatusCode::OK
    );
    // Each refusal is in the security log, without address, key or origin.
    let events = api
        .db
        .storage
        .scalar_for_tests("SELECT COUNT(*) FROM security_events WHERE kind = 'unknown_key'")
        .await
        .unwrap();
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
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::FORBIDDEN, "origin_missing")
    );
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
    let counters = api
        .db
        .storage
        .scalar_for_tests("SELECT COUNT(*) FROM rate_limit_counters")
        .await
        .unwrap();
    // One row per visitor, holding both windows; a render event per allowed render.
    assert_eq!(counters, 2);
    let renders = api
        .db
        .storage
        .scalar_for_tests("SELECT COUNT(*) FROM render_events WHERE product = 'OAK-190'")
        .await
        .unwrap();
    assert_eq!(renders, 21);
}

async fn rate_limits_are_per_retailer_and_adjustable(db: TestDb) {
    let api = api(db).await;
    api.db
        .storage
        .set_limits(
            api.retailer,
            Limits {
                per_hour: 2,
                per_day: 3,
            },
        )
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

async fn bodies_are_limited_and_checked(db: TestDb) {
    let api = api(db).await;
    let post = |content_type: &str, body: Vec<u8>| {
        Request::post(format!("/v1/widget/{}/device-renders", api.key))
            .header(header::ORIGIN, SHOP)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    };
    // Over the JSON limit (16 KiB) but under the server's (64 KiB).
    let big = format!(r#"{{"product":"{}"}}"#, "x".repeat(20_000)).into_bytes();
    let answer = api.send(post("application/json", big)).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(answer.json["error"]["limit_bytes"], 16 * 1024);
    assert_eq!(
        answer.allow_origin(),
        Some(SHOP),
        "the widget can read the 413"
    );
    // Over the server's limit: refused from Content-Length, before the body is read.
    let huge = vec![b' '; MAX_BODY + 1];
    let answer = api.send(post("application/json", huge)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json["error"]["limit_bytes"], MAX_BODY);
    // Malformed bodies.
    for (content_type, body, status, code) in [
        (
            "text/plain",
            r#"{"product":"A"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "application/json",
            "{",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":""}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":"A\u0000"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":"A","email":"a@b.example"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":7}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let answer = api.send(post(content_type, body.as_bytes().to_vec())).await;
        assert_eq!((answer.status, answer.code()), (status, code), "{body}");
    }
    // None of the refused bodies counted against the visitor.
    let answer = api.send(api.render(SHOP, None)).await;
    assert_eq!(answer.json["renders_left_this_hour"], 9);
}

async fn slow_requests_time_out(db: TestDb) {
    let api = api(db).await;
    // A body that sends one byte and then stalls.
    let stalled = stream::iter([Ok::<_, std::io::Error>(b"{".to_vec())]).chain(stream::pending());
    let request = Request::post(format!("/v1/widget/{}/device-renders", api.key))
        .header(header::ORIGIN, SHOP)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stalled))
        .unwrap();
    let started = std::time::Instant::now();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(answer.code(), "request_timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn no_cookies_in_or_out(db: TestDb) {
    let api = api(db).await;
    let request = Request::get(format!("/v1/widget/{}/config", api.key))
        .header(header::ORIGIN, SHOP)
        .header(header::COOKIE, "session=abc; _ga=GA1.1.1")
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers.get(header::SET_COOKIE).is_none());
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/nope"] {
        let answer = api
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert!(answer.headers.get(header::SET_COOKIE).is_none(), "{path}");
    }
}

async fn operations_endpoints(db: TestDb) {
    let api = api(db).await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let health = api.send(get("/healthz")).await;
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let ready = api.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json["database"], api.db.storage.backend());
    let missing = api.send(get("/v2/nothing")).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let wrong_method = api
        .send(Request::delete("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");

    // Metrics: requests by route template and status, latency histograms. No key in any label.
    api.send(api.config(&api.key, Some(SHOP))).await;
    api.send(api.config(&api.key, Some("https://evil.example")))
        .await;
    let metrics = api.send(get("/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.json.as_str().unwrap().to_owned();
    for expected in [
        r#"vitrine_http_requests_total{route="/v1/widget/{key}/config",method="GET",status="200"} 1"#,
        r#"vitrine_http_requests_total{route="/v1/widget/{key}/config",method="GET",status="403"} 1"#,
        r#"vitrine_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"vitrine_refusals_total{reason="origin_not_allowed"} 1"#,
        r#"vitrine_http_request_duration_seconds_count{route="/v1/widget/{key}/config",method="GET"} 2"#,
    ] {
        assert!(text.contains(expected), "{expected} not in\n{text}");
    }
    assert!(!text.contains(&api.key), "a key in a metric label");

    // The OpenAPI document describes the widget endpoints from their types.
    let doc = api.send(get("/openapi.json")).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.json["paths"].as_object().unwrap();
    for path in [
        "/v1/widget/{key}/config",
        "/v1/widget/{key}/device-renders",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let render = &doc.json["paths"]["/v1/widget/{key}/device-renders"]["post"];
    assert!(render["responses"]["429"].is_object());
    let schemas = doc.json["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ErrorBody",
        "DeviceRenderRequest",
        "RenderAllowance",
        "WidgetConfig",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    assert_eq!(
        schemas["DeviceRenderRequest"]["required"],
        json!(["product"])
    );

    // Not ready once the database is gone.
    api.db.storage.close().await;
    let ready = api.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let refused = api.send(api.config(&api.key, Some(SHOP))).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
    );
}

async fn retailers_cannot_use_each_others_keys(db: TestDb) {
    let api = api(db).await;
    let b = api.db.storage.create_retailer("B", T0).await.unwrap();
    let b_key = api.db.storage.add_publishable_key(b, T0).await.unwrap();
    api.db
        .storage
        .add_origin(b, "https://b.example")
        .await
        .unwrap();
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
        .set_limits(
            b,
            Limits {
                per_hour: 3,
                per_day: 4,
            },
        )
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

async fn products_are_described_to_the_widget(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let get = |path: String, origin: &str| {
        Request::get(path)
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(
        answer.json,
        json!({"sku": "OAK-190", "name": "Oak plank", "surface": "floor",
               "tile_width_mm": 1200, "tile_height_mm": 800, "renders_on_device": true})
    );
    assert_eq!(answer.allow_origin(), Some(SHOP));
    let (status, headers, body) = api
        .send_raw(get(
            format!("/v1/widget/{}/products/OAK-190/texture", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(body, texture_png());
    // A hosted backend: the product is not rendered on the device.
    api.db
        .storage
        .set_render_backend(api.retailer, BackendChoice::OpenAi)
        .await
        .unwrap();
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(answer.json["renders_on_device"], false);
    // Unknown, malformed, from a stranger's origin, or another retailer's: refused.
    let answer = api
        .send(get(format!("/v1/widget/{}/products/NOPE", api.key), SHOP))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::NOT_FOUND, "unknown_product")
    );
    let long = "X".repeat(200);
    let answer = api
        .send(get(format!("/v1/widget/{}/products/{long}", api.key), SHOP))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190/texture", api.key),
            "https://evil.example",
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let b = api.db.storage.create_retailer("B", T0).await.unwrap();
    let b_key = api.db.storage.add_publishable_key(b, T0).await.unwrap();
    api.db
        .storage
        .add_origin(b, "https://b.example")
        .await
        .unwrap();
    let answer = api
        .send(get(
            format!("/v1/widget/{b_key}/products/OAK-190"),
            "https://b.example",
        ))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::NOT_FOUND, "unknown_product")
    );
    // The widget's session id on a render: a random id is taken, anything else refused.
    api.db
        .storage
        .set_render_backend(api.retailer, BackendChoice::Builtin)
        .await
        .unwrap();
    for (session, status) in [
        ("0123456789abcdef0123456789abcdef", StatusCode::OK),
        ("shopper%40example.com", StatusCode::BAD_REQUEST),
        ("0123456789ABCDEF0123456789ABCDEF", StatusCode::BAD_REQUEST),
    ] {
        let (got, _, body) = api
            .send_raw(api.photo_render(
                SHOP,
                &format!("product=OAK-190&session={session}"),
                common::fixture_photo("ia__gps_DSCN0010.jpg"),
            ))
            .await;
        assert_eq!(got, status, "{session}: {}", String::from_utf8_lossy(&body));
    }
}

async fn shared_renders_are_rechecked_pending_and_withdrawable(db: TestDb) {
    use vitrine_server::storage::GalleryStatus;
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let share = |origin: &str, product: &str, body: Vec<u8>| {
        Request::post(format!("/v1/widget/{}/gallery?product={product}", api.key))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    };
    // A "render" straight off a camera, GPS and all: re-cleaned, labelled, stored pending.
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let answer = api.send(share(SHOP, "OAK-190", photo.clone())).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json);
    assert_eq!(answer.json["status"], "pending");
    let path = answer.json["withdraw_path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/v1/gallery/withdraw/").unwrap();
    assert_eq!(token.len(), 43);
    let items = api
        .db
        .storage
        .gallery_items(api.retailer, None)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, GalleryStatus::Pending);
    let tags = exiftool_tags(&items[0].render);
    assert!(
        tags.contains("compositeWithTrainedAlgorithmicMedia"),
        "{tags}"
    );
    assert!(!tags.contains("GPS") && !tags.contains("NIKON"), "{tags}");
    // The token is not stored: no column holds it.
    assert!(
        !items[0]
            .render
            .windows(token.len())
            .any(|w| w == token.as_bytes())
    );

    // Refusals store nothing: a person, another origin, an unknown product, not an image.
    let person = common::fixture_photo("ia__xmp_no_exif.jpg");
    let answer = api.send(share(SHOP, "OAK-190", person)).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "person_detected")
    );
    let answer = api
        .send(share("https://evil.example", "OAK-190", photo.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = api.send(share(SHOP, "NOPE", photo.clone())).await;
    assert_eq!(answer.code(), "unknown_product");
    let answer = api
        .send(share(SHOP, "OAK-190", b"not an image".to_vec()))
        .await;
    assert_eq!(answer.code(), "unsupported_format");
    assert_eq!(
        api.db
            .storage
            .gallery_items(api.retailer, None)
            .await
            .unwrap()
            .len(),
        1
    );

    // The withdrawal link: no key, no origin; deletes at once; a second use finds nothing.
    let open = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (status, headers, body) = api.send_raw(open(&path)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("has been removed"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        api.db
            .storage
            .gallery_items(api.retailer, None)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _, _) = api.send_raw(open(&path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in [
        "/v1/gallery/withdraw/short",
        "/v1/gallery/withdraw/%27%20OR%201%3D1",
    ] {
        let (status, _, _) = api.send_raw(open(bad)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn leads_store_the_email_and_an_explicit_opt_in(db: TestDb) {
    use base64::Engine as _;
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let render = base64::engine::general_purpose::STANDARD
        .encode(common::fixture_photo("ia__gps_DSCN0010.jpg"));
    let lead = |body: Value| {
        let body = body.to_string();
        Request::post(format!("/v1/widget/{}/leads", api.key))
            .header(header::ORIGIN, SHOP)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    };
    // No opt-in given: stored as no.
    let answer = api
        .send(lead(
            json!({"email": "Shopper@Example.COM", "product": "OAK-190", "render": render}),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json);
    assert_eq!(answer.json["marketing_opt_in"], false);
    let answer = api
        .send(lead(
            json!({"email": "two@example.com", "product": "OAK-190",
                          "marketing_opt_in": true, "render": render}),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let leads = api.db.storage.leads(api.retailer).await.unwrap();
    assert_eq!(
        leads
            .iter()
            .map(|l| (l.email.as_str(), l.product.as_str(), l.marketing_opt_in))
            .collect::<Vec<_>>(),
        [
            ("two@example.com", "OAK-190", true),
            ("Shopper@example.com", "OAK-190", false)
        ]
    );
    let tags = exiftool_tags(&leads[0].render);
    assert!(
        tags.contains("DigitalSourceType") && !tags.contains("GPS"),
        "{tags}"
    );

    // Refusals store nothing, and never echo the address back.
    for (body, code) in [
        (
            json!({"email": "not an address", "product": "OAK-190", "render": render}),
            "invalid_request",
        ),
        (
            json!({"email": "a@example.com", "product": "OAK-190", "render": "%%%"}),
            "invalid_request",
        ),
        (
            json!({"email": "a@example.com", "product": "NOPE", "render": render}),
            "unknown_product",
        ),
        (
            json!({"email": "a@example.com", "product": "OAK-190", "render": render, "phone": "1"}),
            "invalid_request",
        ),
    ] {
        let answer = api.send(lead(body)).await;
        assert_eq!(answer.code(), code, "{}", answer.json);
        assert!(
            !answer.json.to_string().contains("a@example.com"),
            "{}",
            answer.json
        );
    }
    assert_eq!(api.db.storage.leads(api.retailer).await.unwrap().len(), 2);
}

// ---- analytics ----

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

    async fn count(&self, sql: &str) -> i64 {
        self.db.storage.scalar_for_tests(sql).await.unwrap()
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
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "unknown_key")
    );
    let answer = api
        .send(beacon_request(
            &api.key,
            "https://evil.example",
            "text/plain",
            good.clone(),
        ))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "origin_not_allowed")
    );
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

on_both!(
    analytics_identifiers_are_kept_only_with_consent,
    analytics_ingest_refusals_are_specific,
    analytics_report_is_the_retailers_own,
);
