//! "Save on this device": the 3 most recent renders per retailer, in IndexedDB (through rexie),
//! listed when the widget opens again and removable one by one. Only saved when the shopper ticks
//! the box; never sent anywhere.
//!
//! Runs in the widget's Worker (IndexedDB is available there; localStorage is not).

use js_sys::{Array, Object, Reflect, Uint8Array};
use rexie::{ObjectStore, Rexie, TransactionMode, TransactionResult};
use wasm_bindgen::prelude::*;

use crate::error::{StorageError, WidgetError};

const DATABASE: &str = "vitrine";
const VERSION: u32 = 1;
const STORE: &str = "recent_renders";
const BY_RETAILER: &str = "by_retailer";
/// How many renders a retailer's widget keeps on a device.
pub const KEEP: usize = 3;
/// The largest render accepted for saving (a 2048 px JPEG is well under this).
const MAX_RENDER_BYTES: usize = 8 * 1024 * 1024;

impl From<rexie::Error> for StorageError {
    fn from(error: rexie::Error) -> Self {
        // A quota failure surfaces as a DOMException named QuotaExceededError somewhere in the
        // chain; rexie's Display hides the name, its Debug keeps it.
        let detail = format!("{error:?}");
        if detail.contains("QuotaExceeded") {
            Self::Full
        } else {
            Self::Unavailable(detail)
        }
    }
}

async fn open() -> Result<Rexie, StorageError> {
    Ok(Rexie::builder(DATABASE)
        .version(VERSION)
        .add_object_store(
            ObjectStore::new(STORE)
                .key_path("id")
                .auto_increment(true)
                .add_index(rexie::Index::new(BY_RETAILER, "retailer")),
        )
        .build()
        .await?)
}

fn field(record: &JsValue, name: &str) -> JsValue {
    Reflect::get(record, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The retailer's records, oldest first (ids grow with every save).
async fn records_of(db: &Rexie, retailer: &str) -> Result<Vec<JsValue>, StorageError> {
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly)?;
    let store = transaction.store(STORE)?;
    let index = store.index(BY_RETAILER)?;
    let found = index
        .get_all(
            Some(rexie::KeyRange::only(&retailer.into()).map_err(rexie::Error::from)?),
            None,
        )
        .await?;
    transaction.done().await?;
    Ok(found)
}

/// Save a render for `retailer` (its publishable key) and keep only the newest [`KEEP`].
/// Resolves to the new record's id.
#[wasm_bindgen]
pub async fn save_recent_render(
    retailer: String,
    product: String,
    product_name: String,
    created_at_ms: f64,
    jpeg: Vec<u8>,
) -> Result<f64, JsValue> {
    save(&retailer, &product, &product_name, created_at_ms, jpeg)
        .await
        .map_err(|e| WidgetError::from(e).into())
}

async fn save(
    retailer: &str,
    product: &str,
    product_name: &str,
    created_at_ms: f64,
    jpeg: Vec<u8>,
) -> Result<f64, StorageError> {
    if jpeg.is_empty() || jpeg.len() > MAX_RENDER_BYTES {
        return Err(StorageError::BadRender(format!(
            "{} bytes (at most {MAX_RENDER_BYTES})",
            jpeg.len()
        )));
    }
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(StorageError::BadRender("not a JPEG".into()));
    }
    let db = open().await?;
    let record = Object::new();
    for (name, value) in [
        ("retailer", JsValue::from(retailer)),
        ("product", JsValue::from(product)),
        ("productName", JsValue::from(product_name)),
        ("createdAt", JsValue::from(created_at_ms)),
        ("jpeg", Uint8Array::from(jpeg.as_slice()).into()),
    ] {
        let _ = Reflect::set(&record, &name.into(), &value);
    }
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    let id = store.add(&record.into(), None).await?;
    // A write the browser refuses for space does not fail the `add` request: the transaction
    // aborts (QuotaExceededError on the transaction, which rexie does not expose). We abort none
    // ourselves, so an aborted save is the quota.
    if transaction.done().await? != TransactionResult::Committed {
        db.close();
        return Err(StorageError::Full);
    }

    // Keep the newest KEEP: delete the oldest beyond them.
    let records = records_of(&db, retailer).await?;
    if records.len() > KEEP {
        let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        let store = transaction.store(STORE)?;
        for old in &records[..records.len() - KEEP] {
            store.delete(field(old, "id")).await?;
        }
        if transaction.done().await? != TransactionResult::Committed {
            db.close();
            return Err(StorageError::Unavailable(
                "pruning old renders was aborted".into(),
            ));
        }
    }
    db.close();
    Ok(id.as_f64().unwrap_or(0.0))
}

/// The retailer's saved renders, newest first: `[{ id, product, productName, createdAt, jpeg }]`.
#[wasm_bindgen]
pub async fn list_recent_renders(retailer: String) -> Result<Array, JsValue> {
    list(&retailer)
        .await
        .map_err(|e| WidgetError::from(e).into())
}

async fn list(retailer: &str) -> Result<Array, StorageError> {
    let db = open().await?;
    let records = records_of(&db, retailer).await?;
    db.close();
    let newest_first = Array::new();
    for record in records.iter().rev().take(KEEP) {
        let _ = Reflect::delete_property(&Object::from(record.clone()), &"retailer".into());
        newest_first.push(record);
    }
    Ok(newest_first)
}

/// Remove one saved render of this retailer by id (a no-op when it is already gone).
#[wasm_bindgen]
pub async fn remove_recent_render(retailer: String, id: f64) -> Result<(), JsValue> {
    remove(&retailer, id)
        .await
        .map_err(|e| WidgetError::from(e).into())
}

async fn remove(retailer: &str, id: f64) -> Result<(), StorageError> {
    let db = open().await?;
    // Only this retailer's records are candidates: another retailer's widget on the same origin
    // cannot remove them. (Checked in its own transaction: a read-write transaction with no
    // request left would commit before `done()` could wait for it.)
    let owned = records_of(&db, retailer)
        .await?
        .iter()
        .any(|record| field(record, "id").as_f64() == Some(id));
    if owned {
        let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        let store = transaction.store(STORE)?;
        store.delete(JsValue::from(id)).await?;
        transaction.done().await?;
    }
    db.close();
    Ok(())
}
