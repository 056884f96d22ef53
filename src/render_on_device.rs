//! "Render on this device": the built-in compositor of `vitrine-core`, the very code the server
//! runs, in the shopper's browser, so a retailer on the built-in backend can offer a render whose
//! photo never leaves the device. The photo and the tile are decoded, and the render encoded, by
//! the browser's codecs through [`crate::browser_codec`] — the same path, and the same JPEG
//! quality, as a prepared photo.

use js_sys::Uint8Array;
use serde::{Deserialize, Serialize};
use vitrine_core::ai_label::{DigitalSourceType, label_jpeg};
use vitrine_core::compositor::{CompositeOptions, Placement, Point, RgbaImage, Texture, composite};
use wasm_bindgen::prelude::*;

use crate::browser_codec::{decode_to_rgba, encode_rgba_to_jpeg};
use crate::error::WidgetError;
use crate::photo_plan::JPEG_QUALITY;

/// RGBA pixels as `ImageData` holds them.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pixels {
    /// Four bytes per pixel, row by row.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub rgba: Uint8Array,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// What [`composite_on_device`] takes, as one JS object: `{ photo: { rgba, width, height },
/// tile: { rgba, width, height }, tileWidthM, tileHeightM, corners, widthM, depthM }`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeRequest {
    /// The room photo.
    pub photo: Pixels,
    /// One tile of the product.
    pub tile: Pixels,
    /// The tile's real width in metres.
    pub tile_width_m: f32,
    /// The tile's real height in metres.
    pub tile_height_m: f32,
    /// Eight numbers: the region's corners in photo pixels (far-left, far-right, near-right,
    /// near-left on a floor).
    pub corners: Vec<f32>,
    /// The region's real width in metres.
    pub width_m: f32,
    /// The region's real depth (floor) or height (wall) in metres.
    pub depth_m: f32,
}

/// What the widget's worker hands [`render_on_device`]: the cleaned photo and the product's tile
/// as encoded files, the placement as the server takes it (corners as fractions of the photo).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRenderRequest {
    /// The cleaned photo's bytes.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub photo: Uint8Array,
    /// Their MIME type.
    pub photo_mime: String,
    /// The product tile's bytes.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub texture: Uint8Array,
    /// Their MIME type.
    pub texture_mime: String,
    /// The tile's real width in metres.
    pub tile_width_m: f32,
    /// The tile's real height in metres.
    pub tile_height_m: f32,
    /// Eight numbers: the corners as fractions of the photo's width and height.
    pub corners: Vec<f32>,
    /// The region's real width in metres.
    pub width_m: f32,
    /// The region's real depth (floor) or height (wall) in metres.
    pub depth_m: f32,
}

/// The labelled render.
#[derive(Debug, Serialize)]
pub struct DeviceRender {
    /// The JPEG, labelled AI-generated.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub bytes: Uint8Array,
    /// Width in pixels (the photo's).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Composes a product tile into a photo (see [`CompositeRequest`]). Returns the RGBA render, or
/// throws `{ code, message }` (`code`: `bad_image`, `bad_placement`).
#[wasm_bindgen]
pub fn composite_on_device(request: JsValue) -> Result<Vec<u8>, JsValue> {
    let request: CompositeRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| WidgetError::BadImage(format!("not a composite request: {e}")))?;
    let photo = image(request.photo)?;
    let tile = image(request.tile)?;
    let placement = placement(
        &request.corners,
        (1.0, 1.0),
        request.width_m,
        request.depth_m,
    )?;
    Ok(compose(
        &photo,
        tile,
        (request.tile_width_m, request.tile_height_m),
        &placement,
    )?)
}

/// Renders on this device (see [`DeviceRenderRequest`]): decodes both images with the browser,
/// composes, encodes a JPEG and labels it. Resolves to `{ bytes, width, height }`; rejects with
/// `{ code, message }` (`decode_failed`, `encode_failed`, `bad_image`, `bad_placement`,
/// `label_failed`).
#[wasm_bindgen]
pub async fn render_on_device(request: JsValue) -> Result<JsValue, JsValue> {
    let request: DeviceRenderRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| WidgetError::BadImage(format!("not a render request: {e}")))?;
    let render = render(request).await?;
    // A struct of numbers and a Uint8Array always serialises.
    serde_wasm_bindgen::to_value(&render).map_err(JsValue::from)
}

async fn render(request: DeviceRenderRequest) -> Result<DeviceRender, WidgetError> {
    let photo = decode(&request.photo, &request.photo_mime).await?;
    let tile = decode(&request.texture, &request.texture_mime).await?;
    let size = (photo.width(), photo.height());
    #[allow(clippy::cast_precision_loss)]
    let scale = (size.0 as f32, size.1 as f32);
    let placement = placement(&request.corners, scale, request.width_m, request.depth_m)?;
    let rgba = compose(
        &photo,
        tile,
        (request.tile_width_m, request.tile_height_m),
        &placement,
    )?;
    let encoded = encode_rgba_to_jpeg(&rgba, size, JPEG_QUALITY)
        .await
        .map_err(vitrine_core::photo::PhotoError::from)?;
    let labelled = label(&encoded)?;
    Ok(DeviceRender {
        bytes: Uint8Array::from(labelled.as_slice()),
        width: size.0,
        height: size.1,
    })
}

async fn decode(bytes: &Uint8Array, mime: &str) -> Result<RgbaImage, WidgetError> {
    let (width, height, rgba) = decode_to_rgba(&bytes.to_vec(), mime)
        .await
        .map_err(vitrine_core::photo::PhotoError::from)?;
    RgbaImage::new(width, height, rgba).map_err(|e| WidgetError::BadImage(e.to_string()))
}

fn image(pixels: Pixels) -> Result<RgbaImage, WidgetError> {
    RgbaImage::new(pixels.width, pixels.height, pixels.rgba.to_vec())
        .map_err(|e| WidgetError::BadImage(e.to_string()))
}

/// The placement from eight numbers, each pair scaled by `scale` (1 for pixels, the photo's size
/// for fractions).
fn placement(
    corners: &[f32],
    scale: (f32, f32),
    width_m: f32,
    depth_m: f32,
) -> Result<Placement, WidgetError> {
    let [x1, y1, x2, y2, x3, y3, x4, y4] = corners else {
        return Err(WidgetError::BadPlacement(
            "corners must be 8 numbers".into(),
        ));
    };
    Ok(Placement {
        corners: [(x1, y1), (x2, y2), (x3, y3), (x4, y4)].map(|(&x, &y)| Point {
            x: x * scale.0,
            y: y * scale.1,
        }),
        width_m,
        depth_m,
    })
}

fn compose(
    photo: &RgbaImage,
    tile: RgbaImage,
    (tile_width_m, tile_height_m): (f32, f32),
    placement: &Placement,
) -> Result<Vec<u8>, WidgetError> {
    let texture = Texture {
        tile,
        tile_width_m,
        tile_height_m,
    };
    composite(photo, &texture, placement, CompositeOptions::default())
        .map(RgbaImage::into_pixels)
        .map_err(|e| WidgetError::BadPlacement(e.to_string()))
}

/// Labels the render as AI-generated, exactly as the server labels the compositor's renders (XMP
/// `Iptc4xmpExt:DigitalSourceType` = `compositeWithTrainedAlgorithmicMedia`).
fn label(jpeg: &[u8]) -> Result<Vec<u8>, WidgetError> {
    label_jpeg(
        jpeg,
        DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
    )
    .map_err(|e| WidgetError::LabelFailed(e.to_string()))
}
