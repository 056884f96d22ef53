//! JPEG: a full walk of the file, every scan included, and a rebuild from what decoders need.
//!
//! Metadata in JPEG lives in APPn and COM segments, which may sit before the first scan or
//! between the scans of a progressive file, and after the end-of-image marker (MPF secondary
//! images, maker trailers, appended videos). Crates that stop at the first start-of-scan miss
//! the last two places, so we walk the entropy-coded data to the end (with `memchr`, the hot
//! loop) and copy only: SOF, DHT, DQT, DRI, DAC, DNL, SOS and the scan data. The rebuilt file
//! starts with a fresh minimal JFIF (or the colour transform of an Adobe APP14, which decoders
//! need), plus a minimal EXIF holding only Orientation when the photo is not stored upright.

use crate::photo::carrier::{self, Carrier, CarrierKind, TextHints};
use crate::photo::exif::{self, minimal_orientation_exif};
use crate::photo::{Orientation, PhotoError};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const COM: u8 = 0xFE;
const APP0: u8 = 0xE0;
const APP15: u8 = 0xEF;

/// The frame (SOF) header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels, as stored.
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
    /// Number of colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
    pub components: u8,
    /// Progressive (SOF2, SOF10) rather than baseline/extended sequential.
    pub progressive: bool,
    /// Arithmetic entropy coding (SOF9, SOF10): stripped like any other JPEG, but our pixel
    /// decoder cannot read it, so such a photo must already be small enough.
    pub arithmetic: bool,
}

/// What a full walk of a JPEG found.
#[derive(Debug, Clone)]
pub struct JpegLayout {
    /// The frame header.
    pub frame: Frame,
    /// Orientation from the first EXIF segment.
    pub orientation: Orientation,
    /// The Adobe APP14 colour transform, when present: dropping it would change the colours
    /// of RGB- or CMYK-coded files.
    pub adobe_transform: Option<u8>,
    /// Every metadata carrier, in file order.
    pub carriers: Vec<Carrier>,
    /// Number of scans.
    pub scans: usize,
    /// Byte ranges of the segments a decoder needs, in order (without SOI and EOI).
    kept: Vec<std::ops::Range<usize>>,
    /// The original had a JFIF APP0. With the Adobe transform and the component IDs, it decides
    /// how libjpeg-based decoders (browsers) read three components: JFIF forces YCbCr even beside
    /// an Adobe "RGB" transform, and without either marker 'R','G','B' IDs mean RGB. The rebuilt
    /// file therefore carries a (minimal) JFIF exactly when the original did.
    had_jfif: bool,
}

fn be16(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([data[at], data[at + 1]])
}

