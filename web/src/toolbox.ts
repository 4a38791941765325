// What the toolbox module (crates/wasm-toolbox, loaded only when the States
// or Requests tab opens) returns: the shapes of `schedstat states --json`
// and of the requests picture's bands, as serde writes them.

/** A node of the goroutine state graph (crates/analysis toolbox::states::Node). */
export interface StateNode {
  /** grstates's node name (`h` + SHA-256 of `key`). */
  id: string;
  key: string;
  kind: "initial" | "state" | "exit";
  /** The goroutine state (`EXIT` for exit nodes). */
  state: string;
  /** The stack, root first. */
  frames: { func: string; line: number }[];
  /** The DOT label: lines separated by `\n`. */
  label: string;
  /** Distinct per-goroutine transitions touching the node (grstates's rank). */
  count: number;
  /** The earliest event that led here, as `schedstat grep` prints it. */
  tooltip: string;
}

/** An edge of the state graph: transitions from one node to the next. */
export interface StateEdge {
  from: string;
  to: string;
  from_key: string;
  to_key: string;
  count: number;
  /** grstates's line width: 1 + 4·ln(count)/ln(max count). */
  penwidth: number;
  tooltip: string;
}

/** `schedstat states --json`. */
export interface StateGraph {
  nodes: StateNode[];
  edges: StateEdge[];
  max_weight: number;
}

/** `[from, to)` in ns after the band's start. */
export type NsRange = [number, number];

/** One band of the requests picture: a span, or a request's flattened timeline. */
export interface Band {
  g: number;
  kind: string;
  start_ns: number;
  length_ns: number;
  running: NsRange[];
  /** GC-assist ranges by reason. */
  assisting: Record<string, NsRange[]>;
  /** Waiting ranges by reason (`cpu`: runnable; `net`, `gc`, `syscall`, …). */
  waiting: Record<string, NsRange[]>;
}

/** One request: its summary band and every span of its tree (root first). */
export interface RequestBands {
  length_ns: number;
  total_run_ns: number;
  flat: Band;
  spans: Band[];
}

/** What the Requests tab draws (crates/wasm-toolbox `RequestPicture`). */
export interface RequestPicture {
  requests: RequestBands[];
}

/** A toolbox answer with the read warning of a cut trace (null otherwise). */
export interface WithWarning<T> {
  value: T;
  warning: string | null;
}
