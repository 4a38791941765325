// The toolbox module (crates/wasm-toolbox, loaded by the page only when its
// States or Requests tab opens) gives exactly the CLI's JSON: `schedstat
// states --json`, `schedstat requests --json` and `--json --summarize`, on
// traces with requests (the webstack generator scenario, the http fixtures
// of the old format and of Go 1.22 and 1.27) and without (storm).
//
// Always against the digests scripts/web-record-expected.sh recorded from
// the CLI (testdata/oracle/web/toolbox.json; the outputs are ~0.3 MB each),
// and, when the CLI binary is built (SCHEDSTAT_BIN, else
// $CARGO_TARGET_DIR/release/schedstat), against its output itself, which
// shows what differs. Two allowances: a states edge's penwidth (1 +
// 4·ln(count)/ln(max)) may differ in its last bit, as Rust's `ln` in wasm
// and glibc's do (the digests round it to 12 significant digits); and on
// webstack the CLI itself picks different example events for a few exit
// nodes' and edges' tooltips from run to run, so there the graph (nodes,
// edges, counts, labels) is compared without the tooltips.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { beforeAll, describe, expect, test } from "vitest";

import { layoutPicture, hit, pieces } from "../src/components/requests-model";
import { layoutStates, topNodes } from "../src/components/states-layout";
import type { RequestPicture, StateGraph } from "../src/toolbox";
import { initSync, request_bands, requests, states } from "../src/wasm/schedstat_wasm_toolbox.js";
import { repo } from "./node-db";

beforeAll(() => {
  initSync({ module: readFileSync(resolve(repo, "web/src/wasm/schedstat_wasm_toolbox_bg.wasm")) });
});

interface Digest {
  sha256: string;
}
interface StatesDigest {
  /** Without the tooltips. */
  graph_sha256: string;
  /** With them; null where the CLI's own runs disagree on them. */
  full_sha256: string | null;
  nodes: number;
  edges: number;
}
const recorded: Record<string, { states: StatesDigest; requests: Digest & { lines: number }; requests_summarize: Digest & { lines: number } }> =
  JSON.parse(readFileSync(resolve(repo, "testdata/oracle/web/toolbox.json"), "utf8"));

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The states graph as the digests hash it: penwidth to 12 significant
 * digits, and (`tooltips` false) without the tooltips. */
function canonical(g: StateGraph, tooltips: boolean): StateGraph {
  const drop = <T extends { tooltip: string }>(x: T): T => {
    if (tooltips) return x;
    const { tooltip: _, ...rest } = x;
    return rest as T;
  };
  return { ...g, nodes: g.nodes.map(drop), edges: g.edges.map((e) => drop({ ...e, penwidth: Number(e.penwidth.toPrecision(12)) })) };
}

const cli = process.env.SCHEDSTAT_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "release", "schedstat");
const haveCli = existsSync(cli);

function runCli(args: string[]): string {
  const r = spawnSync(cli, args, { encoding: "utf8", maxBuffer: 1 << 30, cwd: repo });
  if (r.status !== 0) throw new Error(`schedstat ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Calls a toolbox function and frees its answer. */
function call(f: () => { json: string; warning?: string; free(): void }): { json: string; warning?: string } {
  const out = f();
  const r = { json: out.json, warning: out.warning };
  out.free();
  return r;
}

describe("the toolbox module's JSON is the CLI's", () => {
  for (const trace of Object.keys(recorded)) {
    const want = recorded[trace];
    const bytes = () => new Uint8Array(readFileSync(resolve(repo, trace)));

    test(`states --json: ${trace}`, () => {
      const got = call(() => states(bytes()));
      expect(got.warning).toBeUndefined();
      const g = JSON.parse(got.json) as StateGraph;
      expect([g.nodes.length, g.edges.length]).toEqual([want.states.nodes, want.states.edges]);
      expect(sha256(JSON.stringify(canonical(g, false)))).toBe(want.states.graph_sha256);
      if (want.states.full_sha256 !== null) expect(sha256(JSON.stringify(canonical(g, true)))).toBe(want.states.full_sha256);
      expect(got.json.endsWith("}\n")).toBe(true);
    });

    test(`requests --json and --json --summarize: ${trace}`, () => {
      const lines = call(() => requests(bytes(), false)).json;
      const summaries = call(() => requests(bytes(), true)).json;
      expect(lines.split("\n").length - 1).toBe(want.requests.lines);
      expect(sha256(lines)).toBe(want.requests.sha256);
      expect(summaries.split("\n").length - 1).toBe(want.requests_summarize.lines);
      expect(sha256(summaries)).toBe(want.requests_summarize.sha256);
    });

    test.skipIf(!haveCli)(`the CLI binary's output itself: ${trace}`, () => {
      const cliStates = JSON.parse(runCli(["states", "--json", trace])) as StateGraph;
      const ours = JSON.parse(call(() => states(bytes())).json) as StateGraph;
      expect(canonical(ours, false)).toEqual(canonical(cliStates, false));
      if (want.states.full_sha256 !== null) expect(canonical(ours, true)).toEqual(canonical(cliStates, true));
      ours.edges.forEach((e, i) => expect(Math.abs(e.penwidth - cliStates.edges[i].penwidth)).toBeLessThanOrEqual(1e-12 * e.penwidth));
      expect(call(() => requests(bytes(), false)).json).toBe(runCli(["requests", "--json", trace]));
      expect(call(() => requests(bytes(), true)).json).toBe(runCli(["requests", "--json", "--summarize", trace]));
    });
  }

  test("the traces with requests have them; storm has none", () => {
    expect(recorded["testdata/oracle/toolbox/traces/go1.27/webstack.trace"].requests.lines).toBeGreaterThan(100);
    expect(recorded["testdata/fixtures/go1.22/http.trace"].requests.lines).toBeGreaterThan(100);
    expect(recorded["testdata/fixtures/go1.27/storm.trace"].requests.lines).toBe(0);
  });

  test("a file that is not a trace gets the reader's one-line message", () => {
    expect(() => states(new TextEncoder().encode("not a trace"))).toThrowError(/./);
    expect(() => requests(new TextEncoder().encode("not a trace"), false)).toThrowError(/./);
  });
});

