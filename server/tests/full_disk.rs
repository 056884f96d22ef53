//! A database on a full file system (issue 15's data-loss bug): every write of the storage layer
//! either answers the storage-unavailable error or is really stored — read back after the file
//! system has room again and the database is reopened — and never "success, but not stored". Over
//! HTTP the lead, the gallery share and the withdrawal link answer 503 `storage_unavailable`,
//! and `/readyz` reports the database not ready.
//!
//! Each test mounts its own small tmpfs (the test command runs as root; `cargo xtask test` and CI
//! do), puts an SQLite database on it, checkpoints the write-ahead log to nothing and fills the
//! file system to the brim, so any commit needs room that is not there. Not run as root, the
//! tests fail: they are never skipped.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{DAY, T0};
use serde_json::{Value, json};
use tower::ServiceExt;
use vitrine_core::analytics::events::{Event, EventName};
use vitrine_server::api::error::ApiError;
use vitrine_server::app::router;
use vitrine_server::clock::ManualClock;
use vitrine_server::storage::{
    BackendChoice, CountRequest, CounterState, GalleryStatus, Lead, Limits, RetentionPolicy,
    Storage, StorageError, StoredCounter,
};

/// A tmpfs mounted on a fresh temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let effective_uid = status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .unwrap_or("?");
        assert_eq!(
            effective_uid, "0",
            "this test mounts a small tmpfs to fill it, so it must run as root (as `cargo xtask \
             test` and CI run it); it is never skipped"
        );
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("vitrine-full-disk")
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "mounting a tmpfs on {} failed: {}",
            dir.path().display(),
            String::from_utf8_lossy(&output.stderr)
        );
        Self { dir }
    }

    fn sqlite_url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.dir.path().join("vitrine.sqlite3").display()
        )
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }

    /// Empties the write-ahead log (so a commit must grow it) and fills the file system.
    async fn fill(&self, storage: &Storage) {
        assert_eq!(
            storage
                .scalar_for_tests("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .unwrap(),
            0,
            "the checkpoint was blocked"
        );
        let mut file = std::fs::File::create(self.filler()).unwrap();
        for chunk in [1 << 16, 4096, 1] {
            let bytes = vec![0xA5; chunk];
            while matches!(file.write(&bytes), Ok(n) if n == chunk) {}
        }
        assert!(
            std::fs::write(self.dir.path().join("probe"), b"x").is_err(),
            "the file system still has room"
        );
    }

    /// Gives the room back.
    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
        let _ = std::fs::remove_file(self.dir.path().join("probe"));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a pool connection may still hold a file open.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The outcome of each write on the full disk.
#[derive(Default)]
struct Probes {
    failed: Vec<&'static str>,
    succeeded: Vec<&'static str>,
}

impl Probes {
    /// `Some` if the write says it succeeded (to be checked after reopening); a failure must be
    /// the one the API answers 503 `storage_unavailable`.
    fn run<T>(&mut self, write: &'static str, result: Result<T, StorageError>) -> Option<T> {
        match result {
            Ok(value) => {
                self.succeeded.push(write);
                Some(value)
            }
            Err(error) => {
                let message = error.to_string();
                let code = ApiError::from(error).code();
                assert_eq!(
                    code, "storage_unavailable",
                    "{write} failed otherwise: {message}"
                );
                self.failed.push(write);
                None
            }
        }
    }
}

fn lead(email: &str) -> Lead {
    Lead {
        email: email.to_owned(),
        product: "OAK".to_owned(),
        render: vec![0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9],
        marketing_opt_in: false,
        created_at: T0,
    }
}

async fn count(storage: &Storage, sql: &str) -> i64 {
    storage.scalar_for_tests(sql).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_on_a_full_disk_fails_or_is_stored() {
    let disk = Tmpfs::mount("4m");
    let url = disk.sqlite_url();
    let s = Storage::connect(&url).await.unwrap();
    let now = T0 + 800 * DAY;
    let today = now - now.rem_euclid(DAY);
    // What the writes below change or remove.
    let a = s.create_retailer("A", T0).await.unwrap();
    let b = s.create_retailer("B", T0).await.unwrap();
    let old_key = s.add_publishable_key(a, T0).await.unwrap();
    let old_secret = s.create_secret_key(a, T0).await.unwrap();
    s.add_origin(a, "https://old.example").await.unwrap();
    s.put_product(a, &common::oak_plank("OLD")).await.unwrap();
    let withdrawn = s
        .add_gallery_item(a, "OAK", &[0xFF, 0xD8, 0xFF, 0xD9], &[1; 32], T0)
        .await
        .unwrap();
    let reviewed = s
        .add_gallery_item(a, "OAK", &[0xFF, 0xD8, 0xFF, 0xD9], &[2; 32], T0)
        .await
        .unwrap();
    let removed = s
        .add_gallery_item(a, "OAK", &[0xFF, 0xD8, 0xFF, 0xD9], &[3; 32], T0)
        .await
        .unwrap();
    s.record_security_event(Some(a), "long_ago", T0)
        .await
        .unwrap();
    s.add_lead(b, &lead("b@example.com")).await.unwrap();

    disk.fill(&s).await;
    let mut probes = Probes::default();
    let limits = Limits::default();
    let created = probes.run("create_retailer", s.create_retailer("C", now).await);
    let limited = probes.run("set_limits", s.set_limits(a, Limits::new(3, 5)).await);
    let new_key = probes.run("add_publishable_key", s.add_publishable_key(a, now).await);
    let key_revoked = probes.run(
        "revoke_publishable_key",
        s.revoke_publishable_key(a, &old_key, now).await,
    );
    let new_secret = probes.run("create_secret_key", s.create_secret_key(a, now).await);
    let secret_revoked = probes.run(
        "revoke_secret_key",
        s.revoke_secret_key(a, old_secret.id, now).await,
    );
    let origin_added = probes.run("add_origin", s.add_origin(a, "https://new.example").await);
    let origin_removed = probes.run(
        "remove_origin",
        s.remove_origin(a, "https://old.example").await,
    );
    let backend_set = probes.run(
        "set_render_backend",
        s.set_render_backend(a, BackendChoice::Gemini).await,
    );
    let product_put = probes.run(
        "put_product",
        s.put_product(a, &common::oak_plank("NEW")).await,
    );
    let product_removed = probes.run("remove_product", s.remove_product(a, "OLD").await);
    let shared = probes.run(
        "add_gallery_item",
        s.add_gallery_item(a, "OAK", &[0xFF, 0xD8, 0xFF, 0xD9], &[9; 32], now)
            .await,
    );
    let withdrawal = probes.run(
        "withdraw_gallery_item",
        s.withdraw_gallery_item(&[1; 32]).await,
    );
    let review = probes.run(
        "review_gallery_item",
        s.review_gallery_item(a, reviewed, GalleryStatus::Approved, now)
            .await,
    );
    let removal = probes.run(
        "remove_gallery_item",
        s.remove_gallery_item(a, removed).await,
    );
    let lead_id = probes.run("add_lead", s.add_lead(a, &lead("full@example.com")).await);
    let counted = probes.run(
        "increment_and_check",
        s.increment_and_check(a, &[1; 32], now, limits).await,
    );
    let batch = [CountRequest {
        retailer: a,
        address_hash: vec![2; 32],
        limits,
        product: Some("BATCHED".to_owned()),
    }];
    let batched = probes.run("count_batch", s.count_batch(&batch, now).await);
    let state = CounterState {
        hour_start: today,
        hour_count: 7,
        day_start: today,
        day_count: 7,
    };
    let counter = StoredCounter {
        retailer: a,
        address_hash: vec![3; 32],
        state,
    };
    let stored_counts = probes.run(
        "store_counts",
        s.store_counts(&[counter], &[(a, "STORED".to_owned(), now)])
            .await,
    );
    let security_event = probes.run(
        "record_security_event",
        s.record_security_event(Some(a), "full_disk", now).await,
    );
    let session = probes.run(
        "record_widget_session",
        s.record_widget_session(a, "full-disk-session", now).await,
    );
    let render = probes.run("record_render", s.record_render(a, "RENDERED", now).await);
    let analytics_event = probes.run(
        "record_analytics_event",
        s.record_analytics_event(a, "full_disk", now).await,
    );
    let beacon = [Event {
        name: EventName::Opened,
        at: u64::try_from(now).unwrap() * 1000,
        session: None,
        first: true,
        detail: None,
        product: None,
        amount: None,
        currency: None,
    }];
    let beacon_stored = probes.run(
        "insert_analytics_events",
        s.insert_analytics_events(a, &beacon, None).await,
    );
    let swept = probes.run("sweep", s.sweep(now, RetentionPolicy::default()).await);
    let deleted = probes.run("delete_retailer", s.delete_retailer(b).await);
    assert!(
        s.ping().await.is_err(),
        "the readiness check must report a database that cannot store"
    );

    disk.free();
    s.close().await;
    let s = Storage::connect(&url).await.unwrap();
    s.ping().await.expect("ready again once there is room");
    if let Some(id) = created {
        assert!(s.retailer(id).await.unwrap().is_some(), "create_retailer");
    }
    if limited.is_some() {
        assert_eq!(s.retailer(a).await.unwrap().unwrap().renders_per_hour, 3);
    }
    if let Some(key) = new_key {
        assert!(s.resolve_publishable_key(&key).await.unwrap().is_some());
    }
    if key_revoked == Some(true) {
        assert!(s.resolve_publishable_key(&old_key).await.unwrap().is_none());
    }
    if let Some(secret) = new_secret {
        assert_eq!(s.verify_secret_key(&secret.secret).await.unwrap(), Some(a));
    }
    if secret_revoked == Some(true) {
        assert_eq!(s.verify_secret_key(&old_secret.secret).await.unwrap(), None);
    }
    let origins: Vec<String> = s
        .list_origins(a)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.origin)
        .collect();
    if origin_added.is_some() {
        assert!(origins.contains(&"https://new.example".to_owned()));
    }
    if origin_removed == Some(true) {
        assert!(!origins.contains(&"https://old.example".to_owned()));
    }
    if backend_set.is_some() {
        assert_eq!(s.render_backend(a).await.unwrap(), BackendChoice::Gemini);
    }
    if product_put.is_some() {
        assert!(s.product(a, "NEW").await.unwrap().is_some());
    }
    if product_removed == Some(true) {
        assert!(s.product(a, "OLD").await.unwrap().is_none());
    }
    let gallery = s.gallery_items(a, None).await.unwrap();
    let item = |id: i64| gallery.iter().find(|item| item.id == id);
    if let Some(id) = shared {
        assert!(item(id).is_some(), "add_gallery_item");
    }
    if withdrawal.is_some_and(|retailer| retailer == Some(a)) {
        assert!(item(withdrawn).is_none(), "withdraw_gallery_item");
    }
    if review == Some(true) {
        assert_eq!(item(reviewed).unwrap().status, GalleryStatus::Approved);
    }
    if removal == Some(true) {
        assert!(item(removed).is_none(), "remove_gallery_item");
    }
    if lead_id.is_some() {
        assert!(
            s.leads(a)
                .await
                .unwrap()
                .iter()
                .any(|l| l.email == "full@example.com"),
            "add_lead"
        );
    }
    let counters = s.load_counters(today).await.unwrap();
    let counter_of = |hash: u8| {
        counters
            .iter()
            .find(|c| c.address_hash == [hash; 32])
            .map(|c| c.state.day_count)
    };
    if counted.is_some_and(|d| d.allowed) {
        assert_eq!(counter_of(1), Some(1), "increment_and_check");
    }
    if batched.is_some_and(|d| d[0].allowed) {
        assert_eq!(counter_of(2), Some(1), "count_batch");
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM render_events WHERE product = 'BATCHED'"
            )
            .await,
            1
        );
    }
    if stored_counts.is_some() {
        assert_eq!(counter_of(3), Some(7), "store_counts");
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM render_events WHERE product = 'STORED'"
            )
            .await,
            1
        );
    }
    if security_event.is_some() {
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM security_events WHERE kind = 'full_disk'"
            )
            .await,
            1
        );
    }
    if session.is_some() {
        assert_eq!(s.count_rows_of("widget_sessions", a).await.unwrap(), 1);
    }
    if render.is_some() {
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM render_events WHERE product = 'RENDERED'"
            )
            .await,
            1
        );
    }
    if analytics_event.is_some() {
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM analytics_events WHERE name = 'full_disk'"
            )
            .await,
            1
        );
    }
    if beacon_stored == Some(1) {
        assert_eq!(
            count(
                &s,
                &format!(
                    "SELECT COUNT(*) FROM analytics_events WHERE name = '{}'",
                    EventName::Opened.as_str()
                )
            )
            .await,
            1
        );
    }
    if swept.is_some_and(|report| report.security_events > 0) {
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM security_events WHERE kind = 'long_ago'"
            )
            .await,
            0,
            "sweep"
        );
    }
    if deleted == Some(true) {
        assert!(s.retailer(b).await.unwrap().is_none(), "delete_retailer");
        assert_eq!(s.count_rows_of("leads", b).await.unwrap(), 0);
    }
    // The file system really was full: a write that cannot grow the log fails.
    assert!(
        !probes.failed.is_empty(),
        "no write failed, so the disk was not full: {:?}",
        probes.succeeded
    );
    eprintln!(
        "on the full disk: {} writes failed as storage_unavailable, {} succeeded (and were \
         stored): {:?}",
        probes.failed.len(),
        probes.succeeded.len(),
        probes.succeeded
    );
    s.close().await;
}

