// A layered (Sugiyama-style) layout of the goroutine state graph for the
// States tab, so the graph is drawn in the browser without Graphviz:
// 1. cycles are broken by a depth-first walk from the "New goroutine" nodes
//    (edges back to a node on the walk's path are drawn upwards);
// 2. each node goes one layer below its deepest predecessor (longest path),
//    so goroutines flow top to bottom from their first state to EXIT;
// 3. an edge crossing layers gets a thin lane in each (a dummy vertex); the
//    vertices of a layer are ordered by the mean position of their
//    neighbours (barycentre sweeps down and up) to cut edge crossings;
// 4. each layer is a centred row; edges are cubic curves from the bottom of
//    the source through their lanes to the top of the target, and back edges
//    curve around on the right.
// Only drawing: the graph itself is the CLI's (crates/wasm-toolbox).

import type { StateEdge, StateGraph, StateNode } from "../toolbox";

/** A node placed on the drawing, with the lines of its label. */
export interface PlacedNode {
  node: StateNode;
  x: number;
  y: number;
  w: number;
  h: number;
  layer: number;
  lines: string[];
}

/** An edge's SVG path and where its count is written. */
export interface PlacedEdge {
  edge: StateEdge;
  path: string;
  /** Drawn upwards or sideways (it closes a cycle). */
  back: boolean;
  labelX: number;
  labelY: number;
}

/** The whole drawing, in px. */
export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export const LINE_HEIGHT = 14;
const PAD_X = 8;
const PAD_Y = 6;
const NODE_GAP = 28;
const LAYER_GAP = 56;
const MARGIN = 20;
const SWEEPS = 6;
/** The lane a long edge takes through a row it crosses. */
const DUMMY_WIDTH = 10;

/** The label's lines: "New goroutine" for initial nodes, the state, then the
 * innermost `maxFrames` frames (the top of the stack, where it waits), with
 * how many outer frames are left out. */
export function labelLines(n: StateNode, maxFrames: number): string[] {
  if (n.kind === "exit") return ["EXIT"];
  const lines = n.kind === "initial" ? ["New goroutine", n.state] : [n.state];
  const inner = n.frames.slice(-maxFrames).reverse();
  for (const f of inner) lines.push(`${f.func}:${f.line}`);
  const hidden = n.frames.length - inner.length;
  if (hidden > 0) lines.push(`… ${hidden} outer frame${hidden === 1 ? "" : "s"}`);
  return lines;
}

/** The `limit` nodes with the highest counts (grstates's ranking; ties keep
 * the graph's order) and the edges between them. */
export function topNodes(g: StateGraph, limit: number): StateGraph {
  if (g.nodes.length <= limit) return g;
  const ranked = g.nodes.map((n, i) => ({ n, i })).sort((a, b) => b.n.count - a.n.count || a.i - b.i);
  const keep = new Set(ranked.slice(0, limit).map((r) => r.n.id));
  return {
    nodes: g.nodes.filter((n) => keep.has(n.id)),
    edges: g.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
    max_weight: g.max_weight,
  };
}

