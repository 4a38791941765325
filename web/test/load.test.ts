// The web page's data path, run under Node: the wasm reader parses real Go
// traces, DuckDB-WASM (its Node build) gets the tables and the repository's
// own sql/ files, and the CLI's latency query answers exactly what
// `schedstat --json TRACE` printed (`.latency`, recorded in
// testdata/oracle/web/ by scripts/web-record-expected.sh).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { fixture, freshDb, initReader, repo } from "./node-db";
import { beforeAll, describe, expect, test } from "vitest";

import viewsSql from "../../sql/views.sql?raw";
import { latencySummary, loadTrace } from "../src/load";
import { TraceParser } from "../src/wasm/schedstat_wasm.js";


beforeAll(initReader);



describe("latency summary equals the CLI's", () => {
  for (const name of ["go1.22/storm", "go1.27/storm", "go1.25/mutex", "go1.27/cpuhog", "go1.21/storm", "go1.19/cpuhog"]) {
    test(name, async () => {
      const expected = JSON.parse(
        readFileSync(resolve(repo, "testdata/oracle/web", `${name.replace("/", "-")}.latency.json`), "utf8"),
      );
      const conn = await freshDb();
      const progress: number[] = [];
      const res = await loadTrace(conn, fixture(name), { step: 50_000, onProgress: (f) => progress.push(f) });
      expect(res.warning).toBeNull();
      expect(progress.at(-1)).toBe(1);
      const got = await latencySummary(conn);
      // Exact: same SQL, same rows, same doubles.
      expect(got).toEqual(expected);
      console.log(`${name}: DuckDB ${res.duckdbVersion}, ${res.events} events, p99 ${got.p99_ns} ns`);
    });
  }
});

describe("the CLI's schema and views run unchanged", () => {
  test("every view of sql/views.sql answers, and the facts match the CLI's", async () => {
    const conn = await freshDb();
    const res = await loadTrace(conn, fixture("go1.27/mutex"));
    const views = conn
      .query("select view_name from duckdb_views() where not internal order by view_name")
      .toArray()
      .map((r) => String(r.view_name));
    expect(views).toContain("goroutines");
    expect(views).toContain("stacks");
    for (const v of views) conn.query(`select count(*) from "${v}"`);
    // Macros that need the tables, std_packages and rel_time_ns.
    const row = conn
      .query(
        `select is_std('sync.(*Mutex).Lock') as std, is_std('main.worker') as app,
                rel_time_ns(${res.firstTimeNs}) as zero,
                (select value from trace_info where key = 'events') as events,
                (select count(*) from goroutines where name is not null)::int as named`,
      )
      .get(0)!
      .toJSON();
    expect(row).toEqual({ std: true, app: false, zero: 0n, events: String(res.events), named: expect.any(Number) });
    expect(row.named).toBeGreaterThan(0);
  });
});

describe("the delays the reader derives", () => {
  // The page reads `delays` from the rows the reader derived while loading
  // (sql/web/derived_delays.sql), not from the view's join: they must be the
  // join's rows, row for row.
  for (const name of ["go1.27/storm", "go1.22/ctxswitch", "go1.21/storm", "go1.19/cpuhog"]) {
    test(`${name}: the view reads them, and they are the join's rows`, async () => {
      const conn = await freshDb();
      await loadTrace(conn, fixture(name), { step: 20_000 });
      const reads = conn.query("select count(*)::int as n from duckdb_views() where view_name = 'delays' and sql like '%derived_delays%'");
      expect(reads.getChild("n")!.get(0)).toBe(1);
      const join = viewsSql.match(/create view delays as[\s\S]*?;/)![0].replace("create view delays", "create temp view delays_by_join");
      conn.query(join);
      const count = (sql: string) => Number(conn.query(`select count(*) as n from (${sql})`).getChild("n")!.get(0));
      const rows = count("select * from delays_by_join");
      expect(rows).toBeGreaterThan(10);
      expect(count("select * from delays")).toBe(rows);
      expect(count("select * from delays except all select * from delays_by_join")).toBe(0);
      expect(count("select * from delays_by_join except all select * from delays")).toBe(0);
      // delays_shape says what the transitions show (computed here as the
      // CLI's test computes it), which the report's launchers rely on.
      const shape = conn.query(
        "select one_row_per_wait as a, one_creator_stack_per_goroutine as b, " +
          "(select count(*) from delays_by_join) = (select count(*) from g_transitions where from_state = 'runnable' and to_state = 'running') as want_a, " +
          "not exists (select g from g_transitions where from_state = 'notexist' and src_stack_id is not null and g is not null group by g having count(*) > 1) as want_b " +
          "from delays_shape",
      );
      expect(shape.getChild("a")!.get(0)).toBe(shape.getChild("want_a")!.get(0));
      expect(shape.getChild("b")!.get(0)).toBe(shape.getChild("want_b")!.get(0));
      expect(shape.getChild("a")!.get(0)).not.toBeNull();
      // delayed_goroutines is the pass's count, the view's count of the join.
      const counted = "select creator_stack_id, count(distinct g) as goroutines, count(distinct g) filter (where duration_ns > 1000000) as goroutines_over_1ms from delays_by_join where g is not null group by all";
      expect(count("select * from duckdb_views() where view_name = 'delayed_goroutines' and sql like '%derived_delayed_goroutines%'")).toBe(1);
      expect(count("select * from delayed_goroutines")).toBeGreaterThan(0);
      expect(count(`select * from delayed_goroutines except all (${counted})`)).toBe(0);
      expect(count(`(${counted}) except all select * from delayed_goroutines`)).toBe(0);
    });
  }
});

