// The first answer: how long, how much, and how long goroutines waited to run.
// Shown from the quick first pass (exactly `latency_summary.sql`'s numbers),
// before the tables for the other views are loaded.

import type { QuickSummary } from "../protocol";
import { bytes, count, dur } from "../format";

type Lat = NonNullable<QuickSummary["latency"]>;

/** Duration, events and the scheduling-latency percentiles (exact ns in
 * data-ns), after the cut-trace warning if there is one. */
export function Summary({ quick, goroutines, procs }: { quick: QuickSummary; goroutines?: number; procs?: number }) {
  const span = Number(quick.last_time_ns - quick.first_time_ns);
  const lat = quick.latency;
  const pct: [string, keyof Lat][] = [
    ["p50", "p50_ns"], ["p90", "p90_ns"], ["p99", "p99_ns"], ["max", "max_ns"], ["avg", "avg_ns"], ["min", "min_ns"],
  ];
  const later = <span className="note">…</span>;
  return (
    <>
      {quick.warning && (
        // A cut trace: its complete generations are shown, with what was lost.
        <p className="warning" data-testid="warning">
          {quick.warning}
        </p>
      )}
      <section className="summary" data-testid="summary">
        <h2>
          {quick.name} <small>{bytes(quick.bytes)}</small>
        </h2>
        <dl className="facts">
          <div><dt>Duration</dt><dd data-testid="duration" data-ns={span}>{dur(span)}</dd></div>
          <div><dt>Events</dt><dd data-testid="events" data-value={String(quick.events)}>{count(quick.events)}</dd></div>
          <div><dt>Goroutines</dt><dd data-testid="goroutines">{goroutines === undefined ? later : count(goroutines)}</dd></div>
          <div><dt>Procs</dt><dd data-testid="procs">{procs === undefined ? later : count(procs)}</dd></div>
          <div><dt>Delays</dt><dd data-testid="latency-count" data-value={lat?.count ?? 0}>{count(lat?.count ?? 0)}</dd></div>
        </dl>
        <h3>Scheduling latency (runnable → running)</h3>
        {lat ? (
          <dl className="facts latency">
            {pct.map(([label, key]) => (
              <div key={key}>
                <dt>{label}</dt>
                <dd data-testid={`latency-${label}`} data-ns={String(lat[key])}>{dur(Number(lat[key]))}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="warning" data-testid="no-latency">The trace has no goroutine scheduling events (no runnable → running transition).</p>
        )}
      </section>
    </>
  );
}
