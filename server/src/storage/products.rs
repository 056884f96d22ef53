//! The retailer's products: what the built-in compositor lays into a room.

use super::{Pool, RetailerId, Storage, StorageError, retailer_found};
use crate::clock::UnixSeconds;

/// Largest texture file accepted (a seamless tile is a few hundred KiB).
pub const MAX_TEXTURE_BYTES: usize = 4 * 1024 * 1024;

/// Where a product goes in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// Flooring, rugs.
    Floor,
    /// Wallpaper, paint, wall tiles.
    Wall,
}

impl Surface {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Floor => "floor",
            Self::Wall => "wall",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "floor" => Some(Self::Floor),
            "wall" => Some(Self::Wall),
            _ => None,
        }
    }
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The retailer's identifier (SKU).
    pub sku: String,
    /// Its display name.
    pub name: String,
    /// Where it goes.
    pub surface: Surface,
    /// The texture tile's real width, in millimetres.
    pub tile_width_mm: i64,
    /// The texture tile's real height (depth on a floor), in millimetres.
    pub tile_height_mm: i64,
    /// The tile's image file.
    pub texture: Vec<u8>,
    /// When it last changed (texture caches compare this).
    pub updated_at: UnixSeconds,
}

/// A `products` row as read (listings select no texture: it reads as empty).
#[derive(sqlx::FromRow)]
struct ProductRow {
    sku: String,
    name: String,
    surface: String,
    tile_width_mm: i64,
    tile_height_mm: i64,
    #[sqlx(default)]
    texture: Vec<u8>,
    updated_at: i64,
}

impl TryFrom<ProductRow> for Product {
    type Error = StorageError;

    fn try_from(row: ProductRow) -> Result<Self, StorageError> {
        let surface = Surface::parse(&row.surface)
            .ok_or_else(|| StorageError::Corrupt(format!("surface {:?}", row.surface)))?;
        Ok(Self {
            sku: row.sku,
            name: row.name,
            surface,
            tile_width_mm: row.tile_width_mm,
            tile_height_mm: row.tile_height_mm,
            texture: row.texture,
            updated_at: row.updated_at,
        })
    }
}

/// Which backend renders for a retailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendChoice {
    /// The built-in compositor (the default).
    Builtin,
    /// OpenAI's image edits API.
    OpenAi,
    /// Google's Gemini image generation.
    Gemini,
}

impl BackendChoice {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::OpenAi => "openai",
            Self::Gemini => "gemini",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "builtin" => Some(Self::Builtin),
            "openai" => Some(Self::OpenAi),
            "gemini" => Some(Self::Gemini),
            _ => None,
        }
    }
}

impl Storage {
    /// Chooses the retailer's render backend.
    pub async fn set_render_backend(
        &self,
        retailer: RetailerId,
        choice: BackendChoice,
    ) -> Result<(), StorageError> {
        let done = in_transaction!(self, tx => sqlx::query(
            "UPDATE retailers SET render_backend = $1 WHERE id = $2",
        )
        .bind(choice.as_str())
        .bind(retailer.0)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        retailer_found(done)
    }

    /// The retailer's render backend.
    pub async fn render_backend(
        &self,
        retailer: RetailerId,
    ) -> Result<BackendChoice, StorageError> {
        let name = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT render_backend FROM retailers WHERE id = $1",
        )
        .bind(retailer.0)
        .fetch_optional(pool)
        .await)?
        .ok_or(StorageError::NoSuchRetailer)?;
        BackendChoice::parse(&name)
            .ok_or_else(|| StorageError::Corrupt(format!("render_backend {name:?}")))
    }

    /// Adds a product, or replaces the retailer's product with the same SKU.
    pub async fn put_product(
        &self,
        retailer: RetailerId,
        product: &Product,
    ) -> Result<(), StorageError> {
        if product.texture.len() > MAX_TEXTURE_BYTES {
            return Err(StorageError::TextureTooLarge {
                size: product.texture.len(),
                limit: MAX_TEXTURE_BYTES,
            });
        }
        let stored = in_transaction!(self, tx => sqlx::query(
            "INSERT INTO products \
             (retailer_id, sku, name, surface, tile_width_mm, tile_height_mm, texture, updated_at) \
             SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM retailers WHERE id = $1 \
             ON CONFLICT (retailer_id, sku) DO UPDATE SET name = excluded.name, \
             surface = excluded.surface, tile_width_mm = excluded.tile_width_mm, \
             tile_height_mm = excluded.tile_height_mm, texture = excluded.texture, \
             updated_at = excluded.updated_at",
        )
        .bind(retailer.0)
        .bind(&product.sku)
        .bind(&product.name)
        .bind(product.surface.as_str())
        .bind(product.tile_width_mm)
        .bind(product.tile_height_mm)
        .bind(&product.texture)
        .bind(product.updated_at)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        retailer_found(stored)
    }

    /// One of the retailer's products.
    pub async fn product(
        &self,
        retailer: RetailerId,
        sku: &str,
    ) -> Result<Option<Product>, StorageError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, ProductRow>(
            "SELECT sku, name, surface, tile_width_mm, tile_height_mm, texture, updated_at \
             FROM products WHERE retailer_id = $1 AND sku = $2",
        )
        .bind(retailer.0)
        .bind(sku)
        .fetch_optional(pool)
        .await)?;
        row.map(Product::try_from).transpose()
    }

    /// When the retailer's product last changed, without its texture (for caches).
    pub async fn product_updated_at(
        &self,
        retailer: RetailerId,
        sku: &str,
    ) -> Result<Option<UnixSeconds>, StorageError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT updated_at FROM products WHERE retailer_id = $1 AND sku = $2",
        )
        .bind(retailer.0)
        .bind(sku)
        .fetch_optional(pool)
        .await)?)
    }

    /// The retailer's products by SKU, textures left out.
    pub async fn list_products(&self, retailer: RetailerId) -> Result<Vec<Product>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, ProductRow>(
            "SELECT sku, name, surface, tile_width_mm, tile_height_mm, updated_at \
             FROM products WHERE retailer_id = $1 ORDER BY sku",
        )
        .bind(retailer.0)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(Product::try_from).collect()
    }

    /// Removes one of the retailer's products. Returns whether it was there.
    pub async fn remove_product(
        &self,
        retailer: RetailerId,
        sku: &str,
    ) -> Result<bool, StorageError> {
        let done = in_transaction!(self, tx => sqlx::query(
            "DELETE FROM products WHERE retailer_id = $1 AND sku = $2",
        )
        .bind(retailer.0)
        .bind(sku)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        Ok(done > 0)
    }
}
