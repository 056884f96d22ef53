//! How many analytics beacons one visitor may send one retailer: [`BEACONS_PER_MINUTE`], with a
//! burst of as many (a page sends one or two per view: when it is hidden, and when a batch
//! fills).
//!
//! Unlike render counters, beacon counts are kept in this process's memory only, by governor's
//! keyed GCRA limiter, under the same keyed address hash: nothing of it reaches the database, a
//! restart forgets it, and behind a load balancer each instance allows its own share. That is
//! enough for what it guards (the database's write rate and the retailer's numbers against a
//! flood from one address); renders, which cost real money, are counted exactly instead.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::storage::RetailerId;

/// Beacons a visitor may send a retailer per minute.
pub const BEACONS_PER_MINUTE: u32 = 60;
/// Every this many checks, keys idle long enough to be full again are forgotten.
const SWEEP_EVERY: u64 = 4_096;

type Subject = (RetailerId, [u8; 32]);

/// The beacon limiter.
#[derive(Debug)]
pub struct BeaconLimiter {
    limiter: DefaultKeyedRateLimiter<Subject>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl Default for BeaconLimiter {
    fn default() -> Self {
        Self::new(BEACONS_PER_MINUTE)
    }
}

impl BeaconLimiter {
    /// A limiter allowing `per_minute` beacons per visitor and retailer (at least one).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Ok` if the visitor (by address hash) may send one more beacon to `retailer`, else the
    /// seconds to wait.
    pub fn check(&self, retailer: RetailerId, address_hash: [u8; 32]) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&(retailer, address_hash))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }

    /// Visitors currently remembered (for tests).
    pub fn remembered(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_visitor_gets_the_burst_then_waits_and_others_are_not_affected() {
        let limiter = BeaconLimiter::new(5);
        let shop = RetailerId(1);
        for _ in 0..5 {
            assert!(limiter.check(shop, [1; 32]).is_ok());
        }
        let wait = limiter.check(shop, [1; 32]).unwrap_err();
        assert!((1..=12).contains(&wait), "{wait}");
        assert!(limiter.check(shop, [2; 32]).is_ok());
        assert!(limiter.check(RetailerId(2), [1; 32]).is_ok());
        assert_eq!(limiter.remembered(), 3);
    }
}
