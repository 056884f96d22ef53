//! MediaPipe's person detector arrives as TFLite with sparse fp16 weights; the person check runs
//! ONNX in tract. `person-check/tools/tflite_to_onnx.py` rewrites it once, in a venv of pinned
//! PyPI packages (`target/model-tools`), and the result must have the pinned SHA-256 (the rewrite
//! is deterministic). For the tests it also stores what Google's LiteRT interpreter computes from
//! the original file on fixed inputs, which tract must reproduce from the rewritten one.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::process::{cmd, step};
use crate::registry_files::hash_matches;

const TFLITE: &str = "target/models/pose_detection.tflite";
const ONNX: &str = "target/models/pose_detection.onnx";
/// Also pinned in `person-check/src/model_file.rs`, which refuses any other file at load time.
const ONNX_SHA256: &str = "676553e83eae362397946099de8e5f9c53b0bf174066a90417897ed2f3d1eb33";
const REFERENCE: &str = "target/models/pose-reference";
const VENV: &str = "target/model-tools";

/// The converter's packages. The output hash depends on them, so every one is pinned.
const CONVERTER_PACKAGES: &[&str] = &[
    "tflite==2.18.0",
    "flatbuffers==25.12.19",
    "numpy==2.4.6",
    "onnx==1.17.0",
    "protobuf==7.36.2",
];
/// Google's own interpreter, only for the reference outputs the tests compare against.
const REFERENCE_PACKAGES: &[&str] = &["ai-edge-litert==2.3.0"];

/// Rewrite the TFLite file (installed by [`crate::registry_files::models`]) to ONNX, unless done.
pub fn rewrite(root: &Path) -> Result<()> {
    let onnx = root.join(ONNX);
    if hash_matches(&onnx, ONNX_SHA256) {
        return Ok(());
    }
    step("rewriting MediaPipe's person detector from TFLite to ONNX (once)");
    let python = tools_venv(root, CONVERTER_PACKAGES)?;
    cmd(Command::new(&python)
        .arg(root.join("person-check/tools/tflite_to_onnx.py"))
        .arg(root.join(TFLITE))
        .arg(&onnx))?;
    if !hash_matches(&onnx, ONNX_SHA256) {
        let _ = std::fs::remove_file(&onnx);
        bail!(
            "the rewritten person detector does not have the pinned SHA-256 {ONNX_SHA256}: \
             the converter or its packages changed; refusing it"
        );
    }
    Ok(())
}

/// LiteRT's outputs for the original model on fixed inputs, for the equivalence test. Run after
/// [`crate::registry_files::models`], which installs the TFLite file (`install::models` does).
pub fn reference_outputs(root: &Path) -> Result<()> {
    if root.join(REFERENCE).join("index.json").exists() {
        return Ok(());
    }
    step("computing the person detector's reference outputs with LiteRT (once)");
    let mut packages = CONVERTER_PACKAGES.to_vec();
    packages.extend_from_slice(REFERENCE_PACKAGES);
    let python = tools_venv(root, &packages)?;
    let scratch = root.join("target/models/pose-reference.onnx");
    cmd(Command::new(&python)
        .arg(root.join("person-check/tools/tflite_to_onnx.py"))
        .arg(root.join(TFLITE))
        .arg(&scratch)
        .arg("--reference")
        .arg(root.join(REFERENCE)))?;
    let _ = std::fs::remove_file(scratch);
    Ok(())
}

fn tools_venv(root: &Path, packages: &[&str]) -> Result<std::path::PathBuf> {
    let venv = root.join(VENV);
    let python = venv.join("bin/python");
    if !python.exists() {
        cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    // pip itself skips what is already installed at the pinned version.
    cmd(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--only-binary", ":all:"])
        .args(packages))?;
    Ok(python)
}
