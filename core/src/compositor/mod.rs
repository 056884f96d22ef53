//! The built-in compositor: lays a product's texture onto a floor or wall region of a room photo.
//!
//! Deterministic and offline, with no dependency beyond the standard library, so the render
//! server and the widget ("render on this device") run the very same code. Steps:
//! 1. the region is the convex quadrilateral the shopper placed (far-left, far-right, near-right,
//!    near-left for a floor; top-left, top-right, bottom-right, bottom-left for a wall), mapped
//!    from the unit square with a true perspective map ([`homography`]);
//! 2. every photo pixel inside it is mapped back into the surface and the texture is sampled
//!    there, tiled at its real size over the surface's real size, from a mip pyramid chosen by
//!    the pixel's footprint, so far-away tiles do not shimmer ([`texture`]);
//! 3. the texture is lit like the room: multiplied by the photo's local luminance (blurred, so
//!    shadows and light falls stay while the old floor's own pattern does not), relative to the
//!    region's mean ([`light`]);
//! 4. edges are anti-aliased and feathered by the pixel's distance to the region's border;
//!    everything is mixed in linear light and pixels outside the region are left untouched.
//!
//! Occluders (a sofa standing on the floor) are not detected: the texture covers whatever is
//! inside the region the shopper placed. Shaping the region around them is theirs to do.

mod colour;
pub mod homography;
mod light;
mod texture;

pub use homography::{Homography, Point};

use colour::{linear_to_srgb, srgb_to_linear};
use texture::MipPyramid;

/// Most texture samples per pixel along a receding surface's depth.
const MAX_ANISOTROPY: f64 = 4.0;

/// Largest photo the compositor accepts (48 MP phone photos are downscaled before this).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Why a render could not be composed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompositeError {
    /// The pixel buffer's length does not match its dimensions.
    #[error("the image buffer holds {actual} bytes, but {width}×{height} RGBA needs {expected}")]
    BufferSize {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Bytes needed.
        expected: u64,
        /// Bytes given.
        actual: usize,
    },
    /// An image is empty or larger than [`MAX_PIXELS`].
    #[error("the image is {width}×{height}; it must be non-empty and at most {MAX_PIXELS} pixels")]
    Dimensions {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The region is not a convex quadrilateral with some area.
    #[error("the four corners do not make a convex region (they cross, or lie on a line)")]
    NotConvex,
    /// A real-world size is not a positive finite number.
    #[error("{what} must be a positive length in metres, not {value}")]
    Size {
        /// Which size.
        what: &'static str,
        /// The value given.
        value: f32,
    },
}

/// An RGBA image, 8 bits per channel, sRGB, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl RgbaImage {
    /// Wraps a buffer of `width × height × 4` bytes.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, CompositeError> {
        let count = u64::from(width) * u64::from(height);
        if count == 0 || count > MAX_PIXELS {
            return Err(CompositeError::Dimensions { width, height });
        }
        let expected = count * 4;
        if pixels.len() as u64 != expected {
            return Err(CompositeError::BufferSize {
                width,
                height,
                expected,
                actual: pixels.len(),
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGBA bytes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The RGBA bytes, owned.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }
}

/// A product's texture: one tile and its real size.
#[derive(Debug, Clone)]
pub struct Texture {
    /// One tile of the material, repeated seamlessly.
    pub tile: RgbaImage,
    /// The tile's real width in metres.
    pub tile_width_m: f32,
    /// The tile's real height (depth, on a floor) in metres.
    pub tile_height_m: f32,
}

/// Where the product goes: the region's corners in photo pixels and the real size it stands for.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    /// Far-left, far-right, near-right, near-left (floor); top-left, top-right, bottom-right,
    /// bottom-left (wall).
    pub corners: [Point; 4],
    /// The region's real width (far or top edge) in metres.
    pub width_m: f32,
    /// The region's real depth (floor) or height (wall) in metres.
    pub depth_m: f32,
}

