//! Placeholder replaced by the benchmark work below.
fn main() {}
