//! The beacon: one batch of events as the widget sends it and the server reads it.
//!
//! ```json
//! {"v": 1, "consent": 1,
//!  "ids": {"anonymous": "<32 hex>", "user": "<64 hex>"},
//!  "events": [{"name": "opened", "at": 1764000000000, "session": "<32 hex>", "first": true},
//!             {"name": "search", "at": 1764000000500, "term": "oak flooring"}]}
//! ```
//!
//! - `consent` is required: `0` unless the shopper has consented. The widget sends no `ids`
//!   under `consent: 0`; the server drops any it gets anyway ([`Beacon::identifiers`]).
//! - `anonymous` is 128 random bits, `user` the retailer's user id hashed under the retailer's
//!   salt ([`super::identifiers::hash_user_id`]); both lowercase hex, so nothing typed can hide in
//!   them.
//! - At most [`MAX_EVENTS`] events and [`MAX_BEACON_BYTES`] bytes.
//!
//! [`parse_beacon`] refuses the whole batch for a structural fault (it is a bug in the sender, and
//! a specific error says which), but an event that only *looks like personal data* is removed and
//! reported in [`Beacon::refused`], and the rest is kept.

use serde_json::{Map, Value};

use super::events::{
    Event, EventName, FieldKind, MAX_CODE_CHARS, MAX_COUNT, MAX_ORDER_VALUE, MAX_PRODUCT_CHARS,
    MAX_TEXT_CHARS,
};
use super::identifiers::is_lower_hex;
use super::pii::{PiiKind, find_pii, find_pii_in_product};

/// The wire format's version.
pub const BEACON_VERSION: u64 = 1;
/// Most events in one beacon.
pub const MAX_EVENTS: usize = 50;
/// Largest beacon body, in bytes (well under `sendBeacon`'s 64 KiB in-flight budget).
pub const MAX_BEACON_BYTES: usize = 16 * 1024;
/// Events older than this when they arrive are dropped (a tab left open for a week).
pub const MAX_EVENT_AGE_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// Events from further in the future than this are dropped (a wrong clock).
pub const MAX_CLOCK_AHEAD_MS: u64 = 10 * 60 * 1000;

/// Why a beacon (or one event, on the widget's side) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    /// Over [`MAX_BEACON_BYTES`].
    #[error("the beacon is over {MAX_BEACON_BYTES} bytes")]
    TooLarge,
    /// Not JSON, or not a JSON object where one is needed.
    #[error("the beacon is not valid JSON: {0}")]
    MalformedJson(String),
    /// `v` is not [`BEACON_VERSION`].
    #[error("unsupported beacon version (this server reads version {BEACON_VERSION})")]
    UnsupportedVersion,
    /// A required field is missing.
    #[error("`{0}` is missing")]
    MissingField(String),
    /// A field the schema does not have.
    #[error("`{0}` is not a field of this schema")]
    UnknownField(String),
    /// A field with the wrong type, shape or size.
    #[error("`{field}` {why}")]
    InvalidField {
        /// Where (`events[2].term`).
        field: String,
        /// What is wrong.
        why: String,
    },
    /// An event name the schema does not have.
    #[error("`{0}` is not an event of this schema")]
    UnknownEvent(String),
    /// No events.
    #[error("the beacon has no events")]
    NoEvents,
    /// More than [`MAX_EVENTS`] events.
    #[error("the beacon has {0} events; at most {MAX_EVENTS} are accepted")]
    TooManyEvents(usize),
    /// (Widget side only.) The event looks like it holds personal data and was not sent.
    #[error("`{field}` looks like {} and was not sent", describe(*.kind))]
    PersonalData {
        /// Which field.
        field: String,
        /// What it looked like.
        kind: PiiKind,
    },
}

fn describe(kind: PiiKind) -> &'static str {
    match kind {
        PiiKind::Email => "an email address",
        PiiKind::PaymentCard => "a payment card number",
        PiiKind::Phone => "a phone number",
        PiiKind::IpAddress => "a full IP address",
    }
}

impl BeaconError {
    /// A stable code for the API's error body and the widget.
    pub fn code(&self) -> &'static str {
        match self {
            BeaconError::TooLarge => "too_large",
            BeaconError::MalformedJson(_) => "malformed_json",
            BeaconError::UnsupportedVersion => "unsupported_version",
            BeaconError::MissingField(_) => "missing_field",
            BeaconError::UnknownField(_) => "unknown_field",
            BeaconError::InvalidField { .. } => "invalid_field",
            BeaconError::UnknownEvent(_) => "unknown_event",
            BeaconError::NoEvents => "no_events",
            BeaconError::TooManyEvents(_) => "too_many_events",
            BeaconError::PersonalData { .. } => "personal_data",
        }
    }
}

/// A name from the input, as an error may repeat it: only if it is shaped like a schema name
/// (so an unknown field called `jane@example.com` is not echoed back, or into a log).
fn echo(name: &str) -> String {
    if (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        name.to_owned()
    } else {
        "(a name outside the schema)".to_owned()
    }
}

