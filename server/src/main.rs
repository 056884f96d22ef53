//! `vitrine-server`: the Vitrine server. For now one subcommand, `demo`, which serves the widget
//! from one origin and a demo retailer page from another, as a real deployment would.

mod demo;
mod shutdown;
mod static_assets;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(name = "vitrine-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();
    match Cli::parse().command {
        Command::Demo {
            listen,
            shop_listen,
            assets_dir,
        } => {
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
            demo::run(demo::DemoConfig {
                listen,
                shop_listen,
                assets_dir,
            })
            .await
        }
    }
}
