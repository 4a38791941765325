// From trace bytes to a DuckDB-WASM database that holds exactly what the CLI's
// database holds: our wasm reader parses the trace into columns (already in
// Arrow's memory layout), they become Arrow tables, and DuckDB-WASM gets the
// schema, the facts and the views from the repository's own `sql/` files —
// imported, never copied — so every query the CLI runs runs here unchanged.

import { Bool, Data, Dictionary, Int8, Int64, Table, Uint64, Utf8, makeData, makeVector, tableFromArrays, tableToIPC, vectorFromArray, type Vector } from "apache-arrow";

import schemaSql from "../../sql/schema.sql?raw";
import viewsSql from "../../sql/views.sql?raw";
import stdPackages from "../../sql/std_packages.txt?raw";
import latencySummarySql from "../../sql/report/latency_summary.sql?raw";
import derivedDelaysSql from "../../sql/web/derived_delays.sql?raw";
import derivedDelaysViewSql from "../../sql/web/derived_delays_view.sql?raw";
import derivedDelayedGoroutinesSql from "../../sql/derived_delayed_goroutines.sql?raw";
import derivedGoroutineTotalsSql from "../../sql/web/derived_goroutine_totals.sql?raw";
import derivedGoroutineTotalsViewSql from "../../sql/web/derived_goroutine_totals_view.sql?raw";

import { TraceParser, type DoctorEvidence } from "./wasm/schedstat_wasm.js";

/** The database the trace's tables go into (the connection's default once loaded). */
export const TRACE_DB = "trace";

/** What load.ts needs of a DuckDB-WASM connection: both the blocking Node
 * connection (tests) and the browser's AsyncDuckDBConnection fit. */
export interface Connection {
  query(sql: string): Table | Promise<Table>;
  insertArrowFromIPCStream(buffer: Uint8Array, options: { name: string; create?: boolean }): unknown;
}

/** Appends an Arrow table to an existing table of the schema (create: false):
 * text goes into the `state` ENUM columns through DuckDB's varchar -> enum
 * cast. Serialised here, with our own apache-arrow, rather than through
 * `insertArrowTable`, which serialises with the apache-arrow module DuckDB-WASM
 * itself loaded: when that is another copy of the module (Node loads its CJS
 * build, we the ESM one) the table is not recognised and nothing is inserted,
 * silently. */
async function append(conn: Connection, name: string, table: Table): Promise<void> {
  await conn.insertArrowFromIPCStream(tableToIPC(table, "stream"), { name, create: false });
}

/** One column as the wasm reader hands it over (see crates/wasm/src/js.rs). */
export interface WasmColumn {
  name: string;
  type: "i64" | "u64" | "utf8" | "bool" | "dict";
  data: BigInt64Array | BigUint64Array | Uint8Array | Int8Array;
  offsets?: Int32Array;
  /** For "dict": the values the Int8 indices in `data` point at. */
  dictionary?: string[];
  validity?: Uint8Array;
}

/** One table's rows of one chunk. */
export interface WasmTable {
  name: string;
  rows: number;
  columns: WasmColumn[];
}

/** What the reader reports at the end. */
export interface WasmFinish {
  tables: WasmTable[];
  first_time_ns: bigint;
  last_time_ns: bigint;
  events: bigint;
  warning: string | null;
  /** When the `derived_delays` rows are all of the `delays` view's (see
   * sql/web/derived_delays.sql), the statements that make `delays_shape`
   * and `delayed_goroutines` (sql/views.sql) say what their pass saw
   * (sql/delays_derived.sql); when not, null, and the views stay. */
  delays_facts_sql: string | null;
  /** The doctor's event evidence (a handle into wasm memory), for the wasm `doctor`. */
  doctor_evidence: DoctorEvidence;
}

/** Where loadTrace takes its rows from: the reader in this worker (a
 * {@link TraceParser}), or one in another worker (src/parse.ts). */
