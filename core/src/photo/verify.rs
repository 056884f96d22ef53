//! Verification of a cleaned photo before it is used: it parses, has the expected size, and
//! carries no metadata except the structural segments we write ourselves. A failure is an error.

use crate::photo::strip::{Layout, parse};
use crate::photo::{CarrierKind, ImageFormat, Limits, Orientation, PhotoError, jpeg};

/// What verification established about a cleaned photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedImage {
    /// The format.
    pub format: ImageFormat,
    /// Displayed width.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// The orientation the file still states (only ever through our minimal EXIF).
    pub orientation: Orientation,
}

/// Verify `data` is a clean `format` image displayed at `expected` (width, height).
pub fn verify_clean(
    data: &[u8],
    format: ImageFormat,
    expected: (u32, u32),
) -> Result<VerifiedImage, PhotoError> {
    let fail = |why: String| PhotoError::VerificationFailed(why);
    let limits = Limits {
        max_bytes: usize::MAX,
        max_pixels: u64::MAX,
    };
    let (found, layout) =
        parse(data, &limits).map_err(|e| fail(format!("the output does not parse: {e}")))?;
    if found != format {
        return Err(fail(format!("expected {format}, found {found}")));
    }
    for carrier in layout.carriers() {
        let own =
            matches!(layout, Layout::Jpeg(_)) && jpeg::is_own_structural_segment(carrier, data);
        if !own {
            return Err(fail(format!(
                "{} ({} bytes at offset {}) is still present",
                carrier.name, carrier.length, carrier.offset
            )));
        }
    }
    if layout
        .carriers()
        .iter()
        .any(|c| c.kind == CarrierKind::Trailer)
    {
        return Err(fail("bytes after the end of the image".into()));
    }
    let orientation = layout.orientation();
    let (sw, sh) = layout.stored_dimensions();
    let (width, height) = orientation.displayed(sw, sh);
    if (width, height) != expected {
        return Err(fail(format!(
            "expected {}×{}, found {width}×{height}",
            expected.0, expected.1
        )));
    }
    Ok(VerifiedImage {
        format,
        width,
        height,
        orientation,
    })
}
