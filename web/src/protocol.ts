// The messages between the page (main thread) and its Web Worker, which owns
// the wasm reader and DuckDB-WASM. Kept in one file so both sides agree.

/** One value of a query result. Integers come as bigint (DuckDB's BIGINT,
 * UBIGINT, HUGEINT), other numbers as number; lists as arrays. */
export type Cell = bigint | number | string | boolean | null | Cell[];

/** A query's answer. */
export interface QueryResult {
  /** Column names. */
  columns: string[];
  /** DuckDB/Arrow type of each column, as Arrow prints it (e.g. "Int64", "Utf8"). */
  types: string[];
  rows: Cell[][];
  /** True when more rows existed than the maxRows asked for. */
  truncated: boolean;
}

/** What loading a trace reports when it is done. */
export interface Loaded {
  /** File name (or the URL's last part). */
  name: string;
  /** Size in bytes. */
  bytes: number;
  /** Events read. */
  events: number;
  firstTimeNs: bigint;
  lastTimeNs: bigint;
  /** The CLI's one-line message when the trace was cut (complete generations kept); null otherwise. */
  warning: string | null;
  duckdbVersion: string;
  /** Milliseconds spent reading the file, parsing + loading, in the worker. */
  timings: { readMs: number; parseLoadMs: number };
}

/** The first answer, from one quick pass over the file before the tables are
 * loaded (crates/wasm `quick_summary`): equal to `latency_summary.sql`. */
export interface QuickSummary {
  name: string;
  bytes: number;
  /** null when the trace has no runnable → running wait. */
  latency: { count: number; min_ns: number; avg_ns: number; p50_ns: number; p90_ns: number; p99_ns: number; max_ns: number; t0_ns: bigint; end_ns: bigint } | null;
  events: bigint;
  first_time_ns: bigint;
  last_time_ns: bigint;
  warning: string | null;
}

/** Progress of a load: phase and fraction 0..1 of the file. */
export interface Progress {
  phase: "reading" | "parsing" | "finishing";
  fraction: number;
}

/** Page → worker. Every request carries an id; the reply carries the same id. */
export type Request =
  | { id: number; kind: "load"; source: { file: File } | { url: string; name: string } }
  | { id: number; kind: "query"; sql: string; maxRows?: number }
  | { id: number; kind: "report"; options: string }
  | { id: number; kind: "doctor"; thresholds: string }
  /** The toolbox module's JSON for the loaded trace (loaded on first use):
   * `schedstat states --json`, or the requests view's bands. */
  | { id: number; kind: "toolbox"; what: ToolboxWhat };

/** What the toolbox module computes. */
export type ToolboxWhat = "states" | "request-bands";

/** The toolbox's answer: JSON text, and the read warning of a cut trace. */
export interface ToolboxReply {
  json: string;
  warning: string | null;
}

/** Worker → page. */
export type Reply =
  /** A load's reading progress and summary come on this port, straight from
   * the parsing worker (as Replies of the same id), not through the worker. */
  | { id: number; kind: "port"; port: MessagePort }
  | { id: number; kind: "progress"; progress: Progress }
  | { id: number; kind: "summary"; summary: QuickSummary }
  | { id: number; kind: "ok"; value: unknown }
  | { id: number; kind: "error"; message: string };