/// Walk a JPEG from SOI to EOI and beyond.
pub fn parse(data: &[u8]) -> Result<JpegLayout, PhotoError> {
    if !data.starts_with(&[0xFF, SOI]) {
        return Err(PhotoError::corrupt(
            "JPEG does not start with a start-of-image marker",
        ));
    }
    let mut frame: Option<Frame> = None;
    let mut orientation: Option<Orientation> = None;
    let mut adobe_transform = None;
    let mut had_jfif = false;
    let mut carriers = Vec::new();
    let mut kept = Vec::new();
    let mut scans = 0usize;
    let mut pos = 2usize;
    let end_of_image = loop {
        if pos >= data.len() {
            return Err(PhotoError::truncated(
                "the JPEG ends before its end-of-image marker",
            ));
        }
        if data[pos] != 0xFF {
            // Bytes outside any segment: decoders skip them, we drop them.
            let next = memchr::memchr(0xFF, &data[pos..]).map_or(data.len(), |i| pos + i);
            carrier::push(
                &mut carriers,
                Carrier::new(
                    CarrierKind::StrayBytes,
                    "bytes between segments",
                    pos,
                    next - pos,
                ),
            )?;
            pos = next;
            continue;
        }
        let mut m = pos + 1;
        while m < data.len() && data[m] == 0xFF {
            m += 1; // fill bytes
        }
        let Some(&marker) = data.get(m) else {
            return Err(PhotoError::truncated("the JPEG ends inside a marker"));
        };
        let start = m - 1;
        match marker {
            EOI => break m + 1,
            SOI => {
                return Err(PhotoError::corrupt(
                    "a second start-of-image marker inside the image",
                ));
            }
            0x00 | 0x01 | 0xD0..=0xD7 => {
                // Stuffing, TEM or a restart marker outside a scan: no content, dropped (and
                // counted, so a file of nothing but such markers cannot grow our bookkeeping).
                carrier::push(
                    &mut carriers,
                    Carrier::new(
                        CarrierKind::StrayBytes,
                        "stray marker",
                        start,
                        m + 1 - start,
                    ),
                )?;
                pos = m + 1;
                continue;
            }
            _ => {}
        }
        if m + 3 > data.len() {
            return Err(PhotoError::truncated(format!(
                "the segment at offset {start} has no length"
            )));
        }
        let length = usize::from(be16(data, m + 1));
        if length < 2 {
            return Err(PhotoError::corrupt(format!(
                "the segment at offset {start} declares length {length}"
            )));
        }
        let seg_end = m + 1 + length;
        if seg_end > data.len() {
            return Err(PhotoError::truncated(format!(
                "the {} segment at offset {start} runs {} bytes past the end of the file",
                marker_name(marker),
                seg_end - data.len()
            )));
        }
        let payload = &data[m + 3..seg_end];
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(PhotoError::corrupt(
                        "more than one frame header in one image",
                    ));
                }
                frame = Some(parse_frame(marker, payload)?);
                carrier::keep(&mut kept, start..seg_end);
            }
            0xC4 | 0xDB | 0xDD | 0xCC | 0xDC => carrier::keep(&mut kept, start..seg_end),
            SOS => {
                if frame.is_none() {
                    return Err(PhotoError::corrupt("scan data before the frame header"));
                }
                scans += 1;
                let scan_end = scan_entropy_coded_data(data, seg_end)?;
                carrier::keep(&mut kept, start..scan_end);
                pos = scan_end;
                continue;
            }
            APP0..=APP15 => {
                let carrier = classify_app(marker, payload, start, seg_end - start);
                if carrier.kind == CarrierKind::Exif && orientation.is_none() && scans == 0 {
                    orientation = Some(exif::read_orientation(exif_tiff(payload)));
                }
                had_jfif |= marker == APP0 && payload.starts_with(b"JFIF\0");
                if carrier.kind == CarrierKind::Adobe
                    && payload.len() >= 12
                    && adobe_transform.is_none()
                {
                    adobe_transform = Some(payload[11]);
                }
                carrier::push(&mut carriers, carrier)?;
            }
            COM => {
                let mut carrier = Carrier::new(CarrierKind::Comment, "COM", start, seg_end - start);
                carrier.hints = TextHints::scan(payload);
                carrier::push(&mut carriers, carrier)?;
            }
            other => {
                // JPGn extensions, hierarchical-mode and reserved markers: nothing a baseline or
                // progressive decoder reads, and a place to hide data.
                carrier::push(
                    &mut carriers,
                    Carrier::new(
                        CarrierKind::OtherApplication,
                        format!("marker 0x{other:02X}"),
                        start,
                        seg_end - start,
                    ),
                )?;
            }
        }
        pos = seg_end;
    };
    let Some(frame) = frame else {
        return Err(PhotoError::corrupt("the JPEG has no frame header"));
    };
    if scans == 0 {
        return Err(PhotoError::corrupt("the JPEG has no image data"));
    }
    if end_of_image < data.len() {
        carrier::push(
            &mut carriers,
            classify_trailer(&data[end_of_image..], end_of_image),
        )?;
    }
    Ok(JpegLayout {
        frame,
        orientation: orientation.unwrap_or_default(),
        adobe_transform,
        carriers,
        scans,
        kept,
        had_jfif,
    })
}

