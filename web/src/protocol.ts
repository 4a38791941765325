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

/** Progress of a load: phase and fraction 0..1 of the file. */
export interface Progress {
  phase: "reading" | "parsing" | "finishing";
  fraction: number;
}

/** Page → worker. Every request carries an id; the reply carries the same id. */
export type Request =
  | { id: number; kind: "load"; source: { file: File } | { url: string; name: string } }
  | { id: number; kind: "query"; sql: string; maxRows?: number }
  | { id: number; kind: "report"; options: string };

/** Worker → page. */
export type Reply =
  | { id: number; kind: "progress"; progress: Progress }
  | { id: number; kind: "ok"; value: unknown }
  | { id: number; kind: "error"; message: string };
