// The compositor in headless Chromium: our WASM (the shipped, size-optimised build, the code the
// server runs) beside Chromium's own Canvas 2D drawing the same tile into the same floor with an
// affine pattern fill (what a widget without a compositor would do: no perspective, no light),
// both returning RGBA pixels. Main thread, median of N after one warm-up.
import init, { composite_on_device } from "../pkg/vitrine_widget.js";

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The native benchmark's tile: six rows of planks, 480×320 px for 1.2 × 0.8 m. */
function planks() {
  const [w, h] = [480, 320];
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const plank = Math.floor(y / 53);
    for (let x = 0; x < w; x++) {
      const xs = (x + plank * 173) % 480;
      const grain = (Math.sin(y * 0.9 + Math.sin(xs * 0.05) * 6.0) * 0.5 + 0.5) * 18.0;
      const k = y % 53 === 0 || xs === 0 ? 0.55 : 1.0;
      const i = (y * w + x) * 4;
      [170, 125, 80].forEach((c, j) => { out[i + j] = (c - grain) * k; });
      out[i + 3] = 255;
    }
  }
  return { width: w, height: h, pixels: out };
}

window.runCompositorBench = async ({ runs = 10 } = {}) => {
  await init();
  const file = document.getElementById("photo").files[0];
  if (!file) throw new Error("pick a photo first");
  // Stored orientation, as the native benchmark reads it.
  const bitmap = await createImageBitmap(file, { imageOrientation: "none" });
  const [w, h] = [bitmap.width, bitmap.height];
  const canvas = new OffscreenCanvas(w, h);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const photo = context.getImageData(0, 0, w, h).data;
  const tile = planks();
  const corners = [0.22 * w, 0.58 * h, 0.78 * w, 0.58 * h, 1.02 * w, h, -0.02 * w, h];

  const time = async (once) => {
    once();
    const times = [];
    let output;
    for (let i = 0; i < runs; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const start = performance.now();
      output = once();
      times.push(performance.now() - start);
    }
    return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), bytes: output.length };
  };

  const ours = await time(() => composite_on_device({
    photo: { rgba: new Uint8Array(photo.buffer.slice(0)), width: w, height: h },
    tile: { rgba: new Uint8Array(tile.pixels.buffer.slice(0)), width: tile.width, height: tile.height },
    tileWidthM: 1.2, tileHeightM: 0.8, corners, widthM: 4, depthM: 4,
  }));

  const tileCanvas = new OffscreenCanvas(tile.width, tile.height);
  tileCanvas.getContext("2d").putImageData(new ImageData(tile.pixels, tile.width, tile.height), 0, 0);
  const peerCanvas = new OffscreenCanvas(w, h);
  const peer = peerCanvas.getContext("2d", { willReadFrequently: true });
  const peerTime = await time(() => {
    peer.setTransform(1, 0, 0, 1, 0, 0);
    peer.drawImage(bitmap, 0, 0);
    peer.save();
    peer.beginPath();
    peer.moveTo(corners[0], corners[1]);
    for (let i = 2; i < 8; i += 2) peer.lineTo(corners[i], corners[i + 1]);
    peer.closePath();
    peer.clip();
    // The tile at roughly its size on the near edge (4 m wide region, 1.2 m tiles).
    const pattern = peer.createPattern(tileCanvas, "repeat");
    const scale = (corners[4] - corners[6]) / (4 / 1.2) / tile.width;
    pattern.setTransform(new DOMMatrix().scale(scale, scale));
    peer.fillStyle = pattern;
    peer.fillRect(0, 0, w, h);
    peer.restore();
    return peer.getImageData(0, 0, w, h).data;
  });
  const results = [
    { name: "Vitrine compositor, WASM (shipped -Oz build), 1 thread", ...ours },
    { name: "Chromium Canvas 2D: clip + affine pattern fill + getImageData (GPU disabled)", ...peerTime },
  ];
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  return { width: w, height: h, userAgent: navigator.userAgent, results };
};