/// Find the end of a scan's entropy-coded data: the first marker that is not a stuffed 0xFF00
/// or a restart marker. Returns the offset of that marker's 0xFF.
fn scan_entropy_coded_data(data: &[u8], mut pos: usize) -> Result<usize, PhotoError> {
    loop {
        let Some(found) = memchr::memchr(0xFF, &data[pos..]) else {
            return Err(PhotoError::truncated(
                "the JPEG's image data ends without an end-of-image marker",
            ));
        };
        let ff = pos + found;
        let mut next = ff + 1;
        while next < data.len() && data[next] == 0xFF {
            next += 1;
        }
        match data.get(next) {
            None => {
                return Err(PhotoError::truncated(
                    "the JPEG's image data ends inside a marker",
                ));
            }
            Some(0x00 | 0xD0..=0xD7) => pos = next + 1,
            Some(_) => return Ok(next - 1),
        }
    }
}

fn parse_frame(marker: u8, payload: &[u8]) -> Result<Frame, PhotoError> {
    let (progressive, arithmetic) = match marker {
        0xC0 | 0xC1 => (false, false),
        0xC2 => (true, false),
        0xC9 => (false, true),
        0xCA => (true, true),
        0xC3 | 0xCB => return Err(PhotoError::UnsupportedJpegCoding("lossless")),
        _ => return Err(PhotoError::UnsupportedJpegCoding("hierarchical")),
    };
    if payload.len() < 6 {
        return Err(PhotoError::corrupt("the frame header is too short"));
    }
    let height = u32::from(be16(payload, 1));
    let width = u32::from(be16(payload, 3));
    let components = payload[5];
    if payload.len() < 6 + 3 * usize::from(components) {
        return Err(PhotoError::corrupt(
            "the frame header lists more components than it holds",
        ));
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::corrupt(format!(
            "the frame declares {width}×{height} pixels"
        )));
    }
    if !matches!(components, 1 | 3 | 4) {
        return Err(PhotoError::corrupt(format!(
            "the frame declares {components} colour components"
        )));
    }
    Ok(Frame {
        width,
        height,
        components,
        progressive,
        arithmetic,
    })
}

/// The TIFF block of an APP1 Exif payload (after `Exif\0\0`; some writers put `Exif\0\xFF`).
fn exif_tiff(payload: &[u8]) -> &[u8] {
    payload.get(6..).unwrap_or(&[])
}

const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION_ID: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

fn classify_app(marker: u8, payload: &[u8], offset: usize, length: usize) -> Carrier {
    let n = marker - APP0;
    let (kind, what) = match (n, payload) {
        (0, p) if p.starts_with(b"JFIF\0") => {
            let has_thumbnail = p.len() >= 14 && p[12] != 0 && p[13] != 0;
            if has_thumbnail {
                (CarrierKind::Jfxx, "JFIF with thumbnail")
            } else {
                (CarrierKind::Jfif, "JFIF")
            }
        }
        (0, p) if p.starts_with(b"JFXX\0") => (CarrierKind::Jfxx, "JFXX thumbnail"),
        (1, p) if p.starts_with(b"Exif\0") => (CarrierKind::Exif, "Exif"),
        (1, p) if p.starts_with(XMP_ID) => (CarrierKind::Xmp, "XMP"),
        (1, p) if p.starts_with(XMP_EXTENSION_ID) => (CarrierKind::ExtendedXmp, "extended XMP"),
        (2, p) if p.starts_with(b"ICC_PROFILE\0") => (CarrierKind::IccProfile, "ICC profile"),
        (2, p) if p.starts_with(b"MPF\0") => (CarrierKind::Mpf, "MPF"),
        (13, p) if p.starts_with(b"Photoshop 3.0\0") || p.starts_with(b"Adobe_Photoshop2.5:") => {
            (CarrierKind::IptcPhotoshop, "IPTC/Photoshop")
        }
        (14, p) if p.starts_with(b"Adobe") => (CarrierKind::Adobe, "Adobe"),
        _ => (CarrierKind::OtherApplication, ""),
    };
    let name = if what.is_empty() {
        let id: String = payload
            .iter()
            .take_while(|b| b.is_ascii_graphic() || **b == b' ')
            .take(16)
            .map(|&b| char::from(b))
            .collect();
        if id.is_empty() {
            format!("APP{n}")
        } else {
            format!("APP{n} {id}")
        }
    } else {
        format!("APP{n} {what}")
    };
    let mut carrier = Carrier::new(kind, name, offset, length);
    match kind {
        CarrierKind::Exif => carrier.exif = Some(exif::summarize(exif_tiff(payload))),
        CarrierKind::Xmp
        | CarrierKind::ExtendedXmp
        | CarrierKind::IptcPhotoshop
        | CarrierKind::OtherApplication => {
            carrier.hints = TextHints::scan(payload);
        }
        _ => {}
    }
    carrier
}

