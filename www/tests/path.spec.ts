// The shopper's path on the demo page: notice → photo → placement → render, against the real
// server (SQLite, built-in compositor, the real person check). Screenshots of each step are kept
// in test-results/ as artefacts.
import { test, expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { acceptNotice, exiftool, fixture, hasExif, lastCleaned, metadataTags, openWidget, SHOP_ORIGIN, WIDGET_ORIGIN } from "./helpers";

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date("2026-11-24T12:00:00Z").getTime();

const consentFlag = (page: Page) => page.evaluate(() => localStorage.getItem("vitrine.consent"));
const tick = (page: Page) => page.getByRole("checkbox", { name: /I am 18 or over/ });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: false });
}

/** Open the launcher (test hooks on) without accepting anything. */
async function launch(page: Page) {
  await openWidget(page, { accept: false });
}

test("the notice: nothing ticked, nothing sent; accepted for 7 days; shown again when expired or reworded", async ({ page }) => {
  const apiCalls: string[] = [];
  page.on("request", (r) => r.url().includes("/v1/") && apiCalls.push(r.url()));
  await page.clock.setFixedTime(T0);
  await launch(page);
  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
  for (const words of ["AI-generated.", "Adults only.", "Rooms, not people."]) {
    await expect(page.getByText(words)).toBeVisible();
  }
  await expect(tick(page)).not.toBeChecked();
  await expect(page.getByRole("button", { name: "Continue" })).toBeDisabled();
  await shot(page, "1-notice");
  // The photo inputs are not reachable before consent.
  await expect(page.getByText("Choose a photo", { exact: true })).toBeHidden();

  await acceptNotice(page);
  const stored = JSON.parse((await consentFlag(page)) ?? "null");
  expect(stored).toEqual({ notice: 1, accepted_at: T0, expires_at: T0 + 7 * DAY, covers: ["gdpr-6-1-a", "gdpr-9-2-a"] });
  expect(apiCalls).toEqual([]);

  // Six days later: straight to the photo.
  await page.clock.setFixedTime(T0 + 7 * DAY - 60_000);
  await launch(page);
  await expect(page.getByText("Choose a photo", { exact: true })).toBeVisible();
  await expect(tick(page)).toBeHidden();

  // Seven days to the millisecond: expired, asked again, unticked.
  await page.clock.setFixedTime(T0 + 7 * DAY);
  await launch(page);
  await expect(tick(page)).toBeVisible();
  await expect(tick(page)).not.toBeChecked();

  // A flag for an older notice, or one edited to last longer, does not count.
  await page.clock.setFixedTime(T0 + DAY);
  for (const flag of [
    { notice: 0, accepted_at: T0, expires_at: T0 + 7 * DAY, covers: ["gdpr-6-1-a", "gdpr-9-2-a"] },
    { notice: 1, accepted_at: T0, expires_at: T0 + 70 * DAY, covers: ["gdpr-6-1-a", "gdpr-9-2-a"] },
  ]) {
    await page.evaluate((value) => localStorage.setItem("vitrine.consent", value), JSON.stringify(flag));
    await launch(page);
    await expect(tick(page)).toBeVisible();
  }
});

