//! The Vitrine widget: a thin wasm-bindgen surface over `vitrine-core`, run in a Web Worker so a
//! shopper's photo is cleaned on their device, off the page's main thread.
//!
//! Only this crate touches web-sys. The decisions (lossless or re-encode, which size, which turn)
//! live in [`photo_plan`], which is plain Rust and tested natively; the browser half
//! (`browser_codec`, `photo_worker`, `js_error`) only moves bytes through the browser's own
//! image codecs and converts JavaScript failures into typed errors.
#![deny(missing_docs)]

pub mod error;
pub mod photo_plan;

#[cfg(target_arch = "wasm32")]
mod browser_codec;
#[cfg(target_arch = "wasm32")]
pub mod consent_flag;
#[cfg(target_arch = "wasm32")]
mod js_error;
#[cfg(target_arch = "wasm32")]
pub mod photo_worker;
#[cfg(target_arch = "wasm32")]
pub mod render_on_device;
#[cfg(target_arch = "wasm32")]
pub mod storage;
