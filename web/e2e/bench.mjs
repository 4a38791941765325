// The web page's size/speed targets (issue #5), measured in headless Chromium
// against the built page (web/dist) on a static host, as a user gets it.
// Run by scripts/web-bench.sh, which generates the traces and checks the
// wasm's gzipped size; this measures what only a browser can:
//
//   - a ~20 MB trace to the first summary (window.__schedstat.summaryAt -
//     loadStart, the file chosen right after the page loaded), against 3 s;
//     the median of --runs fresh pages (each a new browser context: nothing
//     cached). The first run goes on to the tables and the report, whose
//     times are printed for information.
//   - a ~200 MB trace still loads: it must reach `summary`, then `loaded`.
//     Where it stops instead, it says where and why (the page's error text,
//     a crashed tab, a timeout), with the renderer's memory at that point.
//
// One line per target on stdout: "web-bench: <what>: <value> (budget ...) ok|FAIL";
// progress on stderr. Exit 1 when a target is missed.
//
// Usage: node e2e/bench.mjs --trace20 FILE [--trace200 FILE] [--runs N]
//        [--summary-timeout S] [--load-timeout S] [--report-timeout S] [--report200]

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { launchChromium } from "./browser.mjs";
import { serveStatic } from "./static-server.mjs";

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "..", "dist");

const { values: opt } = parseArgs({
  options: {
    trace20: { type: "string" },
    trace200: { type: "string" },
    runs: { type: "string", default: "3" },
    "summary-budget": { type: "string", default: "3" },
    "summary-timeout": { type: "string", default: "300" },
    "load-timeout": { type: "string", default: "1800" },
    "report-timeout": { type: "string", default: "600" },
    // Also follow the 200 MB trace to the report (informational; slow).
    report200: { type: "boolean", default: false },
  },
});

