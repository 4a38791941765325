// The web views' SQL (sql/web/*.sql) on real traces in DuckDB-WASM (the
// page's database, under Node): merging sub-pixel intervals keeps every
// lane's time, the runnable series agrees with a count done here from the
// raw transitions, and the flame graphs' delays add up to every wait (the
// scheduling one runs `schedstat diff`'s own sql/diff/sched.sql).


import type { DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";
import { fixture, freshDb, initReader } from "./node-db";
import { beforeAll, describe, expect, test } from "vitest";

import { fillSeries, sampling } from "../src/components/runnable-model";
import { loadTrace } from "../src/load";
import type { Cell } from "../src/protocol";
import { bind } from "../src/sql";

import prepareSql from "../../sql/web/timeline_prepare.sql?raw";
import gSql from "../../sql/web/timeline_g.sql?raw";
import pSql from "../../sql/web/timeline_p.sql?raw";
import gcSql from "../../sql/web/timeline_gc.sql?raw";
import lanesSql from "../../sql/web/timeline_lanes.sql?raw";
import procsSql from "../../sql/web/timeline_procs.sql?raw";
import gcWorkersSql from "../../sql/web/timeline_gc_workers.sql?raw";
import namesSql from "../../sql/web/goroutine_names.sql?raw";
import runnableSql from "../../sql/web/runnable_series.sql?raw";
import flameBlockSql from "../../sql/web/flame_block.sql?raw";
import diffSchedSql from "../../sql/diff/sched.sql?raw";


beforeAll(initReader);

interface Db {
  conn: DuckDBConnection;
  first: number;
  last: number;
  rows: (sql: string) => Record<string, unknown>[];
  /** The page's shape of a result (columns and rows of cells). */
  query: (sql: string) => { columns: string[]; rows: Cell[][] };
}

async function open(name: string): Promise<Db> {
  const conn = await freshDb();
  const res = await loadTrace(conn, fixture(name));
  conn.query(prepareSql);
  return {
    conn,
    first: Number(res.firstTimeNs),
    last: Number(res.lastTimeNs),
    rows: (sql) => conn.query(sql).toArray().map((r) => r.toJSON() as Record<string, unknown>),
    query: (sql) => {
      const t = conn.query(sql);
      const columns = t.schema.fields.map((f) => f.name);
      return { columns, rows: t.toArray().map((r) => columns.map((c) => r[c] as Cell)) };
    },
  };
}

/** Sums `value` per key over rows. */
function sums(rows: Record<string, unknown>[], key: (r: Record<string, unknown>) => string, value = "busy_ns"): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + Number(r[value]));
  return m;
}

const N = Number;

