//! A structurally valid JPEG with no pixel data, for tests of what is decided from the headers:
//! SOI, optionally an APP1 Exif with one IFD0 entry (Orientation), a baseline SOF0 of the given
//! size, an empty SOS, EOI. Shared by `src/photo_plan.rs`'s unit tests and
//! `tests/core_in_browser.rs` (included with `#[path]`).

/// The JPEG; `orientation` adds the Exif Orientation tag with that value.
pub fn tiny_jpeg(width: u16, height: u16, orientation: Option<u16>) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    if let Some(orientation) = orientation {
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(app1.len() + 2).expect("tiny").to_be_bytes());
        out.extend_from_slice(&app1);
    }
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    out.extend_from_slice(&[0x00, 0xFF, 0xD9]);
    out
}
