// Small DOM helpers shared by the widget's modules.

/** Build an element: `el("p", { class: "x" }, "text", child)`. Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

/** Add a stylesheet to a shadow root (constructable sheets, or a <style> where unsupported). */
export function applyStyles(root, css) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    root.append(el("style", {}, css));
  }
}
