//! The retailer's gallery (renders shoppers chose to share, pending review, withdrawable by a
//! token) and its leads (renders shoppers asked for by email). See
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

/// A shopper's request to be emailed a render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// The shopper's email address (validated by the API).
    pub email: String,
    /// The product's SKU.
    pub product: String,
    /// The labelled JPEG they asked for.
    pub render: Vec<u8>,
    /// Whether they also opted in to the retailer's marketing (never by default).
    pub marketing_opt_in: bool,
    /// When it was made.
    pub created_at: UnixSeconds,
}

fn check_render(render: &[u8]) -> Result<(), StorageError> {
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
        if self.retailer(retailer).await?.is_none() {
            return Err(StorageError::NoSuchRetailer);
        }
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO gallery_items \
             (retailer_id, product, render, withdrawal_token_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(retailer.0)
        .bind(product)
        .bind(render)
        .bind(token_sha256.as_slice())
        .bind(now)
        .fetch_one(pool)
        .await)?;
        Ok(id)
    }

    /// Deletes the item whose withdrawal token hashes to `token_sha256`, at once. Returns whether
    /// there was one (a second use of the link finds nothing).
    pub async fn withdraw_gallery_item(
        &self,
        token_sha256: &[u8; 32],
    ) -> Result<Option<RetailerId>, StorageError> {
        let retailer: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "DELETE FROM gallery_items WHERE withdrawal_token_sha256 = $1 RETURNING retailer_id",
        )
        .bind(token_sha256.as_slice())
        .fetch_optional(pool)
        .await)?;
        Ok(retailer.map(RetailerId))
    }

    /// The retailer's gallery, newest first, optionally only one status.
    pub async fn gallery_items(
        &self,
        retailer: RetailerId,
        status: Option<GalleryStatus>,
    ) -> Result<Vec<GalleryItem>, StorageError> {
        let rows: Vec<(i64, String, Vec<u8>, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, product, render, status, created_at FROM gallery_items \
             WHERE retailer_id = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(retailer.0)
        .bind(status.map(GalleryStatus::as_str))
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(id, product, render, status, created_at)| {
                Ok(GalleryItem {
                    id,
                    product,
                    render,
                    status: GalleryStatus::parse(&status).ok_or_else(|| {
                        StorageError::Corrupt(format!("gallery status {status:?}"))
                    })?,
                    created_at,
                })
            })
            .collect()
    }

    /// The retailer approves or rejects one of its items. Returns whether it was found.
    pub async fn review_gallery_item(
        &self,
        retailer: RetailerId,
        id: i64,
        status: GalleryStatus,
        now: UnixSeconds,
    ) -> Result<bool, StorageError> {
        let updated = on_pool!(self, pool => sqlx::query(
            "UPDATE gallery_items SET status = $1, reviewed_at = $2 \
             WHERE retailer_id = $3 AND id = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(retailer.0)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(updated > 0)
    }

    /// The retailer removes one of its items. Returns whether it was found.
    pub async fn remove_gallery_item(
        &self,
        retailer: RetailerId,
        id: i64,
    ) -> Result<bool, StorageError> {
        let deleted = on_pool!(self, pool => sqlx::query(
            "DELETE FROM gallery_items WHERE retailer_id = $1 AND id = $2",
        )
        .bind(retailer.0)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(deleted > 0)
    }

    /// Stores a lead for the retailer.
    pub async fn add_lead(&self, retailer: RetailerId, lead: &Lead) -> Result<i64, StorageError> {
        check_render(&lead.render)?;
        if self.retailer(retailer).await?.is_none() {
            return Err(StorageError::NoSuchRetailer);
        }
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO leads (retailer_id, email, product, render, marketing_opt_in, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(retailer.0)
        .bind(&lead.email)
        .bind(&lead.product)
        .bind(&lead.render)
        .bind(lead.marketing_opt_in)
        .bind(lead.created_at)
        .fetch_one(pool)
        .await)?;
        Ok(id)
    }

    /// The retailer's leads, newest first.
    pub async fn leads(&self, retailer: RetailerId) -> Result<Vec<Lead>, StorageError> {
        let rows: Vec<(String, String, Vec<u8>, bool, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT email, product, render, marketing_opt_in, created_at FROM leads \
             WHERE retailer_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(email, product, render, marketing_opt_in, created_at)| Lead {
                    email,
                    product,
                    render,
                    marketing_opt_in,
                    created_at,
                },
            )
            .collect())
    }
}
