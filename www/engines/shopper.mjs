// What a shopper does on the demo page, over WebDriver, the same way in every engine.
//
// How the widget is reached, since engines differ (WebKitWebDriver refuses a closed shadow root):
// - the page is opened with `?test-hooks`, the documented test-only switch (README, "Testing"):
//   the loader opens its shadow root instead of closing it and keeps `window.__vitrineTest`, and
//   the page loads assets/test-recorder.js. A retailer's page never carries it.
// - elements are found through that open shadow root by a script, then clicked, typed into and
//   given files through WebDriver's own element commands (real input events, real file inputs);
// - the keyboard walk uses WebDriver key actions only, on whatever has focus.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Key } from "selenium-webdriver";
import { ROOT, SHOP_ORIGIN } from "./demo-server.mjs";

export { Key };

export const FIXTURES = process.env.VITRINE_FIXTURES ?? path.resolve(ROOT, "../shared/fixtures/photos");
export const fixture = (name) => path.join(FIXTURES, name);
export const ARTEFACTS = path.join(ROOT, "www/test-results/engines");

/** The widget's shadow root, as a script sees it. */
const ROOT_JS = "const root = document.querySelector('[data-vitrine]').shadowRoot;";

/** JS that finds the visible element whose text or accessible label matches. */
const FIND_JS = `${ROOT_JS}
  const [selector, text] = arguments;
  const visible = (node) => node.getClientRects().length > 0 && !node.closest('[hidden]');
  const name = (node) => (node.getAttribute('aria-label') || node.textContent || '').replace(/\\s+/g, ' ').trim();
  const label = (node) => node.id && root.querySelector('label[for="' + node.id + '"]');
  return [...root.querySelectorAll(selector)].find((node) => visible(node) && (text == null
    || name(node).includes(text) || (label(node) && name(label(node)).includes(text)))) || null;`;

/** Calls `check` every 100 ms until it gives a truthy value (returned) or `timeout` ms pass. */
async function poll(check, what, timeout) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeout) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`waited ${timeout} ms for ${what} (last: ${JSON.stringify(last)})`);
}

export class Shopper {
  constructor(browser, { timeout = 30_000 } = {}) {
    this.browser = browser;
    this.driver = browser.driver;
    this.timeout = timeout;
    this.shots = path.join(ARTEFACTS, browser.engine);
    mkdirSync(this.shots, { recursive: true });
  }

  /** The demo product page with the test switch on. */
  async visit(query = "?test-hooks") {
    await this.browser.collect();
    await this.driver.get(`${SHOP_ORIGIN}/${query}`);
    await this.launcherReady();
  }

  async reload() {
    await this.browser.collect();
    await this.driver.navigate().refresh();
    await this.launcherReady();
  }

  launcherReady() {
    return this.waitFor("return !!root?.querySelector('button')", "the launcher");
  }

  /** Runs `js` in the page; `root` is the widget's shadow root. */
  script(js, ...args) {
    return this.driver.executeScript(`${ROOT_JS}\n${js}`, ...args);
  }

  /**
   * Polls `js` (with `root`, the widget's shadow root, or null before the loader has run) until it
   * returns true or the time is up. Return a boolean or a small value only: WebKitWebDriver hangs
   * for good serialising an object that holds a Blob or a large typed array.
   */
  waitFor(js, what, timeout = this.timeout) {
    const script = `const root = document.querySelector('[data-vitrine]')?.shadowRoot ?? null;\n${js}`;
    return poll(() => this.driver.executeScript(script), what, timeout);
  }

  /** Waits until the widget shows an element matching `selector` (and `text`); returns it. */
  find(selector, text, timeout = this.timeout) {
    return poll(() => this.driver.executeScript(FIND_JS, selector, text ?? null),
      `the widget to show ${selector}${text ? ` "${text}"` : ""}`, timeout);
  }

