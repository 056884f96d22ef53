// The shopper's path timed in each engine, over WebDriver, with the walks' harness (it replaced
// the Chromium-only Playwright script of issue 6, with the same measures), so engines compare:
// - click on the launcher → pre-flight notice shown (first visit: a fresh profile per run, so
//   widget/main.js, the worker and the WASM are fetched and compiled), beside a native <dialog>;
// - a 12 MP photo chosen → render shown, on the server (beside a bare fetch POST of the same
//   cleaned bytes) and on the device.
// Times are taken in the page (performance.now()); every click after the photo is made by the
// page's script at once. Prints a markdown table; medians of VITRINE_BENCH_RUNS (default 5) after
// one warm-up, per engine in VITRINE_BENCH_ENGINES (default: all three).
//
//   VITRINE_SERVER_BIN=target/release/vitrine-server VITRINE_ROOT=$PWD node www/engines/bench.mjs
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { ENGINES, launch } from "./browsers.mjs";
import { ROOT, SHOP_ORIGIN, WIDGET_ORIGIN, startDemo } from "./demo-server.mjs";
import { ARTEFACTS, FIXTURES, Shopper } from "./shopper.mjs";

const runs = Number(process.env.VITRINE_BENCH_RUNS ?? 5);
const engines = (process.env.VITRINE_BENCH_ENGINES ?? ENGINES.join(",")).split(",");
const source = path.join(FIXTURES, "ia__hdr_canon_hdr_YES.jpg");
const photo = path.join(ARTEFACTS, "room-12mp.jpg");

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A 4000×3000 camera-sized JPEG drawn from a real room photo by the first engine. */
async function makePhoto(shopper) {
  await shopper.visit();
  const base64 = await shopper.driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
    createImageBitmap(new Blob([bytes])).then((bitmap) => {
      const canvas = document.createElement("canvas");
      canvas.width = 4000; canvas.height = 3000;
      canvas.getContext("2d").drawImage(bitmap, 0, 0, 4000, 3000);
      canvas.toBlob((blob) => { const r = new FileReader(); r.onload = () => done(r.result.split(",")[1]); r.readAsDataURL(blob); }, "image/jpeg", 0.92);
    });`, readFileSync(source).toString("base64"));
  writeFileSync(photo, Buffer.from(base64, "base64"));
}

/** One first visit: click → notice, the dialog peer, then photo → render (and the bare POST). */
async function oneRun(shopper, onDevice) {
  await shopper.visit();
  await shopper.driver.executeScript(`
    window.__bench = {};
    document.addEventListener("click", () => (window.__bench.click ??= performance.now()), true);
    window.Vitrine.on("notice", () => (window.__bench.notice = performance.now()));
    window.Vitrine.on("render", () => (window.__bench.render = performance.now()));`);
  await shopper.openWidget();
  await shopper.waitFor("return window.__bench.notice != null", "the notice");
  const notice = await shopper.driver.executeScript("return window.__bench.notice - window.__bench.click");
  const dialog = await shopper.driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const d = document.createElement("dialog");
    d.textContent = "Before you start";
    document.body.append(d);
    const t0 = performance.now();
    d.showModal();
    requestAnimationFrame(() => setTimeout(() => { const ms = performance.now() - t0; d.close(); d.remove(); done(ms); }));`);
  await shopper.acceptNotice();
  await shopper.script(`
    const device = arguments[0];
    const input = root.querySelector("input[data-vitrine-input=library]");
    input.addEventListener("change", () => (window.__bench.chosen = performance.now()), true);
    const press = (name) => [...root.querySelectorAll("button")].find((b) => b.textContent === name).click();
    window.Vitrine.on("photo", () => {
      press("Next: place it");
      const start = () => {
        if (root.querySelector(".placement").hidden) return requestAnimationFrame(start);
        if (device) root.querySelector("#vitrine-on-device").checked = true;
        press("Show it in my room");
      };
      start();
    });`, onDevice);
  await shopper.givePhoto(photo);
  await shopper.waitFor("return window.__bench.render != null", "the render", 120_000);
  const pathMs = await shopper.driver.executeScript("return window.__bench.render - window.__bench.chosen");
  let direct = null;
  if (!onDevice) {
    direct = await shopper.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const last = window.__vitrineTest.last;
      const key = document.querySelector("script[data-key]").dataset.key;
      const t0 = performance.now();
      fetch(arguments[0] + "/v1/widget/" + key + "/renders?product=OAK-PLANK-190", {
        method: "POST", headers: { "Content-Type": last.mime }, body: last.bytes,
      }).then((r) => r.arrayBuffer().then(() => done(r.ok ? performance.now() - t0 : -r.status)));`, WIDGET_ORIGIN);
    if (direct < 0) throw new Error(`direct render: HTTP ${-direct}`);
  }
  return { notice, dialog, pathMs, direct };
}

const demo = await startDemo({ rendersPerHour: 10000, rendersPerDay: 10000 });
const lines = [];
try {
  for (const engine of engines) {
    const results = { notice: [], dialog: [], serverPath: [], direct: [], devicePath: [] };
    let version = engine;
    for (let run = 0; run <= runs; run++) {
      for (const onDevice of [false, true]) {
        // A fresh profile for every run: a first visit, nothing cached.
        const browser = await launch(engine);
        version = browser.version;
        try {
          const shopper = new Shopper(browser, { timeout: 60_000 });
          if (run === 0 && !onDevice && engine === engines[0]) await makePhoto(shopper);
          const r = await oneRun(shopper, onDevice);
          if (run === 0) continue;
          if (onDevice) results.devicePath.push(r.pathMs);
          else {
            results.notice.push(r.notice);
            results.dialog.push(r.dialog);
            results.serverPath.push(r.pathMs);
            results.direct.push(r.direct);
          }
        } finally {
          await browser.close();
        }
      }
    }
    const spread = (values) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
    lines.push(
      `| ${version} | click → notice shown | **${median(results.notice).toFixed(0)} ms** | ${spread(results.notice)} ms | native \`<dialog>\` shown: ${median(results.dialog).toFixed(1)} ms |`,
      `| ${version} | 12 MP photo → render shown, server | **${median(results.serverPath).toFixed(0)} ms** | ${spread(results.serverPath)} ms | bare \`fetch\` POST of the cleaned bytes: ${median(results.direct).toFixed(0)} ms (${(median(results.serverPath) / median(results.direct)).toFixed(2)}×) |`,
      `| ${version} | 12 MP photo → render shown, on this device | **${median(results.devicePath).toFixed(0)} ms** | ${spread(results.devicePath)} ms | ${(median(results.devicePath) / median(results.serverPath)).toFixed(2)}× the server path |`,
    );
    console.error(`${version}: done`);
  }
} finally {
  await demo.stop();
}
const wasm = readFileSync(path.join(ROOT, "pkg/vitrine_widget_bg.wasm"));
const loader = readFileSync(path.join(ROOT, "www/vitrine.js"));
console.log([
  `Loader: ${loader.length} B, ${gzipSync(loader, { level: 9 }).length} B gzipped. WASM: ${wasm.length} B, ${gzipSync(wasm, { level: 9 }).length} B gzipped.`,
  `Photo: 4000×3000 JPEG (${(readFileSync(photo).length / 1e6).toFixed(1)} MB) drawn from ${path.basename(source)}; median of ${runs} runs after one warm-up, each in a fresh profile; shop ${SHOP_ORIGIN}, widget ${WIDGET_ORIGIN}.`,
  "",
  "| Engine | What | Median | Min–max | Peer, same run |",
  "|---|---|---:|---:|---|",
  ...lines,
].join("\n"));
