// The page parses in a worker of its own and appends in the query worker
// (src/parse.ts). Here both ends of that protocol run over a MessageChannel
// in one Node thread: the database, the facts and the doctor's findings must
// be exactly those of parsing in place, the parser must not run more than
// two chunks ahead of the appends, and bad input must fail with the reader's
// one-line message.

import type { DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";
import { afterEach, beforeAll, describe, expect, test } from "vitest";

import { toJsonText, type ArrowTable } from "../src/arrow";
import { loadTrace } from "../src/load";
import { RemoteParse, serveParse, type FromParser, type Port } from "../src/parse";
import { doctor, type DoctorEvidence } from "../src/wasm/schedstat_wasm.js";
import { fixture, freshDb, initReader } from "./node-db";

beforeAll(initReader);

const open: MessagePort[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

/** A parsing end served on one side of a fresh channel; the other side for RemoteParse. */
function channel(): Port {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  serveParse(port1 as unknown as Port, Promise.resolve());
  return port2 as unknown as Port;
}

/** Every table's row count and a hash of its rows, by table name. */
function contents(conn: DuckDBConnection): Record<string, string> {
  const names = conn
    .query("select table_name from duckdb_tables() order by table_name")
    .toArray()
    .map((r) => String(r.table_name));
  const out: Record<string, string> = {};
  for (const n of names) {
    const r = conn.query(`select count(*)::bigint as n, coalesce(sum(hash(t)), 0)::hugeint as h from "${n}" t`).get(0)!.toJSON();
    out[n] = `${r.n} rows, ${r.h}`;
  }
  return out;
}

function diagnose(conn: DuckDBConnection, evidence: DoctorEvidence): string {
  return doctor(
    evidence,
    "{}",
    (sql: string) => {
      conn.query(sql);
    },
    (sql: string) => toJsonText(conn.query(sql) as unknown as ArrowTable),
  );
}

describe("parsing in another worker loads what parsing in place loads", () => {
  for (const name of ["go1.27/storm", "go1.21/storm", "go1.25/mutex", "go1.27/chanbottleneck", "go1.19/cpuhog"]) {
    test(name, async () => {
      const bytes = fixture(name);
      const here = await freshDb();
      const local = await loadTrace(here, bytes, { step: 20_000 });

      // Small steps: these fixtures have a few thousand events, and the
      // point is many chunks crossing.
      const remote = new RemoteParse(channel(), { bytes }, 200);
      const first = await remote.summary();
      expect(first.bytes).toBe(bytes.length);
      expect(first.summary.events).toBe(local.events);
      const there = await freshDb();
      const progress: number[] = [];
      const res = await loadTrace(there, remote, { onProgress: (f) => progress.push(f) });

      expect([res.events, res.firstTimeNs, res.lastTimeNs, res.warning]).toEqual([local.events, local.firstTimeNs, local.lastTimeNs, local.warning]);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toBe(1);
      const want = contents(here);
      expect(Object.keys(want)).toContain("g_transitions");
      expect(contents(there)).toEqual(want);
      const views = "select count(*)::int as n from duckdb_views() where not internal";
      expect(there.query(views).getChild("n")!.get(0)).toBe(here.query(views).getChild("n")!.get(0));
      // The evidence crossed as JSON: the findings are the same, to the digit.
      expect(diagnose(there, res.doctorEvidence)).toBe(diagnose(here, local.doctorEvidence));
      res.doctorEvidence.free();
      local.doctorEvidence.free();
    });
  }
});

describe("the parser waits for the appends", () => {
  test("at most two chunks are parsed ahead of the one being appended", async () => {
    const port = channel();
    // Count the chunks that arrive before any is taken.
    let arrived = 0;
    const spy: Port = {
      postMessage: (m, t) => port.postMessage(m, t),
      set onmessage(f: ((ev: MessageEvent) => void) | null) {
        port.onmessage = (ev: MessageEvent<FromParser>) => {
          if (ev.data.kind === "chunk") arrived++;
          f?.(ev);
        };
      },
      get onmessage() {
        return port.onmessage;
      },
    };
    const remote = new RemoteParse(spy, { bytes: fixture("go1.27/storm") }, 500);
    await remote.summary();
    await new Promise((r) => setTimeout(r, 500));
    expect(arrived).toBe(2);
    // Taking one lets exactly one more come.
    expect(await remote.next()).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(arrived).toBe(3);
    let chunks = 1;
    while ((await remote.next()) !== undefined) chunks++;
    expect(chunks).toBeGreaterThan(3);
    expect(arrived).toBe(chunks);
    (await remote.finish()).doctor_evidence.free();
  });
});

describe("bad input through the parsing worker", () => {
  test("a file that is not a trace fails the summary with the reader's one-line message, and stays failed", async () => {
    const remote = new RemoteParse(channel(), { bytes: new TextEncoder().encode("not a trace\n") }, 20_000);
    await expect(remote.summary()).rejects.toThrowError(/^bad file format.*expected a file written by runtime\/trace/);
    await expect(remote.next()).rejects.toThrowError(/^bad file format/);
  });

  test("a cut trace keeps its complete generations and says what was lost, as in place", async () => {
    const whole = fixture("go1.27/multigen");
    const cut = whole.slice(0, Math.floor((whole.length * 2) / 3));
    const local = await loadTrace(await freshDb(), cut);
    const remote = new RemoteParse(channel(), { bytes: cut }, 20_000);
    await remote.summary();
    const res = await loadTrace(await freshDb(), remote);
    expect(res.warning).toMatch(/\(kept \d+ complete generations; lost [\d.]+% of the trace: \d+ of \d+ bytes\)$/);
    expect(res.warning).toBe(local.warning);
    expect(res.events).toBe(local.events);
  });
});
