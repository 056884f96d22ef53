// Vitrine widget UI, loaded by vitrine.js when the shopper clicks the launcher.
//
// `PhotoWorker` talks to the WASM in a Worker; `Widget` owns the panel inside the loader's shadow
// root and walks the shopper through the steps, one module each in widget/: the pre-flight
// notice (consent-notice.js), the photo (here), the placement (placement-editor.js) and the
// render (render-client.js). Privacy rules kept here: nothing is fetched or stored before the
// notice is accepted; the raw file is read once into a buffer that is transferred to the worker
// (and so detached here); only the cleaned bytes are ever shown or sent.

import { ConsentNotice } from "./widget/consent-notice.js";
import { el, applyStyles } from "./widget/dom.js";
import { PlacementEditor } from "./widget/placement-editor.js";
import { RecentRenders, STORAGE_WORDS } from "./widget/recent-renders.js";
import { emailRender, KEEP_WORDS, shareRender } from "./widget/share-and-email.js";
import { fetchProduct, newSessionId, renderOnDevice, renderOnServer, RETRYABLE, wordsFor } from "./widget/render-client.js";

/** Long side of the photo sent for rendering. */
export const MAX_SIDE = 2048;

/** Render errors that are the photo's fault (analytics: `photo_rejected`, not `render_failed`). */
const PHOTO_REFUSALS = new Set([
  "person_detected", "truncated", "corrupt", "empty_file", "unsupported_format", "animated_image",
  "too_many_pixels", "too_large", "unsupported_jpeg_coding",
]);

/** What the shopper reads for each error code from the WASM (`PhotoError::code`). */
export const ERROR_WORDS = {
  empty_file: "That file is empty. Please choose a photo.",
  too_large: "That file is too large (over 50 MB). Please choose a smaller photo.",
  unsupported_format:
    "That file isn't a photo we can use. Please choose a JPEG, PNG or WebP photo " +
    "(on iPhone, choose the photo from your library and it is converted for you).",
  animated_image: "Animated images can't be used. Please choose a still photo of your room.",
  unsupported_jpeg_coding: "This JPEG uses an unusual format. Please save it again as a standard JPEG, or try another photo.",
  truncated: "That photo looks incomplete (the file is cut short). Please choose it again or try another photo.",
  corrupt: "That photo is damaged and can't be read. Please try another photo.",
  too_many_pixels: "That image is far too large to use (over 100 megapixels). Please choose a normal photo.",
  decode_failed: "Your browser couldn't open that photo. Please try another photo.",
  encode_failed: "Your browser couldn't prepare that photo. Please try again.",
  verification_failed: "We couldn't confirm all hidden data was removed, so this photo won't be used. Please try another photo.",
  worker_failed: "The photo tool couldn't start in this browser. Please reload the page and try again.",
  internal: "Something went wrong while preparing your photo. Please try again.",
};

