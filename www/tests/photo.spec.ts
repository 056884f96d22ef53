// The shopper's photo step, end to end: real photos through the widget, checked by exiftool.
import { test, expect } from "@playwright/test";
import { exiftool, fixture, hasExif, lastCleaned, metadataTags, openWidget } from "./helpers";

test("a GPS photo: the removed list names the location and the preview is the cleaned image", async ({ page }) => {
  await openWidget(page);
  await page.locator("input[data-vitrine-input=library]").setInputFiles(fixture("ia__gps_DSCN0010.jpg"));
  const removed = page.getByRole("region", { name: "Removed from your photo" });
  await expect(removed.getByText("GPS location removed")).toBeVisible();
  await expect(removed.getByText("Camera make and model removed")).toBeVisible();
  await expect(page.getByRole("status")).toContainText("Your photo is ready");

  const cleaned = await lastCleaned(page);
  expect(cleaned.mime).toBe("image/jpeg");
  expect([cleaned.width, cleaned.height, cleaned.reencoded]).toEqual([640, 480, false]);
  expect(cleaned.removedCodes[0]).toBe("gps_location");
  expect(hasExif(cleaned.bytes)).toBe(false);
  const tags = exiftool(cleaned.bytes, "gps.jpg");
  expect(metadataTags(tags)).toEqual([]);
  expect(tags["File:ImageWidth"]).toBe(640);

  // The preview shows exactly the cleaned bytes, never the raw file; the input let go of it.
  const preview = page.getByRole("img", { name: "Your photo, cleaned" });
  await expect(preview).toBeVisible();
  // (The shop's CSP rightly forbids fetch() of blob: URLs, so the widget's test hook keeps the
  // Blob behind the preview's URL.)
  const shown = await preview.evaluate(async (img: HTMLImageElement) => {
    const last = (window as any).__vitrineTest.last;
    const bytes = new Uint8Array(await last.previewBlob.arrayBuffer());
    return { src: img.src, url: last.previewUrl, bytes: Array.from(bytes), natural: [img.naturalWidth, img.naturalHeight] };
  });
  expect(shown.src.startsWith("blob:")).toBe(true);
  expect(shown.src).toBe(shown.url);
  expect(Buffer.from(shown.bytes).equals(cleaned.bytes)).toBe(true);
  expect(shown.natural).toEqual([640, 480]);
  const inputFiles = await page.locator("input[data-vitrine-input=library]").evaluate((i: HTMLInputElement) => i.files?.length ?? 0);
  expect(inputFiles).toBe(0);
  await page.screenshot({ path: "/tmp/vitrine-after-upload.png" });
});

test("a PNG and a WebP come out without their text and EXIF chunks", async ({ page }) => {
  await openWidget(page);
  const input = page.locator("input[data-vitrine-input=library]");

  await input.setInputFiles(fixture("mat2__data_dirty.png"));
  await expect(page.getByText("File modification time removed")).toBeVisible();
  const png = await lastCleaned(page);
  expect([png.mime, png.width, png.height]).toEqual(["image/png", 800, 600]);
  for (const chunk of ["tIME", "iTXt", "tEXt", "zTXt", "eXIf"]) expect(png.bytes.includes(chunk)).toBe(false);
  expect(metadataTags(exiftool(png.bytes, "dirty.png"))).toEqual([]);

  await page.evaluate(() => ((window as any).__vitrineTest.last = null));
  await input.setInputFiles(fixture("mat2__data_dirty.webp"));
  await expect(page.getByRole("status")).toContainText("Your photo is ready");
  const webp = await lastCleaned(page);
  expect([webp.mime, webp.width, webp.height]).toEqual(["image/webp", 800, 600]);
  expect(webp.bytes.includes("EXIF")).toBe(false);
  expect(hasExif(webp.bytes)).toBe(false);
  expect(metadataTags(exiftool(webp.bytes, "dirty.webp"))).toEqual([]);
});

test("a 12 MP phone photo is downscaled off the main thread; long tasks are recorded", async ({ page }, testInfo) => {
  await openWidget(page);
  await page.evaluate(() => {
    const w = window as any;
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push(Math.round(entry.duration));
    }).observe({ type: "longtask" });
  });
  const started = Date.now();
  await page.locator("input[data-vitrine-input=library]").setInputFiles(fixture("ia__hdr_iphone_hdr_YES.jpg"));
  await page.waitForFunction(() => (window as any).__vitrineTest?.last != null, null, { timeout: 30_000 });
  const elapsed = Date.now() - started;
  const cleaned = await lastCleaned(page);
  const workerMs = Math.round(await page.evaluate(() => (window as any).__vitrineTest.last.workerMs));
  await page.waitForTimeout(300);
  const longTasks: number[] = await page.evaluate(() => (window as any).__longTasks);
  expect([cleaned.width, cleaned.height, cleaned.reencoded]).toEqual([2048, 1536, true]);
  expect([cleaned.originalWidth, cleaned.originalHeight]).toEqual([3264, 2448]);
  expect(cleaned.removed[0]).toBe("GPS location");
  expect(hasExif(cleaned.bytes)).toBe(false);
  expect(metadataTags(exiftool(cleaned.bytes, "iphone.jpg"))).toEqual([]);
  await expect(page.getByText("Resized to 2048 × 1536 from 3264 × 2448.")).toBeVisible();
  const note = `3264×2448: ${workerMs} ms in the worker, ${elapsed} ms from setInputFiles to result; main-thread long tasks (ms): ${JSON.stringify(longTasks)}`;
  testInfo.annotations.push({ type: "long tasks", description: note });
  console.log(note);
  // The page only reads the file and hands its buffer over; decoding, resizing, encoding and
  // verifying run in the worker. Observed: no long task at all in every run (here and in the
  // benchmark), so any task over 50 ms on the main thread is a regression.
  expect(longTasks.filter((ms) => ms > 50)).toEqual([]);
});

