// The shopper's path in one engine (VITRINE_ENGINE: chromium, firefox or webkit), over WebDriver,
// against the real demo server (SQLite, built-in compositor, the real person check): the subset
// of the Playwright walks that proves the widget works where a shopper is — notice and flag, the
// photo cleaned (the bytes on the wire read by exiftool), a server render and its label, a render
// on the device, saved and listed after a reload, shared and withdrawn, a person refused, and the
// whole path by keyboard. Every test fails on an error reported by the page (see browsers.mjs).
// Screenshots of each step go to www/test-results/engines/<engine>/.
//
//   VITRINE_ENGINE=webkit node --test engines/path.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ENGINES, launch } from "./browsers.mjs";
import { SHOP_ORIGIN, WIDGET_ORIGIN, startDemo } from "./demo-server.mjs";
import { AI_SOURCE_TYPE, Key, Shopper, exiftool, hasExif, metadataTags } from "./shopper.mjs";

const ENGINE = process.env.VITRINE_ENGINE ?? "chromium";
assert.ok(ENGINES.includes(ENGINE), `VITRINE_ENGINE must be one of ${ENGINES.join(", ")}`);
const DAY = 24 * 60 * 60 * 1000;

let demo;
before(async () => {
  demo = await startDemo();
});
after(() => demo?.stop());

/**
 * Runs `body` with a shopper in a fresh browser profile of this engine; fails on any error the
 * page reported, and keeps a screenshot of where a failure happened.
 */
function walk(name, body) {
  // A bound on each walk: a driver that stops answering fails the test instead of the stage.
  test(`${ENGINE}: ${name}`, { timeout: 150_000 }, async () => {
    const browser = await launch(ENGINE);
    const shopper = new Shopper(browser);
    try {
      await body(shopper);
      await browser.collect();
      assert.deepEqual(browser.errors(), [], `the page reported errors in ${browser.version}`);
    } catch (error) {
      await shopper.screenshot(`failed-${name.replace(/\W+/g, "-").slice(0, 60)}`).catch(() => {});
      throw error;
    } finally {
      await browser.close();
    }
  });
}

async function toPlacement(shopper, photo) {
  await shopper.visit();
  await shopper.openWidget();
  await shopper.acceptNotice();
  const cleaned = await shopper.choosePhoto(photo);
  await shopper.click("button", "Next: place it");
  await shopper.find("h3", "Where does it go?");
  return cleaned;
}

walk("the notice: nothing ticked or sent before consent; the flag lasts 7 days; an altered flag asks again", async (shopper) => {
  await shopper.visit();
  await shopper.openWidget();
  await shopper.find("h3", "Before you start");
  const tick = await shopper.find("input[type=checkbox]", "I am 18 or over");
  assert.equal(await tick.isSelected(), false, "never pre-ticked");
  assert.equal(await (await shopper.find("button", "Continue")).isEnabled(), false);
  assert.equal(await shopper.shows("label", "Choose a photo"), false, "no photo input before consent");
  await shopper.screenshot("1-notice");

  const before = Date.now();
  await shopper.acceptNotice();
  const flag = JSON.parse(await shopper.driver.executeScript("return localStorage.getItem('vitrine.consent')"));
  assert.equal(flag.notice, 1);
  assert.deepEqual(flag.covers, ["gdpr-6-1-a", "gdpr-9-2-a"]);
  assert.ok(flag.accepted_at >= before - 1000 && flag.accepted_at <= Date.now() + 1000, "accepted now");
  assert.equal(flag.expires_at - flag.accepted_at, 7 * DAY);
  const api = (await shopper.requests("/v1/")).map((r) => r.url);
  assert.deepEqual(api.filter((url) => !url.includes("/events")), [], "no API call for the notice");
  await shopper.screenshot("2-photo-step");

  // Next visit: straight to the photo.
  await shopper.reload();
  await shopper.openWidget();
  await shopper.find("label", "Choose a photo");
  assert.equal(await shopper.shows("input[type=checkbox]", "I am 18 or over"), false);

  // A flag edited to last 70 days does not count: asked again, unticked.
  await shopper.driver.executeScript("const f = JSON.parse(localStorage.getItem('vitrine.consent')); f.expires_at = f.accepted_at + 70 * 864e5; localStorage.setItem('vitrine.consent', JSON.stringify(f))");
  await shopper.reload();
  await shopper.openWidget();
  const again = await shopper.find("input[type=checkbox]", "I am 18 or over");
  assert.equal(await again.isSelected(), false);

  // Declining closes the widget and stores nothing.
  await shopper.driver.executeScript("localStorage.removeItem('vitrine.consent')");
  await again.click();
  await shopper.click("button", "No thanks");
  await shopper.waitFor("return !root.querySelector('dialog').open", "the widget to close");
  assert.equal(await shopper.driver.executeScript("return localStorage.getItem('vitrine.consent')"), null);
});

