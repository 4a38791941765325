// Pure helpers behind the timeline and the runnable chart: range arithmetic
// (zoom at a point, pan, clamp), axis ticks, state colours, the query rows
// turned into drawable intervals, and hit testing. No DOM here, so vitest
// checks them directly (test/timeline-model.test.ts).

import type { TraceSession } from "../client";
import type { Cell, Loaded } from "../protocol";

/** A time range in absolute trace ns (integers: they go into SQL placeholders). */
export interface Range {
  lo: number;
  hi: number;
}

/** What the timeline and the runnable chart share: the trace, and the
 * visible range, which the App owns (a spike click elsewhere sets it). */
export interface RangeViewProps {
  session: TraceSession;
  loaded: Loaded;
  range: Range;
  onRangeChange: (r: Range) => void;
}

/** The visible range as the views draw it: whole ns, at least 1 ns wide. */
export function visibleRange(loaded: Loaded, range: Range): { first: number; last: number; lo: number; hi: number } {
  const lo = Math.round(range.lo);
  return { first: Number(loaded.firstTimeNs), last: Number(loaded.lastTimeNs), lo, hi: Math.max(lo + 1, Math.round(range.hi)) };
}

/** Width in CSS px of the label column left of the plot. The timeline and
 * the runnable chart use the same one so that their x axes line up. */
export const GUTTER = 64;

/** The narrowest range one may zoom to: below a microsecond nothing in a Go
 * trace is resolved anyway (timestamps are tens of ns apart at best). */
export const MIN_SPAN_NS = 1_000;

/** Keeps `r` inside [first, last] and at least MIN_SPAN_NS wide (or the whole
 * trace when it is shorter), with integer ends. Moves rather than shrinks a
 * range that sticks out on one side, so panning stops at the edges without
 * changing the zoom. */
