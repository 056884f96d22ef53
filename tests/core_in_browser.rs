//! The privacy core, compiled to wasm32 and run in headless Chromium on real photos: the
//! shipped WASM must strip, verify and report exactly as the native build does.
#![cfg(target_arch = "wasm32")]

use vitrine_core::photo::strip::{OrientationOutput, strip_with};
use vitrine_core::photo::{
    ImageFormat, Limits, Orientation, PhotoError, RemovedItem, strip, verify_clean,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const GPS: &[u8] = include_bytes!("../../shared/fixtures/photos/ia__gps_DSCN0010.jpg");
const IPHONE: &[u8] = include_bytes!("../../shared/fixtures/photos/ia__hdr_iphone_hdr_YES.jpg");
const DIRTY_PNG: &[u8] = include_bytes!("../../shared/fixtures/photos/mat2__data_dirty.png");
const DIRTY_WEBP: &[u8] = include_bytes!("../../shared/fixtures/photos/mat2__data_dirty.webp");

macro_rules! orientation_fixtures {
    ($series:literal) => {
        [
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_1.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_2.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_3.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_4.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_5.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_6.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_7.jpg"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../shared/fixtures/photos/ia__orientation_",
                $series,
                "_8.jpg"
            ))
            .as_slice(),
        ]
    };
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[wasm_bindgen_test]
fn a_gps_photo_is_stripped_verified_and_reported_in_plain_words() {
    let stripped = strip(GPS, &Limits::default()).expect("a real camera JPEG strips");
    assert_eq!(stripped.format, ImageFormat::Jpeg);
    assert_eq!(stripped.displayed_dimensions(), (640, 480));
    assert!(contains(GPS, b"Exif\0\0"), "the fixture carries EXIF");
    assert!(!contains(&stripped.bytes, b"Exif\0\0"), "no EXIF left");
    assert!(
        !contains(&stripped.bytes, b"http://ns.adobe.com/xap"),
        "no XMP left"
    );
    let words = stripped.report.plain_words();
    assert_eq!(
        words.first(),
        Some(&"GPS location"),
        "location is named first: {words:?}"
    );
    assert!(
        stripped
            .report
            .items
            .contains(&RemovedItem::CameraMakeModel)
    );
    assert!(
        stripped
            .report
            .items
            .contains(&RemovedItem::EmbeddedThumbnail)
    );
    assert!(stripped.report.bytes_removed > 10_000);
    verify_clean(&stripped.bytes, ImageFormat::Jpeg, (640, 480)).expect("the output verifies");
    // Verification is not a rubber stamp: the original fails it.
    let refused = verify_clean(GPS, ImageFormat::Jpeg, (640, 480)).expect_err("EXIF is present");
    assert_eq!(refused.code(), "verification_failed");
}

#[wasm_bindgen_test]
fn a_12_mp_phone_photo_strips_in_the_browser() {
    let stripped = strip(IPHONE, &Limits::default()).expect("the iPhone photo strips");
    assert_eq!(stripped.displayed_dimensions(), (3264, 2448));
    assert!(stripped.report.items.contains(&RemovedItem::GpsLocation));
    assert!(IPHONE.len() - stripped.bytes.len() >= stripped.report.bytes_removed / 2);
    verify_clean(&stripped.bytes, ImageFormat::Jpeg, (3264, 2448)).expect("verifies");
}

#[wasm_bindgen_test]
fn png_and_webp_text_and_exif_chunks_are_removed() {
    let png = strip(DIRTY_PNG, &Limits::default()).expect("PNG strips");
    assert_eq!(png.format, ImageFormat::Png);
    assert!(
        png.report.items.contains(&RemovedItem::ModificationTime),
        "{:?}",
        png.report.items
    );
    assert!(!contains(&png.bytes, b"iTXt") && !contains(&png.bytes, b"tIME"));
    verify_clean(&png.bytes, ImageFormat::Png, (800, 600)).expect("PNG verifies");

    let webp = strip(DIRTY_WEBP, &Limits::default()).expect("WebP strips");
    assert_eq!(webp.format, ImageFormat::WebP);
    assert!(contains(DIRTY_WEBP, b"EXIF") && !contains(&webp.bytes, b"EXIF"));
    verify_clean(&webp.bytes, ImageFormat::WebP, (800, 600)).expect("WebP verifies");
}