test("declining closes cleanly: no flag, no upload, no API call", async ({ page, context }) => {
  const apiCalls: string[] = [];
  page.on("request", (r) => r.url().includes("/v1/") && apiCalls.push(r.url()));
  await launch(page);
  await tick(page).check();
  await page.getByRole("dialog").getByRole("button", { name: "No thanks" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();
  expect(await consentFlag(page)).toBeNull();
  expect(apiCalls).toEqual([]);
  expect(await context.cookies()).toEqual([]);
  // Opening again asks again, unticked.
  await page.getByRole("button", { name: "See it in your room" }).click();
  await expect(tick(page)).not.toBeChecked();
});

/** Photo chosen and cleaned, product fetched, placement shown. */
async function toPlacement(page: Page, photo: string) {
  await openWidget(page);
  await page.locator("input[data-vitrine-input=library]").setInputFiles(fixture(photo));
  const cleaned = await lastCleaned(page);
  await page.getByRole("button", { name: "Next: place it" }).click();
  await expect(page.getByRole("heading", { name: "Where does it go?" })).toBeVisible();
  return cleaned;
}

async function renderResult(page: Page) {
  await page.waitForFunction(() => (window as any).__vitrineTest?.render != null, null, { timeout: 60_000 });
  const bytes = await page.evaluate(async () => {
    const blob: Blob = (window as any).__vitrineTest.render.blob;
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

test("a GPS photo placed and rendered on the server: the wire carries no metadata, the render is labelled AI-generated", async ({ page, context }) => {
  const uploads: { url: string; body: Buffer | null }[] = [];
  const everyRequest: string[] = [];
  page.on("request", (r) => r.url().includes("/renders?") && uploads.push({ url: r.url(), body: r.postDataBuffer() }));
  context.on("request", (r) => everyRequest.push(r.url()));
  const cleaned = await toPlacement(page, "ia__gps_DSCN0010.jpg");
  await shot(page, "3-placement");

  const handles = page.locator("button[data-corner]");
  await expect(handles).toHaveCount(4);
  await expect(handles.first()).toHaveAccessibleName(/far-left corner, 22% across, 60% down/);
  // Keyboard: three steps right, one big step up.
  await handles.first().focus();
  for (const key of ["ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowUp"]) await page.keyboard.press(key);
  await expect(handles.first()).toHaveAccessibleName(/far-left corner, 25% across, 55% down/);
  // Pointer: drag the near-right corner to the picture's bottom-right.
  const stage = await page.locator(".stage").boundingBox();
  const nearRight = await handles.nth(2).boundingBox();
  if (!stage || !nearRight) throw new Error("no layout");
  await page.mouse.move(nearRight.x + nearRight.width / 2, nearRight.y + nearRight.height / 2);
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.width + 20, stage.y + stage.height + 20, { steps: 5 });
  await page.mouse.up();
  await expect(handles.nth(2)).toHaveAccessibleName(/near-right corner, 100% across, 100% down/);

  await page.getByRole("button", { name: "Show it in my room" }).click();
  const render = await renderResult(page);
  await expect(page.getByRole("heading", { name: "Your room, with this product" })).toBeVisible();
  await expect(page.locator(".ai-label")).toHaveText("AI-generated");
  await expect(page.getByText("AI-generated: colour, pattern and finish may differ")).toBeVisible();
  await shot(page, "4-render");

  expect(uploads).toHaveLength(1);
  const url = new URL(uploads[0].url);
  expect(url.origin).toBe(WIDGET_ORIGIN);
  expect(url.searchParams.get("product")).toBe("OAK-PLANK-190");
  expect(url.searchParams.get("session")).toMatch(/^[0-9a-f]{32}$/);
  expect(url.searchParams.get("corners")!.split(",").map(Number)).toEqual([0.25, 0.55, 0.78, 0.6, 1, 1, 0.02, 0.97]);
  expect(url.searchParams.get("size")).toBe("4x4");
  // What left the browser is the cleaned photo, byte for byte: no EXIF, no GPS (exiftool agrees).
  const sent = uploads[0].body;
  expect(sent).not.toBeNull();
  expect(sent!.equals(cleaned.bytes)).toBe(true);
  expect(hasExif(sent!)).toBe(false);
  expect(metadataTags(exiftool(sent!, "sent.jpg"))).toEqual([]);
  // The render: a JPEG whose only metadata is the AI label.
  const tags = exiftool(render, "render.jpg");
  expect(tags["XMP-iptcExt:DigitalSourceType"]).toBe("http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia");
  expect(metadataTags(tags).filter((t) => !t.startsWith("XMP-x:") && !t.startsWith("XMP-iptcExt:"))).toEqual([]);
  // Nothing went anywhere but the shop's page and our server (the worker included), and no
  // cookie was set.
  const elsewhere = everyRequest.filter((u) => !/^(blob|data):/.test(u) && !u.startsWith(SHOP_ORIGIN) && !u.startsWith(WIDGET_ORIGIN));
  expect(elsewhere).toEqual([]);
  expect(await context.cookies()).toEqual([]);
});

test("render on this device: the photo never leaves it, the render is counted and labelled", async ({ page }) => {
  const sentPhotos: string[] = [];
  const counted: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/renders?")) sentPhotos.push(r.url());
    if (r.url().endsWith("/device-renders")) counted.push(r.postData() ?? "");
  });
  await toPlacement(page, "ia__hdr_canon_hdr_YES.jpg");
  await page.getByRole("checkbox", { name: /Render on this device/ }).check();
  await page.getByRole("button", { name: "Show it in my room" }).click();
  const render = await renderResult(page);
  await expect(page.getByText("Made on this device: your photo did not leave it.")).toBeVisible();
  await shot(page, "4-render-on-device");
  expect(sentPhotos).toEqual([]);
  expect(counted.map((body) => JSON.parse(body))).toEqual([{ product: "OAK-PLANK-190" }]);
  const tags = exiftool(render, "device-render.jpg");
  expect(tags["XMP-iptcExt:DigitalSourceType"]).toBe("http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia");
  expect(await page.evaluate(() => (window as any).__vitrineTest.render.onDevice)).toBe(true);
});

test("a photo with a person is refused in plain words; offline gets its own words and a retry that works", async ({ page, context }) => {
  await toPlacement(page, "ia__xmp_no_exif.jpg");
  await page.getByRole("button", { name: "Show it in my room" }).click();
  const error = page.getByRole("alert");
  await expect(error).toHaveText(/seems to show a person/, { timeout: 60_000 });
  await expect(error).toHaveAttribute("data-code", "person_detected");
  await expect(page.getByRole("button", { name: "Try again" })).toBeHidden();
  await shot(page, "4-person-detected");

  // A room photo, then the network drops.
  await page.getByRole("button", { name: "Choose another photo" }).click();
  await page.evaluate(() => ((window as any).__vitrineTest.last = null));
  await page.locator("input[data-vitrine-input=library]").setInputFiles(fixture("ia__gps_DSCN0010.jpg"));
  await lastCleaned(page);
  await page.getByRole("button", { name: "Next: place it" }).click();
  await context.setOffline(true);
  await page.getByRole("button", { name: "Show it in my room" }).click();
  await expect(error).toHaveAttribute("data-code", "offline");
  await expect(error).toHaveText(/offline/);
  await shot(page, "4-offline");
  await context.setOffline(false);
  await page.getByRole("button", { name: "Try again" }).click();
  await renderResult(page);
  await expect(page.locator(".ai-label")).toBeVisible();
});

test("server refusals the shopper can act on: 429 says when to come back, 504 offers a retry", async ({ page }) => {
  await toPlacement(page, "ia__gps_DSCN0010.jpg");
  const retryAt = new Date(Date.now() + 50 * 60_000);
  // The render endpoint answers as the rate limiter and a slow backend do (the real codes and
  // bodies are tested against the server in server/tests/http_api.rs).
  await page.route("**/renders?**", (route) => route.fulfill({
    status: 429,
    headers: { "Content-Type": "application/json", "Retry-After": "3000", "Access-Control-Allow-Origin": "*" },
    body: JSON.stringify({ error: { code: "rate_limited", message: "limit", retry_at: retryAt.toISOString(), retry_after_seconds: 3000 } }),
  }));
  await page.getByRole("button", { name: "Show it in my room" }).click();
  const error = page.getByRole("alert");
  await expect(error).toHaveAttribute("data-code", "rate_limited");
  const time = await page.evaluate((iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), retryAt.toISOString());
  await expect(error).toHaveText(new RegExp(`try again at ${time}`));
  await page.unroute("**/renders?**");
  await page.route("**/renders?**", (route) => route.fulfill({
    status: 504,
    headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
    body: JSON.stringify({ error: { code: "backend_timeout", message: "slow" } }),
  }));
  await page.getByRole("button", { name: "Show it in my room" }).click();
  await expect(error).toHaveAttribute("data-code", "backend_timeout");
  await expect(page.getByRole("button", { name: "Try again" })).toBeVisible();
});

/** Every record of the widget's IndexedDB store, as the browser holds it. */
async function savedRecords(page: Page) {
  return page.evaluate(() => new Promise<any[]>((resolve, reject) => {
    const open = indexedDB.open("vitrine");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("recent_renders")) return resolve([]);
      const request = db.transaction("recent_renders").objectStore("recent_renders").getAll();
      request.onsuccess = () => {
        db.close();
        resolve(request.result.map((r: any) => ({ ...r, jpeg: r.jpeg.length })));
      };
    };
  }));
}

