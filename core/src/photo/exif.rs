//! EXIF: reading what a photo's EXIF says (for the report and the orientation) and writing the
//! one minimal EXIF we ever emit, which holds the Orientation and nothing else.
//!
//! Parsing is delegated to `kamadak-exif`, a maintained TIFF/EXIF reader; a malformed EXIF block
//! is still removed, it only yields a less detailed report and an upright default.

use exif::{Context, In, Reader, Tag, Value};
use serde::{Deserialize, Serialize};

use crate::photo::Orientation;

/// What an EXIF block reveals, in the terms the shopper report and `vitrine inspect` need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExifSummary {
    /// The Orientation tag of the main image, if present.
    pub orientation: Option<u16>,
    /// GPS tags present (location, altitude, time, direction …).
    pub gps: bool,
    /// GPS latitude/longitude as written, if present.
    pub gps_position: Option<String>,
    /// Camera make.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Body, lens or unique-image serial numbers.
    pub serial_numbers: Vec<String>,
    /// Capture (or, failing that, modification) date and time.
    pub date_time: Option<String>,
    /// Software that wrote the file.
    pub software: Option<String>,
    /// Author, owner and copyright names.
    pub names: Vec<String>,
    /// Free-text description or user comment present.
    pub description: bool,
    /// An embedded thumbnail image (IFD1).
    pub thumbnail: bool,
    /// A maker note: the manufacturer's private block, often with serials and lens data.
    pub maker_note: bool,
    /// Number of tags in all.
    pub tag_count: usize,
    /// The block could only be read in part, or not at all.
    pub malformed: bool,
}

fn text(field: &exif::Field) -> Option<String> {
    let shown = match &field.value {
        Value::Ascii(parts) => parts
            .iter()
            .map(|p| {
                String::from_utf8_lossy(p)
                    .trim_matches(char::from(0))
                    .trim()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => field.display_value().to_string(),
    };
    let shown: String = shown.chars().filter(|c| !c.is_control()).take(80).collect();
    let shown = shown.trim().to_owned();
    (!shown.is_empty()).then_some(shown)
}

/// Summarise a TIFF-structured EXIF block (starting with `II*\0` or `MM\0*`).
pub fn summarize(tiff: &[u8]) -> ExifSummary {
    let parsed = Reader::new()
        .continue_on_error(true)
        .read_raw(tiff.to_vec())
        .map(|exif| (exif, false))
        .or_else(|e| {
            e.distill_partial_result(|_errors| {})
                .map(|exif| (exif, true))
        });
    let Ok((exif, partial)) = parsed else {
        return ExifSummary {
            malformed: true,
            ..ExifSummary::default()
        };
    };
    let mut summary = ExifSummary {
        malformed: partial,
        ..ExifSummary::default()
    };
    let mut date_original = None;
    let mut date_any = None;
    let mut latitude = None;
    let mut longitude = None;
    for field in exif.fields() {
        summary.tag_count += 1;
        if field.tag.context() == Context::Gps {
            summary.gps = true;
        }
        let primary = field.ifd_num == In::PRIMARY;
        match field.tag {
            Tag::Orientation if primary => {
                summary.orientation = field.value.get_uint(0).and_then(|v| u16::try_from(v).ok());
            }
            Tag::Make if primary => summary.make = text(field),
            Tag::Model if primary => summary.model = text(field),
            Tag::BodySerialNumber | Tag::LensSerialNumber | Tag::ImageUniqueID => {
                summary.serial_numbers.extend(text(field));
            }
            Tag::DateTimeOriginal => date_original = text(field),
            Tag::DateTime | Tag::DateTimeDigitized | Tag::GPSDateStamp => {
                date_any = date_any.or_else(|| text(field));
            }
            Tag::Software => summary.software = text(field),
            Tag::Artist | Tag::Copyright | Tag::CameraOwnerName => {
                summary.names.extend(text(field))
            }
            Tag::ImageDescription | Tag::UserComment => summary.description = true,
            Tag::MakerNote => summary.maker_note = true,
            Tag::JPEGInterchangeFormat if field.ifd_num == In::THUMBNAIL => {
                summary.thumbnail = true
            }
            Tag::GPSLatitude => latitude = text(field),
            Tag::GPSLongitude => longitude = text(field),
            _ => {}
        }
        if field.ifd_num == In::THUMBNAIL
            && matches!(field.tag, Tag::StripOffsets | Tag::JPEGInterchangeFormat)
        {
            summary.thumbnail = true;
        }
    }
    summary.date_time = date_original.or(date_any);
    if let (Some(lat), Some(lon)) = (latitude, longitude) {
        summary.gps_position = Some(format!("{lat}, {lon}"));
    }
    summary
}

/// The TIFF block of a PNG eXIf or WebP EXIF chunk: normally the whole body, but some writers
/// prefix `Exif\0\0` as in JPEG.
pub(crate) fn chunk_tiff(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"Exif\0\0").unwrap_or(body)
}

/// Read only the Orientation of a TIFF-structured EXIF block. Unreadable means upright.
pub fn read_orientation(tiff: &[u8]) -> Orientation {
    summarize(tiff)
        .orientation
        .map_or(Orientation::Normal, |v| {
            Orientation::from_exif(u32::from(v))
        })
}

/// The TIFF header of the minimal EXIF we write: big-endian, first IFD at offset 8.
const MINIMAL_TIFF_HEADER: [u8; 8] = *b"MM\0*\0\0\0\x08";

/// A TIFF block with one IFD holding exactly one tag, Orientation, and no further IFD: it keeps
/// the picture upright without re-encoding, and carries nothing about camera, place or time.
pub fn minimal_orientation_exif(orientation: Orientation) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(&MINIMAL_TIFF_HEADER);
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.exif_value().to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

/// Whether a TIFF block is exactly one we would write: the verifier accepts nothing else.
pub fn is_minimal_orientation_exif(tiff: &[u8]) -> bool {
    tiff.len() == 26
        && (2..=8).any(|v| tiff == minimal_orientation_exif(Orientation::from_exif(v)).as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_block_parses_back_to_its_orientation_and_nothing_else() {
        for v in 1..=8u32 {
            let o = Orientation::from_exif(v);
            let tiff = minimal_orientation_exif(o);
            let summary = summarize(&tiff);
            assert_eq!(summary.orientation, Some(o.exif_value()));
            assert_eq!(summary.tag_count, 1);
            assert!(!summary.gps && summary.make.is_none() && !summary.thumbnail);
            assert_eq!(read_orientation(&tiff), o);
        }
    }

    #[test]
    fn garbage_is_malformed_and_upright() {
        let summary = summarize(b"not a tiff at all");
        assert!(summary.malformed);
        assert_eq!(
            read_orientation(b"MM\0*\xff\xff\xff\xff"),
            Orientation::Normal
        );
        assert!(!is_minimal_orientation_exif(b"MM\0*"));
    }
}
