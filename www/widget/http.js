// Every call the widget and the analytics client make to our origin: the API's JSON calls, the
// render upload (XMLHttpRequest, for its upload progress), our own static files, and the random
// ids. A failure always becomes a RequestError with a stable code (error-words.json): the API's
// own `error.code`, or `offline`, `network`, `timeout` made here.

/** A failed call: `code` is the API's or one of ours; `retryAt` when a 429 says to come back. */
export class RequestError extends Error {
  constructor(code, message, { retryAt } = {}) {
    super(message);
    this.code = code;
    this.retryAt = retryAt;
  }
}

/** 128 bits from the browser's CSPRNG, as 32 hex digits (session and anonymous ids). */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The URL of `path` under this retailer's widget API. */
export function apiUrl(config, path) {
  return new URL(`v1/widget/${encodeURIComponent(config.key)}/${path}`, config.base);
}

/** One of our own static files next to this module (the stylesheet, the words table). */
export async function ownFile(name) {
  const response = await fetch(new URL(name, import.meta.url), { credentials: "omit" });
  if (!response.ok) throw new RequestError("internal", `${name}: HTTP ${response.status}`);
  return response;
}

function unreachable() {
  return new RequestError(navigator.onLine === false ? "offline" : "network", "network error");
}

/** When a 429 says to come back, from its JSON body or its Retry-After header. */
function retryAtOf(status, body, retryAfter) {
  if (status !== 429) return undefined;
  if (body && body.error && body.error.retry_at) {
    const at = new Date(body.error.retry_at);
    if (!Number.isNaN(at.getTime())) return at;
  }
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) ? new Date(Date.now() + seconds * 1000) : undefined;
}

/** The coded error of a refused answer (its JSON body, when it has one). */
function refusal(status, body, retryAfter) {
  const error = body && body.error;
  const code = (error && error.code) || (status >= 500 ? "backend_unavailable" : "internal");
  return new RequestError(code, (error && error.message) || `HTTP ${status}`, {
    retryAt: retryAtOf(status, body, retryAfter),
  });
}

/** A request to our API; resolves to the Response when it is ok, else rejects coded. */
export async function request(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { ...init, credentials: "omit" });
  } catch {
    throw unreachable();
  }
  if (response.ok) return response;
  const body = await response.json().catch(() => null);
  throw refusal(response.status, body, response.headers.get("Retry-After"));
}

/** A JSON request to our API: resolves to the body. `json` (optional) is sent as the body. */
export async function requestJson(url, { json, ...init } = {}) {
  if (json !== undefined) {
    init = { ...init, headers: { "Content-Type": "application/json" }, body: JSON.stringify(json) };
  }
  const response = await request(url, init);
  return response.json().catch(() => null);
}

/**
 * POST `body` with `onProgress(fraction)` while it uploads, then `onProgress(null)` while the
 * server works. Resolves to `{ blob, headers: (name) => value }`.
 */
export function upload(url, { body, contentType, timeoutMs, onProgress }) {
  if (navigator.onLine === false) return Promise.reject(new RequestError("offline", "offline"));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "blob";
    xhr.timeout = timeoutMs;
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    };
    xhr.upload.onload = () => onProgress && onProgress(null);
    xhr.onload = async () => {
      if (xhr.status === 200) {
        resolve({ blob: xhr.response, headers: (name) => xhr.getResponseHeader(name) });
        return;
      }
      let answer = null;
      try {
        answer = JSON.parse(await xhr.response.text());
      } catch {
        answer = null;
      }
      reject(refusal(xhr.status, answer, xhr.getResponseHeader("Retry-After")));
    };
    xhr.onerror = () => reject(unreachable());
    xhr.ontimeout = () => reject(new RequestError("timeout", "timed out"));
    xhr.send(body);
  });
}
