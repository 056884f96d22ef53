//! The photo privacy pipeline: a shopper's photo leaves clean, upright and small.
//!
//! The steps, one module each:
//! 1. [`sniff`] the real format from the bytes (never the file name or MIME type);
//! 2. parse the container ([`jpeg`], [`png`], [`webp`]) fully, finding every metadata
//!    [`carrier`], and rebuild the file from the segments a decoder needs ([`strip`]);
//! 3. keep the picture upright ([`orientation`]): JPEG re-states Orientation in a fresh minimal
//!    EXIF ([`exif::minimal_orientation_exif`]); other formats rotate pixels when re-encoded;
//! 4. downscale to the render size ([`resize`], with the `codec` feature);
//! 5. [`verify`] the output parses, has the expected size and carries no metadata;
//! 6. [`report`] in plain words what was removed, for the shopper to see.
//!
//! Colour: pixels are kept as they are and treated as sRGB; ICC profiles are removed. A profile
//! can carry device- and software-identifying descriptions, the lossless path cannot convert
//! colours without re-encoding, and phone photos are sRGB or Display P3 (a small saturation
//! shift). Adobe RGB or CMYK photos shift more; we accept that for a room preview.

pub mod carrier;
pub mod error;
pub mod exif;
pub mod jpeg;
pub mod orientation;
pub mod png;
pub mod report;
pub mod sniff;
pub mod strip;
pub mod verify;
pub mod webp;

#[cfg(feature = "codec")]
pub mod resize;

mod limits;
mod pipeline;

pub use carrier::{Carrier, CarrierKind};
pub use error::PhotoError;
pub use exif::ExifSummary;
pub use limits::{CleanOptions, Limits};
pub use orientation::Orientation;
#[cfg(feature = "codec")]
pub use pipeline::clean;
pub use pipeline::{Cleaned, target_dimensions};
pub use report::{RemovalReport, RemovedItem};
pub use sniff::{DetectedFormat, ImageFormat, sniff};
pub use strip::{Inspection, Stripped, inspect, strip};
pub use verify::{VerifiedImage, verify_clean};
