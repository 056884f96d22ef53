//! The perspective map between the unit square (texture space: `u` across, `v` into the surface)
//! and a quadrilateral in the photo, and its inverse.
//!
//! Closed form of the square-to-quad projective map (Heckbert, "Fundamentals of Texture Mapping
//! and Image Warping", 1989, §2.2.3): exact for the four corners, no linear solve.

/// A point in photo pixel coordinates (x right, y down; pixel centres at +0.5).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// Across.
    pub x: f32,
    /// Down.
    pub y: f32,
}

/// A 3×3 projective map, row-major, `m[8]` normalised to 1 where possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography {
    m: [f64; 9],
}

impl Homography {
    /// The map sending (0,0), (1,0), (1,1), (0,1) to `quad[0..4]`, or `None` if the quad is
    /// degenerate (three corners on a line, or a corner at infinity).
    pub fn square_to_quad(quad: [Point; 4]) -> Option<Self> {
        let [p0, p1, p2, p3] = quad.map(|p| (f64::from(p.x), f64::from(p.y)));
        let (dx1, dy1) = (p1.0 - p2.0, p1.1 - p2.1);
        let (dx2, dy2) = (p3.0 - p2.0, p3.1 - p2.1);
        let (dx3, dy3) = (p0.0 - p1.0 + p2.0 - p3.0, p0.1 - p1.1 + p2.1 - p3.1);
        let (g, h) = if dx3.abs() < 1e-12 && dy3.abs() < 1e-12 {
            (0.0, 0.0)
        } else {
            let det = dx1 * dy2 - dx2 * dy1;
            if det.abs() < 1e-12 {
                return None;
            }
            ((dx3 * dy2 - dx2 * dy3) / det, (dx1 * dy3 - dx3 * dy1) / det)
        };
        let m = [
            p1.0 - p0.0 + g * p1.0,
            p3.0 - p0.0 + h * p3.0,
            p0.0,
            p1.1 - p0.1 + g * p1.1,
            p3.1 - p0.1 + h * p3.1,
            p0.1,
            g,
            h,
            1.0,
        ];
        let map = Self { m };
        (map.determinant().abs() > 1e-9).then_some(map)
    }

    fn determinant(&self) -> f64 {
        let m = &self.m;
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    /// The inverse map, or `None` if singular.
    pub fn inverse(&self) -> Option<Self> {
        let det = self.determinant();
        if det.abs() < 1e-12 {
            return None;
        }
        let m = &self.m;
        let adj = [
            m[4] * m[8] - m[5] * m[7],
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8],
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6],
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        Some(Self {
            m: adj.map(|v| v / det),
        })
    }

    /// Applies the map; `None` where the point maps to infinity (behind the horizon).
    pub fn apply(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let m = &self.m;
        let w = m[6] * x + m[7] * y + m[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some((
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        ))
    }

    /// The matrix, row-major: `x' = (m0 x + m1 y + m2) / w`, `y' = (m3 x + m4 y + m5) / w`,
    /// `w = m6 x + m7 y + m8`.
    pub fn coefficients(&self) -> [f64; 9] {
        self.m
    }

    /// The homogeneous denominator at (x, y): its sign tells which side of the horizon the point
    /// is on (the quad's own side is the side of its corners).
    pub fn w(&self, x: f64, y: f64) -> f64 {
        self.m[6] * x + self.m[7] * y + self.m[8]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(x: f32, y: f32) -> Point {
        Point { x, y }
    }

    #[test]
    fn corners_map_exactly_and_back() {
        let quad = [
            p(400.0, 700.0),
            p(1500.0, 690.0),
            p(1900.0, 1400.0),
            p(100.0, 1450.0),
        ];
        let h = Homography::square_to_quad(quad).unwrap();
        let inv = h.inverse().unwrap();
        for (corner, (u, v)) in quad
            .iter()
            .zip([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])
        {
            let (x, y) = h.apply(u, v).unwrap();
            assert!(
                (x - f64::from(corner.x)).abs() < 1e-6 && (y - f64::from(corner.y)).abs() < 1e-6
            );
            let (u2, v2) = inv.apply(x, y).unwrap();
            assert!((u2 - u).abs() < 1e-9 && (v2 - v).abs() < 1e-9);
        }
    }

    #[test]
    fn degenerate_quads_are_refused() {
        assert!(
            Homography::square_to_quad([p(0.0, 0.0), p(1.0, 1.0), p(2.0, 2.0), p(3.0, 3.0)])
                .is_none()
        );
        assert!(Homography::square_to_quad([p(5.0, 5.0); 4]).is_none());
    }

    proptest! {
        #[test]
        fn inverse_undoes_the_map(
            x0 in 0f32..500.0, y0 in 0f32..500.0,
            w in 50f32..1500.0, h in 50f32..1500.0,
            skew in -0.3f32..0.3, u in 0f64..1.0, v in 0f64..1.0,
        ) {
            let quad = [
                p(x0 + skew * w, y0),
                p(x0 + w - skew * w, y0),
                p(x0 + w, y0 + h),
                p(x0, y0 + h),
            ];
            let map = Homography::square_to_quad(quad).unwrap();
            let inv = map.inverse().unwrap();
            let (x, y) = map.apply(u, v).unwrap();
            let (u2, v2) = inv.apply(x, y).unwrap();
            prop_assert!((u2 - u).abs() < 1e-6 && (v2 - v).abs() < 1e-6);
        }
    }
}
