// The toolbox views in headless Chromium, from a static host: the States
// tab draws `schedstat states`'s graph and the Requests tab etviz's bands
// of `schedstat requests`, both computed by the toolbox wasm module, which
// the page fetches only when one of these tabs is first opened. What is
// drawn is checked against the CLI run on the same file; screenshots go to
// web/e2e/artifacts/.

import { spawnSync } from "node:child_process";
import { join } from "node:path";

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// @ts-ignore: plain ESM helpers shared with the bench (no type declarations)
import { launchChromium } from "./browser.mjs";
// @ts-ignore
import { serveStatic } from "./static-server.mjs";
import { ARTIFACTS, DIST, ROOT, SCHEDSTAT, canvasInk, chooseFile, fixture, openPage, waitState, type Opened } from "./helpers";
import { topNodes } from "../src/components/states-layout";
import type { StateGraph } from "../src/toolbox";

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  server = await serveStatic(DIST, "/some/dir/");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function cli(args: string[]): string {
  const r = spawnSync(SCHEDSTAT, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`schedstat ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The page's default: the 50 most common nodes. */
const NODE_LIMIT = 50;

const TRACES: { name: string; file: string; requests: boolean }[] = [
  { name: "go1.27-webstack", file: join(ROOT, "testdata/oracle/toolbox/traces/go1.27/webstack.trace"), requests: true },
  { name: "go1.22-http", file: fixture("go1.22/http"), requests: true },
  { name: "go1.27-storm", file: fixture("go1.27/storm"), requests: false },
];

for (const t of TRACES) {
  describe(`toolbox views: ${t.name}`, () => {
    let o: Opened;
    const fetched: string[] = [];
    let graph: StateGraph;
    /** "KIND on GN" of the CLI's requests' roots, and how many requests. */
    let roots: Set<string>;
    let requests: number;

    beforeAll(async () => {
      graph = JSON.parse(cli(["states", "--json", t.file]));
      const lines = cli(["requests", "--json", "--summarize", t.file])
        .split("\n")
        .filter((l) => l);
      requests = lines.length;
      roots = new Set(
        lines.map((l) => {
          const s = JSON.parse(l);
          return `${s.Root.Kind} on G${s.Root.G}`;
        }),
      );
      o = await openPage(browser, server.url);
      // Requests of the page and of its worker.
      o.page.on("request", (r) => fetched.push(r.url()));
      await chooseFile(o.page, t.file);
      await waitState(o.page, ["ready"]);
    });
    afterAll(async () => {
      await o?.page.context().close();
    });

    it("fetches the toolbox module only when a toolbox tab opens", async () => {
      expect(fetched.filter((u) => u.includes("toolbox"))).toEqual([]);
      await o.page.click("[data-testid=tab-states]");
      await o.page.waitForSelector("[data-testid=states][data-state=ready]", { timeout: 60_000 });
      expect(fetched.some((u) => /schedstat_wasm_toolbox_bg.*\.wasm/.test(u))).toBe(true);
      expect(o.errors).toEqual([]);
    });

    it("draws the CLI's state graph: its most common nodes, labelled, and the edges between them", async () => {
      const { page } = o;
      const shown = topNodes(graph, NODE_LIMIT);
      const ids = await page.locator("[data-testid=state-node]").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
      expect(ids.sort()).toEqual(shown.nodes.map((n) => n.id).sort());
      expect(await page.locator("[data-testid=state-edge]").count()).toBe(shown.edges.length);
      const counts = await page.locator("[data-testid=state-edge]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
      expect(counts.sort((a, b) => a - b)).toEqual(shown.edges.map((e) => e.count).sort((a, b) => a - b));
      // A state box shows its state and its innermost frame.
      const s = shown.nodes.find((n) => n.kind === "state" && n.frames.length > 0)!;
      const text = await page.locator(`[data-testid=state-node][data-id=${s.id}]`).textContent();
      expect(text).toContain(s.state);
      const top = s.frames[s.frames.length - 1];
      expect(text).toContain(`${top.func}:${top.line}`);
      // Drawn: every node box has a size.
      const box = await page.locator(`[data-testid=state-node][data-id=${s.id}] rect`).boundingBox();
      expect(box!.width).toBeGreaterThan(20);
      await page.screenshot({ path: join(ARTIFACTS, `${t.name}-states.png`), fullPage: true });
      expect(o.errors).toEqual([]);
    });

    it(t.requests ? "draws the requests as bands; hovering one tells its region and goroutine" : "says there are no requests", async () => {
      const { page } = o;
      await page.click("[data-testid=tab-requests]");
      await page.waitForSelector("[data-testid=requests][data-state=ready]", { timeout: 60_000 });
      const n = Number(await page.locator("[data-testid=requests]").getAttribute("data-requests"));
      if (!t.requests) {
        expect(n).toBe(0);
        expect(requests).toBe(0);
        await page.waitForSelector("[data-testid=requests-none]");
        return;
      }
      // etviz leaves net/http's background reads out: at most the CLI's requests.
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(requests);
      const ink = await canvasInk(page, "[data-testid=requests-canvas]");
      expect(ink.ink).toBeGreaterThan(0.01);
      expect(ink.colours).toBeGreaterThan(2);
      // The first band of the aligned section starts at x = 0.
      const canvas = page.locator("[data-testid=requests-canvas]");
      const alignedTop = Number(await canvas.getAttribute("data-aligned-top"));
      await canvas.hover({ position: { x: 0.5, y: alignedTop + 3 } });
      const tip = page.locator("[data-testid=requests-tooltip]");
      await tip.waitFor({ timeout: 5_000 });
      const title = await tip.locator(".tooltip-title").textContent();
      expect(roots.has(title!)).toBe(true);
      expect(await tip.textContent()).toMatch(/starts @[\d.]+ms, lasts /);
      await page.screenshot({ path: join(ARTIFACTS, `${t.name}-requests.png`), fullPage: true });
      // One band per span: more bands than requests.
      await page.click("[data-testid=requests-details]");
      await expect.poll(async () => Number(await page.locator("[data-testid=requests]").getAttribute("data-bands"))).toBeGreaterThan(n);
      await page.screenshot({ path: join(ARTIFACTS, `${t.name}-requests-details.png`), fullPage: true });
      expect(o.errors).toEqual([]);
    });
  });
}
