//! PNG: walk the chunks (lengths and CRCs checked), keep the ones needed to display the picture.
//!
//! Kept: IHDR, PLTE, tRNS (transparency is part of the picture), IDAT, IEND. Everything else is
//! ancillary and removed: text (tEXt, zTXt, iTXt), eXIf, tIME, colour chunks (iCCP, sRGB, gAMA,
//! cHRM, cICP …: pixels are kept as they are and treated as sRGB), pHYs, APNG animation control
//! (the default image stays) and unknown chunks. An unknown *critical* chunk means a decoder
//! could not show the file, so it is refused.

use crate::photo::carrier::{self, Carrier, CarrierKind, TextHints};
use crate::photo::{Orientation, PhotoError, exif};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// PNG's own bound on a chunk length.
const MAX_CHUNK: usize = 0x7FFF_FFFF;

/// The IHDR header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bits per sample.
    pub bit_depth: u8,
    /// Colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA).
    pub colour_type: u8,
    /// Adam7 interlaced.
    pub interlaced: bool,
}

/// What a walk of a PNG found.
#[derive(Debug, Clone)]
pub struct PngLayout {
    /// The header.
    pub header: Header,
    /// Orientation from an eXIf chunk (browsers honour it), upright otherwise.
    pub orientation: Orientation,
    /// Every metadata carrier, in file order.
    pub carriers: Vec<Carrier>,
    /// Animation control found (APNG): its frames are dropped, the default image kept.
    pub animated: bool,
    kept: Vec<std::ops::Range<usize>>,
}

fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Walk a PNG from the signature to IEND.
pub fn parse(data: &[u8]) -> Result<PngLayout, PhotoError> {
    if !data.starts_with(SIGNATURE) {
        return Err(PhotoError::corrupt("PNG signature missing"));
    }
    let mut pos = SIGNATURE.len();
    let mut header = None;
    let mut orientation = None;
    let mut carriers = Vec::new();
    let mut kept = Vec::new();
    let mut animated = false;
    let mut seen_idat = false;
    loop {
        if pos + 12 > data.len() {
            return Err(PhotoError::truncated("the PNG ends before its IEND chunk"));
        }
        let length = be32(data, pos) as usize;
        if length > MAX_CHUNK {
            return Err(PhotoError::corrupt(format!(
                "chunk at offset {pos} declares length {length}"
            )));
        }
        let kind: [u8; 4] = [data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]];
        let name = String::from_utf8_lossy(&kind).into_owned();
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(PhotoError::corrupt(format!(
                "invalid chunk type at offset {pos}"
            )));
        }
        let end = pos + 12 + length;
        if end > data.len() {
            return Err(PhotoError::truncated(format!(
                "the {name} chunk at offset {pos} runs {} bytes past the end of the file",
                end - data.len()
            )));
        }
        let body = &data[pos + 8..pos + 8 + length];
        let crc = be32(data, pos + 8 + length);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&kind);
        hasher.update(body);
        if hasher.finalize() != crc {
            return Err(PhotoError::corrupt(format!(
                "the {name} chunk at offset {pos} fails its CRC check"
            )));
        }
        if header.is_none() && &kind != b"IHDR" {
            return Err(PhotoError::corrupt("the first PNG chunk is not IHDR"));
        }
        match &kind {
            b"IHDR" => {
                if header.is_some() {
                    return Err(PhotoError::corrupt("more than one IHDR chunk"));
                }
                header = Some(parse_header(body)?);
                carrier::keep(&mut kept, pos..end);
            }
            b"PLTE" | b"tRNS" => carrier::keep(&mut kept, pos..end),
            b"IDAT" => {
                seen_idat = true;
                carrier::keep(&mut kept, pos..end);
            }
            b"IEND" => {
                if !seen_idat {
                    return Err(PhotoError::corrupt("the PNG has no image data"));
                }
                if end < data.len() {
                    let mut trailer = Carrier::new(
                        CarrierKind::Trailer,
                        "data after IEND",
                        end,
                        data.len() - end,
                    );
                    trailer.hints = TextHints::scan(&data[end..]);
                    carrier::push(&mut carriers, trailer)?;
                }
                break;
            }
            _ if kind[0].is_ascii_uppercase() => {
                return Err(PhotoError::corrupt(format!(
                    "unknown critical chunk {name}: this PNG needs a decoder we do not have"
                )));
            }
            _ => {
                let carrier = classify_ancillary(&kind, body, pos, end - pos);
                if carrier.kind == CarrierKind::Exif && orientation.is_none() {
                    orientation = Some(exif::read_orientation(exif::chunk_tiff(body)));
                }
                animated |= &kind == b"acTL";
                carrier::push(&mut carriers, carrier)?;
            }
        }
        pos = end;
    }
    let header = header.ok_or_else(|| PhotoError::corrupt("no IHDR chunk"))?;
    Ok(PngLayout {
        header,
        orientation: orientation.unwrap_or_default(),
        carriers,
        animated,
        kept,
    })
}

