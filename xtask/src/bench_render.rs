//! `cargo xtask bench-render`: the render pipeline's figures for BENCHMARKS.md, each beside a
//! peer measured in the same run:
//! - the compositor on 2048×1536 (criterion), beside imageproc's projective warp;
//! - the person check per model and combined (criterion, tract), beside onnxruntime running the
//!   same model files (`scripts/bench_onnxruntime.py`, in a venv with pinned PyPI packages);
//! - end-to-end `POST /renders` latency at 4 concurrent clients against the release server
//!   (curl, 2048×1536 camera photo), beside the same server's `device-renders` (no photo) as the
//!   floor of what any request costs;
//! - the server's peak memory: resident set before and after one render, and after the load.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::bench_server_setup::{BenchRetailer, BenchServer, build_release_server};
use crate::install;
use crate::process::{cargo, cmd, free_address, output_of, step};

const ORIGIN: &str = "https://shop.example";
const CLIENTS: usize = 4;
const REQUESTS_PER_CLIENT: usize = 10;
const PHOTO: &str = "../shared/fixtures/photos/ia__hdr_canon_hdr_YES.jpg";
/// The peer's packages, pinned.
const PEER_PACKAGES: &[&str] = &[
    "onnx==1.17.0",
    "onnxruntime==1.20.1",
    "numpy==2.4.6",
    "pillow==13.0.0",
];

pub fn run(root: &Path) -> Result<()> {
    install::models(root)?;
    step("compositor (criterion)");
    cmd(&mut cargo(
        root,
        &[
            "bench",
            "--locked",
            "-p",
            "vitrine-core",
            "--bench",
            "compositor",
        ],
    ))?;
    step("person check (criterion)");
    cmd(&mut cargo(
        root,
        &[
            "bench",
            "--locked",
            "-p",
            "vitrine-person-check",
            "--bench",
            "person_check",
        ],
    ))?;

    step("person check peer: onnxruntime on the same model and input");
    let venv = root.join("target/bench-venv");
    if !venv.join("bin/python").exists() {
        cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    cmd(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PEER_PACKAGES))?;
    for threads in ["1", "2"] {
        cmd(Command::new(venv.join("bin/python"))
            .arg(root.join("scripts/bench_onnxruntime.py"))
            .arg(root.join("target/models/centerface.onnx"))
            .arg(root.join("target/models/pose_detection.onnx"))
            .arg(root.join(PHOTO))
            .arg(threads))?;
    }

    step("end-to-end renders against the release server");
    let server = build_release_server(root, &[])?;
    end_to_end(root, &server)
}

