//! The built-in compositor's properties: nothing outside the region changes, a solid texture
//! under even light comes out even, the room's light and shadow carry over, tiles shrink with
//! distance, and bad input is refused by name.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vitrine_core::compositor::{
    CompositeError, CompositeOptions, Placement, Point, RgbaImage, Texture, composite,
};

fn p(x: f32, y: f32) -> Point {
    Point { x, y }
}

fn solid(width: u32, height: u32, rgb: [u8; 3]) -> RgbaImage {
    let pixels = (0..width * height)
        .flat_map(|_| [rgb[0], rgb[1], rgb[2], 255])
        .collect();
    RgbaImage::new(width, height, pixels).unwrap()
}

fn noise(width: u32, height: u32, seed: u64) -> RgbaImage {
    let mut state = seed | 1;
    let pixels = (0..width * height * 4)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if i % 4 == 3 { 255 } else { (state >> 24) as u8 }
        })
        .collect();
    RgbaImage::new(width, height, pixels).unwrap()
}

fn checker(size: u32) -> RgbaImage {
    let mut pixels = Vec::new();
    for y in 0..size {
        for x in 0..size {
            let v = if (x < size / 2) == (y < size / 2) {
                230
            } else {
                30
            };
            pixels.extend_from_slice(&[v, v, v, 255]);
        }
    }
    RgbaImage::new(size, size, pixels).unwrap()
}

fn texture(tile: RgbaImage) -> Texture {
    Texture {
        tile,
        tile_width_m: 0.5,
        tile_height_m: 0.5,
    }
}

fn pixel(image: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * image.width() + x) * 4) as usize;
    image.pixels()[i..i + 4].try_into().unwrap()
}