/// The identifiers a beacon carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    /// The anonymous id: 32 lowercase hex digits.
    pub anonymous: Option<String>,
    /// The hashed user id: 64 lowercase hex digits.
    pub user: Option<String>,
}

/// A parsed beacon.
#[derive(Debug, Clone, PartialEq)]
pub struct Beacon {
    /// Whether the shopper consented (`consent: 1`).
    pub consent: bool,
    ids: Identifiers,
    /// The events that passed.
    pub events: Vec<Event>,
    /// Events removed because a field looked like personal data: their kinds (never the values).
    pub refused: Vec<PiiKind>,
}

impl Beacon {
    /// The identifiers that may be kept: none at all unless the shopper consented.
    pub fn identifiers(&self) -> Identifiers {
        if self.consent {
            self.ids.clone()
        } else {
            Identifiers::default()
        }
    }

    /// Drops the events whose time is outside what `now_ms` allows (older than
    /// [`MAX_EVENT_AGE_MS`], or ahead by more than [`MAX_CLOCK_AHEAD_MS`]); returns how many.
    pub fn drop_events_out_of_time(&mut self, now_ms: u64) -> usize {
        let before = self.events.len();
        self.events.retain(|e| in_time_window(e.at, now_ms));
        before - self.events.len()
    }
}

/// Whether an event at `at_ms` may be kept when it arrives at `now_ms`.
pub fn in_time_window(at_ms: u64, now_ms: u64) -> bool {
    at_ms >= now_ms.saturating_sub(MAX_EVENT_AGE_MS)
        && at_ms <= now_ms.saturating_add(MAX_CLOCK_AHEAD_MS)
}

/// Reads a beacon body (see the module doc).
pub fn parse_beacon(body: &[u8]) -> Result<Beacon, BeaconError> {
    if body.len() > MAX_BEACON_BYTES {
        return Err(BeaconError::TooLarge);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BeaconError::MalformedJson(e.to_string()))?;
    let Value::Object(mut top) = value else {
        return Err(BeaconError::MalformedJson(
            "the beacon must be a JSON object".to_owned(),
        ));
    };
    match take(&mut top, "v")? {
        Value::Number(n) if n.as_u64() == Some(BEACON_VERSION) => {}
        _ => return Err(BeaconError::UnsupportedVersion),
    }
    let consent = match take(&mut top, "consent")? {
        Value::Number(n) if n.as_u64() == Some(0) => false,
        Value::Number(n) if n.as_u64() == Some(1) => true,
        _ => return Err(invalid("consent", "must be 0 or 1")),
    };
    let ids = match top.remove("ids") {
        None | Some(Value::Null) => Identifiers::default(),
        Some(Value::Object(mut ids)) => {
            let parsed = Identifiers {
                anonymous: take_hex(&mut ids, "anonymous", 32)?,
                user: take_hex(&mut ids, "user", 64)?,
            };
            refuse_leftovers(&ids, "ids.")?;
            parsed
        }
        Some(_) => return Err(invalid("ids", "must be an object")),
    };
    let Value::Array(raw_events) = take(&mut top, "events")? else {
        return Err(invalid("events", "must be an array"));
    };
    refuse_leftovers(&top, "")?;
    if raw_events.is_empty() {
        return Err(BeaconError::NoEvents);
    }
    if raw_events.len() > MAX_EVENTS {
        return Err(BeaconError::TooManyEvents(raw_events.len()));
    }
    let mut events = Vec::with_capacity(raw_events.len());
    let mut refused = Vec::new();
    for (i, raw) in raw_events.into_iter().enumerate() {
        match check_event_value(raw, &format!("events[{i}].")) {
            Ok(event) => events.push(event),
            Err(BeaconError::PersonalData { kind, .. }) => refused.push(kind),
            Err(other) => return Err(other),
        }
    }
    Ok(Beacon {
        consent,
        ids,
        events,
        refused,
    })
}

/// Checks one event as the widget records it (a JSON object in the wire format). Personal data
/// is an error here: the widget does not send the event.
pub fn check_event(json: &str) -> Result<Event, BeaconError> {
    if json.len() > MAX_BEACON_BYTES {
        return Err(BeaconError::TooLarge);
    }
    let value: Value =
        serde_json::from_str(json).map_err(|e| BeaconError::MalformedJson(e.to_string()))?;
    check_event_value(value, "")
}

/// The body of a beacon from events already checked by [`check_event`]. Without consent no
/// identifier is written, whatever is passed.
pub fn encode_beacon(consent: bool, ids: &Identifiers, events: &[Event]) -> String {
    let mut out = format!("{{\"v\":{BEACON_VERSION},\"consent\":{}", u8::from(consent));
    if consent && (ids.anonymous.is_some() || ids.user.is_some()) {
        let mut map = Map::new();
        if let Some(a) = ids.anonymous.as_ref().filter(|a| is_lower_hex(a, 32)) {
            map.insert("anonymous".into(), Value::String(a.clone()));
        }
        if let Some(u) = ids.user.as_ref().filter(|u| is_lower_hex(u, 64)) {
            map.insert("user".into(), Value::String(u.clone()));
        }
        out.push_str(",\"ids\":");
        out.push_str(&Value::Object(map).to_string());
    }
    out.push_str(",\"events\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&event.to_json());
    }
    out.push_str("]}");
    out
}

