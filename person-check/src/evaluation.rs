//! The labelled set the threshold is chosen from (`person-check/eval/labels.tsv`), and the
//! precision/recall arithmetic. Used by `tests/labelled_set.rs` and `examples/evaluate.rs`.

use std::path::{Path, PathBuf};

use image::RgbImage;
use image::imageops;

/// A labelled photo, its operations applied.
#[derive(Debug)]
pub struct Sample {
    pub id: String,
    pub person: bool,
    pub note: String,
    pub photo: RgbImage,
}

/// Where each source prefix of the labels file lives on disk.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `../shared/fixtures/photos`.
    pub fixtures: PathBuf,
    /// Where `cargo xtask setup` extracted the registry packages' images (`target/person-eval`).
    pub registry: PathBuf,
}

impl Sources {
    /// The layout of a checkout: fixtures beside the repository, registry files in `target/`.
    pub fn of_workspace(workspace_root: &Path) -> Self {
        Self {
            fixtures: workspace_root.join("../shared/fixtures/photos"),
            registry: workspace_root.join("target/person-eval"),
        }
    }

    fn path_of(&self, source: &str) -> Result<PathBuf, String> {
        let (prefix, file) = source
            .split_once('/')
            .ok_or_else(|| format!("source {source:?} has no prefix"))?;
        if file.contains('/') || file.contains("..") {
            return Err(format!("source {source:?} must name a file directly"));
        }
        match prefix {
            "fixtures" => Ok(self.fixtures.join(file)),
            "skimage" | "matplotlib" => Ok(self.registry.join(prefix).join(file)),
            other => Err(format!("unknown source prefix {other:?}")),
        }
    }

    fn open(&self, source: &str) -> Result<RgbImage, String> {
        let path = self.path_of(source)?;
        image::open(&path)
            .map(|i| i.to_rgb8())
            .map_err(|e| format!("{}: {e} (run `cargo xtask setup`)", path.display()))
    }
}

/// Read the labels file and build every sample.
pub fn load(labels: &str, sources: &Sources) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for (number, line) in labels.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, label, source, operations, rest @ ..] = fields.as_slice() else {
            return Err(format!("line {}: expected at least 4 fields", number + 1));
        };
        let person = match *label {
            "person" => true,
            "none" => false,
            other => return Err(format!("line {}: label {other:?}", number + 1)),
        };
        let mut photo = sources.open(source)?;
        if *operations != "-" {
            for operation in operations.split(';') {
                photo = apply(photo, operation, sources)
                    .map_err(|e| format!("line {} ({id}): {e}", number + 1))?;
            }
        }
        samples.push(Sample {
            id: (*id).to_owned(),
            person,
            note: rest.first().copied().unwrap_or_default().to_owned(),
            photo,
        });
    }
    Ok(samples)
}

fn fractions<const N: usize>(text: &str) -> Result<[f64; N], String> {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>().map_err(|e| format!("{v:?}: {e}")))
        .collect::<Result<_, _>>()?;
    let values: [f64; N] = values
        .try_into()
        .map_err(|_| format!("{text:?}: expected {N} numbers"))?;
    if values.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(format!("{text:?}: fractions must lie in 0–1"));
    }
    Ok(values)
}

fn apply(photo: RgbImage, operation: &str, sources: &Sources) -> Result<RgbImage, String> {
    let (w, h) = (f64::from(photo.width()), f64::from(photo.height()));
    if operation == "mirror" {
        return Ok(imageops::flip_horizontal(&photo));
    }
    if let Some(spec) = operation.strip_prefix("crop=") {
        let [x, y, cw, ch] = fractions::<4>(spec)?;
        let px = |f: f64, side: f64| (f * side).round() as u32;
        let (x0, y0) = (px(x, w), px(y, h));
        let (cw, ch) = (px(cw, w).max(1), px(ch, h).max(1));
        if x0 + cw > photo.width() || y0 + ch > photo.height() {
            return Err(format!("crop {spec} leaves the photo"));
        }
        return Ok(imageops::crop_imm(&photo, x0, y0, cw, ch).to_image());
    }
    if let Some(spec) = operation.strip_prefix("blur=") {
        // A face made unrecognisable: what a person turned away, or behind hair or a hand,
        // leaves for a detector to find.
        let [x, y, bw, bh] = fractions::<4>(spec)?;
        let px = |f: f64, side: f64| (f * side).round() as u32;
        let (x0, y0) = (px(x, w), px(y, h));
        let (bw, bh) = (px(bw, w).max(1), px(bh, h).max(1));
        if x0 + bw > photo.width() || y0 + bh > photo.height() {
            return Err(format!("blur {spec} leaves the photo"));
        }
        let region = imageops::crop_imm(&photo, x0, y0, bw, bh).to_image();
        let sigma = (bw.max(bh) as f32 / 4.0).max(4.0);
        let mut photo = photo;
        imageops::replace(
            &mut photo,
            &imageops::blur(&region, sigma),
            x0.into(),
            y0.into(),
        );
        return Ok(photo);
    }
    if let Some(spec) = operation.strip_prefix("paste=") {
        let (background, at) = spec
            .rsplit_once(':')
            .ok_or_else(|| format!("paste {spec:?}: expected <source>:x,y,w"))?;
        let mut canvas = sources.open(background)?;
        let [x, y, fw] = fractions::<3>(at)?;
        let width = ((fw * f64::from(canvas.width())).round() as u32).max(1);
        let height = ((f64::from(width) * h / w).round() as u32).max(1);
        let small = imageops::resize(&photo, width, height, imageops::FilterType::Triangle);
        let left = (x * f64::from(canvas.width())).round() as i64;
        let top = (y * f64::from(canvas.height())).round() as i64;
        imageops::overlay(&mut canvas, &small, left, top);
        return Ok(canvas);
    }
    Err(format!("unknown operation {operation:?}"))
}

/// One point of the precision/recall curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub threshold: f32,
    pub precision: f64,
    pub recall: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

/// Precision and recall of "score ≥ threshold means a person" over `(score, is_person)` pairs.
/// Precision of an empty prediction is 1 (nothing was wrongly refused).
pub fn at_threshold(scored: &[(f32, bool)], threshold: f32) -> CurvePoint {
    let predicted = |s: f32| s >= threshold;
    let tp = scored.iter().filter(|(s, p)| *p && predicted(*s)).count();
    let fp = scored.iter().filter(|(s, p)| !*p && predicted(*s)).count();
    let fn_ = scored.iter().filter(|(s, p)| *p && !predicted(*s)).count();
    let ratio = |a: usize, b: usize| {
        if a + b == 0 {
            1.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    CurvePoint {
        threshold,
        precision: ratio(tp, fp),
        recall: ratio(tp, fn_),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_and_recall_count_the_right_cells() {
        let scored = [(0.9, true), (0.6, false), (0.4, true), (0.1, false)];
        let p = at_threshold(&scored, 0.5);
        assert_eq!(
            (p.true_positives, p.false_positives, p.false_negatives),
            (1, 1, 1)
        );
        assert!((p.precision - 0.5).abs() < 1e-9 && (p.recall - 0.5).abs() < 1e-9);
        let strict = at_threshold(&scored, 0.95);
        assert_eq!(strict.precision, 1.0);
        assert_eq!(strict.recall, 0.0);
    }
}
