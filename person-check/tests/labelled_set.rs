//! The detector against the labelled set, at the threshold we ship, and its fail-closed paths.

use std::path::{Path, PathBuf};

use vitrine_person_check::evaluation::{self, Sources};
use vitrine_person_check::{DEFAULT_THRESHOLD, PersonCheckError, PersonDetector};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn detector() -> PersonDetector {
    PersonDetector::load(&workspace_root().join("target/models"))
        .expect("the CenterFace model is installed by `cargo xtask setup`")
}

#[test]
fn labelled_set_meets_the_measured_precision_and_recall() {
    let root = workspace_root();
    let labels =
        std::fs::read_to_string(root.join("person-check/eval/labels.tsv")).expect("labels file");
    let samples = evaluation::load(&labels, &Sources::of_workspace(&root)).expect("sources");
    assert!(samples.len() >= 40, "the set must hold at least 40 photos");
    let detector = detector();
    assert_eq!(detector.threshold(), DEFAULT_THRESHOLD);
    let mut scored = Vec::new();
    let mut let_through = Vec::new();
    for sample in &samples {
        let verdict = detector.check(&sample.photo).expect("inference");
        if sample.person && !verdict.person && !sample.note.contains("no face") {
            let_through.push(format!("{} ({:.3})", sample.id, verdict.score));
        }
        scored.push((verdict.score, sample.person));
    }
    let point = evaluation::at_threshold(&scored, DEFAULT_THRESHOLD);
    // Measured: precision 1.000, recall 0.773 (17 of 22; every miss is a person whose face is
    // not in the frame). A drop below these means the model or the preprocessing changed.
    assert!(
        point.precision >= 0.95,
        "precision {:.3} at {DEFAULT_THRESHOLD}: {point:?}",
        point.precision
    );
    assert!(
        point.recall >= 0.77,
        "recall {:.3} at {DEFAULT_THRESHOLD}: {point:?}",
        point.recall
    );
    let allowed_misses = ["soldiers-from-behind"];
    let_through.retain(|m| !allowed_misses.iter().any(|a| m.starts_with(a)));
    assert!(
        let_through.is_empty(),
        "people with a visible face let through: {let_through:?}"
    );
}

#[test]
fn a_missing_model_refuses_instead_of_waving_photos_through() {
    let empty = tempfile::tempdir().expect("temp dir");
    match PersonDetector::load(empty.path()) {
        Err(PersonCheckError::ModelMissing { path }) => assert!(path.ends_with("centerface.onnx")),
        other => panic!("expected ModelMissing, got {other:?}"),
    }
}

#[test]
fn a_tampered_model_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = std::fs::read(workspace_root().join("target/models/centerface.onnx"))
        .expect("installed model");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(dir.path().join("centerface.onnx"), &bytes).expect("write");
    match PersonDetector::load(dir.path()) {
        Err(PersonCheckError::ModelTampered {
            found, expected, ..
        }) => {
            assert_ne!(found, expected)
        }
        other => panic!("expected ModelTampered, got {other:?}"),
    }
}

#[test]
fn an_empty_photo_is_an_error_not_a_pass() {
    let detector = detector();
    match detector.check(&image::RgbImage::new(0, 0)) {
        Err(PersonCheckError::EmptyPhoto { .. }) => {}
        other => panic!("expected EmptyPhoto, got {other:?}"),
    }
}

#[test]
fn portrait_and_landscape_photos_are_both_checked() {
    // The same face in a tall and a wide frame: both orientations' plans must see it.
    let root = workspace_root();
    let face = image::open(root.join("target/person-eval/matplotlib/grace_hopper.jpg"))
        .expect("installed sample")
        .to_rgb8();
    let detector = detector();
    let small = image::imageops::resize(&face, 300, 350, image::imageops::FilterType::Triangle);
    let mut tall = image::RgbImage::from_pixel(900, 1600, image::Rgb([200, 200, 190]));
    image::imageops::overlay(&mut tall, &small, 500, 1100);
    let mut wide = image::RgbImage::from_pixel(1600, 900, image::Rgb([200, 200, 190]));
    image::imageops::overlay(&mut wide, &small, 1200, 100);
    for (name, photo) in [("tall", tall), ("wide", wide)] {
        let verdict = detector.check(&photo).expect("inference");
        assert!(verdict.person, "{name}: score {}", verdict.score);
    }
    let blank = image::RgbImage::from_pixel(900, 1200, image::Rgb([180, 170, 160]));
    assert!(!detector.check(&blank).expect("inference").person);
}