export function clampRange(r: Range, first: number, last: number): Range {
  const total = Math.max(1, last - first);
  let span = Math.min(Math.max(r.hi - r.lo, Math.min(MIN_SPAN_NS, total)), total);
  span = Math.round(span);
  let lo = Math.round(r.lo);
  if (lo < first) lo = first;
  if (lo + span > last) lo = last - span;
  return { lo, hi: lo + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping the time under `anchor`
 * (0..1 across the plot) where it is: what a wheel turn at the cursor does. */
export function zoomAt(r: Range, factor: number, anchor: number, first: number, last: number): Range {
  const span = r.hi - r.lo;
  const t = r.lo + span * anchor;
  const next = span * factor;
  return clampRange({ lo: t - next * anchor, hi: t - next * anchor + next }, first, last);
}

/** Pans by `fraction` of the visible span (negative: towards the start). */
export function pan(r: Range, fraction: number, first: number, last: number): Range {
  const d = (r.hi - r.lo) * fraction;
  return clampRange({ lo: r.lo + d, hi: r.hi + d }, first, last);
}

/** The SQL bucket for a range drawn `px` pixels wide: the ns one pixel
 * covers (at least 1), so intervals shorter than a pixel get merged. */
export function bucketNs(r: Range, px: number): number {
  return Math.max(1, Math.floor((r.hi - r.lo) / Math.max(1, Math.floor(px))));
}

/** Axis ticks for [lo, hi) relative to `origin`: a 1-2-5 step giving about
 * `target` ticks; values are absolute ns, labels in ms (or µs when the step
 * is below 0.1 ms) relative to the trace start. */
export function ticks(r: Range, origin: number, target: number): { t: number; label: string }[] {
  const span = r.hi - r.lo;
  if (!(span > 0) || target < 1) return [];
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: { t: number; label: string }[] = [];
  const first = Math.ceil((r.lo - origin) / step) * step;
  for (let rel = first; origin + rel <= r.hi && out.length < 1000; rel += step) {
    out.push({ t: origin + rel, label: relLabel(rel, step) });
  }
  return out;
}

/** A relative time as the axis writes it: µs below a 0.1 ms step, else ms,
 * with as many decimals as the step needs to be written exactly. */
export function relLabel(relNs: number, stepNs: number): string {
  const [unit, div] = stepNs < 100_000 ? ["µs", 1_000] : ["ms", 1_000_000];
  const step = stepNs / div;
  let dec = 0;
  while (dec < 6 && Math.abs(step * 10 ** dec - Math.round(step * 10 ** dec)) > 1e-6) dec++;
  return `${(relNs / div).toFixed(dec)}${unit}`;
}

/** ms relative to the trace start with 3 decimals, for the range readout. */
export function relMs(t: number, origin: number): string {
  return ((t - origin) / 1e6).toFixed(3);
}

/** What a stretch of a lane is: a goroutine state, a P held by a thread
 * without a goroutine, or one of the GC's ranges. */
export type Kind = "running" | "runnable" | "waiting" | "syscall" | "gc" | "gcmark" | "stw" | "held";

/** One colour per kind; the legend lists them in this order. */
export const COLORS: Record<Kind, string> = {
  running: "#2f9e44",
  runnable: "#f08c00",
  waiting: "#e8b4b4",
  syscall: "#3b6fd4",
  gc: "#9c36b5",
  gcmark: "#d8b4e6",
  stw: "#5f1d78",
  held: "#e3e6eb",
};

/** Legend labels. */
export const LEGEND: [Kind, string][] = [
  ["running", "running"],
  ["runnable", "runnable (waiting for a P)"],
  ["waiting", "blocked"],
  ["syscall", "syscall"],
  ["gc", "GC work (mark workers, assists, sweeps)"],
  ["gcmark", "GC mark phase"],
  ["stw", "stop-the-world"],
  ["held", "P held, no goroutine"],
];

/** The kind a row is drawn as: GC mark workers' running time counts as GC;
 * GC ranges by name. */
export function kindOf(state: string, g: number | null, gcWorkers: ReadonlySet<number>): Kind {
  if ((state === "running" || state === "syscall") && g !== null && gcWorkers.has(g)) return "gc";
  switch (state) {
    case "running":
    case "runnable":
    case "waiting":
    case "syscall":
    case "held":
      return state;
  }
  if (state.startsWith("stop-the-world")) return "stw";
  if (state === "GC concurrent mark phase") return "gcmark";
  return "gc";
}

/** One drawable stretch of a lane, from a query row. A merged row (n > 1)
 * stands for `n` intervals shorter than a pixel in [start, end). */
export interface Interval {
  start: number;
  end: number;
  /** Time of the row's intervals inside the queried range. */
  busy: number;
  n: number;
  /** Goroutine state, 'held', or a GC range's name. */
  state: string;
  /** The goroutine (P lanes: the one that took most of the time; null for 'held' and GC). */
  g: number | null;
}

const num = (c: Cell): number => (c === null ? NaN : Number(c));

/** Groups query rows into intervals per lane id (sorted by start, as the
 * SQL orders them). Column names are looked up, so the SQL can add columns. */
export function groupRows(
  columns: string[],
  rows: Cell[][],
  opts: { lane: string; state: string; g?: string; laneFilter?: (row: Cell[], col: (name: string) => number) => boolean },
): Map<number, Interval[]> {
  const col = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`query result lacks column ${name}`);
    return i;
  };
  const [iLane, iState, iStart, iEnd, iBusy, iN] = [opts.lane, opts.state, "start_ns", "end_ns", "busy_ns", "n"].map(col);
  const iG = opts.g ? col(opts.g) : -1;
  const out = new Map<number, Interval[]>();
  for (const row of rows) {
    if (opts.laneFilter && !opts.laneFilter(row, col)) continue;
    const lane = num(row[iLane]);
    let list = out.get(lane);
    if (!list) out.set(lane, (list = []));
    const g = iG >= 0 && row[iG] !== null ? num(row[iG]) : null;
    list.push({ start: num(row[iStart]), end: num(row[iEnd]), busy: num(row[iBusy]), n: num(row[iN]), state: String(row[iState]), g });
  }
  return out;
}

/** A lane's intervals (sorted by start) indexed for hit testing: a running
 * maximum of ends lets the search walk back only as far as an interval can
 * still reach `t`, however long (a goroutine blocked for the whole range). */
