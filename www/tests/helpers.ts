// Shared helpers for the Playwright walks: fixtures, the launcher, the test hooks, exiftool.
import { expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export { WIDGET_ORIGIN, SHOP_ORIGIN } from "../playwright.config";

const root = process.env.VITRINE_ROOT ?? path.resolve(__dirname, "../..");
export const FIXTURES = process.env.VITRINE_FIXTURES ?? path.resolve(root, "../shared/fixtures/photos");
export const fixture = (name: string) => path.join(FIXTURES, name);

/** The cleaned result the widget exposes on window.__vitrineTest (test pages only). */
export interface Cleaned {
  bytes: Buffer;
  mime: string;
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  reencoded: boolean;
  removed: string[];
  removedCodes: string[];
  previewUrl: string;
}

/**
 * Open the demo page with test hooks and click the launcher; resolves when the worker is ready
 * and (unless `accept: false`) the pre-flight notice has been accepted.
 */
export async function openWidget(page: Page, { accept = true, path = "/?test-hooks" } = {}) {
  const wasm = page.waitForResponse((r) => r.url().endsWith("/pkg/vitrine_widget_bg.wasm"));
  await page.goto(path);
  await page.getByRole("button", { name: "See it in your room" }).click();
  await expect(page.getByRole("dialog", { name: "See it in your room" })).toBeVisible();
  expect((await wasm).status()).toBe(200);
  if (accept) await acceptNotice(page);
}

/** Tick the pre-flight notice's consent box and continue to the photo step. */
export async function acceptNotice(page: Page) {
  const tick = page.getByRole("checkbox", { name: /I am 18 or over/ });
  await expect(tick).toBeVisible();
  await expect(tick).not.toBeChecked();
  await tick.check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByText("Choose a photo", { exact: true }).first()).toBeVisible();
}

/** Wait for the widget to finish with the photo and return what it produced. */
export async function lastCleaned(page: Page): Promise<Cleaned> {
  await page.waitForFunction(() => (window as any).__vitrineTest?.last != null, null, { timeout: 30_000 });
  const raw = await page.evaluate(() => {
    const last = (window as any).__vitrineTest.last;
    const { previewBlob, ...rest } = last;
    return { ...rest, bytes: Array.from(last.bytes as Uint8Array) };
  });
  return { ...raw, bytes: Buffer.from(raw.bytes) };
}

/** exiftool's view of the bytes: every tag, grouped by family-1 group. */
export function exiftool(bytes: Buffer, name: string): Record<string, unknown> {
  const file = `/tmp/vitrine-playwright-${process.pid}-${name}`;
  writeFileSync(file, bytes);
  const json = execFileSync("exiftool", ["-j", "-a", "-G1", "-u", file], { encoding: "utf8" });
  return JSON.parse(json)[0];
}

/** Groups exiftool reports for a file with no metadata at all (only the file and its structure). */
const STRUCTURAL = /^(SourceFile|ExifTool|System|File|JFIF|Composite|PNG|RIFF|VP8|VP8L|VP8X|WEBP):?/;

/** Tags exiftool found outside the structural groups: must be empty for a cleaned photo. */
export function metadataTags(tags: Record<string, unknown>): string[] {
  return Object.keys(tags).filter((key) => !STRUCTURAL.test(key));
}

export const hasExif = (bytes: Buffer) => bytes.includes(Buffer.from("Exif\0", "latin1"));
