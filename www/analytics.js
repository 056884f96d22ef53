/*! Vitrine analytics client. Loaded by the loader on the first `Vitrine.track` call and by the
 * widget when it opens; one instance per page (an ES module is evaluated once).
 *
 * - Events are checked by the core in WASM (pkg/vitrine_analytics_bg.wasm: the event schema, the
 *   PII detector) and held in memory there; an event the core refuses is not sent, and the page's
 *   console says which field and why (never the value).
 * - They leave in beacons when the page is hidden (`visibilitychange`, `pagehide`) or a batch is
 *   full, with `navigator.sendBeacon`, falling back to `fetch(…, {keepalive: true})`.
 * - Identifiers only with consent: the page said `Vitrine.setConsent(true)` (its own consent
 *   banner), and Global Privacy Control is off. Without consent a beacon says `consent: 0` and
 *   carries no identifier at all. With it: an anonymous id (128 random bits, kept in
 *   localStorage under `vitrine.aid` while consent lasts, removed when it is withdrawn) and, if
 *   the page called `Vitrine.setUser`, that id hashed in WASM under this shop's salt. */

import { apiUrl as widgetApiUrl, randomId, requestJson } from "./widget/http.js";

const BATCH = 25;
const ANON_KEY = "vitrine.aid";

let started;
let config;
let wasm;
/** Events recorded before the WASM was ready, as JSON text. */
const early = [];
/** `session:name` pairs already seen, for the `first` flag the funnel counts. */
const seen = new Set();
/** Whether the queued events were recorded with consent (identifiers need it at both ends). */
let queuedWithConsent = null;
let userHash = null;
let hashedUser = null;

const gpc = () => navigator.globalPrivacyControl === true;
const consented = () => config.consent === true && !gpc();

function storage(action) {
  try {
    return action(window.localStorage);
  } catch {
    return null; // storage blocked: no anonymous id kept
  }
}

function anonymousId() {
  if (!consented()) {
    storage((s) => s.removeItem(ANON_KEY));
    return null;
  }
  let id = storage((s) => s.getItem(ANON_KEY));
  if (!/^[0-9a-f]{32}$/.test(id || "")) {
    id = randomId();
    storage((s) => s.setItem(ANON_KEY, id));
  }
  return id;
}

function apiUrl(path) {
  return widgetApiUrl(config, path).href;
}

/** The user id hashed under the shop's salt, fetched only once consent and a user id exist. */
function refreshUserHash() {
  const user = config.user;
  if (!consented() || !user || user === hashedUser) return;
  hashedUser = user;
  userHash = null;
  requestJson(apiUrl("analytics/salt"))
    .then(({ user_salt }) => {
      if (config.user === user) userHash = wasm.hash_user_id(user_salt, user);
    })
    .catch((error) => {
      hashedUser = null;
      console.warn("Vitrine: the user id could not be hashed, so it is not sent:", error.message);
    });
}

function send(body) {
  const url = apiUrl("events");
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
  } catch {
    // A browser that refuses the beacon outright: fall back to fetch.
  }
  fetch(url, {
    method: "POST",
    body,
    keepalive: true,
    credentials: "omit",
    headers: { "content-type": "text/plain" },
  }).catch(() => {});
}

/** Sends every checked event now. Events still waiting for the WASM cannot be checked, so
 * they are not sent. */
export function flush() {
  if (!wasm) return;
  const withIds = queuedWithConsent === true && consented();
  const anonymous = withIds ? anonymousId() : null;
  const user = withIds ? userHash : null;
  let body;
  while ((body = wasm.take_beacon(withIds, anonymous, user))) send(body);
  queuedWithConsent = null;
}

function record(json) {
  if (!wasm) {
    early.push(json);
    return;
  }
  // A change of consent closes the batch: events never travel under a consent they lacked.
  if (queuedWithConsent !== null && queuedWithConsent !== consented()) flush();
  queuedWithConsent = consented();
  if (queuedWithConsent) anonymousId(); // made (and kept) once there is something to count
  try {
    if (wasm.record(json) >= BATCH) flush();
  } catch (error) {
    console.warn(`Vitrine.track: ${error.message}`);
  }
}

/** A retailer event (`Vitrine.track(name, props)`); `at` is when the page made the call. */
export function track(name, props, at) {
  const fields = props && typeof props === "object" && !Array.isArray(props) ? props : {};
  record(JSON.stringify({ ...fields, name, at: at || Date.now() }));
}

/** A widget event, with its session id and whether it is the first of its name there. */
export function widgetEvent(name, session, props, at) {
  const key = `${session}:${name}`;
  const first = !seen.has(key);
  seen.add(key);
  record(JSON.stringify({ ...props, name, session, first, at: at || Date.now() }));
}

/** Starts the client once; `cfg` is the loader's live config (key, base, consent, user). */
export function start(cfg) {
  if (started) return started;
  config = cfg;
  addEventListener("visibilitychange", () => document.visibilityState === "hidden" && flush());
  addEventListener("pagehide", flush);
  started = import(new URL("pkg/vitrine_analytics.js", config.base).href)
    .then(async (module) => {
      await module.default({ module_or_path: new URL("pkg/vitrine_analytics_bg.wasm", config.base) });
      wasm = module;
      refreshUserHash();
      early.splice(0).forEach(record);
      return api;
    });
  return started;
}

const api = {
  track,
  widgetEvent,
  flush,
  /** The page's consent changed (or its user): drop what no longer holds. */
  update() {
    if (!config.user) {
      userHash = null;
      hashedUser = null;
    }
    if (!consented()) {
      storage((s) => s.removeItem(ANON_KEY));
      userHash = null;
      hashedUser = null;
    } else if (wasm) {
      refreshUserHash();
    }
  },
};
