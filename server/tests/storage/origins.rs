//! Allowed origins: stored in normal form, listed, removed; bad entries refused.

use crate::common::{T0, TestDb};
use vitrine_server::storage::{Limits, StorageError};

pub async fn origins_stored_and_listed(db: TestDb) {
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
