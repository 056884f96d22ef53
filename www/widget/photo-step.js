// The photo (step 2): choose, take or drop a photo; it is cleaned on this device by the worker
// and shown beside what was removed from it. The raw file is read once into a buffer that is
// transferred to the worker (and so detached here), and the input is cleared: only the cleaned
// bytes are ever shown or sent.

import { el } from "./dom.js";

const SHIELD =
  '<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'aria-hidden="true"><path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/><path d="M9 12l2 2 4-4"/></svg>';

export class PhotoStep {
  /** `onFile(file)`: a photo was chosen or dropped; `onNext()`: go on to the placement. */
  constructor(recent, { onFile, onNext }) {
    this.previewUrl = null;
    this.cleaned = null;
    const fileInput = el("input", { type: "file", accept: "image/*", "data-vitrine-input": "library" });
    const cameraInput = el("input", { type: "file", accept: "image/*", capture: "environment", "data-vitrine-input": "camera" });
    for (const input of [fileInput, cameraInput]) {
      input.addEventListener("change", () => {
        const file = input.files && input.files[0];
        // Let go of the File: the input no longer holds the raw photo once it is read.
        input.value = "";
        if (file) onFile(file);
      });
    }
    const note = el("p", { class: "note" });
    note.innerHTML = SHIELD;
    note.append(
      el("span", {},
        "Your photo is cleaned on this device first: location, camera details and other hidden data are removed before anything leaves it."),
    );
    this.preview = el("img", { class: "preview", alt: "Your photo, cleaned" });
    this.removedList = el("ul");
    this.meta = el("p", { class: "meta" });
    const next = el("button", { type: "button", class: "button primary" }, "Next: place it");
    next.addEventListener("click", () => onNext());
    // The cleaned picture beside what was removed from it: privacy the shopper can see at a glance.
    this.result = el("div", { class: "result", hidden: true },
      this.preview,
      el("section", { class: "removed", "aria-label": "Removed from your photo" },
        el("h3", {}, "Removed from your photo"), this.removedList),
      this.meta);
    this.section = el("section", { class: "step photo", hidden: true },
      note,
      el("div", { class: "pick" },
        el("label", { class: "primary" }, this.chooseText = el("span", {}, "Choose a photo"), fileInput),
        el("label", { class: "secondary" }, "Take a photo", cameraInput)),
      el("p", { class: "hint" }, "A photo of the room only, please: JPEG, PNG or WebP. You can also drop it here."),
      this.result,
      this.actions = el("div", { class: "actions", hidden: true }, next),
      recent.section);
    this.focusTarget = fileInput;
  }

  /** While the worker cleans: the previous result is hidden. */
  busy() {
    this.result.hidden = true;
    this.actions.hidden = true;
  }

  /** Show the worker's result; returns the preview's blob (the cleaned bytes). */
  show(result) {
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
    this.chooseText.textContent = "Choose another photo";
    this.result.hidden = false;
    this.actions.hidden = false;
    return previewBlob;
  }
}
