//! [`AppState`] and the one way to build it, [`AppStateBuilder`]: `serve`, the demo and the HTTP
//! tests all start from the same defaults (the configuration's), and tests override what they
//! need (the clock, the person check, the key cache…).

use std::sync::Arc;
use std::time::Duration;

use crate::address_hash::{AddressHashError, AddressHashKey};
use crate::client_address::TrustedProxies;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::render::backend::BackendError;
use crate::render::gemini::GeminiImage;
use crate::render::openai::OpenAiImageEdits;
use crate::render::person_gate::PersonGate;
use crate::render::{RenderBackends, RenderService};
use crate::storage::{Storage, StorageError};
use crate::widget_guard::KeyCache;

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub storage: Storage,
    /// Render limits per visitor.
    pub rate_limiter: Arc<RateLimiter>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The largest request body accepted anywhere (photo uploads); JSON endpoints accept less.
    pub max_body_bytes: usize,
    /// How long a request may take, body included.
    pub request_timeout: Duration,
    /// Recently resolved publishable keys (see [`crate::widget_guard`]).
    pub keys: Arc<KeyCache>,
    /// The render pipeline: person check, backend, product textures.
    pub render: Arc<RenderService>,
}

impl AppState {
    /// A builder over `storage` with everything else taken from `config`: the address-hash
    /// secret (configured, or kept in the data directory), trusted proxies, limits, timeouts, the
    /// person check's models and the hosted backends.
    pub fn from_config(config: &Config, storage: Storage) -> AppStateBuilder {
        AppStateBuilder {
            storage,
            config: config.clone(),
            address_key: None,
            clock: Arc::new(SystemClock),
            person_gate: None,
            backends: None,
        }
    }
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppStateError {
    /// The address-hash secret could not be loaded or created.
    #[error("cannot load the address-hash secret: {0}")]
    AddressHash(#[from] AddressHashError),
    /// A hosted backend's HTTP client could not be made.
    #[error("cannot set up a hosted render backend: {0}")]
    Backend(#[from] BackendError),
    /// The rate limiter could not load its counters.
    #[error("cannot load the rate-limit counters: {0}")]
    Storage(#[from] StorageError),
}

/// An [`AppState`] in the making (see [`AppState::from_config`]): the configuration's values,
/// each of which a test can override.
#[derive(Debug)]
pub struct AppStateBuilder {
    storage: Storage,
    config: Config,
    /// When not given: the configured secret, or the one kept in the data directory.
    address_key: Option<AddressHashKey>,
    clock: Arc<dyn Clock>,
    /// When not given: loaded from the configured models directory.
    person_gate: Option<PersonGate>,
    /// When not given: the built-in one plus the configured hosted ones.
    backends: Option<RenderBackends>,
}

impl AppStateBuilder {
    /// The clock (tests move a manual one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The address-hash secret.
    pub fn address_key(mut self, key: AddressHashKey) -> Self {
        self.address_key = Some(key);
        self
    }

    /// The proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.config.trusted_proxies = proxies;
        self
    }

    /// The largest request body (the photo uploads' limit).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.config.max_body_bytes = bytes;
        self
    }

    /// How long a request may take.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// How long a resolved publishable key is cached (zero: not at all).
    pub fn key_cache(mut self, ttl: Duration) -> Self {
        self.config.key_cache = ttl;
        self
    }

    /// An already loaded person check (instead of loading it from the models directory).
    pub fn person_gate(mut self, gate: PersonGate) -> Self {
        self.person_gate = Some(gate);
        self
    }

    /// The render backends.
    pub fn backends(mut self, backends: RenderBackends) -> Self {
        self.backends = Some(backends);
        self
    }

    /// Most renders in flight at once.
    pub fn render_concurrency(mut self, renders: usize) -> Self {
        self.config.render_concurrency = renders;
        self
    }

    /// Starts the rate limiter (loading its counters on SQLite) and assembles the state.
    pub async fn build(self) -> Result<AppState, AppStateError> {
        let config = self.config;
        let address_key = match self.address_key {
            Some(key) => key,
            None => config.address_hash_key()?,
        };
        let backends = match self.backends {
            Some(backends) => backends,
            None => {
                let mut backends = RenderBackends::builtin_only();
                if let Some(settings) = &config.openai {
                    backends.openai = Some(Arc::new(OpenAiImageEdits::new(settings.clone())?));
                }
                if let Some(settings) = &config.gemini {
                    backends.gemini = Some(Arc::new(GeminiImage::new(settings.clone())?));
                }
                backends
            }
        };
        let rate_limiter = RateLimiter::start(
            &self.storage,
            address_key,
            config.trusted_proxies.clone(),
            Arc::clone(&self.clock),
        )
        .await?;
        let person_gate = self
            .person_gate
            .unwrap_or_else(|| PersonGate::load(&config.models_dir));
        let render = RenderService::new(
            person_gate,
            backends,
            config.render_concurrency,
            config.max_body_bytes,
        );
        Ok(AppState {
            storage: self.storage,
            rate_limiter: Arc::new(rate_limiter),
            metrics: Arc::new(Metrics::new()),
            clock: self.clock,
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
            keys: Arc::new(KeyCache::new(config.key_cache)),
            render: Arc::new(render),
        })
    }
}
