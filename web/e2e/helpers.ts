// Shared by the end-to-end tests (web/e2e/*.e2e.ts): where things are, how to
// ask the real `schedstat` binary for the answer the page must equal, and how
// to drive the page (open it while recording every console error, give it a
// trace by the file picker or by a real drop event, wait for its states,
// read its numbers and check canvases are drawn).
//
// The CLI is the oracle: every number the page shows is compared with what
// `schedstat --json` / `schedstat --sql` print for the same file.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import type { Browser, Page } from "playwright-core";
import { PAGE_REPORT_FLAGS } from "../src/options";

/** The repository's root, web/ and web/dist. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WEB = join(ROOT, "web");
export const DIST = join(WEB, "dist");
/** Screenshots kept as test artifacts (git-ignored). */
export const ARTIFACTS = join(WEB, "e2e", "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

/** The CLI binary: SCHEDSTAT_BIN, else $CARGO_TARGET_DIR (or target/)/release/schedstat. */
export const SCHEDSTAT =
  process.env.SCHEDSTAT_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "release", "schedstat");

/** A fixture's path, e.g. fixture("go1.27/storm"). */
export const fixture = (name: string) => join(ROOT, "testdata", "fixtures", `${name}.trace`);

/** The report options the page asks for, as CLI flags. */
export const PAGE_FLAGS: string[] = PAGE_REPORT_FLAGS;

/** `schedstat --json [flags] TRACE`'s report (it still prints one for a cut trace, exit 3). */
export function cliJson(trace: string, flags: string[] = []): any {
  const r = spawnSync(SCHEDSTAT, ["--json", ...flags, trace], { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`schedstat --json ${trace}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `schedstat doctor --json TRACE`'s diagnosis (the page's Findings must show the same). */
export function cliDoctor(trace: string): any {
  const r = spawnSync(SCHEDSTAT, ["doctor", "--json", trace], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`schedstat doctor --json ${trace}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `schedstat TRACE`'s one-line error, without its "schedstat: error: PATH: " prefix. */
export function cliError(trace: string): { status: number | null; message: string } {
  const r = spawnSync(SCHEDSTAT, [trace], { encoding: "utf8" });
  const line = r.stderr.split("\n").find((l) => l.startsWith("schedstat: error: ")) ?? r.stderr;
  const prefix = `schedstat: error: ${trace}: `;
  return { status: r.status, message: line.startsWith(prefix) ? line.slice(prefix.length) : line };
}

/** `schedstat --sql QUERY TRACE`'s result table, parsed from its box drawing. */
export function cliSql(trace: string, query: string): { columns: string[]; rows: string[][] } {
  const out = execFileSync(SCHEDSTAT, ["--sql", query, trace], { encoding: "utf8" });
  const lines = out.split("\n").filter((l) => l.startsWith("|"));
  const cells = (l: string) => l.slice(1, -1).split("|").map((c) => c.trim());
  const [head, ...rows] = lines;
  return { columns: cells(head), rows: rows.map(cells) };
}

/** A page together with every error it reported. */
export interface Opened {
  page: Page;
  /** Uncaught exceptions and console.error messages, in order. */
  errors: string[];
}

/** Opens `url` in a new page (its own context) and records its errors. */
export async function openPage(browser: Browser, url: string): Promise<Opened> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  // Errors in the page's Web Worker surface as worker events, not page ones.
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && errors.push(`worker console.error: ${m.text()}`)));
  await page.goto(url);
  await waitState(page, ["idle", "loading", "summary", "loaded", "ready"], 30_000);
  return { page, errors };
}

/** The page's `document.body.dataset.state`. */
export const state = (page: Page) => page.evaluate(() => document.body.dataset.state ?? "");

/** Waits until the page's state is one of `states`; throws with the page's
 * error text if it reaches `error` instead (unless "error" is wanted). */
export async function waitState(page: Page, states: string[], timeout = 120_000): Promise<string> {
  const want = [...states, ...(states.includes("error") ? [] : ["error"])];
  await page.waitForFunction((w) => w.includes(document.body.dataset.state ?? ""), want, { timeout, polling: 100 });
  const s = await state(page);
  if (s === "error" && !states.includes("error")) {
    throw new Error(`the page shows an error: ${await page.locator("[data-testid=error]").textContent()}`);
  }
  return s;
}

/** After `ready`: waits for the report (or its error) to be rendered, and
 * returns the report error's text, if any. The page sets body's state outside
 * React, so the state can say `ready` a moment before the report is shown. */
export async function reportShown(page: Page): Promise<string | null> {
  const el = await page.waitForSelector("[data-testid=verdicts], [data-testid=report-error]", { timeout: 30_000 });
  return (await el.getAttribute("data-testid")) === "report-error" ? await el.textContent() : null;
}

/** Gives the page a trace through its file picker (what "Open a trace…" does). */
export async function chooseFile(page: Page, file: string): Promise<void> {
  await page.setInputFiles("[data-testid=file-input]", file);
}

/** Drops a trace on the page: a real `drop` DragEvent whose DataTransfer,
 * built in the page, holds the file's bytes (as dragging from a file manager does). */
export async function dropFile(page: Page, file: string): Promise<void> {
  const b64 = readFileSync(file).toString("base64");
  await page.evaluate(
    ({ b64, name }) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: "application/octet-stream" }));
      const target = document.querySelector(".app")!;
      for (const type of ["dragenter", "dragover", "drop"]) {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    },
    { b64, name: basename(file) },
  );
}

/** The summary's latency numbers, as the page shows them (exact, from data-ns / data-value). */
export async function pageLatency(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const k of ["p50", "p90", "p99", "max", "avg", "min"]) {
      const el = document.querySelector(`[data-testid=latency-${k}]`) as HTMLElement | null;
      out[`${k}_ns`] = el ? Number(el.dataset.ns) : NaN;
    }
    const c = document.querySelector("[data-testid=latency-count]") as HTMLElement | null;
    out.count = c ? Number(c.dataset.value) : NaN;
    return out;
  });
}

/** The text of each row's first cell in a table, in the order shown. */
export async function firstCells(page: Page, table: string): Promise<string[]> {
  return page.locator(`[data-testid=${table}] tbody tr td:first-child`).allTextContents();
}

/** The text of one column (0-based) of a table, in the order shown. */
export async function column(page: Page, table: string, index: number): Promise<string[]> {
  return page.locator(`[data-testid=${table}] tbody tr td:nth-child(${index + 1})`).allTextContents();
}

/** How much of a canvas is drawn: the share of its pixels that differ from
 * its most common colour (the background), and how many colours it uses. */
export async function canvasInk(page: Page, selector: string): Promise<{ width: number; height: number; ink: number; colours: number }> {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement | null;
    if (!c || c.width === 0 || c.height === 0) return { width: 0, height: 0, ink: 0, colours: 0 };
    // Copied onto a fresh canvas so the component's own context is untouched.
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext("2d")!;
    ctx.drawImage(c, 0, 0);
    const px = new Uint32Array(ctx.getImageData(0, 0, c.width, c.height).data.buffer);
    const freq = new Map<number, number>();
    for (const p of px) freq.set(p, (freq.get(p) ?? 0) + 1);
    const top = Math.max(...freq.values());
    return { width: c.width, height: c.height, ink: 1 - top / px.length, colours: freq.size };
  }, selector);
}
