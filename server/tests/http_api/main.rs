//! The HTTP API in process (axum's router driven with `tower::ServiceExt::oneshot`), each test on
//! SQLite and on PostgreSQL, one module per route group; the shared harness is [`harness`].

#![allow(clippy::unwrap_used)]

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod analytics;
mod gallery;
mod gate;
mod harness;
mod layers;
mod leads;
mod operations;
mod products;
mod rate_limits;
mod render;