const CSS = `
:host { all: initial; display: inline-block; }
.backdrop { position: fixed; inset: 0; background: rgb(17 24 39 / .55); display: flex;
  align-items: center; justify-content: center; padding: 16px; z-index: 2147483000;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; }
.backdrop[hidden] { display: none; }
.panel { background: #fff; border-radius: 16px; width: min(580px, 100%); max-height: calc(100vh - 32px);
  overflow: auto; box-shadow: 0 20px 50px rgb(0 0 0 / .3); padding: 22px 24px 24px; box-sizing: border-box; }
header { display: flex; align-items: flex-start; justify-content: space-between; gap: 12px; }
h2 { font-size: 20px; margin: 0; line-height: 1.25; }
.product { color: #4b5563; font-size: 14px; margin: 2px 0 0; }
.close { border: 0; background: #f3f4f6; width: 34px; height: 34px; border-radius: 50%; font-size: 20px;
  line-height: 1; cursor: pointer; color: #374151; flex: none; }
.close:hover { background: #e5e7eb; }
.note { display: flex; gap: 10px; background: #ecfdf5; color: #065f46; border-radius: 10px;
  padding: 10px 12px; margin: 16px 0; font-size: 14px; }
.note svg { flex: none; margin-top: 2px; }
.pick { display: flex; gap: 10px; flex-wrap: wrap; }
.pick label { flex: 1 1 180px; display: flex; align-items: center; justify-content: center; gap: 8px;
  border-radius: 10px; padding: 12px 14px; cursor: pointer; font-weight: 600; text-align: center; }
.pick label.primary { background: #1f2937; color: #fff; }
.pick label.primary:hover { background: #374151; }
.pick label.secondary { background: #fff; color: #1f2937; border: 1.5px solid #d1d5db; }
.pick label.secondary:hover { border-color: #9ca3af; }
.pick label:focus-within { outline: 3px solid #93c5fd; outline-offset: 2px; }
.pick input { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; }
.busy .pick label { opacity: .5; pointer-events: none; }
.hint { color: #6b7280; font-size: 13px; margin: 8px 0 0; }
.status { margin: 14px 0 0; min-height: 1.45em; color: #374151; font-size: 14px; }
.status:empty { display: none; }
.spinner { display: inline-block; width: 14px; height: 14px; border: 2px solid #d1d5db;
  border-top-color: #1f2937; border-radius: 50%; animation: spin .8s linear infinite; vertical-align: -2px; margin-right: 6px; }
@keyframes spin { to { transform: rotate(360deg); } }
.error { margin: 14px 0 0; background: #fef2f2; color: #991b1b; border: 1px solid #fecaca;
  border-radius: 10px; padding: 10px 12px; font-size: 14px; }
.error[hidden], .result[hidden] { display: none; }
.result { margin-top: 16px; display: grid; grid-template-columns: 220px 1fr; gap: 4px 18px; align-items: start; }
@media (max-width: 560px) { .result { grid-template-columns: 1fr; } }
.preview { display: block; width: 100%; height: auto; max-height: 260px; object-fit: contain;
  background: #f3f4f6; border-radius: 10px; grid-row: span 2; }
.removed h3 { font-size: 15px; margin: 0 0 6px; }
.removed ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 3px; }
.removed li { display: flex; gap: 8px; align-items: baseline; font-size: 14px; line-height: 1.3; }
.removed li::before { content: "✓"; color: #047857; font-weight: 700; }
.removed .none { color: #4b5563; font-size: 14px; margin: 0; }
.meta { color: #6b7280; font-size: 13px; margin: 8px 0 0; grid-column: 1 / -1; }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
/* The loader's launcher-button rule shares this shadow root; [hidden] must win over it. */
[hidden] { display: none !important; }
.step h3 { font-size: 16px; margin: 16px 0 8px; }
/* Headings take focus only to be announced when a step opens; they are not controls. */
h3[tabindex="-1"]:focus { outline: none; }
.points { margin: 0 0 12px; padding-left: 18px; display: grid; gap: 6px; font-size: 14px; }
.consent { display: flex; gap: 10px; align-items: flex-start; background: #f9fafb; border: 1px solid #e5e7eb;
  border-radius: 10px; padding: 10px 12px; font-size: 14px; }
.consent input { width: 20px; height: 20px; margin: 1px 0 0; flex: none; accent-color: #1f2937; }
.actions { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 14px; }
.button { font: 600 15px/1.2 system-ui, sans-serif; border-radius: 10px; padding: 11px 16px; cursor: pointer; }
.button.primary { background: #1f2937; color: #fff; border: 0; }
.button.primary:hover { background: #374151; }
.button.primary[disabled] { background: #9ca3af; cursor: not-allowed; }
.button.secondary { background: #fff; color: #1f2937; border: 1.5px solid #d1d5db; }
.button.link { background: none; border: 0; color: #1d4ed8; text-decoration: underline; padding: 8px 4px; }
.button:focus-visible, .handle:focus-visible, .close:focus-visible, input:focus-visible {
  outline: 3px solid #2563eb; outline-offset: 2px; }
.stage { position: relative; width: 100%; margin: 0 auto; background: #f3f4f6; border-radius: 10px; overflow: visible;
  touch-action: none; user-select: none; }
.stage-photo { display: block; width: 100%; height: 100%; border-radius: 10px; }
.stage svg { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
.stage polygon { fill: rgb(37 99 235 / .22); stroke: #1d4ed8; stroke-width: 3; vector-effect: non-scaling-stroke; }
.handle { position: absolute; width: 28px; height: 28px; margin: -14px 0 0 -14px; border-radius: 50%;
  background: #fff; border: 3px solid #1d4ed8; box-shadow: 0 1px 4px rgb(0 0 0 / .4); cursor: grab; padding: 0;
  touch-action: none; }
.sizes { display: flex; gap: 8px 10px; align-items: center; flex-wrap: wrap; margin-top: 10px; font-size: 14px; }
.sizes input { width: 70px; font: inherit; padding: 6px 8px; border: 1.5px solid #d1d5db; border-radius: 8px; }
.mode { display: flex; gap: 8px; align-items: center; font-size: 14px; margin-top: 10px; }
.render-figure { position: relative; margin: 12px 0 0; }
.render-figure img { display: block; width: 100%; height: auto; border-radius: 10px; }
.ai-label { position: absolute; left: 10px; top: 10px; background: rgb(17 24 39 / .85); color: #fff;
  font-size: 12px; font-weight: 700; letter-spacing: .02em; padding: 4px 8px; border-radius: 6px; }
.render-figure figcaption { color: #4b5563; font-size: 13px; margin-top: 6px; }
.save { border: 1px solid #e5e7eb; border-radius: 10px; padding: 10px 12px 12px; margin: 14px 0 0; }
.save legend { font-weight: 700; padding: 0 4px; }
.email-fields { display: grid; gap: 6px; margin: 8px 0 0 30px; font-size: 14px; }
.email-fields input[type=email], .link-field { font: inherit; padding: 8px 10px; border: 1.5px solid #d1d5db; border-radius: 8px; width: 100%; box-sizing: border-box; }
.save .consent { margin-top: 8px; }
.shared { display: grid; gap: 6px; font-size: 14px; }
.recent-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
.recent-list li { display: flex; gap: 10px; align-items: center; font-size: 13px; }
.recent-list img { border-radius: 8px; height: auto; }
.recent-meta { flex: 1; color: #374151; }
`;

