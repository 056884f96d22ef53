//! The exports the widget's Worker calls: prepare a shopper's photo (strip, keep upright,
//! downscale, verify) and hand back plain JS objects, or reject with `{ code, message }`.
//!
//! Thin shells over `vitrine-core` and [`crate::photo_plan`]; the only logic here is choosing
//! the browser codec, with the Rust codec as a fallback when it is compiled in.

use js_sys::Uint8Array;
use serde::Serialize;
use vitrine_core::photo::{Cleaned, Limits, PhotoError, RemovedItem};
use wasm_bindgen::prelude::*;

use crate::browser_codec::{RedrawJob, redraw_to_jpeg};
use crate::error::WidgetError;
use crate::photo_plan::{JPEG_QUALITY, Plan, plan};

/// Prepare a photo for sending: every metadata carrier removed, upright, long side at most
/// `max_side`, verified. Resolves to `{ bytes, mime, width, height, originalWidth,
/// originalHeight, reencoded, removed, removedCodes, bytesRemoved }`; rejects with
/// `{ code, message }` where `code` is a stable [`PhotoError::code`].
#[wasm_bindgen]
pub async fn prepare_photo(bytes: Uint8Array, max_side: u32) -> Result<JsValue, JsValue> {
    let data = bytes.to_vec();
    drop(bytes);
    prepare(&data, max_side)
        .await
        .map(|cleaned| cleaned_to_js(&cleaned))
        .map_err(|error| WidgetError::from(error).into())
}

/// The Rust decode/resize/encode path, synchronously (for the in-browser benchmark, and the
/// reference the browser path is compared with).
#[cfg(feature = "rust-codec")]
#[wasm_bindgen]
pub fn prepare_photo_rust(bytes: &[u8], max_side: u32) -> Result<JsValue, JsValue> {
    rust_clean(bytes, max_side)
        .map(|cleaned| cleaned_to_js(&cleaned))
        .map_err(|error| WidgetError::from(error).into())
}

/// Whether this build carries the Rust codec (the fallback when the browser cannot decode).
#[wasm_bindgen]
pub fn has_rust_codec() -> bool {
    cfg!(feature = "rust-codec")
}

async fn prepare(data: &[u8], max_side: u32) -> Result<Cleaned, PhotoError> {
    let limits = Limits::default();
    let redraw = match plan(data, max_side, &limits)? {
        Plan::Done(cleaned) => return Ok(cleaned),
        Plan::Redraw(redraw) => redraw,
    };
    let job = RedrawJob {
        bytes: &redraw.stripped.bytes,
        mime_type: redraw.mime_type(),
        decode_size: redraw.decode_size,
        output_size: redraw.output_size,
        transform: redraw.transform,
        quality: JPEG_QUALITY,
    };
    match redraw_to_jpeg(&job).await {
        Ok(encoded) => redraw.finish(&encoded, &limits),
        Err(error) => fallback(data, max_side, error.into()),
    }
}

/// The browser could not decode (canvas limits, a codec it lacks): use the Rust codec when it
/// is compiled in, otherwise report the browser's failure.
fn fallback(data: &[u8], max_side: u32, error: PhotoError) -> Result<Cleaned, PhotoError> {
    #[cfg(feature = "rust-codec")]
    {
        let _ = error;
        rust_clean(data, max_side)
    }
    #[cfg(not(feature = "rust-codec"))]
    {
        let _ = (data, max_side);
        Err(error)
    }
}

#[cfg(feature = "rust-codec")]
fn rust_clean(data: &[u8], max_side: u32) -> Result<Cleaned, PhotoError> {
    let options = vitrine_core::photo::CleanOptions {
        max_side,
        ..Default::default()
    };
    vitrine_core::photo::clean(data, &options)
}

/// What `prepare_photo` resolves to, as a plain JS object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Prepared<'a> {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    bytes: Uint8Array,
    mime: &'static str,
    width: u32,
    height: u32,
    original_width: u32,
    original_height: u32,
    reencoded: bool,
    /// What was removed, in plain words.
    removed: Vec<&'static str>,
    /// The same as stable codes (the serde names, e.g. "gps_location"), so the UI can pick an
    /// icon or translation without parsing words.
    removed_codes: &'a [RemovedItem],
    /// Byte counts of a photo fit in an f64 exactly (the input is capped at 50 MB).
    bytes_removed: f64,
}

fn cleaned_to_js(cleaned: &Cleaned) -> JsValue {
    #[allow(clippy::cast_precision_loss)]
    let bytes_removed = cleaned.report.bytes_removed as f64;
    let prepared = Prepared {
        bytes: Uint8Array::from(cleaned.bytes.as_slice()),
        mime: cleaned.format.mime_type(),
        width: cleaned.width,
        height: cleaned.height,
        original_width: cleaned.original_width,
        original_height: cleaned.original_height,
        reencoded: cleaned.reencoded,
        removed: cleaned
            .report
            .items
            .iter()
            .map(|item| item.plain_words())
            .collect(),
        removed_codes: &cleaned.report.items,
        bytes_removed,
    };
    // Numbers, strings, unit variants and a Uint8Array always serialise.
    serde_wasm_bindgen::to_value(&prepared).unwrap_or(JsValue::NULL)
}
