// The States tab: `schedstat states` (grstates) drawn in the browser. The
// graph comes from the toolbox module (crates/wasm-toolbox, the CLI's
// StateBuilder), fetched the first time this tab opens; the drawing is a
// layered layout (components/states-layout.ts) in SVG: boxes labelled with
// the state and the top frames of the stack, edges as wide as grstates
// draws them (its penwidth, which grows with the count).

import { useMemo, useState } from "react";

import type { TraceSession } from "../client";
import { count } from "../format";
import { LINE_HEIGHT, layoutStates, topNodes } from "../components/states-layout";
import { useLoaded } from "../components/use-loaded";
import type { StateGraph, WithWarning } from "../toolbox";
import "../components/components.css";

const NODE_LIMITS = [25, 50, 100, 200, 400];
const FONT = "12px ui-monospace, SFMono-Regular, Menlo, monospace";

const FILL: Record<string, string> = {
  Running: "#e3f1e0",
  Runnable: "#fdf1d6",
  Waiting: "#f9e0e0",
  Syscall: "#e0e9f9",
  EXIT: "#eeeeee",
};

/** Widths of text lines in the SVG's font, measured once per text. */
function measurer(): (s: string) => number {
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return (s) => s.length * 7.2;
  ctx.font = FONT;
  return (s) => ctx.measureText(s).width;
}

/** The goroutine state-machine graph of the loaded trace. */
export function StatesView({ session }: { session: TraceSession }) {
  const { data: graph, error } = useLoaded<WithWarning<StateGraph>>(() => session.states(), session);
  const [limit, setLimit] = useState(50);
  const [frames, setFrames] = useState(3);
  const [hover, setHover] = useState<string | null>(null);

  const shown = useMemo(() => (graph ? topNodes(graph.value, limit) : null), [graph, limit]);
  const layout = useMemo(() => (shown ? layoutStates(shown, measurer(), frames) : null), [shown, frames]);

  if (error) {
    return (
      <p className="error" data-testid="states-error">
        {error}
      </p>
    );
  }
  if (!graph || !layout || !shown) {
    return (
      <div data-testid="states" data-state="loading">
        <p className="note">
          <span className="spinner" /> Building the state graph (loading the toolbox module)…
        </p>
      </div>
    );
  }
  const g = graph.value;
  return (
    <div data-testid="states" data-state="ready" data-nodes={shown.nodes.length} data-edges={shown.edges.length}>
      <div className="timeline-bar">
        <span>
          {count(g.nodes.length)} nodes, {count(g.edges.length)} edges
          {shown.nodes.length < g.nodes.length && ` (the ${count(shown.nodes.length)} most common shown)`}
        </span>
        <label>
          nodes{" "}
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} data-testid="states-limit">
            {NODE_LIMITS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          frames per node{" "}
          <select value={frames} onChange={(e) => setFrames(Number(e.target.value))}>
            {[1, 3, 5, 10, 100].map((n) => (
              <option key={n} value={n}>
                {n === 100 ? "all" : n}
              </option>
            ))}
          </select>
        </label>
        <span className="hint muted">
          As <code>schedstat states</code>: a node is a goroutine state and the stack it was entered with; an edge counts
          transitions (its width grows with the count). Hover for the example event.
        </span>
      </div>
      {graph.warning && <p className="note">{graph.warning}</p>}
      <div className="states-scroller">
        <svg width={layout.width} height={layout.height} style={{ font: FONT }} data-testid="states-svg">
          <defs>
            <marker id="states-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6474" />
            </marker>
          </defs>
          {layout.edges.map((e, i) => {
            const lit = hover !== null && (e.edge.from === hover || e.edge.to === hover);
            return (
              <g key={i} data-testid="state-edge" data-count={e.edge.count}>
                <path
                  d={e.path}
                  fill="none"
                  stroke={lit ? "#2d6cdf" : e.back ? "#a3abb8" : "#5b6474"}
                  strokeWidth={e.edge.penwidth}
                  markerEnd="url(#states-arrow)"
                >
                  <title>{`${count(e.edge.count)} transition(s)\n${e.edge.tooltip}`}</title>
                </path>
                <text x={e.labelX + 4} y={e.labelY} fontSize={10} fill="#5b6474">
                  {count(e.edge.count)}
                </text>
              </g>
            );
          })}
          {layout.nodes.map((p) => (
            <g
              key={p.node.id}
              data-testid="state-node"
              data-id={p.node.id}
              data-kind={p.node.kind}
              onMouseEnter={() => setHover(p.node.id)}
              onMouseLeave={() => setHover(null)}
            >
              <title>{`${p.node.label.trimEnd()}\n\n${count(p.node.count)} transition(s); ${p.node.tooltip}`}</title>
              <rect
                x={p.x}
                y={p.y}
                width={p.w}
                height={p.h}
                rx={p.node.kind === "state" ? 3 : p.h / 2}
                fill={FILL[p.node.state] ?? "#ffffff"}
                stroke={hover === p.node.id ? "#2d6cdf" : "#8a93a3"}
              />
              {p.lines.map((l, i) => (
                <text key={i} x={p.x + p.w / 2} y={p.y + 6 + (i + 1) * LINE_HEIGHT - 3} textAnchor="middle" fontWeight={i === 0 ? 600 : 400}>
                  {l}
                </text>
              ))}
            </g>
          ))}
        </svg>
      </div>
    </div>
  );
}
