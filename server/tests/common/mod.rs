//! Shared by the server's integration tests: a fresh database per test on SQLite or PostgreSQL.
//!
//! PostgreSQL: a fresh database per test on the server named by `VITRINE_TEST_POSTGRES_URL`
//! (`cargo xtask test` starts a throwaway cluster and sets it). Without that variable the
//! PostgreSQL tests fail with instructions: no test is skipped because a database is missing.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use vitrine_server::storage::{Product, Storage, Surface};

/// 2026-11-24T00:00:00Z, the start of an hour and of a UTC day.
pub const T0: i64 = 1_795_478_400;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// A database for one test; keeps the SQLite file's directory alive.
pub struct TestDb {
    pub storage: Storage,
    pub url: String,
    pub _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("vitrine.sqlite3").display()
    );
    let storage = Storage::connect(&url).await.expect("open SQLite");
    TestDb {
        storage,
        url,
        _dir: Some(dir),
    }
}

/// The URL of a fresh, empty PostgreSQL database (nothing connected to it yet).
pub async fn postgres_url() -> String {
    let Ok(server) = std::env::var("VITRINE_TEST_POSTGRES_URL") else {
        panic!(
            "VITRINE_TEST_POSTGRES_URL is not set, so the PostgreSQL half of the storage suite \
             cannot run. Run `cargo xtask test`, which starts a throwaway cluster and sets it, or \
             start one yourself (Debian: apt-get install postgresql; then as the postgres user: \
             /usr/lib/postgresql/*/bin/initdb -D /tmp/pg -A trust && \
             /usr/lib/postgresql/*/bin/pg_ctl -D /tmp/pg -o '-p 55432 -k /tmp' start) and set \
             VITRINE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres"
        )
    };
    // A fresh database per test, so that tests running in parallel (and the sweeper's global
    // deletes) cannot see each other.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "vitrine_t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let admin = sqlx::PgPool::connect(&server)
        .await
        .expect("connect to VITRINE_TEST_POSTGRES_URL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&admin)
        .await
        .expect("drop old test database");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let (base, _) = server.rsplit_once('/').expect("a URL with a database path");
    format!("{base}/{name}")
}

/// A fresh PostgreSQL database, migrated.
pub async fn postgres() -> TestDb {
    let url = postgres_url().await;
    let storage = Storage::connect(&url).await.expect("open PostgreSQL");
    TestDb {
        storage,
        url,
        _dir: None,
    }
}

/// Declares `mod name { sqlite, postgres }`, both running `async fn name(TestDb)`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::common::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name($crate::common::postgres().await).await;
            }
        }
    )*};
}

/// The repository root (where `target/models` and `../shared` are found).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A shared fixture photo's bytes.
pub fn fixture_photo(name: &str) -> Vec<u8> {
    let path = workspace_root()
        .join("../shared/fixtures/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// exiftool's view of a file: every tag it finds, one `[Group] Name: value` per line.
pub fn exiftool_tags(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    // No extension: exiftool reads the type from the bytes.
    let path = dir.path().join("file");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("exiftool")
        .args(["-a", "-G1", "-s"])
        .arg(&path)
        .output()
        .expect("exiftool is installed by `cargo xtask setup`");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A 64×64 plank-ish texture tile as PNG.
pub fn texture_png() -> Vec<u8> {
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

/// An oak plank floor product with this SKU (a 1200 × 800 mm tile of [`texture_png`]).
pub fn oak_plank(sku: &str) -> Product {
    Product {
        sku: sku.to_owned(),
        name: "Oak plank".to_owned(),
        surface: Surface::Floor,
        tile_width_mm: 1200,
        tile_height_mm: 800,
        texture: texture_png(),
        updated_at: T0,
    }
}

/// The person check, loaded once per test binary.
pub fn loaded_person_gate() -> vitrine_server::render::person_gate::PersonGate {
    use vitrine_server::render::person_gate::PersonGate;
    static GATE: std::sync::OnceLock<PersonGate> = std::sync::OnceLock::new();
    GATE.get_or_init(|| {
        let gate = PersonGate::load(&workspace_root().join("target/models"));
        assert!(
            gate.is_ready(),
            "run `cargo xtask setup` to install the model: {gate:?}"
        );
        gate
    })
    .clone()
}

/// The app as the HTTP tests build it over `storage`: a fixed address key, proxies in
/// 10.0.0.0/8, a 1 MiB body limit, no key cache (tests revoke keys and expect the next request
/// to see it), two renders at a time. The caller adds the clock, the person check and the
/// request timeout.
pub fn test_app_state(storage: &Storage) -> vitrine_server::app::AppStateBuilder {
    use vitrine_server::address_hash::AddressHashKey;
    use vitrine_server::client_address::TrustedProxies;
    vitrine_server::app::AppState::from_config(
        &vitrine_server::config::Config::defaults(),
        storage.clone(),
    )
    .address_key(AddressHashKey::from_bytes(vec![7; 32]).unwrap())
    .trusted_proxies(TrustedProxies::parse(["10.0.0.0/8"]).unwrap())
    .max_body_bytes(TEST_MAX_BODY)
    .key_cache(std::time::Duration::ZERO)
    .render_concurrency(2)
}

/// The body limit of [`test_app_state`].
pub const TEST_MAX_BODY: usize = 1024 * 1024;
