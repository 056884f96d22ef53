//! JavaScript exceptions become one typed error here, so no `JsValue` leaks past the binding
//! layer and every browser failure reaches the shopper as a specific, stable error code.

use vitrine_core::photo::PhotoError;
use wasm_bindgen::{JsCast, JsValue};

/// A browser API that failed or is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserError {
    /// The API threw or its promise rejected.
    #[error("{api} failed: {message}")]
    Threw {
        /// The API called.
        api: &'static str,
        /// What the browser said.
        message: String,
    },
    /// The API exists in the spec but not in this context (an old browser, or not a worker).
    #[error("{0} is not available in this browser")]
    Unavailable(&'static str),
    /// The API returned something of the wrong type.
    #[error("{0} returned an unexpected value")]
    UnexpectedValue(&'static str),
}

/// Turn what a JS call threw into a [`BrowserError`], keeping its message.
pub fn js_to_error(api: &'static str, value: JsValue) -> BrowserError {
    let message = if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        String::from(error.message())
    } else if let Some(text) = value.as_string() {
        text
    } else {
        format!("{value:?}")
    };
    BrowserError::Threw { api, message }
}

/// Which step of the browser codec failed: the shopper sees "could not be decoded" or
/// "could not be encoded", with the browser's words in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Decoding or resizing (createImageBitmap, canvas allocation, drawing).
    #[error("{0}")]
    Decode(BrowserError),
    /// Encoding (convertToBlob, reading the blob back).
    #[error("{0}")]
    Encode(BrowserError),
}

impl From<CodecError> for PhotoError {
    fn from(error: CodecError) -> Self {
        match error {
            CodecError::Decode(e) => PhotoError::Decode(e.to_string()),
            CodecError::Encode(e) => PhotoError::Encode(e.to_string()),
        }
    }
}
