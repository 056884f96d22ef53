//! The stages of `cargo xtask test` and `cargo xtask demo`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::process::{cargo, cmd, step, target_dir};
use crate::{install, postgres};

/// Which widget build to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WidgetBuild {
    /// The shipped widget (browser codecs), size-optimised, into `pkg/`.
    Release,
    /// With the Rust decode/resize/encode path, for the browser benchmark, into `pkg-rust-codec/`.
    RustCodec,
}

/// The wasm-opt features matching what rustc enables by default on wasm32-unknown-unknown.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Build the widget's WASM, size-optimise it, generate the ES module with wasm-bindgen.
///
/// wasm-opt runs on rustc's output, before wasm-bindgen: Debian's binaryen 108 rewrites
/// wasm-bindgen's reference-type table glue into a module that fails at start-up
/// ("WebAssembly.Table.set(): Argument 1 is invalid for table").
pub fn build_widget(root: &Path, build: WidgetBuild) -> Result<PathBuf> {
    let (features, out_dir, simd) = match build {
        WidgetBuild::Release => (None, root.join("pkg"), false),
        // fast_image_resize emits SIMD code in the Rust-codec build.
        WidgetBuild::RustCodec => (Some("rust-codec"), root.join("pkg-rust-codec"), true),
    };
    step(&format!(
        "building the widget WASM into {}",
        out_dir.display()
    ));
    build_wasm(
        root,
        "vitrine-widget",
        "vitrine_widget",
        features,
        simd,
        &out_dir,
    )?;
    if build == WidgetBuild::Release {
        // The analytics client's own small WASM, for pages that never open the widget.
        build_wasm(
            root,
            "vitrine-analytics-client",
            "vitrine_analytics",
            None,
            false,
            &out_dir,
        )?;
    }
    Ok(out_dir)
}

/// Builds one wasm-bindgen crate (size-optimised), runs wasm-opt and wasm-bindgen on it, and
/// writes `<out_name>.js` and `<out_name>_bg.wasm` into `out_dir`.
fn build_wasm(
    root: &Path,
    package: &str,
    out_name: &str,
    features: Option<&str>,
    simd: bool,
    out_dir: &Path,
) -> Result<()> {
    let mut args = vec![
        "build",
        "-p",
        package,
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--locked",
    ];
    if let Some(features) = features {
        args.extend(["--features", features]);
    }
    cmd(&mut cargo(root, &args))?;
    let wasm_dir = target_dir(root).join("wasm32-unknown-unknown/wasm-release");
    let crate_file = package.replace('-', "_");
    let optimised = wasm_dir.join(format!("{crate_file}.opt.wasm"));
    let mut opt = Command::new("wasm-opt");
    opt.arg("-Oz").args(WASM_OPT_FEATURES);
    if simd {
        opt.arg("--enable-simd");
    }
    opt.arg("-o")
        .arg(&optimised)
        .arg(wasm_dir.join(format!("{crate_file}.wasm")));
    cmd(&mut opt)
        .with_context(|| format!("wasm-opt (Debian's binaryen) could not optimise {package}"))?;
    cmd(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", out_name, "--out-dir"])
        .arg(out_dir)
        .arg(&optimised))?;
    Ok(())
}

struct Stages {
    done: Vec<(String, f64)>,
}

impl Stages {
    fn run(&mut self, name: &str, body: impl FnOnce() -> Result<()>) -> Result<()> {
        step(name);
        let started = Instant::now();
        let result = body();
        self.done
            .push((name.to_owned(), started.elapsed().as_secs_f64()));
        result.with_context(|| format!("stage failed: {name}"))
    }
}

