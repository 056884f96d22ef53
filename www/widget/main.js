// Vitrine widget UI, loaded by vitrine.js when the shopper clicks the launcher.
//
// `Widget` owns the panel — a native modal <dialog> inside the loader's shadow root — and walks
// the shopper through the steps, one module each here: the pre-flight notice
// (consent-notice.js), the photo (photo-step.js), the placement (placement-editor.js), the render
// and its save popup (render-step.js). The worker is photo-worker-client.js, every request
// http.js, every error's words error-words.json. Privacy rules kept here: nothing is fetched or
// stored before the notice is accepted; only the cleaned bytes are ever shown or sent.

import { ConsentNotice } from "./consent-notice.js";
import { applyStyles, el } from "./dom.js";
import { wordsFor } from "./error-words.js";
import { ownFile, randomId } from "./http.js";
import { PhotoError, PhotoWorker, MAX_SIDE } from "./photo-worker-client.js";
import { PhotoStep } from "./photo-step.js";
import { PlacementEditor } from "./placement-editor.js";
import { RecentRenders } from "./recent-renders.js";
import { fetchProduct, renderOnDevice, renderOnServer } from "./render-client.js";
import { RenderStep } from "./render-step.js";

// The stylesheet, fetched from our origin with this module so the panel never shows unstyled;
// adopted as a constructable stylesheet (no 'unsafe-inline' in the retailer's CSP).
const CSS = await (await ownFile("widget.css")).text();

/** Render errors that are the photo's fault (analytics: `photo_rejected`, not `render_failed`). */
const PHOTO_REFUSALS = new Set([
  "person_detected", "truncated", "corrupt", "empty_file", "unsupported_format", "animated_image",
  "too_many_pixels", "too_large", "unsupported_jpeg_coding",
]);

/** Failures worth a "Try again" button (the rest need another photo or nothing can help). */
const RETRYABLE = new Set([
  "backend_timeout", "backend_unavailable", "person_check_unavailable", "offline", "network",
  "timeout", "internal", "rate_limited", "storage_unavailable",
]);

/** The on-device store's codes; anything else it throws is shown as `storage_unavailable`. */
const DEVICE_STORAGE_CODES = new Set(["storage_full", "storage_unavailable", "bad_render"]);

/** Mount the widget into the loader's shadow root. */
export function mount(root, config, emit) {
  return new Widget(root, config, emit);
}

class Widget {
  constructor(root, config, emit) {
    this.config = config;
    this.emit = emit;
    this.product = null;
    this.sessionId = randomId();
    // The analytics client (one per page, shared with `Vitrine.track`): session events with the
    // random session id only.
    this.analytics = import("../analytics.js").then((m) => m.start(config));
    this.worker = new PhotoWorker(config.base);
    // "ready" once the WASM is instantiated in the worker; a worker that cannot start (CSP,
    // an old browser) is reported now rather than when the shopper picks a photo.
    this.worker.ready.then(
      () => this.emit("ready", {}),
      (error) => this.emit("error", { code: error.code || "worker_failed" }),
    );
    applyStyles(root, CSS);
    this.notice = new ConsentNotice(this.worker, {
      onAccept: () => {
        this.track("consent_given");
        this.emit("consent", { given: true });
        this.showStep("photo");
      },
      onDecline: () => {
        this.track("consent_declined");
        this.emit("consent", { given: false });
        this.close();
      },
    });
    this.recent = new RecentRenders(this.worker, config.key);
    this.recent.onError = (error) => this.showStorageError(error);
    this.photo = new PhotoStep(this.recent, {
      onFile: (file) => this.onFile(file),
      onNext: () => this.startPlacement(),
    });
    this.placement = new PlacementEditor();
    this.renderStep = new RenderStep(this, { onAdjust: () => this.showStep("place") });
    this.build();
    root.append(this.panel);
    if (config.testHooks) window.__vitrineTest = { last: null, errors: [], render: null };
  }

