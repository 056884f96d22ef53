//! `vitrine-server serve`: the render server's main loop.
//!
//! Connects the database (migrating it), loads or creates the address-hash secret, starts the
//! retention sweeper, and serves until SIGTERM or Ctrl-C. Then it stops accepting connections and
//! lets in-flight requests finish — for at most the request timeout plus a few seconds, after
//! which it exits anyway (a stuck client cannot hold a deploy hostage).

use crate::render::gemini::GeminiImage;
use crate::render::openai::OpenAiImageEdits;
use crate::render::person_gate::PersonGate;
use crate::render::{RenderBackends, RenderService};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::app::{self, AppState};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, DatabaseUrl};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::storage::Storage;
use crate::widget_guard::KeyCache;
use crate::{shutdown, sweeper};

/// Extra time, beyond the request timeout, that draining may take.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// Takes the exclusive lock that makes this process the only server on an SQLite database (it
/// counts rate limits in memory, which is exact only if no other process counts beside it).
/// Held until the returned file is dropped; `None` for PostgreSQL, which several processes share.
pub fn lock_sqlite(config: &Config) -> Result<Option<std::fs::File>> {
    let DatabaseUrl::Sqlite(url) = &config.database_url else {
        return Ok(None);
    };
    let Some(path) = sqlite_path(url.as_str()) else {
        return Ok(None);
    };
    let lock_path = format!("{path}.server-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another vitrine-server is serving {path}: an SQLite database belongs to one server \
             process (use PostgreSQL for several)"
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {lock_path}"))
        }
    }
}

/// Opens the configured database, creating the SQLite file (and its folder) if need be.
pub async fn open_storage(config: &Config) -> Result<Storage> {
    if let DatabaseUrl::Sqlite(url) = &config.database_url
        && let Some(path) = sqlite_path(url.as_str())
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Storage::connect(config.database_url.expose())
        .await
        .with_context(|| format!("cannot open the database {:?}", config.database_url))
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Serves until a shutdown signal.
pub async fn run(config: Config) -> Result<()> {
    let _only_server = lock_sqlite(&config)?;
    let storage = open_storage(&config).await?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let address_key = config
        .address_hash_key()
        .context("cannot load the address-hash secret")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rate_limiter = RateLimiter::start(
        &storage,
        address_key,
        config.trusted_proxies.clone(),
        Arc::clone(&clock),
    )
    .await
    .context("cannot load the rate-limit counters")?;
    let person_gate = PersonGate::load(&config.models_dir);
    let mut backends = RenderBackends::builtin_only();
    if let Some(settings) = &config.openai {
        backends.openai = Some(Arc::new(OpenAiImageEdits::new(settings.clone())?));
    }
    if let Some(settings) = &config.gemini {
        backends.gemini = Some(Arc::new(GeminiImage::new(settings.clone())?));
    }
    let render = RenderService::new(
        person_gate,
        backends,
        config.render_concurrency,
        config.max_body_bytes,
    );
    let state = AppState {
        storage: storage.clone(),
        rate_limiter: Arc::new(rate_limiter),
        metrics: Arc::new(Metrics::new()),
        clock: Arc::clone(&clock),
        max_body_bytes: config.max_body_bytes,
        request_timeout: config.request_timeout,
        keys: Arc::new(KeyCache::new(config.key_cache)),
        render: Arc::new(render),
    };
    let limiter = Arc::clone(&state.rate_limiter);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let stop = shutdown::on_signal();
    let sweeper = tokio::spawn(sweeper::run(
        storage.clone(),
        Arc::clone(&clock),
        sweeper::SWEEP_INTERVAL,
        stop.clone(),
    ));
    tracing::info!(%address, database = storage.backend(), "listening");

    let server = axum::serve(
        listener,
        app::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown::signalled(stop.clone()));
    let deadline = async {
        shutdown::signalled(stop).await;
        tokio::time::sleep(config.request_timeout + DRAIN_GRACE).await;
    };
    tokio::select! {
        served = server => served.context("serving")?,
        () = deadline => tracing::warn!("in-flight requests did not finish in time; exiting"),
    }
    sweeper.abort();
    if let Err(error) = limiter.flush().await {
        tracing::error!(error = %error, "could not write the last rate-limit counts");
    }
    storage.close().await;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://./data/vitrine.db"),
            Some("./data/vitrine.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/v.db?mode=rwc"),
            Some("/var/lib/v.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
