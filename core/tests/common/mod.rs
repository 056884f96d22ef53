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

/// Chunks as (type, body), and the offset where the container ends.
pub type Chunks = (Vec<([u8; 4], Vec<u8>)>, usize);

/// PNG chunks: (type, body) and the offset where IEND's CRC ends.
pub fn walk_png(data: &[u8]) -> Chunks {
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
pub fn walk_webp(data: &[u8]) -> Chunks {
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

// ---- builders of hostile inputs ----

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(
        &u16::try_from(payload.len() + 2)
            .expect("short")
            .to_be_bytes(),
    );
    s.extend_from_slice(payload);
    s
}

/// Insert `extra` right after SOI.
pub fn after_soi(jpeg: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn png_chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(body.len())
        .expect("short")
        .to_be_bytes()
        .to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(body);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(body);
    c.extend_from_slice(&h.finalize().to_be_bytes());
    c
}

pub fn riff_chunk(fourcc: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&u32::try_from(body.len()).expect("short").to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

pub fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body = chunks.concat();
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len() + 4).expect("short").to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(body);
    out
}

/// A Huffman table with a single 2-bit code "00" for the value 0: with it for DC and AC, every
/// all-grey 8×8 block codes as "00" (DC difference 0) + "00" (end of block), so the entropy-coded
/// data of a mid-grey picture is all zero bytes.
pub fn dht(class_and_id: u8) -> Vec<u8> {
    let mut p = vec![class_and_id, 0, 1];
    p.extend_from_slice(&[0; 14]);
    p.push(0x00);
    segment(0xC4, &p)
}

/// A baseline JPEG of `width`×`height`, 3 components 4:4:4, mid-grey, built by hand.
/// `entropy_bytes`: how much scan data to write (None: exactly enough for the whole picture).
pub fn grey_jpeg(width: u16, height: u16, entropy_bytes: Option<usize>) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1u8; 64]);
    j.extend(segment(0xDB, &dqt));
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    j.extend(segment(0xC0, &sof));
    j.extend(dht(0x00));
    j.extend(dht(0x10));
    j.extend(segment(0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]));
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8) * 3;
    let n = entropy_bytes.unwrap_or_else(|| (blocks * 4).div_ceil(8));
    j.resize(j.len() + n, 0);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

pub fn minimal_png(width: u32, height: u32) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    p.extend(png_chunk(b"IHDR", &ihdr));
    // A zlib stream of a 1×1 grey row (filter 0, value 0): enough structure for the walk.
    p.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x01, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    ));
    p.extend(png_chunk(b"IEND", b""));
    p
}

pub fn vp8l(width: u32, height: u32) -> Vec<u8> {
    let bits = (width - 1) | ((height - 1) << 14);
    let mut b = vec![0x2F];
    b.extend_from_slice(&bits.to_le_bytes());
    b.push(0);
    b
}

pub fn vp8x(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![flags, 0, 0, 0];
    b.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    b.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    b
}
