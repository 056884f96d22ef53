//! Running other programs: the stage banner, a command that must succeed (with or without its
//! output), `cargo` as the xtask was started with, and a server child that is killed when its
//! guard is dropped.
//!
//! A leaf: it uses nothing else in the xtask, so every other module (installs, PostgreSQL, the
//! stages, the benchmarks) can use it without a cycle.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Print a stage banner.
pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Run a command, inheriting stdio; a non-zero exit is an error naming the command.
pub fn cmd(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Run a command and return its standard output.
pub fn output_of(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !output.status.success() {
        bail!("{shown} failed with {}", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `cargo ARGS` in `root`, with the cargo that runs this xtask (`$CARGO`) when there is one.
pub fn cargo(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args).current_dir(root);
    command
}

/// Where cargo puts what it builds.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
}

/// Kills the child it holds when dropped (a process this command started, by its handle).
#[derive(Debug)]
pub struct ChildGuard(Child);

impl ChildGuard {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server (its standard error discarded: the benchmarks print their own tables) and
/// waits until it accepts connections on `address`; the guard stops it.
pub fn serve_on(mut command: Command, address: SocketAddr, what: &str) -> Result<ChildGuard> {
    let child = command
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let guard = ChildGuard(child);
    wait_for(address)?;
    Ok(guard)
}

/// A loopback address nobody listens on right now (the OS picks the port; there is a small race
/// until the server binds it).
pub fn free_address() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe socket")?;
    Ok(listener.local_addr()?)
}

/// Waits (up to 30 s) until something accepts connections on `address`.
pub fn wait_for(address: SocketAddr) -> Result<()> {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("nothing listens on {address} after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
