//! A throwaway PostgreSQL cluster for the storage tests: `initdb` into a temporary directory,
//! `pg_ctl start` on 127.0.0.1 at a free port (its unix socket inside that directory, trust
//! authentication, no fsync), one database, and a guard that stops the cluster with its own
//! `pg_ctl stop` and removes the directory when dropped, whether the tests passed or not.
//!
//! Debian's `postgresql` package may also start its own cluster on port 5432 when installed; we
//! neither use nor touch it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::process::{cmd, free_address, output_of, step};

/// Where Debian installs PostgreSQL's server binaries (`/usr/lib/postgresql/<major>/bin`).
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// Settings of the tests' cluster: nothing in it needs to survive a crash.
const TEST_SETTINGS: &str =
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";

/// The database the tests receive (they create one more per test next to it).
const DATABASE: &str = "vitrine_test";

/// A running throwaway cluster; dropping it stops the cluster and deletes its files.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    url: String,
}

impl Cluster {
    /// Creates and starts a cluster for the tests: no fsync (nothing in it outlives the run).
    pub fn start() -> Result<Self> {
        Self::start_with(TEST_SETTINGS)
    }

    /// Creates and starts a cluster with PostgreSQL's durable defaults (fsync, synchronous
    /// commit), as production would run it: for benchmarks.
    pub fn start_durable() -> Result<Self> {
        Self::start_with("-c max_connections=200")
    }

    fn start_with(settings: &str) -> Result<Self> {
        let bin = server_bin()?;
        let as_postgres = output_of(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0");
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("vitrine-postgres-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // From here on, the guard cleans up whatever happens.
        let mut cluster = Self {
            dir,
            bin,
            as_postgres,
            url: String::new(),
        };
        if as_postgres {
            // initdb refuses to run as root: the cluster belongs to Debian's `postgres` user.
            cmd(Command::new("chown").arg("postgres:").arg(&cluster.dir))?;
        }
        // The OS picks a free port; there is a small race until the postmaster binds it.
        let port = free_address()?.port();
        step(&format!(
            "starting a throwaway PostgreSQL ({}) on 127.0.0.1:{port}",
            cluster.bin.display()
        ));
        let data = cluster.dir.join("data");
        cmd(cluster
            .tool("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .stdout(std::process::Stdio::null()))?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 {settings}",
            cluster.dir.display()
        );
        cmd(cluster
            .tool("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(cluster.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"]))
        .with_context(|| {
            format!(
                "pg_ctl start failed; see {}",
                cluster.dir.join("server.log").display()
            )
        })?;
        cmd(cluster.tool("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            DATABASE,
        ]))?;
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/{DATABASE}");
        Ok(cluster)
    }

    /// The URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One of PostgreSQL's programs, run as the `postgres` user when we are root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command.current_dir(&self.dir);
            command
        } else {
            let mut command = Command::new(program);
            command.current_dir(&self.dir);
            command
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            step("stopping the throwaway PostgreSQL");
            if let Err(e) = cmd(self
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-m", "fast", "-w", "stop"]))
            {
                eprintln!(
                    "warning: {e:#}; the cluster in {} may still run",
                    self.dir.display()
                );
                return;
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("warning: could not remove {}: {e}", self.dir.display());
        }
    }
}

/// The newest `/usr/lib/postgresql/<major>/bin` holding `initdb`.
fn server_bin() -> Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_ROOT)
        .with_context(|| format!("{DEBIAN_ROOT} is missing: is Debian's postgresql installed?"))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!("no {DEBIAN_ROOT}/<version>/bin/initdb found"),
    }
}
