//! "Render on this device" in headless Chromium: the compositor export gives, in the browser,
//! byte for byte what the native core gives, leaves pixels outside the region untouched, and
//! refuses a bad placement with a code instead of trapping; the whole device render (decoded and
//! encoded by the browser through the Rust codec path) comes out upright and labelled.
#![cfg(target_arch = "wasm32")]

use vitrine_core::compositor::{CompositeOptions, Placement, Point, RgbaImage, Texture, composite};
use vitrine_widget::render_on_device::{
    CompositeRequest, DeviceRenderRequest, Pixels, composite_on_device, render_on_device,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn gradient(w: u32, h: u32) -> Vec<u8> {
    (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [(x * 255 / w) as u8, (y * 255 / h) as u8, 120, 255]
        })
        .collect()
}

fn checker(size: u32) -> Vec<u8> {
    (0..size * size)
        .flat_map(|i| {
            let v = if ((i % size) < size / 2) == ((i / size) < size / 2) {
                220
            } else {
                40
            };
            [v, v / 2, 30, 255]
        })
        .collect()
}

const CORNERS: [f32; 8] = [60.0, 70.0, 180.0, 70.0, 230.0, 160.0, 10.0, 160.0];

fn pixels(rgba: &[u8], width: u32, height: u32) -> Pixels {
    Pixels {
        rgba: rgba.into(),
        width,
        height,
    }
}

/// A request as JavaScript sends it (one plain object), with 0.5 m tiles.
fn request(photo: Pixels, tile: Pixels, corners: &[f32], size_m: (f32, f32)) -> JsValue {
    let request = CompositeRequest {
        photo,
        tile,
        tile_width_m: 0.5,
        tile_height_m: 0.5,
        corners: corners.to_vec(),
        width_m: size_m.0,
        depth_m: size_m.1,
    };
    serde_wasm_bindgen::to_value(&request).expect("a plain object")
}

#[wasm_bindgen_test]
fn the_browser_render_is_the_native_render() {
    let (w, h) = (240, 160);
    let out = composite_on_device(request(
        pixels(&gradient(w, h), w, h),
        pixels(&checker(32), 32, 32),
        &CORNERS,
        (3.0, 2.0),
    ))
    .expect("a render");
    let placement = Placement {
        corners: [(60.0, 70.0), (180.0, 70.0), (230.0, 160.0), (10.0, 160.0)]
            .map(|(x, y)| Point { x, y }),
        width_m: 3.0,
        depth_m: 2.0,
    };
    let texture = Texture {
        tile: RgbaImage::new(32, 32, checker(32)).expect("tile"),
        tile_width_m: 0.5,
        tile_height_m: 0.5,
    };
    let native = composite(
        &RgbaImage::new(w, h, gradient(w, h)).expect("photo"),
        &texture,
        &placement,
        CompositeOptions::default(),
    )
    .expect("composite");
    assert_eq!(out, native.into_pixels(), "the same core, the same bytes");
    let photo = gradient(w, h);
    // Above the region (rows 0..60) nothing changed; inside it, the texture is there.
    assert_eq!(
        &out[..(60 * w * 4) as usize],
        &photo[..(60 * w * 4) as usize]
    );
    let inside = ((120 * w + 120) * 4) as usize;
    assert_ne!(&out[inside..inside + 3], &photo[inside..inside + 3]);
}

#[wasm_bindgen_test]
fn bad_input_is_refused_with_a_code() {
    let code = |error: JsValue| {
        js_sys::Reflect::get(&error, &"code".into())
            .ok()
            .and_then(|c| c.as_string())
            .unwrap_or_default()
    };
    let bowtie = [0.0, 0.0, 100.0, 100.0, 100.0, 0.0, 0.0, 100.0];
    let photo = gradient(120, 120);
    let cases: [(&str, &[u8], &[f32], &str); 3] = [
        ("crossed corners", &photo, &bowtie, "bad_placement"),
        ("short buffer", &[0; 10], &CORNERS, "bad_image"),
        ("six numbers", &photo, &CORNERS[..6], "bad_placement"),
    ];
    for (case, photo, corners, expected) in cases {
        let tile = pixels(&checker(8), 8, 8);
        let error =
            composite_on_device(request(pixels(photo, 120, 120), tile, corners, (3.0, 3.0)))
                .expect_err(case);
        assert_eq!(code(error), expected, "{case}");
    }
}

const ROTATED_JPEG: &[u8] =
    include_bytes!("../../shared/fixtures/photos/ia__orientation_portrait_6.jpg");
const TILE_PNG: &[u8] = include_bytes!("../../shared/fixtures/photos/mat2__data_dirty.png");

fn field(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &key.into()).expect("a plain object")
}

fn device_request(photo: &[u8]) -> JsValue {
    let request = DeviceRenderRequest {
        photo: photo.into(),
        photo_mime: "image/jpeg".into(),
        texture: TILE_PNG.into(),
        texture_mime: "image/png".into(),
        tile_width_m: 0.5,
        tile_height_m: 0.5,
        corners: vec![0.22, 0.6, 0.78, 0.6, 0.98, 0.97, 0.02, 0.97],
        width_m: 4.0,
        depth_m: 4.0,
    };
    serde_wasm_bindgen::to_value(&request).expect("a plain object")
}

#[wasm_bindgen_test]
async fn a_device_render_is_upright_and_labelled() {
    let render = render_on_device(device_request(ROTATED_JPEG))
        .await
        .expect("a render");
    // Stored 600×450 with "rotate 90° CW": shown, and so rendered, 450×600.
    assert_eq!(field(&render, "width").as_f64(), Some(450.0));
    assert_eq!(field(&render, "height").as_f64(), Some(600.0));
    let bytes = js_sys::Uint8Array::new(&field(&render, "bytes")).to_vec();
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    let label = b"compositeWithTrainedAlgorithmicMedia";
    assert!(
        bytes.windows(label.len()).any(|w| w == label),
        "labelled AI-generated"
    );
}

#[wasm_bindgen_test]
async fn a_photo_the_browser_cannot_open_is_refused_with_a_code() {
    let error = render_on_device(device_request(b"not a photo at all"))
        .await
        .expect_err("undecodable");
    assert_eq!(
        field(&error, "code").as_string().as_deref(),
        Some("decode_failed")
    );
}
