//! The Vitrine server as a library: the parts the binary and the integration tests share. (The
//! binary's own parts, `admin` and the demo, are under `src/cli/`.)

pub mod address_hash;
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
pub mod secret;
pub mod serve;
pub mod shutdown;
pub mod storage;
pub mod sweeper;
pub mod widget_guard;
