//! The person check on a 2048×1536 room photo (the render size), per model and combined, in
//! tract: CenterFace (letterbox to 640×480 + inference), BlazePose (letterbox to 224×224 +
//! inference), and `check` as a photo without people costs it (both models run). The peer,
//! onnxruntime running the same model files on the same input sizes, is measured in the same
//! `cargo xtask bench-render` run by `scripts/bench_onnxruntime.py` (see BENCHMARKS.md).
//!
//! `cargo bench -p vitrine-person-check --bench person_check`

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use vitrine_person_check::PersonDetector;

fn person_check(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let photo = image::open(root.join("../shared/fixtures/photos/ia__hdr_canon_hdr_YES.jpg"))
        .expect("fixture")
        .to_rgb8();
    let started = std::time::Instant::now();
    let detector = PersonDetector::load(&root.join("target/models")).expect("installed model");
    eprintln!(
        "model load (CenterFace in both orientations + BlazePose): {:?}",
        started.elapsed()
    );
    let mut group = c.benchmark_group("person check 2048x1536");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("face: CenterFace in tract (letterbox + inference)", |b| {
        b.iter(|| {
            detector
                .face_detector()
                .strongest_face(black_box(&photo))
                .expect("inference")
        })
    });
    group.bench_function("body: BlazePose in tract (letterbox + inference)", |b| {
        b.iter(|| {
            detector
                .body_detector()
                .strongest_person(black_box(&photo))
                .expect("inference")
        })
    });
    group.bench_function("combined: check() on a photo without people", |b| {
        b.iter(|| detector.check(black_box(&photo)).expect("inference"))
    });
    group.finish();
}

criterion_group!(benches, person_check);
criterion_main!(benches);