export interface ChunkSource {
  /** The next chunk's tables; undefined once the trace is read. */
  next(): WasmTable[] | undefined | Promise<WasmTable[] | undefined>;
  /** Fraction of the file read (0..1) by the chunks handed out so far. */
  progress(): number;
  /** The last tables and the trace-wide facts, after the last chunk. */
  finish(): WasmFinish | Promise<WasmFinish>;
  /** Lets go of the reader's memory (also after a failure). */
  free(): void;
}

/** A reader in this worker, `step` events per chunk. */
function localSource(parser: TraceParser, step: number): ChunkSource {
  return {
    next: () => parser.next_chunk(step) as WasmTable[] | undefined,
    progress: () => parser.progress(),
    finish: () => parser.finish() as WasmFinish,
    free: () => parser.free(),
  };
}

/** How loading went. */
export interface LoadResult {
  /** Events read (all of them, or those of the complete generations of a cut trace). */
  events: bigint;
  firstTimeNs: bigint;
  lastTimeNs: bigint;
  /** The CLI's one-line message when the trace was cut or broken after at
   * least one complete generation; null for a clean trace. */
  warning: string | null;
  /** The DuckDB version DuckDB-WASM carries. */
  duckdbVersion: string;
  /** The doctor's evidence from the events (a wasm handle for the wasm `doctor`; the caller frees it). */
  doctorEvidence: DoctorEvidence;
}

/** Options for {@link loadTrace}. */
export interface LoadOptions {
  /** Events per step of a reader in this worker (a {@link ChunkSource} has
   * its own): smaller steps report progress more often. */
  step?: number;
  /** Called after each step with the fraction of the file read (0..1). */
  onProgress?: (fraction: number) => void;
}

/** Builds one Arrow column from the reader's buffers, without copying them. */
function vector(c: WasmColumn, rows: number): Vector {
  const nullBitmap = c.validity;
  let data: Data;
  switch (c.type) {
    case "i64":
      data = makeData({ type: new Int64(), length: rows, data: c.data as BigInt64Array, nullBitmap });
      break;
    case "u64":
      data = makeData({ type: new Uint64(), length: rows, data: c.data as BigUint64Array, nullBitmap });
      break;
    case "bool":
      data = makeData({ type: new Bool(), length: rows, data: c.data as Uint8Array, nullBitmap });
      break;
    case "utf8":
      data = makeData({ type: new Utf8(), length: rows, data: c.data as Uint8Array, valueOffsets: c.offsets!, nullBitmap });
      break;
    case "dict":
      data = makeData({
        type: new Dictionary(new Utf8(), new Int8()),
        length: rows,
        data: c.data as Int8Array,
        dictionary: vectorFromArray(c.dictionary!, new Utf8()),
        nullBitmap,
      });
      break;
    default:
      throw new Error(`column ${c.name}: unknown column type ${(c as WasmColumn).type}`);
  }
  return makeVector(data);
}

/** The reader's chunk of one table as an Arrow table (columns in the schema's order). */
export function toArrow(t: WasmTable): Table {
  const cols: Record<string, Vector> = {};
  for (const c of t.columns) cols[c.name] = vector(c, t.rows);
  return new Table(cols);
}

async function insert(conn: Connection, tables: WasmTable[]): Promise<void> {
  for (const t of tables) await append(conn, t.name, toArrow(t));
}

/**
 * Parses `source` (the file's bytes, a parser already made from a streamed
 * TraceBuffer, or the chunks of a reader in another worker) with the wasm
 * reader (its module must be initialised) and
 * loads every table into `conn`, then adds what the CLI's `finish` adds
 * (crates/db/src/lib.rs): `std_packages`, `trace_info`, the views and the
 * `rel_time_ns` macro. Throws the CLI's one-line message for a file that is
 * not a trace, or that breaks before its first complete generation.
 */
