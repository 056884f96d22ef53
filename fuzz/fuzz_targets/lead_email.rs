#![no_main]

#[path = "../server_bodies.rs"]
mod server_bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| server_bodies::lead_email(data));