/// How far the point lies outside the convex quad (negative: inside), in pixels.
fn outside_distance(quad: &[Point; 4], x: f64, y: f64) -> f64 {
    let c: Vec<(f64, f64)> = quad
        .iter()
        .map(|p| (f64::from(p.x), f64::from(p.y)))
        .collect();
    let turn = (c[1].0 - c[0].0) * (c[2].1 - c[1].1) - (c[1].1 - c[0].1) * (c[2].0 - c[1].0);
    (0..4)
        .map(|i| {
            let (a, b) = (c[i], c[(i + 1) % 4]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = (dx * dx + dy * dy).sqrt();
            let cross = (dx * (y - a.1) - dy * (x - a.0)) / len;
            if turn > 0.0 { -cross } else { cross }
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn pixels_outside_the_region_are_unchanged(
        seed in any::<u64>(),
        left in 5f32..60.0, right in 100f32..155.0,
        top in 5f32..50.0, bottom in 80f32..115.0,
        inset_share in 0f32..0.4, feather in 1f32..6.0,
    ) {
        let inset = inset_share * (right - left);
        let photo = noise(160, 120, seed);
        let quad = [p(left + inset, top), p(right - inset, top), p(right, bottom), p(left, bottom)];
        let placement = Placement { corners: quad, width_m: 3.0, depth_m: 2.5 };
        let options = CompositeOptions { feather_px: feather, keep_light: true };
        let out = composite(&photo, &texture(checker(32)), &placement, options).unwrap();
        let mut changed_inside = 0;
        for y in 0..120 {
            for x in 0..160 {
                let d = outside_distance(&quad, f64::from(x) + 0.5, f64::from(y) + 0.5);
                if d > f64::from(feather) / 2.0 + 1e-6 {
                    prop_assert_eq!(pixel(&out, x, y), pixel(&photo, x, y), "({}, {})", x, y);
                } else if d < -f64::from(feather) && pixel(&out, x, y) != pixel(&photo, x, y) {
                    changed_inside += 1;
                }
            }
        }
        prop_assert!(changed_inside > 0, "nothing was drawn inside the region");
    }
}

#[test]
fn a_solid_texture_under_even_light_comes_out_even_and_exact() {
    let photo = solid(200, 150, [128, 128, 128]);
    let quad = [
        p(60.0, 60.0),
        p(140.0, 60.0),
        p(190.0, 140.0),
        p(10.0, 140.0),
    ];
    let placement = Placement {
        corners: quad,
        width_m: 4.0,
        depth_m: 4.0,
    };
    let out = composite(
        &photo,
        &texture(solid(16, 16, [200, 100, 50])),
        &placement,
        CompositeOptions::default(),
    )
    .unwrap();
    let mut inside = 0;
    for y in 0..150 {
        for x in 0..200 {
            if outside_distance(&quad, f64::from(x) + 0.5, f64::from(y) + 0.5) < -2.0 {
                assert_eq!(pixel(&out, x, y), [200, 100, 50, 255], "({x}, {y})");
                inside += 1;
            }
        }
    }
    assert!(inside > 5_000, "{inside}");
}

#[test]
fn the_rooms_shadow_falls_on_the_texture() {
    // The left half of the room is lit, the right half in shadow (a quarter of the light).
    let (w, h) = (240u32, 160u32);
    let mut pixels = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            let v = if x < w / 2 { 180 } else { 99 }; // 99 ≈ a quarter of 180's linear light
            pixels.extend_from_slice(&[v, v, v, 255]);
        }
    }
    let photo = RgbaImage::new(w, h, pixels).unwrap();
    let placement = Placement {
        corners: [
            p(20.0, 40.0),
            p(220.0, 40.0),
            p(220.0, 150.0),
            p(20.0, 150.0),
        ],
        width_m: 4.0,
        depth_m: 3.0,
    };
    let out = composite(
        &photo,
        &texture(solid(8, 8, [210, 180, 140])),
        &placement,
        CompositeOptions::default(),
    )
    .unwrap();
    let lit = pixel(&out, 40, 100);
    let shaded = pixel(&out, 200, 100);
    assert!(lit[0] > shaded[0] + 60, "lit {lit:?}, shaded {shaded:?}");
    // Without keeping the light, both halves are the texture's own colour.
    let flat = composite(
        &photo,
        &texture(solid(8, 8, [210, 180, 140])),
        &placement,
        CompositeOptions {
            keep_light: false,
            ..CompositeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(pixel(&flat, 40, 100), [210, 180, 140, 255]);
    assert_eq!(pixel(&flat, 200, 100), [210, 180, 140, 255]);
}

#[test]
fn tiles_shrink_towards_the_far_edge() {
    // A floor in perspective: count light/dark changes along a row near the far edge and one
    // near the near edge, over the same width of the region's middle.
    let photo = solid(400, 300, [128, 128, 128]);
    let placement = Placement {
        corners: [
            p(150.0, 100.0),
            p(250.0, 100.0),
            p(390.0, 290.0),
            p(10.0, 290.0),
        ],
        width_m: 4.0,
        depth_m: 6.0,
    };
    let out = composite(
        &photo,
        &texture(checker(64)),
        &placement,
        CompositeOptions {
            keep_light: false,
            ..CompositeOptions::default()
        },
    )
    .unwrap();
    // Far rows are lower in contrast (a pixel spans more of the depth there): compare each
    // pixel with its row's mean.
    let changes = |y: u32, x0: u32, x1: u32| {
        let row: Vec<f64> = (x0..x1).map(|x| f64::from(pixel(&out, x, y)[0])).collect();
        let mean = row.iter().sum::<f64>() / row.len() as f64;
        row.iter()
            .map(|v| *v > mean)
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[0] != w[1])
            .count()
    };
    // The same 4 m of width spans 100 px at the far edge and 380 px at the near edge.
    let far = changes(104, 152, 248);
    let near = changes(286, 20, 380);
    assert!(far >= 6 && near >= 6, "far {far}, near {near}");
    assert!(
        (far as f64 / 96.0) > 2.0 * (near as f64 / 360.0),
        "changes per pixel: far {far}/96, near {near}/360"
    );
}

#[test]
fn bad_input_is_refused_by_name() {
    assert!(matches!(
        RgbaImage::new(4, 4, vec![0; 63]),
        Err(CompositeError::BufferSize {
            expected: 64,
            actual: 63,
            ..
        })
    ));
    assert!(matches!(
        RgbaImage::new(0, 4, vec![]),
        Err(CompositeError::Dimensions { .. })
    ));
    let photo = solid(50, 50, [1, 2, 3]);
    let tex = texture(solid(4, 4, [9, 9, 9]));
    let bow_tie = Placement {
        corners: [p(0.0, 0.0), p(40.0, 40.0), p(40.0, 0.0), p(0.0, 40.0)],
        width_m: 1.0,
        depth_m: 1.0,
    };
    assert_eq!(
        composite(&photo, &tex, &bow_tie, CompositeOptions::default()),
        Err(CompositeError::NotConvex)
    );
    let flat = Placement {
        corners: [p(0.0, 0.0), p(10.0, 10.0), p(20.0, 20.0), p(30.0, 30.0)],
        width_m: 1.0,
        depth_m: 1.0,
    };
    assert_eq!(
        composite(&photo, &tex, &flat, CompositeOptions::default()),
        Err(CompositeError::NotConvex)
    );
    let nan = Placement {
        corners: [p(f32::NAN, 0.0), p(40.0, 0.0), p(40.0, 40.0), p(0.0, 40.0)],
        width_m: 1.0,
        depth_m: 1.0,
    };
    assert_eq!(
        composite(&photo, &tex, &nan, CompositeOptions::default()),
        Err(CompositeError::NotConvex)
    );
    let zero = Placement {
        corners: [p(0.0, 0.0), p(40.0, 0.0), p(40.0, 40.0), p(0.0, 40.0)],
        width_m: 0.0,
        depth_m: 1.0,
    };
    assert!(matches!(
        composite(&photo, &tex, &zero, CompositeOptions::default()),
        Err(CompositeError::Size { .. })
    ));
    // A region entirely off the picture leaves it as it was.
    let off = Placement {
        corners: [
            p(100.0, 100.0),
            p(140.0, 100.0),
            p(140.0, 140.0),
            p(100.0, 140.0),
        ],
        width_m: 1.0,
        depth_m: 1.0,
    };
    assert_eq!(
        composite(&photo, &tex, &off, CompositeOptions::default()).unwrap(),
        photo
    );
}
