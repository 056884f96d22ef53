//! The texture tile in linear light with its mip pyramid, sampled with wrap-around (tiles repeat)
//! and trilinear filtering, so a tile seen from far away averages out instead of shimmering.

use super::RgbaImage;
use super::colour::srgb_to_linear;

/// One level: RGB in linear light.
#[derive(Debug, Clone)]
struct Level {
    width: usize,
    height: usize,
    texels: Vec<[f32; 3]>,
}

/// Level 0 is the tile; each next level halves both sides (at least 1) by 2×2 averages.
#[derive(Debug, Clone)]
pub struct MipPyramid {
    levels: Vec<Level>,
}

impl MipPyramid {
    /// The pyramid of `tile`.
    pub fn new(tile: &RgbaImage) -> Self {
        let (width, height) = (tile.width() as usize, tile.height() as usize);
        let texels = tile
            .pixels()
            .chunks_exact(4)
            .map(|p| {
                [
                    srgb_to_linear(p[0]),
                    srgb_to_linear(p[1]),
                    srgb_to_linear(p[2]),
                ]
            })
            .collect();
        let mut levels = vec![Level {
            width,
            height,
            texels,
        }];
        while let Some(last) = levels.last()
            && (last.width > 1 || last.height > 1)
        {
            let (w, h) = ((last.width / 2).max(1), (last.height / 2).max(1));
            let mut texels = Vec::with_capacity(w * h);
            for y in 0..h {
                for x in 0..w {
                    let mut sum = [0.0f32; 3];
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let t = last.texels
                            [((2 * y + dy) % last.height) * last.width + (2 * x + dx) % last.width];
                        for c in 0..3 {
                            sum[c] += t[c];
                        }
                    }
                    texels.push(sum.map(|s| s / 4.0));
                }
            }
            levels.push(Level {
                width: w,
                height: h,
                texels,
            });
        }
        Self { levels }
    }

    /// Level 0's width.
    pub fn width(&self) -> usize {
        self.levels[0].width
    }

    /// Level 0's height.
    pub fn height(&self) -> usize {
        self.levels[0].height
    }

    /// The colour at level-0 texel coordinates (s, t) for a pixel covering `footprint` texels.
    pub fn sample(&self, s: f64, t: f64, footprint: f64) -> [f32; 3] {
        let top = (self.levels.len() - 1) as f64;
        let lod = if footprint > 1.0 {
            footprint.log2().min(top)
        } else {
            0.0
        };
        let lower = lod.floor() as usize;
        let blend = (lod - lower as f64) as f32;
        let a = self.bilinear(lower, s, t);
        if blend <= 0.0 || lower + 1 >= self.levels.len() {
            return a;
        }
        let b = self.bilinear(lower + 1, s, t);
        let mut out = a;
        for c in 0..3 {
            out[c] += (b[c] - a[c]) * blend;
        }
        out
    }

    fn bilinear(&self, level: usize, s: f64, t: f64) -> [f32; 3] {
        let base = &self.levels[0];
        let l = &self.levels[level];
        // Scale to this level, texel centres at +0.5.
        let x = s * l.width as f64 / base.width as f64 - 0.5;
        let y = t * l.height as f64 / base.height as f64 - 0.5;
        // floor() by hand: without SSE4.1 it is a call into libm, and this is the inner loop.
        // (Far from the origin f64 → i64 saturates; the tile repeats, so any wrap is right.)
        let floor = |v: f64| {
            let i = v as i64;
            if (i as f64) > v { i - 1 } else { i }
        };
        let (fx, fy) = (floor(x), floor(y));
        let (wx, wy) = ((x - fx as f64) as f32, (y - fy as f64) as f32);
        let (x0, y0) = (
            fx.rem_euclid(l.width as i64) as usize,
            fy.rem_euclid(l.height as i64) as usize,
        );
        let (x1, y1) = ((x0 + 1) % l.width, (y0 + 1) % l.height);
        let at = |x: usize, y: usize| l.texels[y * l.width + x];
        let (p00, p10, p01, p11) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
        let mut out = [0.0f32; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * wx;
            let bottom = p01[c] + (p11[c] - p01[c]) * wx;
            out[c] = top + (bottom - top) * wy;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(size: u32) -> RgbaImage {
        let mut pixels = Vec::new();
        for y in 0..size {
            for x in 0..size {
                let v = if (x + y) % 2 == 0 { 255 } else { 0 };
                pixels.extend_from_slice(&[v, v, v, 255]);
            }
        }
        RgbaImage::new(size, size, pixels).unwrap()
    }

    #[test]
    fn a_far_away_checkerboard_averages_to_half_the_light() {
        let mips = MipPyramid::new(&checker(64));
        let far = mips.sample(13.3, 40.7, 256.0);
        assert!(far.iter().all(|c| (c - 0.5).abs() < 1e-4), "{far:?}");
        let near = mips.sample(0.5, 0.5, 1.0);
        assert!((near[0] - 1.0).abs() < 1e-6, "{near:?}");
    }

    #[test]
    fn sampling_wraps_around() {
        let mips = MipPyramid::new(&checker(8));
        assert_eq!(mips.sample(0.5, 0.5, 1.0), mips.sample(8.5, -7.5, 1.0));
    }
}
