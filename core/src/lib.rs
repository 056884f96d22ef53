//! Vitrine's privacy core.
//!
//! Everything that protects a shopper and can run anywhere lives here, free of web-sys, tokio
//! and databases, so that the widget (WASM in the shopper's browser), the render server and the
//! `vitrine` CLI share one implementation and one set of tests. A fix made here is a fix
//! everywhere a photo is handled.
#![deny(missing_docs)]
// Unit tests may unwrap (the workspace lint is for library code); lets `clippy --all-targets
// -D warnings` pass.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod ai_label;
pub mod analytics;
pub mod compositor;
pub mod consent;
pub mod photo;
