// The timeline: one swimlane per P (what ran on it, and when a thread held
// it), a GC lane, and one lane per goroutine active in the visible range,
// drawn on a canvas. Only what is visible is queried: the SQL of
// sql/web/timeline_*.sql clips to the range and merges intervals shorter
// than a pixel, goroutine lanes are fetched a window of LANE_WINDOW at a
// time around the scroll position, and a new range is queried after the
// zoom or pan settles (debounced, newest request only).

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { TraceSession } from "../client";
import { dur, funcs } from "../format";
import type { Loaded, QueryResult } from "../protocol";
import { bind } from "../sql";
import { Latest } from "./latest";
import {
  COLORS,
  GUTTER,
  LEGEND,
  LaneIndex,
  bucketNs,
  clampRange,
  explainCause,
  groupRows,
  kindOf,
  laneWindow,
  pan,
  relMs,
  ticks,
  zoomAt,
  type Cause,
  type Interval,
  type Range,
  type RangeViewProps,
  visibleRange,
} from "./timeline-model";
import { useElementWidth } from "./use-width";
import "./components.css";

import prepareSql from "../../../sql/web/timeline_prepare.sql?raw";
import procsSql from "../../../sql/web/timeline_procs.sql?raw";
import gcWorkersSql from "../../../sql/web/timeline_gc_workers.sql?raw";
import pSql from "../../../sql/web/timeline_p.sql?raw";
import gcSql from "../../../sql/web/timeline_gc.sql?raw";
import lanesSql from "../../../sql/web/timeline_lanes.sql?raw";
import gSql from "../../../sql/web/timeline_g.sql?raw";
import namesSql from "../../../sql/web/goroutine_names.sql?raw";
import detailSql from "../../../sql/web/interval_detail.sql?raw";

/** Heights in CSS px. */
const AXIS_H = 22;
const GC_H = 14;
const GAP = 8;
const G_H = 14;
/** The canvas' height when there are lanes enough to scroll. */
const VIEW_H = 540;
/** Goroutine lanes fetched per query, around the visible ones. */
const LANE_WINDOW = 200;
/** Most goroutine lanes listed for one range (ids only). */
const LANE_LIMIT = 50_000;
/** Most interval rows per query: with merging, a lane needs at most about
 * two rows per pixel, so this is only hit by very wide, very busy views. */
const ROW_LIMIT = 150_000;
/** Quiet time after the last zoom or pan step before querying, ms. */
const DEBOUNCE_MS = 120;

/** The trace-wide facts the timeline needs, computed once per loaded trace:
 * the temp tables of timeline_prepare.sql, the Ps, the GC mark workers. */
interface Static {
  procs: number[];
  gcWorkers: Set<number>;
}

const prepared = new WeakMap<TraceSession, { loaded: Loaded; p: Promise<Static> }>();

/** Once per trace (the WeakMap keeps it across tab switches, and a new
 * Loaded, i.e. a new trace, makes it again). */
function prepare(session: TraceSession, loaded: Loaded): Promise<Static> {
  const have = prepared.get(session);
  if (have && have.loaded === loaded) return have.p;
  const p = (async () => {
    await session.query(prepareSql, 1);
    const procs = await session.query(procsSql, 10_000);
    const workers = await session.query(gcWorkersSql, 100_000);
    return {
      procs: procs.rows.map((r) => Number(r[0])),
      gcWorkers: new Set(workers.rows.map((r) => Number(r[0]))),
    };
  })();
  p.catch(() => prepared.delete(session));
  prepared.set(session, { loaded, p });
  return p;
}

/** Indexes every lane's intervals for hit testing. */
function indexLanes(m: Map<number, Interval[]>): Map<number, LaneIndex> {
  const out = new Map<number, LaneIndex>();
  for (const [k, v] of m) out.set(k, new LaneIndex(v));
  return out;
}

/** What one range's queries brought back (everything but goroutine lanes' intervals). */
interface RangeData {
  key: string;
  pRun: Map<number, LaneIndex>;
  pHeld: Map<number, LaneIndex>;
  gcGlobal: LaneIndex;
  gcByP: Map<number, LaneIndex>;
  gcByG: Map<number, LaneIndex>;
  /** Goroutines with a lane, by id. */
  lanes: number[];
  /** How many goroutines qualified (lanes may hold fewer: LANE_LIMIT). */
  laneTotal: number;
  truncated: boolean;
}

