// Desktop benchmarks in the real window (run under Xvfb, after building the app):
//   xvfb-run node ui/e2e/bench.mjs [path/to/tessera-desktop]
// cold start to an interactive window, idle memory, and edit-to-frame latency (a storyboard layer
// moved at 1280×720). (The email's keystroke-to-preview case read a latency the UI no longer
// shows; an edit that changes the rendered email is still to be found for it.)
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.argv[2] ?? join(root, "target/debug/tessera-desktop");
const scratch = mkdtempSync(join(tmpdir(), "tessera-bench-"));
const base = "http://127.0.0.1:4444";
const env = { ...process.env, TESSERA_DATA_DIR: join(scratch, "tessera"), XDG_DATA_HOME: scratch, XDG_CONFIG_HOME: scratch };
const driver = spawn("tauri-driver", [], { stdio: "ignore", env });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ready() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/status`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error("tauri-driver did not start");
}

/** Resident memory (MiB) of the app and of WebKit's helper processes. */
function memory() {
  const rows = execFileSync("ps", ["-eo", "rss=,comm="], { encoding: "utf8" }).trim().split("\n");
  const sum = (test) => rows.map((r) => r.trim().split(/\s+/)).filter(([, c]) => test(c)).reduce((n, [kb]) => n + Number(kb), 0) / 1024;
  return { app: sum((c) => c.startsWith("tessera-desktop")), webkit: sum((c) => c.startsWith("WebKit") && !c.startsWith("WebKitWebDriver")) };
}

/**
 * Milliseconds from each of 25 edits (`edit`) to the preview `css` showing its result (`attribute`
 * changed), timed in the page: from the edit's input event to the new preview in the DOM.
 */
async function editLatencies(app, css, attribute, edit) {
  await app.execute(`
    window.__edits = [];
    const started = () => (window.__editAt = performance.now());
    document.addEventListener("keydown", started, true);
    document.addEventListener("input", () => window.__editAt ?? started(), true);
    new MutationObserver(() => {
      if (window.__editAt !== undefined) window.__edits.push(performance.now() - window.__editAt);
      window.__editAt = undefined;
    }).observe(document.querySelector(arguments[0]), { attributes: true, attributeFilter: [arguments[1]] });
  `, css, attribute);
  for (let i = 0; i < 25; i++) {
    await edit();
    await sleep(400);
  }
  const times = await app.execute("return window.__edits");
  const ms = times.map(Math.round);
  return { median: median(ms), max: Math.max(...ms), edits: ms.length, preview: css };
}

try {
  await ready();
  // The first start creates the demo workspace; the measured starts reopen it.
  let app = await Session.start(base, application);
  await app.waitFor("[data-testid=customer-count]", (t) => /\d/.test(t), 60000);
  await app.end();
  const starts = [];
  for (let i = 0; i < 3; i++) {
    await sleep(500);
    const t0 = performance.now();
    app = await Session.start(base, application);
    await app.waitFor("[data-testid=customer-count]", (t) => /\d/.test(t), 60000);
    starts.push(performance.now() - t0);
    if (i < 2) await app.end();
  }
  await sleep(5000);
  const idle = memory();
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=email-subject]", (t) => t.length > 0);
  // A storyboard edit: a layer's x moved in its properties, the 1280×720 frame drawn again.
  await app.click("[data-testid=template-select] option[value=picks-en]");
  await app.waitFor("[data-testid=storyboard-frame]");
  // 2 s in, where the text has faded in (at 0 s a moved text draws the same frame).
  await app.setValue("[data-testid=storyboard-time]", "2");
  await app.waitFor("[data-testid=storyboard-at]", (t) => t.startsWith("2.00"));
  await app.click("[data-testid=layer-hello]");
  let x = 640;
  const storyboard = await editLatencies(app, "[data-testid=storyboard-frame]", "src", async () => {
    x = x === 640 ? 641 : 640;
    await app.setValue("[data-testid=layer-x]", x);
  });
  await app.end();
  console.log(JSON.stringify({ cold_start_ms: starts.map(Math.round), cold_start_median_ms: Math.round(median(starts)), idle_memory_mib: idle, storyboard_edit_to_frame_ms: storyboard }));
} finally {
  driver.kill();
}
