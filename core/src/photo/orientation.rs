//! EXIF Orientation: how the stored pixels must be turned to look as the shopper saw them.
//!
//! Phones store the sensor's pixels as shot and record the turn in EXIF. Dropping EXIF without
//! honouring it makes a portrait arrive sideways (what `exiftool -all=` does to most rotated
//! photos), so every path either re-states it or applies it to the pixels.

use serde::{Deserialize, Serialize};

/// The eight EXIF orientations (TIFF tag 0x0112).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Orientation {
    /// 1: stored upright.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored along the main diagonal.
    Transpose,
    /// 6: must be turned 90° clockwise to display.
    Rotate90,
    /// 7: mirrored along the anti-diagonal.
    Transverse,
    /// 8: must be turned 90° counter-clockwise (270° clockwise) to display.
    Rotate270,
}

impl Orientation {
    /// The orientation an EXIF value names; out-of-range values are treated as upright, as
    /// browsers do.
    pub fn from_exif(value: u32) -> Self {
        match value {
            2 => Self::FlipHorizontal,
            3 => Self::Rotate180,
            4 => Self::FlipVertical,
            5 => Self::Transpose,
            6 => Self::Rotate90,
            7 => Self::Transverse,
            8 => Self::Rotate270,
            _ => Self::Normal,
        }
    }

    /// The EXIF value (1–8).
    pub fn exif_value(self) -> u16 {
        match self {
            Self::Normal => 1,
            Self::FlipHorizontal => 2,
            Self::Rotate180 => 3,
            Self::FlipVertical => 4,
            Self::Transpose => 5,
            Self::Rotate90 => 6,
            Self::Transverse => 7,
            Self::Rotate270 => 8,
        }
    }

    /// Whether width and height trade places on display.
    pub fn swaps_dimensions(self) -> bool {
        matches!(
            self,
            Self::Transpose | Self::Rotate90 | Self::Transverse | Self::Rotate270
        )
    }

    /// Dimensions as displayed, from dimensions as stored.
    pub fn displayed(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_dimensions() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Where the displayed pixel (x, y) comes from in the stored image of size `stored`.
    /// Used to apply the orientation to pixels and by tests that compare appearances.
    pub fn source_of(self, x: u32, y: u32, stored: (u32, u32)) -> (u32, u32) {
        let (w, h) = stored;
        match self {
            Self::Normal => (x, y),
            Self::FlipHorizontal => (w - 1 - x, y),
            Self::Rotate180 => (w - 1 - x, h - 1 - y),
            Self::FlipVertical => (x, h - 1 - y),
            Self::Transpose => (y, x),
            Self::Rotate90 => (y, h - 1 - x),
            Self::Transverse => (w - 1 - y, h - 1 - x),
            Self::Rotate270 => (w - 1 - y, x),
        }
    }

    /// The 2D affine transform `[a, b, c, d, e, f]` (canvas `setTransform` order) that draws an
    /// image stored as `stored` (width, height), placed at the origin, upright onto a canvas of
    /// the displayed size. It is the continuous form of [`Self::source_of`].
    pub fn canvas_transform(self, stored: (u32, u32)) -> [f64; 6] {
        let (w, h) = (f64::from(stored.0), f64::from(stored.1));
        match self {
            Self::Normal => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            Self::FlipHorizontal => [-1.0, 0.0, 0.0, 1.0, w, 0.0],
            Self::Rotate180 => [-1.0, 0.0, 0.0, -1.0, w, h],
            Self::FlipVertical => [1.0, 0.0, 0.0, -1.0, 0.0, h],
            Self::Transpose => [0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            Self::Rotate90 => [0.0, 1.0, -1.0, 0.0, h, 0.0],
            Self::Transverse => [0.0, -1.0, -1.0, 0.0, h, w],
            Self::Rotate270 => [0.0, -1.0, 1.0, 0.0, 0.0, w],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_out_of_range_is_upright() {
        for v in 1..=8u32 {
            assert_eq!(u32::from(Orientation::from_exif(v).exif_value()), v);
        }
        assert_eq!(Orientation::from_exif(0), Orientation::Normal);
        assert_eq!(Orientation::from_exif(9), Orientation::Normal);
    }

    #[test]
    fn rotate90_maps_the_top_left_display_pixel_to_the_stored_bottom_left() {
        // Stored 4 wide × 2 high; displayed 2 wide × 4 high after a 90° clockwise turn.
        assert_eq!(Orientation::Rotate90.displayed(4, 2), (2, 4));
        assert_eq!(Orientation::Rotate90.source_of(0, 0, (4, 2)), (0, 1));
        assert_eq!(Orientation::Rotate90.source_of(1, 0, (4, 2)), (0, 0));
        assert_eq!(Orientation::Rotate270.source_of(0, 0, (4, 2)), (3, 0));
    }

    #[test]
    fn the_canvas_transform_agrees_with_source_of_for_every_orientation() {
        let stored = (5u32, 3u32);
        for v in 1..=8 {
            let o = Orientation::from_exif(v);
            let [a, b, c, d, e, f] = o.canvas_transform(stored);
            let (dw, dh) = o.displayed(stored.0, stored.1);
            for sy in 0..stored.1 {
                for sx in 0..stored.0 {
                    // The centre of stored pixel (sx, sy) lands in the centre of a displayed pixel.
                    let (x, y) = (f64::from(sx) + 0.5, f64::from(sy) + 0.5);
                    let (px, py) = (a * x + c * y + e, b * x + d * y + f);
                    let (dx, dy) = ((px - 0.5).round(), (py - 0.5).round());
                    assert!(
                        dx >= 0.0 && dy >= 0.0 && dx < f64::from(dw) && dy < f64::from(dh),
                        "{o:?}"
                    );
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let back = o.source_of(dx as u32, dy as u32, stored);
                    assert_eq!(back, (sx, sy), "{o:?}");
                }
            }
        }
    }
}
