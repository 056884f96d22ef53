//! Products and the render backend choice: stored, replaced, scoped to their retailer.

use crate::common::{T0, TestDb};

pub async fn products_are_stored_replaced_and_scoped(db: TestDb) {
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
