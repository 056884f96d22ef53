//! Usage records of a retailer's widget: sessions and renders (metadata only: which product,
//! when), and the one-row insert that analytics events share with them.

use super::{Pool, RetailerId, Storage, StorageError, retailer_found};
use crate::clock::UnixSeconds;

impl Storage {
    /// Records a widget session.
    pub async fn record_widget_session(
        &self,
        retailer: RetailerId,
        session_id: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("widget_sessions", "session_id", retailer, session_id, now)
            .await
    }

    /// Records a render's metadata.
    pub async fn record_render(
        &self,
        retailer: RetailerId,
        product: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        self.insert_event("render_events", "product", retailer, product, now)
            .await
    }

    /// Inserts one event row of the retailer; `table` and `column` are constants of the storage
    /// modules, never input.
    pub(super) async fn insert_event(
        &self,
        table: &'static str,
        column: &'static str,
        retailer: RetailerId,
        value: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        let sql = format!(
            "INSERT INTO {table} (retailer_id, {column}, created_at) \
             SELECT id, $1, $2 FROM retailers WHERE id = $3"
        );
        let done = in_transaction!(self, tx => sqlx::query(&sql)
            .bind(value)
            .bind(now)
            .bind(retailer.0)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        retailer_found(done)
    }
}
