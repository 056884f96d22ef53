//! Machine-readable AI labelling (reference text 002 §12; EU AI Act Art. 50(2)): every render
//! carries an XMP packet stating its IPTC digital source type, and nothing else.
//!
//! Which code: IPTC's `trainedAlgorithmicMedia` says the whole image was made by a trained
//! model; `compositeWithTrainedAlgorithmicMedia` says a real photo was combined with generated
//! content. A hosted image model returns a wholly regenerated picture, so its renders are
//! [`DigitalSourceType::TrainedAlgorithmicMedia`]. The built-in compositor keeps the shopper's
//! photo and puts a product surface into it, so its renders are
//! [`DigitalSourceType::CompositeWithTrainedAlgorithmicMedia`]: our notice tells shoppers every
//! render is AI-generated, and the labels that platforms show ("AI info", "Made with AI") are
//! driven by these two codes; the stricter-sounding `compositeSynthetic` would not be flagged by
//! them, and under-labelling is the error we must not make.
//!
//! The packet is written into a JPEG we encoded ourselves (after SOI and our JFIF header), so it
//! is the only metadata in the file.

/// The IPTC digital source types we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitalSourceType {
    /// The image was produced by a trained generative model (hosted AI backends).
    TrainedAlgorithmicMedia,
    /// A real photo combined with generated content (the built-in compositor).
    CompositeWithTrainedAlgorithmicMedia,
}

impl DigitalSourceType {
    /// The IPTC NewsCodes URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::TrainedAlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
            }
            Self::CompositeWithTrainedAlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
            }
        }
    }
}

/// Why a JPEG could not be labelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The bytes do not start with a JPEG SOI marker.
    #[error("not a JPEG (no start-of-image marker)")]
    NotJpeg,
    /// A segment header runs past the end of the file.
    #[error("the JPEG ends inside a segment header")]
    Truncated,
}

const XMP_NAMESPACE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// The XMP packet for `source_type`.
pub fn xmp_packet(source_type: DigitalSourceType) -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" \
         xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\">\
         <Iptc4xmpExt:DigitalSourceType>{}</Iptc4xmpExt:DigitalSourceType>\
         </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>",
        source_type.uri()
    )
}

/// `jpeg` with an XMP APP1 segment stating `source_type`, placed after SOI and any APP0 (JFIF)
/// segment, where readers look for it.
pub fn label_jpeg(jpeg: &[u8], source_type: DigitalSourceType) -> Result<Vec<u8>, LabelError> {
    if jpeg.len() < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
        return Err(LabelError::NotJpeg);
    }
    let mut at = 2;
    // Keep APP0 (JFIF) first: some decoders want it immediately after SOI.
    while jpeg.len() >= at + 4 && jpeg[at] == 0xFF && jpeg[at + 1] == 0xE0 {
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if length < 2 || at + 2 + length > jpeg.len() {
            return Err(LabelError::Truncated);
        }
        at += 2 + length;
    }
    let packet = xmp_packet(source_type);
    let payload_length = XMP_NAMESPACE.len() + packet.len() + 2;
    let segment_length = u16::try_from(payload_length).map_err(|_| LabelError::Truncated)?;
    let mut out = Vec::with_capacity(jpeg.len() + payload_length + 2);
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&segment_length.to_be_bytes());
    out.extend_from_slice(XMP_NAMESPACE);
    out.extend_from_slice(packet.as_bytes());
    out.extend_from_slice(&jpeg[at..]);
    Ok(out)
}

/// The digital source type an XMP packet in `jpeg` states, if any (for tests and the widget's
/// own check of what it received).
pub fn stated_source_type(jpeg: &[u8]) -> Option<&'static str> {
    let text = jpeg
        .windows(XMP_NAMESPACE.len())
        .position(|w| w == XMP_NAMESPACE)?;
    let rest = &jpeg[text..];
    [
        DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
        DigitalSourceType::TrainedAlgorithmicMedia,
    ]
    .into_iter()
    .map(DigitalSourceType::uri)
    .find(|uri| {
        let tagged = format!("<Iptc4xmpExt:DigitalSourceType>{uri}<");
        rest.windows(tagged.len()).any(|w| w == tagged.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packet_goes_after_jfif_and_names_the_type() {
        let jfif = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xDB, 0x00, 0x02, 0xFF, 0xD9,
        ];
        let labelled = label_jpeg(
            &jfif,
            DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
        )
        .unwrap();
        assert_eq!(&labelled[..8], &jfif[..8]);
        assert_eq!(&labelled[8..10], &[0xFF, 0xE1]);
        assert!(labelled.ends_with(&jfif[8..]));
        assert_eq!(
            stated_source_type(&labelled),
            Some(DigitalSourceType::CompositeWithTrainedAlgorithmicMedia.uri())
        );
        assert_eq!(stated_source_type(&jfif), None);
    }

    #[test]
    fn non_jpeg_and_truncated_input_are_refused() {
        assert_eq!(
            label_jpeg(b"\x89PNG", DigitalSourceType::TrainedAlgorithmicMedia),
            Err(LabelError::NotJpeg)
        );
        assert_eq!(
            label_jpeg(
                &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x40],
                DigitalSourceType::TrainedAlgorithmicMedia
            ),
            Err(LabelError::Truncated)
        );
    }
}