describe("what the views draw", () => {
  test("the requests picture: etviz's requests (background reads left out), each span a band", () => {
    const trace = resolve(repo, "testdata/oracle/toolbox/traces/go1.27/webstack.trace");
    const bytes = new Uint8Array(readFileSync(trace));
    const pic = JSON.parse(call(() => request_bands(bytes)).json) as RequestPicture;
    const summaries = call(() => requests(bytes, true))
      .json.trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { Root: { G: number; Kind: string; StartNs: number } });
    // Every drawn request is one of the CLI's, by start time.
    expect(pic.requests.length).toBeGreaterThan(0);
    expect(pic.requests.length).toBeLessThanOrEqual(summaries.length);
    const roots = new Set(summaries.map((s) => `${s.Root.G}/${s.Root.Kind}/${s.Root.StartNs}`));
    for (const r of pic.requests) expect(roots.has(`${r.spans[0].g}/${r.spans[0].kind}/${r.spans[0].start_ns}`)).toBe(true);
    const starts = pic.requests.map((r) => r.spans[0].start_ns);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));

    // One row per request (per span in detail mode), and a point on a band finds it.
    const summary = layoutPicture(pic, false);
    const details = layoutPicture(pic, true);
    expect(summary.rows.length).toBe(pic.requests.length);
    expect(details.rows.length).toBe(pic.requests.reduce((a, r) => a + r.spans.length, 0));
    const first = summary.rows[0];
    const h = hit(summary, 1000, 0.5, summary.alignedTop + 1);
    expect(h?.row).toBe(first);
    expect(h?.aligned).toBe(true);
    expect(pieces(first.band)[0]).toMatchObject({ from: 0, to: first.band.length_ns, fill: "magenta" });
    expect(hit(summary, 1000, 999, summary.height + 10)).toBeNull();
  });

  test("the states layout: every node placed once, edges go downwards except those closing cycles", () => {
    const g = JSON.parse(call(() => states(new Uint8Array(readFileSync(resolve(repo, "testdata/fixtures/go1.27/http.trace"))))).json) as StateGraph;
    const shown = topNodes(g, 50);
    expect(shown.nodes.length).toBe(50);
    const ids = new Set(shown.nodes.map((n) => n.id));
    for (const e of shown.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    const layout = layoutStates(shown, (s) => s.length * 7);
    expect(layout.nodes.length).toBe(50);
    expect(layout.edges.length).toBe(shown.edges.length);
    const at = new Map(layout.nodes.map((p) => [p.node.id, p]));
    for (const e of layout.edges) {
      if (e.back) continue;
      expect(at.get(e.edge.to)!.y).toBeGreaterThan(at.get(e.edge.from)!.y);
      // A long edge runs straight through each row it crosses, in a lane of its own.
      const crossed = at.get(e.edge.to)!.layer - at.get(e.edge.from)!.layer - 1;
      expect(e.path.split(" L ").length - 1).toBe(crossed);
    }
    expect(layout.edges.some((e) => e.path.includes(" L "))).toBe(true);
    // No two boxes overlap.
    for (const a of layout.nodes)
      for (const b of layout.nodes)
        if (a !== b) expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
    // New goroutines start at the top.
    const initial = layout.nodes.filter((p) => p.node.kind === "initial");
    expect(Math.min(...initial.map((p) => p.layer))).toBe(0);
    expect(initial[0].lines.slice(0, 2)).toEqual(["New goroutine", initial[0].node.state]);
  });
});