fn classify_trailer(trailer: &[u8], offset: usize) -> Carrier {
    let padding = trailer.iter().all(|&b| b == 0x00 || b == 0xFF);
    let embedded_image = memchr::memmem::find(trailer, &[0xFF, SOI, 0xFF]).is_some();
    let (kind, name) = if embedded_image {
        (
            CarrierKind::EmbeddedImage,
            "images after the end of the main image",
        )
    } else if padding {
        (CarrierKind::Trailer, "padding after the end of the image")
    } else {
        (CarrierKind::Trailer, "data after the end of the image")
    };
    let mut carrier = Carrier::new(kind, name, offset, trailer.len());
    carrier.hints = TextHints::scan(trailer);
    carrier
}

fn marker_name(marker: u8) -> String {
    match marker {
        0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => "frame header".into(),
        0xC4 => "Huffman table".into(),
        0xDB => "quantisation table".into(),
        SOS => "start-of-scan".into(),
        APP0..=APP15 => format!("APP{}", marker - APP0),
        COM => "comment".into(),
        other => format!("0x{other:02X}"),
    }
}

/// The minimal JFIF APP0 we write: version 1.1, no density units, 1:1, no thumbnail.
const MINIMAL_JFIF: [u8; 18] = [
    0xFF, APP0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00,
];

/// Rebuild a JPEG from what a decoder needs: no metadata, Orientation re-stated if not upright.
pub fn rebuild(data: &[u8], layout: &JpegLayout) -> Vec<u8> {
    let kept_len: usize = layout.kept.iter().map(|r| r.len()).sum();
    let mut out = Vec::with_capacity(kept_len + 64);
    out.extend_from_slice(&[0xFF, SOI]);
    // Re-state the colour-deciding markers exactly as the original had them (see `had_jfif`),
    // in minimal form: no density, no thumbnail, no Adobe flags.
    if layout.had_jfif {
        out.extend_from_slice(&MINIMAL_JFIF);
    }
    if let Some(transform) = layout.adobe_transform {
        // APP14 "Adobe", version 100, no flags, the original transform.
        out.extend_from_slice(&[
            0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0x00, 0x64, 0x00, 0x00, 0x00,
            0x00, transform,
        ]);
    }
    if layout.orientation != Orientation::Normal {
        let tiff = minimal_orientation_exif(layout.orientation);
        let length = u16::try_from(2 + 6 + tiff.len()).expect("the minimal EXIF is 34 bytes");
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(&tiff);
    }
    for range in &layout.kept {
        out.extend_from_slice(&data[range.clone()]);
    }
    out.extend_from_slice(&[0xFF, EOI]);
    out
}

