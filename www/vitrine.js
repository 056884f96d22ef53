/*! Vitrine loader: one button in a shadow root; no request, cookie or storage until a click
 * (then widget/main.js) or Vitrine.track (then analytics.js). See the README, "Embedding". */
(() => {
  const script = document.currentScript;
  if (!script || window.Vitrine) return;
  const data = script.dataset;
  const config = {
    key: data.key || "",
    product: data.product || "",
    productName: data.productName || "",
    base: new URL(".", script.src).href,
    // Tests only: open shadow root, window.__vitrineTest.
    testHooks: script.hasAttribute("data-test-hooks"),
  };
  const listeners = {};
  const emit = (name, detail) => (listeners[name] || []).forEach((fn) => fn(detail));

  const host = document.createElement("div");
  // Hidden from session-replay tools (Clarity, Hotjar, FullStory, LogRocket, rrweb).
  host.setAttribute("data-vitrine", "");
  host.setAttribute("data-clarity-mask", "true");
  host.setAttribute("data-hj-suppress", "");
  host.setAttribute("data-private", "");
  host.className = "fs-exclude rr-block ph-no-capture sentry-block";
  // Closed: page scripts cannot reach the raw photo's file input.
  const root = host.attachShadow({ mode: config.testHooks ? "open" : "closed" });
  const css = ":host{all:initial;display:inline-block}button{font:600 15px/1.2 system-ui,sans-serif;" +
    "color:#fff;background:#1f2937;border:0;border-radius:999px;padding:12px 20px;cursor:pointer;" +
    "display:inline-flex;gap:8px;align-items:center}button:hover{background:#374151}" +
    "button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}";
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(Object.assign(document.createElement("style"), { textContent: css }));
  }
  const button = document.createElement("button");
  button.type = "button";
  button.innerHTML = '<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
    'stroke-width="2" aria-hidden="true"><path d="M3 10l9-7 9 7v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z"/>' +
    '<path d="M9 21v-7h6v7"/></svg>';
  button.append("See it in your room");
  root.append(button);

  let analytics;
  const use = (fn) => (analytics = analytics || import(config.base + "analytics.js").then((m) => m.start(config))).then(fn);
  const changed = () => analytics && use((a) => a.update());

  let widget;
  const open = () => {
    widget = widget || import(config.base + "widget/main.js").then((m) => m.mount(root, config, emit));
    return widget.then((w) => (w.open(), w), (error) => {
      widget = undefined;
      button.lastChild.textContent = "Could not load, try again";
      throw error;
    });
  };
  button.addEventListener("click", () => open().catch(() => {}));

  const off = (name, fn) => (listeners[name] = (listeners[name] || []).filter((f) => f !== fn));
  window.Vitrine = Object.freeze({
    open,
    close: () => widget && widget.then((w) => w.close()),
    setProduct: (sku, name) => {
      config.product = String(sku);
      config.productName = name ? String(name) : "";
      if (widget) widget.then((w) => w.setProduct(config.product, config.productName));
    },
    setUser: (id) => ((config.user = id == null ? null : String(id)), changed()),
    setConsent: (given) => {
      config.consent = given === true;
      if (!config.consent) try { localStorage.removeItem("vitrine.aid"); } catch {}
      changed();
    },
    track: (name, props) => {
      const at = Date.now();
      use((a) => a.track(String(name), props, at)).catch(() => {});
    },
    on: (name, fn) => ((listeners[name] = listeners[name] || []).push(fn), () => off(name, fn)),
    off,
  });
  // Where the button goes: data-target="#selector", else right after this script tag.
  const place = () => {
    const target = data.target && document.querySelector(data.target);
    if (target) target.append(host);
    else if (document.body && document.body.contains(script)) script.after(host);
    else if (document.body) document.body.append(host);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", place);
  else place();
})();
