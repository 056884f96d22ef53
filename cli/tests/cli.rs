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

/// `vitrine clean INPUTS… -o OUTPUT OPTIONS…`
fn clean(inputs: &[&Path], output: &Path, options: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["clean".as_ref()];
    args.extend(inputs.iter().map(|input| input.as_os_str()));
    args.extend(["-o".as_ref(), output.as_os_str()]);
    args.extend(options.iter().map(std::ffi::OsStr::new));
    vitrine(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn clean_one_file_to_a_file_reports_what_it_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("clean.jpg");
    let input = fixtures().join("ia__gps_DSCN0010.jpg");
    let run = clean(&[&input], &out, &[]);
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
    let run = clean(
        &[&big, &gif, &png, &truncated],
        &out,
        &["--max-side", "1000"],
    );
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
    let run = clean(&[&a, &b], &out, &[]);
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

/// A real WebP (mat2's test photo, 800×600, its EXIF chunk saying orientation 1) with its EXIF
/// orientation changed in place to `orientation`, as a phone that stores pixels sideways writes it.
fn webp_with_orientation(orientation: u8) -> Vec<u8> {
    let mut webp = std::fs::read(fixtures().join("mat2__data_dirty.webp")).expect("fixture");
    let mut at = 12;
    while at + 8 <= webp.len() {
        let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if &webp[at..at + 4] == b"EXIF" {
            let mut tiff = at + 8;
            if webp[tiff..].starts_with(b"Exif\0\0") {
                tiff += 6;
            }
            assert_eq!(
                &webp[tiff..tiff + 4],
                b"II*\0",
                "the fixture's EXIF is little-endian"
            );
            let read_u16 = |bytes: &[u8], i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
            let ifd0 = tiff
                + u32::from_le_bytes(webp[tiff + 4..tiff + 8].try_into().expect("4 bytes"))
                    as usize;
            for entry in (0..read_u16(&webp, ifd0) as usize).map(|n| ifd0 + 2 + 12 * n) {
                if read_u16(&webp, entry) == 0x0112 {
                    webp[entry + 8] = orientation;
                    return webp;
                }
            }
        }
        at += 8 + size + (size & 1);
    }
    panic!("the fixture has no EXIF orientation tag to change");
}

/// exiftool's `-TAG` value of a file (`-s3`: the value alone).
fn exiftool_value(path: &Path, tag: &str) -> String {
    let output = Command::new("exiftool")
        .arg("-s3")
        .arg(format!("-{tag}"))
        .arg(path)
        .output()
        .expect("exiftool is installed by `cargo xtask setup`");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).trim().to_owned()
}

#[test]
fn a_rotated_webp_turned_upright_is_written_as_jpeg_under_a_jpg_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("room.webp");
    std::fs::write(&input, webp_with_orientation(6)).expect("write");
    assert_eq!(exiftool_value(&input, "Orientation"), "Rotate 90 CW");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let run = clean(&[&input], &out, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let written = out.join("room.jpg");
    assert!(
        !out.join("room.webp").exists(),
        "no JPEG bytes in a .webp file"
    );
    let bytes = std::fs::read(&written).expect("room.webp comes out as room.jpg");
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "JPEG magic bytes");
    assert_eq!(exiftool_value(&written, "FileType"), "JPEG");
    assert_eq!(exiftool_value(&written, "ImageSize"), "600x800");
    // The report names the real path and says what happened: turned, not "downscaled" to the
    // same size.
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains(&format!("→ {}:", written.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("turned upright, 600×800, re-encoded as JPEG"),
        "{stdout}"
    );
    assert!(!stdout.contains("downscaled"), "{stdout}");
}

#[test]
fn a_rotated_webp_turned_upright_and_downscaled_says_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("room.webp");
    std::fs::write(&input, webp_with_orientation(6)).expect("write");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let run = clean(&[&input], &out, &["--max-side", "400"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("turned upright, downscaled 600×800 → 300×400, re-encoded as JPEG"),
        "{stdout}"
    );
    assert_eq!(exiftool_value(&out.join("room.jpg"), "FileType"), "JPEG");
}

#[test]
fn an_upright_webp_stays_webp_under_its_own_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = fixtures().join("mat2__data_dirty.webp");
    let run = clean(&[&input], dir.path(), &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let written = dir.path().join("mat2__data_dirty.webp");
    assert!(
        std::fs::read(&written)
            .expect("written")
            .starts_with(b"RIFF")
    );
    assert_eq!(exiftool_value(&written, "FileType"), "WEBP");
    assert!(text(&run.stdout).contains("lossless, 800×600"));
}

/// Runs `vitrine clean INPUTS... -o OUTPUT`, which must refuse (exit 1) with `message` on
/// standard error.
fn clean_is_refused(inputs: &[&Path], output: &Path, message: &str) {
    let run = clean(inputs, output, &[]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn an_output_file_named_for_another_format_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("room.webp");
    std::fs::write(&input, webp_with_orientation(6)).expect("write");
    let asked = dir.path().join("clean.webp");
    clean_is_refused(
        &[&input],
        &asked,
        &format!(
            "room.webp: refused: the cleaned photo is JPEG (re-encoded to turn it upright), but {} \
             does not end in .jpg: nothing written; name the output {}",
            asked.display(),
            dir.path().join("clean.jpg").display()
        ),
    );
    assert!(!asked.exists() && !dir.path().join("clean.jpg").exists());
    // Named as the message says, it is written there.
    let renamed = dir.path().join("clean.JPEG");
    let run = clean(&[&input], &renamed, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(exiftool_value(&renamed, "FileType"), "JPEG");
}

/// `room.webp` (rotated, see [`webp_with_orientation`]) and a real camera JPEG `room.jpg` in `dir`.
fn rotated_webp_beside_a_jpeg(dir: &Path) -> (PathBuf, PathBuf) {
    let webp = dir.join("room.webp");
    std::fs::write(&webp, webp_with_orientation(6)).expect("write");
    let jpeg = dir.join("room.jpg");
    std::fs::copy(fixtures().join("ia__Canon_40D.jpg"), &jpeg).expect("copy");
    (webp, jpeg)
}

#[test]
fn a_renamed_output_never_replaces_an_existing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The original JPEG of the same room, beside it: cleaning into the same folder must not
    // replace it with the WebP's re-encoding.
    let (input, original) = rotated_webp_beside_a_jpeg(dir.path());
    let before = std::fs::read(&original).expect("read");
    clean_is_refused(
        &[&input],
        dir.path(),
        &format!(
            "room.webp: refused: its output is renamed to {} to match its format, and a file by \
             that name already exists (not overwritten)",
            original.display()
        ),
    );
    assert_eq!(std::fs::read(&original).expect("read"), before);
}

#[test]
fn a_webp_renamed_onto_another_inputs_name_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (webp, jpeg) = rotated_webp_beside_a_jpeg(dir.path());
    let out = dir.path().join("out");
    clean_is_refused(
        &[&jpeg, &webp],
        &out,
        &format!(
            "room.webp: refused: another input was already written to {}",
            out.join("room.jpg").display()
        ),
    );
    assert_eq!(
        exiftool_value(&out.join("room.jpg"), "Model"),
        "",
        "the JPEG's, cleaned"
    );
    assert!(!out.join("room.webp").exists());
}