export async function loadTrace(conn: Connection, source: Uint8Array | TraceParser | ChunkSource, opts: LoadOptions = {}): Promise<LoadResult> {
  const step = opts.step ?? 200_000;
  const rows =
    source instanceof Uint8Array ? localSource(new TraceParser(source), step) : source instanceof TraceParser ? localSource(source, step) : source;
  try {
    // A fresh in-memory database per trace, compressed: DuckDB's plain
    // in-memory tables take about 22 bytes per trace byte (905 MB for a 42 MB
    // trace), which puts a 200 MB trace past wasm32's 4 GB; compressed they
    // take a tenth of that, for about a quarter more load time.
    await conn.query(`use memory; detach database if exists ${TRACE_DB}; attach ':memory:' as ${TRACE_DB} (compress); use ${TRACE_DB};`);
    await conn.query(schemaSql);
    await conn.query(derivedDelaysSql);
    await conn.query(derivedDelayedGoroutinesSql);
    await conn.query(derivedGoroutineTotalsSql);
    // DuckDB compresses the appended rows at each checkpoint, by default
    // every 16 MB of them; every 64 MB, the 21 MB bench trace loaded about
    // 1 s (of 8) faster in Node, two runs each. A checkpoint at the end
    // compresses the rest.
    await conn.query("set checkpoint_threshold = '64MB'");
    for (;;) {
      const chunk = await rows.next();
      if (chunk === undefined) break;
      await insert(conn, chunk);
      opts.onProgress?.(rows.progress());
    }
    const end = await rows.finish();
    await insert(conn, end.tables);

    const packages = stdPackages.split("\n").filter((l) => l !== "");
    await append(conn, "std_packages", tableFromArrays({ path: packages }));
    const info: [string, string][] = [
      ["created_by", "schedstat"],
      ["first_time_ns", String(end.first_time_ns)],
      ["last_time_ns", String(end.last_time_ns)],
      ["events", String(end.events)],
    ];
    await append(conn, "trace_info", tableFromArrays({ key: info.map((r) => r[0]), value: info.map((r) => r[1]) }));
    await conn.query("checkpoint");
    await conn.query(viewsSql);
    // The goroutines' sums, from the rows the reader summed (every transition's).
    await conn.query(derivedGoroutineTotalsViewSql);
    if (end.delays_facts_sql !== null) {
      await conn.query(derivedDelaysViewSql);
      await conn.query(end.delays_facts_sql);
    } else {
      await conn.query("drop table derived_delays; drop table derived_delayed_goroutines;");
    }
    // sqlprof's rel_time_ns: time since the trace's first event (as the CLI defines it).
    await conn.query(`create macro rel_time_ns(_t_) as (_t_ - ${end.first_time_ns});`);

    const version = await conn.query("select version() as v");
    return {
      events: end.events,
      firstTimeNs: end.first_time_ns,
      lastTimeNs: end.last_time_ns,
      warning: end.warning,
      duckdbVersion: String(version.getChild("v")!.get(0)),
      doctorEvidence: end.doctor_evidence,
    };
  } finally {
    rows.free();
  }
}

/** The overall scheduling latency, as `schedstat TRACE --json` prints `.latency`. */
export interface LatencySummary {
  count: number;
  min_ns: number;
  avg_ns: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  max_ns: number;
}

function num(v: unknown): number {
  return v === null || v === undefined ? NaN : Number(v);
}

/** Runs the CLI's own `sql/report/latency_summary.sql` on a loaded database. */
export async function latencySummary(conn: Connection): Promise<LatencySummary> {
  const t = await conn.query(latencySummarySql);
  const row = t.get(0);
  if (!row) throw new Error("latency_summary.sql returned no row");
  const r = row.toJSON() as Record<string, unknown>;
  return {
    count: num(r.count),
    min_ns: num(r.min_ns),
    avg_ns: num(r.avg_ns),
    p50_ns: num(r.p50_ns),
    p90_ns: num(r.p90_ns),
    p99_ns: num(r.p99_ns),
    max_ns: num(r.max_ns),
  };
}