fn end_to_end(root: &Path, server: &Path) -> Result<()> {
    let data = std::env::temp_dir().join(format!("vitrine-bench-render-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let vitrine = BenchServer {
        binary: server,
        env: vec![
            ("VITRINE_DATA_DIR", data.display().to_string()),
            (
                "VITRINE_MODELS_DIR",
                root.join("target/models").display().to_string(),
            ),
            ("VITRINE_LOG_FORMAT", "json".to_owned()),
        ],
    };
    let BenchRetailer { id, key } = vitrine.retailer(ORIGIN, "1000000")?;
    let texture = data.join("tile.png");
    // A 512×512 tile: the size of a retailer's real texture upload.
    std::fs::write(&texture, tile_png())?;
    vitrine.admin(&[
        "product",
        "add",
        &id,
        "--sku",
        "OAK",
        "--name",
        "Oak plank",
        "--surface",
        "floor",
        "--texture",
        &texture.display().to_string(),
        "--tile-mm",
        "1200x1200",
    ])?;
    let address = free_address()?;
    let guard = vitrine.serve(address)?;
    let pid = guard.id();
    let photo = root.join(PHOTO);
    let render_url = format!("http://{address}/v1/widget/{key}/renders?product=OAK");
    let device_url = format!("http://{address}/v1/widget/{key}/device-renders");

    let idle = memory_kib(pid, "VmRSS")?;
    let one = curl_render(&render_url, &photo)?;
    let after_one = memory_kib(pid, "VmHWM")?;
    let renders = load(CLIENTS, REQUESTS_PER_CLIENT, || {
        curl_render(&render_url, &photo)
    })?;
    let after_load = memory_kib(pid, "VmHWM")?;
    let device = load(CLIENTS, REQUESTS_PER_CLIENT, || curl_device(&device_url))?;
    drop(guard);
    let _ = std::fs::remove_dir_all(&data);

    let (p50, p99) = percentiles(&renders);
    let (d50, d99) = percentiles(&device);
    println!("\n| request ({CLIENTS} clients × {REQUESTS_PER_CLIENT}) | p50 | p99 |");
    println!("|---|---:|---:|");
    println!("| POST /renders, 2048×1536 photo, built-in compositor | {p50:.0} ms | {p99:.0} ms |");
    println!(
        "| POST /device-renders (peer: gate + limiter, no photo) | {d50:.1} ms | {d99:.1} ms |"
    );
    println!("\nfirst render alone: {one:.0} ms");
    println!(
        "server memory: idle (models loaded) {:.0} MB; peak after one render {:.0} MB (+{:.0} MB); \
         peak after {CLIENTS} clients (at most 2 renders in flight) {:.0} MB (+{:.0} MB, {:.0} MB per render in flight)",
        mb(idle),
        mb(after_one),
        mb(after_one.saturating_sub(idle)),
        mb(after_load),
        mb(after_load.saturating_sub(idle)),
        mb(after_load.saturating_sub(idle)) / 2.0
    );
    Ok(())
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A field of /proc/<pid>/status, in KiB.
fn memory_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// `clients` threads, each sending `per_client` requests one after another; every latency in ms.
fn load(
    clients: usize,
    per_client: usize,
    request: impl Fn() -> Result<f64> + Sync,
) -> Result<Vec<f64>> {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failure = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                for _ in 0..per_client {
                    match request() {
                        Ok(ms) => latencies.lock().map(|mut l| l.push(ms)).unwrap_or(()),
                        Err(e) => {
                            let _ = failure.lock().map(|mut f| *f = Some(e.to_string()));
                        }
                    }
                }
            });
        }
    });
    if let Ok(Some(error)) = failure.into_inner() {
        bail!("a request failed: {error}");
    }
    let latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(latencies)
}

fn percentiles(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        sorted[((sorted.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(sorted.len() - 1)]
    };
    (at(0.5), at(0.99))
}

fn curl(args: &[&str], expected: &str) -> Result<f64> {
    let out = output_of(
        Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{time_total}",
                "-H",
            ])
            .arg(format!("Origin: {ORIGIN}"))
            .args(args),
    )?;
    let (code, seconds) = out.split_once(' ').context("curl's output")?;
    if code != expected {
        bail!("answered {code}, expected {expected}");
    }
    Ok(seconds.trim().parse::<f64>()? * 1000.0)
}

fn curl_render(url: &str, photo: &Path) -> Result<f64> {
    curl(
        &[
            "-H",
            "Content-Type: image/jpeg",
            "--data-binary",
            &format!("@{}", photo.display()),
            url,
        ],
        "200",
    )
}

fn curl_device(url: &str) -> Result<f64> {
    curl(
        &[
            "-H",
            "Content-Type: application/json",
            "--data",
            r#"{"product":"OAK"}"#,
            url,
        ],
        "201",
    )
}

/// A 512×512 plank tile as PNG, written without an image library (xtask has none): stored
/// (uncompressed) deflate blocks inside zlib, the Adler-32 computed here, the chunks' CRC-32 by
/// crc32fast.
fn tile_png() -> Vec<u8> {
    let (w, h) = (512u32, 512u32);
    let mut raw = Vec::with_capacity(((w * 3 + 1) * h) as usize);
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            let seam = y % 64 == 0 || (x + (y / 64) * 173) % 512 == 0;
            let grain = (((y % 64) as f64 * 0.7).sin() * 12.0) as i32;
            let base = [176i32, 131, 86].map(|c| if seam { c * 6 / 10 } else { c - grain });
            raw.extend(base.map(|c| c.clamp(0, 255) as u8));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        zlib.push(u8::from(last));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32fast::hash(&body).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend(w.to_be_bytes());
    header.extend(h.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_is_a_png_whose_chunks_carry_their_crc() {
        let png = tile_png();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IEND's CRC-32 is fixed by the PNG specification: AE 42 60 82.
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }
}
