//! The `vitrine` binary as a user runs it: real photos in, files out, exit codes and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/photos")
}

fn vitrine(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(args)
        .output()
        .expect("the vitrine binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn clean_one_file_to_a_file_reports_what_it_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("clean.jpg");
    let input = fixtures().join("ia__gps_DSCN0010.jpg");
    let run = vitrine(&[
        "clean".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("removed GPS location"), "{stdout}");
    assert!(stdout.contains("lossless, 640×480"), "{stdout}");
    let cleaned = std::fs::read(&out).expect("output written");
    assert!(
        memchr_exif(&cleaned).is_none(),
        "the output still holds an Exif segment"
    );
    // What inspect sees in the output: nothing.
    let inspect = vitrine(&["inspect".as_ref(), out.as_os_str(), "--json".as_ref()]);
    assert!(inspect.status.success());
    let json: serde_json::Value =
        serde_json::from_slice(&inspect.stdout).expect("inspect --json is JSON");
    assert_eq!(
        json["report"]["carriers"].as_array().map(Vec::len),
        Some(0),
        "{json}"
    );
}

fn memchr_exif(bytes: &[u8]) -> Option<usize> {
    bytes.windows(6).position(|w| w == b"Exif\0\0")
}

#[test]
fn several_files_go_to_a_directory_and_a_refused_one_fails_the_run_with_its_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gif = dir.path().join("not-a-photo.jpg");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x80\x00\x00").expect("write");
    let truncated = dir.path().join("cut.jpg");
    let original = std::fs::read(fixtures().join("ia__Canon_40D.jpg")).expect("fixture");
    std::fs::write(&truncated, &original[..original.len() / 2]).expect("write");
    let out = dir.path().join("out");
    let big = fixtures().join("ia__hdr_iphone_hdr_YES.jpg");
    let png = fixtures().join("mat2__data_dirty.png");
    let run = vitrine(&[
        "clean".as_ref(),
        big.as_os_str(),
        gif.as_os_str(),
        png.as_os_str(),
        truncated.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--max-side".as_ref(),
        "1000".as_ref(),
    ]);
    assert_eq!(run.status.code(), Some(1), "some inputs were refused");
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("not-a-photo.jpg: refused: GIF files are not supported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cut.jpg: refused: the file is truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("2 of 4 file(s) refused"), "{stderr}");
    // The good ones were still written, under their own names.
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("downscaled 3264×2448 → 1000×750"),
        "{stdout}"
    );
    assert!(out.join("ia__hdr_iphone_hdr_YES.jpg").is_file());
    assert!(out.join("mat2__data_dirty.png").is_file());
    assert!(!out.join("not-a-photo.jpg").exists() && !out.join("cut.jpg").exists());
}

#[test]
fn two_inputs_with_the_same_name_do_not_overwrite_each_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sub in ["a", "b"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        std::fs::copy(
            fixtures().join("ia__Canon_40D.jpg"),
            dir.path().join(sub).join("x.jpg"),
        )
        .expect("copy");
    }
    let out = dir.path().join("out");
    let (a, b) = (dir.path().join("a/x.jpg"), dir.path().join("b/x.jpg"));
    let run = vitrine(&[
        "clean".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("another input was already written to"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn inspect_lists_carriers_with_offsets_and_notable_exif_tags() {
    let input = fixtures().join("ia__gps_DSCN0010.jpg");
    let run = vitrine(&["inspect".as_ref(), input.as_os_str()]);
    assert!(run.status.success());
    let stdout = text(&run.stdout);
    assert!(stdout.contains("APP1 Exif"), "{stdout}");
    assert!(stdout.contains("GPS 43 deg"), "{stdout}");
    assert!(stdout.contains("camera NIKON COOLPIX P6000"), "{stdout}");
    assert!(stdout.contains("date 2008:10:22 16:28:39"), "{stdout}");
    let json = vitrine(&["inspect".as_ref(), input.as_os_str(), "--json".as_ref()]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let first = &json["report"]["carriers"][0];
    assert_eq!(first["kind"], "exif");
    assert_eq!(first["offset"], 2);
    assert!(first["length"].as_u64().is_some_and(|n| n > 1000));
    assert_eq!(first["exif"]["gps"], true);
    // inspect changes nothing.
    let after = std::fs::read(&input).expect("fixture");
    assert_eq!(after.len(), 161_713);
}

#[test]
fn inspect_of_a_refused_file_exits_non_zero_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let heic = dir.path().join("IMG_0001.jpg");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").expect("write");
    let run = vitrine(&["inspect".as_ref(), heic.as_os_str()]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("HEIC/HEIF files are not supported"),
        "{}",
        text(&run.stderr)
    );
}
