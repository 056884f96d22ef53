//! Lossless metadata removal for every supported format, and the read-only inspection.

use serde::{Deserialize, Serialize};

use crate::photo::jpeg::{self, JpegLayout};
use crate::photo::png::{self, PngLayout};
use crate::photo::webp::{self, WebpLayout};
use crate::photo::{Carrier, ImageFormat, Limits, Orientation, PhotoError, RemovalReport, sniff};

/// Whether the stripped file keeps the orientation (as a fresh minimal EXIF) or leaves it to the
/// caller, who will turn the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrientationOutput {
    /// JPEG: re-state Orientation in a minimal EXIF, so the lossless output displays upright.
    /// PNG and WebP never re-state it (decoder support varies); see
    /// [`Stripped::orientation_restated`].
    Restate,
    /// Write no orientation: the caller decodes these bytes and applies
    /// [`Stripped::orientation`] to the pixels itself (the browser path does this, so that no
    /// browser's EXIF handling is relied on).
    Omit,
}

/// A photo with every metadata carrier removed, pixels untouched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stripped {
    /// The rebuilt file.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Its format (the input's).
    pub format: ImageFormat,
    /// Width as stored.
    pub stored_width: u32,
    /// Height as stored.
    pub stored_height: u32,
    /// The orientation the original asked for.
    pub orientation: Orientation,
    /// Whether `bytes` carries that orientation; when false and the orientation is not
    /// [`Orientation::Normal`], the pixels must be turned before the photo is used.
    pub orientation_restated: bool,
    /// The JPEG uses arithmetic entropy coding: stripped like any other, but our pixel decoder
    /// cannot read it, so it can only be used as it is (known from the walk, not re-parsed).
    pub arithmetic_coding: bool,
    /// What was removed.
    pub report: RemovalReport,
}

impl Stripped {
    /// Dimensions as the shopper sees the photo.
    pub fn displayed_dimensions(&self) -> (u32, u32) {
        self.orientation
            .displayed(self.stored_width, self.stored_height)
    }

    /// Whether the bytes display upright as they are.
    pub fn displays_upright(&self) -> bool {
        self.orientation == Orientation::Normal || self.orientation_restated
    }
}

pub(crate) enum Layout {
    Jpeg(JpegLayout),
    Png(PngLayout),
    WebP(WebpLayout),
}

impl Layout {
    pub(crate) fn stored_dimensions(&self) -> (u32, u32) {
        match self {
            Self::Jpeg(l) => (l.frame.width, l.frame.height),
            Self::Png(l) => (l.header.width, l.header.height),
            Self::WebP(l) => (l.width, l.height),
        }
    }

    pub(crate) fn orientation(&self) -> Orientation {
        match self {
            Self::Jpeg(l) => l.orientation,
            Self::Png(l) => l.orientation,
            Self::WebP(l) => l.orientation,
        }
    }

    pub(crate) fn carriers(&self) -> &[Carrier] {
        match self {
            Self::Jpeg(l) => &l.carriers,
            Self::Png(l) => &l.carriers,
            Self::WebP(l) => &l.carriers,
        }
    }

    fn into_carriers(self) -> Vec<Carrier> {
        match self {
            Self::Jpeg(l) => l.carriers,
            Self::Png(l) => l.carriers,
            Self::WebP(l) => l.carriers,
        }
    }
}

/// Check the budgets, sniff and walk the container. Nothing is decoded.
pub(crate) fn parse(data: &[u8], limits: &Limits) -> Result<(ImageFormat, Layout), PhotoError> {
    if data.len() > limits.max_bytes {
        return Err(PhotoError::TooManyBytes {
            size: data.len(),
            limit: limits.max_bytes,
        });
    }
    let format = sniff(data)?;
    let layout = match format {
        ImageFormat::Jpeg => Layout::Jpeg(jpeg::parse(data)?),
        ImageFormat::Png => Layout::Png(png::parse(data)?),
        ImageFormat::WebP => Layout::WebP(webp::parse(data)?),
    };
    let (width, height) = layout.stored_dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok((format, layout))
}

/// Remove every metadata carrier, losslessly; JPEG keeps its orientation as a minimal EXIF.
pub fn strip(data: &[u8], limits: &Limits) -> Result<Stripped, PhotoError> {
    strip_with(data, limits, OrientationOutput::Restate)
}

/// Remove every metadata carrier, losslessly, choosing how the orientation is carried.
pub fn strip_with(
    data: &[u8],
    limits: &Limits,
    orientation_output: OrientationOutput,
) -> Result<Stripped, PhotoError> {
    let (format, mut layout) = parse(data, limits)?;
    let orientation = layout.orientation();
    let restate = orientation_output == OrientationOutput::Restate && format == ImageFormat::Jpeg;
    let bytes = match &mut layout {
        Layout::Jpeg(l) => {
            if !restate {
                l.orientation = Orientation::Normal;
            }
            jpeg::rebuild(data, l)
        }
        Layout::Png(l) => png::rebuild(data, l),
        Layout::WebP(l) => webp::rebuild(data, l),
    };
    let (stored_width, stored_height) = layout.stored_dimensions();
    let arithmetic_coding = matches!(&layout, Layout::Jpeg(l) if l.frame.arithmetic);
    Ok(Stripped {
        bytes,
        format,
        stored_width,
        stored_height,
        orientation,
        orientation_restated: restate && orientation != Orientation::Normal,
        arithmetic_coding,
        report: RemovalReport::from_carriers(layout.into_carriers()),
    })
}

/// What `vitrine inspect` shows: the structure and every carrier, nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// The real format.
    pub format: ImageFormat,
    /// Width as stored.
    pub width: u32,
    /// Height as stored.
    pub height: u32,
    /// The EXIF orientation (1–8).
    pub orientation: u16,
    /// Every carrier, with what cleaning would report.
    pub report: RemovalReport,
}

/// Inspect without changing anything.
pub fn inspect(data: &[u8], limits: &Limits) -> Result<Inspection, PhotoError> {
    let (format, layout) = parse(data, limits)?;
    let (width, height) = layout.stored_dimensions();
    let orientation = layout.orientation().exif_value();
    Ok(Inspection {
        format,
        width,
        height,
        orientation,
        report: RemovalReport::from_carriers(layout.into_carriers()),
    })
}
