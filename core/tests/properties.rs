//! Properties of `clean`, checked with proptest (bounded case counts: the file runs in well under
//! a minute in debug):
//! - idempotent: clean(clean(x)) == clean(x), byte for byte (real fixtures and generated images);
//! - the output always re-parses and verifies;
//! - mutated, extended or truncated valid files never panic: either a verified output or a typed
//!   error.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use image::{DynamicImage, ImageFormat as Codec, RgbImage};
use proptest::prelude::*;
use vitrine_core::photo::{self, CleanOptions, Orientation, PhotoError, verify_clean};

fn verified(cleaned: &photo::Cleaned) {
    verify_clean(
        &cleaned.bytes,
        cleaned.format,
        (cleaned.width, cleaned.height),
    )
    .expect("the output verifies");
    photo::inspect(&cleaned.bytes, &photo::Limits::default()).expect("the output re-parses");
}

#[test]
fn cleaning_real_fixtures_is_idempotent() {
    for (name, bytes) in common::fixtures() {
        let once = photo::clean(&bytes, &CleanOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        verified(&once);
        let twice = photo::clean(&once.bytes, &CleanOptions::default())
            .unwrap_or_else(|e| panic!("{name} (second pass): {e}"));
        assert!(
            !twice.reencoded,
            "{name}: the second pass is a lossless strip"
        );
        assert!(
            once.bytes == twice.bytes,
            "{name}: clean(clean(x)) != clean(x)"
        );
        assert!(
            twice.report.carriers.iter().all(|c| matches!(
                c.kind,
                photo::CarrierKind::Jfif | photo::CarrierKind::Adobe | photo::CarrierKind::Exif
            )),
            "{name}: the second pass found foreign carriers: {:?}",
            twice.report.carriers
        );
    }
}

/// Small real files, the seeds for mutation.
fn seeds() -> &'static Vec<(String, Vec<u8>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        common::fixtures()
            .into_iter()
            .filter(|(_, b)| b.len() <= 40_000)
            .collect()
    })
}

/// A generated picture in one of our formats, optionally dressed with metadata.
fn generated(
    width: u32,
    height: u32,
    seed: u8,
    codec: u8,
    orientation: u8,
    comment: bool,
) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(7).wrapping_add(seed),
            (y as u8).wrapping_mul(13),
            ((x + y) as u8) ^ seed,
        ])
    });
    let codec = match codec % 3 {
        0 => Codec::Jpeg,
        1 => Codec::Png,
        _ => Codec::WebP,
    };
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), codec)
        .expect("encode");
    let o = Orientation::from_exif(u32::from(orientation % 8 + 1));
    match codec {
        Codec::Jpeg => {
            let mut extra = Vec::new();
            if o != Orientation::Normal {
                let mut p = b"Exif\0\0".to_vec();
                p.extend(photo::exif::minimal_orientation_exif(o));
                extra.extend(common::segment(0xE1, &p));
            }
            if comment {
                extra.extend(common::segment(0xFE, b"a comment"));
            }
            out = common::after_soi(&out, &extra);
        }
        Codec::Png if comment => {
            let at = out.len() - 12; // before IEND
            out.splice(
                at..at,
                common::png_chunk(b"tEXt", b"Author\0Someone Somewhere"),
            );
        }
        _ => {}
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    if data.is_empty() {
        return;
    }
    match m {
        Mutation::Flip { at, xor } => {
            let i = at % data.len();
            data[i] ^= xor;
        }
        Mutation::Insert { at, bytes } => {
            let i = at % (data.len() + 1);
            data.splice(i..i, bytes.iter().copied());
        }
        Mutation::Remove { at, len } => {
            let i = at % data.len();
            let end = (i + len).min(data.len());
            data.drain(i..end);
        }
        Mutation::Truncate { at } => data.truncate(at % data.len()),
    }
}

/// Small limits so a mutation that inflates a header cannot make a test slow.
fn small_options() -> CleanOptions {
    CleanOptions {
        max_side: 256,
        limits: photo::Limits {
            max_bytes: 1 << 20,
            max_pixels: 4_000_000,
        },
        ..CleanOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_images_clean_idempotently_and_verify(
        width in 1u32..48,
        height in 1u32..48,
        seed in any::<u8>(),
        codec in 0u8..3,
        orientation in 0u8..8,
        comment in any::<bool>(),
        max_side in prop_oneof![Just(2048u32), 8u32..40],
    ) {
        let input = generated(width, height, seed, codec, orientation, comment);
        let options = CleanOptions { max_side, ..CleanOptions::default() };
        let once = photo::clean(&input, &options).expect("a generated image cleans");
        verified(&once);
        prop_assert!(once.width.max(once.height) <= max_side.max(1));
        let twice = photo::clean(&once.bytes, &options).expect("cleans again");
        prop_assert!(!twice.reencoded);
        prop_assert_eq!(&once.bytes, &twice.bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_files_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let seeds = seeds();
        let (_, original) = &seeds[pick.index(seeds.len())];
        let mut data = original.clone();
        for m in &mutations {
            apply(&mut data, m);
        }
        match photo::clean(&data, &small_options()) {
            Ok(cleaned) => verified(&cleaned),
            Err(e) => {
                // A typed error with a stable code, never a verification failure of our own output.
                prop_assert!(!matches!(e, PhotoError::VerificationFailed(_)), "{e}");
                prop_assert!(!e.code().is_empty());
            }
        }
        // The cheaper entry points too.
        let _ = photo::inspect(&data, &small_options().limits);
        let _ = photo::strip(&data, &small_options().limits);
    }
}
