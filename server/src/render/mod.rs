//! The render pipeline behind `POST /v1/widget/{key}/renders`, after the key, origin and rate
//! limit have admitted the request and the body has been read within its limit:
//! 1. the photo core again, server-side ([`vitrine_core::photo::clean`]: sniff, strip every
//!    metadata carrier, turn upright, downscale, verify) — defence in depth, whatever the client;
//! 2. the person check ([`person_gate`]): a photo that shows a person, or that cannot be checked,
//!    goes no further;
//! 3. the retailer's render backend ([`backend`]; the built-in compositor by default);
//! 4. our own JPEG encoding of the result, labelled AI-generated in XMP
//!    ([`vitrine_core::ai_label`]) and carrying nothing else.
//!
//! The photo and the render exist only in this process's memory: no step writes a file, and no
//! log line carries them (the request log holds the route template and status only). At most
//! `concurrency` renders run at once, which bounds memory (see BENCHMARKS.md).

pub mod backend;
pub mod builtin;
pub mod gemini;
pub mod hosted;
pub mod openai;
pub mod person_gate;
pub mod textures;

use std::sync::Arc;

use image::RgbImage;
use tokio::sync::Semaphore;
use vitrine_core::ai_label::{self, DigitalSourceType};
use vitrine_core::compositor::{Placement, Point};
use vitrine_core::photo::{self, CleanOptions, Limits, PhotoError};

use crate::render::backend::{BackendError, RenderBackend, RenderJob};
use crate::render::person_gate::{PersonCheck, PersonGate};
use crate::render::textures::{ProductTexture, TextureCache, TextureError};
use crate::storage::{BackendChoice, RetailerId, Storage};

/// Long side of the photo a render is made at.
pub const RENDER_MAX_SIDE: u32 = 2048;

/// Largest declared photo accepted server-side: 24 MP (a 6000×4000 camera photo). The widget sends
/// at most 2048 px on the long side; this bounds what another client can make us decode.
pub const MAX_PHOTO_PIXELS: u64 = 24_000_000;

/// JPEG quality of renders.
const RENDER_JPEG_QUALITY: u8 = 88;

/// Why a render was refused.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No such product at this retailer.
    #[error("unknown product")]
    UnknownProduct,
    /// The product's texture is unusable (the retailer's data, not the shopper's).
    #[error("the product cannot be rendered: {0}")]
    ProductUnusable(String),
    /// The photo failed the photo core.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// The photo appears to show a person.
    #[error("the photo appears to show a person")]
    PersonDetected,
    /// The photo could not be checked for people, so it is refused.
    #[error("the person check is unavailable: {0}")]
    PersonCheckUnavailable(String),
    /// The placement is unusable for this photo.
    #[error("the placement is invalid: {0}")]
    Placement(String),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// Anything else (a task panicked, encoding failed).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<TextureError> for RenderError {
    fn from(error: TextureError) -> Self {
        match error {
            TextureError::UnknownProduct => Self::UnknownProduct,
            TextureError::Unusable(reason) => Self::ProductUnusable(reason),
            TextureError::Storage(e) => Self::Storage(e),
        }
    }
}

/// The region the product covers, in fractions of the photo's width and height (so it holds
/// whatever size the server brings the photo to), with the real size it stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelativePlacement {
    /// Far-left, far-right, near-right, near-left (floor); clockwise from top-left (wall).
    pub corners: [(f32, f32); 4],
    /// Real width in metres.
    pub width_m: f32,
    /// Real depth (floor) or height (wall) in metres.
    pub depth_m: f32,
}

impl RelativePlacement {
    /// In the pixels of a `width × height` photo.
    pub fn in_pixels(&self, width: u32, height: u32) -> Placement {
        let (w, h) = (width as f32, height as f32);
        Placement {
            corners: self.corners.map(|(x, y)| Point { x: x * w, y: y * h }),
            width_m: self.width_m,
            depth_m: self.depth_m,
        }
    }
}

/// A finished render.
#[derive(Debug)]
pub struct Rendered {
    /// The labelled JPEG.
    pub jpeg: Vec<u8>,
    /// Which backend made it.
    pub backend: &'static str,
}

/// The backends this server can render with: the built-in compositor always, the hosted ones
/// when configured (their API keys are server configuration).
#[derive(Debug, Clone)]
pub struct RenderBackends {
    /// The built-in compositor.
    pub builtin: Arc<dyn RenderBackend>,
    /// OpenAI's image edits, if configured.
    pub openai: Option<Arc<dyn RenderBackend>>,
    /// Gemini, if configured.
    pub gemini: Option<Arc<dyn RenderBackend>>,
}

impl RenderBackends {
    /// The built-in compositor only.
    pub fn builtin_only() -> Self {
        Self {
            builtin: Arc::new(builtin::BuiltinCompositor),
            openai: None,
            gemini: None,
        }
    }

    /// The backend for a retailer's choice, if this server has it.
    pub fn for_choice(&self, choice: BackendChoice) -> Option<&Arc<dyn RenderBackend>> {
        match choice {
            BackendChoice::Builtin => Some(&self.builtin),
            BackendChoice::OpenAi => self.openai.as_ref(),
            BackendChoice::Gemini => self.gemini.as_ref(),
        }
    }
}

