//! The render backend seam: the built-in compositor and the hosted AI adapters implement
//! [`RenderBackend`]; the pipeline hands each one a photo that has already been cleaned and
//! checked for people, and labels whatever comes back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use image::RgbImage;
use vitrine_core::ai_label::DigitalSourceType;
use vitrine_core::compositor::Placement;

use crate::render::textures::ProductTexture;

/// A boxed future, so backends can live behind `Arc<dyn RenderBackend>`.
pub type BackendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<RgbImage, BackendError>> + Send + 'a>>;

/// What a backend renders: the cleaned, upright, person-checked photo, the product and where it
/// goes. Nothing identifies the shopper.
#[derive(Debug, Clone)]
pub struct RenderJob {
    /// The photo's pixels.
    pub photo: Arc<RgbImage>,
    /// The cleaned photo's encoded bytes (metadata already stripped and verified), for backends
    /// that upload a file.
    pub photo_bytes: Arc<Vec<u8>>,
    /// The product.
    pub product: Arc<ProductTexture>,
    /// The region the product covers, in the photo's pixels.
    pub placement: Placement,
}

/// Why a backend did not render.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend did not answer in time (after its retries).
    #[error("the render backend did not answer in time")]
    Timeout,
    /// The backend is down, refused, or answered something unusable (after its retries).
    #[error("the render backend is unavailable: {0}")]
    Unavailable(String),
    /// Our own rendering failed (bad placement, a texture that does not decode…).
    #[error("rendering failed: {0}")]
    Failed(String),
}

/// A way of putting a product into a room photo.
pub trait RenderBackend: Send + Sync + std::fmt::Debug {
    /// A short name for logs and metrics (`builtin`, `openai`, `gemini`).
    fn name(&self) -> &'static str;
    /// How its output is labelled (see [`vitrine_core::ai_label`]).
    fn source_type(&self) -> DigitalSourceType;
    /// Renders the job.
    fn render(&self, job: RenderJob) -> BackendFuture<'_>;
}
