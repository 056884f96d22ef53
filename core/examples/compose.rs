//! Composes a texture into a photo with the built-in compositor, to look at the result:
//!
//! ```sh
//! cargo run -p vitrine-core --example compose -- ROOM.jpg OUT.png [TILE.png TILE_W_M TILE_H_M]
//! ```
//!
//! Without a tile, a procedural oak-plank tile (1.2 m × 0.8 m, six planks) is used. The region
//! is `Placement::default_floor`.

use vitrine_core::compositor::{CompositeOptions, Placement, RgbaImage, Texture, composite};

fn planks() -> RgbaImage {
    let (w, h) = (480u32, 320u32);
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        let plank = y / (h / 6);
        let offset = (plank * 173) % w;
        for x in 0..w {
            let xs = (x + offset) % w;
            let grain = ((f64::from(y) * 0.9 + (f64::from(xs) * 0.05).sin() * 6.0).sin() * 0.5
                + 0.5)
                * 18.0;
            let tone = [170.0, 125.0, 80.0].map(|c: f64| c - grain + f64::from(plank % 3) * 8.0);
            let seam = y % (h / 6) == 0 || xs == 0;
            let k = if seam { 0.55 } else { 1.0 };
            pixels.extend(tone.map(|c| (c * k).clamp(0.0, 255.0) as u8));
            pixels.push(255);
        }
    }
    RgbaImage::new(w, h, pixels).expect("a well-formed tile")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [photo_path, out_path, rest @ ..] = args.as_slice() else {
        return Err("usage: compose ROOM OUT [TILE TILE_W_M TILE_H_M]".into());
    };
    let photo = image::open(photo_path)?.to_rgba8();
    let (w, h) = photo.dimensions();
    let photo = RgbaImage::new(w, h, photo.into_raw())?;
    let texture = match rest {
        [tile, tw, th] => {
            let tile = image::open(tile)?.to_rgba8();
            let (tw_px, th_px) = tile.dimensions();
            Texture {
                tile: RgbaImage::new(tw_px, th_px, tile.into_raw())?,
                tile_width_m: tw.parse()?,
                tile_height_m: th.parse()?,
            }
        }
        _ => Texture {
            tile: planks(),
            tile_width_m: 1.2,
            tile_height_m: 0.8,
        },
    };
    let started = std::time::Instant::now();
    let out = composite(
        &photo,
        &texture,
        &Placement::default_floor(w, h),
        CompositeOptions::default(),
    )?;
    eprintln!("{w}×{h} composed in {:?}", started.elapsed());
    image::RgbaImage::from_raw(w, h, out.into_pixels())
        .ok_or("buffer size")?
        .save(out_path)?;
    Ok(())
}