walk("a GPS photo: cleaned on the device, the bytes on the wire carry no metadata (exiftool), the server's render is labelled", async (shopper) => {
  const cleaned = await toPlacement(shopper, "ia__gps_DSCN0010.jpg");
  assert.ok(cleaned.removed.includes("GPS location"), `removed: ${cleaned.removed}`);
  assert.equal(hasExif(cleaned.bytes), false);
  await shopper.screenshot("3-placement");
  await shopper.click("button", "Show it in my room");
  const render = await shopper.render();
  assert.equal(render.onDevice, false);
  await shopper.find("h3", "Your room, with this product");
  assert.equal(await (await shopper.find(".ai-label")).getText(), "AI-generated");
  await shopper.find("figcaption", "AI-generated: colour, pattern and finish may differ");
  await shopper.renderInSight();
  await shopper.screenshot("4-render");

  const uploads = await shopper.requests("/renders?");
  assert.equal(uploads.length, 1);
  const url = new URL(uploads[0].url);
  assert.equal(url.origin, WIDGET_ORIGIN);
  assert.equal(url.searchParams.get("product"), "OAK-PLANK-190");
  assert.match(url.searchParams.get("session"), /^[0-9a-f]{32}$/);
  const sent = uploads[0].bytes;
  assert.ok(sent && sent.equals(cleaned.bytes), "what went on the wire is the cleaned photo, byte for byte");
  assert.equal(hasExif(sent), false);
  assert.deepEqual(metadataTags(exiftool(sent, `${shopper.browser.engine}-sent.jpg`)), [], "exiftool finds no metadata on the wire");

  const tags = exiftool(render.bytes, `${shopper.browser.engine}-render.jpg`);
  assert.equal(tags["XMP-iptcExt:DigitalSourceType"], AI_SOURCE_TYPE);
  assert.deepEqual(metadataTags(tags).filter((t) => !t.startsWith("XMP-x:") && !t.startsWith("XMP-iptcExt:")), []);
  // Every request went to the shop or our server.
  const elsewhere = (await shopper.requests()).map((r) => r.url).filter((u) => !/^(blob|data):/.test(u) && !u.startsWith(SHOP_ORIGIN) && !u.startsWith(WIDGET_ORIGIN));
  assert.deepEqual(elsewhere, []);
});

walk("render on this device: the photo never leaves it; the render is counted and labelled", async (shopper) => {
  await toPlacement(shopper, "ia__hdr_canon_hdr_YES.jpg");
  await shopper.click("input[type=checkbox]", "Render on this device");
  await shopper.click("button", "Show it in my room");
  const render = await shopper.render();
  assert.equal(render.onDevice, true);
  await shopper.find("p", "Made on this device: your photo did not leave it.");
  await shopper.renderInSight();
  await shopper.screenshot("4-render-on-device");
  assert.deepEqual(await shopper.requests("/renders?"), [], "no photo sent");
  const counted = await shopper.requests("/device-renders");
  assert.deepEqual(counted.map((r) => JSON.parse(r.text)), [{ product: "OAK-PLANK-190" }]);
  assert.equal(exiftool(render.bytes, `${shopper.browser.engine}-device-render.jpg`)["XMP-iptcExt:DigitalSourceType"], AI_SOURCE_TYPE);
});

