// Browser benchmark of the shopper's path on the demo page in headless Chromium (issue 6):
// - click on the launcher → pre-flight notice shown (a first visit: fresh profile, cold cache,
//   so widget.js, the worker and the WASM are all fetched and compiled), beside the page opening
//   a native <dialog> (the floor of any modal);
// - photo chosen → render shown (a 12 MP photo: cleaned on the device, product fetched, default
//   placement, built-in compositor on the server), beside a bare fetch() POST of the same cleaned
//   bytes to the render endpoint (the floor of any widget on this server), and the same path
//   rendered on the device.
// Prints a markdown table; medians of VITRINE_BENCH_RUNS (default 10) after one warm-up.
//
//   VITRINE_SERVER_BIN=target/debug/vitrine-server VITRINE_ROOT=$PWD node www/bench/run-path-bench.mjs
//
// Needs pkg/ built (cargo xtask build-widget), the person-check models (cargo xtask setup) and
// npm ci in www/. Use a release server binary for figures worth keeping.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.VITRINE_ROOT ?? path.resolve(here, "../..");
const serverBin = process.env.VITRINE_SERVER_BIN ?? path.join(root, "target/debug/vitrine-server");
const fixtures = process.env.VITRINE_FIXTURES ?? path.resolve(root, "../shared/fixtures/photos");
const source = path.join(fixtures, "ia__hdr_canon_hdr_YES.jpg");
const runs = Number(process.env.VITRINE_BENCH_RUNS ?? 10);
const widgetPort = 18801;
const shopPort = 18802;
const widgetOrigin = `http://127.0.0.1:${widgetPort}`;
const shopOrigin = `http://127.0.0.1:${shopPort}`;
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const dataDir = mkdtempSync(path.join(os.tmpdir(), "vitrine-path-bench-"));
const server = spawn(serverBin, ["demo", "--listen", `127.0.0.1:${widgetPort}`, "--shop-listen",
  `127.0.0.1:${shopPort}`, "--assets-dir", root, "--data-dir", dataDir,
  "--renders-per-hour", "10000", "--renders-per-day", "10000"], { stdio: ["ignore", "ignore", "inherit"] });
const stop = () => server.kill("SIGTERM");
process.on("exit", stop);

async function waitForServer() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${widgetOrigin}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("vitrine-server did not start");
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

