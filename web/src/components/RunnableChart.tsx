// Runnable goroutines over time, under the timeline and on the same x axis
// (same range, same label gutter): the count of goroutines waiting for a P,
// from sql/web/runnable_series.sql, one bucket per pixel column. Dragging
// across it selects a range; a click centres the range on that moment.

import { useEffect, useRef, useState } from "react";

import { dur } from "../format";
import { bind } from "../sql";
import { Latest } from "./latest";
import { fillSeries, niceMax, sampling, type Series } from "./runnable-model";
import { COLORS, GUTTER, MIN_SPAN_NS, clampRange, relMs, ticks, visibleRange, type RangeViewProps } from "./timeline-model";
import { useElementWidth } from "./use-width";
import "./components.css";

import runnableSql from "../../../sql/web/runnable_series.sql?raw";

const HEIGHT = 120;
const DEBOUNCE_MS = 120;

interface Params {
  key: string;
  lo: number;
  hi: number;
  bucket: number;
  steps: number;
  stepNs: number;
  n: number;
}

interface Data {
  key: string;
  lo: number;
  bucket: number;
  series: Series;
}

/** Runnable-goroutine count for `range`, bucketed to the pixel; drag to
 * select a range (onRangeChange), click to centre on a moment. */
export function RunnableChart({ session, loaded, range, onRangeChange }: RangeViewProps) {
  const { first, last, lo, hi } = visibleRange(loaded, range);

  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const width = useElementWidth(wrapRef);
  const [data, setData] = useState<Data | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sel, setSel] = useState<{ x0: number; x1: number } | null>(null);
  const [hover, setHover] = useState<{ x: number; text: string } | null>(null);

  const plotW = Math.max(1, width - GUTTER);
  const cols = Math.max(1, Math.floor(plotW));
  const samp = sampling(Math.max(1, Math.floor((hi - lo) / cols)));
  // Buckets enough to cover the range (the last may stick out).
  const n = Math.ceil((hi - lo) / samp.bucketNs);

  const runner = useRef<Latest<Params, Data> | null>(null);
  useEffect(() => {
    const r = new Latest<Params, Data>(
      async (p) => {
        const res = await session.query(
          bind(runnableSql, { lo_ns: p.lo, hi_ns: p.hi, step_ns: p.stepNs, steps: p.steps }),
          p.n + 10,
        );
        return { key: p.key, lo: p.lo, bucket: p.bucket, series: fillSeries(res.columns, res.rows, p.n) };
      },
      (_p, d) => {
        setData(d);
        setError(null);
        setBusy(r.active);
      },
      (_p, e) => {
        setError(e.message);
        setBusy(r.active);
      },
    );
    runner.current = r;
    return () => r.stop();
  }, [session, loaded]);

  const key = `${lo}:${hi}:${samp.bucketNs}`;
  useEffect(() => {
    if (width === 0) return;
    if (data?.key === key) {
      setBusy(runner.current?.active ?? false);
      return;
    }
    setBusy(true);
    const t = setTimeout(
      () => runner.current?.request({ key, lo, hi, bucket: samp.bucketNs, steps: samp.steps, stepNs: samp.stepNs, n }),
      DEBOUNCE_MS,
    );
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lo, hi, samp.bucketNs, width]);


  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(width * dpr);
    const h = Math.round(HEIGHT * dpr);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawChart(ctx, width, lo, hi, first, data, sel);
  }, [width, lo, hi, first, data, sel]);

  const timeAt = (x: number) => lo + ((x - GUTTER) / plotW) * (hi - lo);
  const xIn = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const x = e.clientX - e.currentTarget.getBoundingClientRect().left;
    return Math.min(width, Math.max(GUTTER, x));
  };

  const onPointerDown = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const x = xIn(e);
    setSel({ x0: x, x1: x });
    setHover(null);
  };
  const onPointerMove = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const x = xIn(e);
    if (sel) {
      setSel({ ...sel, x1: x });
      return;
    }
    setHover({ x, text: describe(x) });
  };
  const onPointerUp = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!sel) return;
    e.currentTarget.releasePointerCapture(e.pointerId);
    const a = Math.min(sel.x0, sel.x1);
    const b = Math.max(sel.x0, sel.x1);
    setSel(null);
    let r: { lo: number; hi: number };
    if (b - a >= 3) {
      r = { lo: timeAt(a), hi: Math.max(timeAt(b), timeAt(a) + MIN_SPAN_NS) };
    } else {
      // A click: the same span, centred on the clicked moment.
      const t = timeAt(a);
      r = { lo: t - (hi - lo) / 2, hi: t + (hi - lo) / 2 };
    }
    const c = clampRange(r, first, last);
    if (c.lo !== lo || c.hi !== hi) onRangeChange(c);
  };

  const describe = (x: number): string => {
    const t = timeAt(x);
    if (!data) return `+${relMs(t, first)} ms`;
    const b = Math.floor((t - data.lo) / data.bucket);
    const s = data.series;
    if (b < 0 || b >= s.peak.length) return `+${relMs(t, first)} ms`;
    return `+${relMs(t, first)} ms: ${s.last[b]} runnable (peak ${s.peak[b]} in these ${dur(data.bucket)})`;
  };

  const peak = data?.series.max ?? 0;
  return (
    <div className="runnable" data-testid="runnable" data-state={busy || width === 0 || data?.key !== key ? "loading" : "ready"} data-peak={peak}>
      <div className="runnable-title">
        <b>Runnable goroutines</b> <span className="muted">(waiting for a P; drag to select a range, click to centre)</span>
        {hover && (
          <span className="mono runnable-readout" data-testid="runnable-readout">
            {hover.text}
          </span>
        )}
      </div>
      {error && <p className="error">{error}</p>}
      <div className="runnable-wrap" ref={wrapRef}>
        <canvas
          ref={canvasRef}
          data-testid="runnable-chart"
          className="runnable-canvas"
          style={{ width: width || "100%", height: HEIGHT }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={() => setSel(null)}
          onPointerLeave={() => setHover(null)}
        />
      </div>
    </div>
  );
}

