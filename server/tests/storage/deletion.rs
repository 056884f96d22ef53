//! Deleting a retailer leaves nothing of it in any table holding retailer data, read from
//! the live schema (so a new table cannot be forgotten), and touches no other retailer's rows.

use crate::common::{T0, TestDb};
use vitrine_server::storage::{Limits, RETAILER_TABLES};

pub async fn delete_retailer_leaves_nothing(db: TestDb) {
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
    // Every table of the live schema holding retailer data has a row of A (so the fixture above
    // must grow with the schema), and none is left after A's deletion.
    let tables = s.tables_holding_retailer_data().await.expect("schema");
    assert!(tables.len() >= 12, "{tables:?}");
    for table in &tables {
        assert!(
            s.count_rows_of(table, a).await.expect("count") >= 1,
            "{table}"
        );
    }
    assert!(s.delete_retailer(a).await.expect("delete"));
    for table in &tables {
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

/// [`RETAILER_TABLES`] (what `count_rows_of` accepts) is exactly the live schema's tables with
/// retailer data: a new table with a retailer column, or a foreign key to `retailers`, must be
/// named there, and the deletion test above then requires a row of it.
pub async fn every_table_holding_retailer_data_is_named(db: TestDb) {
    let mut named: Vec<&str> = RETAILER_TABLES.to_vec();
    named.sort_unstable();
    let live = db
        .storage
        .tables_holding_retailer_data()
        .await
        .expect("schema");
    // (This replaces a check that the hard-coded list had 12 entries: the 12 are still there.)
    assert_eq!(live, named);
    assert!(live.len() >= 12, "{live:?}");
}
