// What storage a cross-site frame gets in each engine (issue 16: the widget's sensitive steps move
// into a frame of our origin, so where the consent flag and the saved renders can live must be
// measured, not assumed).
//
//   node engines/storage-matrix.mjs [chromium firefox webkit]
//
// One loopback server plays two sites: the host page at http://127.0.0.1:PORT (the retailer) and
// the frame at http://localhost:PORT (us) — different hosts are different sites, ports aside.
// For each engine, in a fresh profile:
//   1. the frame's origin is visited top-level and writes a marker to localStorage and IndexedDB
//      (what "first-party storage" holds; the widget uses no cookies);
//   2. the host page embeds the frame, which reports whether each store works at all and whether
//      it sees the first-party marker (unpartitioned) or not (partitioned), then writes its own;
//   3. the host page is reloaded: does the frame's own write survive (partitioned but kept, or
//      ephemeral)?
//   4. a click in the frame calls `document.requestStorageAccess()` (the Storage Access API): is it
//      there, is it granted without a prompt, and what does the frame see then?
// Prints one JSON line per engine and a Markdown table (for the README's storage matrix).
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { By } from "selenium-webdriver";
import { ENGINES, launch } from "./browsers.mjs";

/** Runs in the frame: what each store does here, reported to the parent (and kept on window). */
const PROBE = `
async function idb(write) {
  return new Promise((resolve) => {
    let open;
    try { open = indexedDB.open("matrix", 1); } catch (e) { return resolve({ ok: false, error: String(e.name || e) }); }
    open.onupgradeneeded = () => open.result.createObjectStore("kv");
    open.onerror = () => resolve({ ok: false, error: String(open.error && open.error.name) });
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("kv", "readwrite");
      const store = tx.objectStore("kv");
      const read = store.get("marker");
      read.onsuccess = () => {
        const seen = read.result ?? null;
        if (write) store.put(write, "marker");
        tx.oncomplete = () => { db.close(); resolve({ ok: true, seen }); };
        tx.onerror = () => resolve({ ok: false, seen, error: String(tx.error && tx.error.name) });
      };
    };
  });
}
function local(write) {
  try {
    const seen = localStorage.getItem("marker");
    if (write) localStorage.setItem("marker", write);
    return { ok: true, seen };
  } catch (e) { return { ok: false, error: String(e.name || e) }; }
}
async function probe(write) {
  let access = null;
  if (document.hasStorageAccess) { try { access = await document.hasStorageAccess(); } catch (e) { access = String(e.name || e); } }
  return { local: local(write), idb: await idb(write), hasStorageAccess: access,
           storageAccessApi: typeof document.requestStorageAccess === "function" };
}
`;

const page = (body) =>
  `<!doctype html><meta charset=utf-8><body>${body}</body>`;

function serve() {
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://x");
    const write = url.searchParams.get("write") ?? "";
    let html;
    switch (url.pathname) {
      case "/top": // the frame's origin, visited top-level
        html = page(`<script>${PROBE}
          probe(${JSON.stringify(write)}).then((r) => { window.__result = r; });</script>`);
        break;
      case "/frame": // the frame, embedded by the host page
        html = page(`<button id=ask>Allow</button><script>${PROBE}
          probe(${JSON.stringify(write)}).then((r) => { window.__result = r; parent.postMessage(r, "*"); });
          document.getElementById("ask").onclick = async () => {
            let granted;
            try { await document.requestStorageAccess(); granted = true; } catch (e) { granted = String(e.name || e); }
            const after = await probe("");
            window.__access = { granted, after };
            parent.postMessage({ access: window.__access }, "*");
          };</script>`);
        break;
      case "/host": {
        const frame = `http://localhost:${server.address().port}/frame?write=${encodeURIComponent(write)}`;
        html = page(`<script>window.__frame = null; window.__access = null;
          addEventListener("message", (e) => { if (e.data && e.data.access) window.__access = e.data.access; else window.__frame = e.data; });
          </script><iframe id=f src="${frame}" width=300 height=100></iframe>`);
        break;
      }
      default:
        response.writeHead(404).end();
        return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    response.end(html);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function waitFor(driver, expression, what) {
  for (let i = 0; i < 100; i++) {
    const value = await driver.executeScript(`return ${expression}`).catch(() => null);
    if (value != null) return value;
    await sleep(100);
  }
  throw new Error(`no ${what} within 10 s`);
}

async function measure(engine, port) {
  const browser = await launch(engine);
  const { driver } = browser;
  try {
    const result = { engine, version: browser.version };
    await driver.get(`http://localhost:${port}/top?write=first-party`);
    result.topLevel = await waitFor(driver, "window.__result", "top-level probe");
    await driver.get(`http://127.0.0.1:${port}/host?write=embedded`);
    result.embedded = await waitFor(driver, "window.__frame", "embedded probe");
    await driver.navigate().refresh();
    result.embeddedAfterReload = await waitFor(driver, "window.__frame", "embedded probe after reload");
    // A real click inside the frame: the Storage Access API wants a user gesture.
    await driver.switchTo().frame(await driver.findElement(By.id("f")));
    await driver.findElement(By.id("ask")).click();
    await driver.switchTo().defaultContent();
    result.storageAccess = await waitFor(driver, "window.__access", "storage access answer").catch((e) => ({
      granted: `no answer (${e.message})`,
    }));
    return result;
  } finally {
    await browser.close();
  }
}

/** `works, sees first-party` → a word for the table. */
function verdict(store, reloaded) {
  if (!store.ok) return `refused (${store.error})`;
  if (store.seen === "first-party") return "unpartitioned (shares first-party)";
  const kept = reloaded?.ok && reloaded.seen === "embedded";
  return `partitioned, ${kept ? "kept across reload" : "not kept across reload"}`;
}

const engines = process.argv.slice(2).length ? process.argv.slice(2) : ENGINES;
const server = await serve();
const port = server.address().port;
const rows = [];
try {
  for (const engine of engines) {
    const result = await measure(engine, port).catch((error) => ({ engine, error: String(error.message ?? error) }));
    console.log(JSON.stringify(result));
    rows.push(result);
  }
} finally {
  server.close();
}
console.log("\n| engine | localStorage in the frame | IndexedDB in the frame | Storage Access API (click in the frame) |");
console.log("|---|---|---|---|");
for (const r of rows) {
  if (r.error) {
    console.log(`| ${r.engine} | error: ${r.error} | | |`);
    continue;
  }
  const e = r.embedded;
  const again = r.embeddedAfterReload;
  const access = r.storageAccess.granted === true
    ? `granted; then localStorage ${r.storageAccess.after.local.seen === "first-party" ? "unpartitioned" : "still partitioned"}`
    : `${e.storageAccessApi ? "present" : "absent"}; ${r.storageAccess.granted}`;
  console.log(`| ${r.version} | ${verdict(e.local, again.local)} | ${verdict(e.idb, again.idb)} | ${access} |`);
}