impl Placement {
    /// A sensible first placement on a `width × height` photo: the lower part of the picture as
    /// a floor seen from standing height, 4 m wide and 4 m deep.
    pub fn default_floor(width: u32, height: u32) -> Self {
        let (w, h) = (width as f32, height as f32);
        Self {
            corners: [
                Point {
                    x: 0.22 * w,
                    y: 0.58 * h,
                },
                Point {
                    x: 0.78 * w,
                    y: 0.58 * h,
                },
                Point {
                    x: 1.02 * w,
                    y: 1.0 * h,
                },
                Point {
                    x: -0.02 * w,
                    y: 1.0 * h,
                },
            ],
            width_m: 4.0,
            depth_m: 4.0,
        }
    }
}

impl Placement {
    /// Whether this placement can be composed: positive real sizes and four corners making a
    /// convex region with some area. [`composite`] checks the same; callers use this to refuse a
    /// bad placement before any other work.
    pub fn validate(&self) -> Result<(), CompositeError> {
        for (what, value) in [
            ("the region's width", self.width_m),
            ("the region's depth", self.depth_m),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(CompositeError::Size { what, value });
            }
        }
        Region::new(self.corners, 1.0)?;
        Homography::square_to_quad(self.corners)
            .and_then(|map| map.inverse())
            .map(drop)
            .ok_or(CompositeError::NotConvex)
    }
}

/// How to compose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompositeOptions {
    /// Width of the soft edge, in photo pixels (at least 1: anti-aliasing).
    pub feather_px: f32,
    /// Light the texture with the room's light and shadow.
    pub keep_light: bool,
}

impl Default for CompositeOptions {
    fn default() -> Self {
        Self {
            feather_px: 1.5,
            keep_light: true,
        }
    }
}

