//! The room's light, to put on the texture: the photo's luminance (linear light), blurred so the
//! old surface's own pattern disappears while shadows and light falls stay, divided by its mean
//! over the region. A texture multiplied by it is as much darker in a shadow, and brighter in a
//! patch of sun, as the old surface was.

use super::colour::srgb_to_linear;
use super::{Region, RgbaImage};

/// Blur radius as a share of the photo's diagonal: wide enough that a patterned rug or tiled
/// floor under the new surface does not show through as blotches (measured on the golden
/// images: at 1.2 % a rug's flowers came through), narrow enough to keep a lamp's pool of light.
const BLUR_SHARE: f64 = 0.03;
/// Light differences are softened by this power: what remains of the old surface's own
/// brightness (a dark rug on a pale floor) weighs less than real shadows, which are broad.
const SHADE_GAMMA: f32 = 0.7;
/// The darkest and brightest factor applied (keeps a black hole or a window from blowing out).
const SHADE_RANGE: (f32, f32) = (0.15, 2.5);

/// The light factor for every pixel of a rectangle.
#[derive(Debug, Clone)]
pub struct ShadeMap {
    x0: usize,
    y0: usize,
    width: usize,
    factors: Vec<f32>,
}

impl ShadeMap {
    /// The light over `bounds` = (x0, y0, x1, y1) of `photo`, relative to its mean over `region`.
    pub fn new(photo: &RgbaImage, region: &Region, bounds: (usize, usize, usize, usize)) -> Self {
        let (x0, y0, x1, y1) = bounds;
        let (pw, ph) = (photo.width() as usize, photo.height() as usize);
        let diagonal = ((pw * pw + ph * ph) as f64).sqrt();
        let r = ((diagonal * BLUR_SHARE).round() as usize).max(2);
        // Luminance over the rectangle grown by the radius, as a summed-area table.
        let (gx0, gy0) = (x0.saturating_sub(r), y0.saturating_sub(r));
        let (gx1, gy1) = ((x1 + r).min(pw), (y1 + r).min(ph));
        let (gw, gh) = (gx1 - gx0, gy1 - gy0);
        let mut sums = vec![0.0f64; (gw + 1) * (gh + 1)];
        let pixels = photo.pixels();
        for y in 0..gh {
            let mut row = 0.0;
            for x in 0..gw {
                let i = ((gy0 + y) * pw + gx0 + x) * 4;
                let luminance = 0.2126 * srgb_to_linear(pixels[i])
                    + 0.7152 * srgb_to_linear(pixels[i + 1])
                    + 0.0722 * srgb_to_linear(pixels[i + 2]);
                row += f64::from(luminance);
                sums[(y + 1) * (gw + 1) + x + 1] = sums[y * (gw + 1) + x + 1] + row;
            }
        }
        let blurred = |x: usize, y: usize| -> f64 {
            // (x, y) in photo pixels; the box clipped to the grown rectangle.
            let (lx, ly) = ((x - gx0).saturating_sub(r), (y - gy0).saturating_sub(r));
            let (hx, hy) = ((x - gx0 + r + 1).min(gw), (y - gy0 + r + 1).min(gh));
            let at = |x: usize, y: usize| sums[y * (gw + 1) + x];
            let total = at(hx, hy) - at(lx, hy) - at(hx, ly) + at(lx, ly);
            total / ((hx - lx) * (hy - ly)) as f64
        };
        let width = x1 - x0;
        let mut values = Vec::with_capacity(width * (y1 - y0));
        let (mut weighted, mut weight) = (0.0, 0.0);
        for y in y0..y1 {
            for x in x0..x1 {
                let value = blurred(x, y);
                let coverage = region.coverage(x as f64 + 0.5, y as f64 + 0.5);
                weighted += value * coverage;
                weight += coverage;
                values.push(value);
            }
        }
        let mean = if weight > 0.0 { weighted / weight } else { 0.0 };
        let factors = values
            .into_iter()
            .map(|v| {
                if mean > 1e-6 {
                    ((v / mean) as f32)
                        .powf(SHADE_GAMMA)
                        .clamp(SHADE_RANGE.0, SHADE_RANGE.1)
                } else {
                    1.0
                }
            })
            .collect();
        Self {
            x0,
            y0,
            width,
            factors,
        }
    }

    /// The factor at photo pixel (x, y), which lies inside the rectangle.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.factors[(y - self.y0) * self.width + (x - self.x0)]
    }
}
