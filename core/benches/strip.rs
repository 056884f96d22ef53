//! Lossless strip over the whole fixture corpus, in memory, beside two peers measured in the same
//! run:
//! - `img-parts` removing EXIF and ICC through its API. It does less: it stops at the first
//!   start-of-scan and leaves XMP, IPTC, COM, other APPn, PNG text chunks, segments between
//!   scans and everything after EOI in place (see BENCHMARKS.md);
//! - `Vec::clone` of the same bytes: the cost of merely copying the corpus.
//!
//! `cargo bench -p vitrine-core --bench strip`; throughput is in bytes of input.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use img_parts::{Bytes, DynImage, ImageEXIF, ImageICC};
use vitrine_core::photo::{self, Limits};

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/photos");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "jpg" | "jpeg" | "png" | "webp"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("read fixture"))
        .collect()
}

fn strip_corpus(c: &mut Criterion) {
    let files = corpus();
    let total: usize = files.iter().map(Vec::len).sum();
    let limits = Limits::default();
    // Every fixture must strip: a benchmark of errors would be meaningless.
    for f in &files {
        photo::strip(f, &limits).expect("every fixture strips");
    }
    let shared: Vec<Bytes> = files.iter().map(|f| Bytes::copy_from_slice(f)).collect();

    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("vitrine_strip", |b| {
        b.iter(|| {
            for f in &files {
                black_box(photo::strip(black_box(f), &limits).expect("strips"));
            }
        });
    });
    group.bench_function("img_parts_remove_exif_icc", |b| {
        b.iter(|| {
            for f in &shared {
                // `Bytes` clones are reference counts: the parse and the re-encode are measured.
                if let Ok(Some(mut image)) = DynImage::from_bytes(black_box(f.clone())) {
                    image.set_exif(None);
                    image.set_icc_profile(None);
                    black_box(image.encoder().bytes());
                }
            }
        });
    });
    group.bench_function("vec_clone", |b| {
        b.iter(|| {
            for f in &files {
                black_box(black_box(f).clone());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, strip_corpus);
criterion_main!(benches);
