//! The pre-flight notice's flag, decided by `vitrine-core::consent`. The Worker has no
//! localStorage, so the page reads and writes the stored string and the clock; these exports only
//! decide.

use vitrine_core::consent;
use wasm_bindgen::prelude::*;

/// The state of the stored flag at `now_ms` (the page's `Date.now()`): `"valid"`, `"missing"`,
/// `"expired"`, `"outdated_notice"` or `"unreadable"`. Anything but `"valid"` shows the notice.
#[wasm_bindgen]
pub fn consent_state(stored: Option<String>, now_ms: f64) -> String {
    consent::state(stored.as_deref(), millis(now_ms))
        .code()
        .to_owned()
}

/// The value to store under [`consent_storage_key`] when the shopper accepts at `now_ms`.
#[wasm_bindgen]
pub fn consent_accept(now_ms: f64) -> String {
    consent::accept(millis(now_ms)).to_storage_value()
}

/// The localStorage key of the flag.
#[wasm_bindgen]
pub fn consent_storage_key() -> String {
    consent::STORAGE_KEY.to_owned()
}

/// The notice version the widget shows.
#[wasm_bindgen]
pub fn consent_notice_version() -> u32 {
    consent::NOTICE_VERSION
}

/// A JS timestamp as whole milliseconds; NaN and negatives (a broken clock) count as the epoch,
/// which no stored flag is valid at.
fn millis(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        now_ms as u64
    } else {
        0
    }
}