/** Goroutine lanes' intervals for one range and window of ids. */
interface GData {
  key: string;
  rows: Map<number, LaneIndex>;
  truncated: boolean;
}

interface RangeParams {
  key: string;
  lo: number;
  hi: number;
  bucket: number;
}

interface GParams extends RangeParams {
  gFrom: number;
  gTo: number;
}

interface Hover {
  x: number;
  y: number;
  lines: string[];
  /** The goroutine interval under the pointer, whose cause the tooltip looks
   * up: the transition at `at` that began it (or ended it, for a run). */
  cause?: { g: number; at: number; ended: boolean };
}

const rangeKey = (lo: number, hi: number, bucket: number) => `${lo}:${hi}:${bucket}`;

/** Swimlanes of Ps, GC and goroutines over `range`, zoomable and pannable
 * with the mouse and W/A/S/D; the App owns the range (other views set it). */
export function Timeline({ session, loaded, range, onRangeChange }: RangeViewProps) {
  const { first, last, lo, hi } = visibleRange(loaded, range);

  const scrollerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const width = useElementWidth(scrollerRef);
  const [scrollTop, setScrollTop] = useState(0);
  const [stat, setStat] = useState<Static | null>(null);
  const [rangeData, setRangeData] = useState<RangeData | null>(null);
  const [gData, setGData] = useState<GData | null>(null);
  const [names, setNames] = useState<Map<number, string>>(() => new Map());
  const [busy, setBusy] = useState({ range: false, g: false });
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const [cause, setCause] = useState<{ key: string; lines: string[] } | null>(null);

  const plotW = Math.max(1, width - GUTTER);
  const bucket = bucketNs({ lo, hi }, plotW);

  // Geometry: P lanes shrink when there are many Ps.
  const procs = stat?.procs ?? [];
  const pH = procs.length > 24 ? 8 : procs.length > 12 ? 12 : 18;
  const header = AXIS_H + GC_H + procs.length * pH + GAP;
  const lanes = rangeData?.lanes ?? [];
  const contentH = header + lanes.length * G_H + 4;
  const viewH = Math.max(Math.min(contentH, VIEW_H), header + 4 * G_H);

  // The latest props for the native wheel listener and the key handler.
  const live = useRef({ lo, hi, first, last, plotW, onRangeChange });
  live.current = { lo, hi, first, last, plotW, onRangeChange };

  // ---- data -------------------------------------------------------------

  useEffect(() => {
    let stop = false;
    setStat(null);
    prepare(session, loaded).then(
      (s) => !stop && setStat(s),
      (e: Error) => !stop && setError(e.message),
    );
    return () => {
      stop = true;
    };
  }, [session, loaded]);

  const rangeRunner = useRef<Latest<RangeParams, RangeData> | null>(null);
  const gRunner = useRef<Latest<GParams, { g: GData; names: QueryResult | null }> | null>(null);
  const namesFetched = useRef(new Set<string>());

  useEffect(() => {
    const end = last;
    const range = new Latest<RangeParams, RangeData>(
      async ({ key, lo, hi, bucket }) => {
        const params = { lo_ns: lo, hi_ns: hi, end_ns: end, first_ns: first, bucket_ns: bucket, limit: ROW_LIMIT };
        const [p, gc, ls] = await Promise.all([
          session.query(bind(pSql, params), ROW_LIMIT),
          session.query(bind(gcSql, params), ROW_LIMIT),
          session.query(bind(lanesSql, { ...params, limit: LANE_LIMIT }), LANE_LIMIT),
        ]);
        const held = (row: unknown[], col: (n: string) => number) => row[col("state")] === "held";
        const gcRows = (lane: string) => (row: unknown[], col: (n: string) => number) => row[col("lane")] === lane;
        const iTotal = ls.columns.indexOf("total");
        return {
          key,
          pRun: indexLanes(groupRows(p.columns, p.rows, { lane: "p", state: "state", g: "g", laneFilter: (r, c) => !held(r, c) })),
          pHeld: indexLanes(groupRows(p.columns, p.rows, { lane: "p", state: "state", g: "g", laneFilter: held })),
          gcGlobal: new LaneIndex(groupRows(gc.columns, gc.rows, { lane: "id", state: "name", laneFilter: gcRows("gc") }).get(0) ?? []),
          gcByP: indexLanes(groupRows(gc.columns, gc.rows, { lane: "id", state: "name", laneFilter: gcRows("p") })),
          gcByG: indexLanes(groupRows(gc.columns, gc.rows, { lane: "id", state: "name", laneFilter: gcRows("g") })),
          lanes: ls.rows.map((r) => Number(r[0])),
          laneTotal: ls.rows.length > 0 ? Number(ls.rows[0][iTotal]) : 0,
          truncated: p.truncated || gc.truncated || ls.truncated,
        };
      },
      (_p, d) => {
        setRangeData(d);
        setError(null);
        setBusy((b) => ({ ...b, range: range.active }));
      },
      (_p, e) => {
        setError(e.message);
        setBusy((b) => ({ ...b, range: range.active }));
      },
    );
    const g = new Latest<GParams, { g: GData; names: QueryResult | null }>(
      async ({ key, lo, hi, bucket, gFrom, gTo }) => {
        const params = { lo_ns: lo, hi_ns: hi, end_ns: end, bucket_ns: bucket, g_from: gFrom, g_to: gTo, limit: ROW_LIMIT };
        const nameKey = `${gFrom}:${gTo}`;
        const [rows, nm] = await Promise.all([
          session.query(bind(gSql, params), ROW_LIMIT),
          namesFetched.current.has(nameKey) ? Promise.resolve(null) : session.query(bind(namesSql, { g_from: gFrom, g_to: gTo }), 100_000),
        ]);
        if (nm) namesFetched.current.add(nameKey);
        return { g: { key, rows: indexLanes(groupRows(rows.columns, rows.rows, { lane: "g", state: "state", g: "g" })), truncated: rows.truncated }, names: nm };
      },
      (_p, r) => {
        setGData(r.g);
        if (r.names) {
          const res = r.names;
          setNames((old) => {
            const m = new Map(old);
            for (const row of res.rows) m.set(Number(row[0]), row[1] === null ? "" : String(row[1]));
            return m;
          });
        }
        setBusy((b) => ({ ...b, g: g.active }));
      },
      (_p, e) => {
        setError(e.message);
        setBusy((b) => ({ ...b, g: g.active }));
      },
    );
    rangeRunner.current = range;
    gRunner.current = g;
    namesFetched.current = new Set();
    setNames(new Map());
    setRangeData(null);
    setGData(null);
    return () => {
      range.stop();
      g.stop();
    };
  }, [session, loaded, first, last]);

  // The tooltip's "why": the transition that began the interval under the
  // pointer, looked up once the pointer rests on it.
  const causeRunner = useRef<Latest<{ key: string; g: number; at: number; ended: boolean }, { key: string; lines: string[] }> | null>(null);
  useEffect(() => {
    const r = new Latest<{ key: string; g: number; at: number; ended: boolean }, { key: string; lines: string[] }>(
      async ({ key, g, at, ended }) => {
        const res = await session.query(bind(detailSql, { g, at_ns: at }), 1);
        if (res.rows.length === 0) return { key, lines: [] };
        const row = Object.fromEntries(res.columns.map((c, i) => [c, res.rows[0][i]]));
        const c: Cause = {
          from_state: String(row.from_state),
          to_state: String(row.to_state),
          reason: row.reason === null ? null : String(row.reason),
          src_g: row.src_g === null ? null : Number(row.src_g),
          funcs: Array.isArray(row.funcs) ? row.funcs.map(String) : null,
          src_funcs: Array.isArray(row.src_funcs) ? row.src_funcs.map(String) : null,
        };
        return { key, lines: explainCause(c, (f) => funcs(f, 4), ended) };
      },
      (_p, d) => setCause(d),
      () => {},
    );
    causeRunner.current = r;
    return () => r.stop();
  }, [session, loaded]);
  const causeKey = hover?.cause ? `${hover.cause.g}:${hover.cause.at}:${hover.cause.ended}` : null;
  useEffect(() => {
    if (!hover?.cause || !causeKey || cause?.key === causeKey) return;
    const { g, at, ended } = hover.cause;
    const t = setTimeout(() => causeRunner.current?.request({ key: causeKey, g, at, ended }), 150);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [causeKey]);

  // A new range: its P, GC and lane list queries, once the zoom settles.
  useEffect(() => {
    if (!stat || width === 0) return;
    const key = rangeKey(lo, hi, bucket);
    if (rangeData?.key === key) {
      setBusy((b) => ({ ...b, range: rangeRunner.current?.active ?? false }));
      return;
    }
    setBusy((b) => ({ ...b, range: true }));
    const t = setTimeout(() => rangeRunner.current?.request({ key, lo, hi, bucket }), DEBOUNCE_MS);
    return () => clearTimeout(t);
    // rangeData is read only to skip a range already shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stat, lo, hi, bucket, width]);

  // Goroutine lanes: the window of ids around the visible lanes, for the
  // current range (with the lane list known so far: lanes rarely change
  // between zoom steps, and when they do the new list asks again).
  const windowRef = useRef<{ from: number; to: number } | undefined>(undefined);
  const firstLane = Math.max(0, Math.floor(scrollTop / G_H));
  const lastLane = Math.min(lanes.length, Math.ceil((scrollTop + viewH - header) / G_H));
  const win = laneWindow(firstLane, lastLane, lanes.length, LANE_WINDOW, windowRef.current);
  windowRef.current = win;
  const gFrom = lanes.length > 0 ? lanes[win.from] : -1;
  const gTo = lanes.length > 0 ? lanes[win.to - 1] : -1;
  const gKey = `${rangeKey(lo, hi, bucket)}:${gFrom}:${gTo}`;
  useEffect(() => {
    if (!stat || width === 0 || gFrom < 0) return;
    const key = gKey;
    if (gData?.key === key) {
      setBusy((b) => ({ ...b, g: gRunner.current?.active ?? false }));
      return;
    }
    setBusy((b) => ({ ...b, g: true }));
    const t = setTimeout(() => gRunner.current?.request({ key, lo, hi, bucket, gFrom, gTo }), DEBOUNCE_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stat, lo, hi, bucket, width, gFrom, gTo]);

  // ---- size -------------------------------------------------------------


  // Keep the scroll position valid when the lane list shrinks.
  useEffect(() => {
    const el = scrollerRef.current;
    if (el && el.scrollTop > Math.max(0, contentH - viewH)) el.scrollTop = Math.max(0, contentH - viewH);
  }, [contentH, viewH]);

  // ---- drawing ------------------------------------------------------------

  const gcWorkers = stat?.gcWorkers ?? EMPTY_SET;
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(width * dpr);
    const h = Math.round(viewH * dpr);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw(ctx, {
      width,
      height: viewH,
      lo,
      hi,
      first,
      procs,
      pH,
      header,
      lanes,
      scrollTop,
      rangeData,
      gData,
      gcWorkers,
    });
  }, [width, viewH, lo, hi, first, procs, pH, header, lanes, scrollTop, rangeData, gData, gcWorkers]);

  // ---- interaction --------------------------------------------------------

  const setRange = useCallback((r: Range) => {
    const L = live.current;
    const c = clampRange(r, L.first, L.last);
    if (c.lo !== L.lo || c.hi !== L.hi) L.onRangeChange(c);
  }, []);

  // Wheel: zoom at the cursor; horizontal wheel pans; shift+wheel scrolls the lanes.
  useEffect(() => {
    const el = scrollerRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const L = live.current;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      const dx = e.deltaX * unit;
      const dy = e.deltaY * unit;
      if (e.shiftKey) {
        e.preventDefault();
        el.scrollTop += dy || dx;
        return;
      }
      e.preventDefault();
      const rect = el.getBoundingClientRect();
      if (Math.abs(dx) > Math.abs(dy)) {
        setRange(pan({ lo: L.lo, hi: L.hi }, dx / L.plotW, L.first, L.last));
        return;
      }
      const anchor = Math.min(1, Math.max(0, (e.clientX - rect.left - GUTTER) / L.plotW));
      setRange(zoomAt({ lo: L.lo, hi: L.hi }, Math.exp(dy * 0.0015), anchor, L.first, L.last));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [setRange]);

  // Drag to pan (pointer capture keeps it going outside the canvas).
  const drag = useRef<{ x: number; lo: number; hi: number; moved: boolean } | null>(null);
  const mouseX = useRef<number | null>(null);

  const onPointerDown = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, lo, hi, moved: false };
    setHover(null);
  };
  const onPointerMove = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    mouseX.current = x;
    const d = drag.current;
    if (d) {
      const dx = e.clientX - d.x;
      if (Math.abs(dx) > 2) d.moved = true;
      if (d.moved) setRange(pan({ lo: d.lo, hi: d.hi }, -dx / plotW, first, last));
      return;
    }
    setHover(describe(x, y));
  };
  const onPointerUp = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (drag.current) e.currentTarget.releasePointerCapture(e.pointerId);
    drag.current = null;
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const mx = mouseX.current;
    const anchor = mx !== null && mx > GUTTER ? Math.min(1, (mx - GUTTER) / plotW) : 0.5;
    const r = { lo, hi };
    switch (e.key.toLowerCase()) {
      case "w":
        setRange(zoomAt(r, 0.8, anchor, first, last));
        break;
      case "s":
        setRange(zoomAt(r, 1.25, anchor, first, last));
        break;
      case "a":
        setRange(pan(r, -0.15, first, last));
        break;
      case "d":
        setRange(pan(r, 0.15, first, last));
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  /** The tooltip's lines for the point (x, y) of the canvas, or null. */
  const describe = (x: number, y: number): Hover | null => {
    if (x < GUTTER || y < AXIS_H || !rangeData) return null;
    const t = lo + ((x - GUTTER) / plotW) * (hi - lo);
    const slack = (3 * (hi - lo)) / plotW;
    const span = (iv: Interval) =>
      iv.n > 1
        ? `${iv.n} intervals of less than a pixel, ${dur(iv.busy)} in all (shown as the state that took most of it)`
        : `${dur(iv.end - iv.start)}, from +${relMs(iv.start, first)} ms to +${relMs(iv.end, first)} ms`;
    const gName = (g: number | null) => (g === null ? "" : `G${g}${names.get(g) ? ` ${names.get(g)}` : ""}`);
    const stateName = (iv: Interval) => (iv.g !== null && gcWorkers.has(iv.g) && iv.state === "running" ? "running (GC mark worker)" : iv.state);
    if (y < AXIS_H + GC_H) {
      const iv = rangeData.gcGlobal.at(t, slack);
      return iv ? { x, y, lines: [iv.state, span(iv)] } : null;
    }
    if (y < header - GAP) {
      const p = procs[Math.floor((y - AXIS_H - GC_H) / pH)];
      if (p === undefined) return null;
      const run = rangeData.pRun.get(p)?.at(t, slack);
      if (run)
        return {
          x,
          y,
          lines: [`P${p}: ${gName(run.g)}`, stateName(run), span(run)],
          cause: run.n === 1 && run.g !== null && run.end < last ? { g: run.g, at: run.end, ended: true } : undefined,
        };
      const sweep = rangeData.gcByP.get(p)?.at(t, slack);
      if (sweep) return { x, y, lines: [`P${p}: ${sweep.state}`, span(sweep)] };
      const held = rangeData.pHeld.get(p)?.at(t, slack);
      if (held) return { x, y, lines: [`P${p}: held by a thread, no goroutine running`, span(held)] };
      return { x, y, lines: [`P${p}: idle`] };
    }
    if (y < header) return null;
    const g = lanes[Math.floor((y - header + scrollTop) / G_H)];
    if (g === undefined) return null;
    const assist = rangeData.gcByG.get(g)?.at(t, 0);
    const iv = gData?.rows.get(g)?.at(t, slack);
    const lines = [gName(g)];
    if (iv) lines.push(stateName(iv), span(iv));
    else lines.push("not alive here (not created yet, or exited)");
    if (assist) lines.push(`${assist.state}: ${span(assist)}`);
    const cause =
      !iv || iv.n > 1
        ? undefined
        : iv.state === "running"
          ? iv.end < last
            ? { g, at: iv.end, ended: true }
            : undefined
          : { g, at: iv.start, ended: false };
    return { x, y, lines, cause };
  };

  // ---- render -------------------------------------------------------------

  // Ready only when what is drawn is the current range's: derived from the
  // data's keys, since the busy flags are set by effects that run only after
  // a frame with new props is painted.
  const shown = rangeData?.key === rangeKey(lo, hi, bucket) && (lanes.length === 0 || gData?.key === gKey);
  const loading = !stat || width === 0 || !shown || busy.range || busy.g;
  const stageTop = scrollerRef.current?.offsetTop ?? 0;
  const legend = useMemo(
    () =>
      LEGEND.map(([k, label]) => (
        <span key={k} className="legend-item">
          <i style={{ background: COLORS[k] }} />
          {label}
        </span>
      )),
    [],
  );

  return (
    <div className="timeline" data-testid="timeline" data-state={loading ? "loading" : "ready"} data-lanes={lanes.length}>
      <div className="timeline-bar">
        <span className="timeline-range mono" data-testid="timeline-range" data-lo-ns={lo} data-hi-ns={hi}>
          {relMs(lo, first)} – {relMs(hi, first)} ms <span className="muted">({dur(hi - lo)} shown)</span>
        </span>
        <span className="muted">
          {rangeData
            ? `${rangeData.laneTotal.toLocaleString("en-US")} goroutines active in range${rangeData.laneTotal > lanes.length ? `, first ${lanes.length.toLocaleString("en-US")} shown` : ""}`
            : ""}
          {rangeData?.truncated || gData?.truncated ? " · some rows left out (too many): zoom in" : ""}
        </span>
        <span className="muted hint">wheel: zoom · drag: pan · W/S zoom, A/D pan (click first) · shift+wheel: scroll lanes</span>
        <button type="button" onClick={() => setRange({ lo: first, hi: last })}>
          Whole trace
        </button>
        {loading && <span className="spinner" aria-label="loading" />}
      </div>
      {error && <p className="error">{error}</p>}
      <div
        className="timeline-scroller"
        ref={scrollerRef}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        style={{ height: viewH }}
      >
        <canvas
          ref={canvasRef}
          data-testid="timeline-canvas"
          className="timeline-canvas"
          style={{ width: width || "100%", height: viewH }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => {
            mouseX.current = null;
            setHover(null);
          }}
        />
        <div style={{ height: Math.max(0, contentH - viewH) }} />
      </div>
      {hover && (
        <div
          className="tooltip"
          data-testid="timeline-tooltip"
          style={{ left: Math.min(hover.x + 14, Math.max(0, width - 340)), top: stageTop + Math.min(hover.y + 14, viewH - 60) }}
        >
          {hover.lines.map((l, i) => (
            <div key={i} className={i === 0 ? "tooltip-title" : undefined}>
              {l}
            </div>
          ))}
          {causeKey !== null &&
            cause?.key === causeKey &&
            cause.lines.map((l, i) => (
              <div key={`c${i}`} className="tooltip-why">
                {l}
              </div>
            ))}
        </div>
      )}
      <div className="legend">{legend}</div>
    </div>
  );
}

const EMPTY_SET: ReadonlySet<number> = new Set();

interface Scene {
  width: number;
  height: number;
  lo: number;
  hi: number;
  first: number;
  procs: number[];
  pH: number;
  header: number;
  lanes: number[];
  scrollTop: number;
  rangeData: RangeData | null;
  gData: GData | null;
  gcWorkers: ReadonlySet<number>;
}

/** Draws the whole canvas: axis, GC lane, P lanes, goroutine lanes (scrolled), labels. */
function draw(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { width, height, lo, hi, header } = s;
  const plotW = Math.max(1, width - GUTTER);
  const scale = plotW / (hi - lo);
  const xOf = (t: number) => GUTTER + (t - lo) * scale;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, monospace";
  ctx.textBaseline = "middle";

  /** Draws one lane's intervals in [y, y + h): merged rows fade with how
   * much of their pixel they fill; wide runs on P lanes get their goroutine id. */
  const lane = (list: readonly Interval[] | undefined, y: number, h: number, opts: { label?: boolean; minAlpha?: number } = {}) => {
    if (!list) return;
    for (const iv of list) {
      if (iv.end < lo || iv.start > hi) continue;
      const x0 = xOf(Math.max(iv.start, lo));
      const x1 = xOf(Math.min(iv.end, hi));
      const w = Math.max(1, x1 - x0);
      const kind = kindOf(iv.state, iv.g, s.gcWorkers);
      ctx.globalAlpha = iv.n > 1 ? Math.min(1, Math.max(opts.minAlpha ?? 0.45, iv.busy / Math.max(1, iv.end - iv.start))) : 1;
      ctx.fillStyle = COLORS[kind];
      ctx.fillRect(x0, y, w, h);
      if (opts.label && iv.n === 1 && iv.g !== null && w > 40 && h >= 10) {
        ctx.globalAlpha = 1;
        ctx.fillStyle = kind === "waiting" || kind === "held" ? "#333" : "#fff";
        const text = `G${iv.g}`;
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, y, w, h);
        ctx.clip();
        ctx.fillText(text, Math.max(x0, GUTTER) + 3, y + h / 2 + 0.5);
        ctx.restore();
      }
    }
    ctx.globalAlpha = 1;
  };

  // Grid and axis ticks.
  const tk = ticks({ lo, hi }, s.first, Math.max(2, Math.floor(plotW / 110)));
  ctx.strokeStyle = "#eef0f3";
  ctx.lineWidth = 1;
  for (const { t } of tk) {
    const x = Math.round(xOf(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, AXIS_H);
    ctx.lineTo(x, height);
    ctx.stroke();
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, 0, plotW, height);
  ctx.clip();

  // Goroutine lanes first (they scroll under the fixed header).
  const d = s.rangeData;
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, header, plotW, height - header);
  ctx.clip();
  const firstLane = Math.max(0, Math.floor(s.scrollTop / G_H));
  const lastLane = Math.min(s.lanes.length, Math.ceil((s.scrollTop + height - header) / G_H));
  for (let i = firstLane; i < lastLane; i++) {
    const g = s.lanes[i];
    const y = header + i * G_H - s.scrollTop;
    lane(s.gData?.rows.get(g)?.list, y + 1, G_H - 2);
    // Mark assists: a strip along the lane's bottom.
    lane(d?.gcByG.get(g)?.list, y + G_H - 4, 3);
  }
  ctx.restore();

  // Header: GC lane and P lanes over a white band.
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(GUTTER, AXIS_H, plotW, header - AXIS_H);
  const gcY = AXIS_H;
  if (d) {
    const list = d.gcGlobal.list;
    // Mark phases under pauses.
    lane(
      list.filter((iv) => !iv.state.startsWith("stop-the-world")),
      gcY + 2,
      GC_H - 4,
    );
    lane(
      list.filter((iv) => iv.state.startsWith("stop-the-world")),
      gcY + 1,
      GC_H - 2,
    );
  }
  s.procs.forEach((p, i) => {
    const y = AXIS_H + GC_H + i * s.pH;
    if (!d) return;
    lane(d.pHeld.get(p)?.list, y + 1, s.pH - 2, { minAlpha: 0.3 });
    lane(d.pRun.get(p)?.list, y + 2, s.pH - 4, { label: true });
    // Sweeps and other per-P GC work: a strip along the lane's bottom.
    lane(d.gcByP.get(p)?.list, y + s.pH - 4, 3);
  });
  ctx.restore();

  // Separators.
  ctx.strokeStyle = "#c9ced6";
  ctx.beginPath();
  ctx.moveTo(0, header - GAP / 2 + 0.5);
  ctx.lineTo(width, header - GAP / 2 + 0.5);
  ctx.moveTo(0, AXIS_H + 0.5);
  ctx.lineTo(width, AXIS_H + 0.5);
  ctx.stroke();

  // Axis labels.
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, AXIS_H);
  ctx.fillStyle = "#5b6474";
  ctx.textAlign = "center";
  for (const { t, label } of tk) {
    const x = xOf(t);
    if (x < GUTTER + 20 || x > width - 20) continue;
    ctx.fillText(label, x, AXIS_H / 2);
    ctx.fillRect(Math.round(x), AXIS_H - 4, 1, 4);
  }

  // Gutter labels.
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, AXIS_H + 1, GUTTER - 1, height);
  ctx.textAlign = "right";
  ctx.fillStyle = "#1d2330";
  ctx.fillText("GC", GUTTER - 6, AXIS_H + GC_H / 2);
  if (s.pH >= 10) {
    s.procs.forEach((p, i) => ctx.fillText(`P${p}`, GUTTER - 6, AXIS_H + GC_H + i * s.pH + s.pH / 2));
  } else if (s.procs.length > 0) {
    ctx.fillText(`P0–P${s.procs[s.procs.length - 1]}`, GUTTER - 6, AXIS_H + GC_H + (s.procs.length * s.pH) / 2);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, header, GUTTER, height - header);
  ctx.clip();
  ctx.fillStyle = "#1d2330";
  for (let i = firstLane; i < lastLane; i++) {
    ctx.fillText(`G${s.lanes[i]}`, GUTTER - 6, header + i * G_H - s.scrollTop + G_H / 2);
  }
  ctx.restore();
  ctx.fillStyle = "#c9ced6";
  ctx.fillRect(GUTTER - 1, AXIS_H, 1, height - AXIS_H);
  ctx.textAlign = "left";
}