fn check_orientation_series(series: &[&[u8]; 8], displayed: (u32, u32)) {
    for (index, bytes) in series.iter().enumerate() {
        let value = u32::try_from(index + 1).expect("1..=8");
        let restated = strip(bytes, &Limits::default()).expect("orientation fixture strips");
        assert_eq!(
            restated.orientation,
            Orientation::from_exif(value),
            "fixture _{value}"
        );
        assert_eq!(
            restated.displayed_dimensions(),
            displayed,
            "fixture _{value}"
        );
        assert!(
            restated.displays_upright(),
            "fixture _{value}: JPEG keeps its orientation"
        );
        verify_clean(&restated.bytes, ImageFormat::Jpeg, displayed).expect("restated verifies");

        let omitted = strip_with(bytes, &Limits::default(), OrientationOutput::Omit)
            .expect("orientation fixture strips");
        assert!(!omitted.orientation_restated);
        // With the orientation omitted the file displays as stored: what the canvas must turn.
        let stored = (omitted.stored_width, omitted.stored_height);
        let as_stored = verify_clean(&omitted.bytes, ImageFormat::Jpeg, stored)
            .expect("the omitted form verifies at its stored size");
        assert_eq!(
            as_stored.orientation,
            Orientation::Normal,
            "fixture _{value}"
        );
    }
}

#[wasm_bindgen_test]
fn every_orientation_fixture_comes_out_with_the_right_displayed_dimensions() {
    check_orientation_series(&orientation_fixtures!("landscape"), (600, 450));
    check_orientation_series(&orientation_fixtures!("portrait"), (450, 600));
}

#[path = "support/tiny_jpeg.rs"]
mod tiny_jpeg;

fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    tiny_jpeg::tiny_jpeg(width, height, None)
}

fn code_of(bytes: &[u8]) -> &'static str {
    match strip(bytes, &Limits::default()) {
        Ok(_) => "accepted",
        Err(error) => error.code(),
    }
}

#[wasm_bindgen_test]
fn hostile_inputs_get_their_specific_codes() {
    assert_eq!(code_of(&GPS[..5000]), "truncated");
    assert_eq!(code_of(&jpeg_header(65500, 65500)), "too_many_pixels");
    assert_eq!(
        code_of(&jpeg_header(64, 48)),
        "accepted",
        "the bomb's header builder is sound"
    );
    assert_eq!(
        code_of(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        "unsupported_format"
    );
    assert_eq!(code_of(b"GIF89a\x01\0\x01\0\0\0\0"), "unsupported_format");
    assert_eq!(code_of(b""), "empty_file");
    let heic = strip(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", &Limits::default());
    assert!(
        matches!(&heic, Err(e @ PhotoError::UnsupportedFormat(_)) if e.to_string().starts_with("HEIC")),
        "{heic:?}"
    );
    // Random bytes, a few seeds: refused with a code, never a panic (a panic aborts the test).
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..64 {
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        assert_eq!(code_of(&noise), "unsupported_format");
    }
    // Random bytes behind a valid JPEG signature reach the parser and are still refused.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    fake.extend((0..2000u32).map(|i| u8::try_from((i * 7919) % 251).expect("< 251")));
    assert_ne!(code_of(&fake), "accepted");
}

// ---- analytics: the same PII table, hashes and truncations as natively ----

#[path = "../core/tests/pii_table.rs"]
mod pii_table;

#[wasm_bindgen_test]
fn the_pii_table_is_decided_the_same_in_the_browser() {
    let wrong = pii_table::disagreements();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[wasm_bindgen_test]
fn user_id_hashing_and_address_truncation_vectors_hold_in_the_browser() {
    use std::net::IpAddr;
    use vitrine_core::analytics::identifiers::{
        hash_user_id, hex_encode, hmac_sha256, truncate_address,
    };
    // RFC 4231 test case 2, and the user-id vector computed independently with Python's hmac.
    assert_eq!(
        hex_encode(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hash_user_id(&"00".repeat(32), "user-42").expect("hashes"),
        "61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b"
    );
    for (full, truncated) in [
        ("203.0.113.77", "203.0.113.0"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:1234:5678::1", "2001:db8:abcd::"),
    ] {
        let full: IpAddr = full.parse().expect("address");
        let truncated: IpAddr = truncated.parse().expect("address");
        assert_eq!(truncate_address(full), truncated);
    }
}
