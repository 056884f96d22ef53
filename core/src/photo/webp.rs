//! WebP: walk the RIFF chunks, keep the bitstream (and its alpha), drop EXIF, XMP and ICC.
//!
//! Real files put EXIF in simple (non-VP8X) WebPs too, start EXIF payloads with `Exif\0\0`,
//! and name the XMP chunk `XMP\0`: every chunk that is not image data is dropped, whatever its
//! name. The rebuilt file is a simple WebP, or a VP8X one with only the alpha flag when the
//! lossy bitstream has a separate ALPH chunk; the RIFF size is recomputed. Animated files are
//! refused: a room photo is a still image.

use crate::photo::carrier::{self, Carrier, CarrierKind, TextHints};
use crate::photo::{Orientation, PhotoError, exif};

const VP8X_ANIMATION: u8 = 0x02;
const VP8X_ALPHA: u8 = 0x10;

/// Which bitstream holds the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bitstream {
    /// VP8, lossy.
    Lossy,
    /// VP8L, lossless.
    Lossless,
}

/// What a walk of a WebP found.
#[derive(Debug, Clone)]
pub struct WebpLayout {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Lossy or lossless.
    pub bitstream: Bitstream,
    /// A separate alpha (ALPH) chunk.
    pub has_alpha_chunk: bool,
    /// Orientation from the EXIF chunk, upright otherwise.
    pub orientation: Orientation,
    /// Every metadata carrier, in file order.
    pub carriers: Vec<Carrier>,
    alpha: Option<std::ops::Range<usize>>,
    image: std::ops::Range<usize>,
}

fn le32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn le24(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], 0])
}

