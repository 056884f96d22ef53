//! Product textures, decoded once: a product's tile is decoded from its stored file and kept in
//! memory until the product changes (its `updated_at`), so a render costs one small query, not a
//! decode.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use vitrine_core::compositor::{RgbaImage, Texture};

use crate::storage::{Product, RetailerId, Storage, StorageError, Surface};

/// Most textures kept decoded (a 1024² tile with its pyramid is about 5.6 MB).
const MAX_CACHED: usize = 64;

/// Largest texture tile, per side.
const MAX_TEXTURE_SIDE: u32 = 4096;

/// A product ready for the compositor.
#[derive(Debug)]
pub struct ProductTexture {
    /// The SKU.
    pub sku: String,
    /// Its display name (hosted backends put it in their prompt).
    pub name: String,
    /// The tile's real size in millimetres.
    pub tile_mm: (i64, i64),
    /// Floor or wall.
    pub surface: Surface,
    /// The tile and its real size.
    pub texture: Texture,
}

/// Why a product cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TextureError {
    /// No such product for this retailer.
    #[error("unknown product")]
    UnknownProduct,
    /// The stored file does not decode to a usable tile.
    #[error("the product's texture cannot be used: {0}")]
    Unusable(String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

type CacheKey = (RetailerId, String);

/// Decoded textures by (retailer, SKU).
#[derive(Debug, Default)]
pub struct TextureCache {
    entries: Mutex<HashMap<CacheKey, (i64, Arc<ProductTexture>)>>,
}

impl TextureCache {
    /// The product's texture, decoded (from the cache when the product has not changed).
    pub async fn get(
        &self,
        storage: &Storage,
        retailer: RetailerId,
        sku: &str,
    ) -> Result<Arc<ProductTexture>, TextureError> {
        let updated_at = storage
            .product_updated_at(retailer, sku)
            .await?
            .ok_or(TextureError::UnknownProduct)?;
        let key = (retailer, sku.to_owned());
        if let Some((stamp, texture)) = self.lock().get(&key)
            && *stamp == updated_at
        {
            return Ok(Arc::clone(texture));
        }
        let product = storage
            .product(retailer, sku)
            .await?
            .ok_or(TextureError::UnknownProduct)?;
        let stamp = product.updated_at;
        let texture = Arc::new(
            tokio::task::spawn_blocking(move || decode(product))
                .await
                .map_err(|e| TextureError::Unusable(e.to_string()))??,
        );
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED && !entries.contains_key(&key) {
            // Evict the stalest entry: textures change rarely, and a miss costs one decode.
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (stamp, _))| *stamp)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (stamp, Arc::clone(&texture)));
        Ok(texture)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, (i64, Arc<ProductTexture>)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Decodes a stored product into a texture.
pub fn decode(product: Product) -> Result<ProductTexture, TextureError> {
    let unusable = |e: String| TextureError::Unusable(e);
    let mut reader = image::ImageReader::new(Cursor::new(&product.texture))
        .with_guessed_format()
        .map_err(|e| unusable(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TEXTURE_SIDE);
    limits.max_image_height = Some(MAX_TEXTURE_SIDE);
    reader.limits(limits);
    let tile = reader
        .decode()
        .map_err(|e| unusable(e.to_string()))?
        .into_rgba8();
    let (width, height) = tile.dimensions();
    let tile =
        RgbaImage::new(width, height, tile.into_raw()).map_err(|e| unusable(e.to_string()))?;
    let metres = |mm: i64| mm as f32 / 1000.0;
    Ok(ProductTexture {
        sku: product.sku,
        name: product.name,
        tile_mm: (product.tile_width_mm, product.tile_height_mm),
        surface: product.surface,
        texture: Texture {
            tile,
            tile_width_m: metres(product.tile_width_mm),
            tile_height_m: metres(product.tile_height_mm),
        },
    })
}
