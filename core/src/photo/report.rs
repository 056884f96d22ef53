//! The report a shopper sees: what was removed, in plain words.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::photo::{Carrier, CarrierKind};

/// One thing removed from the photo, as a shopper would name it. Ordered by how much it says
/// about the person: location first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedItem {
    /// GPS coordinates or a named place.
    GpsLocation,
    /// Camera body, lens or unique-image serial numbers.
    CameraSerialNumber,
    /// Names of the author, owner or copyright holder.
    PeopleNames,
    /// When the photo was taken.
    CaptureDateTime,
    /// Camera make and model.
    CameraMakeModel,
    /// A small copy of the original photo.
    EmbeddedThumbnail,
    /// Further pictures stored in the file (depth maps, previews, motion-photo videos).
    ExtraImages,
    /// Captions, descriptions and comments.
    Descriptions,
    /// Editing software and history.
    EditingSoftware,
    /// The camera maker's private notes.
    MakerNotes,
    /// Exposure, lens and other camera settings.
    CameraSettings,
    /// Colour profile.
    ColourProfile,
    /// When the file was last modified.
    ModificationTime,
    /// Data hidden after the end of the picture.
    HiddenData,
    /// Any other technical metadata.
    OtherMetadata,
}

impl RemovedItem {
    /// The words the widget shows ("GPS location removed").
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::GpsLocation => "GPS location",
            Self::CameraSerialNumber => "camera serial number",
            Self::PeopleNames => "author and owner names",
            Self::CaptureDateTime => "capture date and time",
            Self::CameraMakeModel => "camera make and model",
            Self::EmbeddedThumbnail => "embedded thumbnail",
            Self::ExtraImages => "extra images hidden in the file",
            Self::Descriptions => "captions, comments and keywords",
            Self::EditingSoftware => "editing software and history",
            Self::MakerNotes => "camera maker's private notes",
            Self::CameraSettings => "camera settings",
            Self::ColourProfile => "colour profile",
            Self::ModificationTime => "file modification time",
            Self::HiddenData => "hidden data after the picture",
            Self::OtherMetadata => "other technical metadata",
        }
    }
}

/// What cleaning removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalReport {
    /// The removed things in plain words, most identifying first, without repeats.
    pub items: Vec<RemovedItem>,
    /// Every carrier found, in file order.
    pub carriers: Vec<Carrier>,
    /// Bytes of metadata removed.
    pub bytes_removed: usize,
}

impl RemovalReport {
    /// Build the report from the carriers a parser found.
    pub fn from_carriers(carriers: Vec<Carrier>) -> Self {
        let mut items = BTreeSet::new();
        for carrier in &carriers {
            items_of(carrier, &mut items);
        }
        let bytes_removed = carriers.iter().map(|c| c.length).sum();
        Self {
            items: items.into_iter().collect(),
            carriers,
            bytes_removed,
        }
    }

    /// The plain-words list, for a CLI line or a screen reader.
    pub fn plain_words(&self) -> Vec<&'static str> {
        self.items.iter().map(|i| i.plain_words()).collect()
    }

    /// Nothing was found.
    pub fn is_empty(&self) -> bool {
        self.carriers.is_empty()
    }
}

/// Adds each item whose condition holds.
fn add_where(
    items: &mut BTreeSet<RemovedItem>,
    pairs: impl IntoIterator<Item = (bool, RemovedItem)>,
) {
    items.extend(
        pairs
            .into_iter()
            .filter_map(|(on, item)| on.then_some(item)),
    );
}

fn items_of(carrier: &Carrier, items: &mut BTreeSet<RemovedItem>) {
    use RemovedItem as R;
    let hints = carrier.hints;
    let add_hints = |items: &mut BTreeSet<RemovedItem>| {
        let pairs = [
            (hints.location, R::GpsLocation),
            (hints.date, R::CaptureDateTime),
            (hints.serial, R::CameraSerialNumber),
            (hints.camera, R::CameraMakeModel),
            (hints.names, R::PeopleNames),
            (hints.history, R::EditingSoftware),
        ];
        add_where(items, pairs);
    };
    match carrier.kind {
        CarrierKind::Exif => {
            let Some(exif) = &carrier.exif else {
                items.insert(R::OtherMetadata);
                return;
            };
            let pairs = [
                (exif.gps, R::GpsLocation),
                (!exif.serial_numbers.is_empty(), R::CameraSerialNumber),
                (!exif.names.is_empty(), R::PeopleNames),
                (exif.date_time.is_some(), R::CaptureDateTime),
                (
                    exif.make.is_some() || exif.model.is_some(),
                    R::CameraMakeModel,
                ),
                (exif.thumbnail, R::EmbeddedThumbnail),
                (exif.description, R::Descriptions),
                (exif.software.is_some(), R::EditingSoftware),
                (exif.maker_note, R::MakerNotes),
                (exif.tag_count > 0, R::CameraSettings),
                (exif.malformed, R::OtherMetadata),
            ];
            add_where(items, pairs);
        }
        CarrierKind::Xmp | CarrierKind::ExtendedXmp => {
            add_hints(items);
            items.insert(R::Descriptions);
        }
        CarrierKind::IptcPhotoshop => {
            add_hints(items);
            items.insert(R::Descriptions);
        }
        CarrierKind::Comment => {
            add_hints(items);
            items.insert(R::Descriptions);
        }
        CarrierKind::IccProfile => {
            items.insert(R::ColourProfile);
        }
        CarrierKind::Mpf | CarrierKind::EmbeddedImage => {
            items.insert(R::ExtraImages);
        }
        CarrierKind::Jfxx => {
            items.insert(R::EmbeddedThumbnail);
        }
        CarrierKind::Timestamp => {
            items.insert(R::ModificationTime);
        }
        CarrierKind::Trailer => {
            items.insert(R::HiddenData);
        }
        CarrierKind::OtherApplication | CarrierKind::OtherChunk | CarrierKind::StrayBytes => {
            add_hints(items);
            items.insert(R::OtherMetadata);
        }
        // Structural segments that are rebuilt fresh; a JFIF thumbnail is flagged by the parser
        // as a separate Jfxx-style carrier.
        CarrierKind::Jfif | CarrierKind::Adobe => {}
    }
}
