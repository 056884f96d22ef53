// Browser benchmark: prepare a 12-megapixel phone JPEG (clean + upright + downscale to 2048 +
// encode) in headless Chromium, median of 10, three ways; prints a markdown table.
//
//   VITRINE_SERVER_BIN=target/debug/vitrine-server VITRINE_ROOT=$PWD node www/bench/run-bench.mjs
//
// Needs pkg/ and pkg-rust-codec/ built, exiftool on PATH, and npm ci in www/.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fixtures, withBenchPage } from "./harness.mjs";

const source = path.join(fixtures, "ia__hdr_iphone_hdr_YES.jpg");
const photo = process.env.VITRINE_BENCH_PHOTO ?? "/tmp/vitrine-bench-12mp.jpg";
const runs = Number(process.env.VITRINE_BENCH_RUNS ?? 10);

/** A 4000×3000 phone JPEG with the iPhone's full EXIF (GPS included): upscaled in Chromium, EXIF copied by exiftool. */
async function makePhoto(page) {
  if (existsSync(photo)) return;
  await page.locator("#photo").setInputFiles(source);
  const bytes = await page.evaluate(async () => {
    const file = document.getElementById("photo").files[0];
    const bitmap = await createImageBitmap(file);
    const canvas = new OffscreenCanvas(4000, 3000);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, 4000, 3000);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  writeFileSync(photo, Buffer.from(bytes));
  execFileSync("exiftool", ["-q", "-overwrite_original", "-TagsFromFile", source, "-all:all",
    "-ExifImageWidth=4000", "-ExifImageHeight=3000", photo]);
}

await withBenchPage({ widgetPort: 18797, shopPort: 18798 }, async (page, origin) => {
  await page.goto(`${origin}/bench/`);
  await page.waitForFunction(() => typeof window.runBench === "function");
  await makePhoto(page);
  const gps = execFileSync("exiftool", ["-s3", "-GPSPosition", "-ImageSize", photo], { encoding: "utf8" }).trim();
  await page.locator("#photo").setInputFiles(photo);
  const report = await page.evaluate((n) => window.runBench({ runs: n }), runs);
  const [ours] = report.results;
  const lines = [
    `Input: ${path.basename(photo)}, ${report.input.bytes} bytes, ${gps.replace(/\n/g, ", ")}; median of ${runs} runs after one warm-up; ${report.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0]}.`,
    "",
    "| Path | Median | Min–max | vs. shipped | Longest main-thread task | Output | EXIF left |",
    "|---|---:|---:|---:|---:|---|---|",
    ...report.results.map((r) =>
      `| ${r.name} | ${r.medianMs.toFixed(0)} ms | ${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)} ms | ` +
      `${(r.medianMs / ours.medianMs).toFixed(2)}× | ${r.worstMainThreadTaskMs ? r.worstMainThreadTaskMs.toFixed(0) + " ms" : "none ≥ 50 ms"} | ` +
      `${r.output.width}×${r.output.height}, ${(r.output.bytes / 1024).toFixed(0)} KiB | ${r.output.exif ? "yes" : "no"} |`),
  ];
  console.log(lines.join("\n"));
  writeFileSync("/tmp/vitrine-bench.json", JSON.stringify(report, null, 2));
});
