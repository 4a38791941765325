// The page as `schedstat web TRACE` serves it: the real binary (with web/dist
// embedded at its build) on a free port, the URL it prints opened in headless
// Chromium with no user action. The page must fetch the trace itself and show
// the CLI's numbers, and the report the CLI prints with the page's flags.
// The trace is copied to a name with a space, as users' files have, so the
// URL's name parameter is exercised. The server is killed afterwards.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// @ts-ignore: plain ESM helper shared with the bench (no type declarations)
import { launchChromium } from "./browser.mjs";
import { ARTIFACTS, PAGE_FLAGS, SCHEDSTAT, cliJson, firstCells, fixture, openPage, pageLatency, reportShown, waitState, type Opened } from "./helpers";

/** Starts `schedstat web --port 0 TRACE` and resolves with the URL it prints. */
function serve(trace: string): Promise<{ proc: ChildProcess; url: string; line: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(SCHEDSTAT, ["web", "--port", "0", trace], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`schedstat web printed no URL in 30 s; stdout: ${out}; stderr: ${err}`)), 30_000);
    proc.stderr!.on("data", (d) => (err += d));
    proc.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.includes("http://127.0.0.1:"));
      const m = line?.match(/(http:\/\/127\.0\.0\.1:\d+\/\S*)/);
      if (line && m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], line });
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`schedstat web exited (${code}) before printing its URL: ${err}`));
    });
  });
}

describe("schedstat web TRACE", () => {
  let browser: Browser;
  let server: { proc: ChildProcess; url: string; line: string };
  let o: Opened;
  let tmp: string;
  let trace: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "schedstat-e2e-web-"));
    trace = join(tmp, "my storm.trace");
    copyFileSync(fixture("go1.27/storm"), trace);
    server = await serve(trace);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await o?.page.context().close();
    await browser?.close();
    server?.proc.kill("SIGTERM");
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("prints the URL with the trace's name", () => {
    expect(server.line).toMatch(/^schedstat: serving my storm\.trace at http:\/\/127\.0\.0\.1:\d+\/\?trace=\/trace&name=my%20storm\.trace/);
  });

  it("preloads the trace and shows the CLI's percentiles and report", async () => {
    const plain = cliJson(trace);
    const full = cliJson(trace, PAGE_FLAGS);
    o = await openPage(browser, server.url);
    // No file is chosen: the page fetches the served trace by itself.
    await waitState(o.page, ["summary", "loaded", "ready"]);
    expect(await pageLatency(o.page)).toEqual(
      Object.fromEntries(["p50_ns", "p90_ns", "p99_ns", "max_ns", "avg_ns", "min_ns", "count"].map((k) => [k, Number(plain.latency[k])])),
    );
    expect(await o.page.locator("[data-testid=summary] h2").textContent()).toContain("my storm.trace");
    await waitState(o.page, ["ready"]);
    expect(await reportShown(o.page), "the report's error").toBeNull();
    await o.page.click("[data-testid=tab-worst]");
    expect(await firstCells(o.page, "worst-delays")).toEqual(full.worst.map((d: any) => `G${d.g}`));
    await o.page.screenshot({ path: join(ARTIFACTS, "schedstat-web-worst.png"), fullPage: true });
    expect(o.errors, "errors on the page").toEqual([]);
  });

  it("shows the States tab from the served trace (fetched again for the toolbox module)", async () => {
    const graph = JSON.parse(spawnSync(SCHEDSTAT, ["states", "--json", trace], { encoding: "utf8", maxBuffer: 1 << 30 }).stdout);
    await o.page.click("[data-testid=tab-states]");
    await o.page.waitForSelector("[data-testid=states][data-state=ready]", { timeout: 60_000 });
    expect(await o.page.locator("[data-testid=state-node]").count()).toBe(Math.min(50, graph.nodes.length));
    expect(o.errors, "errors on the page").toEqual([]);
  });
});