/// Composes `texture` into `photo` over `placement`. Pixels outside the region (beyond the
/// feather) are returned byte for byte.
pub fn composite(
    photo: &RgbaImage,
    texture: &Texture,
    placement: &Placement,
    options: CompositeOptions,
) -> Result<RgbaImage, CompositeError> {
    for (what, value) in [
        ("the tile's width", texture.tile_width_m),
        ("the tile's height", texture.tile_height_m),
        ("the region's width", placement.width_m),
        ("the region's depth", placement.depth_m),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(CompositeError::Size { what, value });
        }
    }
    let region = Region::new(placement.corners, options.feather_px.max(1.0))?;
    let map = Homography::square_to_quad(placement.corners).ok_or(CompositeError::NotConvex)?;
    let back = map.inverse().ok_or(CompositeError::NotConvex)?;

    let (width, height) = (photo.width as usize, photo.height as usize);
    let Some((x0, y0, x1, y1)) = region.pixel_bounds(width, height) else {
        return Ok(photo.clone());
    };
    let mips = MipPyramid::new(&texture.tile);
    // Texels per unit of u and v.
    let repeat_u = f64::from(placement.width_m / texture.tile_width_m);
    let repeat_v = f64::from(placement.depth_m / texture.tile_height_m);
    let (tile_w, tile_h) = (mips.width() as f64, mips.height() as f64);
    let shade = if options.keep_light {
        Some(light::ShadeMap::new(photo, &region, (x0, y0, x1, y1)))
    } else {
        None
    };

    let mut out = photo.pixels.clone();
    // Texture coordinates are a projective function of the pixel: s = S/W, t = T/W with S, T, W
    // linear in (x, y). Their derivatives follow exactly from the same terms, so a pixel costs
    // one division, not three map evaluations. A convex region never contains its vanishing line,
    // so W keeps its sign over every covered pixel.
    let m = back.coefficients();
    let (su, sv) = (repeat_u * tile_w, repeat_v * tile_h);
    let row_bytes = width * 4;
    let paint_row = |y: usize, row: &mut [u8]| {
        let cy = y as f64 + 0.5;
        for x in x0..x1 {
            let cx = x as f64 + 0.5;
            let alpha = region.coverage(cx, cy);
            if alpha <= 0.0 {
                continue;
            }
            let w = m[6] * cx + m[7] * cy + m[8];
            if w.abs() < 1e-12 {
                continue;
            }
            let u = (m[0] * cx + m[1] * cy + m[2]) / w;
            let v = (m[3] * cx + m[4] * cy + m[5]) / w;
            let (s, t) = (u * su, v * sv);
            // The pixel's footprint in the texture: a long thin ellipse where the surface
            // recedes. Filter by its short axis and take up to MAX_ANISOTROPY samples along the
            // long one, or the far tiles would blur to their average colour in the depth
            // direction.
            let along = ((m[0] - u * m[6]) / w * su, (m[3] - v * m[6]) / w * sv);
            let across = ((m[1] - u * m[7]) / w * su, (m[4] - v * m[7]) / w * sv);
            let length = |(a, b): (f64, f64)| (a * a + b * b).sqrt();
            let (major, minor) = if length(along) >= length(across) {
                (along, length(across))
            } else {
                (across, length(along))
            };
            let major_length = length(major);
            let samples = ((major_length / minor.max(1e-9) + 0.5) as usize)
                .clamp(1, MAX_ANISOTROPY as usize) as f64;
            let footprint = minor.max(major_length / MAX_ANISOTROPY);
            let colour = if samples <= 1.0 {
                mips.sample(s, t, footprint)
            } else {
                let mut sum = [0.0f32; 3];
                for k in 0..samples as usize {
                    let offset = (k as f64 + 0.5) / samples - 0.5;
                    let sample = mips.sample(s + major.0 * offset, t + major.1 * offset, footprint);
                    for c in 0..3 {
                        sum[c] += sample[c];
                    }
                }
                sum.map(|c| c / samples as f32)
            };
            let mut colour = colour;
            if let Some(shade) = &shade {
                let k = shade.at(x, y);
                colour = colour.map(|c| c * k);
            }
            let i = x * 4;
            let under_row = &photo.pixels[y * row_bytes..(y + 1) * row_bytes];
            for (c, value) in colour.iter().enumerate() {
                row[i + c] = if alpha >= 1.0 {
                    linear_to_srgb(*value)
                } else {
                    let under = srgb_to_linear(under_row[i + c]);
                    linear_to_srgb(under + (value.min(1.0) - under) * alpha as f32)
                };
            }
        }
    };
    paint_rows(
        &mut out[y0 * row_bytes..y1 * row_bytes],
        row_bytes,
        y0,
        &paint_row,
    );
    Ok(RgbaImage {
        width: photo.width,
        height: photo.height,
        pixels: out,
    })
}

/// Calls `paint(y, row)` for every row of `rows` (row `first_row` first). Natively the rows are
/// shared out in bands of [`ROWS_PER_BAND`] among the CPU's cores (each pixel depends only on its
/// inputs, so the result is the same as one thread's); WebAssembly has one thread here.
fn paint_rows<F>(rows: &mut [u8], row_bytes: usize, first_row: usize, paint: &F)
where
    F: Fn(usize, &mut [u8]) + Sync,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        let band_bytes = ROWS_PER_BAND * row_bytes;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(rows.len().div_ceil(band_bytes.max(1)))
            .min(8);
        if threads > 1 {
            let bands = std::sync::Mutex::new(rows.chunks_mut(band_bytes).enumerate());
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| {
                        loop {
                            let next = bands.lock().map(|mut b| b.next());
                            let Ok(Some((band, chunk))) = next else { break };
                            for (j, row) in chunk.chunks_mut(row_bytes).enumerate() {
                                paint(first_row + band * ROWS_PER_BAND + j, row);
                            }
                        }
                    });
                }
            });
            return;
        }
    }
    for (j, row) in rows.chunks_mut(row_bytes.max(1)).enumerate() {
        paint(first_row + j, row);
    }
}