/// `cargo xtask test`: every check and test this project has.
pub fn test(root: &Path, args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let started = Instant::now();
    let mut stages = Stages { done: Vec::new() };
    stages.run("installing what is missing", || install::everything(root))?;
    stages.run("cargo fmt --check", || {
        cmd(&mut cargo(root, &["fmt", "--all", "--check"]))
    })?;
    stages.run("clippy (native)", || {
        cmd(&mut cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        ))
    })?;
    stages.run("clippy (wasm32)", || {
        // The widget as shipped and with the Rust codec, and the core on its own.
        let builds: [&[&str]; 4] = [
            &["-p", "vitrine-widget", "--all-targets"],
            &["-p", "vitrine-widget", "--features", "rust-codec", "--lib"],
            &["-p", "vitrine-analytics-client", "--all-targets"],
            &["-p", "vitrine-core", "--lib"],
        ];
        for build in builds {
            let mut args = vec!["clippy", "--target", "wasm32-unknown-unknown", "--locked"];
            args.extend_from_slice(build);
            args.extend(["--", "-D", "warnings"]);
            cmd(&mut cargo(root, &args))?;
        }
        Ok(())
    })?;
    stages.run(
        "native tests (the storage suite on SQLite and a throwaway PostgreSQL)",
        || {
            // Dropped at the end of the stage, pass or fail: pg_ctl stop, files removed.
            let cluster = postgres::Cluster::start()?;
            let mut command = cargo(root, &["test", "--workspace", "--locked"]);
            command.env("VITRINE_TEST_POSTGRES_URL", cluster.url());
            cmd(&mut command)
        },
    )?;
    for engine in Engine::ALL {
        stages.run(
            &format!("widget tests in {} (wasm-bindgen-test)", engine.name()),
            || widget_tests_in(root, engine),
        )?;
    }
    if !quick {
        stages.run("fuzz corpora under libFuzzer (cargo fuzz, nightly)", || {
            fuzz_corpora(root)
        })?;
        let mut server = PathBuf::new();
        stages.run(
            "building the widget and the demo for the browser walks",
            || {
                server = demo_for_walks(root)?;
                Ok(())
            },
        )?;
        stages.run(
            "Playwright walks of the demo page in headless Chromium",
            || playwright(root, &server),
        )?;
        // Chromium too: Playwright covers it in depth, and the same walk there proves the harness.
        for engine in Engine::ALL {
            stages.run(
                &format!("the shopper's path in {} over WebDriver", engine.name()),
                || webdriver_walks(root, &server, engine),
            )?;
        }
    }
    eprintln!("\nstage timings:");
    for (name, seconds) in &stages.done {
        eprintln!("  {seconds:>7.1} s  {name}");
    }
    eprintln!(
        "all stages passed in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

/// The browser engines a shopper uses, each driven by its own WebDriver server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Debian's Chromium, headless, through chromedriver.
    Chromium,
    /// Firefox ESR, headless, through geckodriver.
    Firefox,
    /// WebKitGTK's MiniBrowser (Safari's engine family) through WebKitWebDriver, under Xvfb.
    WebKit,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "headless Chromium",
            Engine::Firefox => "Firefox ESR",
            Engine::WebKit => "WebKitGTK",
        }
    }

    /// The name www/engines/ knows it by (`VITRINE_ENGINE`).
    pub fn id(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// `command`, run so that this engine can show windows: WebKitGTK's MiniBrowser has no
    /// headless mode and draws into a virtual X display.
    fn with_display(self, command: Command) -> Command {
        if self != Engine::WebKit {
            return command;
        }
        let mut wrapped = Command::new("xvfb-run");
        wrapped
            .args(["-a", "-s", "-screen 0 1280x900x24"])
            .arg(command.get_program())
            .args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }
}

/// The widget crate's wasm-bindgen tests in one engine: the runner takes the first of
/// GECKODRIVER, SAFARIDRIVER and CHROMEDRIVER it finds, so each engine is its own invocation. Once
/// as shipped (browser codecs), once with the Rust codec compiled in.
fn widget_tests_in(root: &Path, engine: Engine) -> Result<()> {
    for features in [None, Some("rust-codec")] {
        let mut args = vec![
            "test",
            "-p",
            "vitrine-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
        ];
        if let Some(features) = features {
            args.extend(["--features", features]);
        }
        let mut command = engine.with_display(cargo(root, &args));
        command
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
            .env_remove("GECKODRIVER")
            .env_remove("SAFARIDRIVER")
            .env_remove("CHROMEDRIVER");
        match engine {
            Engine::Chromium => command.env("CHROMEDRIVER", "/usr/bin/chromedriver"),
            Engine::Firefox => command.env("GECKODRIVER", install::geckodriver_path()).env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root.join("webdriver-firefox.json"),
            ),
            // WebKitWebDriver is sent empty capabilities by the runner; it starts MiniBrowser.
            Engine::WebKit => command.env("SAFARIDRIVER", "/usr/bin/WebKitWebDriver"),
        };
        cmd(&mut command)?;
    }
    Ok(())
}

