// The page as a user gets it from a static host: web/dist served from a
// sub-path (http://127.0.0.1:PORT/some/dir/) by a plain static server, in
// headless Chromium. For generated traces of three Go versions, given by the
// file picker or by a real drop, every number the page shows is checked
// against the CLI run on the same file (`schedstat --json`, `--sql`), every
// view is opened, checked for real content and screenshotted into
// web/e2e/artifacts/, and the messages for a non-trace and a cut trace are
// the CLI's. Any uncaught error or console.error on the page fails the test.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// @ts-ignore: plain ESM helpers shared with the bench (no type declarations)
import { launchChromium } from "./browser.mjs";
// @ts-ignore
import { serveStatic } from "./static-server.mjs";
import {
  ARTIFACTS,
  DIST,
  PAGE_FLAGS,
  canvasInk,
  chooseFile,
  cliError,
  cliJson,
  cliSql,
  column,
  dropFile,
  firstCells,
  cliDoctor,
  fixture,
  openPage,
  pageLatency,
  reportShown,
  waitState,
  type Opened,
} from "./helpers";

const LATENCY_KEYS = ["count", "min_ns", "avg_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns"] as const;

/** The CLI's `.latency`, as plain numbers. */
function latencyOf(report: any): Record<string, number> {
  return Object.fromEntries(LATENCY_KEYS.map((k) => [k, Number(report.latency[k])]));
}

/** The CLI's "12.3ms" for a window start, as the page's tables write it. */
const ms = (v: number) => `${v.toFixed(1)}ms`;

let browser: Browser;
let server: { url: string; outside: string[]; missing: string[]; close: () => Promise<void> };
let tmp: string;