fn parse_header(body: &[u8]) -> Result<Header, PhotoError> {
    if body.len() != 13 {
        return Err(PhotoError::corrupt("IHDR is not 13 bytes long"));
    }
    let width = be32(body, 0);
    let height = be32(body, 4);
    if width == 0 || height == 0 || width > MAX_CHUNK as u32 || height > MAX_CHUNK as u32 {
        return Err(PhotoError::corrupt(format!(
            "IHDR declares {width}×{height} pixels"
        )));
    }
    let (bit_depth, colour_type) = (body[8], body[9]);
    let depth_ok = match colour_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    if !depth_ok || body[10] != 0 || body[11] != 0 || body[12] > 1 {
        return Err(PhotoError::corrupt(
            "IHDR declares an invalid bit depth, colour type or method",
        ));
    }
    Ok(Header {
        width,
        height,
        bit_depth,
        colour_type,
        interlaced: body[12] == 1,
    })
}

fn classify_ancillary(kind: &[u8; 4], body: &[u8], offset: usize, length: usize) -> Carrier {
    let name = String::from_utf8_lossy(kind).into_owned();
    let carrier_kind = match kind {
        b"eXIf" => CarrierKind::Exif,
        b"tEXt" | b"zTXt" | b"iTXt" => CarrierKind::Comment,
        b"tIME" => CarrierKind::Timestamp,
        b"iCCP" => CarrierKind::IccProfile,
        _ => CarrierKind::OtherChunk,
    };
    let mut carrier = Carrier::new(carrier_kind, name, offset, length);
    match carrier_kind {
        CarrierKind::Exif => carrier.exif = Some(exif::summarize(exif::chunk_tiff(body))),
        CarrierKind::Comment => {
            let keyword: String = body
                .iter()
                .take_while(|&&b| b != 0)
                .take(79)
                .map(|&b| char::from(b))
                .collect();
            carrier.hints = TextHints::scan(body);
            // ImageMagick and exiftool store whole EXIF/XMP blocks in text chunks.
            let lower = keyword.to_ascii_lowercase();
            if lower.contains("exif") || lower.contains("xmp") || lower.contains("iptc") {
                carrier.hints.location |= TextHints::scan(body).location;
                carrier.hints.date = true;
            }
            carrier.label = Some(keyword);
        }
        CarrierKind::OtherChunk => carrier.hints = TextHints::scan(body),
        _ => {}
    }
    carrier
}

/// Rebuild the PNG from the chunks needed to display it.
pub fn rebuild(data: &[u8], layout: &PngLayout) -> Vec<u8> {
    let kept_len: usize = layout.kept.iter().map(|r| r.len()).sum();
    let mut out = Vec::with_capacity(SIGNATURE.len() + kept_len + 12);
    out.extend_from_slice(SIGNATURE);
    for range in &layout.kept {
        out.extend_from_slice(&data[range.clone()]);
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc32fast::hash(b"IEND").to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = (u32::try_from(body.len()).unwrap()).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(body);
        let mut h = crc32fast::Hasher::new();
        h.update(kind);
        h.update(body);
        c.extend_from_slice(&h.finalize().to_be_bytes());
        c
    }

    fn synthetic() -> Vec<u8> {
        let mut p = SIGNATURE.to_vec();
        p.extend(chunk(b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        p.extend(chunk(b"tEXt", b"Author\0Someone"));
        p.extend(chunk(b"tIME", &[7, 230, 1, 2, 3, 4, 5]));
        p.extend(chunk(
            b"IDAT",
            &[
                0x78, 0x01, 0x63, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01,
            ],
        ));
        p.extend(chunk(b"IEND", b""));
        p.extend_from_slice(b"hidden");
        p
    }

    #[test]
    fn keeps_pixels_drops_text_time_and_trailer() {
        let data = synthetic();
        let layout = parse(&data).unwrap();
        assert_eq!((layout.header.width, layout.header.height), (2, 1));
        let kinds: Vec<_> = layout.carriers.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CarrierKind::Comment,
                CarrierKind::Timestamp,
                CarrierKind::Trailer
            ]
        );
        let out = rebuild(&data, &layout);
        let again = parse(&out).unwrap();
        assert!(again.carriers.is_empty());
        assert_eq!(
            out.len(),
            data.len() - chunk(b"tEXt", b"Author\0Someone").len() - 19 - 6
        );
    }

    #[test]
    fn bad_crc_and_truncation_are_errors() {
        let mut data = synthetic();
        let last = data.len() - 7;
        data[last - 20] ^= 1;
        assert!(parse(&data).is_err());
        let data = synthetic();
        for cut in 0..data.len() - 6 {
            assert!(parse(&data[..cut]).is_err(), "cut at {cut}");
        }
    }
}
