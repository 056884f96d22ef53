// The photo worker, from the page's side: starts it, and turns each request into a promise that
// settles with the worker's answer. Its body (photo-worker.js) and the WASM come from our origin.

/** Long side of the photo sent for rendering. */
export const MAX_SIDE = 2048;

/** A typed failure with a stable code, as the WASM rejects with. */
export class PhotoError extends Error {
  /** `detected` names the real format of a refused file ("GIF", "HEIC/HEIF" …), when known. */
  constructor(code, message, detected) {
    super(message);
    this.code = code;
    this.detected = detected;
  }
}

/**
 * The photo worker, started from a blob: URL so it works on any retailer origin; its body
 * (photo-worker.js) and the WASM are imported from our origin.
 */
export class PhotoWorker {
  constructor(base, { pkg } = {}) {
    const body = new URL("photo-worker.js", base);
    if (pkg) body.searchParams.set("pkg", pkg);
    // A dynamic import() is fetched as a script (CSP script-src), so the retailer's worker-src
    // only needs blob:; a static import would need our origin in worker-src as well.
    const source =
      `import(${JSON.stringify(body.href)}).catch((e) => ` +
      `self.postMessage({ type: "fatal", message: String(e && e.message || e) }));`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker = new Worker(url, { type: "module", name: "vitrine-photo" });
      this.worker.onmessage = ({ data }) => {
        if (data.type === "ready") resolve(data);
        else if (data.type === "fatal") reject(new PhotoError("worker_failed", data.message));
        else if (data.type === "result") this.settle(data);
      };
      this.worker.onerror = (event) => {
        event.preventDefault();
        const error = new PhotoError("worker_failed", event.message || "the worker failed to start");
        reject(error);
        for (const { reject: fail } of this.pending.values()) fail(error);
        this.pending.clear();
      };
    });
    this.ready.finally(() => URL.revokeObjectURL(url)).catch(() => {});
  }

  settle({ id, ok, result, error }) {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    if (ok) request.resolve(result);
    else request.reject(new PhotoError(error.code, error.message, error.detected));
  }

  /** Ask the worker for `op` (see photo-worker.js); `transfer` lists buffers to move there. */
  async call(op, args = {}, transfer = []) {
    if ("id" in args || "op" in args) throw new PhotoError("internal", "`id` and `op` are the call's own fields");
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  /** Prepare `buffer` (an ArrayBuffer, transferred: unusable here afterwards). */
  prepare(buffer, maxSide = MAX_SIDE, codec = "browser") {
    return this.call("prepare", { bytes: buffer, maxSide, codec }, [buffer]);
  }

  terminate() {
    this.worker.terminate();
  }
}
