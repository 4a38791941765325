// What every Node test of the page needs: the wasm reader initialised, a
// fresh DuckDB-WASM database (its synchronous Node build, the same engine
// the page's worker runs), and the repository's fixture traces.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { ConsoleLogger, LogLevel, NODE_RUNTIME, createDuckDB, type DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";

import { initSync } from "../src/wasm/schedstat_wasm.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository's root. */
export const repo = resolve(here, "../..");

const dist = dirname(createRequire(import.meta.url).resolve("@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm"));

/** Initialises the wasm reader (call once per test file, e.g. in beforeAll). */
export function initReader(): void {
  initSync({ module: readFileSync(resolve(here, "../src/wasm/schedstat_wasm_bg.wasm")) });
}

/** A connection to a new, empty DuckDB-WASM database. */
export async function freshDb(): Promise<DuckDBConnection> {
  const bundles = {
    mvp: { mainModule: resolve(dist, "duckdb-mvp.wasm"), mainWorker: resolve(dist, "duckdb-node-mvp.worker.cjs") },
    eh: { mainModule: resolve(dist, "duckdb-eh.wasm"), mainWorker: resolve(dist, "duckdb-node-eh.worker.cjs") },
  };
  const db = await createDuckDB(bundles, new ConsoleLogger(LogLevel.WARNING), NODE_RUNTIME);
  await db.instantiate();
  return db.connect();
}

/** A fixture trace's bytes, by "go1.27/storm"-style name. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(repo, "testdata/fixtures", `${name}.trace`)));
}
