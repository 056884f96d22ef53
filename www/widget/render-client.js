// Render (step 4): send the cleaned photo to the render server, or render on this device, and
// turn every failure into a code the widget has plain words for.

/** What the shopper reads for each failure. `{time}` is filled with when to try again. */
export const RENDER_ERROR_WORDS = {
  rate_limited: "You've made as many pictures as we can allow for now. You can try again at {time}.",
  person_detected:
    "This photo seems to show a person. For everyone's privacy we only use photos of rooms: " +
    "please choose or take a photo without people in it.",
  too_large: "That photo is too large to send. Please choose a smaller photo.",
  too_many_pixels: "That photo is too large to send. Please choose a smaller photo.",
  unsupported_format: "That file isn't a photo we can use. Please choose a JPEG, PNG or WebP photo.",
  backend_timeout: "Making your picture took too long. Please try again.",
  backend_unavailable: "The picture service is unavailable right now. Please try again in a few minutes.",
  person_check_unavailable: "The picture service is unavailable right now. Please try again in a few minutes.",
  unknown_product: "This product can't be shown in a room yet.",
  unknown_key: "This shop's room view isn't set up correctly. Please try again later.",
  origin_not_allowed: "This shop's room view isn't set up correctly. Please try again later.",
  offline: "You seem to be offline. Check your connection and try again.",
  network: "We couldn't reach the picture service. Check your connection and try again.",
  timeout: "The connection timed out. Please try again.",
  decode_failed: "Your browser couldn't open that photo. Please try another photo.",
  bad_placement: "Those corners don't make a shape we can fill. Please move them apart and try again.",
  internal: "Something went wrong while making your picture. Please try again.",
};

/** Failures worth a "Try again" button (the rest need another photo or nothing can help). */
export const RETRYABLE = new Set([
  "backend_timeout", "backend_unavailable", "person_check_unavailable", "offline", "network",
  "timeout", "internal", "rate_limited",
]);

/** Give up waiting for a server render after this long. */
const RENDER_TIMEOUT_MS = 120_000;

export class RenderError extends Error {
  constructor(code, message, { retryAt } = {}) {
    super(message);
    this.code = code;
    this.retryAt = retryAt;
  }
}

/** The words for `error`, with the retry time filled in. */
export function wordsFor(error) {
  const template = RENDER_ERROR_WORDS[error.code] || RENDER_ERROR_WORDS.internal;
  const time = error.retryAt
    ? error.retryAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : "a later time";
  return template.replace("{time}", time);
}

/** A random session id: 128 bits from the browser's CSPRNG, as 32 hex digits. */
export function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function apiUrl(config, path) {
  return new URL(`v1/widget/${encodeURIComponent(config.key)}/${path}`, config.base);
}

/** When a 429 says to come back, from its JSON body or its Retry-After header. */
function retryAtOf(body, retryAfter) {
  if (body && body.error && body.error.retry_at) {
    const at = new Date(body.error.retry_at);
    if (!Number.isNaN(at.getTime())) return at;
  }
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) ? new Date(Date.now() + seconds * 1000) : undefined;
}

/**
 * POST the cleaned photo with the product, placement and session id. `onProgress(fraction)` is
 * called while uploading, then `onProgress(null)` while the server renders. Resolves to the
 * render as a Blob (a JPEG labelled AI-generated) and the allowance left.
 */
export function renderOnServer(config, { bytes, mime, product, placement, sessionId, onProgress }) {
  if (navigator.onLine === false) return Promise.reject(new RenderError("offline", "offline"));
  const url = apiUrl(config, "renders");
  url.searchParams.set("product", product);
  url.searchParams.set("corners", placement.corners.map((v) => v.toFixed(3)).join(","));
  url.searchParams.set("size", `${placement.widthM}x${placement.depthM}`);
  url.searchParams.set("session", sessionId);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.responseType = "blob";
    request.timeout = RENDER_TIMEOUT_MS;
    request.setRequestHeader("Content-Type", mime);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    };
    request.upload.onload = () => onProgress && onProgress(null);
    request.onload = async () => {
      if (request.status === 200) {
        resolve({
          blob: request.response,
          leftThisHour: Number(request.getResponseHeader("vitrine-renders-left-this-hour")),
          leftToday: Number(request.getResponseHeader("vitrine-renders-left-today")),
        });
        return;
      }
      let body = null;
      try {
        body = JSON.parse(await request.response.text());
      } catch {
        body = null;
      }
      const code = (body && body.error && body.error.code) || (request.status >= 500 ? "backend_unavailable" : "internal");
      reject(new RenderError(code, (body && body.error && body.error.message) || `HTTP ${request.status}`, {
        retryAt: request.status === 429 ? retryAtOf(body, request.getResponseHeader("Retry-After")) : undefined,
      }));
    };
    request.onerror = () => reject(new RenderError(navigator.onLine === false ? "offline" : "network", "network error"));
    request.ontimeout = () => reject(new RenderError("timeout", "timed out"));
    request.send(bytes);
  });
}

/** A JSON request to our API: resolves to the body, or rejects with a coded RenderError. */
export async function requestJson(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { ...init, credentials: "omit" });
  } catch {
    throw new RenderError(navigator.onLine === false ? "offline" : "network", "network error");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new RenderError((body && body.error && body.error.code) || "internal", `HTTP ${response.status}`);
  }
  return body;
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
  const allowance = await fetch(apiUrl(config, "device-renders"), {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ product: product.sku }),
  }).catch(() => {
    throw new RenderError(navigator.onLine === false ? "offline" : "network", "network error");
  });
  if (!allowance.ok) {
    const body = await allowance.json().catch(() => null);
    throw new RenderError((body && body.error && body.error.code) || "internal", `HTTP ${allowance.status}`, {
      retryAt: allowance.status === 429 ? retryAtOf(body, allowance.headers.get("Retry-After")) : undefined,
    });
  }
  const textureResponse = await fetch(apiUrl(config, `products/${encodeURIComponent(product.sku)}/texture`), { credentials: "omit" });
  if (!textureResponse.ok) throw new RenderError("unknown_product", `HTTP ${textureResponse.status}`);
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
    throw new RenderError(error.code || "internal", String(error.message || error));
  }
}
