//! The person check as the pipeline sees it: either a loaded detector or the reason there is
//! none. "None" refuses every photo (`person_check_unavailable`); it never lets one through.

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;

/// The outcome of checking one photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PersonCheck {
    /// No person seen.
    Clear,
    /// A person seen: the body score, and the face score when the face model ran (each 0–1).
    PersonSeen { body: f32, face: Option<f32> },
}

/// The loaded detector, or why it is not there.
#[derive(Debug, Clone)]
pub enum PersonGate {
    /// Ready to check photos.
    #[cfg(feature = "person-check")]
    Ready(Arc<vitrine_person_check::PersonDetector>),
    /// Every photo is refused, for this reason (logged at start).
    Unavailable(Arc<str>),
}

impl PersonGate {
    /// Loads the models from `models_dir` (about 0.2 s). A failure is kept as the reason and
    /// logged, so an operator sees at start why photos will be refused.
    pub fn load(models_dir: &Path) -> Self {
        #[cfg(feature = "person-check")]
        let gate = match vitrine_person_check::PersonDetector::load(models_dir) {
            Ok(detector) => Self::Ready(Arc::new(detector)),
            Err(error) => Self::Unavailable(error.to_string().into()),
        };
        #[cfg(not(feature = "person-check"))]
        let gate = {
            let _ = models_dir;
            Self::Unavailable("this build of the server has no person check".into())
        };
        match &gate {
            Self::Unavailable(reason) => {
                tracing::error!(%reason, "person check unavailable: every photo will be refused");
            }
            #[cfg(feature = "person-check")]
            Self::Ready(_) => tracing::info!("person check loaded"),
        }
        gate
    }

    /// Whether photos can be checked.
    pub fn is_ready(&self) -> bool {
        !matches!(self, Self::Unavailable(_))
    }

    /// Checks an upright photo (blocking: call it off the async threads).
    pub fn check(&self, photo: &RgbImage) -> Result<PersonCheck, String> {
        #[cfg(not(feature = "person-check"))]
        let _ = photo;
        match self {
            #[cfg(feature = "person-check")]
            Self::Ready(detector) => {
                let verdict = detector.check(photo).map_err(|e| e.to_string())?;
                Ok(if verdict.person {
                    PersonCheck::PersonSeen {
                        body: verdict.body,
                        face: verdict.face,
                    }
                } else {
                    PersonCheck::Clear
                })
            }
            Self::Unavailable(reason) => Err(reason.to_string()),
        }
    }
}
