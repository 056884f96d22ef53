// Accessibility of the shopper's path: axe-core (npm) finds no violation at any step, the whole
// path works by keyboard alone with the focus kept inside the dialog, and it fits a 360 px phone.
import { test, expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fixture, lastCleaned } from "./helpers";

// axe is injected as a script; the demo shop's strict CSP (tested in loader.spec.ts) would refuse
// it, so this file's pages bypass CSP.
test.use({ bypassCSP: true, viewport: { width: 360, height: 740 }, hasTouch: true });

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe's violations on the page, shadow roots included (test pages open them). */
async function violations(page: Page, step: string) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(" ")) }));
  });
  await page.screenshot({ path: test.info().outputPath(`360px-${step}.png`) });
  return found;
}

/** Nothing is wider than the phone's screen. */
async function fitsTheScreen(page: Page) {
  const widths = await page.evaluate(() => {
    const host = document.querySelector("[data-vitrine]")!;
    const panel = host.shadowRoot!.querySelector(".panel") as HTMLElement;
    return { page: document.documentElement.scrollWidth, panel: panel.getBoundingClientRect().width, panelScroll: panel.scrollWidth - panel.clientWidth };
  });
  expect(widths.page).toBeLessThanOrEqual(360);
  expect(widths.panel).toBeLessThanOrEqual(360);
  expect(widths.panelScroll).toBeLessThanOrEqual(0);
}

async function tabTo(page: Page, name: RegExp, limit = 25) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      let active: Element | null = document.activeElement;
      while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
      return active ? (active.getAttribute("aria-label") || active.textContent || (active as HTMLInputElement).id || "").trim() : "";
    });
    if (name.test(focused)) return focused;
  }
  throw new Error(`never reached ${name} with Tab`);
}

test("keyboard alone, on a 360 px phone, with no axe violation at any step", async ({ page }) => {
  await page.goto("/?test-hooks");
  expect(await violations(page, "0-shop")).toEqual([]);
  // Open the launcher from the keyboard.
  await page.getByRole("button", { name: "See it in your room" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
  expect(await violations(page, "1-notice")).toEqual([]);
  await fitsTheScreen(page);

  // The tick has focus; Space ticks it, Tab reaches Continue, Enter goes on.
  await page.keyboard.press("Space");
  await expect(page.getByRole("checkbox", { name: /I am 18 or over/ })).toBeChecked();
  await tabTo(page, /^Continue$/);
  await page.keyboard.press("Enter");
  await expect(page.getByText("Choose a photo", { exact: true })).toBeVisible();
  expect(await violations(page, "2-photo")).toEqual([]);

  // Focus stays inside the dialog: many Tabs never land on the shop page.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    const inside = await page.evaluate(() => document.activeElement?.hasAttribute("data-vitrine") ?? false);
    expect(inside).toBe(true);
  }

  // A file input cannot be driven by keys in a headless browser; the file arrives as a picker would give it.
  await page.locator("input[data-vitrine-input=library]").setInputFiles(fixture("ia__hdr_canon_hdr_YES.jpg"));
  await lastCleaned(page);
  expect(await violations(page, "3-cleaned")).toEqual([]);
  await fitsTheScreen(page);
  await tabTo(page, /^Next: place it$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Where does it go?" })).toBeVisible();
  // The first corner has focus: arrows move it.
  const first = page.locator("button[data-corner='0']");
  await expect(first).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(first).toHaveAccessibleName(/61% down/);
  expect(await violations(page, "4-placement")).toEqual([]);
  await fitsTheScreen(page);

  await tabTo(page, /^Show it in my room$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Your room, with this product" })).toBeVisible({ timeout: 60_000 });
  expect(await violations(page, "5-render")).toEqual([]);
  await fitsTheScreen(page);
  await tabTo(page, /^vitrine-save-device$|Save on this device/);
  await page.keyboard.press("Space");
  await tabTo(page, /^Keep my choices$/);
  await page.keyboard.press("Enter");
  await expect(page.getByText("Saved on this device.")).toBeVisible();
  expect(await violations(page, "6-saved")).toEqual([]);

  // Escape closes; the launcher is there to open it again.
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toBeHidden();
});
