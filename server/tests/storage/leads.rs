//! Leads: stored per retailer, newest first.

use crate::common::{T0, TestDb};
use vitrine_server::storage::{RetailerId, StorageError};

pub async fn leads_are_stored_per_retailer(db: TestDb) {
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
