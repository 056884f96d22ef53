//! Retailers: created, listed, limited, deleted, and isolated from one another.

use crate::common::{T0, TestDb};
use vitrine_server::storage::{Limits, StorageError};

pub async fn retailers_created_listed_and_limited(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("Atelier", T0).await.expect("create");
    let retailer = s.retailer(a).await.expect("read").expect("exists");
    assert_eq!(retailer.name, "Atelier");
    assert_eq!(retailer.created_at, T0);
    assert_eq!(
        (retailer.renders_per_hour, retailer.renders_per_day),
        (10, 20)
    );
    s.set_limits(a, Limits::new(3, 5))
        .await
        .expect("set limits");
    let retailer = s.retailer(a).await.expect("read").expect("exists");
    assert_eq!(
        (retailer.renders_per_hour, retailer.renders_per_day),
        (3, 5)
    );
    assert!(
        s.list_retailers()
            .await
            .expect("list")
            .iter()
            .any(|r| r.id == a)
    );
    assert!(s.delete_retailer(a).await.expect("delete"));
    assert!(!s.delete_retailer(a).await.expect("delete twice"));
    assert!(s.retailer(a).await.expect("read").is_none());
    assert!(matches!(
        s.set_limits(a, Limits::default()).await,
        Err(StorageError::NoSuchRetailer)
    ));
}

pub async fn retailers_are_isolated(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let b = s.create_retailer("B", T0).await.expect("create");
    let b_key = s.add_publishable_key(b, T0).await.expect("key");
    let b_secret = s.create_secret_key(b, T0).await.expect("secret");
    s.add_origin(b, "https://b.example").await.expect("origin");
    // A's handles see none of B's records…
    assert!(s.list_publishable_keys(a).await.expect("list").is_empty());
    assert!(s.list_secret_keys(a).await.expect("list").is_empty());
    assert!(s.list_origins(a).await.expect("list").is_empty());
    // …and can change or delete none of them.
    assert!(
        !s.revoke_publishable_key(a, &b_key, T0)
            .await
            .expect("revoke")
    );
    assert!(
        !s.revoke_secret_key(a, b_secret.id, T0)
            .await
            .expect("revoke")
    );
    assert!(
        !s.remove_origin(a, "https://b.example")
            .await
            .expect("remove")
    );
    assert!(s.delete_retailer(a).await.expect("delete A"));
    // B is intact.
    assert_eq!(
        s.resolve_publishable_key(&b_key)
            .await
            .expect("resolve")
            .map(|r| r.retailer),
        Some(b)
    );
    assert_eq!(
        s.verify_secret_key(&b_secret.secret).await.expect("verify"),
        Some(b)
    );
    assert_eq!(s.list_origins(b).await.expect("list").len(), 1);
    // Counters are per retailer: A exhausting its limit leaves B's address untouched.
    let a = s.create_retailer("A again", T0).await.expect("create");
    let limits = Limits::new(1, 1);
    assert!(
        s.increment_and_check(a, b"addr", T0, limits)
            .await
            .expect("count")
            .allowed
    );
    assert!(
        !s.increment_and_check(a, b"addr", T0, limits)
            .await
            .expect("count")
            .allowed
    );
    assert!(
        s.increment_and_check(b, b"addr", T0, limits)
            .await
            .expect("count")
            .allowed
    );
}

/// A client that goes away cancels its handler, and with it a write at whatever point it had
/// reached: each such write must leave the database writable at once. (A `BEGIN IMMEDIATE`
/// cancelled while SQLite's worker thread ran it used to leave the write lock on an idle pooled
/// connection, and every later writer waited out the 30 s busy timeout.)
pub async fn a_write_cancelled_midway_leaves_the_database_writable(db: TestDb) {
    let s = &db.storage;
    for yields in 0..300 {
        let write = s.create_retailer("Gone", T0);
        tokio::select! {
            biased;
            _ = write => {}
            () = yield_times(yields) => {}
        }
        let next = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            s.create_retailer("Next", T0),
        )
        .await;
        assert!(
            matches!(next, Ok(Ok(_))),
            "a write cancelled after {yields} yields left the database unwritable: {next:?}"
        );
    }
}

async fn yield_times(times: usize) {
    for _ in 0..times {
        tokio::task::yield_now().await;
    }
}
