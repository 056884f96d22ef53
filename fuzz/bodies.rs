//! The bodies of the fuzz targets, shared by the libFuzzer binaries (`fuzz_targets/*.rs`) and by
//! the stable corpus replay test (`core/tests/fuzz_corpus_replay.rs`), which includes this file
//! with `#[path]`. Each body panics only when an invariant of the core is broken.
#![allow(dead_code)]

use vitrine_core::photo::{self, CleanOptions, ImageFormat, Limits, sniff::DetectedFormat};

/// A target's body.
pub type Body = fn(&[u8]);

/// Targets by name, as the corpus directories are named.
pub const TARGETS: [(&str, Body); 8] = [
    ("sniff", sniff),
    ("jpeg", jpeg),
    ("png", png),
    ("webp", webp),
    ("exif_orientation", exif_orientation),
    ("clean", clean),
    ("consent_flag", consent_flag),
    ("beacon", beacon),
];

/// An analytics beacon as any page (or anyone with the publishable key) can send it: whatever is
/// accepted is within the schema's bounds, holds nothing that looks like personal data, keeps no
/// identifier without consent, and survives the widget's encoder unchanged.
pub fn beacon(data: &[u8]) {
    use vitrine_core::analytics::beacon::{self, MAX_EVENTS};
    use vitrine_core::analytics::identifiers::is_lower_hex;
    use vitrine_core::analytics::pii::{find_pii, find_pii_in_product};
    let Ok(parsed) = beacon::parse_beacon(data) else {
        return;
    };
    assert!(parsed.events.len() + parsed.refused.len() <= MAX_EVENTS);
    let ids = parsed.identifiers();
    if !parsed.consent {
        assert_eq!(ids, beacon::Identifiers::default());
    }
    for event in &parsed.events {
        assert_eq!(event.session.is_some(), event.name.is_widget_event());
        if let Some(session) = &event.session {
            assert!(is_lower_hex(session, 32));
        }
        if let Some(detail) = &event.detail {
            assert!(
                find_pii(detail).is_none(),
                "stored text looks like personal data"
            );
        }
        if let Some(product) = &event.product {
            assert!(find_pii_in_product(product).is_none());
        }
        assert_eq!(
            &beacon::check_event(&event.to_json()).expect("re-checks"),
            event
        );
    }
    if !parsed.events.is_empty() {
        let again = beacon::encode_beacon(parsed.consent, &ids, &parsed.events);
        let reparsed = beacon::parse_beacon(again.as_bytes()).expect("our own encoding parses");
        assert_eq!(reparsed.events, parsed.events);
        assert_eq!(reparsed.identifiers(), ids);
    }
}

/// The consent flag as localStorage returns it (any script on the retailer's page can write it):
/// whatever counts as valid has not expired, was accepted at most 7 days before it expires, and a
/// flag we write counts exactly until its expiry.
pub fn consent_flag(data: &[u8]) {
    use vitrine_core::consent::{self, CONSENT_LIFETIME_MS, ConsentState};
    let now = data
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0);
    let text = String::from_utf8_lossy(data.get(8..).unwrap_or_default());
    if let ConsentState::Valid { expires_at } = consent::state(Some(&text), now) {
        assert!(expires_at > now);
        assert!(expires_at - CONSENT_LIFETIME_MS <= now.saturating_add(10 * 60 * 1000));
    }
    // (A clock within 7 days of u64::MAX milliseconds cannot hold a flag: it never counts, so the
    // notice shows — the safe side. Found by this target.)
    let ours = consent::accept(now).to_storage_value();
    if let Some(until) = now.checked_add(CONSENT_LIFETIME_MS) {
        assert!(consent::state(Some(&ours), now).is_valid());
        assert!(!consent::state(Some(&ours), until).is_valid());
    } else {
        assert!(!consent::state(Some(&ours), now).is_valid());
    }
}

/// Sniffing never fails to answer, and agrees with itself.
pub fn sniff(data: &[u8]) {
    let detected = photo::sniff::detect(data);
    match photo::sniff(data) {
        Ok(format) => assert_eq!(detected, DetectedFormat::Supported(format)),
        Err(photo::PhotoError::Empty) => assert!(data.is_empty()),
        Err(photo::PhotoError::UnsupportedFormat(f)) => assert_eq!(f, detected),
        Err(other) => panic!("sniff returned {other:?}"),
    }
    let _ = detected.to_string();
}

/// A parsed JPEG rebuilds into one that parses, with only our own structural segments.
pub fn jpeg(data: &[u8]) {
    let Ok(layout) = photo::jpeg::parse(data) else {
        return;
    };
    let rebuilt = photo::jpeg::rebuild(data, &layout);
    let again = photo::jpeg::parse(&rebuilt).expect("a rebuilt JPEG parses");
    assert_eq!(again.frame, layout.frame);
    assert_eq!(again.scans, layout.scans);
    assert_eq!(again.orientation, layout.orientation);
    for carrier in &again.carriers {
        assert!(
            photo::jpeg::is_own_structural_segment(carrier, &rebuilt),
            "{} left in a rebuilt JPEG",
            carrier.name
        );
    }
}

/// A parsed PNG rebuilds into one that parses with no carrier at all.
pub fn png(data: &[u8]) {
    let Ok(layout) = photo::png::parse(data) else {
        return;
    };
    let rebuilt = photo::png::rebuild(data, &layout);
    let again = photo::png::parse(&rebuilt).expect("a rebuilt PNG parses");
    assert_eq!(again.header, layout.header);
    assert!(again.carriers.is_empty(), "{:?}", again.carriers);
}

/// A parsed WebP rebuilds into one that parses with no carrier at all.
pub fn webp(data: &[u8]) {
    let Ok(layout) = photo::webp::parse(data) else {
        return;
    };
    let rebuilt = photo::webp::rebuild(data, &layout);
    let again = photo::webp::parse(&rebuilt).expect("a rebuilt WebP parses");
    assert_eq!((again.width, again.height), (layout.width, layout.height));
    assert!(again.carriers.is_empty(), "{:?}", again.carriers);
}

/// Any TIFF block yields an orientation 1–8 and a summary, never a panic.
pub fn exif_orientation(data: &[u8]) {
    let orientation = photo::exif::read_orientation(data);
    assert!((1..=8).contains(&orientation.exif_value()));
    let summary = photo::exif::summarize(data);
    if let Some(v) = summary.orientation
        && (1..=8).contains(&v)
    {
        assert_eq!(orientation.exif_value(), v);
    }
}

/// The whole pipeline, with small budgets: a verified output or a typed error.
pub fn clean(data: &[u8]) {
    let options = CleanOptions {
        max_side: 64,
        jpeg_quality: 80,
        limits: Limits {
            max_bytes: 1 << 20,
            max_pixels: 1 << 20,
        },
    };
    match photo::clean(data, &options) {
        Ok(cleaned) => {
            let verified = photo::verify_clean(
                &cleaned.bytes,
                cleaned.format,
                (cleaned.width, cleaned.height),
            )
            .expect("clean's output verifies");
            assert!(cleaned.width.max(cleaned.height) <= 64 || !cleaned.reencoded);
            if cleaned.reencoded {
                assert_eq!(verified.format, ImageFormat::Jpeg);
            }
        }
        Err(e) => assert!(!e.code().is_empty()),
    }
}
