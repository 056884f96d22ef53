//! Hostile and broken inputs, built in code: every one is refused with a typed error or cleaned
//! with nothing hidden left, never a panic, never a huge allocation.
#![allow(clippy::unwrap_used)]

mod common;

use common::{after_soi, grey_jpeg, minimal_png, png_chunk, riff, riff_chunk, segment, vp8l, vp8x};

use std::time::{Duration, Instant};

use vitrine_core::photo::sniff::DetectedFormat;
use vitrine_core::photo::{
    self, CarrierKind, CleanOptions, ImageFormat, Limits, Orientation, PhotoError, verify_clean,
};

/// Run `f`, returning its result and the time it took. (The allocation bound of the bombs is
/// checked in `bombs_alloc.rs`, a one-test binary where a counting allocator is undisturbed.)
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

// ---- builders ----

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(name)).expect("fixture")
}

fn exif_block(orientation: Orientation) -> Vec<u8> {
    photo::exif::minimal_orientation_exif(orientation)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn is_truncated_or_corrupt(result: &Result<impl std::fmt::Debug, PhotoError>) -> bool {
    matches!(
        result,
        Err(PhotoError::Truncated(_) | PhotoError::Corrupt(_))
    )
}

/// A clean, verified output that carries none of `needles` and ends where its container ends.
fn assert_clean_without(input: &[u8], needles: &[&[u8]]) -> photo::Cleaned {
    let cleaned = photo::clean(input, &CleanOptions::default()).expect("cleans");
    verify_clean(
        &cleaned.bytes,
        cleaned.format,
        (cleaned.width, cleaned.height),
    )
    .expect("verifies");
    for needle in needles {
        assert!(
            !contains(&cleaned.bytes, needle),
            "the output still contains {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    match cleaned.format {
        ImageFormat::Jpeg => assert!(cleaned.bytes.ends_with(&[0xFF, 0xD9])),
        ImageFormat::Png => assert!(cleaned.bytes.ends_with(&png_chunk(b"IEND", b""))),
        ImageFormat::WebP => assert_eq!(
            8 + u32::from_le_bytes(cleaned.bytes[4..8].try_into().expect("4")) as usize,
            cleaned.bytes.len()
        ),
    }
    cleaned
}

// ---- the cases ----

#[test]
fn zero_bytes_is_empty() {
    assert_eq!(
        photo::clean(&[], &CleanOptions::default()).unwrap_err(),
        PhotoError::Empty
    );
    assert_eq!(photo::sniff(&[]).unwrap_err(), PhotoError::Empty);
}

#[test]
fn random_bytes_are_refused_without_panic() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in [1usize, 2, 3, 7, 12, 100, 4096] {
        for _ in 0..50 {
            let mut data: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            let plain = photo::clean(&data, &CleanOptions::default());
            assert!(plain.is_err(), "random bytes cleaned");
            // … and behind each supported magic.
            for magic in [
                &b"\xFF\xD8\xFF"[..],
                b"\x89PNG\r\n\x1a\n",
                b"RIFF\0\0\0\0WEBP",
            ] {
                data.splice(0..0, magic.iter().copied());
                let result = photo::clean(&data, &CleanOptions::default());
                if let Ok(cleaned) = result {
                    verify_clean(
                        &cleaned.bytes,
                        cleaned.format,
                        (cleaned.width, cleaned.height),
                    )
                    .expect("an accepted random file verifies");
                }
            }
        }
    }
}

#[test]
fn a_670_byte_jpeg_declaring_65500_squared_is_refused_by_its_header() {
    let bomb = grey_jpeg(65500, 65500, Some(512));
    assert!(
        (600..800).contains(&bomb.len()),
        "a ~670-byte bomb, got {}",
        bomb.len()
    );
    let (result, took) = measured(|| photo::clean(&bomb, &CleanOptions::default()));
    assert!(
        matches!(
            result,
            Err(PhotoError::TooManyPixels {
                width: 65500,
                height: 65500,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(took < Duration::from_millis(500), "took {took:?}");
}

#[test]
fn a_png_declaring_65500_squared_is_refused_by_its_header() {
    let bomb = minimal_png(65500, 65500);
    let (result, took) = measured(|| photo::clean(&bomb, &CleanOptions::default()));
    assert!(
        matches!(result, Err(PhotoError::TooManyPixels { .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_millis(500), "took {took:?}");
}

#[test]
fn webp_bombs_are_refused_by_their_headers() {
    // VP8L can declare at most 16384×16384 (268 Mpx): over the budget.
    let lossless = riff(&[riff_chunk(b"VP8L", &vp8l(16384, 16384))]);
    let extended = riff(&[
        riff_chunk(b"VP8X", &vp8x(0, 16384, 16384)),
        riff_chunk(b"VP8L", &vp8l(16384, 16384)),
    ]);
    // VP8X can declare a 65500×65500 canvas; its bitstream cannot match it.
    let canvas = riff(&[
        riff_chunk(b"VP8X", &vp8x(0, 65500, 65500)),
        riff_chunk(b"VP8L", &vp8l(16384, 16384)),
    ]);
    for (what, bomb, want_pixels) in [
        ("VP8L", lossless, true),
        ("VP8X+VP8L", extended, true),
        ("VP8X canvas", canvas, false),
    ] {
        let (result, took) = measured(|| photo::clean(&bomb, &CleanOptions::default()));
        if want_pixels {
            assert!(
                matches!(result, Err(PhotoError::TooManyPixels { .. })),
                "{what}: {result:?}"
            );
        } else {
            assert!(
                matches!(
                    result,
                    Err(PhotoError::TooManyPixels { .. } | PhotoError::Corrupt(_))
                ),
                "{what}: {result:?}"
            );
        }
        assert!(took < Duration::from_millis(500), "{what}: took {took:?}");
    }
}

#[test]
fn a_48_megapixel_jpeg_cleans_to_a_2048_long_side() {
    let big = grey_jpeg(8000, 6000, None);
    let cleaned = photo::clean(&big, &CleanOptions::default()).expect("48 Mpx is accepted");
    assert!(cleaned.reencoded);
    assert_eq!((cleaned.width, cleaned.height), (2048, 1536));
    assert_eq!(
        (cleaned.original_width, cleaned.original_height),
        (8000, 6000)
    );
    let decoded = image::load_from_memory(&cleaned.bytes)
        .expect("decodes")
        .into_rgb8();
    assert_eq!(decoded.dimensions(), (2048, 1536));
    let p = decoded.get_pixel(1024, 768);
    assert!(
        p.0.iter().all(|&c| (120..=136).contains(&c)),
        "mid-grey, got {p:?}"
    );
}

#[test]
fn every_truncation_of_real_files_is_truncated_or_corrupt() {
    for (name, step) in [
        ("ia__Canon_40D.jpg", 1),
        ("ia__tests_32-lens_data.jpeg", 3),
        ("mat2__data_control_chars.jpg", 1),
        ("mat2__data_dirty.webp", 7),
        ("mat2__data_dirty.png", 499),
    ] {
        let data = fixture(name);
        let format = photo::sniff(&data).expect("sniff");
        // Where the picture ends: a cut after it only loses trailer bytes, and is fine.
        let end = match format {
            ImageFormat::Jpeg => common::walk_jpeg(&data).end_of_image,
            ImageFormat::Png => common::walk_png(&data).1,
            ImageFormat::WebP => common::walk_webp(&data).1,
        };
        for cut in (0..data.len()).step_by(step) {
            let result = photo::strip(&data[..cut], &Limits::default());
            if cut >= end {
                assert!(result.is_ok(), "{name} cut at {cut}: {result:?}");
            } else if cut < 12 {
                assert!(result.is_err(), "{name} cut at {cut}");
            } else {
                assert!(
                    is_truncated_or_corrupt(&result),
                    "{name} cut at {cut}: {result:?}"
                );
            }
        }
        // The whole pipeline too, on fewer cuts (it decodes).
        for cut in (0..end).step_by((step * 53).max(101)) {
            assert!(photo::clean(&data[..cut], &CleanOptions::default()).is_err());
        }
    }
}

#[test]
fn segment_lengths_past_the_end_are_truncated() {
    let jpeg = fixture("ia__Canon_40D.jpg");
    let mut lying = jpeg.clone();
    // The APP1 at offset 20: its length now runs past the end.
    assert_eq!(&lying[20..22], &[0xFF, 0xE1]);
    lying[22] = 0xFF;
    lying[23] = 0xFF;
    lying.truncate(40_000.min(lying.len()));
    let result = photo::strip(&lying, &Limits::default());
    assert!(
        matches!(result, Err(PhotoError::Truncated(_))),
        "{result:?}"
    );

    let mut png = minimal_png(1, 1);
    png[8..12].copy_from_slice(&0x7000_0000u32.to_be_bytes()); // IHDR length
    let result = photo::strip(&png, &Limits::default());
    assert!(is_truncated_or_corrupt(&result), "{result:?}");

    let mut webp = riff(&[riff_chunk(b"VP8L", &vp8l(3, 2))]);
    webp[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes()); // VP8L size
    let result = photo::strip(&webp, &Limits::default());
    assert!(
        matches!(result, Err(PhotoError::Truncated(_))),
        "{result:?}"
    );
}

#[test]
fn a_corrupt_png_crc_is_refused() {
    let mut png = fixture("mat2__data_dirty.png");
    let (chunks, _) = common::walk_png(&png);
    assert!(chunks.iter().any(|(k, _)| k == b"IDAT"));
    let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT");
    png[idat + 100] ^= 0x40;
    let result = photo::strip(&png, &Limits::default());
    assert!(
        matches!(&result, Err(PhotoError::Corrupt(why)) if why.contains("CRC")),
        "{result:?}"
    );
}

#[test]
fn a_lying_riff_size_is_caught_or_its_hidden_tail_removed() {
    let webp = fixture("mat2__data_dirty.webp");
    // Larger than the file.
    let mut bigger = webp.clone();
    bigger[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let result = photo::strip(&bigger, &Limits::default());
    assert!(
        matches!(result, Err(PhotoError::Truncated(_))),
        "{result:?}"
    );
    // Smaller than the file: cuts into the image chunk.
    let mut smaller = webp.clone();
    smaller[4..8].copy_from_slice(&1000u32.to_le_bytes());
    let result = photo::strip(&smaller, &Limits::default());
    assert!(is_truncated_or_corrupt(&result), "{result:?}");
    // Smaller so that the EXIF chunk falls outside the container: it is a trailer, removed.
    let (chunks, _) = common::walk_webp(&webp);
    let exif_len = chunks
        .iter()
        .find(|(k, _)| k == b"EXIF")
        .map(|(_, b)| b.len())
        .expect("EXIF");
    let mut hiding = webp.clone();
    let declared = u32::try_from(webp.len() - 8 - 8 - exif_len).expect("small");
    hiding[4..8].copy_from_slice(&declared.to_le_bytes());
    let cleaned = assert_clean_without(&hiding, &[b"Exif", b"EXIF"]);
    assert!(
        cleaned
            .report
            .carriers
            .iter()
            .any(|c| c.kind == CarrierKind::Trailer)
    );
}

#[test]
fn polyglot_jpegs_lose_their_appended_zip_and_second_jpeg() {
    let jpeg = fixture("mat2__data_dirty.jpg");
    let mut zip = jpeg.clone();
    zip.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0secret.txt the payload PK\x05\x06");
    assert_clean_without(&zip, &[b"PK\x03\x04", b"secret.txt"]);

    let second = fixture("ia__Kodak_CX7530.jpg"); // with its own Exif and GPS
    let mut two = jpeg.clone();
    two.extend_from_slice(&second);
    let cleaned = assert_clean_without(&two, &[b"Exif", b"KODAK"]);
    assert!(
        cleaned
            .report
            .carriers
            .iter()
            .any(|c| c.kind == CarrierKind::EmbeddedImage)
    );
    assert_eq!(
        cleaned
            .bytes
            .windows(2)
            .filter(|w| *w == [0xFF, 0xD8])
            .count(),
        1,
        "one SOI"
    );
}

#[test]
fn html_after_iend_is_removed() {
    let mut png = fixture("mat2__data_dirty.png");
    png.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    assert_clean_without(&png, &[b"<html", b"script"]);
}

#[test]
fn other_formats_are_refused_by_name() {
    let cases: [(&[u8], DetectedFormat, &str); 6] = [
        (
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic....",
            DetectedFormat::Heic,
            "HEIC",
        ),
        (
            b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf....",
            DetectedFormat::Avif,
            "AVIF",
        ),
        (b"GIF89a\x01\0\x01\0\0\0\0;", DetectedFormat::Gif, "GIF"),
        (b"II*\0\x08\0\0\0\0\0\0\0", DetectedFormat::Tiff, "TIFF"),
        (
            b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0",
            DetectedFormat::Bmp,
            "BMP",
        ),
        (
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
            DetectedFormat::Svg,
            "SVG",
        ),
    ];
    for (bytes, format, word) in cases {
        let err = photo::clean(bytes, &CleanOptions::default()).unwrap_err();
        assert_eq!(err, PhotoError::UnsupportedFormat(format));
        assert!(err.to_string().contains(word), "{err}");
        assert_eq!(err.code(), "unsupported_format");
    }
}

#[test]
fn over_the_byte_budget_is_refused_before_parsing() {
    let jpeg = fixture("ia__Canon_40D.jpg");
    let small = CleanOptions {
        limits: Limits {
            max_bytes: 1000,
            ..Limits::default()
        },
        ..CleanOptions::default()
    };
    assert_eq!(
        photo::clean(&jpeg, &small).unwrap_err(),
        PhotoError::TooManyBytes {
            size: jpeg.len(),
            limit: 1000
        }
    );
    let mut huge = vec![0u8; Limits::default().max_bytes + 1];
    huge[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    let (result, took) = measured(|| photo::clean(&huge, &CleanOptions::default()));
    assert!(
        matches!(result, Err(PhotoError::TooManyBytes { .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_millis(100), "took {took:?}");
}

#[test]
fn animated_webp_is_refused() {
    let anim = riff(&[
        riff_chunk(b"VP8X", &vp8x(0x02, 3, 2)),
        riff_chunk(b"ANIM", &[0; 6]),
        riff_chunk(b"ANMF", &[0; 16]),
    ]);
    assert_eq!(
        photo::clean(&anim, &CleanOptions::default()).unwrap_err(),
        PhotoError::AnimatedWebp
    );
    // An ANMF chunk without the VP8X flag is refused too.
    let sneaky = riff(&[
        riff_chunk(b"VP8X", &vp8x(0, 3, 2)),
        riff_chunk(b"VP8L", &vp8l(3, 2)),
        riff_chunk(b"ANMF", &[0; 16]),
    ]);
    assert_eq!(
        photo::strip(&sneaky, &Limits::default()).unwrap_err(),
        PhotoError::AnimatedWebp
    );
}

const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_ID: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

#[test]
fn segments_between_the_scans_of_a_progressive_jpeg_are_removed() {
    let jpeg = fixture("mat2__data_dirty.jpg"); // progressive (exiftool: Progressive DCT)
    let walk = common::walk_jpeg(&jpeg);
    let scans: Vec<_> = walk.segments.iter().filter(|s| s.marker == 0xDA).collect();
    assert!(scans.len() >= 2, "a multi-scan file");
    let at = scans[1].offset;
    let mut xmp = XMP_ID.to_vec();
    xmp.extend_from_slice(
        b"<x:xmpmeta><exif:GPSLatitude>48,51.5N</exif:GPSLatitude>BETWEEN-SCANS</x:xmpmeta>",
    );
    let mut spliced = jpeg[..at].to_vec();
    spliced.extend(segment(0xFE, b"COMMENT-BETWEEN-SCANS serial 12345"));
    spliced.extend(segment(0xE1, &xmp));
    spliced.extend_from_slice(&jpeg[at..]);
    // And after the last scan, before EOI.
    let eoi = walk.end_of_image - 2;
    let shift = spliced.len() - jpeg.len();
    spliced.splice(
        eoi + shift..eoi + shift,
        segment(0xFE, b"COMMENT-AFTER-LAST-SCAN"),
    );

    let inspection = photo::inspect(&spliced, &Limits::default()).expect("inspect");
    let kinds: Vec<_> = inspection.report.carriers.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&CarrierKind::Xmp) && kinds.contains(&CarrierKind::Comment));
    let cleaned = assert_clean_without(&spliced, &[b"BETWEEN-SCANS", b"AFTER-LAST-SCAN", XMP_ID]);
    assert!(!cleaned.reencoded);
    assert_eq!(
        common::jpeg_image_segments(&common::walk_jpeg(&cleaned.bytes)),
        common::jpeg_image_segments(&walk),
        "every scan kept byte for byte"
    );
    assert_eq!(
        image::load_from_memory(&cleaned.bytes).expect("decodes"),
        image::load_from_memory(&jpeg).expect("decodes"),
    );
}

#[test]
fn icc_split_over_nine_app2_segments_is_removed() {
    let jpeg = fixture("mat2__data_dirty.jpg");
    let mut extra = Vec::new();
    for seq in 1..=9u8 {
        let mut p = b"ICC_PROFILE\0".to_vec();
        p.extend_from_slice(&[seq, 9]);
        p.extend_from_slice(format!("ICC-PART-{seq} Display P3 by SomeVendor").as_bytes());
        p.resize(p.len() + 1000, seq);
        extra.extend(segment(0xE2, &p));
    }
    let input = after_soi(&jpeg, &extra);
    let inspection = photo::inspect(&input, &Limits::default()).expect("inspect");
    assert_eq!(
        inspection
            .report
            .carriers
            .iter()
            .filter(|c| c.kind == CarrierKind::IccProfile)
            .count(),
        9
    );
    assert_clean_without(&input, &[b"ICC_PROFILE", b"ICC-PART", b"SomeVendor"]);
}

#[test]
fn extended_xmp_over_several_app1_segments_is_removed() {
    let jpeg = fixture("mat2__data_dirty.jpg");
    let guid = b"0123456789ABCDEF0123456789ABCDEF";
    let mut main = XMP_ID.to_vec();
    main.extend_from_slice(b"<x:xmpmeta><xmpNote:HasExtendedXMP>0123456789ABCDEF0123456789ABCDEF</xmpNote:HasExtendedXMP></x:xmpmeta>");
    let mut extra = segment(0xE1, &main);
    let full = 3 * 2000u32;
    for part in 0..3u32 {
        let mut p = XMP_EXT_ID.to_vec();
        p.extend_from_slice(guid);
        p.extend_from_slice(&full.to_be_bytes());
        p.extend_from_slice(&(part * 2000).to_be_bytes());
        let mut chunk =
            format!("EXTENDED-XMP-PART-{part} <photoshop:City>Paris</photoshop:City>").into_bytes();
        chunk.resize(2000, b' ');
        p.extend_from_slice(&chunk);
        extra.extend(segment(0xE1, &p));
    }
    let input = after_soi(&jpeg, &extra);
    let inspection = photo::inspect(&input, &Limits::default()).expect("inspect");
    let extended: Vec<_> = inspection
        .report
        .carriers
        .iter()
        .filter(|c| c.kind == CarrierKind::ExtendedXmp)
        .collect();
    assert_eq!(extended.len(), 3);
    assert!(extended.iter().all(|c| c.hints.location));
    assert_clean_without(&input, &[XMP_ID, XMP_EXT_ID, b"EXTENDED-XMP", b"Paris"]);
}

#[test]
fn padding_after_eoi_is_removed() {
    let jpeg = fixture("mat2__data_dirty.jpg");
    let mut padded = jpeg.clone();
    for i in 0..44 * 1024 {
        padded.push(if i % 3 == 0 { 0xFF } else { 0x00 });
    }
    let cleaned = assert_clean_without(&padded, &[]);
    assert!(cleaned.bytes.len() < jpeg.len());
    assert!(
        cleaned
            .report
            .carriers
            .iter()
            .any(|c| c.kind == CarrierKind::Trailer && c.length == 44 * 1024)
    );
}

/// The VP8 bitstream chunk of the real WebP fixture.
fn real_vp8() -> Vec<u8> {
    let webp = fixture("mat2__data_dirty.webp");
    common::walk_webp(&webp)
        .0
        .into_iter()
        .find(|(k, _)| k == b"VP8 ")
        .map(|(_, b)| b)
        .expect("VP8 chunk")
}

#[test]
fn exif_and_xmp_nul_chunks_in_a_simple_webp_are_removed() {
    let vp8 = real_vp8();
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_block(Orientation::Normal));
    exif.extend_from_slice(b"EXIF-IN-SIMPLE-WEBP");
    let input = riff(&[
        riff_chunk(b"VP8 ", &vp8),
        riff_chunk(b"EXIF", &exif),
        riff_chunk(b"XMP\0", b"<x:xmpmeta>XMP-NUL-CHUNK dc:creator</x:xmpmeta>"),
    ]);
    let inspection = photo::inspect(&input, &Limits::default()).expect("inspect");
    let kinds: Vec<_> = inspection.report.carriers.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [CarrierKind::Exif, CarrierKind::Xmp]);
    let cleaned = assert_clean_without(
        &input,
        &[b"EXIF", b"Exif", b"XMP", b"EXIF-IN-SIMPLE-WEBP", b"xmpmeta"],
    );
    assert!(!cleaned.reencoded);
    assert_eq!(cleaned.bytes, riff(&[riff_chunk(b"VP8 ", &vp8)]));
}

#[test]
fn a_webp_exif_payload_starting_with_exif_header_is_read_and_honoured() {
    let vp8 = real_vp8();
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_block(Orientation::Rotate90));
    let input = riff(&[
        riff_chunk(b"VP8X", &vp8x(0x08, 800, 600)),
        riff_chunk(b"VP8 ", &vp8),
        riff_chunk(b"EXIF", &exif),
    ]);
    let inspection = photo::inspect(&input, &Limits::default()).expect("inspect");
    assert_eq!(inspection.orientation, 6, "Exif\\0\\0 prefix understood");
    // A WebP cannot re-state its orientation: the pixels are turned (re-encoded as JPEG).
    let cleaned = assert_clean_without(&input, &[b"Exif", b"EXIF"]);
    assert_eq!((cleaned.width, cleaned.height), (600, 800));
    assert_eq!(cleaned.format, ImageFormat::Jpeg);
    let out = photo::inspect(&cleaned.bytes, &Limits::default()).expect("inspect");
    assert_eq!((out.width, out.height, out.orientation), (600, 800, 1));
}

#[test]
fn a_png_exif_orientation_is_applied_to_the_pixels() {
    // 40×20, red in the stored top-left quarter, blue elsewhere; eXIf says "turn 90° clockwise".
    let img = image::RgbImage::from_fn(40, 20, |x, y| {
        if x < 20 && y < 10 {
            image::Rgb([230, 20, 20])
        } else {
            image::Rgb([20, 20, 230])
        }
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT") - 4;
    png.splice(
        idat..idat,
        png_chunk(b"eXIf", &exif_block(Orientation::Rotate90)),
    );
    assert_eq!(
        photo::inspect(&png, &Limits::default())
            .expect("inspect")
            .orientation,
        6
    );
    let cleaned = assert_clean_without(&png, &[b"eXIf", b"MM\0*"]);
    assert!(cleaned.reencoded, "a PNG cannot re-state its orientation");
    assert_eq!((cleaned.width, cleaned.height), (20, 40));
    let out = image::load_from_memory(&cleaned.bytes)
        .expect("decodes")
        .into_rgb8();
    let red = |x, y| {
        let p = out.get_pixel(x, y);
        p[0] > 150 && p[2] < 100
    };
    // Displayed (x, y) comes from stored (y, 19 - x): the red quarter lands top right.
    assert!(red(15, 5), "top right is red");
    assert!(!red(4, 5) && !red(15, 30), "the rest is not");
}

/// Drop APP0/APP14 and rename the three components 'R', 'G', 'B' (in SOF and SOS): libjpeg, and
/// so every browser, decodes such a file as RGB, with no colour transform.
fn with_rgb_component_ids(jpeg: &[u8]) -> Vec<u8> {
    let walk = common::walk_jpeg(jpeg);
    let mut out = vec![0xFF, 0xD8];
    for s in &walk.segments {
        let mut bytes = s.bytes.clone();
        match s.marker {
            0xE0 | 0xEE => continue,
            0xC0 | 0xC2 => {
                assert_eq!(bytes[9], 3);
                for (i, id) in b"RGB".iter().enumerate() {
                    bytes[10 + 3 * i] = *id;
                }
            }
            0xDA => {
                let n = usize::from(bytes[4]);
                for i in 0..n {
                    bytes[5 + 2 * i] = b"RGB"[i];
                }
            }
            _ => {}
        }
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn rgb_component_ids_keep_their_colours() {
    // Found while testing: the rebuilt file got a JFIF header, which tells decoders the data is
    // YCbCr; a picture coded as RGB (component IDs 'R','G','B', no Adobe marker) then showed in
    // false colours in libjpeg-turbo (browsers, ImageMagick): (75,91,251) became (247,0,9).
    let img = image::RgbImage::from_fn(32, 32, |x, y| {
        image::Rgb([(x * 8) as u8, 40, (y * 8) as u8])
    });
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut encoded),
            image::ImageFormat::Jpeg,
        )
        .expect("encode");
    let rgb = with_rgb_component_ids(&encoded);
    let cleaned = photo::clean(&rgb, &CleanOptions::default()).expect("cleans");
    assert!(!cleaned.reencoded);
    let walk = common::walk_jpeg(&cleaned.bytes);
    assert!(
        walk.segments.iter().all(|s| s.marker != 0xE0),
        "no JFIF header (it would force YCbCr) on an RGB-coded JPEG"
    );
    assert_eq!(
        common::jpeg_image_segments(&walk),
        common::jpeg_image_segments(&common::walk_jpeg(&rgb))
    );
    // An ordinary YCbCr JPEG still gets its minimal JFIF.
    let ycc = photo::clean(&encoded, &CleanOptions::default()).expect("cleans");
    assert!(
        common::walk_jpeg(&ycc.bytes)
            .segments
            .iter()
            .any(|s| s.marker == 0xE0)
    );
}

#[test]
fn an_arithmetic_coded_jpeg_is_stripped_losslessly_but_never_decoded() {
    let data = fixture("mat2__data_control_chars.jpg"); // 92×64, SOF9
    let stripped = photo::strip(&data, &Limits::default()).expect("strips like any JPEG");
    assert!(stripped.arithmetic_coding);
    let small = photo::clean(&data, &CleanOptions::default()).expect("already small: lossless");
    assert!(!small.reencoded);
    // Too large for the render size: our decoder cannot read it, so a clear refusal.
    let options = CleanOptions {
        max_side: 50,
        ..CleanOptions::default()
    };
    assert_eq!(
        photo::clean(&data, &options).expect_err("cannot be downscaled"),
        PhotoError::UnsupportedJpegCoding("arithmetic")
    );
    let baseline = photo::strip(&fixture("ia__Canon_40D.jpg"), &Limits::default()).expect("strip");
    assert!(!baseline.arithmetic_coding);
}
