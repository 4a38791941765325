// The page: drop a Go execution trace (or open the one `schedstat web`
// serves), get the summary first, then every view of the report.

import { useCallback, useEffect, useRef, useState } from "react";

import { TraceSession } from "./client";
import { count, dur } from "./format";
import type { Diagnosis } from "./doctor";
import type { Loaded, Progress, QuickSummary } from "./protocol";
import type { Report } from "./report";
import { FlameGraph } from "./components/FlameGraph";
import { RunnableChart } from "./components/RunnableChart";
import { Timeline } from "./components/Timeline";
import { Findings } from "./views/Findings";
import { BurstsView, GcView, SpikesView, WaitersView, WorstView, type Range } from "./views/ReportViews";
import { RequestsView } from "./views/RequestsView";
import { SqlConsole } from "./views/SqlConsole";
import { StatesView } from "./views/StatesView";
import { Summary } from "./views/Summary";

const TABS = [
  ["spikes", "Spikes"],
  ["waiters", "Top waiters"],
  ["worst", "Worst delays"],
  ["bursts", "Bursts"],
  ["timeline", "Timeline"],
  ["flame", "Flame graph"],
  ["gc", "GC"],
  ["states", "States"],
  ["requests", "Requests"],
  ["sql", "SQL"],
] as const;
/** Tabs that do not need the report (they query or compute on their own). */
const STANDALONE: readonly Tab[] = ["timeline", "flame", "sql", "states", "requests"];
type Tab = (typeof TABS)[number][0];

type State =
  | { kind: "idle" }
  | { kind: "reading"; name: string; progress: Progress }
  | { kind: "error"; message: string }
  | { kind: "summary"; quick: QuickSummary; progress: Progress }
  | { kind: "ready"; quick: QuickSummary; loaded: Loaded; goroutines: number; procs: number };

/** Timings the size/speed script reads (ms since the page's time origin). */
declare global {
  interface Window {
    __schedstat?: { loadStart?: number; summaryAt?: number; loadedAt?: number; reportAt?: number; findingsAt?: number; loaded?: Loaded };
  }
}

/** The page's phase, mirrored on `<body data-state>` once React has drawn
 * it, for scripts and tests: idle, loading, summary (tables loading), loaded
 * (tables in), ready (the report shown, or its error), error. */
type Phase = "idle" | "loading" | "summary" | "loaded" | "ready" | "error";

/** The report's error, with what still works when DuckDB-WASM ran out of memory. */
function reportMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (!/out of memory/i.test(m)) return m;
  return `${m} — the report needs more memory than the browser gives DuckDB-WASM for a trace this large. ` +
    "The summary, timeline, flame graph and SQL console still work; `schedstat TRACE` on the command line gives the report.";
}

