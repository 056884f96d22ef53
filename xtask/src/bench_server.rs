//! `cargo xtask bench-server`: wrk (Debian's) on loopback against two authenticated,
//! origin-checked, rate-limited endpoints — `POST /v1/widget/{key}/device-renders` (a render
//! counted) and `POST /v1/widget/{key}/events` (an analytics beacon of ten events parsed, checked
//! for personal data and stored) — on SQLite and on PostgreSQL, beside a bare axum handler
//! answering the same routes in the same run.
//!
//! Each server is the release build, with its production defaults (JSON logs at `info`), a
//! retailer whose limits are raised so that every request is admitted and counted (each request
//! comes from another visitor through the trusted loopback proxy, as real traffic would), and
//! PostgreSQL with its durable defaults (fsync and synchronous commit on). wrk runs one thread and
//! 32 connections: on 2 cores, the load generator and the server share the machine.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench_server_setup::{BenchServer, build_release_server};
use crate::process::{free_address, output_of, serve_on, step, target_dir};
use crate::{install, postgres};

const ORIGIN: &str = "https://shop.example";
const CONNECTIONS: &str = "32";
const WARM_UP: &str = "3s";
const DURATION: &str = "15s";

/// The wrk script (both workloads; `VITRINE_BENCH_WORKLOAD` picks one).
const SCRIPT: &str = "scripts/wrk-widget.lua";
/// What is measured: a name, its `VITRINE_BENCH_WORKLOAD`, and events per request.
const WORKLOADS: [(&str, &str, u32); 2] = [
    ("device render counted", "device-render", 1),
    ("analytics beacon (10 events)", "beacon", 10),
];

/// One measured run.
struct Measured {
    workload: usize,
    name: String,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Runs the benchmark and prints a Markdown table for BENCHMARKS.md.
pub fn run(root: &Path) -> Result<()> {
    install::for_server_benchmark()?;
    step("building the server and the bare handler (release)");
    let server = build_release_server(root, &["--example", "bare_handler"])?;
    let bare = target_dir(root).join("release/examples/bare_handler");
    let cluster = postgres::Cluster::start_durable()?;
    let data = tempfile_dir()?;

    let mut results = Vec::new();
    {
        let address = free_address()?;
        let mut command = Command::new(&bare);
        command.arg(address.to_string());
        let guard = serve_on(command, address, "the bare handler")?;
        for workload in 0..WORKLOADS.len() {
            results.push(measure(
                root,
                workload,
                "bare axum handler",
                address,
                "pk_bare",
            )?);
        }
        drop(guard);
    }
    for (name, url) in [
        (
            "vitrine, SQLite",
            format!("sqlite://{}", data.join("bench.db").display()),
        ),
        ("vitrine, PostgreSQL", cluster.url().to_owned()),
    ] {
        let vitrine = BenchServer {
            binary: &server,
            env: vec![
                ("VITRINE_DATA_DIR", data.display().to_string()),
                ("VITRINE_DATABASE_URL", url),
                ("VITRINE_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            ],
        };
        let retailer = vitrine.retailer(ORIGIN, "1000000000")?;
        let address = free_address()?;
        let guard = vitrine.serve(address)?;
        for workload in 0..WORKLOADS.len() {
            results.push(measure(root, workload, name, address, &retailer.key)?);
        }
        drop(guard);
    }
    let _ = std::fs::remove_dir_all(&data);
    drop(cluster);

    for (workload, (title, _, events)) in WORKLOADS.iter().enumerate() {
        let of_workload: Vec<&Measured> =
            results.iter().filter(|r| r.workload == workload).collect();
        let bare_rps = of_workload[0].requests_per_second;
        println!("\n{title}\n");
        println!("| server | requests/s | events/s | vs bare | p50 | p99 | non-2xx |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for r in of_workload {
            println!(
                "| {} | {:.0} | {:.0} | {:.0}% | {:.2} ms | {:.2} ms | {} |",
                r.name,
                r.requests_per_second,
                r.requests_per_second * f64::from(*events),
                100.0 * r.requests_per_second / bare_rps,
                r.p50_ms,
                r.p99_ms,
                r.errors
            );
        }
    }
    println!(
        "\nwrk 1 thread, {CONNECTIONS} connections, {DURATION} after a {WARM_UP} warm-up; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if results.iter().any(|r| r.errors > 0) {
        bail!("some requests were not answered with 2xx");
    }
    Ok(())
}

fn measure(
    root: &Path,
    workload: usize,
    name: &str,
    address: SocketAddr,
    key: &str,
) -> Result<Measured> {
    let (title, workload_name, _) = WORKLOADS[workload];
    let script = root.join(SCRIPT);
    step(&format!("wrk: {title} against {name} on {address}"));
    let url = format!("http://{address}");
    let wrk = |duration: &str| -> Result<String> {
        output_of(
            Command::new("wrk")
                .args(["-t1", "-c", CONNECTIONS, "-d", duration, "--latency", "-s"])
                .arg(&script)
                .arg(&url)
                .env("VITRINE_BENCH_KEY", key)
                .env("VITRINE_BENCH_ORIGIN", ORIGIN)
                .env("VITRINE_BENCH_WORKLOAD", workload_name),
        )
    };
    wrk(WARM_UP)?;
    let output = wrk(DURATION)?;
    eprintln!("{output}");
    let line = output
        .lines()
        .find(|l| l.starts_with("BENCH "))
        .context("wrk printed no BENCH line")?;
    let field = |name: &str| -> Result<f64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {name} in {line}"))
    };
    let requests = field("requests")?;
    let duration_s = field("duration_us")? / 1e6;
    Ok(Measured {
        workload,
        name: name.to_owned(),
        requests_per_second: requests / duration_s,
        p50_ms: field("p50_us")? / 1000.0,
        p99_ms: field("p99_us")? / 1000.0,
        errors: field("errors_status")? as u64,
    })
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("vitrine-bench-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
