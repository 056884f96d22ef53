//! The compositor on a 2048×1536 room photo (the render size), beside a named peer measured in
//! the same run: `imageproc`'s projective warp (`warp_into`, bilinear, with its rayon feature so
//! both use every core) of the same tile onto the same floor quadrilateral. The peer does less:
//! one stretched tile (no tiling at real size, no mip levels or anisotropic filtering), no room
//! light, no feathered edge, no linear-light mixing; and more: it visits every output pixel, not
//! just the region's.
//!
//! `cargo bench -p vitrine-core --bench compositor`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use vitrine_core::compositor::{CompositeOptions, Placement, RgbaImage, Texture, composite};

fn room() -> image::RgbaImage {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/photos/ia__hdr_canon_hdr_YES.jpg");
    let photo = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgba8();
    assert_eq!(photo.dimensions(), (2048, 1536));
    photo
}

/// A 480×320 tile of six rows of planks.
fn planks() -> image::RgbaImage {
    image::RgbaImage::from_fn(480, 320, |x, y| {
        let plank = y / 53;
        let xs = (x + plank * 173) % 480;
        let grain =
            ((f64::from(y) * 0.9 + (f64::from(xs) * 0.05).sin() * 6.0).sin() * 0.5 + 0.5) * 18.0;
        let seam = y % 53 == 0 || xs == 0;
        let k = if seam { 0.55 } else { 1.0 };
        let [r, g, b] =
            [170.0, 125.0, 80.0].map(|c: f64| ((c - grain) * k).clamp(0.0, 255.0) as u8);
        image::Rgba([r, g, b, 255])
    })
}

fn compositor(c: &mut Criterion) {
    let photo = room();
    let tile = planks();
    let (w, h) = photo.dimensions();
    let placement = Placement::default_floor(w, h);
    let ours_photo = RgbaImage::new(w, h, photo.as_raw().clone()).expect("photo");
    let texture = Texture {
        tile: RgbaImage::new(tile.width(), tile.height(), tile.as_raw().clone()).expect("tile"),
        tile_width_m: 1.2,
        tile_height_m: 0.8,
    };
    let corners = placement.corners.map(|p| (p.x, p.y));
    let (tw, th) = (tile.width() as f32, tile.height() as f32);
    let projection =
        Projection::from_control_points([(0.0, 0.0), (tw, 0.0), (tw, th), (0.0, th)], corners)
            .expect("a projective map");

    let mut group = c.benchmark_group("compositor 2048x1536");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("vitrine composite (tiled, lit, feathered)", |b| {
        b.iter(|| {
            composite(
                black_box(&ours_photo),
                black_box(&texture),
                black_box(&placement),
                CompositeOptions::default(),
            )
            .expect("composite")
        })
    });
    group.bench_function("imageproc warp_into (one tile, bilinear)", |b| {
        let mut out = photo.clone();
        b.iter(|| {
            warp_into(
                black_box(&tile),
                black_box(&projection),
                Interpolation::Bilinear,
                image::Rgba([0, 0, 0, 0]),
                &mut out,
            );
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group!(benches, compositor);
criterion_main!(benches);
