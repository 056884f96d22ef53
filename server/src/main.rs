//! `vitrine-server`: the Vitrine render server.
//! - `serve`: the server (configuration from a TOML file and `VITRINE_*` variables);
//! - `admin …`: retailers, keys and origins, on the same database;
//! - `demo`: the widget's assets and a demo retailer page on two loopback origins.

mod cli;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cli::admin::{self, AdminCommand};
use cli::demo;
use tracing_subscriber::EnvFilter;
use vitrine_server::config::{self, Config};
use vitrine_server::{logging, serve};

/// Render buffers are tens of megabytes each; mimalloc gives them back to the system when freed,
/// where glibc's malloc keeps them (see the dependency's note in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "vitrine-server", version, about)]
struct Cli {
    /// The TOML config file (or `VITRINE_CONFIG`); `VITRINE_*` variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (listen address and database from the configuration).
    Serve,
    /// Manage retailers, their keys and allowed origins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Serve the widget's assets and a demo retailer page, on two loopback origins.
    Demo {
        /// Address of the widget origin (loader, widget UI, WASM).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Address of the demo retailer's origin.
        #[arg(long, default_value = "127.0.0.1:8788")]
        shop_listen: SocketAddr,
        /// The repository root (holding `www/` and `pkg/`).
        #[arg(long, default_value = ".")]
        assets_dir: PathBuf,
        /// Where the demo keeps its SQLite database and address-hash secret.
        #[arg(long, default_value = "target/demo-data")]
        data_dir: PathBuf,
        /// Where the person check's models are (default: `<assets-dir>/target/models`).
        #[arg(long)]
        models_dir: Option<PathBuf>,
        /// The demo retailer's renders per visitor per hour (default: the standard 10).
        #[arg(long)]
        renders_per_hour: Option<i64>,
        /// The demo retailer's renders per visitor per day (default: the standard 20).
        #[arg(long)]
        renders_per_day: Option<i64>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let load_config = || {
        Config::load(cli.config.as_deref(), &config::process_env())
            .context("the configuration is invalid")
    };
    match cli.command {
        Command::Serve => {
            let config = load_config()?;
            logging::init(config.log_format);
            serve::run(config).await
        }
        Command::Admin(command) => {
            let config = load_config()?;
            let storage = serve::open_storage(&config).await?;
            let out = admin::run(&storage, command).await;
            storage.close().await;
            print!("{}", out?);
            Ok(())
        }
        Command::Demo {
            listen,
            shop_listen,
            assets_dir,
            data_dir,
            models_dir,
            renders_per_hour,
            renders_per_day,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
                )
                .init();
            // The demo serves test hooks and unauthenticated assets: never on a public interface.
            for addr in [listen, shop_listen] {
                if !addr.ip().is_loopback() {
                    bail!("the demo listens on loopback addresses only, not {addr}");
                }
            }
            if !assets_dir.join("www").is_dir() {
                bail!(
                    "{} has no www/ folder: pass the repository root as --assets-dir",
                    assets_dir.display()
                );
            }
            let models_dir = models_dir.unwrap_or_else(|| assets_dir.join("target/models"));
            demo::run(demo::DemoConfig {
                listen,
                shop_listen,
                assets_dir,
                data_dir,
                models_dir,
                limits: (renders_per_hour.is_some() || renders_per_day.is_some()).then(|| {
                    let standard = vitrine_server::storage::Limits::default();
                    vitrine_server::storage::Limits {
                        per_hour: renders_per_hour.unwrap_or(standard.per_hour),
                        per_day: renders_per_day.unwrap_or(standard.per_day),
                    }
                }),
            })
            .await
        }
    }
}
