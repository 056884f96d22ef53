//! `vitrine-server serve`: the render server's main loop.
//!
//! Connects the database (migrating it), loads or creates the address-hash secret, starts the
//! retention sweeper, and serves until SIGTERM or Ctrl-C. Then it stops accepting connections and
//! lets in-flight requests finish — for at most the request timeout plus a few seconds, after
//! which it exits anyway (a stuck client cannot hold a deploy hostage).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{self, AppState};
use crate::config::{Config, DatabaseUrl};
use crate::storage::Storage;
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

/// What a serving process holds beside its listeners: the app's state, the lock that makes it an
/// SQLite database's only server, and the retention sweeper. `serve` and the demo both start one.
#[derive(Debug)]
pub struct Server {
    /// The app's state, for [`app::router`].
    pub state: AppState,
    _only_server: Option<std::fs::File>,
    sweeper: JoinHandle<()>,
}

impl Server {
    /// Locks an SQLite database to this process, opens (and migrates) the database, builds the
    /// state from `config`, and starts the sweeper, which runs until `stop`.
    pub async fn start(config: &Config, stop: watch::Receiver<bool>) -> Result<Self> {
        let only_server = lock_sqlite(config)?;
        let storage = open_storage(config).await?;
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let state = AppState::from_config(config, storage.clone())
            .build()
            .await?;
        let sweeper = tokio::spawn(sweeper::run(
            storage,
            Arc::clone(&state.clock),
            sweeper::SWEEP_INTERVAL,
            stop,
        ));
        Ok(Self {
            state,
            _only_server: only_server,
            sweeper,
        })
    }

    /// After serving: stops the sweeper, writes the last rate-limit counts, closes the database
    /// (and then lets go of the SQLite lock).
    pub async fn finish(self) {
        self.sweeper.abort();
        if let Err(error) = self.state.rate_limiter.flush().await {
            tracing::error!(error = %error, "could not write the last rate-limit counts");
        }
        self.state.storage.close().await;
    }
}

/// Serves until a shutdown signal.
pub async fn run(config: Config) -> Result<()> {
    let stop = shutdown::on_signal();
    let server = Server::start(&config, stop.clone()).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = server.state.storage.backend(), "listening");

    let serving = axum::serve(
        listener,
        app::router(server.state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown::signalled(stop.clone()));
    let deadline = async {
        shutdown::signalled(stop).await;
        tokio::time::sleep(config.request_timeout + DRAIN_GRACE).await;
    };
    tokio::select! {
        served = serving => served.context("serving")?,
        () = deadline => tracing::warn!("in-flight requests did not finish in time; exiting"),
    }
    server.finish().await;
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
