//! Decompression bombs are refused by their headers, before any pixel buffer is allocated.
//! One test in its own binary, so the counting allocator sees only this work.
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use vitrine_core::photo::{self, CleanOptions, PhotoError};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn bombs_allocate_next_to_nothing() {
    let bombs = [
        (
            "JPEG 65500×65500",
            common::grey_jpeg(65500, 65500, Some(512)),
        ),
        ("PNG 65500×65500", common::minimal_png(65500, 65500)),
        (
            "WebP VP8L 16384×16384",
            common::riff(&[common::riff_chunk(b"VP8L", &common::vp8l(16384, 16384))]),
        ),
        (
            "WebP VP8X 65500×65500",
            common::riff(&[
                common::riff_chunk(b"VP8X", &common::vp8x(0, 65500, 65500)),
                common::riff_chunk(b"VP8L", &common::vp8l(16384, 16384)),
            ]),
        ),
    ];
    for (what, bomb) in bombs {
        let region = Region::new(GLOBAL);
        let result = photo::clean(&bomb, &CleanOptions::default());
        let stats = region.change();
        assert!(
            matches!(
                result,
                Err(PhotoError::TooManyPixels { .. } | PhotoError::Corrupt(_))
            ),
            "{what}: {result:?}"
        );
        // A pixel buffer would be gigabytes; parsing the header needs a few hundred bytes.
        assert!(
            stats.bytes_allocated < 64 * 1024,
            "{what}: allocated {} bytes",
            stats.bytes_allocated
        );
        eprintln!(
            "{what}: {} bytes allocated in {} allocations",
            stats.bytes_allocated, stats.allocations
        );
    }
}
