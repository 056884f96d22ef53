// The loader on a retailer page served from another origin: nothing happens until the click.
import { test, expect } from "@playwright/test";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SHOP_ORIGIN, WIDGET_ORIGIN } from "./helpers";

test("the loader is at most 2 KB gzipped", () => {
  const loader = readFileSync(fileURLToPath(new URL("../vitrine.js", import.meta.url)));
  const size = gzipSync(loader, { level: 9 }).length;
  console.log(`vitrine.js: ${loader.length} B, ${size} B gzipped`);
  expect(size).toBeLessThanOrEqual(2048);
});

test("the README's SRI hash is the loader's", () => {
  const loader = readFileSync(fileURLToPath(new URL("../vitrine.js", import.meta.url)));
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const hash = createHash("sha384").update(loader).digest("base64");
  expect(readme).toContain(`integrity="sha384-${hash}"`);
});

test("before the click: one script request, no cookie, no storage, a closed shadow root", async ({ page, context }) => {
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));

  const response = await page.goto("/");
  expect(response?.headers()["content-security-policy"]).toContain("worker-src blob:");
  const host = page.locator("[data-vitrine]");
  await expect(host).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(1000);

  const widgetRequests = requests.filter((u) => u.startsWith(WIDGET_ORIGIN));
  expect(widgetRequests).toEqual([`${WIDGET_ORIGIN}/vitrine.js`]);
  expect(requests.every((u) => u.startsWith(SHOP_ORIGIN) || u.startsWith(WIDGET_ORIGIN))).toBe(true);
  expect(await context.cookies()).toEqual([]);
  const storage = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
  }));
  expect(storage).toEqual({ local: 0, session: 0, idb: 0, caches: 0 });

  // Production mode: the root is closed, session-replay tools are told not to record it, and
  // there are no test hooks.
  const shape = await host.evaluate((el) => ({
    shadowRoot: el.shadowRoot === null ? "closed" : "open",
    clarity: el.getAttribute("data-clarity-mask"),
    hotjar: el.hasAttribute("data-hj-suppress"),
    logrocket: el.hasAttribute("data-private"),
    classes: el.className.split(" ").sort(),
    api: Object.keys((window as any).Vitrine ?? {}).sort(),
    hooks: "__vitrineTest" in window,
  }));
  expect(shape).toEqual({
    shadowRoot: "closed",
    clarity: "true",
    hotjar: true,
    logrocket: true,
    classes: ["fs-exclude", "ph-no-capture", "rr-block", "sentry-block"],
    api: ["close", "off", "on", "open", "setConsent", "setProduct", "setUser", "track"],
    hooks: false,
  });
  await page.screenshot({ path: "/tmp/vitrine-launcher.png" });
  expect(problems).toEqual([]);
});

test("the click loads the widget, its blob: worker and the WASM from our origin under the shop's CSP", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto("/");
  const events = page.evaluate(() => {
    const on = (window as any).Vitrine.on;
    const opened = new Promise((resolve) => on("open", resolve));
    // "ready": the WASM is running in the blob: worker; "error": it could not start.
    const started = new Promise((resolve) => {
      on("ready", () => resolve("ready"));
      on("error", (e: { code: string }) => resolve(`error: ${e.code}`));
    });
    return Promise.all([opened, started]);
  });
  const wasm = page.waitForResponse(`${WIDGET_ORIGIN}/pkg/vitrine_widget_bg.wasm`);
  // The closed shadow root cannot be queried; a shopper's click on the button works all the same.
  await page.locator("[data-vitrine]").click();
  const wasmResponse = await wasm;
  expect(wasmResponse.headers()["content-type"]).toBe("application/wasm");
  expect(wasmResponse.headers()["access-control-allow-origin"]).toBe("*");
  expect(await events).toEqual([{ product: "OAK-PLANK-190" }, "ready"]);
  // Nothing (CSP, CORS, MIME) complained.
  expect(problems).toEqual([]);
  expect(await page.evaluate(() => "__vitrineTest" in window)).toBe(false);
  await page.screenshot({ path: "/tmp/vitrine-widget-open.png" });
});
