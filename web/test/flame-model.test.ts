// The flame graph's tree and layout, from rows shaped like
// sql/diff/sched.sql's: sums, merging of shared paths, zoom layout.

import { describe, expect, test } from "vitest";

import { NO_STACK, buildFlameTree, flameColor, isRuntime, layoutFlame, maxDepth, selfValue, type FlameNode } from "../src/components/flame-model";

const columns = ["reason", "funcs", "count", "total_ns"];
// funcs are leaf first, as the stacks view lists them.
const rows = [
  ["created", ["main.worker", "main.spawn", "main.main"], 10n, 600n],
  ["created", ["main.other", "main.spawn", "main.main"], 5n, 300n],
  ["unblocked", ["sync.(*WaitGroup).Done", "main.worker"], 2n, 80n],
  ["unblocked", [], 1n, 20n],
  ["preempted", ["main.spin"], 1n, 0n], // no delay: left out
];

const find = (n: FlameNode, ...path: string[]): FlameNode => {
  let cur = n;
  for (const p of path) {
    const c = cur.children.find((x) => x.name === p);
    if (!c) throw new Error(`no ${p} under ${cur.name}`);
    cur = c;
  }
  return cur;
};

describe("buildFlameTree", () => {
  const root = buildFlameTree(columns, rows, "all");

  test("the root holds the total; shared paths merge and sum", () => {
    expect(root.value).toBe(1000);
    expect(root.count).toBe(18);
    expect(root.children.map((c) => [c.name, c.kind, c.value])).toEqual([
      ["created", "reason", 900],
      ["unblocked", "reason", 100],
    ]);
    const spawn = find(root, "created", "main.main", "main.spawn");
    expect(spawn.value).toBe(900);
    expect(spawn.count).toBe(15);
    // Children sorted by value.
    expect(spawn.children.map((c) => [c.name, c.value])).toEqual([
      ["main.worker", 600],
      ["main.other", 300],
    ]);
    expect(find(root, "unblocked", NO_STACK).value).toBe(20);
  });

  test("every node's value is at least its children's sum; leaves carry the rest as self", () => {
    const walk = (n: FlameNode): void => {
      const kids = n.children.reduce((s, c) => s + c.value, 0);
      expect(n.value).toBeGreaterThanOrEqual(kids);
      n.children.forEach((c) => {
        expect(c.parent).toBe(n);
        expect(c.depth).toBe(n.depth + 1);
        walk(c);
      });
    };
    walk(root);
    expect(selfValue(find(root, "created", "main.main", "main.spawn", "main.worker"))).toBe(600);
    expect(selfValue(find(root, "created", "main.main", "main.spawn"))).toBe(0);
  });

  test("rows merge by value: the same path twice sums", () => {
    const t = buildFlameTree(columns, [rows[0], rows[0]]);
    expect(find(t, "created", "main.main", "main.spawn", "main.worker").value).toBe(1200);
  });
});

describe("layoutFlame", () => {
  const root = buildFlameTree(columns, rows, "all");

  test("the root spans the width; children side by side in proportion", () => {
    const boxes = layoutFlame(root, 0);
    const of = (n: FlameNode) => boxes.find((b) => b.node === n)!;
    expect(of(root)).toMatchObject({ x: 0, w: 1, depth: 0 });
    const created = find(root, "created");
    const unblocked = find(root, "unblocked");
    expect(of(created)).toMatchObject({ x: 0, w: 0.9 });
    expect(of(unblocked).x).toBeCloseTo(0.9);
    expect(of(unblocked).w).toBeCloseTo(0.1);
    const worker = find(root, "created", "main.main", "main.spawn", "main.worker");
    const other = find(root, "created", "main.main", "main.spawn", "main.other");
    expect(of(worker).w).toBeCloseTo(0.6);
    expect(of(other).x).toBeCloseTo(0.6);
    expect(maxDepth(boxes)).toBe(4);
  });

  test("zooming into a frame: ancestors full width, the frame's subtree rescaled", () => {
    const spawn = find(root, "created", "main.main", "main.spawn");
    const boxes = layoutFlame(spawn, 0);
    for (const b of boxes.filter((b) => b.depth <= spawn.depth)) expect([b.x, b.w]).toEqual([0, 1]);
    const worker = boxes.find((b) => b.node.name === "main.worker")!;
    expect(worker.w).toBeCloseTo(600 / 900);
    // Nothing of the other branch is drawn.
    expect(boxes.some((b) => b.node.name === "unblocked")).toBe(false);
  });

  test("boxes narrower than the minimum are left out with their subtrees", () => {
    const boxes = layoutFlame(root, 0.15);
    expect(boxes.some((b) => b.node.name === "unblocked")).toBe(false);
    expect(boxes.some((b) => b.node.name === "sync.(*WaitGroup).Done")).toBe(false);
    expect(boxes.some((b) => b.node.name === "main.other")).toBe(true);
  });
});

test("colours: program code warm, runtime and std cool, stable per name", () => {
  expect(isRuntime("runtime.gopark")).toBe(true);
  expect(isRuntime("sync.(*Mutex).Lock")).toBe(true);
  expect(isRuntime("net/http.(*conn).serve")).toBe(true);
  expect(isRuntime("main.worker")).toBe(false);
  expect(isRuntime("github.com/x/y.(*T).Run")).toBe(false);
  const root = buildFlameTree(columns, rows);
  const w = find(root, "created", "main.main");
  expect(flameColor(w)).toBe(flameColor(w));
  expect(flameColor(w)).toMatch(/^hsl\((2\d|3\d|4\d|50)/);
});