/// The pipeline's fixed parts. One per server.
#[derive(Debug)]
pub struct RenderService {
    person_gate: PersonGate,
    backends: RenderBackends,
    textures: TextureCache,
    permits: Semaphore,
    clean: CleanOptions,
}

impl RenderService {
    /// A pipeline checking people with `person_gate`, rendering with `backend`, at most
    /// `concurrency` renders at once, photos up to `max_photo_bytes`.
    pub fn new(
        person_gate: PersonGate,
        backends: RenderBackends,
        concurrency: usize,
        max_photo_bytes: usize,
    ) -> Self {
        Self {
            person_gate,
            backends,
            textures: TextureCache::default(),
            permits: Semaphore::new(concurrency.max(1)),
            clean: CleanOptions {
                max_side: RENDER_MAX_SIDE,
                jpeg_quality: RENDER_JPEG_QUALITY,
                limits: Limits {
                    max_bytes: max_photo_bytes,
                    max_pixels: MAX_PHOTO_PIXELS,
                },
            },
        }
    }

    /// One of the `render_concurrency` slots, held while a photo is decoded and checked.
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, RenderError> {
        self.permits
            .acquire()
            .await
            .map_err(|e| RenderError::Internal(e.to_string()))
    }

    /// The retailer's product, ready to render.
    pub async fn product(
        &self,
        storage: &Storage,
        retailer: RetailerId,
        sku: &str,
    ) -> Result<Arc<ProductTexture>, RenderError> {
        Ok(self.textures.get(storage, retailer, sku).await?)
    }

    /// Runs the pipeline on an uploaded photo, rendering with the retailer's chosen backend.
    pub async fn render(
        &self,
        upload: Vec<u8>,
        product: Arc<ProductTexture>,
        placement: RelativePlacement,
        choice: BackendChoice,
    ) -> Result<Rendered, RenderError> {
        let backend = self.backends.for_choice(choice).ok_or_else(|| {
            RenderError::Backend(BackendError::Unavailable(format!(
                "this server is not configured for the {} backend",
                choice.as_str()
            )))
        })?;
        let _permit = self.permit().await?;
        let gate = self.person_gate.clone();
        let clean = self.clean;
        let (photo, photo_bytes) = blocking(move || prepare(&upload, &clean, &gate)).await??;
        let (width, height) = photo.dimensions();
        let placement = placement.in_pixels(width, height);
        placement
            .validate()
            .map_err(|e| RenderError::Placement(e.to_string()))?;
        let job = RenderJob {
            photo: Arc::new(photo),
            photo_bytes: Arc::new(photo_bytes),
            product,
            placement,
        };
        let rendered = backend.render(job).await?;
        let source_type = backend.source_type();
        let jpeg = blocking(move || encode_labelled(&rendered, source_type)).await??;
        Ok(Rendered {
            jpeg,
            backend: backend.name(),
        })
    }
}

impl RenderService {
    /// A render the shopper wants to keep on the server (shared to the gallery, or emailed): it
    /// may have been made on their device, so it goes through the photo core and the person
    /// check again, and is re-encoded with our AI label (the source type of the retailer's
    /// backend) and nothing else. Counts against `render_concurrency` like a render.
    pub async fn recheck_render(
        &self,
        upload: Vec<u8>,
        choice: BackendChoice,
    ) -> Result<Vec<u8>, RenderError> {
        let source_type = match choice {
            BackendChoice::Builtin => DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
            BackendChoice::OpenAi | BackendChoice::Gemini => {
                DigitalSourceType::TrainedAlgorithmicMedia
            }
        };
        let _permit = self.permit().await?;
        let gate = self.person_gate.clone();
        let clean = self.clean;
        blocking(move || {
            let (pixels, _) = prepare(&upload, &clean, &gate)?;
            encode_labelled(&pixels, source_type)
        })
        .await?
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RenderError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| RenderError::Internal(format!("a render task failed: {e}")))
}

/// Clean, decode, check for people. Returns the upright pixels and the cleaned file.
fn prepare(
    upload: &[u8],
    options: &CleanOptions,
    gate: &PersonGate,
) -> Result<(RgbImage, Vec<u8>), RenderError> {
    let cleaned = photo::clean(upload, options)?;
    let pixels = photo::resize::decode_upright(&cleaned.bytes, &options.limits)?;
    match gate.check(&pixels) {
        Ok(PersonCheck::Clear) => Ok((pixels, cleaned.bytes)),
        Ok(PersonCheck::PersonSeen { body, face }) => {
            // The scores are not personal; they help tune the thresholds from refusals.
            tracing::info!(body, face, "render refused: person detected");
            Err(RenderError::PersonDetected)
        }
        Err(reason) => Err(RenderError::PersonCheckUnavailable(reason)),
    }
}

fn encode_labelled(
    rendered: &RgbImage,
    source_type: DigitalSourceType,
) -> Result<Vec<u8>, RenderError> {
    let jpeg = photo::resize::encode_jpeg(rendered, RENDER_JPEG_QUALITY)?;
    ai_label::label_jpeg(&jpeg, source_type).map_err(|e| RenderError::Internal(e.to_string()))
}