  build() {
    this.title = el("h2", { id: "vitrine-title" }, "See it in your room");
    this.productLine = el("p", { class: "product" });
    this.closeButton = el("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
    this.closeButton.addEventListener("click", () => this.close());
    this.status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    this.error = el("p", { class: "error", role: "alert", hidden: true });
    this.retryButton = el("button", { type: "button", class: "button secondary", hidden: true }, "Try again");
    this.retryButton.addEventListener("click", () => this.render());
    // Placement, then render.
    this.onDevice = el("input", { type: "checkbox", id: "vitrine-on-device" });
    this.modeLine = el("div", { class: "mode", hidden: true }, this.onDevice,
      el("label", { for: "vitrine-on-device" }, "Render on this device (your photo never leaves it; slower)"));
    this.renderButton = el("button", { type: "button", class: "button primary" }, "Show it in my room");
    this.renderButton.addEventListener("click", () => this.render());
    const back = el("button", { type: "button", class: "button secondary" }, "Choose another photo");
    back.addEventListener("click", () => this.showStep("photo"));
    this.placement.section.append(this.modeLine, el("div", { class: "actions" }, this.renderButton, back));
    // The panel is a modal dialog: the page behind is inert, Tab stays inside, Escape closes
    // it, and focus goes back to the launcher.
    this.panel = el("dialog", { class: "panel", "aria-labelledby": "vitrine-title" },
      el("header", {}, el("div", {}, this.title, this.productLine), this.closeButton),
      this.notice.section,
      this.photo.section,
      this.placement.section,
      this.renderStep.section,
      this.status,
      this.error,
      el("div", { class: "actions" }, this.retryButton));
    // Escape (or the browser's back gesture) closes the dialog itself; record it like a close.
    this.panel.addEventListener("close", () => this.closed());
    // A modal dialog makes the page inert, but browsers let Tab leave the last control for their
    // own toolbar (the page's body, headless): wrap around instead, so focus stays in the panel.
    this.panel.addEventListener("keydown", (event) => this.wrapTab(event));
    // A click on the backdrop lands on the dialog, outside its box.
    this.panel.addEventListener("click", (event) => {
      if (event.target !== this.panel) return;
      const box = this.panel.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) this.close();
    });
    // Drag and drop a photo anywhere on the panel (photo step only).
    this.panel.addEventListener("dragover", (event) => {
      if (this.step === "photo") event.preventDefault();
    });
    this.panel.addEventListener("drop", (event) => {
      if (this.step !== "photo") return;
      event.preventDefault();
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) this.onFile(file);
    });
    this.setProduct(this.config.product, this.config.productName);
  }

  async open() {
    if (!this.panel.open) this.panel.showModal();
    this.track("opened");
    this.emit("open", { product: this.config.product });
    this.closeButton.focus();
    if (this.step && this.step !== "notice") return;
    this.clearMessages();
    this.status.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), "Loading…");
    try {
      const needed = await this.notice.needed();
      this.status.textContent = "";
      if (needed) {
        this.showStep("notice");
        this.track("notice_shown");
        this.emit("notice", { reason: this.notice.lastState });
      } else {
        this.showStep("photo");
      }
    } catch (error) {
      this.showError(error instanceof PhotoError ? error : new PhotoError("worker_failed", String(error)));
    }
  }

  close() {
    // The dialog's `close` event records it (closed()), whichever way it was closed.
    if (this.panel.open) this.panel.close();
  }

  closed() {
    this.track("closed");
    this.emit("close", { product: this.config.product });
  }

  wrapTab(event) {
    if (event.key !== "Tab") return;
    const focusable = [...this.panel.querySelectorAll("button, input, [tabindex]:not([tabindex='-1'])")]
      .filter((node) => !node.disabled && node.offsetParent !== null && !node.closest("[hidden]"));
    if (!focusable.length) return;
    const [first, last] = [focusable[0], focusable[focusable.length - 1]];
    const active = this.panel.getRootNode().activeElement;
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  /** Records a widget session event for analytics (never the photo, the render or anything typed). */
  track(name, props = {}) {
    const at = Date.now();
    this.analytics.then((a) => a.widgetEvent(name, this.sessionId, props, at)).catch(() => {});
  }

  showStep(step) {
    this.step = step;
    this.notice.section.hidden = step !== "notice";
    if (step === "notice") this.notice.show();
    this.photo.section.hidden = step !== "photo";
    this.placement.section.hidden = step !== "place";
    this.renderStep.section.hidden = step !== "render";
    this.clearMessages();
    if (step === "photo") this.recent.refresh();
    const focusTarget = {
      notice: this.notice.tick,
      photo: this.photo.focusTarget,
      place: this.placement.handles[0],
      render: this.renderStep.focusTarget,
    }[step];
    // Each step opens at its top; focus then scrolls only as far as its target needs.
    this.panel.scrollTop = 0;
    if (focusTarget) focusTarget.focus();
  }

  clearMessages() {
    this.error.hidden = true;
    this.retryButton.hidden = true;
    this.status.textContent = "";
  }

  setProduct(sku, name) {
    this.productLine.textContent = name || (sku ? `Product ${sku}` : "");
    if (this.product && this.product.sku !== sku) this.product = null;
  }

  async onFile(file) {
    this.track("photo_chosen");
    this.panel.classList.add("busy");
    this.clearMessages();
    this.photo.busy();
    this.status.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), "Cleaning your photo on this device…");
    try {
      const raw = await file.arrayBuffer();
      const result = await this.worker.prepare(raw, MAX_SIDE);
      this.panel.classList.remove("busy");
      const previewBlob = this.photo.show(result);
      this.status.textContent = "Your photo is ready. This is exactly what would be sent.";
      this.emit("photo", { width: result.width, height: result.height, removed: result.removedCodes });
      if (this.config.testHooks) {
        window.__vitrineTest.last = { ...result, previewUrl: this.photo.previewUrl, previewBlob };
      }
    } catch (error) {
      this.showError(error instanceof PhotoError ? error : new PhotoError("internal", String(error)));
    }
  }

  async startPlacement() {
    const cleaned = this.photo.cleaned;
    if (!cleaned) return;
    this.clearMessages();
    try {
      if (!this.product) this.product = await fetchProduct(this.config, this.config.product);
    } catch (error) {
      this.showRenderError(error);
      return;
    }
    this.placement.load(this.photo.previewUrl, cleaned.width, cleaned.height, this.product.surface);
    this.modeLine.hidden = !this.product.renders_on_device;
    this.onDevice.checked = false;
    this.showStep("place");
  }

  async render() {
    const placement = this.placement.placement();
    if (placement.error) {
      this.showRenderError({ code: "bad_placement", message: placement.error });
      return;
    }
    this.clearMessages();
    this.renderButton.disabled = true;
    const onDevice = this.onDevice.checked && this.product.renders_on_device;
    const progress = (fraction) => {
      if (fraction == null && !onDevice) this.track("uploaded");
      const words = fraction == null
        ? "Making your picture…"
        : `Sending your cleaned photo… ${Math.round(fraction * 100)}%`;
      this.status.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), words);
    };
    progress(onDevice ? null : 0);
    if (onDevice) this.status.lastChild.textContent = "Making your picture on this device…";
    const started = performance.now();
    try {
      const cleaned = this.photo.cleaned;
      const request = { bytes: cleaned.bytes, mime: cleaned.mime, product: this.product, placement };
      const result = onDevice
        ? await renderOnDevice(this.config, this.worker, request)
        : await renderOnServer(this.config, { ...request, product: this.product.sku, sessionId: this.sessionId, onProgress: progress });
      this.showRender(result, onDevice, performance.now() - started);
    } catch (error) {
      this.showRenderError(error);
    } finally {
      this.renderButton.disabled = false;
    }
  }

  showRender(result, onDevice, ms) {
    this.renderStep.show(result.blob, this.product);
    this.showStep("render");
    this.status.textContent = onDevice ? "Made on this device: your photo did not leave it." : "";
    this.track("render_succeeded");
    this.emit("render", { onDevice, product: this.product.sku });
    if (this.config.testHooks) {
      window.__vitrineTest.render = { blob: result.blob, onDevice, ms, sessionId: this.sessionId };
    }
  }

  /** Show one problem: its words, its stable code (for tests and the page's `error` event). */
  showProblem(code, words, error) {
    this.status.textContent = "";
    this.error.textContent = words;
    this.error.dataset.code = code;
    this.error.hidden = false;
    this.error.scrollIntoView({ block: "nearest" });
    this.emit("error", { code });
    if (this.config.testHooks) window.__vitrineTest.errors.push({ code, message: error && error.message });
  }

  showKeepError(error) {
    const code = error.code || "internal";
    this.showProblem(code, wordsFor({ ...error, code }, "keep"), error);
  }

  showStorageError(error) {
    const code = DEVICE_STORAGE_CODES.has(error.code) ? error.code : "storage_unavailable";
    this.showProblem(code, wordsFor({ code }, "device-storage"), error);
  }

  showRenderError(error) {
    // The placement editor's own message says which field is wrong; the rest are by code.
    const words = error.code === "bad_placement" && error.message?.startsWith("Please") ? error.message : wordsFor(error);
    if (PHOTO_REFUSALS.has(error.code)) this.track("photo_rejected", { reason: error.code });
    else this.track("render_failed", { kind: error.code || "internal" });
    this.showProblem(error.code, words, error);
    this.retryButton.hidden = !RETRYABLE.has(error.code) || this.step !== "place";
  }

  showError(error) {
    this.panel.classList.remove("busy");
    const named = error.code === "unsupported_format" && error.detected && error.detected !== "Unrecognised";
    const words = named
      ? `That file is ${/^[AEIOU]/.test(error.detected) ? "an" : "a"} ${error.detected} file, not a photo we can use. ` +
        wordsFor(error, "photo").replace(/^That file isn't a photo we can use\. /, "")
      : wordsFor(error, "photo");
    if (error.code !== "worker_failed") this.track("photo_rejected", { reason: error.code || "internal" });
    this.showProblem(error.code, words, error);
  }
}