await waitForServer();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
try {
  // A 12 MP (4000×3000) camera-sized JPEG, made once from a real room photo by the browser.
  const maker = await browser.newPage();
  await maker.goto(`${shopOrigin}/`);
  const photoBytes = await maker.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(4000, 3000);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, 4000, 3000);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  }, Array.from(readFileSync(source)));
  await maker.close();
  const photo = path.join(dataDir, "room-12mp.jpg");
  writeFileSync(photo, Buffer.from(photoBytes));

  const results = { notice: [], dialog: [], serverPath: [], direct: [], devicePath: [] };
  for (let run = 0; run <= runs; run++) {
    for (const onDevice of [false, true]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on("pageerror", (e) => console.error("page error:", String(e)));
      await page.goto(`${shopOrigin}/?test-hooks`);
      await page.evaluate(() => {
        window.__bench = {};
        document.addEventListener("click", () => (window.__bench.click ??= performance.now()), true);
        window.Vitrine.on("notice", () => (window.__bench.notice = performance.now()));
        window.Vitrine.on("photo", () => (window.__bench.photo = performance.now()));
        window.Vitrine.on("render", () => (window.__bench.render = performance.now()));
      });
      await page.getByRole("button", { name: "See it in your room" }).click();
      await page.waitForFunction(() => window.__bench.notice != null);
      const notice = await page.evaluate(() => window.__bench.notice - window.__bench.click);

      // The peer: a native <dialog> opened by a click, until the frame that shows it.
      const dialog = await page.evaluate(() => new Promise((resolve) => {
        const d = document.createElement("dialog");
        d.textContent = "Before you start";
        const b = document.createElement("button");
        document.body.append(d, b);
        b.addEventListener("click", () => {
          const t0 = performance.now();
          d.showModal();
          requestAnimationFrame(() => setTimeout(() => {
            const ms = performance.now() - t0;
            d.close();
            d.remove();
            b.remove();
            resolve(ms);
          }));
        });
        b.click();
      }));

      await page.getByRole("checkbox", { name: /I am 18 or over/ }).check();
      await page.getByRole("button", { name: "Continue" }).click();
      const input = page.locator("input[data-vitrine-input=library]");
      // From the moment the file reaches the widget; every later click is made at once.
      await input.evaluate((node, device) => {
        node.addEventListener("change", () => (window.__bench.chosen = performance.now()), true);
        const host = document.querySelector("[data-vitrine]").shadowRoot;
        const press = (name) => [...host.querySelectorAll("button")].find((b) => b.textContent === name).click();
        window.Vitrine.on("photo", () => {
          press("Next: place it");
          const start = () => {
            if (host.querySelector(".placement").hidden) return requestAnimationFrame(start);
            if (device) host.querySelector("#vitrine-on-device").checked = true;
            press("Show it in my room");
          };
          start();
        });
      }, onDevice);
      await input.setInputFiles(photo);
      await page.waitForFunction(() => window.__bench.render != null, null, { timeout: 120_000 });
      const path_ = await page.evaluate(() => window.__bench.render - window.__bench.chosen);

      let direct = null;
      if (!onDevice) {
        // The floor: the same cleaned bytes posted straight to the render endpoint.
        direct = await page.evaluate(async ({ origin }) => {
          const last = window.__vitrineTest.last;
          const key = document.querySelector("script[data-key]").dataset.key;
          const t0 = performance.now();
          const response = await fetch(`${origin}/v1/widget/${key}/renders?product=OAK-PLANK-190`, {
            method: "POST", headers: { "Content-Type": last.mime }, body: last.bytes,
          });
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`direct render: HTTP ${response.status}`);
          return performance.now() - t0;
        }, { origin: widgetOrigin });
      }
      if (run > 0) {
        if (!onDevice) {
          results.notice.push(notice);
          results.dialog.push(dialog);
          results.serverPath.push(path_);
          results.direct.push(direct);
        } else {
          results.devicePath.push(path_);
        }
      }
      await context.close();
    }
  }

  const wasm = readFileSync(path.join(root, "pkg/vitrine_widget_bg.wasm"));
  const loader = readFileSync(path.join(root, "www/vitrine.js"));
  const row = (name, values, peer) =>
    `| ${name} | ${median(values).toFixed(0)} ms | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms | ${peer} |`;
  console.log([
    `Photo: 4000×3000 JPEG (${(photoBytes.length / 1e6).toFixed(1)} MB) drawn from ${path.basename(source)}; median of ${runs} runs after one warm-up, each in a fresh browser profile.`,
    `Loader: ${loader.length} B, ${gzipSync(loader, { level: 9 }).length} B gzipped. WASM: ${wasm.length} B, ${gzipSync(wasm, { level: 9 }).length} B gzipped.`,
    "",
    "| What | Median | Min–max | Peer, same run |",
    "|---|---:|---:|---|",
    row("click → notice shown (cold: widget.js, worker, WASM fetched and compiled)", results.notice,
      `native \`<dialog>\` click → shown: ${median(results.dialog).toFixed(1)} ms`),
    row("photo chosen → render shown, server (clean on device, product, placement, render)", results.serverPath,
      `bare \`fetch\` POST of the same cleaned bytes: ${median(results.direct).toFixed(0)} ms (${(median(results.serverPath) / median(results.direct)).toFixed(2)}×)`),
    row("photo chosen → render shown, on this device", results.devicePath,
      `${(median(results.devicePath) / median(results.serverPath)).toFixed(2)}× the server path`),
  ].join("\n"));
} finally {
  await browser.close();
  stop();
}
