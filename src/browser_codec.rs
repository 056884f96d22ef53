//! Decode, turn, downscale and re-encode with the browser's own codecs (createImageBitmap and
//! OffscreenCanvas): native speed and no image decoder in our WASM, which keeps it small. The
//! prepared photo and the render on this device both go through here, so both are decoded the
//! same way and encoded at the same quality.
//!
//! The bytes handed in carry no orientation, so no browser's EXIF handling can turn the photo
//! twice or not at all; the turn is the explicit canvas transform from `vitrine-core`.

use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, ImageBitmap, ImageBitmapOptions, ImageData, ImageEncodeOptions,
    ImageOrientation, OffscreenCanvas, OffscreenCanvasRenderingContext2d, PremultiplyAlpha,
    ResizeQuality, WorkerGlobalScope,
};

use crate::js_error::{BrowserError, CodecError, js_to_error};

/// One redraw: what to decode, at which size, how to turn it, what to encode.
#[derive(Debug)]
pub struct RedrawJob<'a> {
    /// Metadata-free image bytes.
    pub bytes: &'a [u8],
    /// Their MIME type.
    pub mime_type: &'a str,
    /// Decode-and-resize size, stored orientation.
    pub decode_size: (u32, u32),
    /// Output canvas size, displayed orientation.
    pub output_size: (u32, u32),
    /// Canvas transform drawing the decoded bitmap upright.
    pub transform: [f64; 6],
    /// JPEG quality, 0–1.
    pub quality: f64,
}

/// Run the job and return the browser encoder's JPEG bytes (not yet re-stripped or verified).
pub async fn redraw_to_jpeg(job: &RedrawJob<'_>) -> Result<Vec<u8>, CodecError> {
    let bitmap = decode_resized(job).await.map_err(CodecError::Decode)?;
    let canvas = draw_upright(&bitmap, job);
    bitmap.close();
    let canvas = canvas.map_err(CodecError::Decode)?;
    let encoded = encode_jpeg(&canvas, job.quality)
        .await
        .map_err(CodecError::Encode);
    release(&canvas);
    encoded
}

async fn decode_resized(job: &RedrawJob<'_>) -> Result<ImageBitmap, BrowserError> {
    decode_bitmap(job.bytes, job.mime_type, Some(job.decode_size)).await
}

/// Decode `bytes` into a bitmap, resized to `size` when given.
async fn decode_bitmap(
    bytes: &[u8],
    mime_type: &str,
    size: Option<(u32, u32)>,
) -> Result<ImageBitmap, BrowserError> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let properties = BlobPropertyBag::new();
    properties.set_type(mime_type);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &properties)
        .map_err(|e| js_to_error("new Blob", e))?;
    let options = ImageBitmapOptions::new();
    // There is no orientation left in a redraw's bytes; "from-image" is the spec's default and
    // is stated so a browser that honours a stray tag still has none to honour. A lossless
    // photo's restated orientation is honoured, so a render's pixels are upright too.
    options.set_image_orientation(ImageOrientation::FromImage);
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    if let Some((width, height)) = size {
        options.set_resize_width(width);
        options.set_resize_height(height);
        options.set_resize_quality(ResizeQuality::High);
    }
    let promise = create_image_bitmap(&blob, &options)?;
    let bitmap = JsFuture::from(promise)
        .await
        .map_err(|e| js_to_error("createImageBitmap", e))?;
    bitmap
        .dyn_into::<ImageBitmap>()
        .map_err(|_| BrowserError::UnexpectedValue("createImageBitmap"))
}

/// Decode `bytes` (a JPEG, PNG or WebP the browser can open) to `(width, height, RGBA)`.
pub async fn decode_to_rgba(
    bytes: &[u8],
    mime_type: &str,
) -> Result<(u32, u32, Vec<u8>), CodecError> {
    let bitmap = decode_bitmap(bytes, mime_type, None)
        .await
        .map_err(CodecError::Decode)?;
    let (width, height) = (bitmap.width(), bitmap.height());
    let pixels = canvas_2d(width, height).and_then(|(canvas, context)| {
        context
            .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
            .map_err(|e| js_to_error("drawImage", e))?;
        let data = context
            .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
            .map_err(|e| js_to_error("getImageData", e))?;
        release(&canvas);
        Ok(data.data().0)
    });
    bitmap.close();
    Ok((width, height, pixels.map_err(CodecError::Decode)?))
}