/// Whether an APP segment is one [`rebuild`] writes, byte for byte (used by the verifier).
pub fn is_own_structural_segment(carrier: &Carrier, data: &[u8]) -> bool {
    let bytes = &data[carrier.offset..carrier.offset + carrier.length];
    match carrier.kind {
        CarrierKind::Jfif => bytes == MINIMAL_JFIF,
        CarrierKind::Adobe => {
            bytes.len() == 16
                && bytes[..15]
                    == [
                        0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0x00, 0x64, 0x00,
                        0x00, 0x00, 0x00,
                    ]
        }
        CarrierKind::Exif => bytes.len() == 36 && exif::is_minimal_orientation_exif(&bytes[10..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny but structurally complete baseline JPEG: SOI, an APP1 Exif, a COM, SOF0, SOS with
    /// stuffed and restart bytes, EOI and a trailer.
    pub(crate) fn synthetic() -> Vec<u8> {
        let mut j = vec![0xFF, SOI];
        let tiff = minimal_orientation_exif(Orientation::Rotate90);
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
        j.extend_from_slice(b"Exif\0\0");
        j.extend_from_slice(&tiff);
        j.extend_from_slice(&[0xFF, COM, 0x00, 0x07, b'h', b'e', b'l', b'l', b'o']);
        j.extend_from_slice(&[
            0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x02, 0x00, 0x03, 1, 1, 0x11, 0,
        ]);
        j.extend_from_slice(&[0xFF, SOS, 0x00, 0x08, 1, 1, 0, 0, 63, 0]);
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend_from_slice(&[0xFF, EOI]);
        j.extend_from_slice(b"TRAILER");
        j
    }

    #[test]
    fn walks_every_segment_and_finds_the_trailer() {
        let data = synthetic();
        let layout = parse(&data).unwrap();
        assert_eq!(
            layout.frame,
            Frame {
                width: 3,
                height: 2,
                components: 1,
                progressive: false,
                arithmetic: false
            }
        );
        assert_eq!(layout.orientation, Orientation::Rotate90);
        let kinds: Vec<_> = layout.carriers.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CarrierKind::Exif,
                CarrierKind::Comment,
                CarrierKind::Trailer
            ]
        );
        let out = rebuild(&data, &layout);
        assert!(out.ends_with(&[0x56, 0xFF, EOI]));
        let again = parse_keeping_only_own_segments(&out);
        assert_eq!(again.orientation, Orientation::Rotate90);
    }

    /// Parses a rebuilt file and checks that only our own structural segments are left in it.
    fn parse_keeping_only_own_segments(rebuilt: &[u8]) -> JpegLayout {
        let layout = parse(rebuilt).unwrap();
        assert!(
            layout
                .carriers
                .iter()
                .all(|c| is_own_structural_segment(c, rebuilt))
        );
        layout
    }

    #[test]
    fn colour_deciding_markers_are_restated_as_the_original_had_them() {
        let original = synthetic();
        // Neither JFIF nor Adobe: the rebuilt file adds neither (decoders go by component IDs).
        let plain = rebuild(&original, &parse(&original).unwrap());
        assert!(memchr::memmem::find(&plain, b"JFIF").is_none());
        assert!(memchr::memmem::find(&plain, b"Adobe").is_none());
        // A JFIF with a thumbnail and density beside an Adobe "RGB" transform (0): libjpeg reads
        // YCbCr because of the JFIF, so both come back, minimal, and the transform is kept.
        let mut both = original[..2].to_vec();
        both.extend_from_slice(&[
            0xFF, APP0, 0x00, 0x13, b'J', b'F', b'I', b'F', 0, 1, 2, 1, 0, 72, 0, 72, 1, 1,
        ]);
        both.extend_from_slice(&[9, 9, 9]); // a 1×1 RGB thumbnail
        both.extend_from_slice(&[
            0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0, 101, 0x80, 0, 0, 0, 0,
        ]);
        both.extend_from_slice(&original[2..]);
        let layout = parse(&both).unwrap();
        assert_eq!(layout.adobe_transform, Some(0));
        let rebuilt = rebuild(&both, &layout);
        assert_eq!(rebuilt[2..20], MINIMAL_JFIF);
        assert_eq!(
            rebuilt[20..36],
            [
                0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0, 0x64, 0, 0, 0, 0, 0
            ]
        );
        parse_keeping_only_own_segments(&rebuilt);
    }

    #[test]
    fn truncations_are_errors_not_panics() {
        let data = synthetic();
        for cut in 0..data.len() - b"TRAILER".len() {
            assert!(parse(&data[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn lying_segment_length_is_reported_as_truncated() {
        let mut data = synthetic();
        data[4] = 0xFF; // APP1 length high byte
        let err = parse(&data).unwrap_err();
        assert!(matches!(err, PhotoError::Truncated(_)), "{err}");
    }

    #[test]
    fn lossless_and_hierarchical_coding_are_refused_by_name() {
        let mut data = synthetic();
        let sof = data.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        data[sof + 1] = 0xC3;
        assert_eq!(
            parse(&data).unwrap_err(),
            PhotoError::UnsupportedJpegCoding("lossless")
        );
        data[sof + 1] = 0xC5;
        assert_eq!(
            parse(&data).unwrap_err(),
            PhotoError::UnsupportedJpegCoding("hierarchical")
        );
        data[sof + 1] = 0xC9;
        assert!(parse(&data).unwrap().frame.arithmetic);
    }
}
