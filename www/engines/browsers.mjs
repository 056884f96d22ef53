// The three engines a shopper uses, driven over W3C WebDriver (selenium-webdriver): Chromium
// (chromedriver), Firefox ESR (geckodriver) and WebKitGTK (WebKitWebDriver driving MiniBrowser
// under Xvfb — Safari's engine family). Playwright cannot drive the last two here: its own browser
// builds cannot be downloaded, and its BiDi channel fails against Firefox ESR.
//
// Each engine reports what went wrong on the page: Chromium and Firefox through WebDriver BiDi's
// log events (workers included), WebKit, which has no BiDi, through the collector the demo page
// loads when opened with `?test-hooks` (www/demo/assets/console-collector.js), read from every
// engine.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Builder } from "selenium-webdriver";
import getLogInspector from "selenium-webdriver/bidi/logInspector.js";

export const ENGINES = ["chromium", "firefox", "webkit"];

const GECKODRIVER = process.env.GECKODRIVER ?? `${process.env.HOME}/.cargo/bin/geckodriver`;
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver";
const CHROMEDRIVER = process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver";
const WINDOW = { width: 1280, height: 900 };

/** The same flags the Playwright config and webdriver.json give Chromium on this machine. */
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage", `--window-size=${WINDOW.width},${WINDOW.height}`,
];

/** Prefs that keep Firefox from calling home during a test (telemetry, updates, studies). */
const FIREFOX_PREFS = {
  "app.update.disabledForTesting": true,
  "browser.shell.checkDefaultBrowser": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.normandy.enabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
};

/** A free loopback port for a driver. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function capabilitiesFor(engine) {
  switch (engine) {
    case "chromium":
      return {
        browserName: "chrome",
        "goog:chromeOptions": { binary: "/usr/bin/chromium", args: CHROMIUM_ARGS },
        webSocketUrl: true,
      };
    case "firefox":
      return {
        browserName: "firefox",
        "moz:firefoxOptions": {
          binary: "/usr/bin/firefox-esr",
          args: ["-headless", `-width=${WINDOW.width}`, `-height=${WINDOW.height}`],
          prefs: FIREFOX_PREFS,
        },
        webSocketUrl: true,
      };
    case "webkit":
      // MiniBrowser has no headless switch in WebKitGTK 2.50: it draws into the Xvfb display the
      // driver was started under.
      return {
        browserName: "MiniBrowser",
        "webkitgtk:browserOptions": {
          binary: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
          args: ["--automation"],
        },
      };
    default:
      throw new Error(`unknown engine ${engine}: one of ${ENGINES.join(", ")}`);
  }
}

/** Driver process groups still running: ended if this process exits or is stopped first. */
const running = new Set();
process.on("exit", () => running.forEach(stopGroup));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    running.forEach(stopGroup);
    process.exit(130);
  });
}

/** Start the engine's WebDriver server on a free loopback port; resolves once it answers. */
async function startDriver(engine) {
  const port = await freePort();
  const [command, args] = {
    chromium: [CHROMEDRIVER, [`--port=${port}`, "--allowed-ips=127.0.0.1"]],
    firefox: [GECKODRIVER, ["--host", "127.0.0.1", "--port", String(port)]],
    webkit: ["xvfb-run", ["-a", "-s", `-screen 0 ${WINDOW.width}x${WINDOW.height}x24`, WEBKIT_DRIVER, `--port=${port}`]],
  }[engine];
  // Its own process group, so that xvfb-run's Xvfb and the browsers go with it.
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let log = "";
  child.stderr.on("data", (chunk) => (log = (log + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode != null) throw new Error(`${command} exited with ${child.exitCode}: ${log}`);
    try {
      const status = await fetch(`${url}/status`);
      if (status.ok) return { url, stop: () => stopGroup(child), log: () => log };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  stopGroup(child);
  throw new Error(`${command} did not answer on ${url} within 10 s: ${log}`);
}

function stopGroup(child) {
  if (child.exitCode != null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/**
 * A browser of `engine` with a fresh profile, and what its pages reported.
 *
 * `errors()` lists the error-level console entries and uncaught exceptions seen so far (BiDi in
 * Chromium and Firefox; the page's own collector, which `collect()` reads, everywhere).
 */
export async function launch(engine) {
  const driver = await startDriver(engine);
  let session;
  try {
    session = await new Builder().usingServer(driver.url).withCapabilities(capabilitiesFor(engine)).build();
  } catch (error) {
    driver.stop();
    throw new Error(`no ${engine} session: ${error.message}\n${driver.log()}`);
  }
  const reported = [];
  if (engine !== "webkit") {
    const inspector = await getLogInspector(session);
    await inspector.onLog((entry) => {
      if (entry.level !== "error") return;
      const frames = entry.stackTrace?.callFrames ?? [];
      reported.push({ via: "bidi", type: entry.type, text: entry.text, url: frames[0]?.url ?? "" });
    });
  }
  await session.manage().window().setRect({ x: 0, y: 0, ...WINDOW }).catch(() => {});
  const capabilities = await session.getCapabilities();
  return {
    engine,
    driver: session,
    version: `${capabilities.get("browserName")} ${capabilities.get("browserVersion")}`,
    /** Reads the page's collector (call before leaving a page) into the report. */
    async collect() {
      const seen = await session.executeScript("return (window.__vitrineConsole || []).splice(0)").catch(() => []);
      for (const entry of seen) reported.push({ via: "page", ...entry });
    },
    errors: () => reported.slice(),
    async close() {
      try {
        await session.quit();
      } finally {
        driver.stop();
      }
    },
  };
}