/// `cargo xtask walks [ENGINE...]`: only the cross-engine walks, for local iteration.
pub fn walks(root: &Path, args: &[String]) -> Result<()> {
    install::everything(root)?;
    let engines: Vec<Engine> = if args.is_empty() {
        Engine::ALL.to_vec()
    } else {
        args.iter()
            .map(|arg| {
                Engine::ALL
                    .into_iter()
                    .find(|engine| engine.id() == arg)
                    .with_context(|| format!("unknown engine {arg:?}: chromium, firefox or webkit"))
            })
            .collect::<Result<_>>()?
    };
    let server = demo_for_walks(root)?;
    for engine in engines {
        step(&format!(
            "the shopper's path in {} over WebDriver",
            engine.name()
        ));
        webdriver_walks(root, &server, engine)?;
    }
    Ok(())
}

/// Builds what the browser walks serve (the widget, and the server binary the native-test stage
/// has already built), and returns the server's path.
fn demo_for_walks(root: &Path) -> Result<PathBuf> {
    build_widget(root, WidgetBuild::Release)?;
    // The same command (and so the same feature resolution) as the native-test stage, which has
    // already built `target/debug/vitrine-server`: a no-op after it. A plain `cargo build -p
    // vitrine-server` resolves features without the test-only ones and rebuilds the server and
    // much of its tree (measured: about 5 minutes of a fresh CI run).
    cmd(&mut cargo(
        root,
        &["test", "--workspace", "--locked", "--no-run"],
    ))?;
    Ok(target_dir(root).join("debug/vitrine-server"))
}

/// The cross-engine subset of the shopper's path (www/engines/path.test.mjs) in one engine.
fn webdriver_walks(root: &Path, server: &Path, engine: Engine) -> Result<()> {
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-concurrency=1", "engines/path.test.mjs"])
        .current_dir(root.join("www"))
        .env("VITRINE_ENGINE", engine.id())
        .env("VITRINE_SERVER_BIN", server)
        .env("VITRINE_ROOT", root)
        .env("GECKODRIVER", install::geckodriver_path());
    cmd(&mut command)
}

fn fuzz_corpora(root: &Path) -> Result<()> {
    let targets_dir = root.join("fuzz/fuzz_targets");
    if !targets_dir.exists() {
        bail!("fuzz/fuzz_targets is missing");
    }
    if !install::nightly_available() {
        bail!("the nightly toolchain is missing; cargo fuzz needs it (this machine kind ships it)");
    }
    let mut targets: Vec<String> = std::fs::read_dir(&targets_dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .collect();
    targets.sort();
    // Through rustup: the `cargo` that runs the xtask is the stable toolchain's own binary,
    // which does not understand `+nightly`. Build every target in one go (better use of both
    // cores), then replay each corpus without mutating it.
    let nightly_cargo = |args: &[&str]| {
        let mut command = Command::new("rustup");
        command
            .args(["run", "nightly", "cargo"])
            .args(args)
            .current_dir(root);
        command
    };
    cmd(&mut nightly_cargo(&["fuzz", "build"]))?;
    for target in &targets {
        let corpus = format!("fuzz/corpus/{target}");
        if !root.join(&corpus).is_dir() {
            bail!("fuzz target {target} has no corpus in {corpus}");
        }
        cmd(&mut nightly_cargo(&[
            "fuzz", "run", target, &corpus, "--", "-runs=0",
        ]))?;
    }
    Ok(())
}

fn playwright(root: &Path, server: &Path) -> Result<()> {
    let mut command = Command::new("npx");
    command
        .args(["playwright", "test"])
        .current_dir(root.join("www"))
        .env("VITRINE_SERVER_BIN", server)
        .env("VITRINE_ROOT", root);
    cmd(&mut command)
}

/// `cargo xtask demo`: the server and the demo retailer page, on two origins as in real life.
pub fn demo(root: &Path) -> Result<()> {
    install::for_demo(root)?;
    build_widget(root, WidgetBuild::Release)?;
    step("building the server (release)");
    cmd(&mut cargo(
        root,
        &[
            "build",
            "--release",
            "-p",
            "vitrine-server",
            "-p",
            "vitrine-cli",
            "--locked",
        ],
    ))?;
    let listen = std::env::var("VITRINE_LISTEN").unwrap_or_else(|_| "127.0.0.1:8787".into());
    let shop = std::env::var("VITRINE_SHOP_LISTEN").unwrap_or_else(|_| "127.0.0.1:8788".into());
    step(&format!(
        "demo shop: http://{shop}/   (widget served from http://{listen}/; Ctrl-C stops)"
    ));
    let target_dir = target_dir(root);
    cmd(Command::new(target_dir.join("release/vitrine-server"))
        .args([
            "demo",
            "--listen",
            &listen,
            "--shop-listen",
            &shop,
            "--assets-dir",
        ])
        .arg(root))
}