test("save on this device: unticked by default, 3 most recent kept, listed next time, removable one by one", async ({ page }) => {
  await toPlacement(page, "ia__gps_DSCN0010.jpg");
  const key = await page.evaluate(() => document.querySelector("script[data-key]")!.getAttribute("data-key"));
  // Three renders saved on earlier visits (written as the store writes them).
  await page.evaluate(async (retailer) => {
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open("vitrine", 1);
      open.onupgradeneeded = () => {
        const store = open.result.createObjectStore("recent_renders", { keyPath: "id", autoIncrement: true });
        store.createIndex("by_retailer", "retailer");
      };
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction("recent_renders", "readwrite");
        const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
        for (const n of [1, 2, 3]) {
          tx.objectStore("recent_renders").add({ retailer, product: `OLD-${n}`, productName: `Old ${n}`, createdAt: n, jpeg });
        }
        tx.oncomplete = () => { open.result.close(); resolve(); };
      };
    });
  }, key);

  await page.getByRole("button", { name: "Show it in my room" }).click();
  const render = await renderResult(page);
  const saveTick = page.getByRole("checkbox", { name: /Save on this device/ });
  await expect(saveTick).not.toBeChecked();
  await shot(page, "5-save-popup");
  // Nothing ticked: nothing kept.
  await page.getByRole("button", { name: "Keep my choices" }).click();
  await expect(page.getByText("Nothing ticked, so nothing was kept.")).toBeVisible();
  expect((await savedRecords(page)).map((r) => r.product)).toEqual(["OLD-1", "OLD-2", "OLD-3"]);

  await saveTick.check();
  await page.getByRole("button", { name: "Keep my choices" }).click();
  await expect(page.getByText("Saved on this device.")).toBeVisible();
  const records = await savedRecords(page);
  expect(records.map((r) => r.product)).toEqual(["OLD-2", "OLD-3", "OAK-PLANK-190"]);
  expect(records[2]).toMatchObject({ retailer: key, productName: "Oak plank, natural oil, 190 mm", jpeg: render.length });

  // Next visit (the notice was accepted this week): listed newest first, removable one by one.
  await openWidget(page, { accept: false });
  const recent = page.getByRole("region", { name: "Your recent pictures on this device" });
  await expect(recent.getByRole("listitem")).toHaveCount(3);
  await expect(recent.getByRole("listitem").first()).toContainText("Oak plank, natural oil, 190 mm");
  await shot(page, "5-recent-renders");
  await recent.getByRole("button", { name: /Remove the picture of Old 2/ }).click();
  await expect(recent.getByRole("listitem")).toHaveCount(2);
  expect((await savedRecords(page)).map((r) => r.product)).toEqual(["OLD-3", "OAK-PLANK-190"]);

});