describe("the goroutine totals the reader sums", () => {
  // The page reads `goroutine_totals` (and so `goroutines`) from the rows
  // its reader summed (sql/web/derived_goroutine_totals.sql), not from the
  // view's group-by: they must be the group-by's rows, types included.
  for (const name of ["go1.27/storm", "go1.22/ctxswitch", "go1.21/storm", "go1.19/cpuhog", "go1.27/leak"]) {
    test(`${name}: the view reads them, and they are the group-by's rows`, async () => {
      const conn = await freshDb();
      await loadTrace(conn, fixture(name), { step: 1_000 });
      const count = (sql: string) => Number(conn.query(`select count(*) as n from (${sql})`).getChild("n")!.get(0));
      expect(count("select * from duckdb_views() where view_name = 'goroutine_totals' and sql like '%derived_goroutine_totals%'")).toBe(1);
      const groupBy = viewsSql.match(/create view goroutine_totals as[\s\S]*?;/)![0].replace("create view goroutine_totals", "create temp view totals_by_group_by");
      conn.query(groupBy);
      const rows = count("select * from totals_by_group_by");
      expect(rows).toBeGreaterThan(5);
      expect(count("select * from goroutine_totals")).toBe(rows);
      expect(count("select * from goroutine_totals except all select * from totals_by_group_by")).toBe(0);
      expect(count("select * from totals_by_group_by except all select * from goroutine_totals")).toBe(0);
      const types = (v: string) =>
        conn.query(`select string_agg(column_type, ',' order by column_name) as t from (describe ${v})`).getChild("t")!.get(0);
      expect(types("goroutine_totals")).toBe(types("totals_by_group_by"));
      // And the goroutines view built on them names every goroutine as before.
      const goroutinesSql = viewsSql.match(/create view goroutines as[\s\S]*?;/)![0]
        .replace("create view goroutines", "create temp view goroutines_by_group_by")
        .replace("from goroutine_totals per_g", "from totals_by_group_by per_g");
      conn.query(goroutinesSql);
      expect(count("select * from goroutines except all select * from goroutines_by_group_by")).toBe(0);
      expect(count("select * from goroutines_by_group_by except all select * from goroutines")).toBe(0);
    });
  }
});

describe("bad input", () => {
  test("a file that is not a trace gives the CLI's one-line message", () => {
    const bytes = new TextEncoder().encode("this is a README, not a Go execution trace\n");
    expect(() => new TraceParser(bytes)).toThrowError(/^bad file format.*expected a file written by runtime\/trace/);
  });

  test("loadTrace rejects a non-trace with the same message, before touching the database", async () => {
    const conn = await freshDb();
    await expect(loadTrace(conn, new Uint8Array([1, 2, 3, 4]))).rejects.toThrowError(/^bad file format/);
    const tables = conn.query("select count(*)::int as n from duckdb_tables()").getChild("n")!.get(0);
    expect(tables).toBe(0);
  });

  test("a cut trace keeps its complete generations and says what was lost", async () => {
    const whole = fixture("go1.27/multigen");
    const cut = whole.slice(0, Math.floor((whole.length * 2) / 3));
    const conn = await freshDb();
    const res = await loadTrace(conn, cut);
    expect(res.warning).toMatch(/\(kept \d+ complete generations; lost [\d.]+% of the trace: \d+ of \d+ bytes\)$/);
    const n = conn.query("select count(*)::int as n from g_transitions").getChild("n")!.get(0);
    expect(n).toBeGreaterThan(0);
  });
});
