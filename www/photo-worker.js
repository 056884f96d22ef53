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

self.onmessage = async ({ data }) => {
  const { id, bytes, maxSide, codec } = data;
  const started = performance.now();
  try {
    const input = new Uint8Array(bytes);
    const result = codec === "rust"
      ? wasm.prepare_photo_rust(input, maxSide)
      : await wasm.prepare_photo(input, maxSide);
    result.workerMs = performance.now() - started;
    // Transfer, not copy: the cleaned bytes move to the page; the raw ones are dropped here.
    self.postMessage({ type: "result", id, ok: true, result }, [result.bytes.buffer]);
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
