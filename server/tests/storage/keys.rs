//! Publishable keys (rotation, revocation, at most two live) and secret keys (shown once).

use crate::common::{T0, TestDb};
use vitrine_server::storage::{RetailerId, StorageError};

pub async fn key_rotation_and_revocation(db: TestDb) {
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
    let holder = |key: String| async move {
        s.resolve_publishable_key(&key)
            .await
            .expect("resolve")
            .map(|r| r.retailer)
    };
    assert_eq!(holder(old.clone()).await, Some(a));
    assert_eq!(holder(new.clone()).await, Some(a));
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
    assert_eq!(holder(old.clone()).await, None);
    assert_eq!(holder(new.clone()).await, Some(a));
    assert_eq!(holder("pk_unknown".to_owned()).await, None);
    let keys = s.list_publishable_keys(a).await.expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].key, old);
    assert_eq!(keys[0].revoked_at, Some(T0 + 20));
    assert_eq!(keys[1].revoked_at, None);
    // With the old one revoked, the next rotation can begin.
    s.add_publishable_key(a, T0 + 40).await.expect("third key");
}

pub async fn secret_shown_once_and_verified(db: TestDb) {
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
