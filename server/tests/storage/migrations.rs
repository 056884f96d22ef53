//! Migrations (applied once, the two dialects in step) and the SQLite file's settings.

use crate::common::{T0, TestDb, sqlite};
use vitrine_server::storage::Storage;

fn migration_files(dialect: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("migrations folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

pub async fn migrations_apply_twice(db: TestDb) {
    db.storage.migrate().await.expect("second migration run");
    let again = Storage::connect(&db.url).await.expect("reconnect, migrate");
    again.migrate().await.expect("third migration run");
    assert_eq!(
        again
            .scalar_for_tests("SELECT COUNT(*) FROM _sqlx_migrations")
            .await
            .expect("count"),
        i64::try_from(migration_files("sqlite").len()).expect("a few")
    );
    // The two dialects keep their migrations in step, file for file.
    assert_eq!(migration_files("sqlite"), migration_files("postgres"));
    again.ping().await.expect("ping");
}

/// The embedded default: one file in WAL mode, foreign keys enforced (or no cascade would run).
#[tokio::test]
async fn sqlite_is_wal_with_foreign_keys() {
    let db = sqlite().await;
    let s = &db.storage;
    assert_eq!(s.backend(), "sqlite");
    assert_eq!(
        s.scalar_for_tests("PRAGMA foreign_keys")
            .await
            .expect("pragma"),
        1
    );
    s.create_retailer("A", T0).await.expect("create");
    let file = db
        .url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc");
    assert!(
        std::path::Path::new(&format!("{file}-wal")).exists(),
        "no write-ahead log next to {file}"
    );
}
