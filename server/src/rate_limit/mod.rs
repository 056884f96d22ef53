//! Render limits per (visitor network address, retailer): 10 per hour and 20 per day by default,
//! adjustable per retailer.
//!
//! The visitor's address is read once, here, from the socket peer (or, behind a configured trusted
//! proxy, the right-most untrusted `X-Forwarded-For` entry: see [`crate::client_address`]), turned
//! into an HMAC under the server's secret ([`crate::address_hash`]) and dropped. Only that keyed
//! hash reaches the database, and only as the key of a counter the sweeper deletes within 48 hours.
//!
//! # Where the counting happens
//! - SQLite (one process owns the database): in memory, exact under a mutex, written behind to
//!   the database every second ([`in_memory`]).
//! - PostgreSQL (several processes share it): in the database, in batches of concurrent requests,
//!   exact through row locks ([`batched`]).
//!
//! An IPv6 visitor is counted per /64: one household or phone is given a whole /64 and can pick a
//! fresh address inside it for every request, so counting single IPv6 addresses would count
//! nothing. IPv4 addresses are counted one by one (a /24 would lump neighbours together).

pub mod batched;
pub mod beacons;
pub mod in_memory;
pub mod windows;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::http::HeaderMap;

use crate::address_hash::AddressHashKey;
use crate::client_address::{TrustedProxies, client_address};
use crate::clock::Clock;
use crate::storage::{CountRequest, Decision, Limits, RetailerId, Storage, StorageError};
use batched::BatchedCounter;
use beacons::BeaconLimiter;
use in_memory::InMemoryCounter;

/// Counts renders against the per-visitor limits.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    counting: Counting,
    address_key: AddressHashKey,
    trusted_proxies: TrustedProxies,
    clock: Arc<dyn Clock>,
    beacons: Arc<BeaconLimiter>,
}

#[derive(Debug, Clone)]
enum Counting {
    InMemory(Arc<InMemoryCounter>),
    Batched(BatchedCounter),
}

/// Why a render or a beacon was not admitted (answered as `rate_limited` or
/// `storage_unavailable`: see [`crate::api::error::ApiError`]'s conversions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// The visitor has used this retailer's allowance for now.
    #[error("the visitor's allowance is used up; again in {retry_after_seconds} s")]
    Exhausted {
        /// Seconds until the next one is allowed.
        retry_after_seconds: i64,
        /// When that is, in Unix seconds.
        retry_at: i64,
    },
    /// The counter could not count (the database failed): refused rather than let through.
    #[error("the render counter is unavailable")]
    CounterUnavailable,
}

/// An admitted render: what is left of the visitor's allowance after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Renders left in the current hour.
    pub left_this_hour: i64,
    /// Renders left today (UTC).
    pub left_today: i64,
}

impl RateLimiter {
    /// A limiter over `storage`, hashing addresses under `address_key`: counting in memory on
    /// SQLite (loading today's counters first), in database batches on PostgreSQL. Starts its
    /// tasks on the current Tokio runtime; they end when the last clone of the limiter is dropped.
    pub async fn start(
        storage: &Storage,
        address_key: AddressHashKey,
        trusted_proxies: TrustedProxies,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StorageError> {
        let counting = if storage.backend() == "sqlite" {
            Counting::InMemory(InMemoryCounter::start(storage, &clock).await?)
        } else {
            Counting::Batched(BatchedCounter::start(storage, &clock))
        };
        Ok(Self {
            counting,
            address_key,
            trusted_proxies,
            clock,
            beacons: Arc::new(BeaconLimiter::default()),
        })
    }

    /// The visitor's counting unit (see [`counting_unit`]) behind `peer`/`headers`.
    pub fn visitor(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let forwarded_for = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        counting_unit(client_address(
            peer.ip(),
            forwarded_for,
            &self.trusted_proxies,
        ))
    }

    /// The server secret addresses are hashed under.
    pub fn address_key(&self) -> &AddressHashKey {
        &self.address_key
    }

    /// Admits one analytics beacon from the visitor behind `peer`/`headers` to `retailer` (see
    /// [`beacons`]), returning the visitor's counting unit, or refuses it.
    pub fn admit_beacon(
        &self,
        retailer: RetailerId,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<IpAddr, RateLimitError> {
        let visitor = self.visitor(peer, headers);
        match self
            .beacons
            .check(retailer, self.address_key.hash(visitor).0)
        {
            Ok(()) => Ok(visitor),
            Err(wait) => Err(RateLimitError::Exhausted {
                retry_after_seconds: wait as i64,
                retry_at: self.clock.now() + wait as i64,
            }),
        }
    }

    /// Writes what is held in memory to the database (on shutdown).
    pub async fn flush(&self) -> Result<(), StorageError> {
        match &self.counting {
            Counting::InMemory(counter) => counter.flush().await,
            Counting::Batched(_) => Ok(()),
        }
    }

    /// Counts one render of `product` for the visitor behind `peer`/`headers` at `retailer`
    /// (recording a render event), or refuses it (which consumes and records nothing).
    pub async fn admit(
        &self,
        retailer: RetailerId,
        limits: Limits,
        peer: SocketAddr,
        headers: &HeaderMap,
        product: Option<&str>,
    ) -> Result<Admitted, RateLimitError> {
        let subject = self.address_key.hash(self.visitor(peer, headers));
        let decision = match &self.counting {
            Counting::InMemory(counter) => {
                Some(counter.count(retailer, subject.0, limits, product))
            }
            Counting::Batched(counter) => {
                counter
                    .count(CountRequest {
                        retailer,
                        address_hash: subject.0.to_vec(),
                        limits,
                        product: product.map(str::to_owned),
                    })
                    .await
            }
        };
        let Decision {
            allowed,
            retry_after,
            used_this_hour,
            used_today,
        } = decision.ok_or(RateLimitError::CounterUnavailable)?;
        let now = self.clock.now();
        if allowed {
            Ok(Admitted {
                left_this_hour: (limits.per_hour - used_this_hour).max(0),
                left_today: (limits.per_day - used_today).max(0),
            })
        } else {
            let wait = retry_after.unwrap_or(1).max(1);
            Err(RateLimitError::Exhausted {
                retry_after_seconds: wait,
                retry_at: now + wait,
            })
        }
    }
}

/// The unit a visitor is counted by: the IPv4 address, or the IPv6 /64 (see the module doc).
pub fn counting_unit(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ipv6_is_counted_per_64_and_ipv4_per_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counting_unit(a), counting_unit(b));
        assert_ne!(counting_unit(a), counting_unit(other));
        let v4: IpAddr = "198.51.100.7".parse().unwrap();
        let v4_neighbour: IpAddr = "198.51.100.8".parse().unwrap();
        assert_ne!(counting_unit(v4), counting_unit(v4_neighbour));
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
        assert_eq!(counting_unit(mapped), v4);
    }
}