/// Rows a thread paints before taking the next band (small bands even out the work: a floor's
/// near rows are wider than its far ones).
#[cfg(not(target_arch = "wasm32"))]
const ROWS_PER_BAND: usize = 16;

/// The placed region as a convex polygon: coverage of a pixel by its distance to the edges.
#[derive(Debug, Clone)]
pub(crate) struct Region {
    corners: [(f64, f64); 4],
    /// Inward unit normals and offsets of the four edges: `n · p - offset` is the distance inside.
    edges: [((f64, f64), f64); 4],
    feather: f64,
}

impl Region {
    fn new(corners: [Point; 4], feather: f32) -> Result<Self, CompositeError> {
        let c = corners.map(|p| (f64::from(p.x), f64::from(p.y)));
        if c.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return Err(CompositeError::NotConvex);
        }
        // Convex, non-degenerate: all turns the same way.
        let turns: Vec<f64> = (0..4)
            .map(|i| {
                let (a, b, d) = (c[i], c[(i + 1) % 4], c[(i + 2) % 4]);
                (b.0 - a.0) * (d.1 - b.1) - (b.1 - a.1) * (d.0 - b.0)
            })
            .collect();
        let orientation = turns[0].signum();
        if orientation == 0.0
            || turns
                .iter()
                .any(|t| t.signum() != orientation || t.abs() < 1e-6)
        {
            return Err(CompositeError::NotConvex);
        }
        let mut edges = [((0.0, 0.0), 0.0); 4];
        for (i, edge) in edges.iter_mut().enumerate() {
            let (a, b) = (c[i], c[(i + 1) % 4]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = (dx * dx + dy * dy).sqrt();
            // Inward normal: to the left of the edge when the corners turn counter-clockwise.
            let n = if orientation > 0.0 {
                (-dy / len, dx / len)
            } else {
                (dy / len, -dx / len)
            };
            *edge = (n, n.0 * a.0 + n.1 * a.1);
        }
        Ok(Self {
            corners: c,
            edges,
            feather: f64::from(feather),
        })
    }

    /// How much of the texture covers the pixel centred at (x, y): 0 outside, 1 inside, a ramp
    /// `feather` pixels wide centred on the border.
    pub(crate) fn coverage(&self, x: f64, y: f64) -> f64 {
        let inside = self
            .edges
            .iter()
            .map(|((nx, ny), offset)| nx * x + ny * y - offset)
            .fold(f64::INFINITY, f64::min);
        (inside / self.feather + 0.5).clamp(0.0, 1.0)
    }

    /// The pixel rectangle `[x0, x1) × [y0, y1)` holding every pixel with some coverage, clipped to
    /// the image; `None` if it is empty.
    pub(crate) fn pixel_bounds(
        &self,
        width: usize,
        height: usize,
    ) -> Option<(usize, usize, usize, usize)> {
        let margin = self.feather;
        let fold = |f: fn(f64, f64) -> f64, start: f64, pick: fn(&(f64, f64)) -> f64| {
            self.corners.iter().map(pick).fold(start, f)
        };
        let min_x = fold(f64::min, f64::INFINITY, |c| c.0) - margin;
        let max_x = fold(f64::max, f64::NEG_INFINITY, |c| c.0) + margin;
        let min_y = fold(f64::min, f64::INFINITY, |c| c.1) - margin;
        let max_y = fold(f64::max, f64::NEG_INFINITY, |c| c.1) + margin;
        let clip = |v: f64, limit: usize| v.clamp(0.0, limit as f64) as usize;
        let (x0, x1) = (clip(min_x.floor(), width), clip(max_x.ceil(), width));
        let (y0, y1) = (clip(min_y.floor(), height), clip(max_y.ceil(), height));
        (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
    }
}