export class LaneIndex {
  readonly list: readonly Interval[];
  private maxEnd: Float64Array;

  constructor(list: readonly Interval[]) {
    this.list = list;
    this.maxEnd = new Float64Array(list.length);
    let m = -Infinity;
    list.forEach((iv, i) => {
      m = Math.max(m, iv.end);
      this.maxEnd[i] = m;
    });
  }

  /** The interval under time `t`, else the nearest within `slack` ns.
   * Among several: one containing `t`, then an unmerged one, then the
   * shortest (the most specific: a run inside a long syscall). */
  at(t: number, slack: number): Interval | null {
    const list = this.list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].start <= t + slack) lo = mid + 1;
      else hi = mid;
    }
    let best: Interval | null = null;
    let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
    for (let i = lo - 1; i >= 0 && this.maxEnd[i] >= t - slack; i--) {
      const iv = list[i];
      if (iv.end < t - slack) continue;
      const dist = t < iv.start ? iv.start - t : t > iv.end ? t - iv.end : 0;
      const key: [number, number, number] = [dist, iv.n > 1 ? 1 : 0, iv.end - iv.start];
      if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
        bestKey = key;
        best = iv;
      }
    }
    return best;
  }
}

/** Which lanes (indices into the goroutine lane list) a query should fetch
 * so that the visible ones [first, last) are covered: a block of `size`
 * lanes around them, reused while the visible ones stay inside it. */
export function laneWindow(first: number, last: number, count: number, size: number, current?: { from: number; to: number }): { from: number; to: number } {
  if (count <= 0) return { from: 0, to: 0 };
  if (current && current.from <= first && Math.min(last, count) <= current.to && current.to <= count && current.to - current.from <= size) {
    return current;
  }
  const visible = Math.max(1, last - first);
  const pad = Math.max(0, Math.floor((size - visible) / 2));
  const from = Math.max(0, Math.min(first - pad, count - size));
  return { from, to: Math.min(count, from + size) };
}

/** The transition that began an interval (sql/web/interval_detail.sql). */
export interface Cause {
  from_state: string;
  to_state: string;
  reason: string | null;
  src_g: number | null;
  funcs: string[] | null;
  src_funcs: string[] | null;
}

/**
 * Says in words why a goroutine entered the state of an interval (what it
 * blocked on and where, who created or unblocked it, that it was preempted)
 * or, with `ended`, what it did when the interval ended ("then blocked on
 * …", "then exited"). `stack` renders a stack (the page shortens them).
 */
export function explainCause(c: Cause, stack: (f: string[] | null) => string, ended = false): string[] {
  const lines = causeLines(c, stack);
  return ended ? [`then ${lines[0]}`, ...lines.slice(1)] : lines;
}

function causeLines(c: Cause, stack: (f: string[] | null) => string): string[] {
  const by = c.src_g !== null ? `G${c.src_g}` : "the runtime";
  switch (c.to_state) {
    case "waiting":
      return [`blocked on: ${c.reason || "unknown reason"}`, `at ${stack(c.funcs)}`];
    case "runnable":
      switch (c.from_state) {
        case "notexist":
          return [`created by ${by}`, `at ${stack(c.src_funcs)}`];
        case "waiting":
          return [`unblocked by ${by}`, `at ${stack(c.src_funcs)}`];
        case "running":
          return [c.reason === "preempted" ? "preempted" : `yielded${c.reason ? ` (${c.reason})` : ""}`, `at ${stack(c.funcs)}`];
        case "syscall":
          return ["back from a syscall, waiting for a P"];
        default:
          return [`runnable (was ${c.from_state})`];
      }
    case "syscall":
      return [`entered a syscall at ${stack(c.funcs)}`];
    case "running":
      return [c.from_state === "syscall" ? "back from a syscall, kept its P" : `started running (was ${c.from_state})`];
    case "notexist":
      return ["exited"];
    default:
      return [`${c.from_state} → ${c.to_state}${c.reason ? ` (${c.reason})` : ""}`];
  }
}
