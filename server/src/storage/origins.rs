//! A retailer's allowed origins: the pages its widget may be embedded in, stored in the normal
//! form the origin check ([`crate::origins`]) compares against.

use super::{Pool, RetailerId, Storage, StorageError};

/// An allowed origin.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AllowedOrigin {
    /// Its id.
    pub id: i64,
    /// `scheme://host[:port]`, or `scheme://*.host[:port]` for the host's subdomains.
    pub origin: String,
}

impl Storage {
    /// Adds an origin to the retailer's allowlist (adding it twice, in any spelling, is a no-op).
    /// The entry is parsed and stored in the normal form the origin check compares against.
    pub async fn add_origin(&self, retailer: RetailerId, origin: &str) -> Result<(), StorageError> {
        let origin = normalised_origin(origin)?;
        let retailer_exists = in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO allowed_origins (retailer_id, origin) \
                 SELECT id, $2 FROM retailers WHERE id = $1 \
                 ON CONFLICT (retailer_id, origin) DO NOTHING",
            )
            .bind(retailer.0)
            .bind(&origin)
            .execute(&mut *tx)
            .await?;
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM retailers WHERE id = $1")
                .bind(retailer.0)
                .fetch_one(&mut *tx)
                .await?
                > 0
        });
        if !retailer_exists {
            return Err(StorageError::NoSuchRetailer);
        }
        Ok(())
    }

    /// Removes an origin from the retailer's allowlist. Returns whether it was there.
    pub async fn remove_origin(
        &self,
        retailer: RetailerId,
        origin: &str,
    ) -> Result<bool, StorageError> {
        let origin = normalised_origin(origin)?;
        let done = in_transaction!(self, tx => sqlx::query(
            "DELETE FROM allowed_origins WHERE retailer_id = $1 AND origin = $2",
        )
        .bind(retailer.0)
        .bind(&origin)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// The retailer's allowed origins, alphabetically.
    pub async fn list_origins(
        &self,
        retailer: RetailerId,
    ) -> Result<Vec<AllowedOrigin>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, AllowedOrigin>(
            "SELECT id, origin FROM allowed_origins WHERE retailer_id = $1 ORDER BY origin",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }
}

/// Parses an allowlist entry with [`crate::origins`] and returns its normal form, so that what
/// is stored is exactly what the origin check compares against (`HTTPS://Shop.Example:443/` is
/// stored as `https://shop.example`), and an entry that would never match is refused up front.
fn normalised_origin(entry: &str) -> Result<String, StorageError> {
    crate::origins::AllowedOrigin::parse(entry)
        .map(|parsed| parsed.to_string())
        .map_err(|reason| StorageError::InvalidOrigin {
            entry: entry.to_owned(),
            reason,
        })
}
