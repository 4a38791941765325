// The report's listings: spikes, top waiters, worst delays with their
// explanation, bursts and GC. All numbers come from the report JSON, which
// the CLI's own Rust code builds (src/client.ts `report`).

import type { Delay, Report, SpikeDetail, Why } from "../report";
import { count, dur, funcs } from "../format";
import { SortTable, type Column } from "./SortTable";

/** A nanosecond range on the trace clock. */
export interface Range {
  lo: number;
  hi: number;
}

const ms = (v: number) => `${v.toFixed(1)}ms`;

function Stack({ f, label }: { f: string[] | null; label?: string }) {
  return (
    <span className="stack" title={f ? f.join("\n") : ""}>
      {label ?? funcs(f)}
    </span>
  );
}

function Detail({ d }: { d: SpikeDetail }) {
  const w = d.worst;
  return (
    <li>
      <b>
        {d.kind} spike {d.index}
      </b>{" "}
      at {ms(d.start_ms)}: {d.kind === "latency" ? `p99 ${dur(d.value)}` : `peak ${d.value} runnable`}
      {w && (
        <>
          {" "}
          — worst: G{w.g} waited {dur(w.duration_ns)}
          {w.p !== null && ` on P${w.p}`}
          {w.longest_run && (
            <>
              ; the longest run there was G{w.longest_run[0]} for {dur(w.longest_run[1])} (<Stack f={w.longest_run[2]} />)
            </>
          )}
          ; {w.queue_goroutines} goroutines ran {w.queue_runs} times on that P meanwhile
        </>
      )}
      {d.burst_goroutines > 0 && <> — {d.burst_goroutines} goroutines became runnable within ±1ms</>}
      {d.breakdown && d.breakdown.categories.length > 0 && (
        <ul>
          {d.breakdown.categories.map(([c, n]) => (
            <li key={c}>
              {n} {c}
            </li>
          ))}
          {d.breakdown.heavy_unblockers.slice(0, 3).map((h) => (
            <li key={h.g}>
              G{h.g} unblocked {h.count} (<Stack f={h.funcs} />)
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** Latency and runnable spikes, sortable; a click zooms the timeline to the spike's window. */
export function SpikesView({ report, onZoom }: { report: Report; onZoom: (r: Range) => void }) {
  const win = report.options.window_ns;
  const zoom = (startMs: number) => {
    const lo = report.t0_ns + startMs * 1e6;
    onZoom({ lo, hi: lo + win });
  };
  const lat: Column<Report["latency_spikes"][number]>[] = [
    { key: "index", label: "#", render: (s) => s.index, sort: (s) => s.index, numeric: true },
    { key: "start", label: "Window start", render: (s) => ms(s.start_ms), sort: (s) => s.start_ms, numeric: true },
    { key: "p99", label: "p99", render: (s) => dur(s.p99_ns), sort: (s) => s.p99_ns, numeric: true },
    { key: "max", label: "Max", render: (s) => dur(s.max_ns), sort: (s) => s.max_ns, numeric: true },
    { key: "events", label: "Delays", render: (s) => count(s.events), sort: (s) => s.events, numeric: true },
  ];
  const run: Column<Report["runnable_spikes"][number]>[] = [
    { key: "index", label: "#", render: (s) => s.index, sort: (s) => s.index, numeric: true },
    { key: "start", label: "Window start", render: (s) => ms(s.start_ms), sort: (s) => s.start_ms, numeric: true },
    { key: "peak", label: "Peak runnable", render: (s) => count(s.peak), sort: (s) => s.peak, numeric: true },
  ];
  return (
    <div data-testid="view-spikes">
      <h3>
        Latency spikes: windows of {dur(win)} whose p99 wait exceeded{" "}
        {dur(report.options.spike_threshold_ns)} ({report.latency_spikes_total} in all)
      </h3>
      <SortTable columns={lat} rows={report.latency_spikes} testid="latency-spikes" rowTestid="spike-row" onRowClick={(s) => zoom(s.start_ms)} empty="No latency spikes." />
      <h3>
        Runnable spikes: windows with more than {report.runnable_threshold} goroutines runnable at once ({report.runnable_spikes_total} in all)
      </h3>
      <SortTable columns={run} rows={report.runnable_spikes} testid="runnable-spikes" rowTestid="spike-row" onRowClick={(s) => zoom(s.start_ms)} empty="No runnable spikes." />
      {report.spike_details.length > 0 && (
        <>
          <h3>What happened in them</h3>
          <ul className="details">
            {report.spike_details.map((d) => (
              <Detail key={`${d.kind}${d.index}`} d={d} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** Goroutines with the most total scheduling wait. */
export function WaitersView({ report }: { report: Report }) {
  const cols: Column<NonNullable<Report["top_waiters"]>[number]>[] = [
    { key: "g", label: "Goroutine", render: (w) => `G${w.g}`, sort: (w) => w.g, numeric: true },
    { key: "total", label: "Total wait", render: (w) => dur(w.total_ns), sort: (w) => w.total_ns, numeric: true },
    { key: "max", label: "Longest", render: (w) => dur(w.max_ns), sort: (w) => w.max_ns, numeric: true },
    { key: "n", label: "Schedulings", render: (w) => count(w.schedulings), sort: (w) => w.schedulings, numeric: true },
    { key: "funcs", label: "Goroutine's function", render: (w) => <Stack f={w.funcs} label={w.label} /> },
  ];
  const creators: Column<NonNullable<Report["by_creator"]>[number]>[] = [
    { key: "creator", label: "Created by", render: (c) => <Stack f={c.creator_funcs} label={c.label} /> },
    { key: "total", label: "Total wait", render: (c) => dur(c.total_ns), sort: (c) => c.total_ns, numeric: true },
    { key: "p99", label: "p99", render: (c) => dur(c.p99_ns), sort: (c) => c.p99_ns, numeric: true },
    { key: "max", label: "Max", render: (c) => dur(c.max_ns), sort: (c) => c.max_ns, numeric: true },
    { key: "g", label: "Goroutines", render: (c) => count(c.goroutines), sort: (c) => c.goroutines, numeric: true },
  ];
  return (
    <div data-testid="view-waiters">
      <h3>Goroutines that waited longest to run, in total</h3>
      <SortTable columns={cols} rows={report.top_waiters ?? []} testid="top-waiters" rowTestid="waiter-row" />
      <h3>Delays by the creator of the delayed goroutine</h3>
      <SortTable columns={creators} rows={report.by_creator ?? []} testid="by-creator" />
    </div>
  );
}

function cause(d: Delay): string {
  const by = d.made_runnable_by_g !== null ? ` by G${d.made_runnable_by_g}` : "";
  switch (d.cause) {
    case "created": return `runnable since it was created${by}`;
    case "unblocked": return `runnable since it was unblocked${by}`;
    case "preempted": return "runnable since it was preempted";
    case "yielded": return "runnable since it yielded (runtime.Gosched or a stop)";
    case "syscall": return "runnable since it returned from a syscall without its P";
    default: return `runnable (${d.cause})`;
  }
}

function Verdict({ y, procs }: { y: Why; procs: number }) {
  const d = y.delay;
  if (y.verdict === "held" && y.holder) {
    const h = y.holder;
    const pct = (100 * h.overlap_ns) / Math.max(1, d.duration_ns);
    return (
      <p className="verdict" data-testid="verdict">
        → P{h.p} was held by G{h.g} ({h.label}) for {dur(h.overlap_ns)} ({pct.toFixed(0)}% of the wait
        {h.syscall_ns > 0 ? `, ${dur(h.syscall_ns)} of it in syscalls` : ""}): <Stack f={h.funcs} />
      </p>
    );
  }
  if (y.verdict === "saturated") {
    return (
      <div className="verdict" data-testid="verdict">
        → run queue saturated: {y.runnable_total} other goroutine(s) runnable on {procs} P(s) when the wait began
        <ul>
          {y.runnable_at_start.slice(0, 3).map(([c, n, f]) => (
            <li key={c}>
              {n} {c}, mostly by <Stack f={f} />
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <p className="verdict" data-testid="verdict">
      → no single cause: no goroutine held the P for half the wait, {y.runnable_total} other(s) runnable
    </p>
  );
}

/** The worst individual delays, and for the first ones why they happened. */
export function WorstView({ report, onZoom }: { report: Report; onZoom: (r: Range) => void }) {
  const cols: Column<Delay>[] = [
    { key: "g", label: "Goroutine", render: (d) => `G${d.g}`, sort: (d) => d.g, numeric: true },
    { key: "dur", label: "Waited", render: (d) => dur(d.duration_ns), sort: (d) => d.duration_ns, numeric: true },
    { key: "at", label: "At", render: (d) => ms((d.start_ns - report.t0_ns) / 1e6), sort: (d) => d.start_ns, numeric: true },
    { key: "p", label: "P", render: (d) => (d.p === null ? "" : `P${d.p}`), sort: (d) => d.p ?? -1, numeric: true },
    { key: "cause", label: "Why runnable", render: (d) => cause(d), sort: (d) => d.cause },
    { key: "funcs", label: "Where", render: (d) => <Stack f={d.last_funcs ?? d.start_funcs} /> },
  ];
  const pad = (d: Delay) => Math.max(d.duration_ns, 100_000);
  return (
    <div data-testid="view-worst">
      <h3>The worst delays (click one to see it on the timeline)</h3>
      <SortTable columns={cols} rows={report.worst ?? []} testid="worst-delays" rowTestid="delay-row" onRowClick={(d) => onZoom({ lo: d.start_ns - pad(d), hi: d.end_ns + pad(d) })} />
      <h3>Why they waited</h3>
      <ol className="why" data-testid="why">
        {(report.why ?? []).map((y, i) => (
          <li key={i}>
            G{y.delay.g} waited {dur(y.delay.duration_ns)}
            {y.delay.p !== null && ` on P${y.delay.p}`} (from t={((y.delay.start_ns - report.t0_ns) / 1e6).toFixed(2)}ms) at{" "}
            <Stack f={y.delay.last_funcs ?? y.delay.start_funcs} />
            <br />
            {cause(y.delay)}
            {y.delay.made_runnable_by_funcs && (
              <>
                {" "}at <Stack f={y.delay.made_runnable_by_funcs} />
              </>
            )}
            <Verdict y={y} procs={report.procs} />
            {y.procs.length > 0 && (
              <p className="meanwhile">Meanwhile on every P: {y.procs.map((u) => `P${u.p}: G${u.g} ${dur(u.overlap_ns)}`).join(", ")}</p>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** 1 ms bursts of goroutines becoming runnable, and who launched the delayed ones. */
export function BurstsView({ report, onZoom }: { report: Report; onZoom: (r: Range) => void }) {
  const cols: Column<NonNullable<Report["bursts"]>[number]>[] = [
    { key: "at", label: "At", render: (b) => ms(b.start_ms), sort: (b) => b.start_ms, numeric: true },
    { key: "g", label: "Goroutines made runnable", render: (b) => count(b.goroutines), sort: (b) => b.goroutines, numeric: true },
    { key: "c", label: "Distinct creators", render: (b) => count(b.distinct_creators), sort: (b) => b.distinct_creators, numeric: true },
  ];
  const launch: Column<NonNullable<Report["launchers"]>[number]>[] = [
    { key: "funcs", label: "Launched at", render: (l) => <Stack f={l.funcs} /> },
    { key: "g", label: "Goroutines", render: (l) => count(l.goroutines), sort: (l) => l.goroutines, numeric: true },
    { key: "total", label: "Their total wait", render: (l) => dur(l.total_ns), sort: (l) => l.total_ns, numeric: true },
    { key: "max", label: "Max", render: (l) => dur(l.max_ns), sort: (l) => l.max_ns, numeric: true },
  ];
  return (
    <div data-testid="view-bursts">
      <h3>Bursts: 1ms buckets where the most goroutines became runnable</h3>
      <SortTable columns={cols} rows={report.bursts ?? []} testid="bursts" rowTestid="burst-row" onRowClick={(b) => {
        const lo = report.t0_ns + b.start_ms * 1e6;
        onZoom({ lo: lo - 1e6, hi: lo + 2e6 });
      }} />
      <h3>Who launched the delayed goroutines</h3>
      <SortTable columns={launch} rows={report.launchers ?? []} testid="launchers" />
    </div>
  );
}

/** GC: STW pauses, GC phases, and the transitions GC caused. */
export function GcView({ report }: { report: Report }) {
  const gc = report.gc;
  if (!gc) return <p data-testid="view-gc">No GC report.</p>;
  return (
    <div data-testid="view-gc">
      <h3>GC ranges</h3>
      <SortTable
        columns={[
          { key: "name", label: "Range", render: (r) => r.name, sort: (r) => r.name },
          { key: "n", label: "Count", render: (r) => count(r.count), sort: (r) => r.count, numeric: true },
          { key: "t", label: "Total", render: (r) => dur(r.total_ns), sort: (r) => r.total_ns, numeric: true },
          { key: "m", label: "Max", render: (r) => (r.max_ns === null ? "" : dur(r.max_ns)), sort: (r) => r.max_ns ?? 0, numeric: true },
        ]}
        rows={gc.ranges}
        testid="gc-ranges"
      />
      <h3>Longest stop-the-world pauses</h3>
      <SortTable
        columns={[
          { key: "reason", label: "Reason", render: (s) => s.reason, sort: (s) => s.reason },
          { key: "at", label: "At", render: (s) => ms((s.start_ns - report.t0_ns) / 1e6), sort: (s) => s.start_ns, numeric: true },
          { key: "d", label: "Duration", render: (s) => dur(s.duration_ns), sort: (s) => s.duration_ns, numeric: true },
        ]}
        rows={gc.stw_pauses}
        testid="stw-pauses"
      />
      <h3>GC-related goroutine transitions</h3>
      <SortTable
        columns={[
          { key: "t", label: "Transition", render: (t) => `${t.from_state} → ${t.to_state}${t.reason ? ` (${t.reason})` : ""}` },
          { key: "n", label: "Count", render: (t) => count(t.transitions), sort: (t) => t.transitions, numeric: true },
          { key: "total", label: "Total", render: (t) => dur(t.total_ns), sort: (t) => t.total_ns, numeric: true },
          { key: "max", label: "Max", render: (t) => dur(t.max_ns), sort: (t) => t.max_ns, numeric: true },
        ]}
        rows={gc.transitions}
        testid="gc-transitions"
      />
    </div>
  );
}
