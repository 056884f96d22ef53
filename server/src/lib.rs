//! The Vitrine server as a library: the parts the binary and the integration tests share.

pub mod address_hash;
pub mod admin;
pub mod api;
pub mod app;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod keys;
pub mod logging;
pub mod metrics;
pub mod origins;
pub mod rate_limit;
pub mod render;
pub mod serve;
pub mod shutdown;
pub mod storage;
pub mod sweeper;
pub mod widget_guard;
