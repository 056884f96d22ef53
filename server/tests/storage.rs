//! The storage suite, run once against SQLite (a temporary file) and once against PostgreSQL (a
//! fresh database per test on the server named by `VITRINE_TEST_POSTGRES_URL`; `cargo xtask test`
//! starts a throwaway cluster and sets it). Without that variable the PostgreSQL half fails: no
//! test is skipped because a database is missing.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

mod common;

use common::{DAY, HOUR, T0, TestDb, sqlite};
use vitrine_server::clock::{Clock, ManualClock};
use vitrine_server::storage::{
    CountRequest, Limits, RETAILER_TABLES, RetailerId, RetentionPolicy, Storage, StorageError,
    SweepReport,
};

on_both!(
    migrations_apply_twice,
    retailers_created_listed_and_limited,
    key_rotation_and_revocation,
    origins_stored_and_listed,
    secret_shown_once_and_verified,
    retailers_are_isolated,
    rate_limit_exact_under_concurrency,
    refused_requests_consume_nothing,
    a_batch_counts_in_order_and_records_allowed_renders,
    rate_limit_windows_roll_over,
    sweep_deletes_exactly_what_is_past_retention,
    delete_retailer_leaves_nothing,
    products_are_stored_replaced_and_scoped,
    gallery_items_are_pending_withdrawable_and_scoped,
    leads_are_stored_per_retailer,
);

async fn gallery_items_are_pending_withdrawable_and_scoped(db: TestDb) {
    use vitrine_server::storage::{GalleryStatus, MAX_STORED_RENDER_BYTES};
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let b = s.create_retailer("B", T0).await.expect("create");
    let render = vec![0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9];
    let first = s
        .add_gallery_item(a, "OAK", &render, &[1; 32], T0)
        .await
        .expect("add");
    let second = s
        .add_gallery_item(a, "SLATE", &render, &[2; 32], T0 + 1)
        .await
        .expect("add");
    // Shared renders start pending; newest first; another retailer sees none of them.
    let items = s.gallery_items(a, None).await.expect("list");
    assert_eq!(
        items
            .iter()
            .map(|i| (i.id, i.product.as_str(), i.status))
            .collect::<Vec<_>>(),
        [
            (second, "SLATE", GalleryStatus::Pending),
            (first, "OAK", GalleryStatus::Pending)
        ]
    );
    assert_eq!(items[0].render, render);
    assert!(s.gallery_items(b, None).await.expect("list").is_empty());
    // Review: only the owner can, and a status filter lists what matches.
    assert!(
        !s.review_gallery_item(b, first, GalleryStatus::Approved, T0 + 2)
            .await
            .expect("review")
    );
    assert!(
        s.review_gallery_item(a, first, GalleryStatus::Approved, T0 + 2)
            .await
            .expect("review")
    );
    let approved = s
        .gallery_items(a, Some(GalleryStatus::Approved))
        .await
        .expect("list");
    assert_eq!(approved.iter().map(|i| i.id).collect::<Vec<_>>(), [first]);
    // Withdrawal by the token's hash: at once, once; a wrong hash removes nothing.
    assert_eq!(
        s.withdraw_gallery_item(&[9; 32]).await.expect("withdraw"),
        None
    );
    assert!(
        s.withdraw_gallery_item(&[1; 32])
            .await
            .expect("withdraw")
            .is_some()
    );
    assert_eq!(
        s.withdraw_gallery_item(&[1; 32]).await.expect("withdraw"),
        None
    );
    assert_eq!(
        s.gallery_items(a, None)
            .await
            .expect("list")
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        [second]
    );
    // The same token hash cannot be issued twice.
    assert!(
        s.add_gallery_item(b, "OAK", &render, &[2; 32], T0)
            .await
            .is_err()
    );
    // The retailer removes; B cannot remove A's.
    assert!(!s.remove_gallery_item(b, second).await.expect("remove"));
    assert!(s.remove_gallery_item(a, second).await.expect("remove"));
    // Limits.
    assert!(
        s.add_gallery_item(a, "OAK", &[], &[3; 32], T0)
            .await
            .is_err()
    );
    assert!(
        s.add_gallery_item(
            a,
            "OAK",
            &vec![0; MAX_STORED_RENDER_BYTES + 1],
            &[3; 32],
            T0
        )
        .await
        .is_err()
    );
    assert!(matches!(
        s.add_gallery_item(RetailerId(9999), "OAK", &render, &[4; 32], T0)
            .await,
        Err(StorageError::NoSuchRetailer)
    ));
}