/// Walk a WebP's RIFF container.
pub fn parse(data: &[u8]) -> Result<WebpLayout, PhotoError> {
    if data.len() < 12 || !data.starts_with(b"RIFF") || &data[8..12] != b"WEBP" {
        return Err(PhotoError::corrupt("WebP RIFF header missing"));
    }
    // Computed in u64: on 32-bit targets (the widget's wasm32) `8 + u32::MAX` overflows usize,
    // which panics in debug builds and wraps to a bogus end in release.
    let declared_end = 8u64 + u64::from(le32(data, 4));
    let Some(riff_end) = usize::try_from(declared_end)
        .ok()
        .filter(|&end| end <= data.len())
    else {
        return Err(PhotoError::truncated(format!(
            "the RIFF container declares {declared_end} bytes but the file has {}",
            data.len()
        )));
    };
    let mut pos = 12usize;
    let mut canvas = None;
    let mut image: Option<(std::ops::Range<usize>, Bitstream, u32, u32)> = None;
    let mut alpha = None;
    let mut orientation = None;
    let mut carriers = Vec::new();
    while pos < riff_end {
        if pos + 8 > riff_end {
            return Err(PhotoError::truncated(format!(
                "the chunk header at offset {pos} is cut off"
            )));
        }
        let fourcc = [data[pos], data[pos + 1], data[pos + 2], data[pos + 3]];
        let size = le32(data, pos + 4) as usize;
        let body_start = pos + 8;
        let body_end = body_start
            .checked_add(size)
            .filter(|&e| e <= riff_end)
            .ok_or_else(|| {
                PhotoError::truncated(format!(
                    "the {} chunk at offset {pos} runs past the end of the file",
                    String::from_utf8_lossy(&fourcc)
                ))
            })?;
        // Chunks are padded to an even length; a missing final pad byte is tolerated.
        let chunk_end = (body_end + (size & 1)).min(riff_end);
        let body = &data[body_start..body_end];
        let first = pos == 12;
        match &fourcc {
            b"VP8X" => {
                if !first || body.len() < 10 {
                    return Err(PhotoError::corrupt("misplaced or short VP8X chunk"));
                }
                if body[0] & VP8X_ANIMATION != 0 {
                    return Err(PhotoError::AnimatedWebp);
                }
                canvas = Some((le24(body, 4) + 1, le24(body, 7) + 1));
            }
            b"ANIM" | b"ANMF" => return Err(PhotoError::AnimatedWebp),
            b"ALPH" => {
                if image.is_some() || alpha.is_some() {
                    return Err(PhotoError::corrupt("misplaced ALPH chunk"));
                }
                alpha = Some(pos..chunk_end);
            }
            b"VP8 " | b"VP8L" => {
                if image.is_some() {
                    return Err(PhotoError::corrupt(
                        "more than one image bitstream in a still WebP",
                    ));
                }
                let (bitstream, (w, h)) = if &fourcc == b"VP8 " {
                    (Bitstream::Lossy, vp8_dimensions(body)?)
                } else {
                    (Bitstream::Lossless, vp8l_dimensions(body)?)
                };
                image = Some((pos..chunk_end, bitstream, w, h));
            }
            _ => {
                if first {
                    return Err(PhotoError::corrupt(
                        "the first WebP chunk is not an image chunk",
                    ));
                }
                let carrier = classify(&fourcc, body, pos, chunk_end - pos);
                if carrier.kind == CarrierKind::Exif && orientation.is_none() {
                    orientation = Some(exif::read_orientation(exif::chunk_tiff(body)));
                }
                carrier::push(&mut carriers, carrier)?;
            }
        }
        pos = chunk_end;
    }
    if riff_end < data.len() {
        let mut trailer = Carrier::new(
            CarrierKind::Trailer,
            "data after the RIFF container",
            riff_end,
            data.len() - riff_end,
        );
        trailer.hints = TextHints::scan(&data[riff_end..]);
        carrier::push(&mut carriers, trailer)?;
    }
    let Some((image, bitstream, width, height)) = image else {
        return Err(PhotoError::corrupt("the WebP has no image data"));
    };
    if let Some(canvas) = canvas
        && canvas != (width, height)
    {
        return Err(PhotoError::corrupt(format!(
            "the canvas is {}×{} but the picture is {width}×{height}",
            canvas.0, canvas.1
        )));
    }
    if alpha.is_some() && bitstream == Bitstream::Lossless {
        return Err(PhotoError::corrupt(
            "an ALPH chunk beside a lossless bitstream",
        ));
    }
    Ok(WebpLayout {
        width,
        height,
        bitstream,
        has_alpha_chunk: alpha.is_some(),
        orientation: orientation.unwrap_or_default(),
        carriers,
        alpha,
        image,
    })
}

fn vp8_dimensions(body: &[u8]) -> Result<(u32, u32), PhotoError> {
    if body.len() < 10 || body[3..6] != [0x9D, 0x01, 0x2A] || body[0] & 1 != 0 {
        return Err(PhotoError::corrupt(
            "the VP8 bitstream has no key frame header",
        ));
    }
    let w = u32::from(u16::from_le_bytes([body[6], body[7]]) & 0x3FFF);
    let h = u32::from(u16::from_le_bytes([body[8], body[9]]) & 0x3FFF);
    if w == 0 || h == 0 {
        return Err(PhotoError::corrupt(
            "the VP8 bitstream declares a zero size",
        ));
    }
    Ok((w, h))
}

fn vp8l_dimensions(body: &[u8]) -> Result<(u32, u32), PhotoError> {
    if body.len() < 5 || body[0] != 0x2F {
        return Err(PhotoError::corrupt("the VP8L bitstream has no signature"));
    }
    let bits = le32(body, 1);
    if bits >> 29 != 0 {
        return Err(PhotoError::corrupt(
            "the VP8L bitstream has an unknown version",
        ));
    }
    Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
}