export function App() {
  const session = useRef<TraceSession | null>(null);
  if (session.current === null) session.current = new TraceSession();
  const [state, setState] = useState<State>({ kind: "idle" });
  const [report, setReport] = useState<Report | null>(null);
  const [reportError, setReportError] = useState<string | null>(null);
  const [diagnosis, setDiagnosis] = useState<Diagnosis | null>(null);
  const [doctorError, setDoctorError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("spikes");
  const [range, setRange] = useState<Range | null>(null);
  const [dragging, setDragging] = useState(false);
  const [phase, setBodyState] = useState<Phase>("idle");
  useEffect(() => {
    document.body.dataset.state = phase;
  }, [phase]);

  const open = useCallback(async (src: File | { url: string; name: string }) => {
    const s = session.current!;
    const name = src.name;
    window.__schedstat = { loadStart: performance.now() };
    setBodyState("loading");
    setReport(null);
    setReportError(null);
    setDiagnosis(null);
    setDoctorError(null);
    setRange(null);
    setState({ kind: "reading", name, progress: { phase: "reading", fraction: 0 } });
    let quick: QuickSummary | null = null;
    try {
      const loaded = await s.load(
        src,
        (p) => setState(quick ? { kind: "summary", quick, progress: p } : { kind: "reading", name, progress: p }),
        (q) => {
          quick = q;
          window.__schedstat = { ...window.__schedstat, summaryAt: performance.now() };
          setState({ kind: "summary", quick: q, progress: { phase: "parsing", fraction: 0 } });
          setBodyState("summary");
        },
      );
      const counts = await s.query("select (select count(*) from goroutines) as g, (select count(*) from procs) as p");
      setState({ kind: "ready", quick: quick!, loaded, goroutines: Number(counts.rows[0][0]), procs: Number(counts.rows[0][1]) });
      setRange({ lo: Number(loaded.firstTimeNs), hi: Number(loaded.lastTimeNs) });
      window.__schedstat = { ...window.__schedstat, loadedAt: performance.now(), loaded };
      setBodyState("loaded");
    } catch (e) {
      setState({ kind: "error", message: e instanceof Error ? e.message : String(e) });
      setBodyState("error");
      return;
    }
    // The report's sections first, then the findings (shown first on the
    // page, above the tabs): the doctor builds a report of its own (--why=20,
    // --bursts) and, on a big trace, takes as long again, so computing it
    // first kept the report waiting for it.
    try {
      setReport(await s.report());
    } catch (e) {
      setReportError(reportMessage(e));
    }
    window.__schedstat = { ...window.__schedstat, reportAt: performance.now() };
    try {
      setDiagnosis(await s.doctor());
    } catch (e) {
      setDoctorError(reportMessage(e));
    }
    window.__schedstat = { ...window.__schedstat, findingsAt: performance.now() };
    setBodyState("ready");
  }, []);

  // `schedstat web` serves the page with ?trace=/trace&name=...: open it at once.
  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const url = q.get("trace");
    if (url) void open({ url, name: q.get("name") ?? url.split("/").pop() ?? "trace" });
  }, [open]);

  const zoom = (r: Range) => {
    // A spike's window can reach past the trace's end (or start): show only the trace.
    if (state.kind === "ready") {
      const first = Number(state.loaded.firstTimeNs);
      const last = Number(state.loaded.lastTimeNs);
      r = { lo: Math.max(first, Math.min(r.lo, last - 1)), hi: Math.min(last, Math.max(r.hi, first + 1)) };
    }
    setRange(r);
    setTab("timeline");
  };

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer.files[0];
    if (f) void open(f);
  };

  return (
    <div
      className={`app${dragging ? " dragging" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <header>
        <h1>schedstat</h1>
        <span className="tagline">what is making your goroutines wait?</span>
        <label className="picker" data-testid="drop-zone">
          <input
            type="file"
            data-testid="file-input"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void open(f);
              e.target.value = "";
            }}
          />
          <span>Open a trace…</span>
        </label>
      </header>

      {state.kind === "idle" && (
        <section className="welcome">
          <p>
            Drop a Go execution trace anywhere on this page, or choose one above. It is read here, in your browser:
            nothing is uploaded.
          </p>
          <p className="note">
            Make one with <code>curl -o trace.out 'http://localhost:6060/debug/pprof/trace?seconds=5'</code>, from{" "}
            <code>runtime/trace</code>, or <code>go test -trace trace.out</code>. Go 1.22 and newer.
          </p>
        </section>
      )}

      {state.kind === "reading" && (
        <ProgressBar label={`Reading ${state.name}…`} fraction={state.progress.fraction} />
      )}

      {state.kind === "summary" && (
        <>
          <Summary quick={state.quick} />
          <ProgressBar label="Loading the tables for the other views…" fraction={state.progress.fraction} />
        </>
      )}

      {state.kind === "error" && (
        <p className="error" data-testid="error">
          {state.message}
        </p>
      )}

      {state.kind === "ready" && (
        <>
          <Summary quick={state.quick} goroutines={state.goroutines} procs={state.procs} />
          <Findings diagnosis={diagnosis} error={doctorError} onZoom={zoom} onOpen={setTab} />
          {report && <Verdicts report={report} />}
          {reportError && (
            <p className="error" data-testid="report-error">
              {reportError}
            </p>
          )}
          <nav className="tabs" role="tablist">
            {TABS.map(([id, label]) => (
              <button key={id} role="tab" aria-selected={tab === id} data-testid={`tab-${id}`} onClick={() => setTab(id)}>
                {label}
              </button>
            ))}
          </nav>
          <main>
            {tab === "timeline" && range && (
              <div data-testid="view-timeline">
                <Timeline session={session.current} loaded={state.loaded} range={range} onRangeChange={setRange} />
                <RunnableChart session={session.current} loaded={state.loaded} range={range} onRangeChange={setRange} />
              </div>
            )}
            {tab === "flame" && (
              <div data-testid="view-flame">
                <FlameGraph session={session.current} />
              </div>
            )}
            {tab === "sql" && <SqlConsole session={session.current} />}
            {/* The toolbox views: their wasm module is fetched when one first opens. */}
            {tab === "states" && (
              <div data-testid="view-states">
                <StatesView session={session.current} />
              </div>
            )}
            {tab === "requests" && (
              <div data-testid="view-requests">
                <RequestsView session={session.current} />
              </div>
            )}
            {!STANDALONE.includes(tab) &&
              (report ? (
                <>
                  {tab === "spikes" && <SpikesView report={report} onZoom={zoom} />}
                  {tab === "waiters" && <WaitersView report={report} />}
                  {tab === "worst" && <WorstView report={report} onZoom={zoom} />}
                  {tab === "bursts" && <BurstsView report={report} onZoom={zoom} />}
                  {tab === "gc" && <GcView report={report} />}
                </>
              ) : reportError ? null : (
                <p className="note" data-testid="report-pending">
                  Building the report…
                </p>
              ))}
          </main>
        </>
      )}
      <footer className="note">
        schedstat — the trace is parsed by schedstat's reader (WebAssembly) and queried with DuckDB-WASM in this tab.
      </footer>
    </div>
  );
}

/** What is being done, and how far along. */
function ProgressBar({ label, fraction }: { label: string; fraction: number }) {
  return (
    <section className="loading" data-testid="progress">
      <p>
        {label} {(100 * fraction).toFixed(0)}%
      </p>
      <progress max={1} value={fraction} />
    </section>
  );
}

/** One line per headline finding, as the CLI's report opens. */
function Verdicts({ report }: { report: Report }) {
  const lines: string[] = [];
  lines.push(
    `${report.latency_spikes_total} latency spike(s) (windows with p99 wait over ${dur(report.options.spike_threshold_ns)}), ` +
      `${report.runnable_spikes_total} runnable spike(s) (over ${report.runnable_threshold} runnable on ${report.procs} P(s)).`,
  );
  const w = report.top_waiters?.[0];
  if (w) lines.push(`G${w.g} (${w.label}) waited longest in total: ${dur(w.total_ns)} over ${count(w.schedulings)} schedulings.`);
  const y = report.why?.[0];
  if (y) {
    const v = y.verdict === "held" && y.holder ? `P${y.holder.p} was held by G${y.holder.g} (${y.holder.label})` : y.verdict === "saturated" ? "the run queue was saturated" : "no single cause";
    lines.push(`The worst delay: G${y.delay.g} (${y.delay.label}) waited ${dur(y.delay.duration_ns)}; ${v}.`);
  }
  return (
    <ul className="verdicts" data-testid="verdicts">
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
    </ul>
  );
}
