// The real `vitrine-server demo` (VITRINE_SERVER_BIN) over the repository (VITRINE_ROOT): the
// retailer page on one loopback origin, the widget and its API on another, a fresh SQLite
// database per run — what the Playwright config starts, on ports of its own.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = process.env.VITRINE_ROOT ?? path.resolve(import.meta.dirname, "../..");
const SERVER = process.env.VITRINE_SERVER_BIN ?? path.join(ROOT, "target/debug/vitrine-server");
const WIDGET_PORT = Number(process.env.VITRINE_ENGINES_WIDGET_PORT ?? 19787);
const SHOP_PORT = Number(process.env.VITRINE_ENGINES_SHOP_PORT ?? 19788);

export const WIDGET_ORIGIN = `http://127.0.0.1:${WIDGET_PORT}`;
export const SHOP_ORIGIN = `http://127.0.0.1:${SHOP_PORT}`;

/** Starts the demo; resolves once its health check answers. `await stop()` ends it and its data. */
export async function startDemo({ rendersPerHour = 100, rendersPerDay = 200 } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "vitrine-engines-"));
  const child = spawn(SERVER, [
    "demo", "--listen", `127.0.0.1:${WIDGET_PORT}`, "--shop-listen", `127.0.0.1:${SHOP_PORT}`,
    "--assets-dir", ROOT, "--data-dir", dataDir,
    "--renders-per-hour", String(rendersPerHour), "--renders-per-day", String(rendersPerDay),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => (log = (log + chunk).slice(-8000)));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  /** Ends the server (SIGTERM: it finishes what is in flight) and resolves once it has gone. */
  const stop = async () => {
    if (child.exitCode == null && child.signalCode == null) {
      child.kill("SIGTERM");
      const late = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on("exit", () => {
    if (child.exitCode == null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode != null) {
      await stop();
      throw new Error(`${SERVER} demo exited with ${child.exitCode}:\n${log}`);
    }
    try {
      if ((await fetch(`${WIDGET_ORIGIN}/healthz`)).ok) return { stop, log: () => log };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`the demo did not answer within 30 s:\n${log}`);
}
