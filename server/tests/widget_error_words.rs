//! Every error code the widget can meet has words for the shopper in
//! `www/widget/error-words.json`, and every entry there is a code something can give: the API's
//! own (`ApiError::OWN_CODES`), the photo core's (`PhotoError::ALL_CODES`), the widget crate's
//! (`WidgetError::OWN_CODES`) and the few the browser side makes itself. Each list is kept honest
//! next to its enum by a test with an exhaustive match, so a new variant cannot go unworded.

use std::collections::BTreeSet;

use serde_json::Value;
use vitrine_core::photo::PhotoError;
use vitrine_server::api::error::ApiError;
use vitrine_widget::error::WidgetError;

/// Codes made only in JavaScript: unreachable networks and timeouts (www/widget/http.js) and a
/// worker that cannot start (www/widget/photo-worker-client.js).
const BROWSER_CODES: &[&str] = &["offline", "network", "timeout", "worker_failed"];

fn table() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../www/widget/error-words.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("an object of code → words")
        .iter()
        .map(|(code, words)| {
            let words = words.as_str().unwrap_or_default();
            assert!(!words.trim().is_empty(), "{code} has empty words");
            code.clone()
        })
        .collect()
}

fn known_codes() -> BTreeSet<String> {
    ApiError::OWN_CODES
        .iter()
        .chain(PhotoError::ALL_CODES)
        .chain(WidgetError::OWN_CODES)
        .chain(BROWSER_CODES)
        .map(|code| (*code).to_owned())
        .collect()
}

#[test]
fn every_code_has_words_and_every_word_has_a_code() {
    let table = table();
    let worded = keys(&table["words"]);
    let known = known_codes();
    let missing: Vec<_> = known.difference(&worded).collect();
    assert!(
        missing.is_empty(),
        "codes without words in error-words.json: {missing:?}"
    );
    let stale: Vec<_> = worded.difference(&known).collect();
    assert!(stale.is_empty(), "words for codes nothing gives: {stale:?}");
}

#[test]
fn a_step_rewords_only_known_codes() {
    let table = table();
    let known = known_codes();
    let steps = table["in"].as_object().expect("`in`: step → words");
    assert!(!steps.is_empty());
    for (step, words) in steps {
        let stale: Vec<_> = keys(words)
            .into_iter()
            .filter(|code| !known.contains(code))
            .collect();
        assert!(
            stale.is_empty(),
            "step {step} has words for unknown codes: {stale:?}"
        );
    }
}

#[test]
fn the_storage_outage_has_its_own_words() {
    // A 503 `storage_unavailable` on a share or an email: nothing was kept, say so.
    let words = table()["words"]["storage_unavailable"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(words.contains("nothing was kept"), "{words}");
}
