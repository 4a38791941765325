// The Requests tab: the requests `schedstat requests` infers from the
// goroutines' stacks, drawn as etviz draws them (`schedstat requests --svg`),
// on a canvas: one band per request offset by its start time, then the same
// bands aligned at zero. Hovering a band tells its region kind, goroutine,
// times and what the goroutine was doing at that moment. The requests come
// from the toolbox module (crates/wasm-toolbox, the CLI's own inference),
// fetched the first time this tab opens.

import { useLayoutEffect, useMemo, useRef, useState } from "react";

import type { TraceSession } from "../client";
import { count, dur } from "../format";
import { BAR, LEGEND, hit, layoutPicture, pieces, type Picture } from "../components/requests-model";
import { useLoaded } from "../components/use-loaded";
import { useElementWidth } from "../components/use-width";
import type { RequestPicture, WithWarning } from "../toolbox";
import "../components/components.css";

function paint(canvas: HTMLCanvasElement, pic: Picture, width: number) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * dpr));
  canvas.height = Math.max(1, Math.round(pic.height * dpr));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${pic.height}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, pic.height);
  ctx.fillStyle = "#5b6474";
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillText(`By start time (${dur(pic.offsetSpanNs)} across)`, 0, pic.offsetTop - 8);
  ctx.fillText(`Aligned at zero (the longest: ${dur(pic.alignedSpanNs)})`, 0, pic.alignedTop - 8);
  for (const aligned of [false, true]) {
    const span = aligned ? pic.alignedSpanNs : pic.offsetSpanNs;
    const shift = aligned ? pic.alignedTop - pic.offsetTop : 0;
    const px = (ns: number) => (ns / span) * width;
    for (const row of pic.rows) {
      const zero = aligned ? row.rootStart : pic.minStart;
      const x0 = px(row.band.start_ns - zero);
      for (const p of pieces(row.band)) {
        const x = x0 + px(p.from);
        // The span and running at least 1 px wide (as etviz), the rest as they are.
        const w = Math.max(px(p.to - p.from), p.what === "span" || p.what === "running" ? 1 : 0);
        if (w <= 0 || x >= width) continue;
        ctx.fillStyle = p.fill;
        ctx.fillRect(x, row.y + shift, w, BAR - 1);
      }
    }
  }
}

/** The inferred requests of the loaded trace, as etviz's bands. */
export function RequestsView({ session }: { session: TraceSession }) {
  const { data, error } = useLoaded<WithWarning<RequestPicture>>(() => session.requestBands(), session);
  const [details, setDetails] = useState(false);
  const [tip, setTip] = useState<{ x: number; y: number; title: string; lines: string[] } | null>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const width = useElementWidth(wrapRef);

  const pic = useMemo(() => (data ? layoutPicture(data.value, details) : null), [data, details]);

  useLayoutEffect(() => {
    if (pic && canvasRef.current && width > 0) paint(canvasRef.current, pic, width);
  }, [pic, width]);

  if (error) {
    return (
      <p className="error" data-testid="requests-error">
        {error}
      </p>
    );
  }
  const n = data?.value.requests.length ?? 0;
  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    if (!pic) return;
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const h = hit(pic, width, x, y);
    if (!h) {
      setTip(null);
      return;
    }
    const b = h.row.band;
    const req = data!.value.requests[h.row.request];
    const at = Math.max(0, Math.min(b.length_ns, h.atNs));
    setTip({
      x,
      y,
      title: `${b.kind} on G${b.g}`,
      lines: [
        `starts @${(b.start_ns / 1e6).toFixed(6)}ms, lasts ${dur(b.length_ns)}, ends @${((b.start_ns + b.length_ns) / 1e6).toFixed(6)}ms`,
        `request ${h.row.request + 1} of ${n}: ${req.spans[0].kind} on G${req.spans[0].g}, ${dur(req.length_ns)}, on CPU ${dur(req.total_run_ns)}, ${req.spans.length} span(s)`,
        `at +${dur(at)}: ${h.piece.what === "span" ? "no state known (magenta)" : h.piece.what}` +
          (h.piece.what === "span" ? "" : ` from +${dur(h.piece.from)} to +${dur(h.piece.to)}`),
      ],
    });
  };
  return (
    <div data-testid="requests" data-state={pic ? "ready" : "loading"} data-requests={n} data-bands={pic?.rows.length ?? 0}>
      <div className="timeline-bar">
        {pic ? (
          <span>
            {count(n)} request(s){details ? `, ${count(pic.rows.length)} spans` : ""}
          </span>
        ) : (
          <span>
            <span className="spinner" /> Inferring the requests (loading the toolbox module)…
          </span>
        )}
        <label>
          <input type="checkbox" checked={details} onChange={(e) => setDetails(e.target.checked)} data-testid="requests-details" /> one band per span
        </label>
        {LEGEND.map(([c, what]) => (
          <span key={c} className="muted">
            <span style={{ display: "inline-block", width: 10, height: 10, background: c, border: "1px solid #c9ced6", marginRight: 4, verticalAlign: "middle" }} />
            {what}
          </span>
        ))}
      </div>
      {data?.warning && <p className="note">{data.warning}</p>}
      {pic && n === 0 && (
        <p className="note" data-testid="requests-none">
          No requests found: <code>schedstat requests</code> infers them from net/http's stacks (inbound requests, round trips, dials, DNS
          lookups); <code>--patterns FILE</code> on the command line describes other kinds of work.
        </p>
      )}
      <div ref={wrapRef} style={{ position: "relative" }}>
        {pic && n > 0 && (
          <canvas
            ref={canvasRef}
            data-testid="requests-canvas"
            data-aligned-top={pic.alignedTop}
            data-offset-top={pic.offsetTop}
            onMouseMove={onMove}
            onMouseLeave={() => setTip(null)}
          />
        )}
        {tip && (
          <div className="tooltip" data-testid="requests-tooltip" style={{ left: Math.min(tip.x + 12, Math.max(0, width - 370)), top: tip.y + 12 }}>
            <div className="tooltip-title">{tip.title}</div>
            {tip.lines.map((l) => (
              <div key={l}>{l}</div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