async fn leads_are_stored_per_retailer(db: TestDb) {
    use vitrine_server::storage::Lead;
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let b = s.create_retailer("B", T0).await.expect("create");
    let lead = |email: &str, opt_in: bool, at: i64| Lead {
        email: email.to_owned(),
        product: "OAK".to_owned(),
        render: vec![0xFF, 0xD8, 9, 0xFF, 0xD9],
        marketing_opt_in: opt_in,
        created_at: at,
    };
    s.add_lead(a, &lead("one@example.com", false, T0))
        .await
        .expect("add");
    s.add_lead(a, &lead("two@example.com", true, T0 + 1))
        .await
        .expect("add");
    assert_eq!(
        s.leads(a).await.expect("leads"),
        [
            lead("two@example.com", true, T0 + 1),
            lead("one@example.com", false, T0)
        ]
    );
    assert!(s.leads(b).await.expect("leads").is_empty());
    assert!(matches!(
        s.add_lead(RetailerId(9999), &lead("x@example.com", false, T0))
            .await,
        Err(StorageError::NoSuchRetailer)
    ));
}

async fn products_are_stored_replaced_and_scoped(db: TestDb) {
    use vitrine_server::storage::{
        BackendChoice, MAX_TEXTURE_BYTES, Product, StorageError, Surface,
    };
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let b = s.create_retailer("B", T0).await.expect("create");
    let product = |name: &str, at: i64| Product {
        sku: "OAK-190".to_owned(),
        name: name.to_owned(),
        surface: Surface::Floor,
        tile_width_mm: 1200,
        tile_height_mm: 190,
        texture: vec![1, 2, 3, 255, 0],
        updated_at: at,
    };
    s.put_product(a, &product("Oak", T0)).await.expect("put");
    assert_eq!(
        s.product(a, "OAK-190").await.expect("get"),
        Some(product("Oak", T0))
    );
    // The same SKU again replaces it (a new texture, a new stamp for the caches).
    s.put_product(a, &product("Oak, oiled", T0 + 5))
        .await
        .expect("replace");
    let stored = s.product(a, "OAK-190").await.expect("get").expect("there");
    assert_eq!(
        (stored.name.as_str(), stored.updated_at),
        ("Oak, oiled", T0 + 5)
    );
    assert_eq!(
        s.product_updated_at(a, "OAK-190").await.expect("stamp"),
        Some(T0 + 5)
    );
    let listed = s.list_products(a).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].texture.is_empty(),
        "listings leave the texture out"
    );
    // Another retailer neither sees nor removes it.
    assert_eq!(s.product(b, "OAK-190").await.expect("get"), None);
    assert_eq!(
        s.product_updated_at(b, "OAK-190").await.expect("stamp"),
        None
    );
    assert!(s.list_products(b).await.expect("list").is_empty());
    assert!(!s.remove_product(b, "OAK-190").await.expect("remove"));
    assert!(s.product(a, "OAK-190").await.expect("get").is_some());
    // Limits: texture size, unknown retailer.
    let mut huge = product("Huge", T0);
    huge.texture = vec![0; MAX_TEXTURE_BYTES + 1];
    assert!(matches!(
        s.put_product(a, &huge).await,
        Err(StorageError::TextureTooLarge { .. })
    ));
    assert!(matches!(
        s.put_product(vitrine_server::storage::RetailerId(9999), &product("X", T0))
            .await,
        Err(StorageError::NoSuchRetailer)
    ));
    // The render backend is per retailer, builtin by default.
    assert_eq!(
        s.render_backend(a).await.expect("backend"),
        BackendChoice::Builtin
    );
    s.set_render_backend(b, BackendChoice::Gemini)
        .await
        .expect("set");
    assert_eq!(
        s.render_backend(b).await.expect("backend"),
        BackendChoice::Gemini
    );
    assert_eq!(
        s.render_backend(a).await.expect("backend"),
        BackendChoice::Builtin
    );
    assert!(s.remove_product(a, "OAK-190").await.expect("remove"));
    assert_eq!(s.product(a, "OAK-190").await.expect("get"), None);
}

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

