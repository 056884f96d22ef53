//! The demo retailer's products: seamless tiles drawn here, so the demo needs no image files and
//! no network. Each is a PNG in the products table, exactly as a retailer's upload would be.

use std::io::Cursor;

use anyhow::{Context, Result};
use vitrine_server::clock::{Clock, SystemClock};
use vitrine_server::storage::{Product, RetailerId, Storage, Surface};

/// A pixel of a tile, from its coordinates.
type Drawing = fn(u32, u32) -> [u8; 3];

struct DemoProduct {
    sku: &'static str,
    name: &'static str,
    surface: Surface,
    /// The tile's real size in millimetres.
    tile_mm: (i64, i64),
    /// The tile's size in pixels.
    tile_px: (u32, u32),
    draw: Drawing,
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        sku: "OAK-PLANK-190",
        name: "Oak plank, natural oil, 190 mm",
        surface: Surface::Floor,
        tile_mm: (1200, 1140),
        tile_px: (600, 570),
        draw: oak_planks,
    },
    DemoProduct {
        sku: "SLATE-TILE-600",
        name: "Slate tile, 600 × 600 mm",
        surface: Surface::Floor,
        tile_mm: (1200, 1200),
        tile_px: (512, 512),
        draw: slate_tiles,
    },
    DemoProduct {
        sku: "SAGE-LINEN-WALL",
        name: "Sage linen wallpaper",
        surface: Surface::Wall,
        tile_mm: (530, 530),
        tile_px: (256, 256),
        draw: sage_linen,
    },
];

/// Adds the demo products the retailer does not have yet.
pub async fn seed(storage: &Storage, retailer: RetailerId) -> Result<()> {
    for &DemoProduct {
        sku,
        name,
        surface,
        tile_mm: (tile_width_mm, tile_height_mm),
        tile_px: (w, h),
        draw,
    } in PRODUCTS
    {
        if storage.product_updated_at(retailer, sku).await?.is_some() {
            continue;
        }
        let texture = png(w, h, draw).with_context(|| format!("drawing {sku}"))?;
        storage
            .put_product(
                retailer,
                &Product {
                    sku: sku.to_owned(),
                    name: name.to_owned(),
                    surface,
                    tile_width_mm,
                    tile_height_mm,
                    texture,
                    updated_at: SystemClock.now(),
                },
            )
            .await?;
    }
    Ok(())
}

fn png(width: u32, height: u32, draw: Drawing) -> Result<Vec<u8>> {
    let tile = image::RgbImage::from_fn(width, height, |x, y| image::Rgb(draw(x, y)));
    let mut out = Vec::new();
    tile.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// A cheap, repeatable hash noise in 0..1.
fn noise(a: u32, b: u32) -> f64 {
    let mut h = a.wrapping_mul(0x9E37_79B9) ^ b.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    f64::from(h & 0xFFFF) / 65535.0
}

/// Six rows of planks, 190 mm wide, staggered, with grain and a slight tone per board.
fn oak_planks(x: u32, y: u32) -> [u8; 3] {
    let (w, rows) = (600u32, 6u32);
    let row_h = 570 / rows;
    let row = y / row_h;
    let offset = (row * 233) % w;
    let xs = (x + offset) % w;
    let board = (xs / 300) + row * 2;
    let board_tone = (noise(board, 7) - 0.5) * 22.0;
    let grain = ((f64::from(y % row_h) * 0.55 + (f64::from(xs) * 0.021).sin() * 4.0).sin() * 0.5
        + 0.5)
        * 14.0
        + noise(xs / 3, y) * 5.0;
    let seam = y.is_multiple_of(row_h) || xs.is_multiple_of(300);
    let k = if seam { 0.62 } else { 1.0 };
    [176.0, 131.0, 86.0].map(|c: f64| ((c + board_tone - grain) * k).clamp(0.0, 255.0) as u8)
}

/// 2 × 2 slate tiles with grey grout and a mottled surface.
fn slate_tiles(x: u32, y: u32) -> [u8; 3] {
    let tile = 256;
    let grout = x % tile < 3 || y % tile < 3;
    if grout {
        return [150, 148, 142];
    }
    let which = (x / tile) + 2 * (y / tile);
    let base = 74.0 + (noise(which, 3) - 0.5) * 16.0;
    let mottle = (noise(x / 9, y / 9 + which * 97) - 0.5) * 14.0 + (noise(x, y) - 0.5) * 6.0;
    let v = base + mottle;
    [v - 2.0, v + 1.0, v + 5.0].map(|c: f64| c.clamp(0.0, 255.0) as u8)
}

/// A woven linen texture in sage green.
fn sage_linen(x: u32, y: u32) -> [u8; 3] {
    let warp = ((f64::from(x) * 1.6).sin() * 0.5 + 0.5) * 7.0;
    let weft = ((f64::from(y) * 1.9).sin() * 0.5 + 0.5) * 7.0;
    let fleck = (noise(x, y / 2) - 0.5) * 8.0;
    let d = warp + weft + fleck;
    [156.0 - d, 172.0 - d, 148.0 - d].map(|c: f64| c.clamp(0.0, 255.0) as u8)
}
