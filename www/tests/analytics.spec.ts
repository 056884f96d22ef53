// Analytics in headless Chromium against the real server: beacons sent when the page is hidden
// arrive and are stored; identifiers exist only with the shop's consent and without Global
// Privacy Control; personal data typed into a tracked search never reaches storage.
import { expect, test, type BrowserContext, type Page, type Request } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { DATA_DIR, SERVER_BIN, SHOP_ORIGIN, WIDGET_ORIGIN } from "../playwright.config";

interface StoredEvent {
  name: string;
  created_at: number;
  first_in_session: boolean;
  detail: string | null;
  product: string | null;
  consented: boolean;
  session_id: string | null;
  anonymous_id: string | null;
  user_hash: string | null;
  visitor_hash: string | null;
}

/** Every stored event of the demo retailer, read from its database with the admin CLI. */
function storedEvents(): StoredEvent[] {
  const out = execFileSync(SERVER_BIN, ["admin", "analytics", "events", "1", "--limit", "100000"], {
    encoding: "utf8",
    env: { ...process.env, VITRINE_DATABASE_URL: `sqlite://${DATA_DIR}/vitrine.db` },
  });
  return out.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** Waits until the stored events satisfy `found`, which returns what it found or undefined. */
async function eventually<T>(found: (events: StoredEvent[]) => T | undefined): Promise<T> {
  let result: T | undefined;
  await expect.poll(() => (result = found(storedEvents())) !== undefined, { timeout: 15_000 }).toBe(true);
  return result as T;
}

const token = () => Math.random().toString(36).slice(2, 10);

/** Beacon bodies the page sends, wherever they go (sendBeacon or fetch). */
function collectBeacons(context: BrowserContext): string[] {
  const bodies: string[] = [];
  context.on("request", (r: Request) => {
    if (r.method() === "POST" && r.url().endsWith("/events")) bodies.push(r.postData() ?? "");
  });
  return bodies;
}

async function search(page: Page, term: string) {
  await page.getByRole("searchbox", { name: "Search the shop" }).fill(term);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("no search results");
}

/** Loads the shop and waits for the analytics WASM (started by the banner's answer). */
async function answerBanner(page: Page, answer: "Allow" | "No thanks") {
  const wasm = page.waitForResponse((r) => r.url().endsWith("/pkg/vitrine_analytics_bg.wasm"));
  await page.goto("/?test-hooks");
  await page.getByRole("region", { name: "Statistics" }).getByRole("button", { name: answer }).click();
  expect((await wasm).status()).toBe(200);
}

/** Hides the page the way a shopper leaving it does (a real navigation: beacons sent during
 * unload are not reported to Playwright, so what they carried is read back from storage). */
async function leave(page: Page) {
  await page.goto("about:blank");
}

/** Fires `pagehide` on the live page, so the beacon it sends can be captured and read. */
async function firePagehide(page: Page, beacons: string[]) {
  const before = beacons.length;
  await page.evaluate(() => window.dispatchEvent(new Event("pagehide")));
  await expect.poll(() => beacons.length).toBeGreaterThan(before);
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

test("with consent, a beacon sent on pagehide arrives and is stored with the anonymous id, the hashed user id and a keyed visitor hash", async ({ page, context }) => {
  const beacons = collectBeacons(context);
  await answerBanner(page, "Allow");
  await page.evaluate(() => (window as any).Vitrine.setUser("customer-42"));
  const key = await page.evaluate(() => (document.querySelector("script[data-key]") as HTMLElement).dataset.key!);
  const term = `oak flooring ${token()}`;
  await search(page, term);
  // Nothing is sent while the page is visible.
  await page.waitForTimeout(300);
  expect(beacons).toHaveLength(0);
  // Made when the first event is recorded under consent (the module loads asynchronously).
  await expect.poll(() => page.evaluate(() => localStorage.getItem("vitrine.aid"))).toMatch(HEX32);
  const anonymousId = await page.evaluate(() => localStorage.getItem("vitrine.aid"));
  await leave(page);
  const stored = await eventually((events) => events.find((e) => e.detail === term));
  expect(stored.consented).toBe(true);
  expect(stored.anonymous_id).toBe(anonymousId);
  expect(stored.visitor_hash).toMatch(HEX64);
  expect(stored.session_id).toBeNull(); // a shop event, not a widget session's
  // The user id left the browser only as HMAC-SHA256 under this shop's salt: computed here
  // independently with Node's crypto.
  const saltAnswer = await context.request.get(`${WIDGET_ORIGIN}/v1/widget/${key}/analytics/salt`, {
    headers: { origin: SHOP_ORIGIN },
  });
  const saltHex: string = (await saltAnswer.json()).user_salt;
  const expected = createHmac("sha256", Buffer.from(saltHex, "hex"))
    .update(Buffer.concat([Buffer.from("vitrine/user-id/v1\0"), Buffer.from("customer-42")]))
    .digest("hex");
  expect(stored.user_hash).toBe(expected);
  expect(JSON.stringify(storedEvents())).not.toContain("customer-42");
  // The page and product views the banner's answer tracked are stored too.
  const names = storedEvents().filter((e) => e.anonymous_id === anonymousId).map((e) => e.name);
  expect(names).toEqual(expect.arrayContaining(["page_view", "product_view", "search"]));
});

for (const how of ["declined", "gpc"] as const) {
  test(`consent ${how === "gpc" ? "given but Global Privacy Control on" : "declined"}: the stored rows hold no identifier of any kind`, async ({ page, context }) => {
    if (how === "gpc") {
      await context.addInitScript(() =>
        Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
    }
    const beacons = collectBeacons(context);
    await answerBanner(page, how === "gpc" ? "Allow" : "No thanks");
    await page.evaluate(() => (window as any).Vitrine.setUser("customer-42"));
    const term = `walnut table ${token()}`;
    await search(page, term);
    // The widget's own session events under the same rule: open it and decline its notice.
    await page.getByRole("button", { name: "See it in your room" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "No thanks" }).click();
    expect(await page.evaluate(() => localStorage.getItem("vitrine.aid"))).toBeNull();
    await firePagehide(page, beacons);
    await leave(page);
    await eventually((events) => events.find((e) => e.detail === term));
    await eventually((events) => events.find((e) => e.name === "consent_declined" && !e.consented));
    for (const body of beacons) {
      const parsed = JSON.parse(body);
      expect(parsed.consent).toBe(0);
      expect(parsed.ids).toBeUndefined();
    }
    const mine = storedEvents().filter((e) => !e.consented);
    expect(mine.length).toBeGreaterThan(0);
    for (const event of mine) {
      expect([event.session_id, event.anonymous_id, event.user_hash, event.visitor_hash]).toEqual([null, null, null, null]);
    }
    const widgetNames = mine.map((e) => e.name);
    expect(widgetNames).toEqual(expect.arrayContaining(["opened", "notice_shown", "consent_declined", "search"]));
  });
}

test("personal data typed into a tracked search never reaches storage: refused in the browser, and again by the server", async ({ page, context }) => {
  const beacons = collectBeacons(context);
  const warnings: string[] = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await answerBanner(page, "Allow");
  const safe = `rug ${token()}`;
  for (const term of ["jane.doe@example.com", "call me on +44 20 7946 0958", "4111 1111 1111 1111", "from 203.0.113.77", safe]) {
    await search(page, term);
  }
  // The page's console says which field was dropped, never its value.
  expect(warnings.filter((w) => w.includes("personal_data"))).toHaveLength(4);
  expect(warnings.join("\n")).not.toMatch(/jane|7946|4111|203\.0/);
  // The server checks again: a beacon that bypasses the widget's check (sent by hand from the
  // shop's page) has its event deleted on arrival.
  const key = await page.evaluate(() => (document.querySelector("script[data-key]") as HTMLElement).dataset.key!);
  const receipt = await page.evaluate(async ({ origin, key }) => {
    const body = JSON.stringify({ v: 1, consent: 0, events: [{ name: "search", at: Date.now(), term: "mail jane.doe@example.com" }] });
    const r = await fetch(`${origin}/v1/widget/${key}/events`, { method: "POST", body, headers: { "content-type": "text/plain" } });
    return r.json();
  }, { origin: WIDGET_ORIGIN, key });
  expect(receipt).toEqual({ stored: 0, deleted_personal_data: 1, dropped_out_of_time: 0 });
  await firePagehide(page, beacons);
  await leave(page);
  await eventually((events) => events.find((e) => e.detail === safe));
  const everything = JSON.stringify(storedEvents());
  expect(everything).not.toMatch(/jane|7946|4111 1111|203\.0\.113\.77/);
  const fromTheWidget = beacons.filter((b) => !b.includes("mail jane.doe"));
  expect(fromTheWidget.length).toBeGreaterThan(0);
  expect(fromTheWidget.join("\n")).not.toMatch(/jane|7946|4111 1111|203\.0\.113\.77/);
});
