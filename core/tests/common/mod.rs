//! Helpers shared by the integration tests: the fixture corpus and small independent container
//! walkers (written here, not taken from the core, so that a bug in the core's parser cannot
//! hide itself from the tests).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// `<repo>/../shared/fixtures/photos`: CI clones the repo with `shared/` as its sibling.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/photos")
}

/// Every photo in the fixture directory (enumerated, not hard-coded), sorted by name.
pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "webp"
                )
            })
        })
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One JPEG segment as an independent walker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The marker byte (0xC0 …), 0xDA for a scan (whose bytes include the entropy-coded data).
    pub marker: u8,
    /// Offset of the 0xFF of the marker.
    pub offset: usize,
    /// The whole segment, marker included (for SOS: header and entropy-coded data).
    pub bytes: Vec<u8>,
}

/// A JPEG walked from SOI to EOI: the segments and where EOI ends.
#[derive(Debug)]
pub struct JpegWalk {
    pub segments: Vec<Segment>,
    pub end_of_image: usize,
}

/// A deliberately simple, independent JPEG walker (panics on malformed input: tests only).
pub fn walk_jpeg(data: &[u8]) -> JpegWalk {
    assert_eq!(&data[..2], &[0xFF, 0xD8], "no SOI");
    let mut pos = 2;
    let mut segments = Vec::new();
    loop {
        assert_eq!(data[pos], 0xFF, "expected a marker at {pos}");
        let mut m = pos + 1;
        while data[m] == 0xFF {
            m += 1;
        }
        let marker = data[m];
        if marker == 0xD9 {
            return JpegWalk {
                segments,
                end_of_image: m + 1,
            };
        }
        let len = usize::from(u16::from_be_bytes([data[m + 1], data[m + 2]]));
        let mut end = m + 1 + len;
        if marker == 0xDA {
            // Entropy-coded data: up to the first marker other than FF00 and RSTn.
            loop {
                if data[end] == 0xFF {
                    let mut n = end + 1;
                    while data[n] == 0xFF {
                        n += 1;
                    }
                    if data[n] == 0x00 || (0xD0..=0xD7).contains(&data[n]) {
                        end = n + 1;
                        continue;
                    }
                    end = n - 1;
                    break;
                }
                end += 1;
            }
        }
        segments.push(Segment {
            marker,
            offset: pos,
            bytes: data[pos..end].to_vec(),
        });
        pos = end;
    }
}

/// The segments a decoder needs (SOF, DHT, DQT, DRI, DAC, SOS + data), in order.
pub fn jpeg_image_segments(walk: &JpegWalk) -> Vec<Vec<u8>> {
    walk.segments
        .iter()
        .filter(|s| !matches!(s.marker, 0xE0..=0xEF | 0xFE))
        .map(|s| s.bytes.clone())
        .collect()
}

/// PNG chunks: (type, body) and the offset where IEND's CRC ends.
pub fn walk_png(data: &[u8]) -> (Vec<([u8; 4], Vec<u8>)>, usize) {
    let mut pos = 8;
    let mut chunks = Vec::new();
    loop {
        let len = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        chunks.push((kind, data[pos + 8..pos + 8 + len].to_vec()));
        pos += 12 + len;
        if &kind == b"IEND" {
            return (chunks, pos);
        }
    }
}

/// WebP chunks: (fourcc, body) and the declared RIFF end.
pub fn walk_webp(data: &[u8]) -> (Vec<([u8; 4], Vec<u8>)>, usize) {
    let riff_end = 8 + u32::from_le_bytes(data[4..8].try_into().unwrap()) as usize;
    let mut pos = 12;
    let mut chunks = Vec::new();
    while pos + 8 <= riff_end {
        let kind: [u8; 4] = data[pos..pos + 4].try_into().unwrap();
        let len = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap()) as usize;
        chunks.push((kind, data[pos + 8..pos + 8 + len].to_vec()));
        pos += 8 + len + (len & 1);
    }
    (chunks, riff_end)
}
