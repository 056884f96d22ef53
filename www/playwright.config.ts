// Playwright walks of the demo: the retailer page on one origin, the widget served from another,
// both from the real `vitrine-server demo` (VITRINE_SERVER_BIN) over the repository (VITRINE_ROOT).
import { defineConfig } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const server = process.env.VITRINE_SERVER_BIN ?? path.resolve(__dirname, "../target/debug/vitrine-server");
const root = process.env.VITRINE_ROOT ?? path.resolve(__dirname, "..");
// Ports away from the 8787/8788 a developer's `cargo xtask demo` uses.
const widgetPort = Number(process.env.VITRINE_TEST_WIDGET_PORT ?? 18787);
const shopPort = Number(process.env.VITRINE_TEST_SHOP_PORT ?? 18788);
// A fresh database per run: the demo retailer, its key and the rate-limit counters start empty.
// Kept in the environment so the test workers (which load this file again) use the same one.
process.env.VITRINE_TEST_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "vitrine-playwright-"));
export const DATA_DIR = process.env.VITRINE_TEST_DATA_DIR;
export const SERVER_BIN = server;
const dataDir = DATA_DIR;

export const WIDGET_ORIGIN = `http://127.0.0.1:${widgetPort}`;
export const SHOP_ORIGIN = `http://127.0.0.1:${shopPort}`;

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export default defineConfig({
  testDir: "./tests",
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: SHOP_ORIGIN,
    trace: "on-first-retry",
    launchOptions: { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: `"${server}" demo --listen 127.0.0.1:${widgetPort} --shop-listen 127.0.0.1:${shopPort} --assets-dir "${root}" --data-dir "${dataDir}" --renders-per-hour 100 --renders-per-day 200`,
    url: `${WIDGET_ORIGIN}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