/** Draws the area of peaks, the line of bucket-end counts, the y axis and a selection. */
function drawChart(
  ctx: CanvasRenderingContext2D,
  width: number,
  lo: number,
  hi: number,
  first: number,
  data: Data | null,
  sel: { x0: number; x1: number } | null,
): void {
  const plotW = Math.max(1, width - GUTTER);
  const top = 8;
  const bottom = HEIGHT - 18;
  ctx.clearRect(0, 0, width, HEIGHT);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, HEIGHT);
  ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, monospace";
  ctx.textBaseline = "middle";
  const xOf = (t: number) => GUTTER + ((t - lo) / (hi - lo)) * plotW;

  const tk = ticks({ lo, hi }, first, Math.max(2, Math.floor(plotW / 110)));
  ctx.strokeStyle = "#eef0f3";
  for (const { t } of tk) {
    const x = Math.round(xOf(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
  }

  const ymax = niceMax(data?.series.max ?? 0);
  const yOf = (v: number) => bottom - (v / ymax) * (bottom - top);
  if (data) {
    const s = data.series;
    const bw = (data.bucket / (hi - lo)) * plotW;
    const x0 = xOf(data.lo);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, plotW, HEIGHT);
    ctx.clip();
    // Peaks as an area (light), bucket-end counts as a step line (dark).
    ctx.fillStyle = COLORS.runnable;
    ctx.globalAlpha = 0.35;
    ctx.beginPath();
    ctx.moveTo(x0, bottom);
    for (let b = 0; b < s.peak.length; b++) {
      ctx.lineTo(x0 + b * bw, yOf(s.peak[b]));
      ctx.lineTo(x0 + (b + 1) * bw, yOf(s.peak[b]));
    }
    ctx.lineTo(x0 + s.peak.length * bw, bottom);
    ctx.closePath();
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "#b86a00";
    ctx.lineWidth = 1.25;
    ctx.beginPath();
    for (let b = 0; b < s.last.length; b++) {
      const y = yOf(s.last[b]);
      if (b === 0) ctx.moveTo(x0, y);
      else ctx.lineTo(x0 + b * bw, y);
      ctx.lineTo(x0 + (b + 1) * bw, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  // Axes.
  ctx.strokeStyle = "#c9ced6";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(GUTTER - 0.5, top);
  ctx.lineTo(GUTTER - 0.5, bottom + 0.5);
  ctx.lineTo(width, bottom + 0.5);
  ctx.stroke();
  ctx.fillStyle = "#5b6474";
  ctx.textAlign = "right";
  ctx.fillText(String(ymax), GUTTER - 6, top + 2);
  ctx.fillText("0", GUTTER - 6, bottom);
  ctx.textAlign = "center";
  for (const { t, label } of tk) {
    const x = xOf(t);
    if (x < GUTTER + 20 || x > width - 20) continue;
    ctx.fillText(label, x, bottom + 9);
  }
  ctx.textAlign = "left";

  if (sel) {
    const a = Math.min(sel.x0, sel.x1);
    const b = Math.max(sel.x0, sel.x1);
    ctx.fillStyle = "rgba(45, 108, 223, 0.18)";
    ctx.fillRect(a, 0, Math.max(1, b - a), HEIGHT);
    ctx.fillStyle = "#2d6cdf";
    ctx.fillRect(a, 0, 1, HEIGHT);
    ctx.fillRect(b, 0, 1, HEIGHT);
  }
}
