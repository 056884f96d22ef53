// The pre-flight notice (step 1): what the picture is, who may use the widget, what photo to
// take, and one explicit consent tick — never pre-ticked — covering GDPR Art. 6(1)(a) and
// Art. 9(2)(a). The flag's format, version and 7-day expiry are decided in Rust
// (`vitrine-core::consent`, through the worker); this module only shows the words and moves the
// stored string between localStorage and the worker.

import { el } from "./dom.js";

/** The notice's words. Raise `NOTICE_VERSION` in `core/src/consent.rs` when they change. */
const POINTS = [
  ["AI-generated.", " The picture you get is made by AI from your photo. Colour, pattern and finish may not match the real product."],
  ["Adults only.", " You must be 18 or over to use this."],
  ["Rooms, not people.", " Photograph the space only. Photos that show a person are refused."],
  ["Your photo stays private.", " Location, camera details and other hidden data are removed on this device first. The photo is used only to make your picture and is not kept."],
];

/** localStorage, or nothing where the browser blocks it (the notice then shows every time). */
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export class ConsentNotice {
  /** `worker`: the widget's worker; `onAccept`/`onDecline`: what the widget does next. */
  constructor(worker, { onAccept, onDecline }) {
    this.worker = worker;
    this.acceptedThisSession = false;
    this.tick = el("input", { type: "checkbox", id: "vitrine-consent-tick", "data-vitrine": "consent-tick" });
    this.continueButton = el("button", { type: "button", class: "button primary", disabled: true }, "Continue");
    this.declineButton = el("button", { type: "button", class: "button secondary" }, "No thanks");
    this.tick.addEventListener("change", () => {
      this.continueButton.disabled = !this.tick.checked;
    });
    this.continueButton.addEventListener("click", async () => {
      if (!this.tick.checked) return;
      await this.accept();
      onAccept();
    });
    this.declineButton.addEventListener("click", () => {
      this.tick.checked = false;
      this.continueButton.disabled = true;
      onDecline();
    });
    this.section = el("section", { class: "step notice", "aria-labelledby": "vitrine-notice-title", hidden: true },
      el("h3", { id: "vitrine-notice-title" }, "Before you start"),
      el("ul", { class: "points" }, ...POINTS.map(([lead, rest]) => el("li", {}, el("strong", {}, lead), rest))),
      el("div", { class: "consent" },
        this.tick,
        el("label", { for: "vitrine-consent-tick" },
          "I am 18 or over, and I agree that my room photo is processed to make this picture, including " +
          "anything it may show about me or my home (GDPR Art. 6(1)(a) and 9(2)(a)). I can withdraw by " +
          "closing this window; nothing is kept.")),
      el("div", { class: "actions" }, this.continueButton, this.declineButton));
  }

  /** Whether the notice must be shown now: asks the worker about the stored flag. */
  async needed() {
    if (this.acceptedThisSession) return false;
    const store = storage();
    let stored = null;
    try {
      stored = store ? store.getItem(await this.worker.call("consent-key")) : null;
    } catch {
      stored = null;
    }
    const state = await this.worker.call("consent-state", { stored, now: Date.now() });
    this.lastState = state;
    return state !== "valid";
  }

  show() {
    this.tick.checked = false;
    this.continueButton.disabled = true;
    this.section.hidden = false;
  }

  hide() {
    this.section.hidden = true;
  }

  async accept() {
    this.acceptedThisSession = true;
    const value = await this.worker.call("consent-accept", { now: Date.now() });
    const store = storage();
    try {
      if (store) store.setItem(await this.worker.call("consent-key"), value);
    } catch {
      // Storage full or blocked: the consent holds for this visit only; the notice shows again
      // next time, which is the safe side.
    }
  }
}