const SHIELD =
  '<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'aria-hidden="true"><path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/><path d="M9 12l2 2 4-4"/></svg>';

/** A typed failure with a stable code, as the WASM rejects with. */
export class PhotoError extends Error {
  /** `detected` names the real format of a refused file ("GIF", "HEIC/HEIF" …), when known. */
  constructor(code, message, detected) {
    super(message);
    this.code = code;
    this.detected = detected;
  }
}

/**
 * The photo worker, started from a blob: URL so it works on any retailer origin; its body
 * (photo-worker.js) and the WASM are imported from our origin.
 */
export class PhotoWorker {
  constructor(base, { pkg } = {}) {
    const body = new URL("photo-worker.js", base);
    if (pkg) body.searchParams.set("pkg", pkg);
    // A dynamic import() is fetched as a script (CSP script-src), so the retailer's worker-src
    // only needs blob:; a static import would need our origin in worker-src as well.
    const source =
      `import(${JSON.stringify(body.href)}).catch((e) => ` +
      `self.postMessage({ type: "fatal", message: String(e && e.message || e) }));`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker = new Worker(url, { type: "module", name: "vitrine-photo" });
      this.worker.onmessage = ({ data }) => {
        if (data.type === "ready") resolve(data);
        else if (data.type === "fatal") reject(new PhotoError("worker_failed", data.message));
        else if (data.type === "result") this.settle(data);
      };
      this.worker.onerror = (event) => {
        event.preventDefault();
        const error = new PhotoError("worker_failed", event.message || "the worker failed to start");
        reject(error);
        for (const { reject: fail } of this.pending.values()) fail(error);
        this.pending.clear();
      };
    });
    this.ready.finally(() => URL.revokeObjectURL(url)).catch(() => {});
  }

  settle({ id, ok, result, error }) {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    if (ok) request.resolve(result);
    else request.reject(new PhotoError(error.code, error.message, error.detected));
  }

  /** Ask the worker for `op` (see photo-worker.js); `transfer` lists buffers to move there. */
  async call(op, args = {}, transfer = []) {
    if ("id" in args || "op" in args) throw new PhotoError("internal", "`id` and `op` are the call's own fields");
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  /** Prepare `buffer` (an ArrayBuffer, transferred: unusable here afterwards). */
  prepare(buffer, maxSide = MAX_SIDE, codec = "browser") {
    return this.call("prepare", { bytes: buffer, maxSide, codec }, [buffer]);
  }

  terminate() {
    this.worker.terminate();
  }
}

