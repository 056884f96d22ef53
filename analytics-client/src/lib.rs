//! The analytics client's core, compiled to its own WASM (`pkg/vitrine_analytics_bg.wasm`).
//!
//! Why a second WASM rather than the widget's: `Vitrine.track` runs on every page of the shop,
//! most of which never open the widget. The widget's WASM (photo pipeline, compositor, IndexedDB
//! store) is ~150 KB gzipped; this one holds only the event schema, the PII detector and the
//! user-id hash from `vitrine_core::analytics`, so the same checks the server runs happen in the
//! browser first, at a fraction of the download.
//!
//! Events wait here, already checked, until `www/analytics.js` takes a beacon (when the page is
//! hidden, or a batch is full). Nothing is written to storage.

use std::cell::RefCell;

use vitrine_core::analytics::beacon::{
    self, Identifiers, MAX_BEACON_BYTES, MAX_EVENTS, check_event,
};
use vitrine_core::analytics::events::Event;

/// Events held at most; beyond it the oldest are dropped (a page that is never hidden and whose
/// beacons keep failing must not grow without bound).
pub const MAX_QUEUED: usize = 500;

thread_local! {
    static QUEUE: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
}

/// Checks one event (its wire JSON) and queues it. Returns how many are queued, or the refusal
/// as `code: message` (the message names the field, never its value).
pub fn record_event(event_json: &str) -> Result<usize, String> {
    let event = check_event(event_json).map_err(|error| format!("{}: {error}", error.code()))?;
    Ok(QUEUE.with_borrow_mut(|queue| {
        if queue.len() >= MAX_QUEUED {
            queue.remove(0);
        }
        queue.push(event);
        queue.len()
    }))
}

/// Takes the oldest queued events that fit one beacon (at most [`MAX_EVENTS`], under
/// [`MAX_BEACON_BYTES`]) and returns its body; `None` when nothing is queued. Without consent
/// the body carries no identifier.
pub fn take_beacon_body(
    consent: bool,
    anonymous: Option<String>,
    user: Option<String>,
) -> Option<String> {
    let ids = Identifiers { anonymous, user };
    QUEUE.with_borrow_mut(|queue| {
        if queue.is_empty() {
            return None;
        }
        let mut take = queue.len().min(MAX_EVENTS);
        let mut body = beacon::encode_beacon(consent, &ids, &queue[..take]);
        while body.len() > MAX_BEACON_BYTES && take > 1 {
            take /= 2;
            body = beacon::encode_beacon(consent, &ids, &queue[..take]);
        }
        queue.drain(..take);
        Some(body)
    })
}

/// Events queued.
pub fn queued() -> usize {
    QUEUE.with_borrow(Vec::len)
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    /// See [`super::record_event`]. Throws `Error("code: message")`.
    #[wasm_bindgen]
    pub fn record(event_json: &str) -> Result<usize, JsError> {
        super::record_event(event_json).map_err(|message| JsError::new(&message))
    }

    /// See [`super::take_beacon_body`].
    #[wasm_bindgen]
    pub fn take_beacon(
        consent: bool,
        anonymous: Option<String>,
        user: Option<String>,
    ) -> Option<String> {
        super::take_beacon_body(consent, anonymous, user)
    }

    /// Events queued.
    #[wasm_bindgen]
    pub fn pending() -> usize {
        super::queued()
    }

    /// The retailer's user id hashed under its salt (64 hex); see
    /// `vitrine_core::analytics::identifiers::hash_user_id`.
    #[wasm_bindgen]
    pub fn hash_user_id(salt_hex: &str, user_id: &str) -> Result<String, JsError> {
        vitrine_core::analytics::identifiers::hash_user_id(salt_hex, user_id)
            .map_err(|error| JsError::new(&error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SESSION: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn events_queue_and_leave_in_bounded_beacons() {
        let opened = format!(r#"{{"name":"opened","at":1,"session":"{SESSION}","first":true}}"#);
        for i in 1..=60 {
            assert_eq!(record_event(&opened).unwrap(), i);
        }
        let first = take_beacon_body(false, Some("a".repeat(32)), None).unwrap();
        let parsed = beacon::parse_beacon(first.as_bytes()).unwrap();
        assert_eq!(parsed.events.len(), MAX_EVENTS);
        assert!(!first.contains("aaaa"), "no identifier without consent");
        assert_eq!(queued(), 10);
        let second = take_beacon_body(true, Some("a".repeat(32)), None).unwrap();
        assert!(second.contains(&"a".repeat(32)));
        assert_eq!(queued(), 0);
        assert_eq!(take_beacon_body(true, None, None), None);
        // Personal data is refused with the field's name, not its value.
        let error =
            record_event(r#"{"name":"search","at":1,"term":"me@example.com"}"#).unwrap_err();
        assert!(error.starts_with("personal_data: `term`"), "{error}");
        assert!(!error.contains("example"));
        assert_eq!(queued(), 0);
        // Long events are split so each beacon stays under the size limit.
        let long = format!(
            r#"{{"name":"product_view","at":1,"product":"{}"}}"#,
            "P".repeat(128)
        );
        for _ in 0..MAX_EVENTS {
            record_event(&long).unwrap();
        }
        while let Some(body) = take_beacon_body(false, None, None) {
            assert!(body.len() <= MAX_BEACON_BYTES);
            beacon::parse_beacon(body.as_bytes()).unwrap();
        }
    }
}
