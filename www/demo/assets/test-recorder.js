// Test pages only: the demo page loads this first when opened with `?test-hooks` (a retailer's
// page never has it). It keeps, where a WebDriver session can read them, what WebKit has no BiDi
// to report and Playwright's network events give the other tests:
// - window.__vitrineConsole: uncaught errors, unhandled rejections and console.error calls;
// - window.__vitrineRequests: every request the page hands to the network (fetch, XHR, beacon),
//   with the body exactly as given, so a test can read the bytes that went on the wire.
(() => {
  const errors = (window.__vitrineConsole = []);
  const requests = (window.__vitrineRequests = []);
  const text = (value) => String(value && (value.stack || value.message) || value).slice(0, 1000);
  addEventListener("error", (event) => {
    const target = event.target;
    const failedLoad = target && target !== window && (target.src || target.href);
    errors.push({ type: "error", text: failedLoad ? `failed to load ${failedLoad}` : text(event.error || event.message), url: event.filename || failedLoad || "" });
  }, true);
  addEventListener("unhandledrejection", (event) => errors.push({ type: "unhandledrejection", text: text(event.reason), url: "" }));
  const consoleError = console.error;
  console.error = function (...args) {
    errors.push({ type: "console", text: args.map(text).join(" "), url: "" });
    return consoleError.apply(this, args);
  };

  // Buffers are copied as they are handed over: the page may transfer or reuse them afterwards.
  const snapshot = (body) =>
    body instanceof ArrayBuffer ? body.slice(0)
      : ArrayBuffer.isView(body) ? new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
      : body ?? null;
  const record = (via, method, url, body) =>
    requests.push({ via, method: String(method || "GET").toUpperCase(), url: new URL(url, location.href).href, body: snapshot(body) });
  const pageFetch = window.fetch;
  window.fetch = function (input, init = {}) {
    const url = input instanceof Request ? input.url : input;
    record("fetch", init.method || (input instanceof Request ? input.method : "GET"), url, init.body);
    return pageFetch.apply(this, arguments);
  };
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__vitrineRequest = [method, url];
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function (body) {
    const [method, url] = this.__vitrineRequest || ["GET", ""];
    record("xhr", method, url, body);
    return send.apply(this, arguments);
  };
  if (navigator.sendBeacon) {
    const beacon = navigator.sendBeacon;
    navigator.sendBeacon = function (url, body) {
      record("beacon", "POST", url, body);
      return beacon.apply(this, arguments);
    };
  }
})();