/** Lays the graph out; `measure` gives a line's width in px. */
export function layoutStates(g: StateGraph, measure: (text: string) => number, maxFrames = 3): Layout {
  const n = g.nodes.length;
  const index = new Map(g.nodes.map((node, i) => [node.id, i]));
  const ends = g.edges
    .map((e) => ({ e, from: index.get(e.from), to: index.get(e.to) }))
    .filter((x): x is { e: StateEdge; from: number; to: number } => x.from !== undefined && x.to !== undefined);
  const out: number[][] = Array.from({ length: n }, () => []);
  ends.forEach((x, k) => out[x.from].push(k));

  // 1. Back edges: to a node still on the depth-first path.
  const back = new Set<number>();
  const mark = new Uint8Array(n); // 0 unseen, 1 on the path, 2 done
  const starts = [...g.nodes.keys()].sort((a, b) => Number(g.nodes[b].kind === "initial") - Number(g.nodes[a].kind === "initial"));
  for (const s of starts) {
    if (mark[s]) continue;
    // Iterative DFS: (node, next outgoing edge to try).
    const stack: [number, number][] = [[s, 0]];
    mark[s] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k >= out[v].length) {
        mark[v] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const ek = out[v][k];
      const w = ends[ek].to;
      if (mark[w] === 1) back.add(ek);
      else if (mark[w] === 0) {
        mark[w] = 1;
        stack.push([w, 0]);
      }
    }
  }

  // 2. Longest-path layers over the forward edges (self-loops are back edges).
  const indeg = new Array<number>(n).fill(0);
  ends.forEach((x, k) => {
    if (!back.has(k)) indeg[x.to]++;
  });
  const layer = new Array<number>(n).fill(0);
  const queue = [...g.nodes.keys()].filter((i) => indeg[i] === 0);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const k of out[v]) {
      if (back.has(k)) continue;
      const w = ends[k].to;
      layer[w] = Math.max(layer[w], layer[v] + 1);
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  // Long edges pass through a thin placeholder ("dummy" vertex, index >= n)
  // in each layer they cross, so the ordering keeps them a lane of their own
  // and they are drawn between the boxes instead of through them.
  const vLayer = [...layer];
  const chains = new Map<number, number[]>(); // edge -> its dummies, top down
  ends.forEach((x, k) => {
    if (back.has(k) || x.from === x.to) return;
    const ds: number[] = [];
    for (let l = layer[x.from] + 1; l < layer[x.to]; l++) {
      ds.push(vLayer.length);
      vLayer.push(l);
    }
    if (ds.length) chains.set(k, ds);
  });
  const nv = vLayer.length;
  const layers: number[][] = [];
  for (let v = 0; v < nv; v++) (layers[vLayer[v]] ??= []).push(v);
  for (let l = 0; l < layers.length; l++) layers[l] ??= [];

  // 3. Barycentre ordering, over real and dummy vertices.
  const neighbours: number[][] = Array.from({ length: nv }, () => []);
  const link = (a: number, b: number) => {
    neighbours[a].push(b);
    neighbours[b].push(a);
  };
  ends.forEach((x, k) => {
    if (x.from === x.to) return;
    const path = [x.from, ...(chains.get(k) ?? []), x.to];
    for (let i = 1; i < path.length; i++) link(path[i - 1], path[i]);
  });
  const pos = new Array<number>(nv).fill(0);
  const renumber = () => layers.forEach((row) => row.forEach((v, i) => (pos[v] = i / Math.max(1, row.length - 1))));
  renumber();
  for (let s = 0; s < SWEEPS; s++) {
    const order = s % 2 === 0 ? layers.keys() : [...layers.keys()].reverse();
    for (const l of order) {
      const fixed = s % 2 === 0 ? l - 1 : l + 1;
      const bary = new Map<number, number>();
      for (const v of layers[l]) {
        const ns = neighbours[v].filter((w) => vLayer[w] === fixed);
        bary.set(v, ns.length ? ns.reduce((a, w) => a + pos[w], 0) / ns.length : pos[v]);
      }
      layers[l].sort((a, b) => bary.get(a)! - bary.get(b)! || a - b);
      renumber();
    }
  }

  // 4. Rows of boxes (and dummy lanes), centred.
  const placed: PlacedNode[] = g.nodes.map((node, i) => {
    const lines = labelLines(node, maxFrames);
    const w = Math.ceil(Math.max(...lines.map(measure))) + 2 * PAD_X;
    return { node, x: 0, y: 0, w, h: lines.length * LINE_HEIGHT + 2 * PAD_Y, layer: layer[i], lines };
  });
  const vx = new Array<number>(nv).fill(0); // left edge of every vertex
  const vw = (v: number) => (v < n ? placed[v].w : DUMMY_WIDTH);
  const rowTop: number[] = [];
  const rowHeight: number[] = [];
  const rowWidth = layers.map((row) => row.reduce((a, v) => a + vw(v), 0) + NODE_GAP * Math.max(0, row.length - 1));
  const width = Math.max(0, ...rowWidth) + 2 * MARGIN;
  let y = MARGIN;
  layers.forEach((row, l) => {
    let x = (width - rowWidth[l]) / 2;
    const h = Math.max(0, ...row.filter((v) => v < n).map((v) => placed[v].h));
    for (const v of row) {
      vx[v] = x;
      if (v < n) {
        placed[v].x = x;
        placed[v].y = y;
      }
      x += vw(v) + NODE_GAP;
    }
    rowTop[l] = y;
    rowHeight[l] = h;
    y += h + LAYER_GAP;
  });
  const height = y - LAYER_GAP + MARGIN;

  const edges: PlacedEdge[] = ends.map((x, k) => {
    const a = placed[x.from];
    const b = placed[x.to];
    if (x.from === x.to) {
      // A loop on the box's right side.
      const rx = a.x + a.w;
      const cy = a.y + a.h / 2;
      return { edge: x.e, back: true, path: `M ${rx} ${cy - 6} C ${rx + 30} ${cy - 24}, ${rx + 30} ${cy + 24}, ${rx} ${cy + 6}`, labelX: rx + 24, labelY: cy };
    }
    if (!back.has(k) && b.y > a.y) {
      // Down from the source's bottom, straight through each crossed row in
      // its lane, into the target's top.
      const x1 = a.x + a.w / 2;
      const y1 = a.y + a.h;
      const curve = (xa: number, ya: number, xb: number, yb: number) => {
        const dy = Math.max(12, (yb - ya) / 2);
        return ` C ${xa} ${ya + dy}, ${xb} ${yb - dy}, ${xb} ${yb}`;
      };
      let path = `M ${x1} ${y1}`;
      let [cx, cy] = [x1, y1];
      for (const d of chains.get(k) ?? []) {
        const dx = vx[d] + DUMMY_WIDTH / 2;
        const top = rowTop[vLayer[d]];
        path += curve(cx, cy, dx, top) + ` L ${dx} ${top + rowHeight[vLayer[d]]}`;
        [cx, cy] = [dx, top + rowHeight[vLayer[d]]];
      }
      const x2 = b.x + b.w / 2;
      path += curve(cx, cy, x2, b.y);
      const first = chains.get(k)?.[0];
      const lx = first === undefined ? (x1 + x2) / 2 : (x1 + vx[first] + DUMMY_WIDTH / 2) / 2;
      return { edge: x.e, back: false, path, labelX: lx, labelY: y1 + LAYER_GAP / 2 };
    }
    // Upwards: leave on the right, come back into the target's right side.
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x + b.w;
    const y2 = b.y + b.h / 2;
    const bulge = Math.max(x1, x2) + 40 + Math.min(120, Math.abs(y1 - y2) / 8);
    return { edge: x.e, back: true, path: `M ${x1} ${y1} C ${bulge} ${y1}, ${bulge} ${y2}, ${x2} ${y2}`, labelX: bulge - 10, labelY: (y1 + y2) / 2 };
  });
  const right = Math.max(width, ...edges.map((e) => e.labelX + 40));
  return { width: right, height, nodes: placed, edges };
}