async fn migrations_apply_twice(db: TestDb) {
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

async fn retailers_created_listed_and_limited(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("Atelier", T0).await.expect("create");
    let retailer = s.retailer(a).await.expect("read").expect("exists");
    assert_eq!(retailer.name, "Atelier");
    assert_eq!(retailer.created_at, T0);
    assert_eq!(
        (retailer.renders_per_hour, retailer.renders_per_day),
        (10, 20)
    );
    s.set_limits(
        a,
        Limits {
            per_hour: 3,
            per_day: 5,
        },
    )
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

async fn key_rotation_and_revocation(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let old = s.add_publishable_key(a, T0).await.expect("key");
    assert!(old.starts_with("pk_") && old.len() == 35, "{old}");
    let new = s.add_publishable_key(a, T0 + 10).await.expect("second key");
    assert_ne!(old, new);
    // Two live keys at most: a third waits for the old one's revocation.
    assert!(matches!(
        s.add_publishable_key(a, T0 + 15).await,
        Err(StorageError::TooManyLiveKeys)
    ));
    assert!(matches!(
        s.add_publishable_key(RetailerId(999_999), T0).await,
        Err(StorageError::NoSuchRetailer)
    ));
    // Both live during the rotation.
    assert_eq!(
        s.resolve_publishable_key(&old)
            .await
            .expect("resolve")
            .map(|r| r.retailer),
        Some(a)
    );
    assert_eq!(
        s.resolve_publishable_key(&new)
            .await
            .expect("resolve")
            .map(|r| r.retailer),
        Some(a)
    );
    assert!(
        s.revoke_publishable_key(a, &old, T0 + 20)
            .await
            .expect("revoke")
    );
    assert!(
        !s.revoke_publishable_key(a, &old, T0 + 30)
            .await
            .expect("revoke twice")
    );
    assert!(
        s.resolve_publishable_key(&old)
            .await
            .expect("resolve")
            .is_none()
    );
    assert_eq!(
        s.resolve_publishable_key(&new)
            .await
            .expect("resolve")
            .map(|r| r.retailer),
        Some(a)
    );
    assert!(
        s.resolve_publishable_key("pk_unknown")
            .await
            .expect("resolve")
            .is_none()
    );
    let keys = s.list_publishable_keys(a).await.expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].key, old);
    assert_eq!(keys[0].revoked_at, Some(T0 + 20));
    assert_eq!(keys[1].revoked_at, None);
    // With the old one revoked, the next rotation can begin.
    s.add_publishable_key(a, T0 + 40).await.expect("third key");
}

async fn origins_stored_and_listed(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let key = s.add_publishable_key(a, T0).await.expect("key");
    s.add_origin(a, "https://shop.example")
        .await
        .expect("origin");
    s.add_origin(a, "https://*.shop.example")
        .await
        .expect("wildcard");
    s.add_origin(a, "http://127.0.0.1:8788")
        .await
        .expect("port");
    s.add_origin(a, "https://shop.example")
        .await
        .expect("again is a no-op");
    s.add_origin(a, "HTTPS://Shop.Example:443/")
        .await
        .expect("the same origin, spelt otherwise, is stored once in normal form");
    for bad in [
        "https://shop.example/path",
        "https://user@shop.example",
        "shop.example",
        "ftp://shop.example",
        "https://*.example",
        "https://shop.*.example",
    ] {
        assert!(
            matches!(
                s.add_origin(a, bad).await,
                Err(StorageError::InvalidOrigin { .. })
            ),
            "{bad} must be refused"
        );
    }
    let listed: Vec<String> = s
        .list_origins(a)
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.origin)
        .collect();
    assert_eq!(
        listed,
        [
            "http://127.0.0.1:8788",
            "https://*.shop.example",
            "https://shop.example"
        ]
    );
    let holder = s
        .resolve_publishable_key(&key)
        .await
        .expect("resolve")
        .expect("live key");
    assert_eq!(holder.retailer, a);
    assert_eq!(holder.origins, listed);
    assert_eq!(holder.limits, Limits::default());
    assert!(
        s.remove_origin(a, "HTTP://127.0.0.1:8788/")
            .await
            .expect("remove, spelt otherwise")
    );
    assert!(
        !s.remove_origin(a, "http://127.0.0.1:8788")
            .await
            .expect("remove twice")
    );
    assert_eq!(s.list_origins(a).await.expect("list").len(), 2);
}

async fn secret_shown_once_and_verified(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let created = s.create_secret_key(a, T0).await.expect("secret");
    assert!(created.secret.starts_with("sk_") && created.secret.len() == 46);
    assert!(!format!("{created:?}").contains(&created.secret[3..]));
    assert_eq!(
        s.verify_secret_key(&created.secret).await.expect("verify"),
        Some(a)
    );
    let mut wrong = created.secret.clone();
    wrong.pop();
    wrong.push(if created.secret.ends_with('0') {
        '1'
    } else {
        '0'
    });
    assert_eq!(s.verify_secret_key(&wrong).await.expect("verify"), None);
    assert_eq!(s.verify_secret_key("").await.expect("verify"), None);
    // Only the prefix is listed; the stored hash is not the secret.
    let listed = s.list_secret_keys(a).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(created.secret.starts_with(&listed[0].prefix));
    assert!(listed[0].prefix.len() < 16);
    assert!(
        s.revoke_secret_key(a, created.id, T0 + 1)
            .await
            .expect("revoke")
    );
    assert_eq!(
        s.verify_secret_key(&created.secret).await.expect("verify"),
        None
    );
}

