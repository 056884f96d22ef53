//! The built-in backend: the compositor in `vitrine-core`, offline and deterministic, run on the
//! blocking pool (a 2048×1536 render is CPU work of a few hundred milliseconds).

use image::RgbImage;
use vitrine_core::ai_label::DigitalSourceType;
use vitrine_core::compositor::{self, CompositeOptions, RgbaImage};

use crate::render::backend::{BackendError, BackendFuture, RenderBackend, RenderJob};

/// The compositor as a render backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltinCompositor;

impl RenderBackend for BuiltinCompositor {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn source_type(&self) -> DigitalSourceType {
        DigitalSourceType::CompositeWithTrainedAlgorithmicMedia
    }

    fn render(&self, job: RenderJob) -> BackendFuture<'_> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || compose(&job))
                .await
                .map_err(|e| BackendError::Failed(format!("the render task failed: {e}")))?
        })
    }
}

/// Composes synchronously (also used by benchmarks).
pub fn compose(job: &RenderJob) -> Result<RgbImage, BackendError> {
    let (width, height) = job.photo.dimensions();
    let mut rgba = Vec::with_capacity(width as usize * height as usize * 4);
    for pixel in job.photo.pixels() {
        rgba.extend_from_slice(&[pixel[0], pixel[1], pixel[2], 255]);
    }
    let photo =
        RgbaImage::new(width, height, rgba).map_err(|e| BackendError::Failed(e.to_string()))?;
    let rendered = compositor::composite(
        &photo,
        &job.product.texture,
        &job.placement,
        CompositeOptions::default(),
    )
    .map_err(|e| BackendError::Failed(e.to_string()))?;
    drop(photo);
    let rgba = rendered.into_pixels();
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| BackendError::Failed("the render has the wrong size".into()))
}