const SHOP: &str = "https://shop.example";

/// The app over `storage`, built as the HTTP tests build it.
async fn app(storage: &Storage) -> Router {
    let state = common::test_app_state(storage)
        .clock(Arc::new(ManualClock::new(T0 + 600)))
        .request_timeout(Duration::from_secs(20))
        .person_gate(common::loaded_person_gate())
        .build()
        .await
        .unwrap();
    router(state)
}

/// Status, error code (or `status` of a health answer) and body text.
async fn send(app: &Router, mut request: Request<Body>) -> (StatusCode, String, String) {
    let peer: SocketAddr = "192.0.2.10:50000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 32 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = json["error"]["code"]
        .as_str()
        .or(json["status"].as_str())
        .unwrap_or("")
        .to_owned();
    (status, code, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_full_disk_answers_503_and_claims_nothing() {
    use base64::Engine as _;
    let disk = Tmpfs::mount("16m");
    let url = disk.sqlite_url();
    let storage = Storage::connect(&url).await.unwrap();
    let retailer = storage.create_retailer("Hearth & Loom", T0).await.unwrap();
    let key = storage.add_publishable_key(retailer, T0).await.unwrap();
    storage.add_origin(retailer, SHOP).await.unwrap();
    storage
        .put_product(retailer, &common::oak_plank("OAK-190"))
        .await
        .unwrap();
    let app = app(&storage).await;
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let share = || {
        Request::post(format!("/v1/widget/{key}/gallery?product=OAK-190"))
            .header(header::ORIGIN, SHOP)
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CONTENT_LENGTH, photo.len())
            .body(Body::from(photo.clone()))
            .unwrap()
    };
    // One share while there is room, to withdraw on the full disk.
    let (status, _, text) = send(&app, share()).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let withdraw_path = answer["withdraw_path"].as_str().unwrap().to_owned();
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    assert_eq!(send(&app, get("/readyz")).await.0, StatusCode::OK);

    disk.fill(&storage).await;
    let render = base64::engine::general_purpose::STANDARD.encode(&photo);
    let lead =
        json!({"email": "shopper@example.com", "product": "OAK-190", "render": render}).to_string();
    let (status, code, text) = send(
        &app,
        Request::post(format!("/v1/widget/{key}/leads"))
            .header(header::ORIGIN, SHOP)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, lead.len())
            .body(Body::from(lead))
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "lead: {text}"
    );
    let (status, code, text) = send(&app, share()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "share: {text}"
    );
    let (status, code, text) = send(&app, get(&withdraw_path)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "withdrawal: {text}"
    );
    assert!(!text.contains("has been removed"), "{text}");
    let (status, code, _) = send(&app, get("/readyz")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    );

    // With room again and the database reopened: what was refused is not there, and the
    // withdrawal that was refused did not happen.
    disk.free();
    drop(app);
    storage.close().await;
    let storage = Storage::connect(&url).await.unwrap();
    assert!(storage.leads(retailer).await.unwrap().is_empty());
    assert_eq!(
        storage.gallery_items(retailer, None).await.unwrap().len(),
        1,
        "the refused share is not stored, the refused withdrawal removed nothing"
    );
    storage.ping().await.expect("ready again");
    storage.close().await;
}