  /** Is an element matching `selector` (and `text`) visible right now? */
  async shows(selector, text) {
    return (await this.driver.executeScript(FIND_JS, selector, text ?? null)) != null;
  }

  async click(selector, text) {
    await (await this.find(selector, text)).click();
  }

  /** Clicks the launcher (a WebDriver click, as a shopper's) and waits for the dialog. */
  async openWidget() {
    await (await this.script("return root.querySelector('button')")).click();
    await this.find("dialog");
  }

  async acceptNotice() {
    const tick = await this.find("input[type=checkbox]", "I am 18 or over");
    if (await tick.isSelected()) throw new Error("the consent tick was pre-ticked");
    await tick.click();
    await this.click("button", "Continue");
    await this.find("label", "Choose a photo");
  }

  /** Gives the photo picker a file, as the shopper's file chooser would. */
  async choosePhoto(name) {
    await this.script("if (window.__vitrineTest) window.__vitrineTest.last = null");
    await this.givePhoto(fixture(name));
    return this.cleaned();
  }

  /** Hands the photo picker the file at `file` (WebDriver's file upload on the real input). */
  async givePhoto(file) {
    await (await this.script("return root.querySelector('input[data-vitrine-input=library]')")).sendKeys(file);
  }

  /** What the widget produced from the photo (test hooks): bytes and what it said it removed. */
  async cleaned() {
    await this.waitFor("return !!(window.__vitrineTest && (window.__vitrineTest.last || window.__vitrineTest.errors.length))", "the photo to be cleaned");
    const result = await this.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const last = window.__vitrineTest.last;
      if (!last) return done({ error: window.__vitrineTest.errors[0] });
      const bytes = last.bytes;
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      done({ base64: btoa(binary), removed: last.removed, width: last.width, height: last.height, reencoded: last.reencoded });`);
    if (result.error) throw new Error(`the photo was refused: ${JSON.stringify(result.error)}`);
    return { ...result, bytes: Buffer.from(result.base64, "base64") };
  }

  /** The last render (test hooks), as bytes. */
  async render(timeout = 60_000) {
    await this.waitFor("return !!(window.__vitrineTest && (window.__vitrineTest.render || window.__vitrineTest.errors.length))", "a render", timeout);
    const result = await this.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const render = window.__vitrineTest.render;
      if (!render) return done({ error: window.__vitrineTest.errors[0] });
      const reader = new FileReader();
      reader.onload = () => done({ base64: reader.result.split(",")[1], onDevice: render.onDevice, ms: render.ms });
      reader.readAsDataURL(render.blob);`);
    if (result.error) throw new Error(`the render failed: ${JSON.stringify(result.error)}`);
    return { ...result, bytes: Buffer.from(result.base64, "base64") };
  }

  /**
   * Waits until the render is decoded and painted where the shopper looks: its picture and the
   * "AI-generated" label inside the panel's visible area and the window, without scrolling.
   */
  async renderInSight() {
    await this.waitFor(`
      const image = root.querySelector('.render-figure img');
      return !!image && image.complete && image.naturalWidth > 0;`, "the render to be decoded");
    const sight = await this.script(`
      const panel = root.querySelector('.panel').getBoundingClientRect();
      const label = root.querySelector('.ai-label').getBoundingClientRect();
      const image = root.querySelector('.render-figure img').getBoundingClientRect();
      const inside = (r) => r.width > 0 && r.top >= Math.max(panel.top, 0) - 1 && r.bottom <= Math.min(panel.bottom, innerHeight) + 1;
      return { label: inside(label), imageTop: image.top >= Math.max(panel.top, 0) - 1 && image.top < Math.min(panel.bottom, innerHeight) - 100 };`);
    if (!sight.label || !sight.imageTop) throw new Error(`the render is out of sight: ${JSON.stringify(sight)}`);
    // One frame for the decoded picture to be painted before a screenshot.
    await this.driver.executeAsyncScript("requestAnimationFrame(() => requestAnimationFrame(arguments[arguments.length - 1]))");
  }

  /** Requests the page handed to the network (test recorder); bodies as bytes when binary. */
  async requests(filter = "") {
    return (await this.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const filter = arguments[0];
      const asBase64 = (body) => new Promise((resolve) => {
        if (body == null) return resolve(null);
        if (typeof body === "string") return resolve({ text: body });
        const blob = body instanceof Blob ? body : new Blob([body]);
        const reader = new FileReader();
        reader.onload = () => resolve({ base64: reader.result.split(",")[1] || "" });
        reader.readAsDataURL(blob);
      });
      Promise.all((window.__vitrineRequests || []).filter((r) => r.url.includes(filter))
        .map(async (r) => ({ via: r.via, method: r.method, url: r.url, body: await asBase64(r.body) }))).then(done);`, filter))
      .map((r) => ({ ...r, bytes: r.body?.base64 != null ? Buffer.from(r.body.base64, "base64") : null, text: r.body?.text ?? null }));
  }

  /** The widget's shown error: its code and words, once there is one. */
  async alert(timeout = 60_000) {
    const alert = await this.find("[role=alert]", undefined, timeout);
    return { code: await alert.getAttribute("data-code"), words: await alert.getText() };
  }

  /** Presses keys on whatever has focus. */
  async press(...keys) {
    for (const key of keys) await this.driver.actions().sendKeys(key).perform();
  }

  async pressWith(modifier, key) {
    await this.driver.actions().keyDown(modifier).sendKeys(key).keyUp(modifier).perform();
  }

  /** The focused element's name (through shadow roots), and whether it is the widget's. */
  async focused() {
    return this.driver.executeScript(`
      let active = document.activeElement, inWidget = false;
      while (active && active.shadowRoot && active.shadowRoot.activeElement) {
        inWidget = inWidget || active.hasAttribute('data-vitrine');
        active = active.shadowRoot.activeElement;
      }
      if (!active) return { name: '', inWidget };
      const root = active.getRootNode();
      const label = active.id && root.querySelector && root.querySelector('label[for="' + active.id + '"]');
      const name = (active.getAttribute('aria-label') || (label && label.textContent) || active.textContent || active.value || '').replace(/\\s+/g, ' ').trim();
      return { name, inWidget: inWidget || active.hasAttribute('data-vitrine'), tag: active.tagName };`);
  }

  /** Tabs forward until the focused element's name matches. */
  async tabTo(pattern, limit = 40) {
    const seen = [];
    for (let i = 0; i < limit; i++) {
      await this.press(Key.TAB);
      const { name } = await this.focused();
      seen.push(name);
      if (pattern.test(name)) return name;
    }
    throw new Error(`never reached ${pattern} with Tab; focus went through ${JSON.stringify(seen)}`);
  }

  async screenshot(name) {
    writeFileSync(path.join(this.shots, `${name}.png`), await this.driver.takeScreenshot(), "base64");
  }
}

/** exiftool's view of `bytes`: every tag, grouped by family-1 group. */
export function exiftool(bytes, name) {
  const file = path.join(ARTEFACTS, `exiftool-${process.pid}-${name}`);
  writeFileSync(file, bytes);
  return JSON.parse(execFileSync("exiftool", ["-j", "-a", "-G1", "-u", file], { encoding: "utf8" }))[0];
}

/** Groups exiftool reports for a file with no metadata at all (only the file and its structure). */
const STRUCTURAL = /^(SourceFile|ExifTool|System|File|JFIF|Composite|PNG|RIFF|VP8|VP8L|VP8X|WEBP):?/;

/** Tags exiftool found outside the structural groups: none for a cleaned photo. */
export const metadataTags = (tags) => Object.keys(tags).filter((key) => !STRUCTURAL.test(key));

export const hasExif = (bytes) => bytes.includes(Buffer.from("Exif\0", "latin1"));

export const AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";
