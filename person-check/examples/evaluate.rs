//! Scores every photo of the labelled set and prints the precision/recall curve the threshold
//! was chosen from: `cargo run --release -p vitrine-person-check --example evaluate`.

use std::path::Path;

use vitrine_person_check::evaluation::{self, Sources};
use vitrine_person_check::{DEFAULT_THRESHOLD, PersonDetector};

fn main() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let labels = std::fs::read_to_string(root.join("person-check/eval/labels.tsv"))
        .map_err(|e| e.to_string())?;
    let samples = evaluation::load(&labels, &Sources::of_workspace(&root))?;
    let detector = PersonDetector::load(&root.join("target/models")).map_err(|e| e.to_string())?;
    let mut scored = Vec::new();
    println!("| photo | label | score | note |\n|---|---|---|---|");
    for sample in &samples {
        let started = std::time::Instant::now();
        let verdict = detector.check(&sample.photo).map_err(|e| e.to_string())?;
        eprintln!("{:>5} ms  {}", started.elapsed().as_millis(), sample.id);
        println!(
            "| {} | {} | {:.3} | {} |",
            sample.id,
            if sample.person { "person" } else { "none" },
            verdict.score,
            sample.note
        );
        scored.push((verdict.score, sample.person));
    }
    println!("\n| threshold | precision | recall | TP | FP | FN |\n|---|---|---|---|---|---|");
    let mut thresholds: Vec<f32> = (1..20).map(|i| i as f32 * 0.05).collect();
    thresholds.push(DEFAULT_THRESHOLD);
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    for threshold in thresholds {
        let p = evaluation::at_threshold(&scored, threshold);
        println!(
            "| {:.2}{} | {:.3} | {:.3} | {} | {} | {} |",
            threshold,
            if threshold == DEFAULT_THRESHOLD {
                " (chosen)"
            } else {
                ""
            },
            p.precision,
            p.recall,
            p.true_positives,
            p.false_positives,
            p.false_negatives
        );
    }
    Ok(())
}
