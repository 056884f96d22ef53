//! Metadata carriers: the places inside a file where something other than the picture lives.

use serde::{Deserialize, Serialize};

use crate::photo::{ExifSummary, PhotoError};

/// Real photos hold a few dozen carriers (an ICC profile split over 9 segments, extended XMP over
/// a few dozen more); a file with more was built to make the parser allocate, so it is refused.
pub const MAX_CARRIERS: usize = 1024;

/// Record a carrier, refusing files with more than [`MAX_CARRIERS`].
pub(crate) fn push(carriers: &mut Vec<Carrier>, carrier: Carrier) -> Result<(), PhotoError> {
    if carriers.len() >= MAX_CARRIERS {
        return Err(PhotoError::corrupt(format!(
            "more than {MAX_CARRIERS} metadata segments"
        )));
    }
    carriers.push(carrier);
    Ok(())
}

/// Record a byte range to keep, merging it with the previous one when they touch: the number of
/// ranges then grows only with the (bounded) number of carriers between them.
pub(crate) fn keep(kept: &mut Vec<std::ops::Range<usize>>, range: std::ops::Range<usize>) {
    match kept.last_mut() {
        Some(last) if last.end == range.start => last.end = range.end,
        _ => kept.push(range),
    }
}

/// What kind of carrier a segment or chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierKind {
    /// EXIF (JPEG APP1, PNG eXIf, WebP EXIF): camera, time, place, thumbnail.
    Exif,
    /// XMP packet.
    Xmp,
    /// Extended XMP, continued over several JPEG APP1 segments.
    ExtendedXmp,
    /// Photoshop image resources with IPTC (JPEG APP13).
    IptcPhotoshop,
    /// ICC colour profile.
    IccProfile,
    /// Multi-Picture Format index (JPEG APP2); its images follow the main one.
    Mpf,
    /// JFIF header (replaced by a fresh minimal one).
    Jfif,
    /// JFIF extension: a thumbnail.
    Jfxx,
    /// Adobe APP14 (rebuilt with its colour transform only: decoders need it).
    Adobe,
    /// Any other application segment (Ducky, FlashPix, maker blocks …).
    OtherApplication,
    /// JPEG comment, PNG text chunk.
    Comment,
    /// PNG/WebP timestamp.
    Timestamp,
    /// Any other ancillary chunk (physical size, colour hints, animation control, unknown).
    OtherChunk,
    /// An embedded image after the main one (MPF secondary image, appended JPEG).
    EmbeddedImage,
    /// Bytes after the end of the picture (trailers, appended videos or archives, padding).
    Trailer,
    /// Bytes between segments that belong to no segment.
    StrayBytes,
}

/// One carrier found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// What it is.
    pub kind: CarrierKind,
    /// Where it is, as the container names it ("APP1 Exif", "tEXt", "EXIF chunk" …).
    pub name: String,
    /// Byte offset of the segment or chunk (marker or chunk header included).
    pub offset: usize,
    /// Its length in bytes, header included.
    pub length: usize,
    /// Keyword or identifier, where the container gives one (PNG text keyword …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// For EXIF, what it reveals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exif: Option<ExifSummary>,
    /// For XMP, IPTC and text, what the text mentions (location, dates, serials).
    #[serde(default, skip_serializing_if = "TextHints::is_empty")]
    pub hints: TextHints,
}

impl Carrier {
    pub(crate) fn new(
        kind: CarrierKind,
        name: impl Into<String>,
        offset: usize,
        length: usize,
    ) -> Self {
        Self {
            kind,
            name: name.into(),
            offset,
            length,
            label: None,
            exif: None,
            hints: TextHints::default(),
        }
    }
}

/// What a free-form metadata payload (XMP, IPTC, PNG text) mentions, found by keyword.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextHints {
    /// GPS or location fields.
    pub location: bool,
    /// Creation or capture dates.
    pub date: bool,
    /// Serial numbers.
    pub serial: bool,
    /// Camera make or model.
    pub camera: bool,
    /// Author, creator or copyright.
    pub names: bool,
    /// Editing history.
    pub history: bool,
}

impl TextHints {
    /// No hint found.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Look for well-known field names (XMP/IPTC/PNG keywords) in a payload.
    pub fn scan(payload: &[u8]) -> Self {
        let has = |needle: &[u8]| memchr::memmem::find(payload, needle).is_some();
        Self {
            location: has(b"GPSLatitude")
                || has(b"GPSLongitude")
                || has(b"LocationCreated")
                || has(b"photoshop:City")
                || has(b"Iptc4xmpCore:Location"),
            date: has(b"DateCreated")
                || has(b"CreateDate")
                || has(b"DateTimeOriginal")
                || has(b"ModifyDate")
                || has(b"date:create"),
            serial: has(b"SerialNumber") || has(b"ImageUniqueID"),
            camera: has(b"tiff:Make")
                || has(b"tiff:Model")
                || has(b"exif:Make")
                || has(b"<tiff:Model"),
            names: has(b"dc:creator")
                || has(b"dc:rights")
                || has(b"photoshop:Credit")
                || has(b"Author"),
            history: has(b"xmpMM:History")
                || has(b"DerivedFrom")
                || has(b"photoshop:DocumentAncestors"),
        }
    }
}
