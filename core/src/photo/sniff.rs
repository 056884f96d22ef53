//! Format sniffing from the bytes themselves.
//!
//! The file name and the browser's MIME type are chosen by whoever made the file; only the
//! magic bytes say what a decoder will actually run on. A `.jpg` that is really a HEIC or an SVG
//! gets a clear refusal naming what it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::photo::PhotoError;

/// The formats the pipeline accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG, baseline or progressive.
    Jpeg,
    /// PNG (a static picture; APNG animation chunks are dropped).
    Png,
    /// WebP, lossy or lossless, simple or extended; not animated.
    WebP,
}

impl ImageFormat {
    /// The MIME type to send the cleaned bytes under.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::WebP => "WebP",
        })
    }
}

/// What the bytes are, supported or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectedFormat {
    /// A format we accept.
    Supported(ImageFormat),
    /// HEIC/HEIF (iPhone default).
    Heic,
    /// AVIF.
    Avif,
    /// GIF.
    Gif,
    /// TIFF, or a TIFF-based camera RAW (DNG, CR2, NEF, ARW).
    Tiff,
    /// Windows bitmap.
    Bmp,
    /// SVG: a document that can carry scripts, not a photo.
    Svg,
    /// JPEG XL.
    JpegXl,
    /// PDF.
    Pdf,
    /// A ZIP archive (or an Office document).
    Zip,
    /// An MP4/QuickTime video.
    Video,
    /// A Windows icon.
    Ico,
    /// A Photoshop document.
    Psd,
    /// Nothing we recognise.
    Unknown,
}

impl fmt::Display for DetectedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Supported(format) => write!(f, "{format}"),
            Self::Heic => f.write_str("HEIC/HEIF"),
            Self::Avif => f.write_str("AVIF"),
            Self::Gif => f.write_str("GIF"),
            Self::Tiff => f.write_str("TIFF (or camera RAW)"),
            Self::Bmp => f.write_str("BMP"),
            Self::Svg => f.write_str("SVG"),
            Self::JpegXl => f.write_str("JPEG XL"),
            Self::Pdf => f.write_str("PDF"),
            Self::Zip => f.write_str("ZIP"),
            Self::Video => f.write_str("Video (MP4/QuickTime)"),
            Self::Ico => f.write_str("ICO"),
            Self::Psd => f.write_str("Photoshop (PSD)"),
            Self::Unknown => f.write_str("Unrecognised"),
        }
    }
}

/// Identify the bytes. Never fails: unrecognised input is [`DetectedFormat::Unknown`].
pub fn detect(bytes: &[u8]) -> DetectedFormat {
    use DetectedFormat as D;
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return D::Supported(ImageFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return D::Supported(ImageFormat::Png);
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return D::Supported(ImageFormat::WebP);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return D::Gif;
    }
    if starts(b"II*\0") || starts(b"MM\0*") || starts(b"IIRO") || starts(b"IIU\0") {
        return D::Tiff;
    }
    if starts(b"BM") && bytes.len() >= 14 {
        return D::Bmp;
    }
    if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return D::JpegXl;
    }
    if starts(b"%PDF") {
        return D::Pdf;
    }
    if starts(b"PK\x03\x04") {
        return D::Zip;
    }
    if starts(&[0, 0, 1, 0]) && bytes.len() >= 6 {
        return D::Ico;
    }
    if starts(b"8BPS") {
        return D::Psd;
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return detect_iso_bmff(bytes);
    }
    if looks_like_svg(bytes) {
        return D::Svg;
    }
    D::Unknown
}

/// ISO base media files: the `ftyp` box's brands tell HEIC, AVIF and video apart.
fn detect_iso_bmff(bytes: &[u8]) -> DetectedFormat {
    let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_len.clamp(12, bytes.len().min(256));
    let brands: Vec<&[u8]> = std::iter::once(&bytes[8..12])
        .chain(bytes.get(16..end).unwrap_or(&[]).chunks_exact(4))
        .collect();
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if has(&[b"avif", b"avis"]) {
        DetectedFormat::Avif
    } else if has(&[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
    ]) {
        DetectedFormat::Heic
    } else {
        DetectedFormat::Video
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    (trimmed.starts_with('<')) && text.to_ascii_lowercase().contains("<svg")
}

/// Identify the bytes and accept only the supported formats, with a specific error otherwise.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    match detect(bytes) {
        DetectedFormat::Supported(format) => Ok(format),
        other => Err(PhotoError::UnsupportedFormat(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_supported_and_refused_formats() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Ok(ImageFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(ImageFormat::WebP));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(
            sniff(heic),
            Err(PhotoError::UnsupportedFormat(DetectedFormat::Heic))
        );
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        assert_eq!(detect(avif), DetectedFormat::Avif);
        assert_eq!(
            detect(b"\0\0\0\x14ftypisom\0\0\0\0isom"),
            DetectedFormat::Video
        );
        assert_eq!(detect(b"GIF89a...."), DetectedFormat::Gif);
        assert_eq!(detect(b"II*\0\x08\0\0\0"), DetectedFormat::Tiff);
        assert_eq!(detect(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"), DetectedFormat::Bmp);
        assert_eq!(
            detect(b"\xEF\xBB\xBF <?xml version='1.0'?><svg xmlns='x'/>"),
            DetectedFormat::Svg
        );
        assert_eq!(detect(b"%PDF-1.7"), DetectedFormat::Pdf);
        assert_eq!(sniff(b""), Err(PhotoError::Empty));
        assert_eq!(
            sniff(b"hello"),
            Err(PhotoError::UnsupportedFormat(DetectedFormat::Unknown))
        );
    }

    #[test]
    fn the_error_names_what_the_file_is() {
        let err = sniff(b"GIF89a....").unwrap_err();
        assert!(
            err.to_string().starts_with("GIF files are not supported"),
            "{err}"
        );
    }
}