walk("save on this device: listed after a reload, removable; share publicly and withdraw with the link", async (shopper) => {
  await toPlacement(shopper, "ia__gps_DSCN0010.jpg");
  await shopper.click("button", "Show it in my room");
  await shopper.render();
  const saveTick = await shopper.find("input[type=checkbox]", "Save on this device");
  const shareTick = await shopper.find("input[type=checkbox]", "Share publicly");
  const emailTick = await shopper.find("input[type=checkbox]", "Email me this picture");
  for (const tick of [saveTick, shareTick, emailTick]) assert.equal(await tick.isSelected(), false, "never pre-ticked");
  await saveTick.click();
  await shareTick.click();
  await shopper.click("button", "Keep my choices");
  await shopper.find("p", "Saved on this device.");
  const link = await shopper.find("input#vitrine-withdraw-link");
  const withdrawUrl = await link.getAttribute("value");
  assert.ok(withdrawUrl.startsWith(`${WIDGET_ORIGIN}/v1/gallery/withdraw/`), withdrawUrl);
  await shopper.screenshot("5-saved-and-shared");

  // IndexedDB, read back by the widget after a reload.
  await shopper.reload();
  await shopper.openWidget();
  await shopper.find("h3", "Your recent pictures on this device");
  const items = () => shopper.script("return root.querySelectorAll('.recent-list li').length");
  assert.equal(await items(), 1);
  await shopper.screenshot("6-listed-after-reload");
  await shopper.click("button", "Remove the picture of");
  await shopper.waitFor("return root.querySelectorAll('.recent-list li').length === 0", "the saved picture to go");

  // The withdrawal link removes the shared picture at once; a second visit finds nothing.
  await shopper.browser.collect();
  await shopper.driver.get(withdrawUrl);
  assert.match(await shopper.driver.findElement({ css: "body" }).getText(), /Your picture has been removed/);
  await shopper.screenshot("7-withdrawn");
  await shopper.driver.get(withdrawUrl);
  assert.match(await shopper.driver.findElement({ css: "body" }).getText(), /already been used/);
});

walk("a photo with a person is refused in plain words, before any render", async (shopper) => {
  await toPlacement(shopper, "ia__xmp_no_exif.jpg");
  await shopper.click("button", "Show it in my room");
  const { code, words } = await shopper.alert();
  assert.equal(code, "person_detected");
  assert.match(words, /seems to show a person/);
  assert.equal(await shopper.shows("button", "Try again"), false, "no retry for a person");
  await shopper.screenshot("4-person-refused");
});

walk("keyboard only: launcher, notice, placement, render, save and close without a pointer", async (shopper) => {
  await shopper.visit();
  // From the top of the shop page to the launcher with Tab, as a keyboard user would.
  await shopper.tabTo(/^See it in your room$/, 60);
  await shopper.press(Key.ENTER);
  await shopper.find("h3", "Before you start");
  await shopper.waitFor("return /I am 18 or over/.test(root.activeElement?.labels?.[0]?.textContent || '')", "focus on the consent tick");
  await shopper.press(Key.SPACE);
  assert.equal(await (await shopper.find("input[type=checkbox]", "I am 18 or over")).isSelected(), true);
  await shopper.tabTo(/^Continue$/);
  await shopper.press(Key.ENTER);
  await shopper.find("label", "Choose a photo");
  // Focus stays inside the dialog.
  for (let i = 0; i < 8; i++) {
    await shopper.press(Key.TAB);
    assert.equal((await shopper.focused()).inWidget, true, "Tab never leaves the dialog");
  }
  // A file chooser is the one thing keys cannot drive under WebDriver: the file arrives as the
  // chooser would hand it over.
  await shopper.choosePhoto("ia__hdr_canon_hdr_YES.jpg");
  await shopper.tabTo(/^Next: place it$/);
  await shopper.press(Key.ENTER);
  await shopper.find("h3", "Where does it go?");
  await shopper.waitFor("return root.activeElement?.dataset.corner === '0'", "focus on the first corner");
  const before = (await shopper.focused()).name;
  await shopper.press(Key.ARROW_DOWN);
  const moved = (await shopper.focused()).name;
  assert.notEqual(moved, before, "the arrow key moved the corner");
  assert.match(moved, /61% down/);
  await shopper.tabTo(/^Show it in my room$/);
  await shopper.press(Key.ENTER);
  await shopper.render();
  await shopper.find("h3", "Your room, with this product");
  await shopper.tabTo(/Save on this device/);
  await shopper.press(Key.SPACE);
  await shopper.tabTo(/^Keep my choices$/);
  await shopper.press(Key.ENTER);
  await shopper.find("p", "Saved on this device.");
  await shopper.screenshot("8-keyboard-saved");
  await shopper.press(Key.ESCAPE);
  await shopper.waitFor("return !root.querySelector('dialog').open", "Escape to close the widget");
});
