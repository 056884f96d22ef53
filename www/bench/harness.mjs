// What the in-browser benchmarks share: the repository's paths, a `vitrine-server demo` on its
// own ports, and a headless Chromium page on it that reports its errors. `withBenchPage(ports,
// run)` starts both, runs `run(page, origin)` and stops both.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = process.env.VITRINE_ROOT ?? path.resolve(here, "../..");
export const fixtures = process.env.VITRINE_FIXTURES ?? path.resolve(root, "../shared/fixtures/photos");
const serverBin = process.env.VITRINE_SERVER_BIN ?? path.join(root, "target/debug/vitrine-server");
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function waitForServer(origin) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("vitrine-server did not start");
}

export async function withBenchPage({ widgetPort, shopPort }, run) {
  const origin = `http://127.0.0.1:${widgetPort}`;
  const server = spawn(serverBin, ["demo", "--listen", `127.0.0.1:${widgetPort}`, "--shop-listen",
    `127.0.0.1:${shopPort}`, "--assets-dir", root], { stdio: ["ignore", "ignore", "inherit"] });
  const stop = () => server.kill("SIGTERM");
  process.on("exit", stop);
  await waitForServer(origin);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", String(e)));
    page.on("console", (m) => m.type() === "error" && console.error("console:", m.text()));
    await run(page, origin);
  } finally {
    await browser.close();
    stop();
  }
}
