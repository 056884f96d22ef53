//! MediaPipe's BlazePose person detector: finds a person's body (seen from behind, sitting,
//! partly in frame) where CenterFace needs a face. It scores 2,254 anchor boxes at three scales
//! of a 224×224 input; we only need "is there a person anywhere": the highest anchor score.
//!
//! Google ships it as TFLite with sparse fp16 weights; `person-check/tools/tflite_to_onnx.py`
//! rewrites it once, at install time, into the fp32 ONNX graph loaded here (the rewritten file's
//! hash is pinned, and a test compares its outputs with Google's own interpreter).

use tract_onnx::prelude::*;

use crate::PersonCheckError;
use crate::tensor::letterboxed_nhwc_signed;

const SIDE: u32 = 224;
/// The model's outputs are box regressors (1×2254×12) and one score logit per box (1×2254×1).
const SCORES_OUTPUT: usize = 1;
const ANCHORS: usize = 2254;
/// MediaPipe clips logits to ±100 before the sigmoid; so do we.
const LOGIT_CLIP: f32 = 100.0;

/// The loaded body detector.
pub struct BlazePose {
    plan: std::sync::Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for BlazePose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlazePose").finish_non_exhaustive()
    }
}

impl BlazePose {
    /// Parse and optimise the rewritten ONNX model for its fixed input.
    pub fn from_onnx(model: &[u8]) -> Result<Self, PersonCheckError> {
        let load = |e: TractError| PersonCheckError::ModelLoad(e.to_string());
        let side = SIDE as usize;
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(model))
            .map_err(load)?
            .with_input_fact(0, f32::fact([1, side, side, 3]).into())
            .map_err(load)?
            .into_optimized()
            .map_err(load)?
            .into_runnable()
            .map_err(load)?;
        Ok(Self { plan })
    }

    /// The highest person probability of any anchor box, 0–1.
    pub fn strongest_person(&self, photo: &image::RgbImage) -> Result<f32, PersonCheckError> {
        let input = letterboxed_nhwc_signed(photo, SIDE, SIDE)?;
        let logits = self.raw_outputs(input)?;
        strongest_probability(&logits)
    }

    /// Run the network on a prepared `[1, 224, 224, 3]` input and return its score logits;
    /// public for the test that compares this graph with Google's interpreter.
    pub fn run_raw(&self, input: Tensor) -> Result<Vec<Tensor>, PersonCheckError> {
        let outputs = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
        Ok(outputs.into_iter().map(|t| t.into_tensor()).collect())
    }

    fn raw_outputs(&self, input: Tensor) -> Result<Vec<f32>, PersonCheckError> {
        let outputs = self.run_raw(input)?;
        let scores = outputs
            .get(SCORES_OUTPUT)
            .ok_or_else(|| PersonCheckError::Inference("the model gave no score output".into()))?;
        let view = scores
            .to_plain_array_view::<f32>()
            .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
        if view.len() != ANCHORS {
            return Err(PersonCheckError::Inference(format!(
                "expected {ANCHORS} anchor scores, got {}",
                view.len()
            )));
        }
        Ok(view.iter().copied().collect())
    }
}

fn strongest_probability(logits: &[f32]) -> Result<f32, PersonCheckError> {
    let strongest = logits.iter().copied().fold(f32::NAN, f32::max);
    if !strongest.is_finite() {
        return Err(PersonCheckError::Inference(
            "the person scores hold no finite value".into(),
        ));
    }
    let clipped = strongest.clamp(-LOGIT_CLIP, LOGIT_CLIP);
    Ok(1.0 / (1.0 + (-clipped).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_logit_becomes_a_probability() {
        let p = strongest_probability(&[-3.0, 0.0, -1.0]).expect("finite");
        assert!((p - 0.5).abs() < 1e-6);
        assert!(strongest_probability(&[f32::NAN, f32::NAN]).is_err());
        assert_eq!(strongest_probability(&[1e9]).expect("finite"), 1.0);
    }
}