/** Mount the widget into the loader's shadow root. */
export function mount(root, config, emit) {
  return new Widget(root, config, emit);
}

class Widget {
  constructor(root, config, emit) {
    this.config = config;
    this.emit = emit;
    this.previewUrl = null;
    this.renderUrl = null;
    this.cleaned = null;
    this.product = null;
    this.sessionId = newSessionId();
    // The analytics client (one per page, shared with `Vitrine.track`): session events with the
    // random session id only.
    this.analytics = import("./analytics.js").then((m) => m.start(config));
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
    this.placement = new PlacementEditor();
    this.recent = new RecentRenders(this.worker, config.key);
    this.recent.onError = (error) => this.showStorageError(error);
    this.build();
    root.append(this.backdrop);
    this.onKey = (event) => this.keydown(event);
    if (config.testHooks) window.__vitrineTest = { last: null, errors: [], render: null };
  }

  build() {
    const fileInput = el("input", { type: "file", accept: "image/*", "data-vitrine-input": "library" });
    const cameraInput = el("input", { type: "file", accept: "image/*", capture: "environment", "data-vitrine-input": "camera" });
    for (const input of [fileInput, cameraInput]) {
      input.addEventListener("change", () => this.onFile(input.files && input.files[0], input));
    }
    this.title = el("h2", { id: "vitrine-title" }, "See it in your room");
    this.productLine = el("p", { class: "product" });
    this.closeButton = el("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
    this.closeButton.addEventListener("click", () => this.close());
    const note = el("p", { class: "note" });
    note.innerHTML = SHIELD;
    note.append(
      el("span", {},
        "Your photo is cleaned on this device first: location, camera details and other hidden data are removed before anything leaves it."),
    );
    this.status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    this.error = el("p", { class: "error", role: "alert", hidden: true });
    this.retryButton = el("button", { type: "button", class: "button secondary", hidden: true }, "Try again");
    this.retryButton.addEventListener("click", () => this.render());
    this.preview = el("img", { class: "preview", alt: "Your photo, cleaned" });
    this.removedList = el("ul");
    this.meta = el("p", { class: "meta" });
    this.toPlacement = el("button", { type: "button", class: "button primary" }, "Next: place it");
    this.toPlacement.addEventListener("click", () => this.startPlacement());
    // The cleaned picture beside what was removed from it: privacy the shopper can see at a glance.
    this.result = el("div", { class: "result", hidden: true },
      this.preview,
      el("section", { class: "removed", "aria-label": "Removed from your photo" },
        el("h3", {}, "Removed from your photo"), this.removedList),
      this.meta);
    this.photoStep = el("section", { class: "step photo", hidden: true },
      note,
      el("div", { class: "pick" },
        el("label", { class: "primary" }, this.chooseText = el("span", {}, "Choose a photo"), fileInput),
        el("label", { class: "secondary" }, "Take a photo", cameraInput)),
      el("p", { class: "hint" }, "A photo of the room only, please: JPEG, PNG or WebP. You can also drop it here."),
      this.result,
      this.photoActions = el("div", { class: "actions", hidden: true }, this.toPlacement),
      this.recent.section);
    // Placement, then render.
    this.onDevice = el("input", { type: "checkbox", id: "vitrine-on-device" });
    this.modeLine = el("div", { class: "mode", hidden: true }, this.onDevice,
      el("label", { for: "vitrine-on-device" }, "Render on this device (your photo never leaves it; slower)"));
    this.renderButton = el("button", { type: "button", class: "button primary" }, "Show it in my room");
    this.renderButton.addEventListener("click", () => this.render());
    const back = el("button", { type: "button", class: "button secondary" }, "Choose another photo");
    back.addEventListener("click", () => this.showStep("photo"));
    this.placement.section.append(this.modeLine, el("div", { class: "actions" }, this.renderButton, back));
    // The render, with its visible AI label.
    this.renderImage = el("img", { alt: "Your room with the product, AI-generated" });
    this.renderCaption = el("figcaption", {},
      "AI-generated: colour, pattern and finish may differ from the real product.");
    const adjust = el("button", { type: "button", class: "button secondary" }, "Adjust the corners");
    adjust.addEventListener("click", () => this.showStep("place"));
    // The save popup: three independent choices, each its own tick, none ticked by default.
    this.saveOnDevice = el("input", { type: "checkbox", id: "vitrine-save-device" });
    this.sharePublicly = el("input", { type: "checkbox", id: "vitrine-share" });
    this.emailMe = el("input", { type: "checkbox", id: "vitrine-email" });
    this.emailInput = el("input", { type: "email", id: "vitrine-email-address", autocomplete: "email", inputmode: "email" });
    this.marketing = el("input", { type: "checkbox", id: "vitrine-marketing" });
    this.emailFields = el("div", { class: "email-fields", hidden: true },
      el("label", { for: "vitrine-email-address" }, "Your email address"), this.emailInput,
      el("div", { class: "consent" }, this.marketing,
        el("label", { for: "vitrine-marketing" }, "Also send me news and offers from this shop (optional; you can unsubscribe at any time).")));
    this.emailMe.addEventListener("change", () => {
      this.emailFields.hidden = !this.emailMe.checked;
    });
    this.saveButton = el("button", { type: "button", class: "button primary" }, "Keep my choices");
    this.saveButton.addEventListener("click", () => this.keep());
    this.saveStatus = el("div", { class: "hint", role: "status" });
    this.saveBox = el("fieldset", { class: "save" },
      el("legend", {}, "Keep this picture?"),
      el("div", { class: "consent" }, this.saveOnDevice,
        el("label", { for: "vitrine-save-device" },
          "Save on this device. The 3 most recent pictures stay in this browser so you can see them next time; they are never sent anywhere, and you can remove them.")),
      el("div", { class: "consent" }, this.sharePublicly,
        el("label", { for: "vitrine-share" },
          "Share publicly. I agree that this picture, labelled AI-generated, is shown in the shop's public gallery after the shop reviews it, " +
          "including anything it shows about my home (GDPR Art. 6(1)(a) and 9(2)(a)). I'll get a link to remove it at any time.")),
      el("div", { class: "consent" }, this.emailMe,
        el("label", { for: "vitrine-email" },
          "Email me this picture. The shop receives my email address, the picture and the product, to send it and follow up about this product.")),
      this.emailFields,
      el("div", { class: "actions" }, this.saveButton),
      this.saveStatus);
    this.renderStep = el("section", { class: "step render", "aria-labelledby": "vitrine-render-title", hidden: true },
      this.renderTitle = el("h3", { id: "vitrine-render-title", tabindex: "-1" }, "Your room, with this product"),
      el("figure", { class: "render-figure" }, this.renderImage,
        el("span", { class: "ai-label", "aria-hidden": "true" }, "AI-generated"), this.renderCaption),
      this.saveBox,
      el("div", { class: "actions" }, adjust));
    this.panel = el("div", { class: "panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "vitrine-title" },
      el("header", {}, el("div", {}, this.title, this.productLine), this.closeButton),
      this.notice.section,
      this.photoStep,
      this.placement.section,
      this.renderStep,
      this.status,
      this.error,
      el("div", { class: "actions" }, this.retryButton));
    this.backdrop = el("div", { class: "backdrop", hidden: true }, this.panel);
    this.backdrop.addEventListener("click", (event) => {
      if (event.target === this.backdrop) this.close();
    });
    // Drag and drop a photo anywhere on the panel (photo step only).
    this.panel.addEventListener("dragover", (event) => {
      if (this.step === "photo") event.preventDefault();
    });
    this.panel.addEventListener("drop", (event) => {
      if (this.step !== "photo") return;
      event.preventDefault();
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) this.onFile(file, null);
    });
    this.setProduct(this.config.product, this.config.productName);
  }

  async open() {
    this.backdrop.hidden = false;
    document.addEventListener("keydown", this.onKey);
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
    this.backdrop.hidden = true;
    document.removeEventListener("keydown", this.onKey);
    this.track("closed");
    this.emit("close", { product: this.config.product });
  }

  /** Records a widget session event for analytics (never the photo, the render or anything typed). */
  track(name, props = {}) {
    const at = Date.now();
    this.analytics.then((a) => a.widgetEvent(name, this.sessionId, props, at)).catch(() => {});
  }

  keydown(event) {
    if (event.key === "Escape") {
      this.close();
      return;
    }
    // Keep focus inside the dialog while it is open.
    if (event.key !== "Tab") return;
    const focusable = [...this.panel.querySelectorAll("button, input, [tabindex]:not([tabindex='-1'])")]
      .filter((node) => !node.disabled && node.offsetParent !== null && !node.closest("[hidden]"));
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = this.panel.getRootNode().activeElement;
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  showStep(step) {
    this.step = step;
    this.notice.section.hidden = step !== "notice";
    if (step === "notice") this.notice.show();
    this.photoStep.hidden = step !== "photo";
    this.placement.section.hidden = step !== "place";
    this.renderStep.hidden = step !== "render";
    this.clearMessages();
    if (step === "photo") this.recent.refresh();
    const focusTarget = {
      notice: this.notice.tick,
      photo: this.photoStep.querySelector("input"),
      place: this.placement.handles[0],
      // The picture and its AI label first (announced by its heading), not the save popup below
      // it: focusing a button further down can scroll the picture out of sight on a short screen.
      render: this.renderTitle,
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

  async onFile(file, input) {
    // Let go of the File: the input no longer holds the raw photo once it is read.
    if (input) input.value = "";
    if (!file) return;
    this.track("photo_chosen");
    this.showBusy();
    try {
      const raw = await file.arrayBuffer();
      const result = await this.worker.prepare(raw, MAX_SIDE);
      this.showResult(result);
    } catch (error) {
      this.showError(error instanceof PhotoError ? error : new PhotoError("internal", String(error)));
    }
  }

  showBusy() {
    this.panel.classList.add("busy");
    this.clearMessages();
    this.result.hidden = true;
    this.photoActions.hidden = true;
    this.status.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), "Cleaning your photo on this device…");
  }

  showResult(result) {
    this.panel.classList.remove("busy");
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    const previewBlob = new Blob([result.bytes], { type: result.mime });
    this.previewUrl = URL.createObjectURL(previewBlob);
    this.cleaned = result;
    this.preview.src = this.previewUrl;
    this.preview.width = result.width;
    this.preview.height = result.height;
    const items = result.removed.map((words) => {
      const text = words.charAt(0).toUpperCase() + words.slice(1) + " removed";
      return el("li", {}, text);
    });
    if (items.length) this.removedList.replaceChildren(...items);
    else this.removedList.replaceChildren(el("li", {}, "No hidden data found: nothing needed removing"));
    const size = `${result.width} × ${result.height}`;
    this.meta.textContent = result.reencoded
      ? `Resized to ${size} from ${result.originalWidth} × ${result.originalHeight}.`
      : `Kept at ${size}, pixels untouched.`;
    this.status.textContent = "Your photo is ready. This is exactly what would be sent.";
    this.chooseText.textContent = "Choose another photo";
    this.result.hidden = false;
    this.photoActions.hidden = false;
    this.emit("photo", { width: result.width, height: result.height, removed: result.removedCodes });
    if (this.config.testHooks) window.__vitrineTest.last = { ...result, previewUrl: this.previewUrl, previewBlob: previewBlob };
  }

  async startPlacement() {
    if (!this.cleaned) return;
    this.clearMessages();
    try {
      if (!this.product) this.product = await fetchProduct(this.config, this.config.product);
    } catch (error) {
      this.showRenderError(error);
      return;
    }
    this.placement.load(this.previewUrl, this.cleaned.width, this.cleaned.height, this.product.surface);
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
      const request = { bytes: this.cleaned.bytes, mime: this.cleaned.mime, product: this.product, placement };
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
    if (this.renderUrl) URL.revokeObjectURL(this.renderUrl);
    this.renderUrl = URL.createObjectURL(result.blob);
    this.renderImage.src = this.renderUrl;
    this.renderBlob = result.blob;
    for (const tick of [this.saveOnDevice, this.sharePublicly, this.emailMe, this.marketing]) {
      tick.checked = false;
      tick.disabled = false;
    }
    this.emailInput.value = "";
    this.emailInput.disabled = false;
    this.emailFields.hidden = true;
    this.saveButton.disabled = false;
    this.saveStatus.replaceChildren();
    this.showStep("render");
    this.status.textContent = onDevice ? "Made on this device: your photo did not leave it." : "";
    this.track("render_succeeded");
    this.emit("render", { onDevice, product: this.product.sku });
    if (this.config.testHooks) {
      window.__vitrineTest.render = { blob: result.blob, onDevice, ms, sessionId: this.sessionId };
    }
  }

  /** Apply the save popup's ticked choices, each on its own: one failing leaves the others. */
  async keep() {
    this.clearMessages();
    const choices = [
      [this.saveOnDevice, () => this.keepOnDevice()],
      [this.sharePublicly, () => this.share()],
      [this.emailMe, () => this.email()],
    ].filter(([tick]) => tick.checked && !tick.disabled);
    if (!choices.length) {
      this.saveStatus.replaceChildren("Nothing ticked, so nothing was kept.");
      return;
    }
    if (this.emailMe.checked && !this.emailMe.disabled && !this.emailInput.checkValidity()) {
      this.showKeepError({ code: "invalid_request" });
      this.emailInput.focus();
      return;
    }
    this.saveButton.disabled = true;
    this.saveStatus.replaceChildren();
    for (const [tick, run] of choices) {
      try {
        const line = await run();
        tick.disabled = true;
        this.saveStatus.append(line);
      } catch (error) {
        if (tick === this.saveOnDevice) this.showStorageError(error);
        else this.showKeepError(error);
      }
    }
    // What is done is done (its tick stays, disabled); whatever is left can still be chosen.
    this.saveButton.disabled = [this.saveOnDevice, this.sharePublicly, this.emailMe].every((t) => t.disabled);
    this.saveStatus.scrollIntoView({ block: "nearest" });
  }

  async keepOnDevice() {
    await this.recent.save(this.renderBlob, this.product);
    this.track("saved_on_device");
    this.emit("saved", { onDevice: true });
    return el("p", {}, "Saved on this device.");
  }

  async share() {
    const { withdrawUrl } = await shareRender(this.config, this.renderBlob, this.product.sku);
    const link = el("input", { type: "text", readonly: true, value: withdrawUrl, id: "vitrine-withdraw-link", class: "link-field" });
    const copy = el("button", { type: "button", class: "button secondary" }, "Copy link");
    copy.addEventListener("click", async () => {
      link.select();
      try {
        await navigator.clipboard.writeText(withdrawUrl);
        copy.textContent = "Copied";
      } catch {
        copy.textContent = "Select and copy the link";
      }
    });
    this.track("shared");
    this.emit("shared", {});
    if (this.config.testHooks) window.__vitrineTest.withdrawUrl = withdrawUrl;
    return el("div", { class: "shared" },
      el("p", {}, "Shared. The shop will review it before it appears in their gallery. Keep this link: opening it removes your picture at once."),
      el("label", { for: "vitrine-withdraw-link" }, "Your removal link"), link, copy);
  }

  async email() {
    await emailRender(this.config, this.renderBlob, this.product.sku, this.emailInput.value, this.marketing.checked);
    this.emailInput.disabled = true;
    this.marketing.disabled = true;
    this.track("emailed");
    this.emit("emailed", {});
    return el("p", {}, "Sent to the shop, who will email you the picture.");
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
    this.showProblem(error.code || "internal", KEEP_WORDS[error.code] || KEEP_WORDS.internal, error);
  }

  showStorageError(error) {
    const code = STORAGE_WORDS[error.code] ? error.code : "storage_unavailable";
    this.showProblem(code, STORAGE_WORDS[code], error);
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
      ? `That file is ${/^[AEIOU]/.test(error.detected) ? "an" : "a"} ${error.detected} file, not a photo we can use. ` + ERROR_WORDS.unsupported_format.replace(/^That file isn't a photo we can use\. /, "")
      : ERROR_WORDS[error.code] || ERROR_WORDS.internal;
    if (error.code !== "worker_failed") this.track("photo_rejected", { reason: error.code || "internal" });
    this.showProblem(error.code, words, error);
  }
}