fn check_event_value(raw: Value, path: &str) -> Result<Event, BeaconError> {
    let Value::Object(mut raw) = raw else {
        return Err(invalid(path.trim_end_matches('.'), "must be an object"));
    };
    let name = match take(&mut raw, "name").map_err(|_| missing(path, "name"))? {
        Value::String(name) => name,
        _ => return Err(invalid(&format!("{path}name"), "must be a string")),
    };
    let name = EventName::parse(&name).ok_or_else(|| BeaconError::UnknownEvent(echo(&name)))?;
    let at = match take(&mut raw, "at").map_err(|_| missing(path, "at"))? {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| {
        invalid(
            &format!("{path}at"),
            "must be milliseconds since 1970 (a whole number)",
        )
    })?;
    let mut event = Event {
        name,
        at,
        session: None,
        first: false,
        detail: None,
        product: None,
        amount: None,
        currency: None,
    };
    if name.is_widget_event() {
        event.session = Some(
            take_hex(&mut raw, "session", 32)
                .map_err(|e| prefix(e, path))?
                .ok_or_else(|| missing(path, "session"))?,
        );
        event.first = match raw.remove("first") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(_) => return Err(invalid(&format!("{path}first"), "must be true or false")),
        };
    }
    for spec in name.fields() {
        let field = format!("{path}{}", spec.name);
        let Some(value) = raw.remove(spec.name).filter(|v| !v.is_null()) else {
            if spec.required {
                return Err(BeaconError::MissingField(field));
            }
            continue;
        };
        match spec.kind {
            FieldKind::Code => {
                let code = text(value, &field, MAX_CODE_CHARS)?;
                let shaped = code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !shaped {
                    return Err(invalid(&field, "must be a code like `person_detected`"));
                }
                event.detail = Some(code);
            }
            FieldKind::Text => {
                let text = text(value, &field, MAX_TEXT_CHARS)?;
                if let Some(kind) = find_pii(&text) {
                    return Err(BeaconError::PersonalData { field, kind });
                }
                event.detail = Some(text);
            }
            FieldKind::Product => {
                let product = text(value, &field, MAX_PRODUCT_CHARS)?;
                if let Some(kind) = find_pii_in_product(&product) {
                    return Err(BeaconError::PersonalData { field, kind });
                }
                event.product = Some(product);
            }
            FieldKind::Count { min } => {
                let n = value
                    .as_u64()
                    .filter(|n| (u64::from(min)..=u64::from(MAX_COUNT)).contains(n))
                    .ok_or_else(|| {
                        invalid(
                            &field,
                            &format!("must be a whole number from {min} to {MAX_COUNT}"),
                        )
                    })?;
                event.amount = Some(n as f64);
            }
            FieldKind::Money => {
                let v = value
                    .as_f64()
                    .filter(|v| v.is_finite() && (0.0..=MAX_ORDER_VALUE).contains(v))
                    .ok_or_else(|| invalid(&field, "must be a number from 0 to 1000000000"))?;
                event.amount = Some(v);
            }
            FieldKind::Currency => {
                let code = text(value, &field, 3)?;
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(invalid(&field, "must be an ISO 4217 code like `EUR`"));
                }
                event.currency = Some(code);
            }
        }
    }
    refuse_leftovers(&raw, path)?;
    Ok(event)
}

fn text(value: Value, field: &str, max_chars: usize) -> Result<String, BeaconError> {
    let Value::String(text) = value else {
        return Err(invalid(field, "must be a string"));
    };
    let chars = text.chars().count();
    if chars == 0 || chars > max_chars {
        return Err(invalid(
            field,
            &format!("must have 1 to {max_chars} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(text)
}

fn take(map: &mut Map<String, Value>, key: &str) -> Result<Value, BeaconError> {
    map.remove(key)
        .ok_or_else(|| BeaconError::MissingField(key.to_owned()))
}

fn take_hex(
    map: &mut Map<String, Value>,
    key: &str,
    len: usize,
) -> Result<Option<String>, BeaconError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_lower_hex(&s, len) => Ok(Some(s)),
        Some(_) => Err(invalid(key, &format!("must be {len} lowercase hex digits"))),
    }
}

fn refuse_leftovers(map: &Map<String, Value>, path: &str) -> Result<(), BeaconError> {
    match map.keys().next() {
        Some(key) => Err(BeaconError::UnknownField(format!("{path}{}", echo(key)))),
        None => Ok(()),
    }
}

fn missing(path: &str, field: &str) -> BeaconError {
    BeaconError::MissingField(format!("{path}{field}"))
}

fn invalid(field: &str, why: &str) -> BeaconError {
    BeaconError::InvalidField {
        field: field.to_owned(),
        why: why.to_owned(),
    }
}

fn prefix(error: BeaconError, path: &str) -> BeaconError {
    match error {
        BeaconError::InvalidField { field, why } => BeaconError::InvalidField {
            field: format!("{path}{field}"),
            why,
        },
        other => other,
    }
}
