//! Scores every photo of the labelled set with both detectors and prints the precision/recall
//! curves the thresholds were chosen from — each model alone, and combined (a person when either
//! fires): `cargo run --release -p vitrine-person-check --example evaluate`.

use std::path::Path;

use vitrine_person_check::evaluation::{self, Sources};
use vitrine_person_check::{DEFAULT_THRESHOLDS, PersonDetector, Scores};

fn main() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let labels = std::fs::read_to_string(root.join("person-check/eval/labels.tsv"))
        .map_err(|e| e.to_string())?;
    let samples = evaluation::load(&labels, &Sources::of_workspace(&root))?;
    let detector = PersonDetector::load(&root.join("target/models")).map_err(|e| e.to_string())?;
    let mut scored: Vec<(Scores, bool)> = Vec::new();
    println!("| photo | label | face | body | note |\n|---|---|---|---|---|");
    for sample in &samples {
        let scores = detector.scores(&sample.photo).map_err(|e| e.to_string())?;
        println!(
            "| {} | {} | {:.3} | {:.3} | {} |",
            sample.id,
            if sample.person { "person" } else { "none" },
            scores.face,
            scores.body,
            sample.note
        );
        scored.push((scores, sample.person));
    }
    let mut thresholds: Vec<f32> = (1..20).map(|i| i as f32 / 20.0).collect();
    thresholds.extend([DEFAULT_THRESHOLDS.face, DEFAULT_THRESHOLDS.body]);
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();

    let face_only: Vec<(f32, bool)> = scored.iter().map(|(s, p)| (s.face, *p)).collect();
    let body_only: Vec<(f32, bool)> = scored.iter().map(|(s, p)| (s.body, *p)).collect();
    curve(
        "face (CenterFace) alone",
        &face_only,
        &thresholds,
        DEFAULT_THRESHOLDS.face,
    );
    curve(
        "body (BlazePose) alone",
        &body_only,
        &thresholds,
        DEFAULT_THRESHOLDS.body,
    );

    // Combined: the face threshold fixed at its chosen value, the body threshold swept. Written
    // as one score per photo: a photo passes the face test or has its body score compared.
    println!(
        "\n### combined (face ≥ {:.2} or body ≥ threshold)\n",
        DEFAULT_THRESHOLDS.face
    );
    let combined: Vec<(f32, bool)> = scored
        .iter()
        .map(|(s, p)| {
            let face_fires = s.face >= DEFAULT_THRESHOLDS.face;
            (if face_fires { 1.0 } else { s.body }, *p)
        })
        .collect();
    table(&combined, &thresholds, DEFAULT_THRESHOLDS.body);
    let chosen = scored
        .iter()
        .filter(|(s, p)| s.person(DEFAULT_THRESHOLDS) != *p)
        .count();
    println!("\nwrong at the chosen thresholds {DEFAULT_THRESHOLDS:?}: {chosen}");
    Ok(())
}

fn curve(title: &str, scored: &[(f32, bool)], thresholds: &[f32], chosen: f32) {
    println!("\n### {title}\n");
    table(scored, thresholds, chosen);
}

fn table(scored: &[(f32, bool)], thresholds: &[f32], chosen: f32) {
    println!("| threshold | precision | recall | TP | FP | FN |\n|---|---|---|---|---|---|");
    for &threshold in thresholds {
        let p = evaluation::at_threshold(scored, threshold);
        println!(
            "| {:.2}{} | {:.3} | {:.3} | {} | {} | {} |",
            threshold,
            if threshold == chosen { " (chosen)" } else { "" },
            p.precision,
            p.recall,
            p.true_positives,
            p.false_positives,
            p.false_negatives
        );
    }
}