/// Encode RGBA pixels of `size` as a JPEG at `quality` (0–1).
pub async fn encode_rgba_to_jpeg(
    rgba: &[u8],
    (width, height): (u32, u32),
    quality: f64,
) -> Result<Vec<u8>, CodecError> {
    let (canvas, context) = canvas_2d(width, height).map_err(CodecError::Encode)?;
    let data = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
        .map_err(|e| CodecError::Encode(js_to_error("new ImageData", e)))?;
    context
        .put_image_data(&data, 0.0, 0.0)
        .map_err(|e| CodecError::Encode(js_to_error("putImageData", e)))?;
    let encoded = encode_jpeg(&canvas, quality)
        .await
        .map_err(CodecError::Encode);
    release(&canvas);
    encoded
}

/// Release a canvas's backing store now rather than at the next GC: phones are short of memory.
fn release(canvas: &OffscreenCanvas) {
    canvas.set_width(0);
    canvas.set_height(0);
}

/// A canvas of `width` × `height` and its 2D context.
fn canvas_2d(
    width: u32,
    height: u32,
) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d), BrowserError> {
    let canvas =
        OffscreenCanvas::new(width, height).map_err(|e| js_to_error("new OffscreenCanvas", e))?;
    // A canvas over the browser's size or memory limit gives no context: an error, not a blank image.
    let context = canvas
        .get_context("2d")
        .map_err(|e| js_to_error("OffscreenCanvas.getContext", e))?
        .ok_or(BrowserError::Unavailable("a 2D canvas of this size"))?
        .dyn_into::<OffscreenCanvasRenderingContext2d>()
        .map_err(|_| BrowserError::UnexpectedValue("OffscreenCanvas.getContext"))?;
    Ok((canvas, context))
}

/// `createImageBitmap` from whichever global we run in: the widget's worker, or a window (tests
/// and the benchmark can call the export on the main thread too).
fn create_image_bitmap(blob: &Blob, options: &ImageBitmapOptions) -> Result<Promise, BrowserError> {
    let global: Object = js_sys::global();
    let result = if let Some(worker) = global.dyn_ref::<WorkerGlobalScope>() {
        worker.create_image_bitmap_with_blob_and_image_bitmap_options(blob, options)
    } else if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.create_image_bitmap_with_blob_and_image_bitmap_options(blob, options)
    } else {
        return Err(BrowserError::Unavailable("createImageBitmap"));
    };
    result.map_err(|e| js_to_error("createImageBitmap", e))
}

fn draw_upright(
    bitmap: &ImageBitmap,
    job: &RedrawJob<'_>,
) -> Result<OffscreenCanvas, BrowserError> {
    let (width, height) = job.output_size;
    let (canvas, context) = canvas_2d(width, height)?;
    // JPEG has no alpha: flatten transparent PNG/WebP pixels onto white, as a shopper expects.
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    let [a, b, c, d, e, f] = job.transform;
    context
        .set_transform(a, b, c, d, e, f)
        .map_err(|e| js_to_error("setTransform", e))?;
    // The destination size is explicit: a browser that ignores createImageBitmap's resize
    // options hands back the full-size bitmap, and it must still be scaled, not cropped. The
    // canvas itself is never larger than the output, so mobile canvas-size caps (iOS: 16.7 MP)
    // do not apply to a 48 MP photo.
    let (decode_width, decode_height) = job.decode_size;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(
            bitmap,
            0.0,
            0.0,
            f64::from(decode_width),
            f64::from(decode_height),
        )
        .map_err(|e| js_to_error("drawImage", e))?;
    Ok(canvas)
}

async fn encode_jpeg(canvas: &OffscreenCanvas, quality: f64) -> Result<Vec<u8>, BrowserError> {
    let options = ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(quality);
    let promise = canvas
        .convert_to_blob_with_options(&options)
        .map_err(|e| js_to_error("convertToBlob", e))?;
    let blob: Blob = JsFuture::from(promise)
        .await
        .map_err(|e| js_to_error("convertToBlob", e))?
        .dyn_into()
        .map_err(|_| BrowserError::UnexpectedValue("convertToBlob"))?;
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| js_to_error("Blob.arrayBuffer", e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
