// Browser benchmark of the built-in compositor on a 2048×1536 room photo in headless Chromium,
// beside Chromium's Canvas 2D; prints a markdown table.
//
//   VITRINE_SERVER_BIN=target/debug/vitrine-server VITRINE_ROOT=$PWD node www/bench/run-compositor-bench.mjs
//
// Needs pkg/ built (cargo xtask build-widget) and npm ci in www/.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.VITRINE_ROOT ?? path.resolve(here, "../..");
const serverBin = process.env.VITRINE_SERVER_BIN ?? path.join(root, "target/debug/vitrine-server");
const fixtures = process.env.VITRINE_FIXTURES ?? path.resolve(root, "../shared/fixtures/photos");
const photo = path.join(fixtures, "ia__hdr_canon_hdr_YES.jpg");
const runs = Number(process.env.VITRINE_BENCH_RUNS ?? 10);
const widgetPort = 18799;
const shopPort = 18800;
const origin = `http://127.0.0.1:${widgetPort}`;
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const server = spawn(serverBin, ["demo", "--listen", `127.0.0.1:${widgetPort}`, "--shop-listen",
  `127.0.0.1:${shopPort}`, "--assets-dir", root], { stdio: ["ignore", "ignore", "inherit"] });
const stop = () => server.kill("SIGTERM");
process.on("exit", stop);

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("vitrine-server did not start");
}

await waitForServer();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", String(e)));
  page.on("console", (m) => m.type() === "error" && console.error("console:", m.text()));
  await page.goto(`${origin}/bench/compositor.html`);
  await page.waitForFunction(() => typeof window.runCompositorBench === "function");
  await page.locator("#photo").setInputFiles(photo);
  const report = await page.evaluate((n) => window.runCompositorBench({ runs: n }), runs);
  const [ours] = report.results;
  console.log([
    `Input: ${path.basename(photo)}, ${report.width}×${report.height}; median of ${runs} runs after one warm-up; ${report.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0]}.`,
    "",
    "| Path | Median | Min–max | vs. ours |",
    "|---|---:|---:|---:|",
    ...report.results.map((r) => `| ${r.name} | ${r.medianMs.toFixed(0)} ms | ${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)} ms | ${(r.medianMs / ours.medianMs).toFixed(2)}× |`),
  ].join("\n"));
} finally {
  await browser.close();
  stop();
}
