// The render (step 4) with its visible AI label, and the save popup (step 5): three independent
// choices — on this device, shared publicly, emailed — each its own tick, none ticked by default;
// each ticked one is applied on its own, so one failing leaves the others.

import { el } from "./dom.js";
import { emailRender, shareRender } from "./share-and-email.js";

export class RenderStep {
  /**
   * `widget`: what the step reports to (its `config`, `recent`, `track`, `emit`, `showProblem`
   * and `clearMessages`); `onAdjust()`: back to the placement.
   */
  constructor(widget, { onAdjust }) {
    this.widget = widget;
    this.renderUrl = null;
    this.image = el("img", { alt: "Your room with the product, AI-generated" });
    const caption = el("figcaption", {},
      "AI-generated: colour, pattern and finish may differ from the real product.");
    const adjust = el("button", { type: "button", class: "button secondary" }, "Adjust the corners");
    adjust.addEventListener("click", () => onAdjust());
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
    const saveBox = el("fieldset", { class: "save" },
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
    this.section = el("section", { class: "step render", "aria-labelledby": "vitrine-render-title", hidden: true },
      // The picture and its AI label take focus first (announced by this heading), not the save
      // popup below it: focusing a button further down can scroll the picture out of sight.
      this.focusTarget = el("h3", { id: "vitrine-render-title", tabindex: "-1" }, "Your room, with this product"),
      el("figure", { class: "render-figure" }, this.image,
        el("span", { class: "ai-label", "aria-hidden": "true" }, "AI-generated"), caption),
      saveBox,
      el("div", { class: "actions" }, adjust));
  }

  /** Show a new render of `product`, with the save popup reset: nothing ticked. */
  show(blob, product) {
    if (this.renderUrl) URL.revokeObjectURL(this.renderUrl);
    this.renderUrl = URL.createObjectURL(blob);
    this.image.src = this.renderUrl;
    this.blob = blob;
    this.product = product;
    for (const tick of [this.saveOnDevice, this.sharePublicly, this.emailMe, this.marketing]) {
      tick.checked = false;
      tick.disabled = false;
    }
    this.emailInput.value = "";
    this.emailInput.disabled = false;
    this.emailFields.hidden = true;
    this.saveButton.disabled = false;
    this.saveStatus.replaceChildren();
  }

  /** Apply the save popup's ticked choices, each on its own: one failing leaves the others. */
  async keep() {
    const widget = this.widget;
    widget.clearMessages();
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
      widget.showKeepError({ code: "invalid_request" });
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
        if (tick === this.saveOnDevice) widget.showStorageError(error);
        else widget.showKeepError(error);
      }
    }
    // What is done is done (its tick stays, disabled); whatever is left can still be chosen.
    this.saveButton.disabled = [this.saveOnDevice, this.sharePublicly, this.emailMe].every((t) => t.disabled);
    this.saveStatus.scrollIntoView({ block: "nearest" });
  }

  async keepOnDevice() {
    await this.widget.recent.save(this.blob, this.product);
    this.widget.track("saved_on_device");
    this.widget.emit("saved", { onDevice: true });
    return el("p", {}, "Saved on this device.");
  }

  async share() {
    const { config } = this.widget;
    const { withdrawUrl } = await shareRender(config, this.blob, this.product.sku);
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
    this.widget.track("shared");
    this.widget.emit("shared", {});
    if (config.testHooks) window.__vitrineTest.withdrawUrl = withdrawUrl;
    return el("div", { class: "shared" },
      el("p", {}, "Shared. The shop will review it before it appears in their gallery. Keep this link: opening it removes your picture at once."),
      el("label", { for: "vitrine-withdraw-link" }, "Your removal link"), link, copy);
  }

  async email() {
    await emailRender(this.widget.config, this.blob, this.product.sku, this.emailInput.value, this.marketing.checked);
    this.emailInput.disabled = true;
    this.marketing.disabled = true;
    this.widget.track("emailed");
    this.widget.emit("emailed", {});
    return el("p", {}, "Sent to the shop, who will email you the picture.");
  }
}