test("a full disk: the browser refuses the save and the shopper is told, in words", async ({ page, context }) => {
  // Chromium applies a quota override to storage opened after it: set it before the page loads.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: SHOP_ORIGIN, quotaSize: 1 });
  await toPlacement(page, "ia__hdr_canon_hdr_YES.jpg");
  await page.getByRole("checkbox", { name: /Render on this device/ }).check();
  await page.getByRole("button", { name: "Show it in my room" }).click();
  await renderResult(page);
  await page.getByRole("checkbox", { name: /Save on this device/ }).check();
  await page.getByRole("button", { name: "Keep my choices" }).click();
  await expect(page.getByRole("alert")).toHaveAttribute("data-code", "storage_full");
  await expect(page.getByRole("alert")).toHaveText(/storage for the shop is full/);
  await expect(page.getByRole("button", { name: "Keep my choices" })).toBeEnabled();
  await shot(page, "5-storage-full");
  expect(await savedRecords(page)).toEqual([]);
});

test("share publicly and email me: own ticks, none pre-ticked; the link removes the shared render; the lead's opt-in is off unless ticked", async ({ page, request }) => {
  await toPlacement(page, "ia__gps_DSCN0010.jpg");
  await page.getByRole("button", { name: "Show it in my room" }).click();
  await renderResult(page);
  const share = page.getByRole("checkbox", { name: /Share publicly/ });
  const email = page.getByRole("checkbox", { name: /Email me this picture/ });
  await expect(share).not.toBeChecked();
  await expect(email).not.toBeChecked();
  await expect(page.getByLabel("Your email address")).toBeHidden();
  await share.check();
  await email.check();
  const offers = page.getByRole("checkbox", { name: /news and offers/ });
  await expect(offers).not.toBeChecked();
  await page.getByLabel("Your email address").fill("shopper@example.com");
  const leadRequest = page.waitForRequest("**/leads");
  const leadResponse = page.waitForResponse("**/leads");
  await page.getByRole("button", { name: "Keep my choices" }).click();
  await expect(page.getByText("Sent to the shop, who will email you the picture.")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/Shared\. The shop will review it/)).toBeVisible();
  await shot(page, "5-shared-and-emailed");

  // The lead: the address as typed, the opt-in off because it was not ticked, stored so.
  const sent = JSON.parse((await leadRequest).postData() ?? "{}");
  expect({ email: sent.email, product: sent.product, marketing_opt_in: sent.marketing_opt_in })
    .toEqual({ email: "shopper@example.com", product: "OAK-PLANK-190", marketing_opt_in: false });
  const stored = await (await leadResponse).json();
  expect((await leadResponse).status()).toBe(201);
  expect(stored.marketing_opt_in).toBe(false);

  // The withdrawal link, shown to copy, removes the shared render at once, without an account.
  const link = page.getByLabel("Your removal link");
  const withdrawUrl = await link.inputValue();
  expect(withdrawUrl).toMatch(new RegExp(`^${WIDGET_ORIGIN}/v1/gallery/withdraw/[A-Za-z0-9]{43}$`));
  const first = await request.get(withdrawUrl);
  expect(first.status()).toBe(200);
  expect(await first.text()).toContain("Your picture has been removed");
  const again = await request.get(withdrawUrl);
  expect(again.status()).toBe(404);
  expect(await again.text()).toContain("no longer in the gallery");
});

test("a photo dropped on the panel is cleaned like a chosen one; the camera button asks for the rear camera", async ({ page }) => {
  await openWidget(page);
  await expect(page.locator("input[data-vitrine-input=camera]")).toHaveAttribute("capture", "environment");
  const bytes = Array.from(readFileSync(fixture("ia__gps_DSCN0010.jpg")));
  const dataTransfer = await page.evaluateHandle((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], "room.jpg", { type: "image/jpeg" }));
    return transfer;
  }, bytes);
  const panel = page.locator(".panel");
  await panel.dispatchEvent("dragover", { dataTransfer });
  await panel.dispatchEvent("drop", { dataTransfer });
  const cleaned = await lastCleaned(page);
  expect(cleaned.removed).toContain("GPS location");
  expect(hasExif(cleaned.bytes)).toBe(false);
  await expect(page.getByRole("button", { name: "Next: place it" })).toBeVisible();
});
