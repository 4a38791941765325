// The page's Findings are the CLI's: the same Rust code (schedstat-report's
// doctor, and analysis::doctor's collector fed by the wasm reader while it
// parses) runs the same sql/doctor files against DuckDB-WASM, and its JSON
// must equal `schedstat doctor --json` (recorded in
// testdata/oracle/web/*.doctor.json by scripts/web-record-expected.sh, less
// the path) — every finding, number, stack, range and check.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import type { DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";
import { beforeAll, describe, expect, test } from "vitest";

import { toJsonText, type ArrowTable } from "../src/arrow";
import type { Diagnosis } from "../src/doctor";
import { viewFor } from "../src/doctor";
import { loadTrace } from "../src/load";
import { doctor, type DoctorEvidence } from "../src/wasm/schedstat_wasm.js";
import { fixture, freshDb, initReader, repo } from "./node-db";

beforeAll(initReader);

function runDoctor(conn: DuckDBConnection, evidence: DoctorEvidence, thresholds: object = {}): Diagnosis {
  const text = doctor(
    evidence,
    JSON.stringify(thresholds),
    (sql: string) => {
      conn.query(sql);
    },
    (sql: string) => toJsonText(conn.query(sql) as unknown as ArrowTable),
  );
  return JSON.parse(text) as Diagnosis;
}

/** Planted scenario → the finding the page must show first (as the CLI). */
const FIRST: Record<string, string | null> = {
  "go1.27/chanbottleneck": "channel-bottleneck",
  "go1.27/mutex": "lock-contention",
  "go1.22/ctxswitch": "context-switching",
  "go1.21/deadlock": "deadlock",
  "go1.27/leak": "goroutine-leak",
  "go1.27/idleserver": null,
};

describe("the page's findings equal schedstat doctor --json", () => {
  for (const [name, first] of Object.entries(FIRST)) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(resolve(repo, "testdata/oracle/web", `${name.replace("/", "-")}.doctor.json`), "utf8"));
      const conn = await freshDb();
      const loaded = await loadTrace(conn, fixture(name));
      try {
        const got = runDoctor(conn, loaded.doctorEvidence);
        expect(got).toEqual(expected);
        // Not vacuous: the planted pattern is there, first, or nothing above info.
        if (first === null) {
          expect(got.findings.every((f) => f.severity === "info")).toBe(true);
          expect(got.checks.length).toBe(11);
        } else {
          expect(got.findings[0].id).toBe(first);
          expect(got.findings[0].evidence.length).toBeGreaterThan(0);
        }
      } finally {
        loaded.doctorEvidence.free();
      }
    });
  }

  test("thresholds set on the page change the answer as on the command line", async () => {
    const conn = await freshDb();
    const loaded = await loadTrace(conn, fixture("go1.27/chanbottleneck"));
    try {
      const got = runDoctor(conn, loaded.doctorEvidence, { "channel-bottleneck.min_goroutines": 9 });
      expect(got.thresholds["channel-bottleneck.min_goroutines"]).toBe(9);
      expect(got.findings.some((f) => f.id === "channel-bottleneck")).toBe(false);
    } finally {
      loaded.doctorEvidence.free();
    }
  });

  test("a click opens the view that shows each finding", () => {
    const expected = JSON.parse(readFileSync(resolve(repo, "testdata/oracle/web/go1.27-chanbottleneck.doctor.json"), "utf8")) as Diagnosis;
    const f = expected.findings[0];
    expect(f.ranges.length).toBeGreaterThan(0);
    expect(viewFor(f)).toBe("timeline");
    for (const r of f.ranges) {
      expect(r.start_ns).toBeGreaterThanOrEqual(expected.start_ns);
      expect(r.end_ns).toBeLessThanOrEqual(expected.end_ns);
    }
    expect(viewFor({ ...f, id: "syscall-bound", ranges: [] })).toBe("flame");
    expect(viewFor({ ...f, id: "gc-pressure", ranges: [] })).toBe("gc");
  });
});
