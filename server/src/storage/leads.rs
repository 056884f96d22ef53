//! The retailer's leads: renders shoppers asked to be emailed, with their address and an
//! explicit marketing opt-in. See `migrations/*/0004_gallery_and_leads.sql`.

use super::gallery::check_render;
use super::{Pool, RetailerId, Storage, StorageError};
use crate::clock::UnixSeconds;

/// A shopper's request to be emailed a render.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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

impl Storage {
    /// Stores a lead for the retailer.
    pub async fn add_lead(&self, retailer: RetailerId, lead: &Lead) -> Result<i64, StorageError> {
        check_render(&lead.render)?;
        let id: Option<i64> = in_transaction!(self, tx => sqlx::query_scalar(
            "INSERT INTO leads (retailer_id, email, product, render, marketing_opt_in, created_at) \
             SELECT id, $2, $3, $4, $5, $6 FROM retailers WHERE id = $1 RETURNING id",
        )
        .bind(retailer.0)
        .bind(&lead.email)
        .bind(&lead.product)
        .bind(&lead.render)
        .bind(lead.marketing_opt_in)
        .bind(lead.created_at)
        .fetch_optional(&mut *tx)
        .await?);
        id.ok_or(StorageError::NoSuchRetailer)
    }

    /// The retailer's leads, newest first.
    pub async fn leads(&self, retailer: RetailerId) -> Result<Vec<Lead>, StorageError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, Lead>(
            "SELECT email, product, render, marketing_opt_in, created_at FROM leads \
             WHERE retailer_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?)
    }
}
