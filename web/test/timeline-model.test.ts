// The timeline's and runnable chart's pure helpers: range arithmetic, ticks,
// row grouping, hit testing, lane windows, the runnable series' filling, and
// the newest-request-only runner.

import { describe, expect, test } from "vitest";

import { Latest } from "../src/components/latest";
import { fillSeries, niceMax, sampling } from "../src/components/runnable-model";
import {
  LaneIndex,
  MIN_SPAN_NS,
  bucketNs,
  clampRange,
  groupRows,
  kindOf,
  laneWindow,
  pan,
  explainCause,
  relLabel,
  ticks,
  zoomAt,
  type Interval,
} from "../src/components/timeline-model";

const F = 1_000_000; // trace start
const L = 101_000_000; // trace end: 100 ms later

describe("ranges", () => {
  test("zooming keeps the time under the cursor in place", () => {
    const r = { lo: 11_000_000, hi: 51_000_000 };
    const anchor = 0.25;
    const t = r.lo + (r.hi - r.lo) * anchor;
    const z = zoomAt(r, 0.5, anchor, F, L);
    expect(z.hi - z.lo).toBe(20_000_000);
    expect(z.lo + (z.hi - z.lo) * anchor).toBe(t);
    // Zooming out past the trace clamps to the whole trace.
    expect(zoomAt(r, 100, 0.5, F, L)).toEqual({ lo: F, hi: L });
  });

  test("zooming in stops at the minimum span, with integer ends", () => {
    let r = { lo: F, hi: L };
    for (let i = 0; i < 200; i++) r = zoomAt(r, 0.7, 0.33, F, L);
    expect(r.hi - r.lo).toBe(MIN_SPAN_NS);
    expect(Number.isInteger(r.lo) && Number.isInteger(r.hi)).toBe(true);
    expect(r.lo).toBeGreaterThanOrEqual(F);
  });

  test("panning moves the range and stops at the trace's ends without zooming", () => {
    const r = { lo: 21_000_000, hi: 31_000_000 };
    expect(pan(r, 0.5, F, L)).toEqual({ lo: 26_000_000, hi: 36_000_000 });
    expect(pan(r, -10, F, L)).toEqual({ lo: F, hi: F + 10_000_000 });
    expect(pan(r, 10, F, L)).toEqual({ lo: L - 10_000_000, hi: L });
  });

  test("clampRange: a range wider than the trace becomes the trace", () => {
    expect(clampRange({ lo: 0, hi: 1e12 }, F, L)).toEqual({ lo: F, hi: L });
    expect(clampRange({ lo: 5.4e6, hi: 5.4e6 }, F, L)).toEqual({ lo: 5_400_000, hi: 5_400_000 + MIN_SPAN_NS });
  });

  test("bucketNs is the time one pixel covers, at least 1", () => {
    expect(bucketNs({ lo: 0, hi: 1_000_000 }, 1000)).toBe(1000);
    expect(bucketNs({ lo: 0, hi: 10 }, 1000)).toBe(1);
  });
});

describe("ticks", () => {
  test("1-2-5 steps relative to the trace start", () => {
    const t = ticks({ lo: F, hi: F + 10_000_000 }, F, 5);
    expect(t.map((x) => x.label)).toEqual(["0ms", "2ms", "4ms", "6ms", "8ms", "10ms"]);
    expect(t[1].t).toBe(F + 2_000_000);
  });

  test("fine ranges use µs and only ticks inside the range", () => {
    const t = ticks({ lo: F + 1_234_567, hi: F + 1_234_567 + 50_000 }, F, 5);
    expect(t.length).toBeGreaterThanOrEqual(4);
    for (const x of t) {
      expect(x.t).toBeGreaterThanOrEqual(F + 1_234_567);
      expect(x.t).toBeLessThanOrEqual(F + 1_234_567 + 50_000);
      expect(x.label.endsWith("µs")).toBe(true);
    }
    expect(relLabel(1_250_000, 250_000)).toBe("1.25ms");
    expect(relLabel(1_250_000, 10_000)).toBe("1250µs");
  });
});