async fn retailers_are_isolated(db: TestDb) {
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
    let limits = Limits {
        per_hour: 1,
        per_day: 1,
    };
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

/// 1,000 concurrent requests from 50 addresses, through two independent pools on one database
/// (as two server processes would be), with a limit of 10/hour: exactly 10 allowed per address.
async fn rate_limit_exact_under_concurrency(db: TestDb) {
    let s = &db.storage;
    let other = Storage::connect(&db.url).await.expect("a second pool");
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits {
        per_hour: 10,
        per_day: 20,
    };
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

async fn a_batch_counts_in_order_and_records_allowed_renders(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("A");
    let b = s.create_retailer("B", T0).await.expect("B");
    let tight = Limits {
        per_hour: 3,
        per_day: 5,
    };
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

async fn refused_requests_consume_nothing(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits {
        per_hour: 2,
        per_day: 3,
    };
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

async fn rate_limit_windows_roll_over(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let limits = Limits {
        per_hour: 10,
        per_day: 20,
    };
    let clock = ManualClock::new(T0 + 30 * 60);
    let addr = [7u8; 32];
    let mut allowed = 0;
    for _ in 0..15 {
        allowed += u32::from(
            s.increment_and_check(a, &addr, clock.now(), limits)
                .await
                .expect("c")
                .allowed,
        );
    }
    assert_eq!(allowed, 10);
    // 29:59 later: still the same hour.
    clock.advance(29 * 60 + 59);
    let d = s
        .increment_and_check(a, &addr, clock.now(), limits)
        .await
        .expect("c");
    assert_eq!((d.allowed, d.retry_after), (false, Some(1)));
    // The next hour: ten more, then the day (20) is exhausted.
    clock.advance(1);
    let mut allowed = 0;
    for _ in 0..15 {
        allowed += u32::from(
            s.increment_and_check(a, &addr, clock.now(), limits)
                .await
                .expect("c")
                .allowed,
        );
    }
    assert_eq!(allowed, 10);
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

async fn sweep_deletes_exactly_what_is_past_retention(db: TestDb) {
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

async fn delete_retailer_leaves_nothing(db: TestDb) {
    let s = &db.storage;
    let a = s.create_retailer("A", T0).await.expect("create");
    let b = s.create_retailer("B", T0).await.expect("create");
    for r in [a, b] {
        s.add_publishable_key(r, T0).await.expect("key");
        s.create_secret_key(r, T0).await.expect("secret");
        s.add_origin(r, "https://shop.example")
            .await
            .expect("origin");
        s.increment_and_check(r, b"addr", T0, Limits::default())
            .await
            .expect("count");
        s.record_security_event(Some(r), "bad_origin", T0)
            .await
            .expect("event");
        s.record_widget_session(r, "s1", T0).await.expect("session");
        s.record_render(r, "oak", T0).await.expect("render");
        s.record_analytics_event(r, "open", T0)
            .await
            .expect("analytics");
        s.put_product(
            r,
            &vitrine_server::storage::Product {
                sku: "OAK".to_owned(),
                name: "Oak".to_owned(),
                surface: vitrine_server::storage::Surface::Floor,
                tile_width_mm: 1200,
                tile_height_mm: 190,
                texture: vec![1, 2, 3],
                updated_at: T0,
            },
        )
        .await
        .expect("product");
        let token = [u8::try_from(r.0).expect("small id"); 32];
        s.add_gallery_item(r, "OAK", &[0xFF, 0xD8, 0xFF, 0xD9], &token, T0)
            .await
            .expect("gallery");
        s.add_lead(
            r,
            &vitrine_server::storage::Lead {
                email: "shopper@example.com".to_owned(),
                product: "OAK".to_owned(),
                render: vec![0xFF, 0xD8, 0xFF, 0xD9],
                marketing_opt_in: false,
                created_at: T0,
            },
        )
        .await
        .expect("lead");
    }
    for table in RETAILER_TABLES {
        assert!(
            s.count_rows_of(table, a).await.expect("count") >= 1,
            "{table}"
        );
    }
    assert!(s.delete_retailer(a).await.expect("delete"));
    for table in RETAILER_TABLES {
        assert_eq!(
            s.count_rows_of(table, a).await.expect("count"),
            0,
            "{table} of A"
        );
        assert!(
            s.count_rows_of(table, b).await.expect("count") >= 1,
            "{table} of B"
        );
    }
}

#[test]
fn the_suite_names_every_retailer_table() {
    assert_eq!(RETAILER_TABLES.len(), 12);
    let _: Arc<dyn Clock> = Arc::new(ManualClock::new(T0));
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