beforeAll(async () => {
  server = await serveStatic(DIST, "/some/dir/");
  browser = await launchChromium();
  tmp = mkdtempSync(join(tmpdir(), "schedstat-e2e-"));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The traces a user drops, and how each one reaches the page. */
const TRACES: { name: string; via: "input" | "drop" }[] = [
  { name: "go1.27/storm", via: "input" },
  { name: "go1.25/mutex", via: "drop" },
  { name: "go1.22/storm", via: "input" },
];

/** Fails on any page error recorded so far. */
function noErrors(o: Opened) {
  expect(o.errors, "errors on the page").toEqual([]);
}

async function shot(page: Page, trace: string, tab: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${trace.replace("/", "-")}-${tab}.png`), fullPage: true });
}

async function openTab(page: Page, tab: string) {
  await page.click(`[data-testid=tab-${tab}]`);
  await page.waitForSelector(`[data-testid=view-${tab}]`, { timeout: 30_000 });
}

async function rows(page: Page, table: string): Promise<number> {
  return page.locator(`[data-testid=${table}] tbody tr`).count();
}

for (const { name, via } of TRACES) {
  describe(`${name} (${via === "drop" ? "dropped" : "chosen"}, static host)`, () => {
    const file = fixture(name);
    let o: Opened;
    let plain: any;
    let full: any;

    beforeAll(async () => {
      plain = cliJson(file);
      full = cliJson(file, PAGE_FLAGS);
      o = await openPage(browser, server.url);
    });
    afterAll(async () => {
      await o?.page.context().close();
    });

    it("shows the summary with the CLI's percentiles, then the report", async () => {
      const { page } = o;
      expect(await page.evaluate(() => document.body.dataset.state)).toBe("idle");
      if (via === "drop") await dropFile(page, file);
      else await chooseFile(page, file);
      // The quick summary comes first, while the tables load.
      await waitState(page, ["summary", "loaded", "ready"]);
      await page.waitForSelector("[data-testid=summary]");
      expect(await pageLatency(page)).toEqual(latencyOf(plain));
      expect(Number(await page.locator("[data-testid=events]").getAttribute("data-value"))).toBe(plain.events);
      await waitState(page, ["ready"]);
      expect(await reportShown(page), "the report's error").toBeNull();
      expect(await pageLatency(page)).toEqual(latencyOf(plain));
      const t = await page.evaluate(
        () => (window as unknown as { __schedstat?: Record<string, number | undefined> }).__schedstat,
      );
      expect(t?.loadStart).toBeTypeOf("number");
      expect(t!.summaryAt!).toBeGreaterThanOrEqual(t!.loadStart!);
      expect(t!.loadedAt!).toBeGreaterThanOrEqual(t!.summaryAt!);
      expect(t!.reportAt!).toBeGreaterThanOrEqual(t!.loadedAt!);
      await expect.poll(() => page.locator("[data-testid=summary] h2").textContent()).toContain(basename(file));
      noErrors(o);
    });

    it("shows the report the CLI prints with the same flags", async () => {
      const { page } = o;
      const verdicts = await page.locator("[data-testid=verdicts] li").allTextContents();
      expect(verdicts[0]).toContain(`${full.latency_spikes_total} latency spike(s)`);
      expect(verdicts[0]).toContain(`${full.runnable_spikes_total} runnable spike(s)`);
      if (full.top_waiters?.length) expect(verdicts.join("\n")).toContain(`G${full.top_waiters[0].g} (${full.top_waiters[0].label}) waited longest`);

      await openTab(page, "spikes");
      expect(await rows(page, "latency-spikes")).toBe(full.latency_spikes.length);
      expect(await rows(page, "runnable-spikes")).toBe(full.runnable_spikes.length);
      expect(await column(page, "latency-spikes", 1)).toEqual(full.latency_spikes.map((s: any) => ms(s.start_ms)));
      expect(await column(page, "runnable-spikes", 2)).toEqual(full.runnable_spikes.map((s: any) => s.peak.toLocaleString("en-US")));

      await openTab(page, "waiters");
      expect(await firstCells(page, "top-waiters")).toEqual(full.top_waiters.map((w: any) => `G${w.g}`));
      expect(await rows(page, "by-creator")).toBe(full.by_creator.length);
      // Every creator group under a label of its own, the CLI's.
      expect(await firstCells(page, "by-creator")).toEqual(full.by_creator.map((c: any) => c.label));
      expect(new Set(full.by_creator.map((c: any) => c.label)).size).toBe(full.by_creator.length);

      await openTab(page, "worst");
      expect(await firstCells(page, "worst-delays")).toEqual(full.worst.map((d: any) => `G${d.g}`));
      expect(await page.locator("[data-testid=why] > li").count()).toBe(full.why.length);
      const verdictTexts = await page.locator("[data-testid=verdict]").allTextContents();
      expect(verdictTexts.length).toBe(full.why.length);
      full.why.forEach((y: any, i: number) => {
        const want = y.verdict === "held" ? `P${y.holder.p} was held by G${y.holder.g} (${y.holder.label})` : y.verdict === "saturated" ? "run queue saturated" : "no single cause";
        expect(verdictTexts[i]).toContain(want);
      });

      await openTab(page, "bursts");
      expect(await rows(page, "bursts")).toBe(full.bursts.length);
      expect(await column(page, "bursts", 0)).toEqual(full.bursts.map((b: any) => ms(b.start_ms)));
      expect(await rows(page, "launchers")).toBe(full.launchers.length);

      await openTab(page, "gc");
      expect(await column(page, "gc-ranges", 0)).toEqual(full.gc.ranges.map((r: any) => r.name));
      expect(await column(page, "gc-ranges", 1)).toEqual(full.gc.ranges.map((r: any) => r.count.toLocaleString("en-US")));
      expect(await column(page, "stw-pauses", 0)).toEqual(full.gc.stw_pauses.map((s: any) => s.reason));
      noErrors(o);
    });

    it("shows real content in every view (screenshots in web/e2e/artifacts)", async () => {
      const { page } = o;
      await shot(page, name, "summary");

      await openTab(page, "spikes");
      expect(await page.locator("[data-testid=view-spikes] h3").count()).toBeGreaterThanOrEqual(2);
      await shot(page, name, "spikes");

      await openTab(page, "waiters");
      expect(await page.locator("[data-testid=waiter-row]").count()).toBeGreaterThan(0);
      await shot(page, name, "waiters");

      await openTab(page, "worst");
      expect(await page.locator("[data-testid=delay-row]").count()).toBeGreaterThan(0);
      expect(await page.locator("[data-testid=verdict]").count()).toBeGreaterThan(0);
      await shot(page, name, "worst");

      await openTab(page, "bursts");
      expect(await page.locator("[data-testid=burst-row]").count()).toBeGreaterThan(0);
      await shot(page, name, "bursts");

      await openTab(page, "timeline");
      await page.waitForSelector("[data-testid=timeline][data-state=ready]", { timeout: 60_000 });
      await page.waitForSelector("[data-testid=runnable][data-state=ready]", { timeout: 60_000 });
      expect(Number(await page.locator("[data-testid=timeline]").getAttribute("data-lanes"))).toBeGreaterThan(0);
      // Drawn, not blank: lanes in several colours over a good part of the canvas.
      await expect.poll(async () => (await canvasInk(page, "canvas[data-testid=timeline-canvas]")).ink, { timeout: 10_000 }).toBeGreaterThan(0.02);
      expect((await canvasInk(page, "canvas[data-testid=timeline-canvas]")).colours).toBeGreaterThan(4);
      await expect.poll(async () => (await canvasInk(page, "[data-testid=runnable-chart]")).ink, { timeout: 10_000 }).toBeGreaterThan(0.005);
      // The whole trace is shown at first.
      const lo = Number(await page.locator("[data-testid=timeline-range]").getAttribute("data-lo-ns"));
      const hi = Number(await page.locator("[data-testid=timeline-range]").getAttribute("data-hi-ns"));
      expect(hi).toBeGreaterThan(lo);
      await shot(page, name, "timeline");

      await openTab(page, "flame");
      await page.waitForSelector("[data-testid=flame-graph][data-state=ready]", { timeout: 60_000 });
      expect(await page.locator("[data-testid=flame-graph] .flame-node").count()).toBeGreaterThan(1);
      // The scheduling-delay flame graph adds up every runnable → running wait.
      const total = Number(await page.locator("[data-testid=flame-graph]").getAttribute("data-total-ns"));
      expect(Math.abs(total - plain.latency.avg_ns * plain.latency.count)).toBeLessThan(plain.latency.count);
      await shot(page, name, "flame");

      await openTab(page, "gc");
      expect(await page.locator("[data-testid=gc-ranges] tbody tr").count()).toBeGreaterThan(0);
      await shot(page, name, "gc");

      await openTab(page, "sql");
      expect(await page.locator("textarea[data-testid=sql-input]").inputValue()).not.toBe("");
      await page.click("[data-testid=sql-run]");
      await page.waitForSelector("table[data-testid=sql-result] tbody tr", { timeout: 60_000 });
      await shot(page, name, "sql");
      noErrors(o);
    });

    it("sorts a table when a header is clicked", async () => {
      const { page } = o;
      await openTab(page, "worst");
      const ids = (await firstCells(page, "worst-delays")).map((s) => Number(s.slice(1)));
      expect(ids.length).toBeGreaterThan(1);
      await page.click("[data-testid=worst-delays] [data-testid=sort-g]");
      const desc = (await firstCells(page, "worst-delays")).map((s) => Number(s.slice(1)));
      expect(desc).toEqual([...ids].sort((a, b) => b - a));
      await page.click("[data-testid=worst-delays] [data-testid=sort-g]");
      const asc = (await firstCells(page, "worst-delays")).map((s) => Number(s.slice(1)));
      expect(asc).toEqual([...ids].sort((a, b) => a - b));

      await openTab(page, "waiters");
      await page.click("[data-testid=top-waiters] [data-testid=sort-n]");
      const n = (await column(page, "top-waiters", 3)).map((s) => Number(s.replace(/,/g, "")));
      expect(n).toEqual([...full.top_waiters.map((w: any) => w.schedulings)].sort((a, b) => b - a));
      noErrors(o);
    });

    it("shows the CLI's findings above the tabs; a click zooms the timeline to the finding's range", async () => {
      const { page } = o;
      const d = cliDoctor(file);
      await page.waitForSelector("[data-testid=findings]", { timeout: 60_000 });
      const ids = await page.locator("[data-testid=findings] li.finding").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
      expect(ids).toEqual(d.findings.map((f: { id: string }) => `finding-${f.id}`));
      const panel = (await page.locator("[data-testid=findings]").boundingBox())!;
      const tabs = (await page.locator("nav.tabs").boundingBox())!;
      expect(panel.y).toBeLessThan(tabs.y);
      const f = d.findings.find((x: { ranges: unknown[] }) => x.ranges.length > 0);
      expect(f, `${name}: a finding with a time range`).toBeDefined();
      await page.click(`[data-testid=finding-open-${f.id}]`);
      await page.waitForSelector("[data-testid=view-timeline]");
      expect(await page.locator("[data-testid=tab-timeline]").getAttribute("aria-selected")).toBe("true");
      const [first, last] = await page.evaluate(() => [
        Number(window.__schedstat!.loaded!.firstTimeNs),
        Number(window.__schedstat!.loaded!.lastTimeNs),
      ]);
      const range = page.locator("[data-testid=timeline-range]");
      expect(Number(await range.getAttribute("data-lo-ns"))).toBe(Math.max(first, Math.min(f.ranges[0].start_ns, last - 1)));
      expect(Number(await range.getAttribute("data-hi-ns"))).toBe(Math.min(last, Math.max(f.ranges[0].end_ns, first + 1)));
      await page.waitForSelector("[data-testid=timeline][data-state=ready]", { timeout: 60_000 });
      await shot(page, name, "finding-zoom");
      noErrors(o);
    });

    it("zooms the timeline to a spike's window when the spike is clicked", async () => {
      const { page } = o;
      await openTab(page, "spikes");
      if (full.latency_spikes.length === 0) {
        expect(await page.locator("[data-testid=latency-spikes]").textContent()).toBe("No latency spikes.");
        return;
      }
      const spike = full.latency_spikes[0];
      await page.locator("[data-testid=latency-spikes] [data-testid=spike-row]").first().click();
      await page.waitForSelector("[data-testid=view-timeline]");
      expect(await page.locator("[data-testid=tab-timeline]").getAttribute("aria-selected")).toBe("true");
      const win = Number(full.options.window_ns ?? 100_000_000);
      // The spike's window, clipped to the trace (a short trace ends inside it).
      const [first, last] = await page.evaluate(() => [
        Number(window.__schedstat!.loaded!.firstTimeNs),
        Number(window.__schedstat!.loaded!.lastTimeNs),
      ]);
      const lo = Math.max(first, full.t0_ns + spike.start_ms * 1e6);
      const hi = Math.min(last, full.t0_ns + spike.start_ms * 1e6 + win);
      const range = page.locator("[data-testid=timeline-range]");
      expect(Number(await range.getAttribute("data-lo-ns"))).toBe(Math.round(lo));
      expect(Number(await range.getAttribute("data-hi-ns"))).toBe(Math.round(hi));
      await page.waitForSelector("[data-testid=timeline][data-state=ready]", { timeout: 60_000 });
      await shot(page, name, "spike-zoom");
      noErrors(o);
    });

    it("runs SQL in the console with the CLI's answers", async () => {
      const { page } = o;
      await openTab(page, "sql");
      const queries = [
        "select count(*) as n from g_transitions",
        // sqlprof-style: where goroutines block and get queued, by root function.
        "select root_func(stack_id) as func, to_state, count(*) as n, sum(duration_ns) as total_ns\n" +
          "from g_transitions where stack_id is not null\ngroup by all order by n desc, func, to_state limit 10",
      ];
      for (const q of queries) {
        await page.fill("textarea[data-testid=sql-input]", q);
        await page.click("[data-testid=sql-run]");
        await page.waitForSelector("[data-testid=sql-run]:not([disabled])");
        await page.waitForSelector("table[data-testid=sql-result]");
        const columns = await page.locator("table[data-testid=sql-result] thead th").allTextContents();
        const got = await page.locator("table[data-testid=sql-result] tbody tr").evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
        );
        const want = cliSql(fixture(name), q);
        expect(columns).toEqual(want.columns);
        expect(got).toEqual(want.rows);
        expect(await page.locator("[data-testid=sql-status]").textContent()).toContain(`${want.rows.length} row(s)`);
      }
      // A bad query: one line saying what is wrong, no stale result.
      await page.fill("textarea[data-testid=sql-input]", "select nope from nowhere");
      await page.click("[data-testid=sql-run]");
      await page.waitForSelector("[data-testid=sql-error]");
      const err = (await page.locator("[data-testid=sql-error]").textContent()) ?? "";
      expect(err).toMatch(/nowhere/);
      expect(err).not.toContain("\n");
      expect(await page.locator("table[data-testid=sql-result]").count()).toBe(0);
      await shot(page, name, "sql-error");
      noErrors(o);
    });
  });
}

describe("files that are not whole traces (static host)", () => {
  /** Opens a fresh page and gives it `file`. */
  async function give(file: string): Promise<Opened> {
    const o = await openPage(browser, server.url);
    await chooseFile(o.page, file);
    return o;
  }

  const bad: [string, (f: string) => void][] = [
    ["not-a-trace.txt", (f) => writeFileSync(f, "hello, this is a text file and not a Go execution trace\n")],
    ["empty.trace", (f) => writeFileSync(f, "")],
    ["cut-before-first-generation.trace", (f) => writeFileSync(f, readFileSync(fixture("go1.27/storm")).subarray(0, 100))],
  ];
  for (const [fname, make] of bad) {
    it(`${fname}: the CLI's one-line message`, async () => {
      const f = join(tmp, fname);
      make(f);
      const want = cliError(f);
      expect(want.status).toBe(1);
      const o = await give(f);
      await waitState(o.page, ["error"]);
      const text = (await o.page.locator("[data-testid=error]").textContent()) ?? "";
      expect(text).toBe(want.message);
      expect(text).not.toContain("\n");
      await shot(o.page, fname.replace(/\.\w+$/, ""), "error");
      noErrors(o);
      await o.page.context().close();
    });
  }

  it("a cut trace: a warning that complete generations were kept, and still the summary", async () => {
    const src = readFileSync(fixture("go1.27/multigen"));
    const f = join(tmp, "multigen-cut.trace");
    writeFileSync(f, src.subarray(0, Math.floor((src.length * 2) / 3)));
    const want = cliError(f);
    expect(want.status).toBe(3);
    const cli = cliJson(f);
    const o = await give(f);
    await waitState(o.page, ["summary", "loaded", "ready"]);
    const warning = o.page.locator("[data-testid=warning]");
    await warning.waitFor();
    expect(await warning.textContent()).toContain("complete generations");
    expect(await warning.textContent()).toBe(want.message);
    expect(await pageLatency(o.page)).toEqual(latencyOf(cli));
    // Events of the complete generations only, as the CLI counts them.
    expect(Number(await o.page.locator("[data-testid=events]").getAttribute("data-value"))).toBe(cli.events);
    await waitState(o.page, ["ready"]);
    expect(await reportShown(o.page), "the report's error").toBeNull();
    expect(await warning.textContent()).toBe(want.message);
    expect(await pageLatency(o.page)).toEqual(latencyOf(cli));
    await shot(o.page, "multigen-cut", "warning");
    noErrors(o);
    await o.page.context().close();
  });
});

describe("the static host", () => {
  it("served every file the page asked for from its own folder", () => {
    expect(server.outside, "requests outside the page's folder").toEqual([]);
    expect(server.missing, "files the page asked for that do not exist").toEqual([]);
  });
});