test("unsupported and broken files get their own plain-words error", async ({ page }) => {
  await openWidget(page);
  const input = page.locator("input[data-vitrine-input=library]");
  const alert = page.getByRole("alert");

  const gif = Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64");
  await input.setInputFiles({ name: "room.gif", mimeType: "image/gif", buffer: gif });
  // The real format is named, whatever the file name or MIME type says.
  await expect(alert).toContainText("That file is a GIF file, not a photo we can use");
  await expect(alert).toHaveAttribute("data-code", "unsupported_format");
  await expect(page.getByRole("img", { name: "Your photo, cleaned" })).toBeHidden();

  await input.setInputFiles({ name: "holiday.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo at all\n") });
  await expect(alert).toContainText("isn't a photo we can use");
  await expect(alert).toHaveAttribute("data-code", "unsupported_format");
  await page.screenshot({ path: "/tmp/vitrine-error.png" });

  const { readFileSync } = await import("node:fs");
  const truncated = readFileSync(fixture("ia__gps_DSCN0010.jpg")).subarray(0, 5000);
  await input.setInputFiles({ name: "cut.jpg", mimeType: "image/jpeg", buffer: truncated });
  await expect(alert).toHaveAttribute("data-code", "truncated");
  await expect(alert).toContainText("looks incomplete");

  await input.setInputFiles({ name: "empty.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(0) });
  await expect(alert).toHaveAttribute("data-code", "empty_file");
  const errors = await page.evaluate(() => (window as any).__vitrineTest.errors.map((e: any) => e.code));
  expect(errors).toEqual(["unsupported_format", "unsupported_format", "truncated", "empty_file"]);
});

test("a 48 MP phone portrait (stored sideways, EXIF orientation 6) comes out upright at 2048 px", async ({ page }) => {
  test.setTimeout(120_000);
  await openWidget(page);
  // Make the photo in the browser: 8000×6000 stored, four coloured quadrants, so that where each
  // colour lands proves the turn. Then give it a phone's EXIF with exiftool.
  const stored = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(8000, 6000);
    const context = canvas.getContext("2d")!;
    const quadrants: [string, number, number][] = [["#d00000", 0, 0], ["#00b000", 4000, 0], ["#0000d0", 0, 3000], ["#e0e000", 4000, 3000]];
    for (const [colour, x, y] of quadrants) {
      context.fillStyle = colour;
      context.fillRect(x, y, 4000, 3000);
    }
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  const { execFileSync } = await import("node:child_process");
  const { writeFileSync, readFileSync } = await import("node:fs");
  const file = `/tmp/vitrine-playwright-${process.pid}-48mp.jpg`;
  writeFileSync(file, Buffer.from(stored));
  execFileSync("exiftool", [
    "-q", "-overwrite_original", "-Orientation#=6", "-Make=TestPhone", "-Model=Forty-Eight",
    "-SerialNumber=SN-0042", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945",
    "-GPSLongitudeRef=E", "-DateTimeOriginal=2026:11:24 10:00:00", file,
  ]);
  await page.locator("input[data-vitrine-input=library]").setInputFiles({ name: "IMG_0048.jpg", mimeType: "image/jpeg", buffer: readFileSync(file) });
  await page.waitForFunction(() => (window as any).__vitrineTest?.last != null || (window as any).__vitrineTest?.errors.length > 0, null, { timeout: 90_000 });
  expect(await page.evaluate(() => (window as any).__vitrineTest.errors)).toEqual([]);
  const cleaned = await lastCleaned(page);
  expect([cleaned.originalWidth, cleaned.originalHeight]).toEqual([6000, 8000]);
  expect([cleaned.width, cleaned.height, cleaned.reencoded]).toEqual([1536, 2048, true]);
  expect(cleaned.removedCodes).toEqual(expect.arrayContaining(["gps_location", "camera_serial_number", "capture_date_time", "camera_make_model"]));
  expect(metadataTags(exiftool(cleaned.bytes, "48mp-clean.jpg"))).toEqual([]);
  // Turned 90° clockwise: stored bottom-left (blue) is now top-left, stored top-left (red) top-right.
  const corners = await page.evaluate(async () => {
    const bitmap = await createImageBitmap((window as any).__vitrineTest.last.previewBlob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext("2d")!;
    context.drawImage(bitmap, 0, 0);
    const at = (x: number, y: number) => Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
    return { size: [bitmap.width, bitmap.height], tl: at(384, 512), tr: at(1152, 512), bl: at(384, 1536), br: at(1152, 1536) };
  });
  expect(corners.size).toEqual([1536, 2048]);
  const near = (rgb: number[], want: number[]) => rgb.every((v, i) => Math.abs(v - want[i]) < 40);
  expect(near(corners.tl, [0, 0, 208]), `top-left ${corners.tl}`).toBe(true);
  expect(near(corners.tr, [208, 0, 0]), `top-right ${corners.tr}`).toBe(true);
  expect(near(corners.bl, [224, 224, 0]), `bottom-left ${corners.bl}`).toBe(true);
  expect(near(corners.br, [0, 176, 0]), `bottom-right ${corners.br}`).toBe(true);
});
