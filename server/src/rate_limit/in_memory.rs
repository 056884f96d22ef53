//! Counting in memory, written behind to the database: for SQLite, whose database belongs to one
//! server process (`serve` holds an exclusive lock beside the file, so a second process on the
//! same file refuses to start).
//!
//! With one process, that process alone can decide exactly: a mutex around a map of counters
//! does, in a microsecond, what a database transaction does in tens to hundreds. Every second
//! (and on shutdown) the counters that changed and the render events are written to SQLite in
//! one transaction; at start, the counters of the current day are read back, so a restart does
//! not hand every visitor a fresh allowance. A crash can lose at most the last second of counts —
//! the same trade as PostgreSQL's asynchronous commit of counters. Counters whose day has ended
//! are dropped from memory after the write (the database copy is swept within 48 hours).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use crate::clock::{Clock, UnixSeconds};
use crate::storage::{
    CounterState, Decision, Limits, RetailerId, Storage, StorageError, StoredCounter, Windows,
};

/// How often changed counters are written to the database.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Render events held while the database cannot be written; beyond this they are dropped (and
/// said so in the log) rather than growing without bound.
const MAX_PENDING_EVENTS: usize = 100_000;

type Subject = (RetailerId, [u8; 32]);

/// The counters of this process.
#[derive(Debug)]
pub struct InMemoryCounter {
    storage: Storage,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    counters: HashMap<Subject, CounterState>,
    dirty: HashSet<Subject>,
    events: Vec<(RetailerId, String, UnixSeconds)>,
    dropped_events: u64,
}

impl InMemoryCounter {
    /// Loads today's counters and starts the writer (which ends when the counter is dropped).
    pub async fn start(
        storage: &Storage,
        clock: &Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StorageError> {
        let today = Windows::at(clock.now()).day_start;
        let mut counters = HashMap::new();
        for stored in storage.load_counters(today).await? {
            if let Ok(hash) = <[u8; 32]>::try_from(stored.address_hash.as_slice()) {
                counters.insert((stored.retailer, hash), stored.state);
            }
        }
        let counter = Arc::new(Self {
            storage: storage.clone(),
            clock: Arc::clone(clock),
            state: Mutex::new(State {
                counters,
                ..State::default()
            }),
        });
        tokio::spawn(write_behind(Arc::downgrade(&counter)));
        Ok(counter)
    }

    /// Counts one render, or refuses it (a refusal changes nothing).
    pub fn count(
        &self,
        retailer: RetailerId,
        address_hash: [u8; 32],
        limits: Limits,
        product: Option<&str>,
    ) -> Decision {
        let now = self.clock.now();
        let mut state = self.lock();
        let subject = (retailer, address_hash);
        let mut current = state
            .counters
            .get(&subject)
            .copied()
            .unwrap_or_default()
            .current(Windows::at(now));
        let decision = current.decide(limits, now);
        if decision.allowed {
            state.counters.insert(subject, current);
            state.dirty.insert(subject);
            if let Some(product) = product {
                if state.events.len() < MAX_PENDING_EVENTS {
                    state.events.push((retailer, product.to_owned(), now));
                } else {
                    state.dropped_events += 1;
                }
            }
        }
        decision
    }

    /// Writes the changed counters and the pending render events to the database.
    pub async fn flush(&self) -> Result<(), StorageError> {
        let (subjects, counters, events, dropped) = {
            let mut state = self.lock();
            let subjects: Vec<Subject> = state.dirty.drain().collect();
            let counters: Vec<StoredCounter> = subjects
                .iter()
                .filter_map(|subject| {
                    state.counters.get(subject).map(|s| StoredCounter {
                        retailer: subject.0,
                        address_hash: subject.1.to_vec(),
                        state: *s,
                    })
                })
                .collect();
            let events = std::mem::take(&mut state.events);
            let dropped = std::mem::take(&mut state.dropped_events);
            (subjects, counters, events, dropped)
        };
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "render events dropped while the database was unavailable"
            );
        }
        if let Err(error) = self.storage.store_counts(&counters, &events).await {
            // Keep everything for the next attempt: counters stay dirty, events go back first.
            let mut state = self.lock();
            state.dirty.extend(subjects);
            let later = std::mem::replace(&mut state.events, events);
            state.events.extend(later);
            return Err(error);
        }
        let today = Windows::at(self.clock.now()).day_start;
        let mut state = self.lock();
        let State {
            counters, dirty, ..
        } = &mut *state;
        counters.retain(|subject, s| s.day_start >= today || dirty.contains(subject));
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the map consistent; a panic elsewhere cannot poison its meaning.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Flushes every [`FLUSH_INTERVAL`] until the counter is dropped.
async fn write_behind(counter: Weak<InMemoryCounter>) {
    let mut ticks = tokio::time::interval(FLUSH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(counter) = counter.upgrade() else {
            return;
        };
        if let Err(error) = counter.flush().await {
            tracing::error!(error = %error, "writing rate-limit counters failed; will retry");
        }
    }
}
