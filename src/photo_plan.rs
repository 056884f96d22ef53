//! What to do with a photo before any pixel is touched: strip it, and either keep it losslessly
//! or say exactly how the browser must redraw it (size, turn) — then check what came back.
//!
//! Platform-free so the decision is tested natively; the widget's browser code only executes it.

use vitrine_core::photo::strip::{OrientationOutput, strip_with};
use vitrine_core::photo::{
    Cleaned, ImageFormat, Limits, Orientation, PhotoError, Stripped, jpeg, strip,
    target_dimensions, verify_clean,
};

/// JPEG quality the browser encoder is asked for (the same as the Rust path's default).
pub const JPEG_QUALITY: f64 = 0.88;

/// The outcome of planning.
#[derive(Debug)]
pub enum Plan {
    /// Already small enough and displayable upright: stripped and verified, nothing re-encoded.
    Done(Cleaned),
    /// The pixels must be decoded, turned and downscaled.
    Redraw(Redraw),
}

/// Instructions for the browser codec, and what its output will be checked against.
#[derive(Debug)]
pub struct Redraw {
    /// The photo with every carrier removed and *no* orientation left in it, so the browser's
    /// own EXIF handling cannot turn it a second time (or fail to turn it).
    pub stripped: Stripped,
    /// Size to decode-and-resize to, in stored (unturned) orientation.
    pub decode_size: (u32, u32),
    /// Size of the output canvas, as displayed.
    pub output_size: (u32, u32),
    /// `setTransform` matrix that draws the decoded bitmap upright onto the output canvas.
    pub transform: [f64; 6],
    /// Displayed size of the original.
    pub original_size: (u32, u32),
}

impl Redraw {
    /// The MIME type the stripped bytes are handed to the browser decoder under.
    pub fn mime_type(&self) -> &'static str {
        self.stripped.format.mime_type()
    }

    /// Check the browser encoder's output and wrap it: strip again (the encoder writes its own
    /// JFIF header, and a future browser might add more), then verify size and cleanliness.
    /// A failure here is an error, never a silent pass.
    pub fn finish(self, encoded: &[u8], limits: &Limits) -> Result<Cleaned, PhotoError> {
        let restripped = strip(encoded, limits)?;
        if restripped.format != ImageFormat::Jpeg {
            return Err(PhotoError::VerificationFailed(format!(
                "the browser encoder produced {}, not JPEG",
                restripped.format
            )));
        }
        verify_clean(&restripped.bytes, ImageFormat::Jpeg, self.output_size)?;
        Ok(Cleaned {
            bytes: restripped.bytes,
            format: ImageFormat::Jpeg,
            width: self.output_size.0,
            height: self.output_size.1,
            original_width: self.original_size.0,
            original_height: self.original_size.1,
            reencoded: true,
            report: self.stripped.report,
        })
    }
}

/// Strip `data` and decide: keep it (already at most `max_side`, and upright or a JPEG whose
/// orientation is re-stated in a minimal EXIF) or redraw it in the browser.
pub fn plan(data: &[u8], max_side: u32, limits: &Limits) -> Result<Plan, PhotoError> {
    let restated = strip_with(data, limits, OrientationOutput::Restate)?;
    let original_size = restated.displayed_dimensions();
    let target = target_dimensions(original_size.0, original_size.1, max_side);
    let keeps_orientation =
        restated.orientation == Orientation::Normal || restated.format == ImageFormat::Jpeg;
    if target == original_size && keeps_orientation {
        verify_clean(&restated.bytes, restated.format, target)?;
        return Ok(Plan::Done(Cleaned {
            format: restated.format,
            width: target.0,
            height: target.1,
            original_width: original_size.0,
            original_height: original_size.1,
            reencoded: false,
            report: restated.report,
            bytes: restated.bytes,
        }));
    }
    let stripped = strip_with(data, limits, OrientationOutput::Omit)?;
    // Browsers decode arithmetic-coded JPEGs inconsistently; refuse them as the Rust path does.
    if stripped.format == ImageFormat::Jpeg && jpeg::parse(&stripped.bytes)?.frame.arithmetic {
        return Err(PhotoError::UnsupportedJpegCoding("arithmetic"));
    }
    let orientation = stripped.orientation;
    let decode_size = if orientation.swaps_dimensions() {
        (target.1, target.0)
    } else {
        target
    };
    Ok(Plan::Redraw(Redraw {
        decode_size,
        output_size: target,
        transform: orientation.canvas_transform(decode_size),
        original_size,
        stripped,
    }))
}

#[cfg(test)]
#[path = "../tests/support/tiny_jpeg.rs"]
mod tiny_jpeg;

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_orientation(width: u16, height: u16, orientation: u16) -> Vec<u8> {
        tiny_jpeg::tiny_jpeg(width, height, Some(orientation))
    }

    #[test]
    fn a_small_rotated_jpeg_is_kept_losslessly_with_its_orientation_restated() {
        let data = jpeg_with_orientation(40, 30, 6);
        match plan(&data, 2048, &Limits::default()) {
            Ok(Plan::Done(cleaned)) => {
                assert!(!cleaned.reencoded);
                assert_eq!((cleaned.width, cleaned.height), (30, 40));
            }
            other => panic!("expected a lossless plan, got {other:?}"),
        }
    }

    #[test]
    fn a_big_rotated_jpeg_is_redrawn_turned_and_downscaled() {
        let data = jpeg_with_orientation(4000, 3000, 6);
        match plan(&data, 2048, &Limits::default()) {
            Ok(Plan::Redraw(redraw)) => {
                assert_eq!(redraw.decode_size, (2048, 1536));
                assert_eq!(redraw.output_size, (1536, 2048));
                assert_eq!(redraw.original_size, (3000, 4000));
                assert_eq!(
                    redraw.transform,
                    Orientation::Rotate90.canvas_transform((2048, 1536))
                );
                assert_eq!(redraw.mime_type(), "image/jpeg");
                assert!(!redraw.stripped.orientation_restated);
            }
            other => panic!("expected a redraw, got {other:?}"),
        }
    }

    #[test]
    fn hostile_input_is_refused_with_its_code() {
        let codes = |data: &[u8]| {
            plan(data, 2048, &Limits::default())
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(codes(b""), Err("empty_file"));
        assert_eq!(codes(b"GIF89a\x01\0\x01\0"), Err("unsupported_format"));
        assert_eq!(
            codes(&jpeg_with_orientation(65500, 65500, 1)),
            Err("too_many_pixels")
        );
    }

    #[test]
    fn finish_refuses_output_that_is_not_the_planned_size() {
        let Ok(Plan::Redraw(redraw)) = plan(
            &jpeg_with_orientation(4000, 3000, 1),
            2048,
            &Limits::default(),
        ) else {
            panic!("expected a redraw");
        };
        let wrong = jpeg_with_orientation(100, 100, 1);
        let err = redraw
            .finish(&wrong, &Limits::default())
            .expect_err("wrong size must fail");
        assert_eq!(err.code(), "verification_failed");
    }
}
