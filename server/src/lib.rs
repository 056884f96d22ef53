//! The Vitrine server as a library: the parts the binary and the integration tests share.

pub mod address_hash;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod keys;
pub mod origins;
pub mod storage;
