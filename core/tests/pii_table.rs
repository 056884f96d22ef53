//! The PII detector's table of true and false positives, shared by `core/tests/analytics.rs`
//! (native) and the widget crate's `tests/core_in_browser.rs` (wasm32 in headless Chromium), so the
//! same cases are decided the same way on both sides. Included with `#[path]`.

use vitrine_core::analytics::pii::PiiKind;

/// What the detector refuses, and what it lets through — false positives included, so a change
/// in either direction is seen.
pub const TABLE: &[(&str, Option<PiiKind>)] = &[
    // Emails.
    ("jane.doe@example.com", Some(PiiKind::Email)),
    (
        "contact me: JANE+rugs@Mail.Example.co.uk!",
        Some(PiiKind::Email),
    ),
    ("jane%40example.com", Some(PiiKind::Email)),
    ("jane@example.com.", Some(PiiKind::Email)),
    ("zoë@exämple.de", Some(PiiKind::Email)),
    ("search?q=a+b%40c.io", Some(PiiKind::Email)),
    ("@handle", None),
    ("rugs @ 50% off", None),
    ("user@localhost", None),
    ("a@b.c", None),
    ("sofa@home", None),
    // Payment cards (test numbers of the card schemes).
    ("4111 1111 1111 1111", Some(PiiKind::PaymentCard)),
    ("4111-1111-1111-1111", Some(PiiKind::PaymentCard)),
    ("card 5555555555554444 please", Some(PiiKind::PaymentCard)),
    ("378282246310005", Some(PiiKind::PaymentCard)),
    ("6011 0009 9013 9424", Some(PiiKind::PaymentCard)),
    // Sixteen digits with a wrong Luhn digit: not a card, and too long for a phone.
    ("4111 1111 1111 1112", None),
    // Phones.
    ("+44 20 7946 0958", Some(PiiKind::Phone)),
    ("(020) 7946 0958", Some(PiiKind::Phone)),
    ("020 7946 0958", Some(PiiKind::Phone)),
    ("07700900123", Some(PiiKind::Phone)),
    ("555-123-4567", Some(PiiKind::Phone)),
    ("+1 (555) 123-4567", Some(PiiKind::Phone)),
    ("01.23.45.67.89", Some(PiiKind::Phone)),
    ("call +4930901820", Some(PiiKind::Phone)),
    ("tel%3A%2B4930901820", Some(PiiKind::Phone)),
    // Known false positives: long plain numbers are refused as phones.
    ("ean 4006381333931", Some(PiiKind::Phone)),
    ("3.14159265358979", Some(PiiKind::Phone)),
    // Not phones.
    ("oak plank 190", None),
    ("OAK-PLANK-190", None),
    ("rug 200x300 cm", None),
    ("2026-11-24", None),
    ("£1,299.99", None),
    ("1299.99", None),
    ("size 120-180", None),
    ("SKU1234567890", None),
    ("1234567890AB", None),
    ("12345", None),
    ("10 20 30", None),
    ("ISBN 978-3-16", None),
    // IPv4.
    ("203.0.113.77", Some(PiiKind::IpAddress)),
    ("from 10.1.2.3:8080", Some(PiiKind::IpAddress)),
    ("v1.2.3.4", Some(PiiKind::IpAddress)),
    ("203.0.113.0", None),
    ("version 1.2.3", None),
    ("24.11.2026", None),
    ("999.1.1.1", None),
    // IPv6.
    ("2001:db8:abcd:12::1", Some(PiiKind::IpAddress)),
    ("[fe80::1]", Some(PiiKind::IpAddress)),
    ("::ffff:203.0.113.9", Some(PiiKind::IpAddress)),
    ("2001:db8:abcd::", None),
    ("12:30", None),
    ("ratio 16:9:4", None),
    ("::", None),
    // Ordinary search terms and pages.
    ("walnut coffee table", None),
    ("grey sofa under 500", None),
    ("category/rugs", None),
    ("", None),
    ("日本語の検索", None),
];

/// The cases the detector decides differently from the table, in words (empty when all agree).
pub fn disagreements() -> Vec<String> {
    TABLE
        .iter()
        .filter_map(|(text, expected)| {
            let got = vitrine_core::analytics::pii::find_pii(text);
            (got != *expected).then(|| format!("{text:?}: expected {expected:?}, got {got:?}"))
        })
        .collect()
}