describe.each(["go1.27/storm", "go1.27/regionsgc", "go1.27/syscall"])("%s", (name) => {
  let db: Db;
  beforeAll(async () => {
    db = await open(name);
  });

  // A range inside the trace, so that clipping at both ends is exercised.
  const window = () => {
    const span = db.last - db.first;
    return { lo: db.first + Math.floor(span * 0.1), hi: db.first + Math.floor(span * 0.8) };
  };

  test("goroutine lanes: merging sub-pixel intervals keeps each goroutine's time in the range", () => {
    const { lo, hi } = window();
    const base = { lo_ns: lo, hi_ns: hi, end_ns: db.last, g_from: 0, g_to: 1e12, limit: 1e9 };
    const exact = db.rows(bind(gSql, { ...base, bucket_ns: 1 }));
    const merged = db.rows(bind(gSql, { ...base, bucket_ns: Math.floor((hi - lo) / 300) }));
    expect(merged.length).toBeLessThan(exact.length);
    expect(exact.every((r) => N(r.n) === 1)).toBe(true);
    expect(sums(merged, (r) => String(r.g))).toEqual(sums(exact, (r) => String(r.g)));
    expect(merged.reduce((s, r) => s + N(r.n), 0)).toBe(exact.length);
    // Lanes of one goroutine never overlap, and cover the range wherever it exists:
    // a goroutine that lived through the whole range has exactly hi - lo.
    for (const busy of sums(exact, (r) => String(r.g)).values()) expect(busy).toBeLessThanOrEqual(hi - lo);
    const lifelong = db.rows(
      `select g from g_transitions group by g having min(end_time_ns) < ${lo} and bool_and(to_state <> 'notexist')`,
    );
    const busyOf = sums(exact, (r) => String(r.g));
    for (const { g } of lifelong) if (busyOf.has(String(g))) expect(busyOf.get(String(g))).toBe(hi - lo);
    // Every merged row spans exactly its bucket.
    const bucket = Math.floor((hi - lo) / 300);
    for (const r of merged.filter((r) => N(r.n) > 1)) {
      expect(N(r.end_ns) - N(r.start_ns)).toBe(bucket);
      expect((N(r.start_ns) - lo) % bucket).toBe(0);
      expect(N(r.busy_ns)).toBeLessThanOrEqual(bucket * N(r.n));
    }
  });

  test("P lanes and GC ranges: merging keeps each lane's time", () => {
    const { lo, hi } = window();
    const base = { lo_ns: lo, hi_ns: hi, end_ns: db.last, first_ns: db.first, limit: 1e9 };
    const key = (r: Record<string, unknown>) => `${r.p}:${r.state === "held"}`;
    const pExact = db.rows(bind(pSql, { ...base, bucket_ns: 1 }));
    const pMerged = db.rows(bind(pSql, { ...base, bucket_ns: Math.floor((hi - lo) / 200) }));
    expect(sums(pMerged, key)).toEqual(sums(pExact, key));
    // What ran on a P adds up to the running and syscall time of goroutines there.
    const ran = db.rows(
      `select sum(least(end_time_ns, ${hi}) - greatest(end_time_ns - duration_ns, ${lo}))::bigint as t from g_transitions
       where from_state = 'running' and src_p is not null and end_time_ns > ${lo} and end_time_ns - duration_ns < ${hi}`,
    )[0].t;
    const tails = db.rows(
      `select coalesce(sum(${hi} - greatest(start_ns, ${lo})), 0)::bigint as t from web_g_tails
       where state = 'running' and p is not null and start_ns < ${hi}`,
    )[0].t;
    const runningOnPs = pExact.filter((r) => r.state === "running").reduce((s, r) => s + N(r.busy_ns), 0);
    expect(runningOnPs).toBe(N(ran) + N(tails));
    // Held time of a P is within the range.
    for (const [k, v] of sums(pExact, key)) if (k.endsWith("true")) expect(v).toBeLessThanOrEqual(hi - lo);

    const gcKey = (r: Record<string, unknown>) => `${r.lane}:${r.id}`;
    const gcExact = db.rows(bind(gcSql, { ...base, bucket_ns: 1 }));
    const gcMerged = db.rows(bind(gcSql, { ...base, bucket_ns: Math.floor((hi - lo) / 100) }));
    expect(sums(gcMerged, gcKey)).toEqual(sums(gcExact, gcKey));
  });

  test("lane list: every goroutine that ran in the range has a lane, ordered by id", () => {
    const { lo, hi } = window();
    const lanes = db.rows(bind(lanesSql, { lo_ns: lo, hi_ns: hi, end_ns: db.last, limit: 1e9 }));
    const ids = lanes.map((r) => N(r.g));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    if (lanes.length > 0) expect(N(lanes[0].total)).toBe(lanes.length);
    const ran = db.rows(
      `select distinct g from g_transitions where from_state = 'running' and end_time_ns > ${lo} and end_time_ns - duration_ns < ${hi}`,
    );
    const set = new Set(ids);
    for (const { g } of ran) expect(set.has(N(g))).toBe(true);
    // A small limit keeps the first lanes and still reports the total.
    const few = db.rows(bind(lanesSql, { lo_ns: lo, hi_ns: hi, end_ns: db.last, limit: 3 }));
    expect(few.map((r) => N(r.g))).toEqual(ids.slice(0, 3));
    if (few.length > 0) expect(N(few[0].total)).toBe(lanes.length);
  });

  test("runnable series: bucket-end counts are exact, peaks exact with one-ns steps", () => {
    const { lo, hi } = window();
    // Reference: +1/-1 per transition, from the trace's start.
    const ev = db
      .rows(
        `select end_time_ns as t, (to_state = 'runnable')::int - (from_state = 'runnable')::int as d from g_transitions
         where to_state = 'runnable' or from_state = 'runnable' order by end_time_ns`,
      )
      .map((e) => ({ t: N(e.t), d: N(e.d) }));
    const countAt = (t: number) => ev.filter((e) => e.t < t).reduce((s, e) => s + e.d, 0);
    // The true highest and lowest count during [a, b): at a, and after each transition in it.
    const extremes = (a: number, b: number) => {
      let n = countAt(a);
      let [max, min] = [n, n];
      for (const e of ev) {
        if (e.t < a || e.t >= b) continue;
        n += e.d;
        max = Math.max(max, n);
        min = Math.min(min, n);
      }
      return { max, min };
    };
    const nb = 50;
    const { steps, stepNs, bucketNs: bucket } = sampling(Math.floor((hi - lo) / nb));
    const q = (step_ns: number, steps: number) => db.query(bind(runnableSql, { lo_ns: lo, hi_ns: hi, step_ns, steps }));
    const n = Math.ceil((hi - lo) / bucket);
    const sampled = q(stepNs, steps);
    const exact = q(1, bucket);
    const s1 = fillSeries(sampled.columns, sampled.rows, n);
    const s2 = fillSeries(exact.columns, exact.rows, n);
    for (let b = 0; b < n; b++) {
      const a = lo + b * bucket;
      const e = Math.min(hi, a + bucket);
      const x = extremes(a, e);
      expect(s1.last[b]).toBe(countAt(e));
      expect(s2.last[b]).toBe(countAt(e));
      expect([s2.peak[b], s2.low[b]]).toEqual([x.max, x.min]);
      // Sampling may miss a peak between samples, never invents one.
      expect(s1.peak[b]).toBeLessThanOrEqual(x.max);
      expect(s1.peak[b]).toBeGreaterThanOrEqual(Math.max(countAt(a), countAt(e)));
      expect(s1.low[b]).toBeGreaterThanOrEqual(x.min);
    }
  });

  test("flame graph: scheduling delay (sql/diff/sched.sql) adds up to every runnable → running wait", () => {
    const ours = db.rows(diffSchedSql);
    const total = db.rows(`select sum(duration_ns)::bigint as t from g_transitions where from_state = 'runnable' and to_state = 'running'`)[0].t;
    expect(ours.reduce((s, r) => s + N(r.total_ns), 0)).toBe(N(total));
  });

  test("flame graph: blocking delay adds up to all finished waits", () => {
    const rows = db.rows(flameBlockSql);
    const total = db.rows(`select coalesce(sum(duration_ns), 0)::bigint as t from g_transitions where from_state = 'waiting' and to_state = 'runnable'`)[0].t;
    expect(rows.reduce((s, r) => s + N(r.total_ns), 0)).toBe(N(total));
    for (const r of rows) expect(typeof r.reason).toBe("string");
  });

  test("trace-wide lookups answer", () => {
    const procs = db.rows(procsSql).map((r) => N(r.p));
    expect(procs.length).toBeGreaterThan(0);
    db.rows(gcWorkersSql);
    const names = db.rows(bind(namesSql, { g_from: 0, g_to: 1e12 }));
    expect(names.length).toBeGreaterThan(0);
  });
});

test("GC mark workers are found where the trace ran a GC", async () => {
  const db = await open("go1.27/regionsgc");
  const workers = db.rows(gcWorkersSql).map((r) => N(r.g));
  const named = db.rows(`select g from goroutines where name = 'runtime.gcBgMarkWorker' order by g`).map((r) => N(r.g));
  expect(workers.length).toBeGreaterThan(0);
  expect(workers).toEqual(named);
});
