//! Photo → network input: fit inside a fixed size keeping the aspect ratio (letterbox), pad with
//! black, and lay the pixels out as each network was trained: planar RGB 0–255 (NCHW) for
//! CenterFace, interleaved RGB in −1…1 (NHWC) for MediaPipe's person detector.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use tract_onnx::prelude::*;

use crate::PersonCheckError;

/// `photo` fitted into `width`×`height` as a `[1, 3, height, width]` tensor of 0–255 values.
pub fn letterboxed_nchw(
    photo: &image::RgbImage,
    width: u32,
    height: u32,
) -> Result<Tensor, PersonCheckError> {
    let (fitted, fitted_width) = fit(photo, width, height)?;
    let (width, height) = (width as usize, height as usize);
    let plane = width * height;
    let mut planar = vec![0f32; 3 * plane];
    for (row_index, row) in fitted.buffer().chunks_exact(fitted_width * 3).enumerate() {
        for (column, pixel) in row.chunks_exact(3).enumerate() {
            let at = row_index * width + column;
            planar[at] = f32::from(pixel[0]);
            planar[plane + at] = f32::from(pixel[1]);
            planar[2 * plane + at] = f32::from(pixel[2]);
        }
    }
    Tensor::from_shape(&[1, 3, height, width], &planar)
        .map_err(|e| PersonCheckError::Inference(e.to_string()))
}

/// `photo` fitted into `width`×`height` as a `[1, height, width, 3]` tensor of values in −1…1
/// (black padding is −1).
pub fn letterboxed_nhwc_signed(
    photo: &image::RgbImage,
    width: u32,
    height: u32,
) -> Result<Tensor, PersonCheckError> {
    let (fitted, fitted_width) = fit(photo, width, height)?;
    let (width, height) = (width as usize, height as usize);
    let mut interleaved = vec![-1f32; 3 * width * height];
    for (row_index, row) in fitted.buffer().chunks_exact(fitted_width * 3).enumerate() {
        let start = row_index * width * 3;
        for (out, value) in interleaved[start..start + row.len()].iter_mut().zip(row) {
            *out = f32::from(*value) / 127.5 - 1.0;
        }
    }
    Tensor::from_shape(&[1, height, width, 3], &interleaved)
        .map_err(|e| PersonCheckError::Inference(e.to_string()))
}

/// The photo scaled to fit inside `width`×`height`, top-left aligned, and its width in pixels.
fn fit(
    photo: &image::RgbImage,
    width: u32,
    height: u32,
) -> Result<(Image<'static>, usize), PersonCheckError> {
    let (w, h) = photo.dimensions();
    if w == 0 || h == 0 {
        return Err(PersonCheckError::EmptyPhoto {
            width: w,
            height: h,
        });
    }
    let scale = (f64::from(width) / f64::from(w)).min(f64::from(height) / f64::from(h));
    let fit = |side: u32, limit: u32| -> u32 {
        ((f64::from(side) * scale).round() as u32).clamp(1, limit)
    };
    let (fw, fh) = (fit(w, width), fit(h, height));
    let source = ImageRef::new(w, h, photo.as_raw(), PixelType::U8x3)
        .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
    let mut fitted = Image::new(fw, fh, PixelType::U8x3);
    Resizer::new()
        .resize(
            &source,
            &mut fitted,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
    Ok((fitted, fw as usize))
}