const log = (...a) => console.error("web-bench:", ...a);
const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
const secs = (ms) => (ms === undefined || ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
let failed = false;
function result(what, value, budget, ok) {
  console.log(`web-bench: ${what}: ${value} (${budget}) ${ok ? "ok" : "FAIL"}`);
  if (!ok) failed = true;
}
const info = (what, value) => console.log(`web-bench: ${what}: ${value} (informational)`);

/** Pids of this process's descendants (Chromium's browser, renderers, ...), from /proc. */
function descendants(root) {
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const todo = [root];
  while (todo.length) for (const k of kids.get(todo.pop()) ?? []) out.push(k), todo.push(k);
  return out;
}

/** Resident memory of Chromium's renderer processes (the tab and its workers run there), bytes. */
function rendererRss() {
  let sum = 0;
  for (const pid of descendants(process.pid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

/**
 * Opens a fresh page, chooses `trace` right after the page loaded and follows
 * it until `until` (a state) is reached, the page fails, or `timeoutS` passes.
 * @returns {Promise<{ rssAt: Record<string, number>, reportError: string | null, reached: string, why: string | null, t: any, peakRss: number, heap: number | null, states: Record<string, number> }>}
 */
async function run(browser, url, trace, until, timeoutS) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  let crashed = false;
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console.error: ${m.text()}`));
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && errors.push(`worker console.error: ${m.text()}`)));
  page.on("crash", () => (crashed = true));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.state === "idle", null, { timeout: 60_000 });
    await page.setInputFiles("[data-testid=file-input]", trace);
    const order = ["loading", "summary", "loaded", "ready"];
    const states = {};
    /** The renderer's peak RSS when each state was reached. */
    const rssAt = {};
    const t0 = Date.now();
    let peakRss = 0;
    let heap = null;
    let reportError = null;
    let last = "";
    let lastLog = 0;
    for (;;) {
      peakRss = Math.max(peakRss, rendererRss());
      if (crashed) return { rssAt, reportError, reached: last, why: "the tab crashed (renderer process died; out of memory?)", t: null, peakRss, heap, states, errors };
      let s;
      try {
        s = await page.evaluate(() => ({
          state: document.body.dataset.state ?? "",
          progress: document.querySelector("[data-testid=progress] p")?.textContent ?? "",
          error: document.querySelector("[data-testid=error]")?.textContent ?? null,
          // The page reaches `ready` even when building the report failed: it says so here.
          reportError: document.querySelector("[data-testid=report-error]")?.textContent ?? null,
          heap: performance.memory ? performance.memory.usedJSHeapSize : null,
          t: window.__schedstat ? { ...window.__schedstat, loaded: undefined, timings: window.__schedstat.loaded?.timings, events: window.__schedstat.loaded?.events } : null,
        }));
      } catch (e) {
        if (crashed) continue;
        return { rssAt, reportError, reached: last, why: `the page stopped answering: ${e.message.split("\n")[0]}`, t: null, peakRss, heap, states, errors };
      }
      heap = s.heap ?? heap;
      reportError = s.reportError ?? reportError;
      if (s.state !== last) {
        states[s.state] = Date.now() - t0;
        rssAt[s.state] = peakRss;
        log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s: ${s.state}`);
        last = s.state;
      }
      if (s.state === "error") return { rssAt, reportError, reached: "error", why: `the page says: ${s.error}`, t: s.t, peakRss, heap, states, errors };
      if (s.state === "ready" && !s.reportError) {
        // body's state is set outside React: give the report (or its error) time to render.
        const shown = await page
          .waitForSelector("[data-testid=verdicts], [data-testid=report-error]", { timeout: 10_000 })
          .catch(() => null);
        if (shown && (await shown.getAttribute("data-testid")) === "report-error") reportError = await shown.textContent();
      }
      if (order.indexOf(s.state) >= order.indexOf(until)) return { rssAt, reportError, reached: s.state, why: null, t: s.t, peakRss, heap, states, errors };
      if (Date.now() - t0 > timeoutS * 1000) {
        return { rssAt, reportError, reached: s.state, why: `no '${until}' after ${timeoutS} s (last progress: ${s.progress || "none"})`, t: s.t, peakRss, heap, states, errors };
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${s.state} ${s.progress} (renderer RSS ${mb(peakRss)} peak)`);
      }
      await new Promise((r) => setTimeout(r, s.state === "loading" ? 50 : 500));
    }
  } finally {
    await ctx.close().catch(() => {});
  }
}

/** How the report went: its time, or why there is none. */
function reportLine(r) {
  if (r.reportError) return `FAILED after ${secs(since(r.t, "reportAt"))}: the page says: ${r.reportError}`;
  return r.t?.reportAt ? secs(since(r.t, "reportAt")) : `not reached: ${r.why}`;
}

const since = (t, k) => (t && t[k] !== undefined ? t[k] - t.loadStart : undefined);

const server = await serveStatic(DIST, "/bench/page/");
const browser = await launchChromium();
try {
  if (opt.trace20) {
    const size = statSync(opt.trace20).size;
    const runs = Math.max(1, Number(opt.runs));
    const budget = Number(opt["summary-budget"]);
    const summaries = [];
    for (let i = 0; i < runs; i++) {
      const full = i === 0;
      log(`${mb(size)} trace, run ${i + 1}/${runs}${full ? " (to the report)" : " (to the summary)"}`);
      const r = await run(browser, server.url, opt.trace20, full ? "ready" : "summary", full ? Number(opt["report-timeout"]) : Number(opt["summary-timeout"]));
      const s = since(r.t, "summaryAt");
      if (s !== undefined) summaries.push(s);
      if (r.errors.length) log(`  page errors: ${r.errors.slice(0, 5).join(" | ")}`);
      if (full) {
        info(`${mb(size)} trace to tables loaded`, r.t?.loadedAt ? secs(since(r.t, "loadedAt")) : `not reached: ${r.why}`);
        info(`${mb(size)} trace to the report`, reportLine(r));
        info(`${mb(size)} trace to the doctor's findings`, r.t?.findingsAt ? secs(since(r.t, "findingsAt")) : `not reached: ${r.why}`);
        if (r.t?.timings) info(`${mb(size)} trace in the worker`, `reading ${secs(r.t.timings.readMs)}, parsing + loading ${secs(r.t.timings.parseLoadMs)}`);
        info(`${mb(size)} trace memory`, `renderer RSS peak ${mb(r.peakRss)}, page JS heap ${r.heap === null ? "n/a" : mb(r.heap)}`);
      }
      if (s === undefined) {
        result(`${mb(size)} trace to first summary`, `not reached: ${r.why}`, `budget ${budget} s`, false);
        break;
      }
    }
    if (summaries.length === runs) {
      const sorted = [...summaries].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      result(
        `${mb(size)} trace to first summary`,
        `${secs(median)} median of ${runs} [${summaries.map((v) => (v / 1000).toFixed(2)).join(", ")}]`,
        `budget ${budget} s`,
        median <= budget * 1000,
      );
    }
  }

  if (opt.trace200) {
    const size = statSync(opt.trace200).size;
    log(`${mb(size)} trace (must reach summary, then loaded)`);
    const r = await run(browser, server.url, opt.trace200, opt.report200 ? "ready" : "loaded", Number(opt["load-timeout"]));
    if (r.errors.length) log(`  page errors: ${r.errors.slice(0, 5).join(" | ")}`);
    const ok = r.t?.loadedAt !== undefined;
    if (r.t?.events !== undefined) info(`${mb(size)} trace events loaded`, r.t.events.toLocaleString("en-US"));
    if (r.t?.timings) info(`${mb(size)} trace in the worker`, `reading ${secs(r.t.timings.readMs)}, parsing + loading ${secs(r.t.timings.parseLoadMs)}`);
    if (opt.report200) info(`${mb(size)} trace to the report`, reportLine(r));
    if (opt.report200) info(`${mb(size)} trace to the doctor's findings`, r.t?.findingsAt ? secs(since(r.t, "findingsAt")) : `not reached: ${r.why}`);
    const times = `summary ${secs(since(r.t, "summaryAt"))}, loaded ${secs(since(r.t, "loadedAt"))}`;
    const loadedRss = r.rssAt.loaded ?? r.rssAt.ready;
    const mem =
      `renderer RSS peak ${mb(loadedRss ?? r.peakRss)} to loaded` +
      (opt.report200 ? `, ${mb(r.peakRss)} with the report` : "") +
      `, page JS heap ${r.heap === null ? "n/a" : mb(r.heap)}`;
    result(
      `${mb(size)} trace loads`,
      ok ? `${times}; ${mem}` : `stopped at '${r.reached || "start"}': ${r.why}; ${times}; ${mem}`,
      "budget: reaches summary, then loaded",
      ok,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