describe("rows and hit testing", () => {
  const columns = ["g", "state", "start_ns", "end_ns", "busy_ns", "n"];
  const rows = [
    [1n, "running", 0n, 100n, 100n, 1n],
    [1n, "waiting", 100n, 10_000n, 9_900n, 1n],
    [2n, "runnable", 50n, 60n, 7n, 3n],
    [2n, "syscall", 0n, 5_000n, 5_000n, 1n],
  ];

  test("groupRows groups by lane and converts bigints", () => {
    const m = groupRows(columns, rows, { lane: "g", state: "state", g: "g" });
    expect([...m.keys()]).toEqual([1, 2]);
    expect(m.get(1)![1]).toEqual({ start: 100, end: 10_000, busy: 9_900, n: 1, state: "waiting", g: 1 });
    expect(() => groupRows(["g"], rows, { lane: "g", state: "state" })).toThrow(/state/);
  });

  test("LaneIndex finds the interval under a time, the narrowest when they overlap", () => {
    const list: Interval[] = [
      { start: 0, end: 1_000_000, busy: 0, n: 1, state: "syscall", g: 5 },
      ...Array.from({ length: 500 }, (_, i) => ({ start: 1000 + i * 1000, end: 1500 + i * 1000, busy: 500, n: 1, state: "running", g: 7 })),
    ];
    list.sort((a, b) => a.start - b.start);
    const ix = new LaneIndex(list);
    expect(ix.at(250_200, 0)?.state).toBe("running");
    // Between runs only the long syscall (its start far back in the list) covers the time.
    expect(ix.at(250_700, 0)?.state).toBe("syscall");
    expect(ix.at(2_000_000, 10)).toBeNull();
    expect(ix.at(1_000_005, 10)?.state).toBe("syscall");
  });

  test("LaneIndex prefers an unmerged interval over a merged one at the same place", () => {
    const ix = new LaneIndex([
      { start: 0, end: 10, busy: 3, n: 4, state: "runnable", g: 1 },
      { start: 5, end: 500, busy: 495, n: 1, state: "waiting", g: 1 },
    ]);
    expect(ix.at(7, 0)?.state).toBe("waiting");
    expect(ix.at(2, 0)?.state).toBe("runnable");
  });

  test("kindOf: GC workers' running time is GC, ranges by name", () => {
    const w = new Set([22]);
    expect(kindOf("running", 22, w)).toBe("gc");
    expect(kindOf("running", 23, w)).toBe("running");
    expect(kindOf("waiting", 22, w)).toBe("waiting");
    expect(kindOf("stop-the-world (GC mark termination)", null, w)).toBe("stw");
    expect(kindOf("GC concurrent mark phase", null, w)).toBe("gcmark");
    expect(kindOf("GC incremental sweep", null, w)).toBe("gc");
  });
});

describe("lane windows", () => {
  test("a window covers the visible lanes and is kept while they stay inside", () => {
    const w = laneWindow(300, 330, 1000, 200);
    expect(w.from).toBeLessThanOrEqual(300);
    expect(w.to).toBeGreaterThanOrEqual(330);
    expect(w.to - w.from).toBe(200);
    expect(laneWindow(310, 340, 1000, 200, w)).toBe(w);
    const moved = laneWindow(480, 510, 1000, 200, w);
    expect(moved).not.toBe(w);
    expect(moved.from).toBeLessThanOrEqual(480);
    expect(moved.to).toBeGreaterThanOrEqual(510);
  });

  test("few lanes: all of them; none: empty", () => {
    expect(laneWindow(0, 12, 12, 200)).toEqual({ from: 0, to: 12 });
    expect(laneWindow(0, 0, 0, 200)).toEqual({ from: 0, to: 0 });
    // The list shrank under the old window: a new one.
    expect(laneWindow(0, 5, 5, 200, { from: 0, to: 200 })).toEqual({ from: 0, to: 5 });
  });
});

