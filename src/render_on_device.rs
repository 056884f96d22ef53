//! "Render on this device": the built-in compositor of `vitrine-core`, the very code the server
//! runs, called from JavaScript on RGBA pixels, so a retailer on the built-in backend can offer a
//! render whose photo never leaves the shopper's device.

use vitrine_core::compositor::{CompositeOptions, Placement, Point, RgbaImage, Texture, composite};
use wasm_bindgen::prelude::*;

/// Composes a product tile into a photo. `photo` and `tile` are RGBA bytes (as `ImageData`
/// holds them); `corners` are eight numbers, the region's corners in photo pixels (far-left,
/// far-right, near-right, near-left on a floor); sizes are in metres. Returns the RGBA render,
/// or throws `{ code, message }` (`code`: `bad_image`, `bad_placement`).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn composite_on_device(
    photo: Vec<u8>,
    width: u32,
    height: u32,
    tile: Vec<u8>,
    tile_width: u32,
    tile_height: u32,
    tile_width_m: f32,
    tile_height_m: f32,
    corners: &[f32],
    width_m: f32,
    depth_m: f32,
) -> Result<Vec<u8>, JsValue> {
    let error = |code: &str, message: String| -> JsValue {
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &"code".into(), &code.into());
        let _ = js_sys::Reflect::set(&object, &"message".into(), &message.into());
        object.into()
    };
    let photo =
        RgbaImage::new(width, height, photo).map_err(|e| error("bad_image", e.to_string()))?;
    let tile = RgbaImage::new(tile_width, tile_height, tile)
        .map_err(|e| error("bad_image", e.to_string()))?;
    let [x1, y1, x2, y2, x3, y3, x4, y4] = corners else {
        return Err(error("bad_placement", "corners must be 8 numbers".into()));
    };
    let placement = Placement {
        corners: [(x1, y1), (x2, y2), (x3, y3), (x4, y4)].map(|(&x, &y)| Point { x, y }),
        width_m,
        depth_m,
    };
    let texture = Texture {
        tile,
        tile_width_m,
        tile_height_m,
    };
    composite(&photo, &texture, &placement, CompositeOptions::default())
        .map(RgbaImage::into_pixels)
        .map_err(|e| error("bad_placement", e.to_string()))
}

/// Labels a render made on this device as AI-generated, exactly as the server labels the
/// compositor's renders (XMP `Iptc4xmpExt:DigitalSourceType` =
/// `compositeWithTrainedAlgorithmicMedia`). `jpeg` is the browser's encoding of the composite.
/// Throws `{ code: "label_failed", message }` when the bytes are not a JPEG.
#[wasm_bindgen]
pub fn label_device_render(jpeg: &[u8]) -> Result<Vec<u8>, JsValue> {
    use vitrine_core::ai_label::{DigitalSourceType, label_jpeg};
    label_jpeg(
        jpeg,
        DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
    )
    .map_err(|e| {
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &"code".into(), &"label_failed".into());
        let _ = js_sys::Reflect::set(&object, &"message".into(), &e.to_string().into());
        object.into()
    })
}