fn classify(fourcc: &[u8; 4], body: &[u8], offset: usize, length: usize) -> Carrier {
    let name = format!(
        "{} chunk",
        String::from_utf8_lossy(fourcc).trim_end_matches(['\0', ' '])
    );
    let kind = match fourcc {
        b"EXIF" => CarrierKind::Exif,
        b"XMP " | b"XMP\0" => CarrierKind::Xmp,
        b"ICCP" => CarrierKind::IccProfile,
        _ => CarrierKind::OtherChunk,
    };
    let mut carrier = Carrier::new(kind, name, offset, length);
    if kind == CarrierKind::Exif {
        carrier.exif = Some(exif::summarize(exif::chunk_tiff(body)));
    } else {
        carrier.hints = TextHints::scan(body);
    }
    carrier
}

/// Rebuild the WebP from its bitstream (and alpha), with a correct RIFF size.
pub fn rebuild(data: &[u8], layout: &WebpLayout) -> Vec<u8> {
    let mut chunks =
        Vec::with_capacity(layout.image.len() + layout.alpha.as_ref().map_or(0, |a| a.len()) + 18);
    if let Some(alpha) = &layout.alpha {
        let mut vp8x = [0u8; 10];
        vp8x[0] = VP8X_ALPHA;
        vp8x[4..7].copy_from_slice(&(layout.width - 1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&(layout.height - 1).to_le_bytes()[..3]);
        chunks.extend_from_slice(b"VP8X");
        chunks.extend_from_slice(&10u32.to_le_bytes());
        chunks.extend_from_slice(&vp8x);
        chunks.extend_from_slice(&data[alpha.clone()]);
    }
    chunks.extend_from_slice(&data[layout.image.clone()]);
    if chunks.len() % 2 == 1 {
        chunks.push(0); // the pad byte a truncated original omitted
    }
    let riff_size =
        u32::try_from(4 + chunks.len()).expect("the output is smaller than the RIFF input");
    let mut out = Vec::with_capacity(12 + chunks.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(fourcc: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = fourcc.to_vec();
        c.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend(body);
        out
    }

    const VP8L_3X2: [u8; 6] = [0x2F, 0x02, 0x40, 0x00, 0x00, 0x00];

    #[test]
    fn drops_exif_and_xmp_and_fixes_the_header() {
        let mut vp8x = vec![0x08 | 0x04, 0, 0, 0];
        vp8x.extend_from_slice(&[2, 0, 0, 1, 0, 0]);
        let data = riff(&[
            chunk(b"VP8X", &vp8x),
            chunk(b"VP8L", &VP8L_3X2),
            chunk(
                b"EXIF",
                &exif::minimal_orientation_exif(Orientation::Rotate180),
            ),
            chunk(b"XMP ", b"<x:xmpmeta/>"),
        ]);
        let layout = parse(&data).unwrap();
        assert_eq!((layout.width, layout.height), (3, 2));
        assert_eq!(layout.orientation, Orientation::Rotate180);
        assert_eq!(layout.carriers.len(), 2);
        let out = rebuild(&data, &layout);
        assert_eq!(out, riff(&[chunk(b"VP8L", &VP8L_3X2)]));
        assert!(parse(&out).unwrap().carriers.is_empty());
    }

    #[test]
    fn a_riff_size_of_u32_max_is_truncated_without_overflow() {
        // 8 + u32::MAX overflowed usize on 32-bit targets (wasm32) before the end was
        // computed in u64; it must be a plain Truncated error everywhere.
        let mut data = riff(&[chunk(b"VP8L", &VP8L_3X2)]);
        data[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(parse(&data), Err(PhotoError::Truncated(_))));
    }

    #[test]
    fn animation_is_refused_and_truncation_is_an_error() {
        let vp8x = [VP8X_ANIMATION, 0, 0, 0, 2, 0, 0, 1, 0, 0];
        assert_eq!(
            parse(&riff(&[chunk(b"VP8X", &vp8x)])).unwrap_err(),
            PhotoError::AnimatedWebp
        );
        let data = riff(&[chunk(b"VP8L", &VP8L_3X2), chunk(b"EXIF", b"MM\0*")]);
        for cut in 0..data.len() {
            assert!(parse(&data[..cut]).is_err(), "cut at {cut}");
        }
    }
}
