//! Pixel path (feature `codec`): decode, downscale with a Lanczos filter, turn upright, encode.
//!
//! Used by the CLI, the server and the widget's fallback. Decoding happens only after
//! [`crate::photo::strip`] has checked the declared size against the pixel budget, and the
//! decoder gets its own allocation limit as a second fence.

use std::io::Cursor;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageReader, RgbImage};

use crate::photo::{ImageFormat, Limits, Orientation, PhotoError, Stripped};

fn image_format(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::WebP => image::ImageFormat::WebP,
    }
}

/// Decode stripped bytes to RGB (transparency flattened onto white, as a room photo is shown).
pub fn decode_rgb(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<RgbImage, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(decoder_limits);
    let decoded = reader
        .decode()
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    Ok(flatten_to_rgb(decoded))
}

fn flatten_to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            let v = (u16::from(src[c]) * a + 255 * (255 - a) + 127) / 255;
            dst[c] = u8::try_from(v).unwrap_or(255);
        }
    }
    out
}

/// Decode a photo's pixels as it displays: stored pixels turned by its EXIF Orientation (a photo
/// cleaned losslessly keeps its orientation as a tag, not in its pixels).
pub fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<RgbImage, PhotoError> {
    let stripped = crate::photo::strip(bytes, limits)?;
    let stored = decode_rgb(&stripped.bytes, stripped.format, limits)?;
    Ok(apply_orientation(stored, stripped.orientation))
}

/// Downscale `rgb` (stored orientation) to `stored_target` with Lanczos3.
pub fn downscale(rgb: RgbImage, stored_target: (u32, u32)) -> Result<RgbImage, PhotoError> {
    let (w, h) = rgb.dimensions();
    if (w, h) == stored_target {
        return Ok(rgb);
    }
    let src = Image::from_vec_u8(w, h, rgb.into_raw(), PixelType::U8x3)
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    let mut dst = Image::new(stored_target.0, stored_target.1, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    RgbImage::from_raw(stored_target.0, stored_target.1, dst.into_vec())
        .ok_or_else(|| PhotoError::Encode("resized buffer has the wrong size".into()))
}

/// Turn stored pixels so they display upright.
pub fn apply_orientation(rgb: RgbImage, orientation: Orientation) -> RgbImage {
    let mut image = DynamicImage::ImageRgb8(rgb);
    image.apply_orientation(
        image::metadata::Orientation::from_exif(
            u8::try_from(orientation.exif_value()).unwrap_or(1),
        )
        .unwrap_or(image::metadata::Orientation::NoTransforms),
    );
    image.into_rgb8()
}

/// Encode RGB pixels as a baseline JPEG.
pub fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode_image(rgb)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decode the stripped photo, downscale it to `displayed_target`, turn it upright and encode it.
pub fn reencode(
    stripped: &Stripped,
    displayed_target: (u32, u32),
    quality: u8,
    limits: &Limits,
) -> Result<Vec<u8>, PhotoError> {
    let rgb = decode_rgb(&stripped.bytes, stripped.format, limits)?;
    let (w, h) = rgb.dimensions();
    if (w, h) != (stripped.stored_width, stripped.stored_height) {
        return Err(PhotoError::Decode(format!(
            "decoded {w}×{h} but the header declares {}×{}",
            stripped.stored_width, stripped.stored_height
        )));
    }
    let stored_target = if stripped.orientation.swaps_dimensions() {
        (displayed_target.1, displayed_target.0)
    } else {
        displayed_target
    };
    let upright = apply_orientation(downscale(rgb, stored_target)?, stripped.orientation);
    encode_jpeg(&upright, quality)
}
