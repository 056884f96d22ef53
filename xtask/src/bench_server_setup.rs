//! The release `vitrine-server` as both benchmarks drive it: its `admin` commands, a retailer
//! whose limits admit every request of the run, and `serve` on a free loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::process::{ChildGuard, cargo, cmd, output_of, serve_on, target_dir};

/// Builds the release server, and `also` (more cargo target selections) in the same build;
/// returns the server binary's path.
pub fn build_release_server(root: &Path, also: &[&str]) -> Result<PathBuf> {
    let mut args = vec![
        "build",
        "--release",
        "--locked",
        "-p",
        "vitrine-server",
        "--bin",
        "vitrine-server",
    ];
    args.extend_from_slice(also);
    cmd(&mut cargo(root, &args))?;
    Ok(target_dir(root).join("release/vitrine-server"))
}

/// One server binary and the environment (data directory, database, …) every command of it gets.
#[derive(Debug)]
pub struct BenchServer<'a> {
    pub binary: &'a Path,
    pub env: Vec<(&'static str, String)>,
}

/// The retailer a benchmark sends its requests as.
#[derive(Debug)]
pub struct BenchRetailer {
    pub id: String,
    pub key: String,
}

impl BenchServer<'_> {
    /// `vitrine-server admin ARGS`, its printed answer trimmed.
    pub fn admin(&self, args: &[&str]) -> Result<String> {
        output_of(
            Command::new(self.binary)
                .arg("admin")
                .args(args)
                .envs(self.env.clone()),
        )
        .map(|s| s.trim().to_owned())
    }

    /// A retailer named "Benchmark" with a key, `origin` allowed, and `limit` renders per hour and
    /// per day, so that the limiter counts every request and refuses none.
    pub fn retailer(&self, origin: &str, limit: &str) -> Result<BenchRetailer> {
        let id = self.admin(&["retailer", "add", "--name", "Benchmark"])?;
        let key = self.admin(&["key", "add", &id])?;
        self.admin(&["origin", "add", &id, origin])?;
        self.admin(&[
            "retailer",
            "limits",
            &id,
            "--per-hour",
            limit,
            "--per-day",
            limit,
        ])?;
        Ok(BenchRetailer { id, key })
    }

    /// `vitrine-server serve` on `address`, ready for requests; dropping the guard stops it.
    pub fn serve(&self, address: SocketAddr) -> Result<ChildGuard> {
        let mut command = Command::new(self.binary);
        command
            .arg("serve")
            .envs(self.env.clone())
            .env("VITRINE_LISTEN", address.to_string());
        serve_on(command, address, "vitrine-server")
    }
}
