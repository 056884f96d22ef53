//! CenterFace: a face detector whose first output is a per-cell face probability heatmap at a
//! quarter of the input resolution. We only need "is there a face anywhere": the heatmap's
//! maximum.
//!
//! The network runs at one fixed size per photo orientation (640×480 landscape, 480×640
//! portrait; sides must be multiples of 32), each optimised once at load: a fixed shape lets tract
//! plan every buffer up front, and a portrait photo keeps its resolution instead of shrinking
//! into a landscape frame.

use tract_onnx::prelude::*;

use crate::PersonCheckError;
use crate::tensor::letterboxed_nchw;

type Plan = std::sync::Arc<TypedRunnableModel>;

const LONG_SIDE: u32 = 640;
const SHORT_SIDE: u32 = 480;

/// The loaded face detector.
pub struct CenterFace {
    landscape: Plan,
    portrait: Plan,
}

impl std::fmt::Debug for CenterFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CenterFace").finish_non_exhaustive()
    }
}

impl CenterFace {
    /// Parse and optimise the ONNX model for both input shapes.
    pub fn from_onnx(model: &[u8]) -> Result<Self, PersonCheckError> {
        Ok(Self {
            landscape: plan(model, LONG_SIDE, SHORT_SIDE)?,
            portrait: plan(model, SHORT_SIDE, LONG_SIDE)?,
        })
    }

    /// The highest face probability anywhere in the photo, 0–1.
    pub fn strongest_face(&self, photo: &image::RgbImage) -> Result<f32, PersonCheckError> {
        let (w, h) = photo.dimensions();
        let (plan, width, height) = if w >= h {
            (&self.landscape, LONG_SIDE, SHORT_SIDE)
        } else {
            (&self.portrait, SHORT_SIDE, LONG_SIDE)
        };
        let input = letterboxed_nchw(photo, width, height)?;
        let outputs = plan
            .run(tvec!(input.into()))
            .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
        let heatmap = outputs
            .first()
            .ok_or_else(|| PersonCheckError::Inference("the model gave no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|e| PersonCheckError::Inference(e.to_string()))?;
        let strongest = heatmap.iter().copied().fold(f32::NAN, f32::max);
        if !strongest.is_finite() {
            return Err(PersonCheckError::Inference(
                "the heatmap holds no finite value".into(),
            ));
        }
        Ok(strongest.clamp(0.0, 1.0))
    }
}

fn plan(model: &[u8], width: u32, height: u32) -> Result<Plan, PersonCheckError> {
    let load = |e: TractError| PersonCheckError::ModelLoad(e.to_string());
    tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(model))
        .map_err(load)?
        .with_input_fact(0, f32::fact([1, 3, height as usize, width as usize]).into())
        .map_err(load)?
        .into_optimized()
        .map_err(load)?
        .into_runnable()
        .map_err(load)
}
