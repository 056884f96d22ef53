// Placement (step 3): the shopper sees their cleaned photo with the region the product goes on
// as four corners they can drag (mouse, touch, pen) or move with the arrow keys. Corners are
// kept as fractions of the photo's width and height, the server's and the core's convention:
// far-left, far-right, near-right, near-left on a floor; clockwise from the top-left on a wall.

import { el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

/** Sensible first guesses: the lower part of the photo for a floor, a central band for a wall. */
export const DEFAULT_CORNERS = {
  floor: [[0.22, 0.6], [0.78, 0.6], [0.98, 0.97], [0.02, 0.97]],
  wall: [[0.18, 0.14], [0.82, 0.14], [0.82, 0.58], [0.18, 0.58]],
};
/** A region's real size in metres: width × depth for a floor, width × height for a wall. */
export const DEFAULT_SIZE = { floor: [4, 4], wall: [3, 2.4] };

const NAMES = {
  floor: ["far-left", "far-right", "near-right", "near-left"],
  wall: ["top-left", "top-right", "bottom-right", "bottom-left"],
};
const STEP = 0.01;
const BIG_STEP = 0.05;

export class PlacementEditor {
  constructor() {
    this.surface = "floor";
    this.corners = DEFAULT_CORNERS.floor.map((c) => [...c]);
    this.image = el("img", { class: "stage-photo", alt: "Your photo, where the product will go" });
    this.svg = document.createElementNS(SVG, "svg");
    this.svg.setAttribute("viewBox", "0 0 1000 1000");
    this.svg.setAttribute("preserveAspectRatio", "none");
    this.svg.setAttribute("aria-hidden", "true");
    this.polygon = document.createElementNS(SVG, "polygon");
    this.svg.append(this.polygon);
    this.handles = [0, 1, 2, 3].map((index) => this.makeHandle(index));
    this.stage = el("div", { class: "stage" }, this.image, this.svg, ...this.handles);
    this.widthInput = el("input", { type: "number", min: "0.5", max: "50", step: "0.1", id: "vitrine-size-width", inputmode: "decimal" });
    this.depthInput = el("input", { type: "number", min: "0.5", max: "50", step: "0.1", id: "vitrine-size-depth", inputmode: "decimal" });
    this.depthLabel = el("label", { for: "vitrine-size-depth" }, "Depth (m)");
    const reset = el("button", { type: "button", class: "button link" }, "Reset corners");
    reset.addEventListener("click", () => this.reset());
    this.section = el("section", { class: "step placement", "aria-labelledby": "vitrine-place-title", hidden: true },
      el("h3", { id: "vitrine-place-title" }, "Where does it go?"),
      this.instructions = el("p", { class: "hint" }),
      this.stage,
      el("div", { class: "sizes" },
        el("label", { for: "vitrine-size-width" }, "Width (m)"), this.widthInput,
        this.depthLabel, this.depthInput,
        reset));
  }

  makeHandle(index) {
    const handle = el("button", { type: "button", class: "handle", "data-corner": index });
    handle.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? BIG_STEP : STEP;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      this.moveTo(index, this.corners[index][0] + move[0], this.corners[index][1] + move[1]);
    });
    handle.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      handle.focus();
      const drag = (move) => {
        const box = this.stage.getBoundingClientRect();
        this.moveTo(index, (move.clientX - box.left) / box.width, (move.clientY - box.top) / box.height);
      };
      const stop = () => {
        handle.removeEventListener("pointermove", drag);
        handle.removeEventListener("pointerup", stop);
        handle.removeEventListener("pointercancel", stop);
      };
      handle.addEventListener("pointermove", drag);
      handle.addEventListener("pointerup", stop);
      handle.addEventListener("pointercancel", stop);
    });
    return handle;
  }

  /** Show `previewUrl` (the cleaned photo) for a product on `surface`. */
  load(previewUrl, width, height, surface) {
    this.surface = surface === "wall" ? "wall" : "floor";
    this.image.src = previewUrl;
    this.image.width = width;
    this.image.height = height;
    this.stage.style.aspectRatio = `${width} / ${height}`;
    // A portrait photo must not push the buttons off a phone's screen.
    this.stage.style.width = `min(100%, calc(58vh * ${width / height}))`;
    this.instructions.textContent = this.surface === "wall"
      ? "Drag the four corners onto the wall area to cover (or select a corner and use the arrow keys)."
      : "Drag the four corners onto the floor area to cover (or select a corner and use the arrow keys).";
    this.depthLabel.textContent = this.surface === "wall" ? "Height (m)" : "Depth (m)";
    this.reset();
  }

  reset() {
    this.corners = DEFAULT_CORNERS[this.surface].map((c) => [...c]);
    const [width, depth] = DEFAULT_SIZE[this.surface];
    this.widthInput.value = String(width);
    this.depthInput.value = String(depth);
    this.draw();
  }

  moveTo(index, x, y) {
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));
    this.corners[index] = [clamp(x), clamp(y)];
    this.draw();
  }

  draw() {
    this.polygon.setAttribute("points", this.corners.map(([x, y]) => `${x * 1000},${y * 1000}`).join(" "));
    this.handles.forEach((handle, index) => {
      const [x, y] = this.corners[index];
      handle.style.left = `${x * 100}%`;
      handle.style.top = `${y * 100}%`;
      const name = NAMES[this.surface][index];
      handle.setAttribute("aria-label", `${name} corner, ${Math.round(x * 100)}% across, ${Math.round(y * 100)}% down`);
    });
  }

  /** The placement as the server's query wants it, or an error message for the shopper. */
  placement() {
    const width = Number(this.widthInput.value);
    const depth = Number(this.depthInput.value);
    const ok = (m) => Number.isFinite(m) && m >= 0.5 && m <= 50;
    if (!ok(width) || !ok(depth)) {
      return { error: "Please enter the area's size in metres, between 0.5 and 50." };
    }
    return { corners: this.corners.flat(), widthM: width, depthM: depth };
  }
}
