//! The one error the widget's exports reject or throw with: a stable `code` the UI has words
//! for (`www/widget/error-words.json`), the developer's `message`, and for a refused format what
//! the file really is (`detected`). Platform-free, so its codes are checked natively against the
//! words table (server/tests/widget_error_words.rs).

use serde::Serialize;
use vitrine_core::photo::PhotoError;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum WidgetError {
    /// The photo core refused or failed on the photo; its own code is kept.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// "Save on this device" failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The pixels handed in are not an image of the size they claim.
    #[error("{0}")]
    BadImage(String),
    /// The region's corners do not make a shape the compositor can fill.
    #[error("{0}")]
    BadPlacement(String),
    /// The render could not be labelled AI-generated (not a JPEG).
    #[error("{0}")]
    LabelFailed(String),
}

/// Why a save, list or removal of an on-device render failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The browser's storage quota for this site is used up.
    #[error("this device's storage for the site is full")]
    Full,
    /// IndexedDB is unavailable (private mode in some browsers, disabled by policy) or failed.
    #[error("on-device storage is unavailable: {0}")]
    Unavailable(String),
    /// The render is not something we store (empty, or far too large).
    #[error("the render cannot be saved: {0}")]
    BadRender(String),
}

impl StorageError {
    /// A stable code for the widget.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Full => "storage_full",
            Self::Unavailable(_) => "storage_unavailable",
            Self::BadRender(_) => "bad_render",
        }
    }
}

impl WidgetError {
    /// The codes this crate makes itself (the photo core's are `PhotoError::ALL_CODES`).
    pub const OWN_CODES: &'static [&'static str] = &[
        "storage_full",
        "storage_unavailable",
        "bad_render",
        "bad_image",
        "bad_placement",
        "label_failed",
    ];

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Photo(error) => error.code(),
            Self::Storage(error) => error.code(),
            Self::BadImage(_) => "bad_image",
            Self::BadPlacement(_) => "bad_placement",
            Self::LabelFailed(_) => "label_failed",
        }
    }

    /// What JavaScript receives: `{ code, message, detected? }`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.to_string(),
            // Name what the file really is ("HEIC/HEIF", "GIF" …) so the widget can say so.
            detected: match self {
                Self::Photo(PhotoError::UnsupportedFormat(detected)) => Some(detected.to_string()),
                _ => None,
            },
        }
    }
}

/// The plain object an export rejects with.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// A stable code, e.g. `bad_placement`.
    pub code: &'static str,
    /// A sentence for developers; the widget shows its own words per code.
    pub message: String,
    /// For `unsupported_format`: the format the file really is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<String>,
}

#[cfg(target_arch = "wasm32")]
impl From<WidgetError> for wasm_bindgen::JsValue {
    fn from(error: WidgetError) -> Self {
        // A struct of strings always serialises; the fallback is only there to avoid a panic.
        serde_wasm_bindgen::to_value(&error.body())
            .unwrap_or_else(|_| wasm_bindgen::JsValue::from_str(&error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each variant. The match below has no wildcard: a new variant does not compile
    /// until it is added here, and so to the codes checked against the words table.
    fn one_of_each() -> Vec<WidgetError> {
        let all = vec![
            WidgetError::Storage(StorageError::Full),
            WidgetError::Storage(StorageError::Unavailable(String::new())),
            WidgetError::Storage(StorageError::BadRender(String::new())),
            WidgetError::BadImage(String::new()),
            WidgetError::BadPlacement(String::new()),
            WidgetError::LabelFailed(String::new()),
        ];
        for error in &all {
            match error {
                WidgetError::Photo(_)
                | WidgetError::BadImage(_)
                | WidgetError::BadPlacement(_)
                | WidgetError::LabelFailed(_)
                | WidgetError::Storage(
                    StorageError::Full | StorageError::Unavailable(_) | StorageError::BadRender(_),
                ) => {}
            }
        }
        all
    }

    #[test]
    fn own_codes_are_exactly_the_codes_of_the_variants() {
        let mut made: Vec<&str> = one_of_each().iter().map(WidgetError::code).collect();
        let mut listed = WidgetError::OWN_CODES.to_vec();
        made.sort_unstable();
        listed.sort_unstable();
        assert_eq!(made, listed);
    }

    #[test]
    fn a_refused_format_names_what_the_file_is() {
        let body = WidgetError::from(PhotoError::Empty).body();
        assert_eq!((body.code, body.detected), ("empty_file", None));
        let body = WidgetError::BadPlacement("corners must be 8 numbers".into()).body();
        assert_eq!(body.code, "bad_placement");
        assert_eq!(body.message, "corners must be 8 numbers");
    }
}
