// Vitrine photo worker: the WASM runs here, off the retailer page's main thread.
//
// The widget starts this module from a blob: URL (a Worker cannot be started from another
// origin's URL); its imports and the .wasm come from our origin, under CORS. `?pkg=rust-codec`
// selects the build with the Rust codec (the benchmark only).
const pkg = new URL(import.meta.url).searchParams.get("pkg") === "rust-codec" ? "./pkg-rust-codec/" : "./pkg/";

let wasm;
try {
  wasm = await import(new URL(pkg + "vitrine_widget.js", import.meta.url).href);
  await wasm.default({ module_or_path: new URL(pkg + "vitrine_widget_bg.wasm", import.meta.url) });
} catch (error) {
  // CSP without 'wasm-unsafe-eval' or connect-src, or an old browser.
  self.postMessage({ type: "fatal", message: String(error && error.message ? error.message : error) });
  throw error;
}

/** What the page may ask for. Each returns `[result, transferables]`. */
const OPERATIONS = {
  async prepare({ bytes, maxSide, codec }) {
    const started = performance.now();
    const input = new Uint8Array(bytes);
    const result = codec === "rust"
      ? wasm.prepare_photo_rust(input, maxSide)
      : await wasm.prepare_photo(input, maxSide);
    result.workerMs = performance.now() - started;
    // Transfer, not copy: the cleaned bytes move to the page; the raw ones are dropped here.
    return [result, [result.bytes.buffer]];
  },
  // "Render on this device": the core's compositor, the photo and tile decoded and the render
  // encoded (and labelled AI-generated) in Rust through the browser's codecs, as a prepared photo
  // is (src/render_on_device.rs). Neither the photo nor the render leaves the device here.
  async "render-on-device"({ photo, texture, ...placement }) {
    const result = await wasm.render_on_device({ ...placement, photo: new Uint8Array(photo), texture: new Uint8Array(texture) });
    return [result, [result.bytes.buffer]];
  },
  // "Save on this device": IndexedDB, the 3 most recent per retailer (src/storage/recent_renders.rs).
  "recent-save": async ({ retailer, product, productName, createdAt, bytes }) =>
    [await wasm.save_recent_render(retailer, product, productName, createdAt, new Uint8Array(bytes)), []],
  "recent-list": async ({ retailer }) => [await wasm.list_recent_renders(retailer), []],
  "recent-remove": async ({ retailer, recordId }) => [await wasm.remove_recent_render(retailer, recordId), []],
  // The pre-flight notice's flag (the page owns localStorage and the clock; Rust decides).
  "consent-key": () => [wasm.consent_storage_key(), []],
  "consent-state": ({ stored, now }) => [wasm.consent_state(stored ?? undefined, now), []],
  "consent-accept": ({ now }) => [wasm.consent_accept(now), []],
};

self.onmessage = async ({ data }) => {
  // `id` is the call's own id (widget/photo-worker-client.js PhotoWorker.call); operations never take an `id` field.
  const { id, op = "prepare", ...args } = data;
  try {
    const operation = OPERATIONS[op];
    if (!operation) throw Object.assign(new Error(`unknown operation ${op}`), { code: "internal" });
    const [result, transfer] = await operation(args);
    self.postMessage({ type: "result", id, ok: true, result }, transfer);
  } catch (error) {
    const known = error && typeof error.code === "string";
    self.postMessage({
      type: "result",
      id,
      ok: false,
      error: known
        ? { code: error.code, message: String(error.message), detected: error.detected }
        : { code: "internal", message: String(error && error.message ? error.message : error) },
    });
  }
};

self.postMessage({ type: "ready", rustCodec: wasm.has_rust_codec() });
