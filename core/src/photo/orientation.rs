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
}
