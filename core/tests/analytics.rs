//! The analytics wire format and PII refusal, end to end through `parse_beacon`: what the server
//! runs on every beacon and the widget runs on every event before sending.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vitrine_core::analytics::beacon::{
    BeaconError, Identifiers, MAX_BEACON_BYTES, MAX_EVENT_AGE_MS, MAX_EVENTS, check_event,
    encode_beacon, parse_beacon,
};
use vitrine_core::analytics::events::{Event, EventName};
use vitrine_core::analytics::pii::{PiiKind, find_pii};

#[path = "pii_table.rs"]
mod pii_table;

const SESSION: &str = "0123456789abcdef0123456789abcdef";
const ANON: &str = "fedcba9876543210fedcba9876543210";
const USER: &str = "61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b";
const NOW: u64 = 1_764_000_000_000;

fn body(consent: u8, events: &str) -> String {
    format!(
        r#"{{"v":1,"consent":{consent},"ids":{{"anonymous":"{ANON}","user":"{USER}"}},"events":[{events}]}}"#
    )
}

fn error_code(body: &str) -> &'static str {
    parse_beacon(body.as_bytes()).unwrap_err().code()
}

#[test]
fn the_table_of_true_and_false_positives() {
    let wrong = pii_table::disagreements();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(pii_table::TABLE.len() > 50);
}

#[test]
fn a_full_beacon_reads_back_field_by_field() {
    let events = format!(
        r#"{{"name":"opened","at":{NOW},"session":"{SESSION}","first":true}},
           {{"name":"photo_rejected","at":{NOW},"session":"{SESSION}","reason":"person_detected"}},
           {{"name":"search","at":{NOW},"term":"oak flooring"}},
           {{"name":"add_to_cart","at":{NOW},"product":"OAK-PLANK-190","quantity":2}},
           {{"name":"purchase","at":{NOW},"value":129.5,"currency":"EUR"}},
           {{"name":"page_view","at":{NOW}}}"#
    );
    let beacon = parse_beacon(body(1, &events).as_bytes()).unwrap();
    assert!(beacon.consent);
    assert_eq!(
        beacon.identifiers(),
        Identifiers {
            anonymous: Some(ANON.into()),
            user: Some(USER.into())
        }
    );
    assert!(beacon.refused.is_empty());
    let e = &beacon.events;
    assert_eq!(e.len(), 6);
    assert_eq!(e[0].name, EventName::Opened);
    assert_eq!(e[0].session.as_deref(), Some(SESSION));
    assert!(e[0].first);
    assert_eq!(e[1].detail.as_deref(), Some("person_detected"));
    assert!(!e[1].first);
    assert_eq!(e[2].detail.as_deref(), Some("oak flooring"));
    assert_eq!(e[2].session, None);
    assert_eq!(e[3].product.as_deref(), Some("OAK-PLANK-190"));
    assert_eq!(e[3].amount, Some(2.0));
    assert_eq!(e[4].amount, Some(129.5));
    assert_eq!(e[4].currency.as_deref(), Some("EUR"));
    assert_eq!(e[5].detail, None);
}

