// Browser benchmark of the built-in compositor on a 2048×1536 room photo in headless Chromium,
// beside Chromium's Canvas 2D; prints a markdown table.
//
//   VITRINE_SERVER_BIN=target/debug/vitrine-server VITRINE_ROOT=$PWD node www/bench/run-compositor-bench.mjs
//
// Needs pkg/ built (cargo xtask build-widget) and npm ci in www/.
import path from "node:path";
import { fixtures, withBenchPage } from "./harness.mjs";

const photo = path.join(fixtures, "ia__hdr_canon_hdr_YES.jpg");
const runs = Number(process.env.VITRINE_BENCH_RUNS ?? 10);

await withBenchPage({ widgetPort: 18799, shopPort: 18800 }, async (page, origin) => {
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
});
