// Pure helpers behind the flame graph: the SQL's (reason, stack, delay) rows
// (sql/diff/sched.sql, sql/web/flame_block.sql) merged into one tree, laid out
// for a zoomed node, and coloured. No DOM (test/flame-model.test.ts).

import type { Cell } from "../protocol";

/** A node of the flame graph: the root, a reason (why the goroutine
 * waited), or a function on the path from the outermost frame inwards. */
export interface FlameNode {
  name: string;
  kind: "root" | "reason" | "func";
  /** Delay in ns charged to this node and everything under it. */
  value: number;
  /** Delays (intervals) in it. */
  count: number;
  children: FlameNode[];
  parent: FlameNode | null;
  depth: number;
}

/** Name of the node for stacks the trace did not record. */
export const NO_STACK = "(no stack)";

/**
 * Builds the tree from rows with columns reason, funcs (function names,
 * leaf first), count and total_ns: root → reason → outermost function → …
 * → leaf. Equal paths merge, so every node's value is the sum of the rows
 * through it; children are sorted by value, largest first (then by name).
 */
export function buildFlameTree(columns: string[], rows: Cell[][], rootName = "all"): FlameNode {
  const col = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`query result lacks column ${name}`);
    return i;
  };
  const [iReason, iFuncs, iCount, iTotal] = ["reason", "funcs", "count", "total_ns"].map(col);
  const root: FlameNode = { name: rootName, kind: "root", value: 0, count: 0, children: [], parent: null, depth: 0 };
  const index = new Map<FlameNode, Map<string, FlameNode>>();
  const child = (parent: FlameNode, name: string, kind: FlameNode["kind"]): FlameNode => {
    let m = index.get(parent);
    if (!m) index.set(parent, (m = new Map()));
    let c = m.get(name);
    if (!c) {
      c = { name, kind, value: 0, count: 0, children: [], parent, depth: parent.depth + 1 };
      m.set(name, c);
      parent.children.push(c);
    }
    return c;
  };
  for (const row of rows) {
    const value = Number(row[iTotal]);
    const count = Number(row[iCount]);
    if (!(value > 0)) continue;
    const funcs = Array.isArray(row[iFuncs]) ? (row[iFuncs] as Cell[]).map(String) : [];
    const path = funcs.length > 0 ? [...funcs].reverse() : [NO_STACK];
    let node = root;
    node.value += value;
    node.count += count;
    node = child(node, String(row[iReason] ?? "unknown"), "reason");
    node.value += value;
    node.count += count;
    for (const f of path) {
      node = child(node, f, "func");
      node.value += value;
      node.count += count;
    }
  }
  const sort = (n: FlameNode) => {
    n.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

/** Delay of the node itself: what no child accounts for (the leaf frames' time). */
export function selfValue(n: FlameNode): number {
  return n.value - n.children.reduce((s, c) => s + c.value, 0);
}

/** One box to draw: x and width as fractions (0..1) of the graph's width. */
export interface FlameBox {
  node: FlameNode;
  x: number;
  w: number;
  depth: number;
}

/**
 * Lays the tree out for `focus` (the zoomed node): its ancestors span the
 * whole width, the focus too, and its descendants share the width in
 * proportion to their delay. Boxes narrower than `minFrac` are left out, and
 * so are their descendants (they would be narrower still), which keeps a
 * graph of thousands of nodes cheap to draw.
 */
export function layoutFlame(focus: FlameNode, minFrac: number): FlameBox[] {
  const boxes: FlameBox[] = [];
  const ancestors: FlameNode[] = [];
  for (let a = focus.parent; a; a = a.parent) ancestors.unshift(a);
  for (const a of ancestors) boxes.push({ node: a, x: 0, w: 1, depth: a.depth });
  if (!(focus.value > 0)) return boxes;
  const walk = (n: FlameNode, x: number, w: number) => {
    boxes.push({ node: n, x, w, depth: n.depth });
    let cx = x;
    for (const c of n.children) {
      const cw = (c.value / focus.value) * 1;
      if (cw >= minFrac) walk(c, cx, cw);
      cx += cw;
    }
  };
  walk(focus, 0, 1);
  return boxes;
}

/** The deepest level drawn for `focus` (rows the graph needs). */
export function maxDepth(boxes: readonly FlameBox[]): number {
  return boxes.reduce((m, b) => Math.max(m, b.depth), 0);
}

/** A stable colour per function: warm hues for the program's code, cooler
 * for the runtime and standard library, grey for the root and reasons; the
 * name's hash varies the shade so neighbours differ. */
export function flameColor(n: FlameNode): string {
  if (n.kind === "root") return "#c9ced6";
  if (n.kind === "reason") return "#9fb3d1";
  let h = 0;
  for (let i = 0; i < n.name.length; i++) h = (h * 31 + n.name.charCodeAt(i)) >>> 0;
  const jitter = (h % 1000) / 1000;
  if (n.name === NO_STACK) return "#d5d5d5";
  if (isRuntime(n.name)) return `hsl(${200 + jitter * 30}, 45%, ${72 + jitter * 10}%)`;
  return `hsl(${20 + jitter * 30}, 85%, ${62 + jitter * 12}%)`;
}

/** Whether a function belongs to the runtime or the standard library, by
 * its package path: no dot in the path's first element (as Go's own
 * packages have none; module paths start with a domain). */
export function isRuntime(fn: string): boolean {
  const slash = fn.lastIndexOf("/");
  const dot = fn.indexOf(".", slash + 1);
  const pkg = dot < 0 ? fn : fn.slice(0, dot);
  const first = pkg.split("/")[0];
  return pkg !== "main" && !first.includes(".");
}
