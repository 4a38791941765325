// The page's report is the CLI's: the same Rust code (schedstat-report,
// compiled into the wasm reader) runs the same sql/report files against
// DuckDB-WASM, and its JSON must equal `schedstat --json` with the page's
// flags (recorded in testdata/oracle/web/*.report.json by
// scripts/web-record-expected.sh) — every field, every number.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import type { DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";
import { freshDb, initReader, repo } from "./node-db";
import { beforeAll, describe, expect, test } from "vitest";

import { toJsonText, toResult, type ArrowTable } from "../src/arrow";
import { loadTrace } from "../src/load";
import { PAGE_REPORT_OPTIONS } from "../src/options";
import { report } from "../src/wasm/schedstat_wasm.js";


beforeAll(initReader);


function runReport(conn: DuckDBConnection, options: object): unknown {
  const text = report(
    JSON.stringify(options),
    (sql: string) => {
      conn.query(sql);
    },
    (sql: string) => toJsonText(conn.query(sql) as unknown as ArrowTable),
  );
  return JSON.parse(text);
}

describe("the page's report equals schedstat --json", () => {
  for (const name of ["go1.22/storm", "go1.27/storm", "go1.25/mutex", "go1.27/cpuhog", "go1.21/storm", "go1.19/cpuhog"]) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(resolve(repo, "testdata/oracle/web", `${name.replace("/", "-")}.report.json`), "utf8"));
      const conn = await freshDb();
      await loadTrace(conn, new Uint8Array(readFileSync(resolve(repo, "testdata/fixtures", `${name}.trace`))));
      const got = runReport(conn, PAGE_REPORT_OPTIONS);
      expect(got).toEqual(expected);
      // Not vacuous: the sections the page shows have rows.
      const r = got as { worst: unknown[]; why: unknown[]; top_waiters: unknown[]; runnable_series: unknown[] };
      expect(r.worst.length).toBeGreaterThan(0);
      expect(r.why.length).toBeGreaterThan(0);
      expect(r.top_waiters.length).toBeGreaterThan(0);
    });
  }

  test("a trace without scheduling events gets the CLI's message, not a crash", async () => {
    const conn = await freshDb();
    await loadTrace(conn, new Uint8Array(readFileSync(resolve(repo, "testdata/fixtures/go1.27/storm.trace"))));
    conn.query("delete from g_transitions");
    expect(() => runReport(conn, {})).toThrowError(/no goroutine scheduling events/);
  });
});

describe("query results cross exactly", () => {
  test("64-bit integers, HUGEINT sums, decimals, lists and NULLs", async () => {
    const conn = await freshDb();
    const t = conn.query(`select 9223372036854775807::bigint as big, 18446744073709551615::ubigint as ubig,
      sum(x)::hugeint as huge, 12.345::decimal(10,3) as dec, -0.5::decimal(4,2) as neg, ['a', 'b'] as l,
      null::bigint as n, 0.1::double as f, 'x'::varchar as s
      from (values (9223372036854775807::bigint), (10::bigint)) v(x)`) as unknown as ArrowTable;
    expect(JSON.parse(toJsonText(t).replace(/(\d{16,})/g, '"$1"'))).toEqual({
      columns: ["big", "ubig", "huge", "dec", "neg", "l", "n", "f", "s"],
      rows: [["9223372036854775807", "18446744073709551615", "9223372036854775817", 12.345, -0.5, ["a", "b"], null, 0.1, "x"]],
    });
    const r = toResult(t, 10);
    expect(r.rows[0].slice(0, 3)).toEqual([9223372036854775807n, 18446744073709551615n, 9223372036854775817n]);
    expect(r.truncated).toBe(false);
  });
});
