//! Budgets that keep hostile input from costing unbounded time or memory.

use serde::{Deserialize, Serialize};

/// Budgets checked before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest input accepted, in bytes. Phone photos are under 30 MB; the rest is abuse.
    pub max_bytes: usize,
    /// Largest declared pixel count accepted. A decompression bomb declares a huge canvas in a
    /// few bytes; refusing by the header means we never allocate for it. 48-megapixel phone
    /// photos (8000×6000) must pass, with headroom for 50 and 64 MP sensors.
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            max_pixels: 100_000_000,
        }
    }
}

/// What [`crate::photo::clean`] produces and within which budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanOptions {
    /// Long side of the output, in pixels. Photos already this small are stripped losslessly.
    pub max_side: u32,
    /// JPEG quality (1–100) when the photo has to be re-encoded.
    pub jpeg_quality: u8,
    /// Input budgets.
    pub limits: Limits,
}

impl Default for CleanOptions {
    fn default() -> Self {
        Self {
            max_side: 2048,
            jpeg_quality: 88,
            limits: Limits::default(),
        }
    }
}
