//! Why a photo was refused: one typed error, with a stable code the widget maps to plain words.

use crate::photo::sniff::DetectedFormat;

/// Every way the photo pipeline refuses input. None of them is a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Over the byte budget.
    #[error("the file is {size} bytes, over the limit of {limit} bytes")]
    TooManyBytes {
        /// Size of the input.
        size: usize,
        /// The budget.
        limit: usize,
    },
    /// A real format we recognise but do not accept.
    #[error("{0} files are not supported: please use a JPEG, PNG or WebP photo")]
    UnsupportedFormat(DetectedFormat),
    /// An animated WebP: a room photo is a still image.
    #[error("animated WebP files are not supported: please use a still photo")]
    AnimatedWebp,
    /// A JPEG coding process browsers and our decoders do not handle.
    #[error(
        "this JPEG uses {0} coding, which is not supported here: please use a baseline or progressive JPEG"
    )]
    UnsupportedJpegCoding(&'static str),
    /// The file ends before its structure does.
    #[error("the file is truncated: {0}")]
    Truncated(String),
    /// The structure is inconsistent (bad lengths, bad CRC, missing required parts).
    #[error("the file is corrupt: {0}")]
    Corrupt(String),
    /// The declared canvas is over the pixel budget (a decompression bomb, or simply too big).
    #[error("the image declares {width}×{height} pixels, over the limit of {limit} pixels")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The budget.
        limit: u64,
    },
    /// Pixel decoding failed.
    #[error("the image could not be decoded: {0}")]
    Decode(String),
    /// Pixel encoding failed.
    #[error("the image could not be encoded: {0}")]
    Encode(String),
    /// The output did not pass verification: it is never used.
    #[error("the cleaned image failed verification: {0}")]
    VerificationFailed(String),
}

impl PhotoError {
    /// Every code [`PhotoError::code`] gives: the widget's words table is checked against it.
    pub const ALL_CODES: &'static [&'static str] = &[
        "empty_file",
        "too_large",
        "unsupported_format",
        "animated_image",
        "unsupported_jpeg_coding",
        "truncated",
        "corrupt",
        "too_many_pixels",
        "decode_failed",
        "encode_failed",
        "verification_failed",
    ];

    /// A stable, machine-readable code (for JSON errors and the widget's wording).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::TooManyBytes { .. } => "too_large",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::AnimatedWebp => "animated_image",
            Self::UnsupportedJpegCoding(_) => "unsupported_jpeg_coding",
            Self::Truncated(_) => "truncated",
            Self::Corrupt(_) => "corrupt",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::Decode(_) => "decode_failed",
            Self::Encode(_) => "encode_failed",
            Self::VerificationFailed(_) => "verification_failed",
        }
    }

    pub(crate) fn truncated(what: impl Into<String>) -> Self {
        Self::Truncated(what.into())
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        Self::Corrupt(what.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_codes_are_exactly_the_codes_of_the_variants() {
        let all = [
            PhotoError::Empty,
            PhotoError::TooManyBytes { size: 0, limit: 0 },
            PhotoError::UnsupportedFormat(DetectedFormat::Gif),
            PhotoError::AnimatedWebp,
            PhotoError::UnsupportedJpegCoding(""),
            PhotoError::Truncated(String::new()),
            PhotoError::Corrupt(String::new()),
            PhotoError::TooManyPixels {
                width: 0,
                height: 0,
                limit: 0,
            },
            PhotoError::Decode(String::new()),
            PhotoError::Encode(String::new()),
            PhotoError::VerificationFailed(String::new()),
        ];
        // No wildcard: a new variant does not compile until it is in `all` (and ALL_CODES).
        for error in &all {
            match error {
                PhotoError::Empty
                | PhotoError::TooManyBytes { .. }
                | PhotoError::UnsupportedFormat(_)
                | PhotoError::AnimatedWebp
                | PhotoError::UnsupportedJpegCoding(_)
                | PhotoError::Truncated(_)
                | PhotoError::Corrupt(_)
                | PhotoError::TooManyPixels { .. }
                | PhotoError::Decode(_)
                | PhotoError::Encode(_)
                | PhotoError::VerificationFailed(_) => {}
            }
        }
        let made: Vec<&str> = all.iter().map(PhotoError::code).collect();
        assert_eq!(made, PhotoError::ALL_CODES);
    }
}
