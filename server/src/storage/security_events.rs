//! The security log: refused widget and API requests, by kind and retailer only (no address, no
//! key, no origin), kept 30 days by default (see `retention`).

use super::{Pool, RetailerId, Storage, StorageError};
use crate::clock::UnixSeconds;

impl Storage {
    /// Records a security event (`retailer` is `None` when no retailer could be identified).
    pub async fn record_security_event(
        &self,
        retailer: Option<RetailerId>,
        kind: &str,
        now: UnixSeconds,
    ) -> Result<(), StorageError> {
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO security_events (retailer_id, kind, created_at) VALUES ($1, $2, $3)",
            )
            .bind(retailer.map(|r| r.0))
            .bind(kind)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
