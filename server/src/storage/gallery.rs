//! The retailer's gallery: renders shoppers chose to share, pending the retailer's review, and
//! withdrawable at once by the token handed to the shopper. See
//! `migrations/*/0004_gallery_and_leads.sql`.

use super::{Pool, RetailerId, Storage, StorageError};
use crate::clock::UnixSeconds;

/// The largest render the gallery or a lead keeps (our renders are far smaller).
pub const MAX_STORED_RENDER_BYTES: usize = 8 * 1024 * 1024;

/// A gallery item's review state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GalleryStatus {
    /// Shared by the shopper, not yet reviewed: not shown publicly.
    Pending,
    /// Approved by the retailer.
    Approved,
    /// Rejected by the retailer (kept until withdrawn or removed, never shown).
    Rejected,
}

impl GalleryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// From the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A shared render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryItem {
    /// Its id (the retailer's review uses it).
    pub id: i64,
    /// The product's SKU.
    pub product: String,
    /// The labelled JPEG.
    pub render: Vec<u8>,
    /// Review state.
    pub status: GalleryStatus,
    /// When it was shared.
    pub created_at: UnixSeconds,
}

#[derive(sqlx::FromRow)]
struct GalleryRow {
    id: i64,
    product: String,
    render: Vec<u8>,
    status: String,
    created_at: i64,
}

impl TryFrom<GalleryRow> for GalleryItem {
    type Error = StorageError;

    fn try_from(row: GalleryRow) -> Result<Self, StorageError> {
        let status = GalleryStatus::parse(&row.status)
            .ok_or_else(|| StorageError::Corrupt(format!("gallery status {:?}", row.status)))?;
        Ok(Self {
            id: row.id,
            product: row.product,
            render: row.render,
            status,
            created_at: row.created_at,
        })
    }
}

/// Refuses an empty render or one over [`MAX_STORED_RENDER_BYTES`] (shared with leads).
pub(super) fn check_render(render: &[u8]) -> Result<(), StorageError> {
    if render.is_empty() || render.len() > MAX_STORED_RENDER_BYTES {
        return Err(StorageError::Corrupt(format!(
            "a render of {} bytes (1 to {MAX_STORED_RENDER_BYTES})",
            render.len()
        )));
    }
    Ok(())
}

impl Storage {
    /// Adds a shared render, pending review. `token_sha256` is the SHA-256 of the withdrawal
    /// token handed to the shopper (the token itself is never stored).
    pub async fn add_gallery_item(
        &self,
        retailer: RetailerId,
        product: &str,
        render: &[u8],
        token_sha256: &[u8; 32],
        now: UnixSeconds,
    ) -> Result<i64, StorageError> {
        check_render(render)?;
        let id: Option<i64> = in_transaction!(self, tx => sqlx::query_scalar(
            "INSERT INTO gallery_items \
             (retailer_id, product, render, withdrawal_token_sha256, created_at) \
             SELECT id, $2, $3, $4, $5 FROM retailers WHERE id = $1 RETURNING id",
        )
        .bind(retailer.0)
        .bind(product)
        .bind(render)
        .bind(token_sha256.as_slice())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?);
        id.ok_or(StorageError::NoSuchRetailer)
    }

    /// Deletes the item whose withdrawal token hashes to `token_sha256`, at once. Returns whether
    /// there was one (a second use of the link finds nothing).
    pub async fn withdraw_gallery_item(
        &self,
        token_sha256: &[u8; 32],
    ) -> Result<Option<RetailerId>, StorageError> {
        let retailer: Option<i64> = in_transaction!(self, tx => sqlx::query_scalar(
            "DELETE FROM gallery_items WHERE withdrawal_token_sha256 = $1 RETURNING retailer_id",
        )
        .bind(token_sha256.as_slice())
        .fetch_optional(&mut *tx)
        .await?);
        Ok(retailer.map(RetailerId))
    }

    /// The retailer's gallery, newest first, optionally only one status.
    pub async fn gallery_items(
        &self,
        retailer: RetailerId,
        status: Option<GalleryStatus>,
    ) -> Result<Vec<GalleryItem>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, GalleryRow>(
            "SELECT id, product, render, status, created_at FROM gallery_items \
             WHERE retailer_id = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(retailer.0)
        .bind(status.map(GalleryStatus::as_str))
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(GalleryItem::try_from).collect()
    }

    /// The retailer approves or rejects one of its items. Returns whether it was found.
    pub async fn review_gallery_item(
        &self,
        retailer: RetailerId,
        id: i64,
        status: GalleryStatus,
        now: UnixSeconds,
    ) -> Result<bool, StorageError> {
        let updated = in_transaction!(self, tx => sqlx::query(
            "UPDATE gallery_items SET status = $1, reviewed_at = $2 \
             WHERE retailer_id = $3 AND id = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(retailer.0)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// The retailer removes one of its items. Returns whether it was found.
    pub async fn remove_gallery_item(
        &self,
        retailer: RetailerId,
        id: i64,
    ) -> Result<bool, StorageError> {
        let deleted = in_transaction!(self, tx => sqlx::query(
            "DELETE FROM gallery_items WHERE retailer_id = $1 AND id = $2",
        )
        .bind(retailer.0)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        Ok(deleted > 0)
    }
}
