//! The pre-flight notice's accepted flag (reference text 004's storage table: localStorage,
//! first-party, 7 days). The shopper ticks a consent box covering GDPR Art. 6(1)(a) (processing
//! the photo) and Art. 9(2)(a) (in case it reveals special-category data); the widget stores this
//! flag, and shows the notice again when the flag is missing, expired, written for an older
//! notice, or not ours to read.
//!
//! The browser's clock is passed in: the widget reads it on the page (where tests control it),
//! and the same rules run natively in tests.

use serde::{Deserialize, Serialize};

/// The notice's current version. Raise it whenever the notice's words change in substance:
/// every stored flag for an older version stops counting and the notice is shown again.
pub const NOTICE_VERSION: u32 = 1;

/// How long an accepted flag counts: 7 days, in milliseconds.
pub const CONSENT_LIFETIME_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// Where the widget keeps the flag in the retailer origin's localStorage.
pub const STORAGE_KEY: &str = "vitrine.consent";

/// The legal bases the one tick covers, written into the flag so that what was agreed to can be
/// read back from the shopper's own browser.
pub const CONSENT_COVERS: [&str; 2] = ["gdpr-6-1-a", "gdpr-9-2-a"];

/// What is stored: as small as it can be, and nothing about the shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentFlag {
    /// The notice version accepted.
    pub notice: u32,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub accepted_at: u64,
    /// When it stops counting (accepted_at + 7 days).
    pub expires_at: u64,
    /// The legal bases covered ([`CONSENT_COVERS`]).
    pub covers: Vec<String>,
}

/// Whether the notice must be shown, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    /// A flag for the current notice that has not expired: skip the notice.
    Valid {
        /// When it expires, in milliseconds since the epoch.
        expires_at: u64,
    },
    /// Nothing stored (first visit, declined, storage cleared or blocked).
    Missing,
    /// Stored, but more than 7 days old.
    Expired,
    /// Stored for an older (or unknown) version of the notice.
    OutdatedNotice,
    /// Something is stored under our key that is not a flag we wrote (or was altered: a lifetime
    /// longer than 7 days, an acceptance in the future).
    Unreadable,
}

impl ConsentState {
    /// A stable lowercase code for the widget and its tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Valid { .. } => "valid",
            Self::Missing => "missing",
            Self::Expired => "expired",
            Self::OutdatedNotice => "outdated_notice",
            Self::Unreadable => "unreadable",
        }
    }

    /// Whether the shopper may go on without seeing the notice.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }
}

/// How far the stored acceptance may lie in the future of `now` (clocks are adjusted, devices
/// travel across time zones — but a flag "accepted" a day from now was not written by us).
const CLOCK_SKEW_MS: u64 = 10 * 60 * 1000;

/// Read the stored value (as localStorage returns it) against the clock `now_ms`.
pub fn state(stored: Option<&str>, now_ms: u64) -> ConsentState {
    let Some(stored) = stored else {
        return ConsentState::Missing;
    };
    if stored.len() > 512 {
        return ConsentState::Unreadable;
    }
    let Ok(flag) = serde_json::from_str::<ConsentFlag>(stored) else {
        return ConsentState::Unreadable;
    };
    let lifetime_ok = flag.expires_at.checked_sub(flag.accepted_at) == Some(CONSENT_LIFETIME_MS);
    let covers_ok = flag.covers.iter().map(String::as_str).eq(CONSENT_COVERS);
    if !lifetime_ok || !covers_ok || flag.accepted_at > now_ms.saturating_add(CLOCK_SKEW_MS) {
        return ConsentState::Unreadable;
    }
    if flag.notice != NOTICE_VERSION {
        return ConsentState::OutdatedNotice;
    }
    if now_ms >= flag.expires_at {
        return ConsentState::Expired;
    }
    ConsentState::Valid {
        expires_at: flag.expires_at,
    }
}

/// The flag to store when the shopper ticks the box and goes on at `now_ms`.
pub fn accept(now_ms: u64) -> ConsentFlag {
    ConsentFlag {
        notice: NOTICE_VERSION,
        accepted_at: now_ms,
        expires_at: now_ms.saturating_add(CONSENT_LIFETIME_MS),
        covers: CONSENT_COVERS.iter().map(|c| (*c).to_owned()).collect(),
    }
}

impl ConsentFlag {
    /// The value to write under [`STORAGE_KEY`].
    pub fn to_storage_value(&self) -> String {
        // Serialising a struct of integers and strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000_000;

    #[test]
    fn an_accepted_flag_counts_for_seven_days_and_not_a_millisecond_more() {
        let stored = accept(NOW).to_storage_value();
        assert_eq!(
            state(Some(&stored), NOW),
            ConsentState::Valid {
                expires_at: NOW + CONSENT_LIFETIME_MS
            }
        );
        assert!(state(Some(&stored), NOW + CONSENT_LIFETIME_MS - 1).is_valid());
        assert_eq!(
            state(Some(&stored), NOW + CONSENT_LIFETIME_MS),
            ConsentState::Expired
        );
    }

    #[test]
    fn nothing_stored_means_the_notice_is_shown() {
        assert_eq!(state(None, NOW), ConsentState::Missing);
    }

    #[test]
    fn a_flag_for_another_notice_version_does_not_count() {
        let mut flag = accept(NOW);
        flag.notice = NOTICE_VERSION + 1;
        assert_eq!(
            state(Some(&flag.to_storage_value()), NOW),
            ConsentState::OutdatedNotice
        );
        flag.notice = 0;
        assert_eq!(
            state(Some(&flag.to_storage_value()), NOW),
            ConsentState::OutdatedNotice
        );
    }

    #[test]
    fn altered_or_foreign_values_do_not_count() {
        let mut longer = accept(NOW);
        longer.expires_at += 1;
        let mut future = accept(NOW + CLOCK_SKEW_MS + 1);
        future.expires_at = future.accepted_at + CONSENT_LIFETIME_MS;
        let mut narrower = accept(NOW);
        narrower.covers.pop();
        for stored in [
            "true".to_owned(),
            "{}".to_owned(),
            "not json".to_owned(),
            longer.to_storage_value(),
            future.to_storage_value(),
            narrower.to_storage_value(),
            accept(NOW)
                .to_storage_value()
                .replace('}', ",\"email\":\"a@b.c\"}"),
            "x".repeat(600),
        ] {
            assert_eq!(
                state(Some(&stored), NOW),
                ConsentState::Unreadable,
                "{stored}"
            );
        }
    }

    #[test]
    fn the_stored_value_holds_nothing_but_the_version_times_and_bases() {
        let stored = accept(NOW).to_storage_value();
        assert_eq!(
            stored,
            format!(
                "{{\"notice\":{NOTICE_VERSION},\"accepted_at\":{NOW},\"expires_at\":{},\"covers\":[\"gdpr-6-1-a\",\"gdpr-9-2-a\"]}}",
                NOW + CONSENT_LIFETIME_MS
            )
        );
    }
}
