//! The gallery: shared renders pending review, withdrawable once by token, scoped.

use crate::common::{T0, TestDb};
use vitrine_server::storage::{RetailerId, StorageError};

pub async fn gallery_items_are_pending_withdrawable_and_scoped(db: TestDb) {
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
