// The in-browser benchmark: the same photo through (a) our WASM with the browser's codecs,
// (b) our WASM with the Rust codec, (c) the npm library browser-image-compression; each in a
// Worker, timed end to end from the page, with the longest main-thread task of each run.
import { PhotoWorker } from "../widget/photo-worker-client.js";
import imageCompression from "../vendor/browser-image-compression/browser-image-compression.mjs";

const MAX_SIDE = 2048;
const base = new URL("../", import.meta.url).href;
const longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
}).observe({ type: "longtask" });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function measure(name, runs, once) {
  const times = [];
  const worstTasks = [];
  let output;
  await once(); // warm-up: worker start, WASM compile, codec initialisation
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const start = performance.now();
    output = await once();
    const end = performance.now();
    await new Promise((r) => setTimeout(r, 50)); // let the long-task observer deliver
    times.push(end - start);
    const during = longTasks.filter((t) => t.start + t.duration >= start && t.start <= end);
    worstTasks.push(during.reduce((m, t) => Math.max(m, t.duration), 0));
  }
  return {
    name,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    worstMainThreadTaskMs: Math.max(...worstTasks),
    output,
  };
}

const hasExif = (bytes) => {
  for (let i = 0; i + 5 <= bytes.length; i++) {
    if (bytes[i] === 0x45 && bytes[i + 1] === 0x78 && bytes[i + 2] === 0x69 && bytes[i + 3] === 0x66 && bytes[i + 4] === 0) return true;
  }
  return false;
};

window.runBench = async ({ runs = 10 } = {}) => {
  const file = document.getElementById("photo").files[0];
  if (!file) throw new Error("pick a photo first");
  const original = new Uint8Array(await file.arrayBuffer());
  const browserWorker = new PhotoWorker(base);
  const rustWorker = new PhotoWorker(base, { pkg: "rust-codec" });
  const results = [];
  const describe = (r) => ({ width: r.width, height: r.height, bytes: r.bytes.length, exif: hasExif(r.bytes), removed: r.removed });

  results.push(await measure("Vitrine, browser codecs (shipped)", runs, async () =>
    describe(await browserWorker.prepare(original.slice().buffer, MAX_SIDE, "browser"))));
  results.push(await measure("Vitrine, Rust codec in WASM", runs, async () =>
    describe(await rustWorker.prepare(original.slice().buffer, MAX_SIDE, "rust"))));
  results.push(await measure("browser-image-compression 2.0.2", runs, async () => {
    const blob = await imageCompression(new File([original], file.name, { type: file.type }), {
      maxWidthOrHeight: MAX_SIDE,
      useWebWorker: true,
      preserveExif: false,
      initialQuality: 0.88,
      fileType: "image/jpeg",
      // Its worker would otherwise importScripts() the library from a CDN.
      libURL: new URL("../vendor/browser-image-compression/browser-image-compression.js", import.meta.url).href,
    });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const bitmap = await createImageBitmap(blob);
    const out = { width: bitmap.width, height: bitmap.height, bytes: bytes.length, exif: hasExif(bytes), removed: null };
    bitmap.close();
    return out;
  }));
  browserWorker.terminate();
  rustWorker.terminate();
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  return { input: { bytes: original.length, name: file.name }, userAgent: navigator.userAgent, results };
};
