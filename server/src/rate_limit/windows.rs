//! The rate limit's arithmetic: which hour and day windows a moment falls in, a visitor's counts
//! in them, and the decision for one more render. Pure (no clock, no database), so the in-memory
//! counter and the database's batch counting decide by the same rules.

use crate::clock::UnixSeconds;

/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// Seconds in a (UTC) day.
pub const DAY: i64 = 86_400;

/// Render limits per visitor address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per clock hour.
    pub per_hour: i64,
    /// Per UTC day.
    pub per_day: i64,
}

impl Limits {
    /// `per_hour` renders per clock hour, `per_day` per UTC day.
    pub const fn new(per_hour: i64, per_day: i64) -> Self {
        Self { per_hour, per_day }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_hour: 10,
            per_day: 20,
        }
    }
}

/// The answer for one render request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (and was counted).
    pub allowed: bool,
    /// When refused: seconds until the exhausted window(s) end.
    pub retry_after: Option<i64>,
    /// Renders counted in the current hour window, this one included if allowed.
    pub used_this_hour: i64,
    /// Renders counted in the current day window, this one included if allowed.
    pub used_today: i64,
}

/// The hour and day windows containing a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Start of the clock hour.
    pub hour_start: UnixSeconds,
    /// Start of the UTC day.
    pub day_start: UnixSeconds,
}

impl Windows {
    /// The windows containing `now`.
    pub fn at(now: UnixSeconds) -> Self {
        Self {
            hour_start: now - now.rem_euclid(HOUR),
            day_start: now - now.rem_euclid(DAY),
        }
    }
}

/// A visitor's counter row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterState {
    /// Start of the hour window counted in `hour_count`.
    pub hour_start: UnixSeconds,
    /// Renders in that hour.
    pub hour_count: i64,
    /// Start of the day window counted in `day_count`.
    pub day_start: UnixSeconds,
    /// Renders in that day.
    pub day_count: i64,
}

impl CounterState {
    /// The row as it applies at `windows`: a window that has ended counts nothing. A stored window
    /// *later* than ours (another process's clock is ahead) is kept as it is, so clock skew
    /// between processes can never reset a count.
    pub fn current(self, windows: Windows) -> Self {
        let (hour_start, hour_count) = if self.hour_start >= windows.hour_start {
            (self.hour_start, self.hour_count)
        } else {
            (windows.hour_start, 0)
        };
        let (day_start, day_count) = if self.day_start >= windows.day_start {
            (self.day_start, self.day_count)
        } else {
            (windows.day_start, 0)
        };
        Self {
            hour_start,
            hour_count,
            day_start,
            day_count,
        }
    }

    /// Decides one request, counting it if allowed. A refused request changes nothing.
    pub fn decide(&mut self, limits: Limits, now: UnixSeconds) -> Decision {
        let hour_full = self.hour_count >= limits.per_hour;
        let day_full = self.day_count >= limits.per_day;
        if !hour_full && !day_full {
            self.hour_count += 1;
            self.day_count += 1;
            return Decision {
                allowed: true,
                retry_after: None,
                used_this_hour: self.hour_count,
                used_today: self.day_count,
            };
        }
        let mut wait = 0;
        if hour_full {
            wait = wait.max(self.hour_start + HOUR - now);
        }
        if day_full {
            wait = wait.max(self.day_start + DAY - now);
        }
        Decision {
            allowed: false,
            retry_after: Some(wait.max(1)),
            used_this_hour: self.hour_count,
            used_today: self.day_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24T00:00:00Z, the start of an hour and of a UTC day.
    const T0: UnixSeconds = 1_795_478_400;

    const TIGHT: Limits = Limits {
        per_hour: 2,
        per_day: 3,
    };

    #[test]
    fn windows_start_at_the_hour_and_the_utc_day() {
        assert_eq!(
            Windows::at(T0 + DAY + 2 * HOUR + 59),
            Windows {
                hour_start: T0 + DAY + 2 * HOUR,
                day_start: T0 + DAY
            }
        );
        assert_eq!(
            Windows::at(T0),
            Windows {
                hour_start: T0,
                day_start: T0
            }
        );
        // Before the epoch too: windows start at or before the moment, never after.
        assert_eq!(Windows::at(-1).hour_start, -HOUR);
        assert_eq!(Windows::at(-1).day_start, -DAY);
    }

    #[test]
    fn ended_windows_count_nothing_and_later_ones_are_kept() {
        let stored = CounterState {
            hour_start: T0,
            hour_count: 5,
            day_start: T0,
            day_count: 7,
        };
        assert_eq!(stored.current(Windows::at(T0 + 59)), stored);
        assert_eq!(
            stored.current(Windows::at(T0 + HOUR)),
            CounterState {
                hour_start: T0 + HOUR,
                hour_count: 0,
                ..stored
            }
        );
        assert_eq!(
            stored.current(Windows::at(T0 + DAY)),
            CounterState {
                hour_start: T0 + DAY,
                hour_count: 0,
                day_start: T0 + DAY,
                day_count: 0
            }
        );
        // A clock behind the stored windows resets nothing.
        assert_eq!(stored.current(Windows::at(T0 - HOUR)), stored);
    }

    #[test]
    fn decide_counts_until_a_window_is_full_and_refusals_change_nothing() {
        let mut state = CounterState::default().current(Windows::at(T0 + 100));
        let first = state.decide(TIGHT, T0 + 100);
        assert_eq!(
            first,
            Decision {
                allowed: true,
                retry_after: None,
                used_this_hour: 1,
                used_today: 1
            }
        );
        assert!(state.decide(TIGHT, T0 + 100).allowed);
        let before = state;
        let refused = state.decide(TIGHT, T0 + 100);
        assert_eq!(
            refused,
            Decision {
                allowed: false,
                retry_after: Some(HOUR - 100),
                used_this_hour: 2,
                used_today: 2
            }
        );
        assert_eq!(state, before, "a refusal counts nothing");
        // Next hour: one more fits the day, then the day is the longer wait.
        let mut state = state.current(Windows::at(T0 + HOUR));
        assert!(state.decide(TIGHT, T0 + HOUR).allowed);
        assert_eq!(state.decide(TIGHT, T0 + HOUR).retry_after, Some(DAY - HOUR));
    }

    #[test]
    fn a_refusal_at_the_last_second_still_waits_one_second() {
        let mut state = CounterState {
            hour_start: T0,
            hour_count: 2,
            day_start: T0,
            day_count: 2,
        };
        // A stored window from a clock ahead of ours: the wait is never zero or negative.
        assert_eq!(state.decide(TIGHT, T0 + HOUR + 5).retry_after, Some(1));
    }
}
