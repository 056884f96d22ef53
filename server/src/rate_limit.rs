//! Render limits per (visitor network address, retailer): 10 per hour and 20 per day by default,
//! adjustable per retailer.
//!
//! The visitor's address is read once, here, from the socket peer (or, behind a configured trusted
//! proxy, the right-most untrusted `X-Forwarded-For` entry: see [`crate::client_address`]), turned
//! into an HMAC under the server's secret ([`crate::address_hash`]) and dropped. Only that keyed
//! hash reaches the database, and only as the key of a counter the sweeper deletes within 48 hours.
//!
//! # Batching
//! Counting is a write transaction; one per request would cap the server at what the database
//! can commit one by one (measured: about 1,600 requests/s on either database here). So requests
//! are queued to a few counting tasks, each of which takes everything waiting (up to
//! [`MAX_BATCH`]) and counts it in one transaction with [`Storage::count_batch`], in arrival
//! order. Exactness is unchanged — the database's row locks still decide — and under load a
//! transaction counts dozens of renders. SQLite gets one counting task (it has one writer
//! anyway); PostgreSQL gets [`POSTGRES_COUNTING_TASKS`], whose batches overlap.
//!
//! An IPv6 visitor is counted per /64: one household or phone is given a whole /64 and can pick a
//! fresh address inside it for every request, so counting single IPv6 addresses would count
//! nothing. IPv4 addresses are counted one by one (a /24 would lump neighbours together).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::http::HeaderMap;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::address_hash::AddressHashKey;
use crate::api::error::ApiError;
use crate::client_address::{TrustedProxies, client_address};
use crate::clock::Clock;
use crate::storage::{CountRequest, Decision, Limits, RetailerId, Storage};

/// The most renders counted in one transaction.
pub const MAX_BATCH: usize = 256;
/// Counting tasks on PostgreSQL (SQLite has one).
pub const POSTGRES_COUNTING_TASKS: usize = 4;
/// Requests that may wait for a counting task before callers wait to enqueue.
const QUEUE: usize = 4096;

/// A render waiting to be counted, and where its decision goes.
struct Job {
    request: CountRequest,
    reply: oneshot::Sender<Option<Decision>>,
}

/// Counts renders against the per-visitor limits.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    queue: mpsc::Sender<Job>,
    address_key: AddressHashKey,
    trusted_proxies: TrustedProxies,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
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
    /// A limiter over `storage`, hashing addresses under `address_key`. Starts its counting
    /// tasks on the current Tokio runtime; they end when the last clone of the limiter is dropped.
    pub fn new(
        storage: Storage,
        address_key: AddressHashKey,
        trusted_proxies: TrustedProxies,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let tasks = if storage.backend() == "sqlite" {
            1
        } else {
            POSTGRES_COUNTING_TASKS
        };
        for _ in 0..tasks {
            tokio::spawn(count_batches(
                storage.clone(),
                Arc::clone(&receiver),
                Arc::clone(&clock),
            ));
        }
        Self {
            queue,
            address_key,
            trusted_proxies,
            clock,
        }
    }

    /// Counts one render of `product` for the visitor behind `peer`/`headers` at `retailer`
    /// (recording a render event), or refuses it with [`ApiError::RateLimited`] (which consumes
    /// and records nothing).
    pub async fn admit(
        &self,
        retailer: RetailerId,
        limits: Limits,
        peer: SocketAddr,
        headers: &HeaderMap,
        product: Option<&str>,
    ) -> Result<Admitted, ApiError> {
        let forwarded_for = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let visitor = client_address(peer.ip(), forwarded_for, &self.trusted_proxies);
        let subject = self.address_key.hash(counting_unit(visitor));
        let (reply, decision) = oneshot::channel();
        let job = Job {
            request: CountRequest {
                retailer,
                address_hash: subject.0.to_vec(),
                limits,
                product: product.map(str::to_owned),
            },
            reply,
        };
        self.queue
            .send(job)
            .await
            .map_err(|_| ApiError::StorageUnavailable)?;
        let Decision {
            allowed,
            retry_after,
            used_this_hour,
            used_today,
        } = decision
            .await
            .ok()
            .flatten()
            .ok_or(ApiError::StorageUnavailable)?;
        let now = self.clock.now();
        if allowed {
            Ok(Admitted {
                left_this_hour: (limits.per_hour - used_this_hour).max(0),
                left_today: (limits.per_day - used_today).max(0),
            })
        } else {
            let wait = retry_after.unwrap_or(1).max(1);
            Err(ApiError::RateLimited {
                retry_after_seconds: wait,
                retry_at: now + wait,
            })
        }
    }
}

/// A counting task: takes everything waiting (up to [`MAX_BATCH`]), counts it in one transaction,
/// answers each request; until the queue closes.
async fn count_batches(
    storage: Storage,
    receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
    clock: Arc<dyn Clock>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                return;
            }
        }
        let requests: Vec<CountRequest> = jobs.iter().map(|j| j.request.clone()).collect();
        let now = clock.now();
        match storage.count_batch(&requests, now).await {
            Ok(decisions) => {
                for (job, decision) in jobs.drain(..).zip(decisions) {
                    let _ = job.reply.send(Some(decision));
                }
            }
            Err(error) => {
                tracing::error!(error = %error, renders = jobs.len(), "counting renders failed");
                for job in jobs.drain(..) {
                    let _ = job.reply.send(None);
                }
            }
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
