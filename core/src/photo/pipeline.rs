//! The whole pipeline: strip, keep upright, downscale, verify.

use serde::{Deserialize, Serialize};

use crate::photo::{ImageFormat, RemovalReport};

/// A photo ready to leave the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleaned {
    /// The verified output bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Output format (the input's when lossless, JPEG when re-encoded).
    pub format: ImageFormat,
    /// Displayed width of the output.
    pub width: u32,
    /// Displayed height of the output.
    pub height: u32,
    /// Displayed width of the original.
    pub original_width: u32,
    /// Displayed height of the original.
    pub original_height: u32,
    /// Whether pixels were decoded and re-encoded (false: stripped losslessly).
    pub reencoded: bool,
    /// What was removed.
    pub report: RemovalReport,
}

/// The size a photo of `width`×`height` is brought down to so its long side is at most
/// `max_side`, keeping the aspect ratio; never enlarged, never zero.
pub fn target_dimensions(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_side || max_side == 0 {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let scaled =
            (u64::from(side) * u64::from(max_side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(max_side).clamp(1, max_side)
    };
    (scale(width), scale(height))
}

#[cfg(feature = "codec")]
pub use with_codec::clean;

#[cfg(feature = "codec")]
mod with_codec {
    use super::*;
    use crate::photo::{CleanOptions, PhotoError, resize, strip, verify_clean};

    /// Clean a photo: strip every carrier, keep it upright, downscale to `max_side`, verify.
    /// A photo already small enough (and upright, or a JPEG whose orientation can be re-stated)
    /// is stripped losslessly, without re-encoding.
    pub fn clean(data: &[u8], options: &CleanOptions) -> Result<Cleaned, PhotoError> {
        let stripped = strip(data, &options.limits)?;
        let (original_width, original_height) = stripped.displayed_dimensions();
        let target = target_dimensions(original_width, original_height, options.max_side);
        if target == (original_width, original_height) && stripped.displays_upright() {
            verify_clean(&stripped.bytes, stripped.format, target)?;
            return Ok(Cleaned {
                bytes: stripped.bytes,
                format: stripped.format,
                width: target.0,
                height: target.1,
                original_width,
                original_height,
                reencoded: false,
                report: stripped.report,
            });
        }
        if stripped.arithmetic_coding {
            return Err(PhotoError::UnsupportedJpegCoding("arithmetic"));
        }
        let encoded = resize::reencode(&stripped, target, options.jpeg_quality, &options.limits)?;
        // Our encoder writes its own JFIF header: strip again so only our minimal one remains.
        let restripped = strip(&encoded, &options.limits)?;
        verify_clean(&restripped.bytes, ImageFormat::Jpeg, target)?;
        Ok(Cleaned {
            bytes: restripped.bytes,
            format: ImageFormat::Jpeg,
            width: target.0,
            height: target.1,
            original_width,
            original_height,
            reencoded: true,
            report: stripped.report,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_keeps_aspect_and_never_enlarges() {
        assert_eq!(target_dimensions(4000, 3000, 2048), (2048, 1536));
        assert_eq!(target_dimensions(3000, 4000, 2048), (1536, 2048));
        assert_eq!(target_dimensions(800, 600, 2048), (800, 600));
        assert_eq!(target_dimensions(65000, 1, 2048), (2048, 1));
        assert_eq!(target_dimensions(8000, 6000, 2048), (2048, 1536));
    }
}
