// Render (step 4): send the cleaned photo to the render server, or render on this device; every
// failure is a RequestError with a code error-words.json has words for.

import { apiUrl, request, RequestError, requestJson, upload } from "./http.js";

/** Give up waiting for a server render after this long. */
const RENDER_TIMEOUT_MS = 120_000;

/**
 * POST the cleaned photo with the product, placement and session id. `onProgress(fraction)` is
 * called while uploading, then `onProgress(null)` while the server renders. Resolves to the
 * render as a Blob (a JPEG labelled AI-generated) and the allowance left.
 */
export async function renderOnServer(config, { bytes, mime, product, placement, sessionId, onProgress }) {
  const url = apiUrl(config, "renders");
  url.searchParams.set("product", product);
  url.searchParams.set("corners", placement.corners.map((v) => v.toFixed(3)).join(","));
  url.searchParams.set("size", `${placement.widthM}x${placement.depthM}`);
  url.searchParams.set("session", sessionId);
  const { blob, headers } = await upload(url, { body: bytes, contentType: mime, timeoutMs: RENDER_TIMEOUT_MS, onProgress });
  return {
    blob,
    leftThisHour: Number(headers("vitrine-renders-left-this-hour")),
    leftToday: Number(headers("vitrine-renders-left-today")),
  };
}

/** What the widget needs about the product (surface, tile size, whether it renders on device). */
export function fetchProduct(config, sku) {
  return requestJson(apiUrl(config, `products/${encodeURIComponent(sku)}`));
}

/**
 * Render on this device: fetch the product's tile, let the worker compose and label, and count
 * the render against the allowance (the photo is not sent; only the product's SKU is).
 */
export async function renderOnDevice(config, worker, { bytes, mime, product, placement }) {
  await requestJson(apiUrl(config, "device-renders"), { method: "POST", json: { product: product.sku } });
  const textureResponse = await request(apiUrl(config, `products/${encodeURIComponent(product.sku)}/texture`)).catch((error) => {
    throw error.code === "offline" || error.code === "network" ? error : new RequestError("unknown_product", error.message);
  });
  const texture = await textureResponse.arrayBuffer();
  const photo = bytes.slice().buffer;
  try {
    const result = await worker.call("render-on-device", {
      photo,
      photoMime: mime,
      texture,
      textureMime: textureResponse.headers.get("Content-Type") || "image/png",
      tileWidthM: product.tile_width_mm / 1000,
      tileHeightM: product.tile_height_mm / 1000,
      corners: placement.corners,
      widthM: placement.widthM,
      depthM: placement.depthM,
    }, [photo, texture]);
    return { blob: new Blob([result.bytes], { type: "image/jpeg" }) };
  } catch (error) {
    throw new RequestError(error.code || "internal", String(error.message || error));
  }
}