describe("runnable series", () => {
  const columns = ["bucket", "peak", "low", "last"];

  test("empty buckets carry the last count; a bucket's peak includes the count it started with", () => {
    const rows = [
      [-1n, 5n, 5n, 5n],
      [1n, 4n, 2n, 3n], // fell from 5 to 2, ended at 3
      [4n, 9n, 3n, 9n],
    ];
    const s = fillSeries(columns, rows, 6);
    expect(Array.from(s.last)).toEqual([5, 3, 3, 3, 9, 9]);
    expect(Array.from(s.peak)).toEqual([5, 5, 3, 3, 9, 9]);
    expect(Array.from(s.low)).toEqual([5, 2, 3, 3, 3, 9]);
    expect(s.max).toBe(9);
  });

  test("sampling divides a bucket exactly", () => {
    for (const b of [1, 7, 8, 1000, 12345]) {
      const s = sampling(b);
      expect(s.steps * s.stepNs).toBe(s.bucketNs);
      expect(s.bucketNs).toBeLessThanOrEqual(b);
      expect(s.bucketNs).toBeGreaterThan(b - s.steps);
    }
    expect(niceMax(0)).toBe(1);
    expect(niceMax(1872)).toBe(2000);
    expect(niceMax(50)).toBe(50);
  });
});

describe("Latest", () => {
  test("one request in flight; those made meanwhile collapse into the newest", async () => {
    const started: number[] = [];
    const done: [number, number][] = [];
    let release: (() => void)[] = [];
    const activeInDone: boolean[] = [];
    const l: Latest<number, number> = new Latest<number, number>(
      (p) => {
        started.push(p);
        return new Promise((res) => release.push(() => res(p * 10)));
      },
      (p, r) => {
        done.push([p, r]);
        activeInDone.push(l.active);
      },
      () => {},
    );
    l.request(1);
    l.request(2);
    l.request(3);
    expect(started).toEqual([1]);
    expect(l.active).toBe(true);
    release.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 3]);
    release.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toEqual([
      [1, 10],
      [3, 30],
    ]);
    expect(l.active).toBe(false);
    // Delivering 1 while 3 waited: still active; delivering 3, the last: not.
    expect(activeInDone).toEqual([true, false]);
    // After stop nothing more is delivered.
    l.request(4);
    l.stop();
    release.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(done.length).toBe(2);
    release = [];
  });

  test("errors are delivered and the runner goes on", async () => {
    const errs: string[] = [];
    const ok: number[] = [];
    const l = new Latest<number, number>(
      async (p) => {
        if (p < 0) throw new Error("bad");
        return p;
      },
      (_p, r) => ok.push(r),
      (_p, e) => errs.push(e.message),
    );
    l.request(-1);
    await new Promise((r) => setTimeout(r, 0));
    l.request(5);
    await new Promise((r) => setTimeout(r, 0));
    expect(errs).toEqual(["bad"]);
    expect(ok).toEqual([5]);
  });
});

describe("explainCause", () => {
  const stack = (f: string[] | null) => (f ? f.join(" ← ") : "(no stack)");
  const base = { reason: null, src_g: null, funcs: null, src_funcs: null };
  test("blocked: the reason and the blocking stack", () => {
    expect(explainCause({ ...base, from_state: "running", to_state: "waiting", reason: "chan receive", funcs: ["runtime.chanrecv1", "main.f"] }, stack)).toEqual([
      "blocked on: chan receive",
      "at runtime.chanrecv1 ← main.f",
    ]);
  });
  test("runnable: who created or unblocked it, or that it was preempted", () => {
    expect(explainCause({ ...base, from_state: "notexist", to_state: "runnable", src_g: 1, src_funcs: ["main.main"] }, stack)).toEqual(["created by G1", "at main.main"]);
    expect(explainCause({ ...base, from_state: "waiting", to_state: "runnable", src_g: 7, src_funcs: null }, stack)).toEqual(["unblocked by G7", "at (no stack)"]);
    expect(explainCause({ ...base, from_state: "running", to_state: "runnable", reason: "preempted", funcs: ["main.spin"] }, stack)[0]).toBe("preempted");
    expect(explainCause({ ...base, from_state: "running", to_state: "runnable", reason: "runtime.Gosched" }, stack)[0]).toBe("yielded (runtime.Gosched)");
  });
});

test("explainCause: what ended a run", () => {
  const stack = (f: string[] | null) => (f ? f.join(" ← ") : "(no stack)");
  const base = { reason: null, src_g: null, funcs: null, src_funcs: null };
  expect(explainCause({ ...base, from_state: "running", to_state: "notexist" }, stack, true)).toEqual(["then exited"]);
  expect(explainCause({ ...base, from_state: "running", to_state: "waiting", reason: "sync", funcs: ["sync.(*WaitGroup).Wait"] }, stack, true)).toEqual([
    "then blocked on: sync",
    "at sync.(*WaitGroup).Wait",
  ]);
});
