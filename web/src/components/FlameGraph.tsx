// A flame graph (icicle: root on top) of delay by stack: scheduling delay
// (time runnable before running, charged to the stack that made the
// goroutine runnable: the CLI's sql/diff/sched.sql, which `schedstat diff`
// compares between traces) or blocking delay (time
// blocked, charged to the stack and reason it blocked with,
// sql/web/flame_block.sql). Widths are proportional to delay; a click zooms
// into a frame, hovering tells its function, total and share.

import { useEffect, useMemo, useRef, useState } from "react";

import type { TraceSession } from "../client";
import { count, dur } from "../format";
import { bind } from "../sql";
import { buildFlameTree, flameColor, layoutFlame, maxDepth, selfValue, type FlameNode } from "./flame-model";
import { useElementWidth } from "./use-width";
import "./components.css";

import schedSql from "../../../sql/diff/sched.sql?raw";
import flameBlockSql from "../../../sql/web/flame_block.sql?raw";

type Kind = "sched" | "block";

const KINDS: { kind: Kind; label: string; sql: string; root: string; about: string }[] = [
  {
    kind: "sched",
    label: "Scheduling delay",
    sql: schedSql,
    root: "all scheduling delay",
    about:
      "Time goroutines were runnable but not running, charged to the stack that made each runnable (its creator or unblocker), or to its own stack when it was preempted or yielded. The first level is that cause.",
  },
  {
    kind: "block",
    label: "Blocking delay",
    sql: flameBlockSql,
    root: "all blocking delay",
    about:
      "Time goroutines were blocked (waiting → runnable), charged to the stack and reason they blocked with. The first level is the wait reason.",
  },
];

/** Row height in px. */
const ROW_H = 18;
/** Boxes narrower than this many px are not drawn (nor their children). */
const MIN_PX = 0.6;

/** Flame graph of scheduling or blocking delay by stack, from the whole trace. */
export function FlameGraph({ session }: { session: TraceSession }) {
  const [kind, setKind] = useState<Kind>("sched");
  const [trees, setTrees] = useState<Partial<Record<Kind, FlameNode>>>({});
  const [error, setError] = useState<string | null>(null);
  const [focus, setFocus] = useState<FlameNode | null>(null);
  const [hover, setHover] = useState<{ node: FlameNode; x: number; y: number } | null>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const width = useElementWidth(boxRef);

  const meta = KINDS.find((k) => k.kind === kind)!;
  const tree = trees[kind] ?? null;

  // Each kind is queried once (the App mounts this view afresh for a new trace).
  const asked = useRef(new Set<Kind>());
  useEffect(() => {
    if (asked.current.has(kind)) return;
    asked.current.add(kind);
    const { sql, root } = meta;
    setError(null);
    session.query(bind(sql, {}), 200_000).then(
      (res) => setTrees((t) => ({ ...t, [kind]: buildFlameTree(res.columns, res.rows, root) })),
      (e: Error) => {
        asked.current.delete(kind);
        setError(e.message);
      },
    );
  }, [session, kind, meta]);


  const shown = focus && tree && rootOf(focus) === tree ? focus : tree;
  const boxes = useMemo(() => (shown && width > 0 ? layoutFlame(shown, MIN_PX / width) : []), [shown, width]);
  const depth = maxDepth(boxes);
  const total = tree?.value ?? 0;

  const choose = (k: Kind) => {
    setKind(k);
    setFocus(null);
    setHover(null);
  };

  return (
    <div className="flame" data-testid="flame-graph" data-state={tree ? "ready" : "loading"} data-kind={kind} data-total-ns={total}>
      <div className="flame-bar">
        <div className="segmented" role="radiogroup" aria-label="delay">
          {KINDS.map((k) => (
            <button
              key={k.kind}
              type="button"
              role="radio"
              aria-checked={kind === k.kind}
              data-testid={`flame-kind-${k.kind}`}
              onClick={() => choose(k.kind)}
            >
              {k.label}
            </button>
          ))}
        </div>
        {tree && (
          <span className="mono">
            total {dur(total)} over {count(tree.count)} {kind === "sched" ? "delays" : "waits"}
          </span>
        )}
        {shown && shown !== tree && (
          <button type="button" data-testid="flame-reset" onClick={() => setFocus(null)}>
            Reset zoom
          </button>
        )}
        {!tree && !error && <span className="spinner" aria-label="loading" />}
      </div>
      <p className="muted flame-about">{meta.about} Click a frame to zoom in, an upper one to zoom out.</p>
      {error && <p className="error">{error}</p>}
      {tree && total === 0 && <p className="muted">No {kind === "sched" ? "scheduling" : "blocking"} delay in this trace.</p>}
      <div
        className="flame-box"
        ref={boxRef}
        style={{ height: boxes.length > 0 ? (depth + 1) * ROW_H : 0 }}
        onMouseLeave={() => setHover(null)}
      >
        {boxes.map((b) => {
          const w = b.w * width;
          const isFocus = b.node === shown;
          return (
            <div
              key={pathKey(b.node)}
              className={`flame-node${b.node.kind !== "func" ? " flame-meta" : ""}${isFocus ? " flame-focus" : ""}${b.x === 0 && b.w === 1 && !isFocus && b.node !== shown && isAncestor(b.node, shown) ? " flame-ancestor" : ""}`}
              style={{ left: b.x * width, width: Math.max(w - 1, 0.5), top: b.depth * ROW_H, background: flameColor(b.node) }}
              onClick={() => setFocus(b.node === tree ? null : b.node)}
              onMouseMove={(e) => {
                const r = boxRef.current!.getBoundingClientRect();
                setHover({ node: b.node, x: e.clientX - r.left, y: e.clientY - r.top });
              }}
            >
              {w > 30 ? b.node.name : ""}
            </div>
          );
        })}
        {hover && (
          <div
            className="tooltip"
            data-testid="flame-tooltip"
            style={{ left: Math.min(hover.x + 14, Math.max(0, width - 380)), top: hover.y + 16 }}
          >
            <div className="tooltip-title">{hover.node.name}</div>
            <div className="mono">
              {dur(hover.node.value)} ({hover.node.value.toLocaleString("en-US")} ns), {pct(hover.node.value, total)} of all
              {shown && shown !== tree ? `, ${pct(hover.node.value, shown.value)} of the zoomed frame` : ""}
            </div>
            <div className="mono">
              {count(hover.node.count)} {kind === "sched" ? "delays" : "waits"}
              {hover.node.kind === "func" && hover.node.children.length > 0 ? `; self ${dur(selfValue(hover.node))}` : ""}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}

function pct(v: number, of: number): string {
  return of > 0 ? `${((100 * v) / of).toFixed(v / of < 0.001 ? 3 : 1)}%` : "—";
}

function rootOf(n: FlameNode): FlameNode {
  let r = n;
  while (r.parent) r = r.parent;
  return r;
}

function isAncestor(a: FlameNode, n: FlameNode | null): boolean {
  for (let p = n?.parent ?? null; p; p = p.parent) if (p === a) return true;
  return false;
}

/** A node's path of names, unique in its tree (React key). */
function pathKey(n: FlameNode): string {
  const parts: string[] = [];
  for (let p: FlameNode | null = n; p; p = p.parent) parts.push(p.name);
  return parts.reverse().join("\u0000");
}