#[test]
fn without_consent_no_identifier_survives_parsing() {
    let events = format!(r#"{{"name":"opened","at":{NOW},"session":"{SESSION}"}}"#);
    let beacon = parse_beacon(body(0, &events).as_bytes()).unwrap();
    assert!(!beacon.consent);
    assert_eq!(beacon.identifiers(), Identifiers::default());
    // And the widget's encoder writes none.
    let encoded = encode_beacon(
        false,
        &Identifiers {
            anonymous: Some(ANON.into()),
            user: Some(USER.into()),
        },
        &beacon.events,
    );
    assert!(
        !encoded.contains(ANON) && !encoded.contains(USER),
        "{encoded}"
    );
    assert!(encoded.contains(r#""consent":0"#));
}

#[test]
fn each_structural_fault_has_its_own_error() {
    let opened = format!(r#"{{"name":"opened","at":{NOW},"session":"{SESSION}"}}"#);
    assert_eq!(error_code("{not json"), "malformed_json");
    assert_eq!(error_code("[1,2]"), "malformed_json");
    assert_eq!(
        error_code(&format!(r#"{{"v":2,"consent":0,"events":[{opened}]}}"#)),
        "unsupported_version"
    );
    assert_eq!(
        error_code(&format!(r#"{{"v":1,"events":[{opened}]}}"#)),
        "missing_field"
    );
    assert_eq!(
        error_code(&format!(r#"{{"v":1,"consent":true,"events":[{opened}]}}"#)),
        "invalid_field"
    );
    assert_eq!(
        error_code(&body(0, &format!(r#"{{"name":"login","at":{NOW}}}"#))),
        "unknown_event"
    );
    assert_eq!(
        error_code(&body(
            0,
            &format!(r#"{{"name":"search","at":{NOW},"term":"rug","email":"x"}}"#)
        )),
        "unknown_field"
    );
    assert_eq!(
        error_code(&format!(
            r#"{{"v":1,"consent":0,"tracking":1,"events":[{opened}]}}"#
        )),
        "unknown_field"
    );
    assert_eq!(
        error_code(&format!(
            r#"{{"v":1,"consent":1,"ids":{{"email":"a"}},"events":[{opened}]}}"#
        )),
        "unknown_field"
    );
    assert_eq!(error_code(&body(0, "")), "no_events");
    let many = vec![opened.clone(); MAX_EVENTS + 1].join(",");
    assert_eq!(error_code(&body(0, &many)), "too_many_events");
    let exactly = vec![opened.clone(); MAX_EVENTS].join(",");
    assert_eq!(
        parse_beacon(body(0, &exactly).as_bytes())
            .unwrap()
            .events
            .len(),
        MAX_EVENTS
    );
    assert_eq!(error_code(&" ".repeat(MAX_BEACON_BYTES + 1)), "too_large");
    // Shapes.
    for bad in [
        format!(r#"{{"name":"opened","at":{NOW}}}"#),
        format!(r#"{{"name":"opened","at":-1,"session":"{SESSION}"}}"#),
        format!(
            r#"{{"name":"opened","at":{NOW},"session":"{}"}}"#,
            SESSION.to_uppercase()
        ),
        format!(r#"{{"name":"opened","at":{NOW},"session":"{SESSION}","first":1}}"#),
        format!(r#"{{"name":"search","at":{NOW},"term":""}}"#),
        format!(
            r#"{{"name":"search","at":{NOW},"term":"{}"}}"#,
            "a".repeat(101)
        ),
        format!(r#"{{"name":"search","at":{NOW},"term":"a\nb"}}"#),
        format!(r#"{{"name":"search","at":{NOW},"term":7}}"#),
        format!(r#"{{"name":"render_failed","at":{NOW},"session":"{SESSION}","kind":"Bad Kind"}}"#),
        format!(r#"{{"name":"add_to_cart","at":{NOW},"product":"A","quantity":0}}"#),
        format!(r#"{{"name":"purchase","at":{NOW},"value":-1,"currency":"EUR"}}"#),
        format!(r#"{{"name":"purchase","at":{NOW},"value":1,"currency":"eur"}}"#),
        format!(
            r#"{{"name":"product_view","at":{NOW},"product":"{}"}}"#,
            "p".repeat(129)
        ),
    ] {
        let code = error_code(&body(0, &bad));
        assert!(
            code == "invalid_field" || code == "missing_field",
            "{bad}: {code}"
        );
    }
    // Required fields.
    assert_eq!(
        error_code(&body(
            0,
            &format!(r#"{{"name":"purchase","at":{NOW},"value":1}}"#)
        )),
        "missing_field"
    );
}

#[test]
fn errors_never_echo_a_name_outside_the_schema() {
    let error = parse_beacon(
        body(
            0,
            &format!(r#"{{"name":"search","at":{NOW},"term":"rug","jane@example.com":1}}"#),
        )
        .as_bytes(),
    )
    .unwrap_err();
    assert!(!error.to_string().contains("jane"), "{error}");
    let error =
        parse_beacon(body(0, &format!(r#"{{"name":"+447700900123","at":{NOW}}}"#)).as_bytes())
            .unwrap_err();
    assert_eq!(error.code(), "unknown_event");
    assert!(!error.to_string().contains("7700"), "{error}");
}

#[test]
fn personal_data_removes_the_event_and_keeps_the_rest() {
    let events = format!(
        r#"{{"name":"search","at":{NOW},"term":"jane.doe@example.com"}},
           {{"name":"search","at":{NOW},"term":"call 07700 900123"}},
           {{"name":"product_view","at":{NOW},"product":"4111111111111111"}},
           {{"name":"page_view","at":{NOW},"page":"from 203.0.113.7"}},
           {{"name":"search","at":{NOW},"term":"walnut table"}}"#
    );
    let beacon = parse_beacon(body(1, &events).as_bytes()).unwrap();
    assert_eq!(
        beacon.refused,
        vec![
            PiiKind::Email,
            PiiKind::Phone,
            PiiKind::PaymentCard,
            PiiKind::IpAddress
        ]
    );
    assert_eq!(beacon.events.len(), 1);
    assert_eq!(beacon.events[0].detail.as_deref(), Some("walnut table"));
    // On the widget's side the same event is an error that names the field, not the value.
    let error = check_event(&format!(
        r#"{{"name":"search","at":{NOW},"term":"jane.doe@example.com"}}"#
    ))
    .unwrap_err();
    assert_eq!(error.code(), "personal_data");
    assert!(error.to_string().contains("term") && !error.to_string().contains("jane"));
}

#[test]
fn events_outside_the_time_window_are_dropped() {
    let events = format!(
        r#"{{"name":"search","at":{NOW},"term":"now"}},
           {{"name":"search","at":{},"term":"too old"}},
           {{"name":"search","at":{},"term":"from the future"}}"#,
        NOW - MAX_EVENT_AGE_MS - 1,
        NOW + 11 * 60 * 1000
    );
    let mut beacon = parse_beacon(body(1, &events).as_bytes()).unwrap();
    assert_eq!(beacon.drop_events_out_of_time(NOW), 2);
    assert_eq!(beacon.events.len(), 1);
}

// ---- properties ----

fn safe_text() -> impl Strategy<Value = String> {
    // Letters, spaces and short numbers: cannot form any kind of personal data.
    "[a-zA-Zéü ]{1,20}( [0-9]{1,4})?[a-z]{0,10}"
        .prop_filter("not blank-only", |s| !s.trim().is_empty())
}

fn event_strategy() -> impl Strategy<Value = Event> {
    let name = proptest::sample::select(EventName::ALL.to_vec());
    (
        name,
        0u64..=NOW,
        safe_text(),
        any::<bool>(),
        1u32..=100,
        0u32..100_000,
    )
        .prop_map(|(name, at, text, first, count, cents)| {
            let widget = name.is_widget_event();
            let mut event = Event {
                name,
                at,
                session: widget.then(|| SESSION.to_owned()),
                first: widget && first,
                detail: None,
                product: None,
                amount: None,
                currency: None,
            };
            match name {
                EventName::PhotoRejected | EventName::RenderFailed => {
                    event.detail = Some("person_detected".into())
                }
                EventName::Search | EventName::PageView => event.detail = Some(text),
                EventName::ProductView => event.product = Some(text),
                EventName::ItemClick | EventName::AddToCart => {
                    event.product = Some(text);
                    event.amount = Some(f64::from(count));
                }
                EventName::Purchase => {
                    event.amount = Some(f64::from(cents) / 100.0);
                    event.currency = Some("GBP".into());
                }
                _ => {}
            }
            event
        })
}

fn pii_strategy() -> impl Strategy<Value = (String, PiiKind)> {
    prop_oneof![
        "[a-z]{1,8}(\\.[a-z]{1,8})?@[a-z]{2,8}\\.(com|org|co\\.uk|de)"
            .prop_map(|s| (s, PiiKind::Email)),
        "\\+[1-9][0-9]{9,12}".prop_map(|s| (s, PiiKind::Phone)),
        "0[1-9][0-9]{2} [0-9]{3} [0-9]{4}".prop_map(|s| (s, PiiKind::Phone)),
        (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=255)
            .prop_map(|(a, b, c, d)| (format!("{a}.{b}.{c}.{d}"), PiiKind::IpAddress)),
        (0x2001u16..=0x2fff, any::<u16>(), 1u16..)
            .prop_map(|(a, b, z)| (format!("{a:x}:db8:{b:x}:1::{z:x}"), PiiKind::IpAddress)),
        "4[0-9]{14}".prop_map(|s| (with_luhn_digit(&s), PiiKind::PaymentCard)),
    ]
}

/// `partial` with the Luhn check digit appended.
fn with_luhn_digit(partial: &str) -> String {
    let sum: u32 = partial
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{partial}{}", (10 - sum % 10) % 10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_the_widget_encodes_the_server_reads_back_unchanged(
        events in proptest::collection::vec(event_strategy(), 1..=MAX_EVENTS),
        consent in any::<bool>(),
    ) {
        let ids = Identifiers { anonymous: Some(ANON.into()), user: Some(USER.into()) };
        let body = encode_beacon(consent, &ids, &events);
        let beacon = parse_beacon(body.as_bytes()).unwrap();
        prop_assert_eq!(&beacon.events, &events);
        prop_assert_eq!(beacon.consent, consent);
        prop_assert!(beacon.refused.is_empty());
        let expected = if consent { ids } else { Identifiers::default() };
        prop_assert_eq!(beacon.identifiers(), expected);
        // Each event also passes the widget's own check, unchanged.
        for event in &events {
            prop_assert_eq!(&check_event(&event.to_json()).unwrap(), event);
        }
    }

    #[test]
    fn personal_data_anywhere_in_a_term_is_refused(
        (pii, kind) in pii_strategy(),
        before in "([a-z]{1,8} ){0,2}",
        after in "( [a-z]{1,8}){0,2}",
    ) {
        let term = format!("{before}{pii}{after}");
        prop_assume!(term.chars().count() <= 100);
        prop_assert_eq!(find_pii(&term), Some(kind), "{}", term);
        let event = format!(r#"{{"name":"search","at":{NOW},"term":"{term}"}}"#);
        let beacon = parse_beacon(body(1, &event).as_bytes());
        prop_assert_eq!(beacon.unwrap().refused, vec![kind]);
        prop_assert_eq!(check_event(&event).unwrap_err().code(), "personal_data");
    }

    #[test]
    fn safe_text_is_never_refused(text in safe_text()) {
        prop_assert_eq!(find_pii(&text), None, "{}", text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_beacon(&bytes);
    }

    #[test]
    fn arbitrary_json_values_never_panic(text in "\\{\"v\":1,\"consent\":[01],\"events\":\\[\\{\"name\":\"(search|opened|purchase)\",\"at\":[0-9]{1,13}(,\"[a-z]{1,8}\":(\"[^\"\\\\]{0,20}\"|[0-9.e-]{1,8}|null|true))*\\}\\]\\}") {
        match parse_beacon(text.as_bytes()) {
            Ok(_) | Err(BeaconError::MissingField(_) | BeaconError::UnknownField(_)
                | BeaconError::InvalidField { .. } | BeaconError::MalformedJson(_)) => {}
            Err(other) => prop_assert!(false, "{}: {:?}", text, other),
        }
    }
}
